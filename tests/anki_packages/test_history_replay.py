"""The states an Anki import stores are the ones `core.review` gives review by review (both dialects).

The collection is built with Anki's own library (lapses, relearning, manual reschedules, a suspended
card, several reviews in one day); its review times are then spread over months the way a real log
is, so the replay crosses day boundaries, long gaps and same-day steps.
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from anki_builders import Built, answer, build_collection, export, open_collection
from flashtrain.scheduler import core
from flashtrain.scheduler.core import MemoryState
from flashtrain.store.models import Card, CardState, ReviewLog
from flashtrain.services.imports import import_paths

pytestmark = pytest.mark.both_dialects
GAPS_MS = [600_000, 86_400_000, 3 * 86_400_000, 1_800_000, 9 * 86_400_000, 40_000, 30 * 86_400_000, 86_400_000 // 3]


def _spread_over_months(path) -> None:
    """Each card's reviews, in order, start ~a year ago and follow GAPS_MS (ids stay unique)."""
    col = open_collection(path)
    try:
        rows = col.db.all("SELECT id, cid FROM revlog ORDER BY cid, id")
        start = int(time.time() * 1000) - 365 * 86_400_000
        new_ids, previous_card, stamp = [], None, 0
        for n, (row_id, card_id) in enumerate(rows):
            if card_id != previous_card:
                previous_card, stamp, k = card_id, start + n * 7919, 0
            else:
                stamp += GAPS_MS[k % len(GAPS_MS)] + n
                k += 1
            new_ids.append((stamp, row_id))
        for new_id, row_id in new_ids:
            col.db.execute("UPDATE revlog SET id = ? WHERE id = ?", -new_id, row_id)
        col.db.execute("UPDATE revlog SET id = -id WHERE id < 0")
    finally:
        col.close()


@pytest.fixture(scope="module")
def spread_package(tmp_path_factory):
    folder = tmp_path_factory.mktemp("anki-replay")
    built = build_collection(folder / "col")
    _spread_over_months(built.path)
    return built, export(built, folder / "spread.apkg")


def _config(store):
    from flashtrain.services.settings import load_settings

    with store.sessions() as s:
        return load_settings(s).scheduler_config()


def _assert_same(got: MemoryState, want: MemoryState) -> None:
    assert (got.phase, got.step, got.reps, got.lapses, got.last_rating) == \
        (want.phase, want.step, want.reps, want.lapses, want.last_rating)
    assert (got.due, got.last_review) == (want.due, want.last_review)
    if want.stability is None:
        assert got.stability is None and got.difficulty is None
    else:
        assert got.stability == pytest.approx(want.stability, rel=1e-9)
        assert got.difficulty == pytest.approx(want.difficulty, rel=1e-9)


def _check_every_row(store) -> set[str]:
    """Replay each card's stored log one review at a time; compare every row and the card state."""
    config = _config(store)
    phases = set()
    with store.sessions() as s:
        logs = s.scalars(select(ReviewLog).order_by(ReviewLog.card_id, ReviewLog.reviewed_at, ReviewLog.id)).all()
        by_card: dict[int, list[ReviewLog]] = {}
        for log in logs:
            by_card.setdefault(log.card_id, []).append(log)
        for card_id, card_logs in by_card.items():
            state = MemoryState()
            for log in card_logs:
                after, record = core.review(state, log.rating, log.reviewed_at, config)
                if log.origin == "cram":
                    after = state
                _assert_same(MemoryState.from_dict(log.state_before), state)
                _assert_same(MemoryState.from_dict(log.state_after), after)
                if record.elapsed_days is None:
                    assert log.elapsed_days is None
                else:
                    assert log.elapsed_days == pytest.approx(record.elapsed_days, rel=1e-9)
                state = after
                phases.add(after.phase)
            stored = s.get(CardState, card_id)
            _assert_same(MemoryState(phase=stored.phase, stability=stored.stability, difficulty=stored.difficulty,
                                     due=stored.due, last_review=stored.last_review, reps=stored.reps,
                                     lapses=stored.lapses, step=stored.step, last_rating=stored.last_rating), state)
    return phases


def test_imported_states_equal_review_by_review_replay(store, spread_package):
    _built, package = spread_package
    reports = import_paths(store, [package])
    assert all(r.status == "imported" for r in reports), [r.error for r in reports]
    assert sum(r.reviews_added for r in reports) >= 16
    assert {"review", "relearning"} <= _check_every_row(store)


def test_reimport_merges_new_reviews_into_stored_history_and_cram_keeps_its_state(store, spread_package, tmp_path):
    built, package = spread_package
    import_paths(store, [package])
    with store.sessions() as s, s.begin():
        card_id = s.scalar(select(Card.id).where(Card.question.like("What is **2** + 2?%")))
        last = s.scalar(select(ReviewLog.reviewed_at).where(ReviewLog.card_id == card_id)
                        .order_by(ReviewLog.reviewed_at.desc()))
        # a drill of our own between the imported reviews: it must not move the schedule on replay
        s.add(ReviewLog(card_id=card_id, reviewed_at=last - timedelta(hours=1), rating=5, origin="cram",
                        state_before={}, state_after={}))
    copy = tmp_path / "col"
    shutil.copytree(built.path.parent, copy, ignore=shutil.ignore_patterns("*.apkg", "*.colpkg"))
    col = open_collection(copy / "collection.anki2")
    try:
        note = col.get_note(built.notes["basic"])
        col.sched.set_due_date([note.card_ids()[0]], "0")
        answer(col, note.card_ids()[0], 1)
    finally:
        col.close()
    reports = import_paths(store, [export(Built(copy / "collection.anki2"), tmp_path / "newer.apkg")])
    assert sum(r.reviews_added for r in reports) == 1
    _check_every_row(store)
    with store.sessions() as s:
        newest = s.scalars(select(ReviewLog).order_by(ReviewLog.reviewed_at.desc())).first()
        assert newest.rating == 1 and newest.reviewed_at > datetime.now(timezone.utc) - timedelta(minutes=5)
