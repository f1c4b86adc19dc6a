"""`flashtrain store copy`: a whole store SQLite -> PostgreSQL -> SQLite, checked, nothing lost."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from flashtrain.cli import main
from flashtrain.services.store_admin import content_checksum, row_counts
from flashtrain.store.engine import open_store
from flashtrain.store.models import Attempt, Card, Deck, MediaFile, ReviewLog, Setting
from flashtrain.study.service import StudyService

UTC = timezone.utc


def fill(path) -> dict[str, int]:
    """A small store with something in every table: decks, cards, states, log, settings, trust, attempts."""
    store = open_store(path)
    with store.sessions.begin() as s:
        deck = Deck(name="Optimizers", trusted=True, tags=["opt"])
        s.add(deck)
        s.flush()
        for i in range(30):
            s.add(Card(deck_id=deck.id, key=f"k{i}", question=f"Q {i} — β₁?", answer=f"A {i}", tags=["adam"],
                       hints=["h"], content_hash=f"h{i}", snippet_id="adam_update" if i == 0 else None))
        s.add(Setting(key="settings.desired_retention", value=0.85))
        s.add(MediaFile(name="plot.png", sha1="0" * 40, size=4, data=b"\x89PNG"))
    clock = [datetime(2026, 1, 5, 9, 0, tzinfo=UTC)]
    service = StudyService(store, clock=lambda: clock[0], tz=UTC)
    with store.sessions() as s:
        ids = list(s.scalars(select(Card.id).order_by(Card.id)))
    for step, card_id in enumerate(ids[:20]):
        clock[0] += timedelta(minutes=3)
        service.rate(card_id, 1 + step % 5, duration_ms=3000 + step)
    with store.sessions.begin() as s:
        s.add(Attempt(card_id=ids[0], snippet_id="adam_update", status="pass", passed=3, total=3, code="def f(): ..."))
    counts = row_counts(store)
    store.close()
    return counts


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_round_trip_through_postgresql_keeps_every_row(tmp_path, pg_databases, capsys):
    source = tmp_path / "laptop.db"
    counts = fill(source)
    assert all(counts[name] for name in ("decks", "cards", "card_states", "review_log", "settings", "attempts",
                                         "media_files"))
    server = pg_databases.fresh("copy_target", blank=True)
    code, out, err = run(capsys, "store", "copy", str(source), server, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["rows"] == counts and "***" in report["target"]
    back = tmp_path / "backup.db"
    code, out, err = run(capsys, "store", "copy", server, str(back))
    assert code == 0, err and "checksum match" in out
    original, returned = open_store(source), open_store(back)
    assert content_checksum(original) == content_checksum(returned) == report["checksum"]
    original.close()
    returned.close()


def test_the_copy_on_the_server_takes_new_ratings(tmp_path, pg_databases, capsys):
    source = tmp_path / "laptop.db"
    before = fill(source)
    server = pg_databases.fresh("copy_target", blank=True)
    assert run(capsys, "store", "copy", str(source), server)[0] == 0
    store = open_store(server)
    service = StudyService(store)
    card = service.next_card()
    service.rate(card.card_id, 4)  # ids continue after the copied ones: no key collision
    with store.sessions.begin() as s:
        s.add(Deck(name="New on the server"))
    assert row_counts(store)["review_log"] == before["review_log"] + 1
    store.close()


@pytest.mark.both_dialects
def test_a_target_with_data_is_refused_unless_replace(tmp_path, store_target, capsys):
    source = tmp_path / "a.db"
    counts = fill(source)
    target = str(store_target("copy_target"))
    other = tmp_path / "other.db"
    fill(other)
    assert run(capsys, "store", "copy", str(other), target)[0] == 0
    code, _, err = run(capsys, "store", "copy", str(source), target)
    assert code == 1 and "already holds data" in err and "--replace" in err
    code, _, err = run(capsys, "store", "copy", str(source), target, "--replace")
    assert code == 0, err
    store = open_store(target)
    assert row_counts(store) == counts
    store.close()


def test_a_missing_source_or_the_same_store_is_an_error(tmp_path, capsys):
    code, _, err = run(capsys, "store", "copy", str(tmp_path / "nope.db"), str(tmp_path / "b.db"))
    assert code == 1 and "no store there" in err and not (tmp_path / "b.db").exists()
    fill(tmp_path / "a.db")
    code, _, err = run(capsys, "store", "copy", str(tmp_path / "a.db"), f"sqlite:///{tmp_path / 'a.db'}")
    assert code == 2 and "same store" in err


def test_checksum_sees_a_changed_value(tmp_path):
    fill(tmp_path / "a.db")
    store = open_store(tmp_path / "a.db")
    before = content_checksum(store)
    with store.sessions.begin() as s:
        s.scalars(select(ReviewLog).limit(1)).one().rating = 5 if s.scalars(
            select(ReviewLog.rating).limit(1)).one() != 5 else 4
    assert content_checksum(store) != before
    store.close()
