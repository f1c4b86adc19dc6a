"""Data helpers for the TUI-area tests (imported by conftest.py and the tests)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

from flashtrain.store.engine import open_store
from flashtrain.store.models import Attempt, Card, CardState, ReviewLog
from flashtrain.services.imports import BUNDLED_PREFIX, import_file

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
SIZE = (80, 24)

# two picture cards: the first names img/plot.png (a test writes it), the second a file that is missing
PICTURE_DECK = """---
name: Pictures
---

Q: What does the plot show?

![a rising line](img/plot.png)

A: A line going up.

---

Q: Which network is drawn here?

![the LeNet-5 diagram](img/lenet.png)

A: LeNet-5.
"""


# -- running the app under a pilot ------------------------------------------------------------------
def make_app(store, **kwargs):
    from flashtrain.study.service import StudyService
    from flashtrain.tui.app import FlashtrainApp

    return FlashtrainApp(store, StudyService(store, clock=lambda: NOW), **kwargs)


async def settle(app, pilot, delay: float = 0.05) -> None:
    """Wait until no worker is running, then let the screen refresh.

    A worker the app cancels on purpose (an exclusive fetch-ahead replaced by a newer one, which
    happens more often on a busy machine) is not a failure; a worker that raised is."""
    import asyncio

    from textual.worker import WorkerFailed, WorkerState

    for _ in range(200):  # a finishing worker may start the next one
        running = [w for w in app.workers if not w.is_finished]
        if not running:
            break
        started = [w.wait() for w in running if w.state != WorkerState.PENDING]
        for outcome in await asyncio.gather(*started, return_exceptions=True):
            if isinstance(outcome, WorkerFailed):
                raise outcome
        await asyncio.sleep(0.01)
    await pilot.pause(delay)


async def press(app, pilot, *keys: str, delay: float = 0.05) -> None:
    """Press the keys, then wait for the workers they started."""
    await pilot.press(*keys)
    await settle(app, pilot, delay)


@asynccontextmanager
async def running(store, size=SIZE, **kwargs):
    """The app on `store`, started and settled: `async with running(store) as (app, pilot)`."""
    app = make_app(store, **kwargs)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        yield app, pilot


# -- stores imported from deck files ----------------------------------------------------------------
def store_from_deck(tmp_path, text: str, name: str = "deck.md"):
    """A store holding one Markdown deck file written from `text`; returns (store, path)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    store = open_store(tmp_path / f"{path.stem}.db")
    assert import_file(store, path).error is None
    return store, path


def bundled_store_from_deck(tmp_path, monkeypatch, text: str, name: str = "tiny.md"):
    """A deck imported the way bundled decks are (source 'bundled:<name>'), from a folder that stands
    in for the install's cards/ directory; returns (store, path)."""
    import flashtrain.paths

    folder = tmp_path / "install-cards"
    folder.mkdir()
    path = folder / name
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(flashtrain.paths, "bundled_cards_dir", lambda: folder)
    store = open_store(tmp_path / "bundled.db")
    assert import_file(store, path, origin="bundled", source_key=BUNDLED_PREFIX + name).error is None
    return store, path


# -- rows written through the ORM -------------------------------------------------------------------


def add_card(session, deck, question, answer="An answer.", *, key=None, tags=(), hints=(), snippet_id=None,
             state=None, suspended=False, flagged=False, retired=False, source_id=None, source_line=0,
             explicit_id=None):
    card = Card(deck_id=deck.id, key=key or f"q:{abs(hash(question))}", question=question, answer=answer,
                tags=list(tags), hints=list(hints), snippet_id=snippet_id, content_hash="h", suspended=suspended,
                flagged=flagged, retired_at=NOW if retired else None, source_id=source_id,
                source_line=source_line, explicit_id=explicit_id, created_at=NOW - timedelta(days=60),
                updated_at=NOW - timedelta(days=60))
    session.add(card)
    session.flush()
    if state:
        session.add(CardState(card_id=card.id, **state))
    return card


def review_state(days_ago_reviewed, due_in_days, stability=10.0, lapses=0, reps=3, last_rating=4, phase="review"):
    return dict(phase=phase, stability=stability, difficulty=5.0, due=NOW + timedelta(days=due_in_days),
                last_review=NOW - timedelta(days=days_ago_reviewed), reps=reps, lapses=lapses, step=0,
                last_rating=last_rating)


def add_reviews(store, rows, origin: str = "study"):
    """rows: (card_id, reviewed_at, rating, elapsed_days, duration_ms, phase_before)."""
    with store.sessions.begin() as session:
        for card_id, at, rating, elapsed, duration, phase in rows:
            session.add(ReviewLog(card_id=card_id, reviewed_at=at, rating=rating, elapsed_days=elapsed,
                                  duration_ms=duration, state_before={"phase": phase}, state_after={},
                                  origin=origin))


def add_attempts(store, rows):
    """rows: (card_id, snippet_id, status)."""
    with store.sessions.begin() as session:
        for card_id, snippet_id, status in rows:
            session.add(Attempt(card_id=card_id, snippet_id=snippet_id, status=status, passed=1, total=2,
                                duration_ms=10, code="", created_at=NOW))
