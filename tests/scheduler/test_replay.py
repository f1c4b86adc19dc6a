"""The vectorised replay gives the states `core.review` gives, review by review."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from flashtrain.scheduler import core
from flashtrain.scheduler.core import MemoryState, SchedulerConfig
from flashtrain.scheduler.replay import from_us, replay, to_us


def _histories(seed: int, n_cards: int = 120) -> list[list[tuple[datetime, int]]]:
    """Histories shaped like real logs: learning steps minutes apart on the first day, reviews days
    apart, lapses followed by relearning the same day, several reviews in one day, cards reviewed
    late at night around the day boundary, long gaps, a few ratings at the very same moment."""
    rng = random.Random(seed)
    start = datetime(2024, 3, 20, 22, 30, tzinfo=timezone.utc)  # DST changes in Europe and the US follow
    histories = []
    for c in range(n_cards):
        when = start + timedelta(hours=rng.randrange(0, 24 * 60), microseconds=rng.randrange(1_000_000))
        history = []
        for _ in range(rng.randrange(1, 25)):
            rating = rng.choices([1, 2, 3, 4, 5], weights=[2, 1, 2, 5, 1])[0]
            history.append((when, rating))
            gap = rng.choice([timedelta(seconds=rng.randrange(20, 900)), timedelta(hours=rng.randrange(1, 30)),
                              timedelta(days=rng.randrange(1, 60), hours=rng.randrange(-4, 5)),
                              timedelta(0) if c % 17 == 0 else timedelta(days=400)])
            when += gap
        histories.append(history)
    return histories


def _one_by_one(history, config):
    state, states, elapsed = MemoryState(), [], []
    for when, rating in sorted(history, key=lambda item: item[0]):
        state, record = core.review(state, rating, when, config)
        states.append(state)
        elapsed.append(record.elapsed_days)
    return states, elapsed


CONFIGS = {
    "default": SchedulerConfig(tz=timezone.utc),
    "local zone, late day start": SchedulerConfig(tz=ZoneInfo("Europe/Berlin"), day_start_hour=6),
    "new york, one learning step": SchedulerConfig(tz=ZoneInfo("America/New_York"),
                                                   learning_steps=(timedelta(minutes=5),)),
    "no steps, short maximum": SchedulerConfig(tz=timezone.utc, learning_steps=(), relearning_steps=(),
                                               maximum_interval_days=30, desired_retention=0.8),
    "three steps, two relearning": SchedulerConfig(
        tz=ZoneInfo("Asia/Kolkata"), learning_steps=(timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1)),
        relearning_steps=(timedelta(minutes=10), timedelta(hours=4)),
        weights=(0.4, 0.9, 3.1, 10.0, 5.1, 1.2, 1.8, 0.01, 1.5, 0.2, 1.0, 1.9, 0.1, 0.3, 2.1, 0.3, 2.6, 0.6, 0.2, 0.1,
                 0.3, 0.9)),  # w21: the learning-lapse penalty
    "fuzzed (one by one)": SchedulerConfig(tz=timezone.utc, fuzz=True, fuzz_seed=7),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_replay_matches_core_review_by_review(name):
    config = CONFIGS[name]
    histories = _histories(seed=len(name))
    card, stamp, rating, expected, expected_elapsed = [], [], [], [], []
    for c, history in enumerate(histories):
        states, elapsed = _one_by_one(history, config)
        shuffled = list(zip(sorted(history, key=lambda item: item[0]), states, elapsed))
        for (when, r), state, days in shuffled:
            card.append(c * 7 + 3)  # card values need not be 0..n-1
            stamp.append(to_us(when))
            rating.append(r)
            expected.append(state)
            expected_elapsed.append(days)
    # cards interleaved at random (a card's own reviews keep their order: ties are taken as given)
    order = np.random.default_rng(1).permutation(len(card))
    slots: dict[int, list[int]] = {}
    for position, i in enumerate(order.tolist()):
        slots.setdefault(card[i], []).append(position)
    for c, positions in slots.items():
        order[positions] = np.sort(order[positions])
    result = replay(np.array(card)[order], np.array(stamp)[order], np.array(rating)[order], config)
    phases = set()
    for position, i in enumerate(order.tolist()):
        got, want = result.state(position), expected[i]
        phases.add(want.phase)
        assert got.phase == want.phase and got.step == want.step, (i, got, want)
        assert (got.reps, got.lapses, got.last_rating) == (want.reps, want.lapses, want.last_rating)
        assert got.due == want.due and got.last_review == want.last_review, (i, got, want)
        assert got.stability == pytest.approx(want.stability, rel=1e-9)
        assert got.difficulty == pytest.approx(want.difficulty, rel=1e-9)
        if expected_elapsed[i] is None:
            assert np.isnan(result.elapsed_days[position]) and result.previous[position] == -1
        else:
            assert result.elapsed_days[position] == pytest.approx(expected_elapsed[i], rel=1e-12)
            assert result.before(position).reps == want.reps - 1
    assert "review" in phases
    if config.learning_steps:
        assert "learning" in phases
    if config.relearning_steps:
        assert "relearning" in phases


def test_ties_keep_the_order_given_and_empty_input_works():
    config = SchedulerConfig(tz=timezone.utc)
    moment = datetime(2025, 5, 1, 12, tzinfo=timezone.utc)
    result = replay(np.array([1, 1]), np.array([to_us(moment)] * 2), np.array([1, 5]), config)
    first, _ = core.review(MemoryState(), 1, moment, config)
    second, _ = core.review(first, 5, moment, config)
    assert result.state(1) == second and result.previous.tolist() == [-1, 0]
    assert len(replay(np.array([]), np.array([]), np.array([]), config)) == 0
    assert from_us(to_us(moment)) == moment
