import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from study_factories import add_deck

from flashtrain.cli import main
from flashtrain.store.engine import open_store
from flashtrain.store.models import ReviewLog
from flashtrain.services.settings import load_settings

pytestmark = pytest.mark.both_dialects  # these tests also run on PostgreSQL (tests/conftest.py)


@pytest.fixture
def db(store_target):
    path = store_target("cli")
    store = open_store(path)
    ids = add_deck(store, "A", 3)
    store.close()
    return path, ids


def test_history_import_then_export(db, tmp_path, capsys):
    path, ids = db
    csv = tmp_path / "in.csv"
    csv.write_text("card_id,review_time,rating,question,extra\n7,2024-05-01T10:00:00Z,3,A question 0?,x\n"
                   "424242,2024-05-01T10:00:00Z,3,Nobody's question,x\n7,2024-05-03T10:00:00+00:00,4,A question 0?,y\n")
    assert main(["--db", str(path), "history", "import", str(csv)]) == 1  # 1..4 only: which scale?
    assert "--scale anki" in capsys.readouterr().err
    assert main(["--db", str(path), "history", "import", str(csv), "--scale", "confidence"]) == 0
    out = capsys.readouterr().out
    assert "imported 2 reviews for 1 cards" in out and "skipped 1 rows" in out and "lines 3" in out
    out_file = tmp_path / "out.csv"
    assert main(["--db", str(path), "history", "export", "--out", str(out_file)]) == 0
    lines = out_file.read_text().splitlines()
    assert lines[0] == ("card_id,review_time,rating,duration_ms,deck,question,store_id,review_rating,review_state,"
                        "review_duration")
    assert lines[1].startswith(f"{ids[0]},2024-05-01T10:00:00+00:00,3,,A,")
    assert main(["--db", str(path), "history", "export"]) == 0
    assert capsys.readouterr().out.splitlines() == lines


def test_history_import_bad_row_exits_one_with_line(db, tmp_path, capsys):
    path, ids = db
    csv = tmp_path / "bad.csv"
    csv.write_text(f"card_id,review_time,rating\n{ids[0]},2024-05-01T10:00:00Z,3\n{ids[0]},not a time,3\n")
    assert main(["--db", str(path), "history", "import", str(csv)]) == 1
    err = capsys.readouterr().err
    assert f"{csv}:3: error: expected review_time" in err and "Traceback" not in err
    store = open_store(path)
    with store.sessions.begin() as s:
        assert s.scalars(select(ReviewLog)).first() is None
    store.close()


def test_history_import_missing_file_and_unknown_deck(db, tmp_path, capsys):
    path, ids = db
    assert main(["--db", str(path), "history", "import", str(tmp_path / "nope.csv")]) == 1
    csv = tmp_path / "in.csv"
    csv.write_text(f"card_id,review_time,rating\n{ids[0]},2024-05-01T10:00:00Z,3\n")
    assert main(["--db", str(path), "history", "import", str(csv), "--deck", "Nope", "--scale", "confidence"]) == 1
    assert "no deck 'Nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["--db", str(path), "history", "import", str(csv), "--scale", "weird"])
    assert usage.value.code == 2


def test_optimize_with_too_few_reviews(db, capsys):
    path, _ = db
    assert main(["--db", str(path), "optimize"]) == 1
    err = capsys.readouterr().err
    assert "not enough review history" in err and "need at least" in err


def simulated_history(ids, days=120, seed=3):
    """A learner who forgets faster than the defaults expect: plenty of scored reviews."""
    import random

    rng = random.Random(seed)
    rows = []
    start = datetime(2024, 1, 1, 9, tzinfo=timezone.utc)
    for card in ids:
        when = start + timedelta(hours=rng.random() * 24 * 10)
        interval = 1.0
        for _ in range(12):
            recalled = rng.random() < 0.75 ** (interval / 3)
            rows.append((card, when, 3 if recalled else 1))
            interval = interval * 2.2 if recalled else 1.0
            when += timedelta(days=interval, hours=rng.random() * 3)
    return rows


def test_optimize_fits_reports_and_saves(store_target, tmp_path, capsys):
    path = store_target("opt")
    store = open_store(path)
    ids = add_deck(store, "Big", 150)
    store.close()
    csv = tmp_path / "h.csv"
    index = {card_id: i for i, card_id in enumerate(ids)}
    csv.write_text("card_id,review_time,rating,question\n" + "".join(
        f"{c},{w.isoformat()},{r},Big question {index[c]}?\n" for c, w, r in simulated_history(ids)))
    assert main(["--db", str(path), "history", "import", str(csv), "--scale", "confidence"]) == 0
    capsys.readouterr()
    assert main(["--db", str(path), "optimize", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["test"] > 0 and report["train"] > report["test"]
    assert set(report["before"]) >= {"logloss", "rmse_bins"} and set(report["after"]) >= {"logloss", "rmse_bins"}
    store = open_store(path)
    with store.sessions.begin() as s:
        stored = load_settings(s).weights
    store.close()
    if report["saved"]:
        assert report["after"]["logloss"] < report["before"]["logloss"]
        assert stored == pytest.approx(tuple(report["weights"]))
    else:
        assert stored is None
    assert main(["--db", str(path), "optimize"]) == 0
    text = capsys.readouterr().out
    assert "log loss" in text and "RMSE(bins)" in text and "held-out" in text


def test_settings_command(db, capsys):
    path, _ = db
    assert main(["--db", str(path), "settings", "new_per_day", "5"]) == 0
    assert main(["--db", str(path), "settings", "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("{"):])["new_per_day"] == 5
    assert main(["--db", str(path), "settings", "desired_retention", "1.5"]) == 1
    assert main(["--db", str(path), "settings", "bogus", "1"]) == 1
    assert main(["--db", str(path), "settings", "new_per_day", "default"]) == 0
    assert "new_per_day        20" in capsys.readouterr().out


def test_history_import_where_no_row_matches_says_how_rows_match_and_exits_1(db, tmp_path, capsys):
    path, _ = db
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("card_id,review_rating,review_time,review_duration\n"
                       "1711684180217,3,2024-03-29T20:32:32.250000+00:00,25060\n"
                       "1711684780667,1,2024-03-29T20:32:39Z,7241\n")
    assert main(["--db", str(path), "history", "import", str(foreign), "--scale", "anki"]) == 1
    captured = capsys.readouterr()
    # another tool's card ids are never matched to ours: refused at the first row, naming the ways that work
    assert f"{foreign}:2: error: card_id '1711684180217' comes from another tool" in captured.err
    assert "question" in captured.err and "--map" in captured.err


def test_setting_that_is_not_a_number_names_the_setting(db, capsys):
    path, _ = db
    assert main(["--db", str(path), "settings", "desired_retention", "abc"]) == 1
    assert main(["--db", str(path), "settings", "new_per_day", "lots"]) == 1
    err = capsys.readouterr().err
    assert "desired_retention cannot be 'abc'" in err and "new_per_day cannot be 'lots'" in err
