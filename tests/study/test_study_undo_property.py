"""Property: any sequence of ratings (study and cram, with leeches) undone in full restores the store."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from study_factories import START, UTC, FakeClock, add_deck, set_state

from flashtrain.store.engine import open_store
from flashtrain.study.service import StudyService
from flashtrain.services.settings import save_setting

TABLES = ("cards", "card_states", "review_log", "settings")


def snapshot(store) -> dict[str, list[tuple]]:
    with store.engine.connect() as connection:
        return {t: [tuple(r) for r in connection.execute(text(f"SELECT * FROM {t} ORDER BY 1"))] for t in TABLES}


def fresh_store():
    store = open_store(":memory:")
    ids = add_deck(store, "A", 3)
    # one card already reviewed, close to the (lowered) leech threshold
    set_state(store, ids[1], stability=4.0, difficulty=6.5, last_review=START - timedelta(days=6),
              due=START - timedelta(days=1), lapses=1, reps=5)
    with store.sessions.begin() as s:
        save_setting(s, "leech_threshold", 2)
    return store, ids


step = st.tuples(st.integers(0, 2), st.integers(1, 5), st.sampled_from(["study", "study", "cram"]),
                 st.integers(0, 60 * 24 * 3))


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(step, min_size=1, max_size=12), keep=st.integers(0, 12))
def test_ratings_then_undos_restore_exact_snapshot(steps, keep):
    store, ids = fresh_store()
    clock = FakeClock()
    keep = min(keep, len(steps))
    snapshots = [snapshot(store)]
    service = StudyService(store, clock=clock, tz=UTC)
    for card_index, rating, origin, minutes in steps:
        clock.advance(minutes=minutes)
        service.rate(ids[card_index], rating, duration_ms=minutes, origin=origin)
        snapshots.append(snapshot(store))
    # undo back to `keep` ratings with this service, the rest with a restarted one
    for expected in reversed(snapshots[keep:-1]):
        assert service.undo_last() is not None
        assert snapshot(store) == expected
    restarted = StudyService(store, clock=clock, tz=UTC)
    for expected in reversed(snapshots[:keep]):
        assert restarted.undo_last() is not None
        assert snapshot(store) == expected
    assert restarted.undo_last() is None
    store.close()
