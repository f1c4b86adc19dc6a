"""How many reviews a day a desired retention implies, for the settings screen (pure; no Textual).

`expected_reviews_per_day` is a steady-state estimate from the learner's own cards and model: at
retention r a card of stability S comes back after t(r) = S / F * (r^(-1/decay) - 1) days (the
model's forgetting curve solved for r), so it costs about (1 + (1 - r)) / t(r) reviews a day (one
review, plus a relearning review when it is forgotten); new cards add their first day's learning
steps. It ignores that stability grows with every review, so it errs high for a long-term view.

Hook: when flashtrain.scheduler provides `simulate_reviews_per_day(stabilities, config, new_per_day)`
(a simulator over the learner's cards, planned in issue 12), it is used instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from flashtrain.scheduler.core import SchedulerConfig, decay_factor

LEARNING_REVIEWS_PER_NEW_CARD = 2.5  # first-day steps of a new card (rated 3: two or three showings)


@dataclass(frozen=True)
class Workload:
    reviews_per_day: float
    cards: int  # studied cards the figure is based on
    method: str  # "estimate" or "simulation"


def interval_days(stability: float, retention: float, config: SchedulerConfig) -> float:
    w = config.weights
    return stability / decay_factor(w) * (retention ** (-1.0 / w[20]) - 1.0)


def expected_reviews_per_day(stabilities: list[float], config: SchedulerConfig, new_per_day: int) -> Workload:
    try:  # the scheduler's simulator, once it exists
        from flashtrain.scheduler.simulate import simulate_reviews_per_day  # type: ignore[attr-defined]
    except ImportError:
        simulate_reviews_per_day = None
    if simulate_reviews_per_day is not None:
        return Workload(float(simulate_reviews_per_day(stabilities, config, new_per_day)), len(stabilities),
                        "simulation")
    r = config.desired_retention
    per_card = sum((2.0 - r) / max(interval_days(s, r, config), 1.0) for s in stabilities if s and s > 0)
    return Workload(per_card + new_per_day * LEARNING_REVIEWS_PER_NEW_CARD, len(stabilities), "estimate")
