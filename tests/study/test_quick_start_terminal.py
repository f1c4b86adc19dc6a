"""`flashtrain study` on a real pseudo-terminal: the fast start paints the first card, the app then
draws it, takes keys and quits cleanly; and the generated bench stores hold what they promise."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from contextlib import closing
from datetime import datetime, timezone

import pytest

from flashtrain.bench.bench_store import build, default_reviews
from flashtrain.bench.pty_timing import APP_STARTED, time_until_text, visible
from flashtrain.bench.sizes import count
from flashtrain.cli.quick import study_db_argument
from flashtrain.store.lite import LiteStore
from flashtrain.study.quickstart import quick_study
from flashtrain.study.service import StudyService


@pytest.fixture(scope="module")
def bench_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "store.db"
    build(path, 500, 5000, datetime.now(timezone.utc))
    return path


def test_generated_store_holds_the_promised_cards(bench_db):
    with closing(sqlite3.connect(bench_db)) as db:
        cards, twins, suspended = db.execute(
            "SELECT COUNT(*), SUM(kind = 'reversed'), SUM(suspended) FROM cards").fetchone()
        studied, learning = db.execute("SELECT COUNT(*), SUM(phase = 'learning') FROM card_states").fetchone()
        reviews = db.execute("SELECT COUNT(*) FROM review_log").fetchone()[0]
        keys = dict(db.execute("SELECT id, key FROM cards WHERE id IN (9, 10)").fetchall())
    assert (cards, twins, suspended, studied) == (500, 50, 3, 400)  # suspended: 7, 207, 407
    assert 0 < learning < 40 and reviews == 400 * 12
    assert keys == {9: "q:bench9", 10: "q:bench9#r"}  # siblings: one note, two cards


def test_sizes_and_the_study_command_line():
    assert [count(t) for t in ("10k", "100k", "1M", "9.6M", "2500")] == [10_000, 100_000, 1_000_000, 9_600_000, 2500]
    with pytest.raises(argparse.ArgumentTypeError):
        count("lots")
    assert default_reviews(100_000) == 1_000_000 and default_reviews(1_000_000) == 9_600_000
    assert study_db_argument(["study"]) == (True, None)
    assert study_db_argument(["--db", "x.db", "study"]) == (True, "x.db")
    assert study_db_argument(["study", "--db=y.db"]) == (True, "y.db")
    assert study_db_argument(["study", "--plain"])[0] is False
    assert study_db_argument(["study", "--deck", "A"])[0] is False
    assert study_db_argument([])[0] is False


def test_study_on_a_terminal_paints_the_first_card_then_the_app_takes_over(bench_db, tmp_path):
    store = LiteStore(bench_db, lambda: None)
    try:
        card = StudyService(store).next_card()
    finally:
        store.close()
    words = card.front.split(":")[0]  # "Bench question N"
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path),
               FLASHTRAIN_STATE_DIR=str(tmp_path / "state"))
    env.pop("FLASHTRAIN_DB", None)
    timing = time_until_text([sys.executable, "-m", "flashtrain", "--db", str(bench_db), "study"], words, env,
                             timeout=300)
    assert timing.first_text is not None and timing.app_text is not None, visible(timing.output)[-2000:]
    before_app = timing.output[:timing.output.find(APP_STARTED)]
    assert words in visible(before_app)  # painted before Textual started: the fast path was taken
    assert "Traceback" not in visible(timing.output)


def test_quick_study_needs_no_sqlalchemy_on_a_generated_store(bench_db, monkeypatch, tmp_path):
    monkeypatch.setenv("FLASHTRAIN_STATE_DIR", str(tmp_path / "state"))
    quick = quick_study(bench_db)
    try:
        assert quick is not None and quick.first is not None
        assert quick.first.card_id == quick.service.next_card().card_id
    finally:
        quick.store.close()
