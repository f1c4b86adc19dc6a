"""Simulated review histories from known weights (for optimizer tests and `bench --synthetic`).

A simulated learner reviews each card when it is due under `review` (the real scheduler, so the
histories look like the app's own), with the desired retention drawn per card so intervals vary;
recall happens with the model's probability, and a recalled card gets grade 2..5 at random.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from flashtrain.scheduler.core import MemoryState, SchedulerConfig, retrievability, review

START = datetime(2024, 1, 1, 10, 0, tzinfo=timezone.utc)
SUCCESS_GRADES = (2, 3, 4, 5)
SUCCESS_WEIGHTS = (0.1, 0.2, 0.5, 0.2)


FIRST_GRADE_WEIGHTS = (0.3, 0.1, 0.1, 0.4, 0.1)


def simulate_histories(weights, n_reviews: int, seed: int = 0, reviews_per_card: int = 20,
                       start: datetime = START, first_weights=FIRST_GRADE_WEIGHTS,
                       success_weights=SUCCESS_WEIGHTS) -> list[list[tuple[datetime, int]]]:
    """About `n_reviews` reviews spread over cards of ~`reviews_per_card` reviews each; grades of a
    first review and of a recalled card are drawn with `first_weights` (1..5) and `success_weights`
    (2..5)."""
    rng = random.Random(seed)
    histories, total = [], 0
    while total < n_reviews:
        config = SchedulerConfig(weights=tuple(weights), tz=timezone.utc,
                                 desired_retention=rng.uniform(0.7, 0.95))
        length = max(2, min(n_reviews - total, int(rng.expovariate(1.0 / reviews_per_card)) + 2))
        when = start + timedelta(days=rng.randrange(0, 60), minutes=rng.randrange(0, 600))
        state, history = MemoryState(), []
        for _ in range(length):
            if state.stability is None:
                rating = rng.choices((1,) + SUCCESS_GRADES, first_weights)[0]
            else:
                recalled = rng.random() < retrievability(state, when, config)
                rating = rng.choices(SUCCESS_GRADES, success_weights)[0] if recalled else 1
            history.append((when, rating))
            state, _ = review(state, rating, when, config)
            # come back when due, late by up to half the interval (real learners are irregular)
            wait = state.due - when
            when = state.due + wait * rng.uniform(0.0, 0.5) + timedelta(minutes=rng.randrange(0, 120))
        histories.append(history)
        total += length
    return histories
