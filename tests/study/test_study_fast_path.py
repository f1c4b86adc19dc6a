"""The fast paths give what the full paths give.

- Start-up (study/quickstart.py): the study service on a LiteStore (plain sqlite3, SQLAlchemy not
  loaded) against the same service on the SQLAlchemy store: same first card, same queue order,
  same state after every answer, on generated stores with the edge cases (buried siblings,
  suspended, retired, learning steps, a day boundary, the new-card limit reached part-way, cram).
- The queue's SQL ranking against the scheduler's own retrievability (core.retrievability).
- quickstart falls back to the usual path whenever the store needs something done first.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime, timedelta

import pytest
from study_factories import UTC, FakeClock

from flashtrain.scheduler import core
from flashtrain.services.study_db import sql_time
from flashtrain.store.engine import open_store
from flashtrain.store.lite import LiteStore
from flashtrain.study.queue import QueueSpec
from flashtrain.study.quickstart import quick_path, quick_study, ready_to_study
from flashtrain.study.service import StudyService

START = datetime(2025, 3, 10, 3, 40, tzinfo=UTC)  # 20 minutes before the 4 am day start (UTC zone)


def generate_store(path, seed: int, n_cards: int = 160) -> None:
    """A store with every kind of card the queue tells apart, written with plain SQL."""
    open_store(path).close()
    rng = random.Random(seed)
    stamp = lambda moment: sql_time(moment)  # noqa: E731
    with closing(sqlite3.connect(path)) as db, db:  # closed: the copies made of it hold everything
        for deck in (1, 2, 3):
            db.execute("INSERT INTO decks (id, name, description, tags, origin, trusted, created_at)"
                       " VALUES (?, ?, '', ?, 'imported', 0, ?)",
                       (deck, f"Deck {deck}", json.dumps(["shared"] if deck == 2 else []), stamp(START)))
        for card in range(1, n_cards + 1):
            note = (card + 1) // 2 if card % 3 else card  # two cards of one note (siblings) now and then
            key = f"n{note}#r" if card % 3 and card % 2 == 0 else f"n{note}"
            kind = "reversed" if key.endswith("#r") else rng.choice(("basic", "basic", "cloze"))
            question = "The {{c1::answer}} hides here" if kind == "cloze" else f"Question {card}?"
            retired = stamp(START - timedelta(days=1)) if rng.random() < 0.03 else None
            buried = (stamp(START + timedelta(hours=rng.choice((-2, 1, 30)))) if rng.random() < 0.06 else None)
            db.execute(
                "INSERT INTO cards (id, deck_id, source_line, key, kind, cloze_index, question, answer, tags, hints,"
                " content_hash, created_at, updated_at, retired_at, suspended, buried_until, flagged)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', 'h', ?, ?, ?, ?, ?, 0)",
                (card, 1 + card % 3, card, key, kind, 1 if kind == "cloze" else 0, question, f"Answer {card}.",
                 json.dumps(["tagged"] if card % 5 == 0 else []), stamp(START), stamp(START), retired,
                 int(rng.random() < 0.05), buried))
            roll = rng.random()
            if roll < 0.3:
                continue  # new
            if roll < 0.4:
                phase, due = rng.choice(("learning", "relearning")), START + timedelta(minutes=rng.randint(-30, 90))
            else:
                phase, due = "review", START + timedelta(hours=rng.randint(-300, 100))
            stability = rng.choice((0.4, 1.0, 2.5, 7.0, 30.0, 120.0))
            last = START - timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
            db.execute("INSERT INTO card_states (card_id, phase, stability, difficulty, due, last_review, reps,"
                       " lapses, step, last_rating) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (card, phase, stability, rng.uniform(2, 9), stamp(due), stamp(last), rng.randint(1, 9),
                        rng.randint(0, 3), rng.randint(0, 1), rng.randint(1, 5)))
        # new cards already introduced today: part of the daily budget is used
        for card in range(1, 4):
            db.execute("INSERT INTO review_log (card_id, reviewed_at, rating, elapsed_days, duration_ms, state_before,"
                       " state_after, origin) VALUES (?, ?, 3, NULL, 1000, ?, '{}', 'study')",
                       (card, stamp(START - timedelta(minutes=10)), json.dumps({"phase": "new"})))
        db.execute("INSERT INTO settings (key, value, updated_at) VALUES ('study.new_per_day', '7', ?)",
                   (stamp(START),))


def states(path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return (db.execute("SELECT * FROM card_states ORDER BY card_id").fetchall()
                + db.execute("SELECT id, suspended, buried_until, tags FROM cards ORDER BY id").fetchall()
                + db.execute("SELECT card_id, reviewed_at, rating, state_before, state_after, origin FROM review_log"
                             " ORDER BY id").fetchall()
                + db.execute("SELECT key, value FROM settings ORDER BY key").fetchall())


def lite_service(path, clock) -> tuple[LiteStore, StudyService]:
    lite = LiteStore(path, lambda: open_store(path))
    assert ready_to_study(lite)
    return lite, StudyService(lite, clock=clock, tz=UTC)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_start_and_full_store_study_identically(tmp_path, seed):
    generate_store(tmp_path / "fast.db", seed)
    shutil.copy(tmp_path / "fast.db", tmp_path / "full.db")
    clock_fast, clock_full = FakeClock(START), FakeClock(START)
    lite, fast = lite_service(tmp_path / "fast.db", clock_fast)
    full_store = open_store(tmp_path / "full.db")
    full = StudyService(full_store, clock=clock_full, tz=UTC)
    rng = random.Random(seed)
    specs = [QueueSpec(), QueueSpec(deck_ids=(2,)), QueueSpec(tag="shared"), QueueSpec(mode="cram", deck_ids=(1,))]
    try:
        assert fast.remaining() == full.remaining() > 0
        steps = 0
        for step in range(150):
            spec = specs[0] if step % 9 else specs[(step // 9) % len(specs)]
            a, b = fast.next_card(spec), full.next_card(spec)
            assert (a and a.card_id) == (b and b.card_id), f"step {step}"
            if a is None:
                break
            assert a == b
            rating = rng.choice((1, 3, 4, 5))
            fast.rate(a.card_id, rating, 1000, origin=spec.origin)
            full.rate(b.card_id, rating, 1000, origin=spec.origin)
            if step % 13 == 5:
                assert fast.undo_last() == full.undo_last()
            if step % 17 == 3:
                fast.bury(a.card_id), full.bury(b.card_id)
            for clock in (clock_fast, clock_full):
                clock.advance(minutes=3)  # crosses the 4 am day start after seven answers
            assert fast.remaining() == full.remaining()
            steps += 1
        assert steps > 40
        assert states(tmp_path / "fast.db") == states(tmp_path / "full.db")
        assert "sqlalchemy" in sys.modules  # (the full store): the fast one's absence is tested below
    finally:
        lite.close()
        full_store.close()


def test_due_reviews_are_ranked_as_the_scheduler_predicts_recall(tmp_path):
    generate_store(tmp_path / "s.db", seed=4, n_cards=300)
    clock = FakeClock(START + timedelta(hours=1))
    lite, service = lite_service(tmp_path / "s.db", clock)
    try:
        config = service.scheduler_config()
        with sqlite3.connect(tmp_path / "s.db") as db:
            due = [card_id for (card_id,) in db.execute(
                "SELECT cs.card_id FROM card_states cs JOIN cards c ON c.id = cs.card_id WHERE cs.phase = 'review'"
                " AND cs.due < ? AND c.retired_at IS NULL AND c.suspended = 0"
                " AND (c.buried_until IS NULL OR c.buried_until <= ?)",
                (sql_time(START + timedelta(days=1)), sql_time(clock.now)))]
        expected = sorted(due, key=lambda c: (core.retrievability(service.card(c).state, clock.now, config),
                                              service.card(c).state.due, c))
        shown, reviews = [], []
        while (card := service.next_card(QueueSpec(), exclude=set(shown))) is not None:
            shown.append(card.card_id)
            if card.state.phase == "review":
                reviews.append(card.card_id)
        assert reviews == expected and len(reviews) > 20
    finally:
        lite.close()


def test_new_cards_stop_at_the_daily_limit_on_both_paths(tmp_path):
    generate_store(tmp_path / "s.db", seed=5)
    with closing(sqlite3.connect(tmp_path / "s.db")) as db, db:
        db.execute("DELETE FROM card_states WHERE phase != 'review'")  # no learning cards in the way
        db.execute("UPDATE card_states SET due = ? ", (sql_time(START + timedelta(days=5)),))
    shutil.copy(tmp_path / "s.db", tmp_path / "full.db")
    lite, fast = lite_service(tmp_path / "s.db", FakeClock(START - timedelta(hours=2)))
    full_store = open_store(tmp_path / "full.db")
    full = StudyService(full_store, clock=FakeClock(START - timedelta(hours=2)), tz=UTC)
    try:
        shown = {fast: [], full: []}
        for service in (fast, full):
            while (card := service.next_card()) is not None and card.state.phase == "new":
                shown[service].append(card.card_id)
                service.rate(card.card_id, 5)
            assert service.new_budget().left == 0  # 7 a day, three introduced earlier today
            assert service.new_budget().introduced == 7
        assert shown[fast] == shown[full] and len(shown[fast]) >= 4
    finally:
        lite.close()
        full_store.close()


def test_quick_start_shows_the_first_card_without_loading_the_heavy_modules(tmp_path):
    generate_store(tmp_path / "s.db", seed=6)
    code = ("import sys, json\n"
            "from flashtrain.study.quickstart import quick_study\n"
            f"quick = quick_study({str(tmp_path / 's.db')!r})\n"
            "print(json.dumps({'card': quick.first.card_id, 'loaded': sorted(m for m in ('sqlalchemy', 'alembic',"
            " 'numpy', 'markdown_it', 'textual', 'scipy') if m in sys.modules)}))\n")
    env = os.environ | {"FLASHTRAIN_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["loaded"] == []
    store = open_store(tmp_path / "s.db")
    try:
        assert result["card"] == StudyService(store).next_card().card_id
    finally:
        store.close()


def test_quick_start_falls_back_when_the_store_needs_something_first(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASHTRAIN_STATE_DIR", str(tmp_path / "state"))
    path = tmp_path / "s.db"
    assert quick_study(path) is None  # no file
    open_store(path).close()
    assert quick_study(path) is None  # no deck yet: first use imports the bundled decks
    generate_store(tmp_path / "g.db", seed=7)
    assert quick_study(tmp_path / "g.db") is not None
    assert quick_path("postgresql+psycopg://u@localhost/db") is None
    assert quick_path(f"sqlite:///{tmp_path / 'g.db'}") is None  # URLs go the usual way
    with sqlite3.connect(tmp_path / "g.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '0004'")
    assert quick_study(tmp_path / "g.db") is None  # a migration to run first
    with sqlite3.connect(tmp_path / "g.db") as db:
        from flashtrain.store.migrate import HEAD_REVISION

        db.execute("UPDATE alembic_version SET version_num = ?", (HEAD_REVISION,))
    lite = LiteStore(tmp_path / "g.db", lambda: None)
    from flashtrain.study.journal import journal_paths

    journal = journal_paths(lite)[0]
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text("{}\n")
    assert quick_study(tmp_path / "g.db") is None  # ratings to replay first
    journal.unlink()
    (tmp_path / "foreign.db").write_bytes(b"not a database at all" * 100)
    assert quick_study(tmp_path / "foreign.db") is None


def test_a_rating_on_the_fast_path_waits_out_a_locked_store_and_keeps_it(tmp_path, monkeypatch):
    """The fast path's sqlite3 errors go through the same retries (and journal) as the full path's."""
    monkeypatch.setenv("FLASHTRAIN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("FLASHTRAIN_STORE_WAIT", "0.3")
    generate_store(tmp_path / "s.db", seed=8)
    lite, service = lite_service(tmp_path / "s.db", FakeClock(START))
    try:
        card = service.next_card()
        blocker = sqlite3.connect(tmp_path / "s.db", timeout=0)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock throughout
        outcome = service.rate_detailed(card.card_id, 4)
        blocker.rollback()
        blocker.close()
        assert outcome.log_id == 0 and outcome.journal_path is not None  # kept, not lost
        assert service.take_notices()
        assert service.replay_journal() == (1, 0)
        with sqlite3.connect(tmp_path / "s.db") as db:
            assert db.execute("SELECT COUNT(*) FROM review_log WHERE card_id = ?", (card.card_id,)).fetchone()[0] >= 1
    finally:
        lite.close()


def test_the_fast_store_reuses_its_connections_across_threads(tmp_path):
    """The study app asks from short-lived worker threads: connections go back to a pool, not leak."""
    import threading

    generate_store(tmp_path / "s.db", seed=9)
    lite, service = lite_service(tmp_path / "s.db", FakeClock(START))
    try:
        for _ in range(30):
            worker = threading.Thread(target=service.next_card)
            worker.start()
            worker.join()
        assert 1 <= len(lite._connections) <= 2
    finally:
        lite.close()
