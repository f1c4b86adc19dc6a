"""`flashtrain bench scheduler`: CSV input errors, protocol pieces, baselines, JSON shape."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from flashtrain.bench import scheduler_bench
from flashtrain.cli import main
from flashtrain.scheduler import baselines, optimizer
from flashtrain.scheduler.core import DEFAULT_WEIGHTS, SchedulerConfig
from flashtrain.scheduler.simulate import simulate_histories

CONFIG = SchedulerConfig(tz=timezone.utc)
SHARED = Path("/work/shared/data/revlogs/py-fsrs_review_logs_josh_1711744352250_to_1728234780857.csv")


def write_csv(path: Path, histories, rating_column="rating", anki=False) -> Path:
    back = {1: 1, 2: 2, 3: 2, 4: 3, 5: 4}
    lines = [f"card_id,{rating_column},review_time,extra"]
    rows = [(when, card, rating) for card, history in enumerate(histories) for when, rating in history]
    for when, card, rating in sorted(rows):
        lines.append(f"{card},{back[rating] if anki else rating},{when.isoformat()},x")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def small_log(tmp_path_factory):
    histories = simulate_histories(DEFAULT_WEIGHTS, 4000, seed=11, reviews_per_card=12)
    return write_csv(tmp_path_factory.mktemp("bench") / "log.csv", histories)


GOOD_HEAD = "card_id,review_time,rating\n1,2024-01-01T10:00:00+00:00,3\n"


@pytest.mark.parametrize("body, args, message", [
    (GOOD_HEAD + "1,2024-01-02T10:00:00,3\n", [], "log.csv:3: review_time '2024-01-02T10:00:00' has no time zone"),
    (GOOD_HEAD + "1,yesterday,3\n", [], "log.csv:3: review_time 'yesterday' is not an ISO-8601 time"),
    (GOOD_HEAD + "1,2024-01-02T10:00:00+00:00,3\n2,2024-01-02T11:00:00Z,6\n", [],
     "log.csv:4: rating '6' is not an integer 1-5"),
    (GOOD_HEAD + "1,2024-01-02T10:00:00+00:00,5\n", ["--scale", "anki"], "log.csv:3: rating '5' is not an integer 1-4"),
    (GOOD_HEAD + "1,2024-01-02T10:00:00+00:00\n", [], "log.csv:3: expected 3 fields, got 2"),
    (GOOD_HEAD + ",2024-01-02T10:00:00+00:00,3\n", [], "log.csv:3: empty card_id"),
    ("card_id,when,rating\n1,2024-01-01T10:00:00+00:00,3\n", [], "log.csv:1: missing column(s) review_time"),
    ("", [], "log.csv:1: empty file"),
])
def test_bad_rows_give_a_line_numbered_error(tmp_path, capsys, body, args, message):
    path = tmp_path / "log.csv"
    path.write_text(body)
    assert main(["bench", "scheduler", "--revlog", str(path), *args]) == 1
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.out == ""


def test_missing_file_is_a_user_error(tmp_path, capsys):
    assert main(["bench", "scheduler", "--revlog", str(tmp_path / "nope.csv")]) == 1
    assert "nope.csv: cannot read" in capsys.readouterr().err


def test_review_rating_column_and_anki_scale(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("card_id,review_rating,review_time\n7,3,2024-01-01T10:00:00+01:00\n7,4,2024-01-03T10:00:00Z\n"
                    "8,1,2024-01-01T11:00:00Z\n8,2,2024-01-02T11:00:00Z\n")
    histories = scheduler_bench.read_revlog(path, "anki")
    assert [[r for _, r in h] for h in histories] == [[4, 5], [1, 2]]
    assert histories[0][0][0] == datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)


def test_time_series_folds_match_sklearn():
    # sklearn TimeSeriesSplit(5) on 12 samples: test blocks of 2 starting at index 2
    assert scheduler_bench.time_series_folds(12) == [(2, 4), (4, 6), (6, 8), (8, 10), (10, 12)]
    assert scheduler_bench.time_series_folds(20) == [(5, 8), (8, 11), (11, 14), (14, 17), (17, 20)]
    assert scheduler_bench.time_series_folds(5) == []


def one_card(ratings_and_days):
    start = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)
    return [(start + timedelta(days=d), r) for d, r in ratings_and_days]


def test_sm2_and_leitner_by_hand():
    # days 0, 1, 7, 20 (pass, pass, pass, fail), then day 21 pass
    arrays = optimizer.prepare([one_card([(0, 4), (1, 4), (7, 4), (20, 1), (21, 4)])], CONFIG)
    sm2 = baselines.sm2(arrays)[:, 0]
    # SM-2 intervals after each review: 1, 6, round(6 * EF), 1 ; EF stays 2.5 with q = 4
    assert sm2[1] == pytest.approx(0.9 ** (1 / 1))
    assert sm2[2] == pytest.approx(0.9 ** (6 / 6))
    assert sm2[3] == pytest.approx(0.9 ** (13 / 15))
    assert sm2[4] == pytest.approx(0.9 ** (1 / 1))
    leitner = baselines.leitner(arrays)[:, 0]
    # boxes 1 day, then 2, 4 days; the lapse sends it back to 1 day
    assert list(leitner[1:]) == pytest.approx([0.9 ** 1, 0.9 ** (6 / 2), 0.9 ** (13 / 4), 0.9 ** 1])


def test_same_day_reviews_are_invisible_to_long_term_baselines():
    plain = optimizer.prepare([one_card([(0, 4), (1, 4), (7, 4)])], CONFIG)
    with_cram = optimizer.prepare([one_card([(0, 4), (0.01, 1), (1, 4), (1.01, 1), (7, 4)])], CONFIG)
    assert baselines.sm2(plain)[2, 0] == pytest.approx(baselines.sm2(with_cram)[4, 0])
    assert baselines.leitner(plain)[2, 0] == pytest.approx(baselines.leitner(with_cram)[4, 0])


def test_hlr_fit_lowers_training_loss():
    histories = simulate_histories(DEFAULT_WEIGHTS, 3000, seed=5)
    arrays = optimizer.prepare(histories, CONFIG)
    theta = baselines.hlr_fit(arrays, arrays.scored)
    y = arrays.label[arrays.scored]
    from flashtrain.scheduler.metrics import log_loss

    fitted = log_loss(y, baselines.hlr_predict(arrays, theta)[arrays.scored])
    default = log_loss(y, baselines.hlr_predict(arrays, baselines.HLR_DEFAULT)[arrays.scored])
    assert fitted < default


def test_json_output_and_model_ranking(small_log, capsys):
    assert main(["bench", "scheduler", "--revlog", str(small_log), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    names = [row["name"] for row in data["models"]]
    assert names == ["flashtrain-default", "flashtrain-fitted", "fsrs6-default", "fsrs6-fitted", "sm2", "hlr",
                     "leitner", "avg"]
    for row in data["models"]:
        assert set(row) == {"name", "logloss", "rmse_bins", "auc", "n", "fit_seconds"}
        assert row["n"] == data["models"][0]["n"] > 100
    calibration = data["calibration_by_previous_grade"]
    assert [row["grade"] for row in calibration] == [1, 2, 3, 4, 5]
    assert sum(row["n"] for row in calibration) == data["models"][0]["n"]
    for row in calibration:
        if row["n"] >= 100:  # simulated from the model itself: predictions match what happened
            assert abs(row["predicted"] - row["observed"]) < 0.08
    loss = {row["name"]: row["logloss"] for row in data["models"]}
    # the log was simulated from the default weights, so the default model must beat the baselines
    assert loss["flashtrain-default"] < min(loss["avg"], loss["sm2"], loss["leitner"], loss["hlr"])


def test_table_output_and_missing_fsrs(small_log, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "fsrs", None)  # `import fsrs` now fails like a missing package
    monkeypatch.setitem(sys.modules, "fsrs_rs_python", None)
    assert main(["bench", "scheduler", "--revlog", str(small_log)]) == 0
    captured = capsys.readouterr()
    assert "skipping fsrs6-default" in captured.err and "skipping fsrs6-fitted" in captured.err
    assert "fsrs6-default" not in captured.out and "fsrs6-fitted" not in captured.out
    assert "flashtrain-fitted" in captured.out and "leitner" in captured.out


def test_synthetic_fit_timing_json(capsys):
    assert main(["bench", "scheduler", "--synthetic", "2000", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reviews"] == 2000 and data["fit_seconds"] > 0
    assert set(data["before"]) == {"logloss", "rmse_bins"}


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.exists(), reason="shared real revlog not present")
def test_targets_on_the_shared_real_log(capsys):
    assert main(["bench", "scheduler", "--revlog", str(SHARED), "--scale", "anki", "--json"]) == 0
    loss = {row["name"]: row["logloss"] for row in json.loads(capsys.readouterr().out)["models"]}
    assert loss["flashtrain-fitted"] <= loss["fsrs6-default"]
    assert loss["flashtrain-fitted"] < min(loss["avg"], loss["sm2"], loss["hlr"], loss["leitner"])
    assert loss["flashtrain-default"] <= 1.03 * loss["fsrs6-default"]


def test_fsrs_rs_baseline_agrees_with_our_model_on_the_same_weights(tmp_path):
    """fsrs6-fitted predicts with fsrs-rs's own memory states; with FSRS-6 weights our vectorised
    model must give the same predictions (Anki's Again/Hard/Good/Easy are our 1/2/4/5)."""
    from flashtrain.bench.scheduler_bench import read_revlog

    histories = simulate_histories(DEFAULT_WEIGHTS, 3000, seed=5, reviews_per_card=10)
    log = write_csv(tmp_path / "anki.csv", histories, anki=True)
    arrays = optimizer.prepare(read_revlog(log, "anki"), CONFIG)
    assert not (arrays.grade == 3).any()
    train, _ = optimizer.time_split(arrays, 0.3)
    weights = baselines.fsrs6_rs_fit(arrays, train)
    assert len(weights) == 21 and weights != list(DEFAULT_WEIGHTS)
    ours = optimizer.predict(arrays, weights)[arrays.scored]
    theirs = baselines.fsrs6_rs_predict(arrays, weights)[arrays.scored]
    assert np.allclose(ours, theirs, atol=1e-4)
