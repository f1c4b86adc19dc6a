"""Workload simulator: deterministic, the scheduler's own update, and more retention costs more."""

from __future__ import annotations

import numpy as np
import pytest

from flashtrain.scheduler import workload
from flashtrain.scheduler.core import DEFAULT_WEIGHTS, GRADE_TO_G, next_difficulty, next_stability


def deck(n=5000, new=2000, seed=0):
    rng = np.random.default_rng(seed)
    return workload.WorkloadInputs(stability=rng.lognormal(2.0, 1.0, n), difficulty=rng.uniform(2, 9, n),
                                   last_day=-rng.integers(0, 30, n), due_day=rng.integers(-5, 30, n),
                                   new_cards=new, new_per_day=20)


def test_same_seed_same_figures_other_seed_other_figures():
    inputs = deck()
    a = workload.simulate_workload(inputs, 0.9, 120, seed=4)
    b = workload.simulate_workload(inputs, 0.9, 120, seed=4)
    c = workload.simulate_workload(inputs, 0.9, 120, seed=5)
    assert (a.reviews_per_day, a.remembered, a.minutes_per_day) == (b.reviews_per_day, b.remembered, b.minutes_per_day)
    assert np.array_equal(a.daily_reviews, b.daily_reviews)
    assert a.remembered != c.remembered


def test_higher_retention_costs_more_reviews_and_remembers_more():
    inputs = deck(20000, 5000)
    results = [workload.simulate_workload(inputs, r, 200, seed=1) for r in (0.75, 0.85, 0.95)]
    reviews = [r.reviews_per_day for r in results]
    remembered = [r.remembered for r in results]
    assert reviews == sorted(reviews) and reviews[0] < reviews[-1] * 0.7
    assert remembered == sorted(remembered)
    # every new card the daily limit allows is introduced, whatever the retention
    assert all(r.introduced == 20 * 200 for r in results)


def test_vectorised_update_is_the_cores():
    rng = np.random.default_rng(2)
    w = DEFAULT_WEIGHTS
    s, d = rng.lognormal(1.5, 1.0, 300), rng.uniform(1, 10, 300)
    t = rng.integers(1, 60, 300)
    grade = rng.integers(1, 6, 300)
    factor = 0.9 ** (-1.0 / w[20]) - 1.0
    r = (1.0 + factor * t / s) ** (-w[20])
    new_s, new_d = workload._after_review(s, d, r, grade, w)
    for i in range(300):
        g = GRADE_TO_G[int(grade[i])]
        assert new_s[i] == pytest.approx(next_stability(s[i], d[i], g, int(t[i]), w), rel=1e-9)
        assert new_d[i] == pytest.approx(next_difficulty(d[i], g, w), rel=1e-9)


def test_sweep_names_the_retention_with_least_time_per_card_remembered():
    inputs = deck(3000, 3000)
    result = workload.sweep(inputs, (0.7, 0.8, 0.9, 0.97), days=150, seed=0)
    assert [r.retention for r in result.results] == [0.7, 0.8, 0.9, 0.97]
    assert result.best.minutes_per_remembered <= min(r.minutes_per_remembered for r in result.results)
    assert 0.7 <= result.best.retention <= 0.97


def test_small_decks_are_simulated_as_many_copies_so_luck_does_not_decide():
    tiny = deck(30, 10, seed=3)
    a = workload.simulate_workload(tiny, 0.85, 100, seed=0)
    b = workload.simulate_workload(tiny, 0.85, 100, seed=1)
    assert a.remembered == pytest.approx(b.remembered, rel=0.05)  # one copy would differ by far more
    assert a.remembered <= 40 and a.introduced == 10


@pytest.mark.parametrize("retention, days", [(0.0, 10), (1.0, 10), (0.9, 0)])
def test_bad_arguments_are_refused(retention, days):
    with pytest.raises(ValueError):
        workload.simulate_workload(deck(10, 0), retention, days)
