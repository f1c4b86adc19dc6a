"""A large import writes its new cards in short batches (store/staging.py) and is still all or
nothing: the same cards as one transaction, nothing visible before the end, nothing left behind
by a failed or killed import, and a rating made while it runs is saved."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

import flashtrain.services.imports as imports
import flashtrain.store.staging as staging
from flashtrain.services.imports import import_file
from flashtrain.store.engine import open_store
from flashtrain.store.models import Card, Deck, ReviewLog, SourceFile
from flashtrain.study.service import StudyService

from faultlab import deck_text, fingerprint

ROOT = Path(__file__).resolve().parents[2]


def stored_cards(store) -> list[tuple]:
    with store.sessions() as session:
        rows = session.execute(select(Card.key, Card.question, Card.answer, Card.tags, Card.hints, Card.source_line,
                                      Card.content_hash, Card.retired_at.is_(None), SourceFile.path, Deck.name)
                               .join(SourceFile, Card.source_id == SourceFile.id).join(Deck, Card.deck_id == Deck.id)
                               .order_by(Card.key)).all()
    return [tuple(row) for row in rows]


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(staging, "BATCH", 7)
    monkeypatch.setattr(imports, "BATCH", 7)
    monkeypatch.setattr(staging, "HOLD_SECONDS", 0)  # one batch per transaction


def test_staged_import_gives_the_same_cards_as_one_transaction(tmp_path, monkeypatch):
    deck = tmp_path / "deck.md"
    deck.write_text(deck_text(40, "Batched"))
    whole = open_store(tmp_path / "whole.db")
    assert import_file(whole, deck, source_key="deck").added == 40
    monkeypatch.setattr(staging, "BATCH", 7)
    monkeypatch.setattr(imports, "BATCH", 7)
    monkeypatch.setattr(staging, "HOLD_SECONDS", 0)  # one batch per transaction
    batched = open_store(tmp_path / "batched.db")
    report = import_file(batched, deck, source_key="deck")
    assert (report.status, report.added) == ("imported", 40)
    assert stored_cards(batched) == stored_cards(whole)
    with batched.sessions() as session:  # no marker left, the deck's creation time is real
        assert session.scalars(select(SourceFile.path)).all() == ["deck"]
        assert session.scalar(select(Deck.created_at)).year > 2000
    # A changed file adding many cards to the existing deck and source is staged too.
    deck.write_text(deck_text(90, "Batched"))
    for store in (whole, batched):
        monkeypatch.setattr(staging, "BATCH", 7 if store is batched else 10_000)
        monkeypatch.setattr(imports, "BATCH", 7 if store is batched else 10_000)
        again = import_file(store, deck, source_key="deck")
        assert (again.added, again.unchanged) == (50, 40)
    assert stored_cards(batched) == stored_cards(whole)


def test_an_import_failing_after_some_batches_leaves_the_store_as_it_was(store, tmp_path, small_batches,
                                                                         monkeypatch):
    seed = tmp_path / "seed.md"
    seed.write_text(deck_text(5, "Seed"))
    import_file(store, seed)
    before = fingerprint(store)
    add = staging.Staging.add

    def add_then_fail(self, sql, rows):
        add(self, sql, rows[:20])  # three batches are committed ...
        raise OSError("disk gone")  # ... then the import dies

    monkeypatch.setattr(staging.Staging, "add", add_then_fail)
    for name in ("new", "Seed"):  # a new deck, and more cards for an existing one
        deck = tmp_path / f"{name}.md"
        deck.write_text(deck_text(30, name))
        with pytest.raises(OSError):
            import_file(store, deck)
        assert fingerprint(store) == before


def test_staged_cards_are_invisible_and_a_killed_import_is_cleaned_up_on_next_open(store, tmp_path):
    seed = tmp_path / "seed.md"
    seed.write_text(deck_text(5, "Seed"))
    import_file(store, seed)
    before = fingerprint(store)
    deck = tmp_path / "big.md"
    deck.write_text(deck_text(30, "Big"))
    # A real process stages every batch and is killed (SIGKILL) just before it would publish them.
    script = textwrap.dedent(f"""
        import os, signal
        import flashtrain.services.imports as imports, flashtrain.store.staging as staging
        from pathlib import Path
        from flashtrain.store.engine import open_store
        staging.BATCH = imports.BATCH = 7
        staging.HOLD_SECONDS = 0
        staging.Staging.commit = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
        imports.import_file(open_store({str(store.path)!r}), Path({str(deck)!r}))
    """)
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    with store.sessions() as session:  # staged, but nobody sees them
        assert session.scalar(select(func.count()).select_from(Card).where(Card.deck_id.in_(
            select(Deck.id).where(Deck.name == "Big")), Card.retired_at.is_(None))) == 0
        assert session.scalar(select(func.count()).select_from(Card)) == 35
    reopened = open_store(store.path)
    assert fingerprint(reopened) == before
    assert import_file(reopened, deck).added == 30  # and the file imports whole next time
    reopened.close()


def test_an_import_killed_after_its_commit_is_finished_on_next_open(store, tmp_path):
    """Killed while its committed cards go live batch by batch: the next open shows them all."""
    deck = tmp_path / "big.md"
    deck.write_text(deck_text(30, "Big"))
    script = textwrap.dedent(f"""
        import os, signal
        import flashtrain.services.imports as imports, flashtrain.store.staging as staging
        from pathlib import Path
        from flashtrain.store.engine import open_store
        staging.BATCH = imports.BATCH = 7
        staging.HOLD_SECONDS = 0
        batch, done = staging.publish_batch, []
        def one_then_die(*args):
            if done:
                os.kill(os.getpid(), signal.SIGKILL)
            done.append(batch(*args))
            return done[-1]
        staging.publish_batch = one_then_die
        imports.import_file(open_store({str(store.path)!r}), Path({str(deck)!r}))
    """)
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    with store.sessions() as session:  # the first batch is visible, the rest not yet
        assert session.scalar(select(func.count()).select_from(Card).where(Card.retired_at.is_(None))) == 7
    reopened = open_store(store.path)
    with reopened.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Card).where(Card.retired_at.is_(None))) == 30
        assert session.scalars(select(SourceFile.path)).all() == [str(deck.resolve())]
    assert import_file(reopened, deck).status == "unchanged"
    reopened.close()


def test_a_rating_made_while_an_import_runs_is_saved(store, tmp_path):
    """The import process stops between two of its batches (it waits for a file we create), we rate
    a card meanwhile, then let it finish: the rating and every imported card are there."""
    seed = tmp_path / "seed.md"
    seed.write_text(deck_text(3, "Seed"))
    import_file(store, seed)
    deck = tmp_path / "big.md"
    deck.write_text(deck_text(40, "Big"))
    ready, go = tmp_path / "ready", tmp_path / "go"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        import flashtrain.services.imports as imports, flashtrain.store.staging as staging
        from flashtrain.store.engine import open_store
        staging.BATCH = imports.BATCH = 7
        staging.HOLD_SECONDS = 0
        add = staging.Staging.add
        def paused(self, sql, rows):
            add(self, sql, rows[:14])
            Path({str(ready)!r}).touch()
            while not Path({str(go)!r}).exists():
                time.sleep(0.02)
            add(self, sql, rows[14:])
        staging.Staging.add = paused
        report = imports.import_file(open_store({str(store.path)!r}), Path({str(deck)!r}))
        print(report.status, report.added)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        while not ready.exists():
            assert child.poll() is None, child.communicate()
            time.sleep(0.02)
        service = StudyService(store)
        card = service.next_card()
        service.rate(card.card_id, 4)
    finally:
        go.touch()
    out, err = child.communicate(timeout=600)
    assert child.returncode == 0 and out.split() == ["imported", "40"], err
    with store.sessions() as session:
        assert session.scalars(select(ReviewLog.card_id)).all() == [card.card_id]
        assert session.scalar(select(func.count()).select_from(Card).where(Card.retired_at.is_(None))) == 43


def test_an_import_pauses_the_cycle_collector_and_gives_it_back(tmp_path, monkeypatch):
    import gc

    deck = tmp_path / "deck.md"
    deck.write_text(deck_text(5, "Collector"))
    store = open_store(tmp_path / "c.db")
    seen = []
    parse = imports.parse_text

    def parse_and_look(*args):
        seen.append(gc.isenabled())
        return parse(*args)

    monkeypatch.setattr(imports, "parse_text", parse_and_look)
    assert gc.isenabled()
    assert import_file(store, deck).added == 5
    assert seen == [False] and gc.isenabled()
    gc.disable()  # off before (the study app's start-up): still off after
    try:
        deck.write_text(deck_text(6, "Collector"))
        assert import_file(store, deck).added == 1
        assert not gc.isenabled()
    finally:
        gc.enable()
    store.close()
