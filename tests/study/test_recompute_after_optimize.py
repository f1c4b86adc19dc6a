"""After optimizing, every card's memory state is the replay of its history with the new weights."""

from __future__ import annotations

import json
import random
from datetime import timedelta, timezone

import pytest
from sqlalchemy import select
from study_factories import FakeClock, add_deck

from flashtrain.cli import main
from flashtrain.scheduler.core import DEFAULT_WEIGHTS, MemoryState, SchedulerConfig, review, study_day
from flashtrain.store.engine import open_store
from flashtrain.store.models import CardState, ReviewLog
from flashtrain.services.recompute import recompute_states
from flashtrain.study.service import StudyService, state_from_row
from flashtrain.services.settings import load_settings, save_setting

UTC = timezone.utc
NEW_WEIGHTS = list(DEFAULT_WEIGHTS)
NEW_WEIGHTS[0:4] = [0.5, 2.5, 5.0, 15.0]
NEW_WEIGHTS[8], NEW_WEIGHTS[20] = 2.2, 0.3
NEW_WEIGHTS = tuple(NEW_WEIGHTS)


def study(store, ids, days=40, seed=1):
    """A learner who studies every card as it falls due for `days` days through the real service."""
    rng = random.Random(seed)
    clock = FakeClock()
    service = StudyService(store, clock=clock, tz=UTC)
    for _ in range(days):
        for card_id in ids:
            with store.sessions.begin() as s:
                state = state_from_row(s.get(CardState, card_id))
            if state.due is None or state.due <= clock.now:
                service.rate(card_id, rng.choice([1, 2, 3, 4, 4, 5]))
        clock.advance(days=1)
    return clock


@pytest.fixture
def studied(tmp_path):
    store = open_store(tmp_path / "s.db")
    ids = add_deck(store, "D", 25)
    study(store, ids)
    yield store, ids
    store.close()


def replay(store, card_id, config):
    with store.sessions.begin() as s:
        rows = s.execute(select(ReviewLog.reviewed_at, ReviewLog.rating).where(ReviewLog.card_id == card_id)
                         .where(ReviewLog.origin != "cram").order_by(ReviewLog.reviewed_at)).all()
    state = MemoryState()
    for when, rating in rows:
        state, _ = review(state, rating, when, config)
    return state


def states(store):
    with store.sessions.begin() as s:
        return {row.card_id: state_from_row(row) for row in s.scalars(select(CardState))}


@pytest.mark.parametrize("policy", ["all", "changed", "none"])
def test_states_become_the_replay_with_new_weights(studied, policy):
    store, ids = studied
    before = states(store)
    config = SchedulerConfig(weights=NEW_WEIGHTS, tz=UTC)
    summary = recompute_states(store, config, policy)
    after = states(store)
    assert summary.cards == len(ids) and summary.memory_updated == len(ids)
    moved = 0
    for card_id in ids:
        expected = replay(store, card_id, config)
        assert after[card_id].stability == pytest.approx(expected.stability, rel=1e-9)
        assert after[card_id].difficulty == pytest.approx(expected.difficulty, rel=1e-9)
        # only the memory and the due date change: phase, counts and last review stay
        assert (after[card_id].phase, after[card_id].reps, after[card_id].lapses, after[card_id].last_review) == \
            (before[card_id].phase, before[card_id].reps, before[card_id].lapses, before[card_id].last_review)
        if after[card_id].due != before[card_id].due:
            moved += 1
            assert policy != "none" and before[card_id].phase == "review"
            assert after[card_id].due.hour == 4
    assert moved == summary.rescheduled
    if policy == "all":
        assert moved > 0
        for card_id in ids:
            if before[card_id].phase == "review":
                days = (study_day(after[card_id].due, config) - study_day(after[card_id].last_review, config)).days
                expected = replay(store, card_id, config)
                assert days == (study_day(expected.due, config) - study_day(expected.last_review, config)).days \
                    or expected.phase != "review"
    if policy == "none":
        assert moved == 0


def test_changed_policy_leaves_intervals_within_the_fuzz_alone(studied):
    store, ids = studied
    # the same weights again: nothing to move, nothing to update
    summary = recompute_states(store, SchedulerConfig(tz=UTC), "changed")
    assert summary.rescheduled == 0 and summary.memory_updated == 0
    # a small change in the weights moves fewer due dates than rescheduling everything would
    nudged = list(DEFAULT_WEIGHTS)
    nudged[8] *= 1.03
    small = recompute_states(store, SchedulerConfig(weights=tuple(nudged), tz=UTC), "changed")
    assert small.memory_updated > 0 and small.rescheduled < small.cards


def test_undo_of_the_next_rating_restores_the_recomputed_state(studied):
    store, ids = studied
    recompute_states(store, SchedulerConfig(weights=NEW_WEIGHTS, tz=UTC), "all")
    card_id = ids[0]
    recomputed = states(store)[card_id]
    clock = FakeClock()
    clock.now = recomputed.due + timedelta(hours=1)
    service = StudyService(store, clock=clock, tz=UTC)
    service.rate(card_id, 4)
    assert states(store)[card_id] != recomputed
    assert service.undo_last() == card_id
    assert states(store)[card_id] == recomputed


def test_optimize_command_recomputes_states_and_reports_one_table(tmp_path, capsys):
    path = tmp_path / "opt.db"
    store = open_store(path)
    ids = add_deck(store, "Big", 120)
    # a learner who forgets much faster than the defaults expect, so the fit is accepted
    rng = random.Random(5)
    clock = FakeClock()
    service = StudyService(store, clock=clock, tz=UTC)
    for _ in range(90):
        for card_id in ids:
            with store.sessions.begin() as s:
                state = state_from_row(s.get(CardState, card_id))
            if state.due is None or state.due <= clock.now:
                recall = 0.9 ** (((clock.now - state.last_review).days if state.last_review else 0) / 2.0)
                service.rate(card_id, 4 if rng.random() < recall else 1)
        clock.advance(days=1)
    with store.sessions.begin() as s:
        save_setting(s, "reschedule_on_optimize", "all")
    before = states(store)
    store.close()
    assert main(["--db", str(path), "optimize", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["saved"] and report["refitted_on_all"]
    assert report["recompute"]["cards"] == len(ids) and report["recompute"]["reschedule"] == "all"
    store = open_store(path)
    with store.sessions.begin() as s:
        weights = load_settings(s).weights
    after = states(store)
    assert weights == pytest.approx(tuple(report["weights"]))
    config = SchedulerConfig(weights=weights)
    for card_id in ids[:20]:
        assert after[card_id].stability == pytest.approx(replay(store, card_id, config).stability, rel=1e-9)
    assert sum(after[c].due != before[c].due for c in ids) == report["recompute"]["rescheduled"] > 0
    store.close()
    assert main(["--db", str(path), "optimize"]) == 0
    out = capsys.readouterr().out
    for label in ("reviews used", "held-out log loss", "held-out RMSE(bins)", "parameters", "card states"):
        assert label in out


def test_reschedule_setting_is_validated(tmp_path, capsys):
    path = tmp_path / "s.db"
    assert main(["--db", str(path), "settings", "reschedule_on_optimize", "sometimes"]) == 1
    assert "reschedule_on_optimize must be" in capsys.readouterr().err
    assert main(["--db", str(path), "settings", "reschedule_on_optimize", "none"]) == 0
