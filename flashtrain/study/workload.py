"""The learner's own deck and habits as workload-simulator inputs, and the simulation use case.

Read from the store: every studied card's stability, difficulty, last review and due day (active
cards only: not retired, not suspended), how many new cards wait, the learner's settings (new cards
per day, day start, weights) and, from the review log, their habits:

- first grades: the grade of each card's first review;
- success grades: grades 2..5 of reviews on a later day than the card's previous one;
- answer times (seconds): a passed review = median duration of later-day reviews graded 2..5;
  a lapse = mean time spent on a card on a day it was forgotten (the grade-1 review and its
  relearning steps); a new card = mean time spent on a card on its first day (the learning steps).
Where the log holds fewer than MIN_SAMPLES of something, the simulator's default is used (and
`WorkloadForecast.from_log` says which came from the log).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

import numpy as np

from flashtrain.scheduler import workload
from flashtrain.scheduler.core import study_day
from flashtrain.scheduler.optimizer import study_day_numbers
from flashtrain.services.review_arrays import studied_card_memory, timed_reviews, waiting_new_cards
from flashtrain.services.settings import study_settings

MIN_SAMPLES = 20


@dataclass(frozen=True)
class WorkloadForecast:
    inputs: workload.WorkloadInputs
    from_log: tuple[str, ...]  # which habits came from the learner's log ("pass", "first grades", ...)
    sweep: workload.Sweep


def load_inputs(store, now: datetime | None = None, tz=None,
                new_per_day: int | None = None) -> tuple[workload.WorkloadInputs, tuple[str, ...]]:
    now = now or datetime.now(timezone.utc)
    settings = study_settings(store)
    config = settings.scheduler_config(tz)
    today = study_day(now, config).toordinal()
    cards = studied_card_memory(store)
    new_cards = waiting_new_cards(store)
    inputs = workload.WorkloadInputs(
        stability=cards[:, 0], difficulty=cards[:, 1],
        last_day=study_day_numbers(np.round(cards[:, 2], 3), config) - today,
        due_day=study_day_numbers(np.round(cards[:, 3], 3), config) - today,
        new_cards=int(new_cards), new_per_day=settings.new_per_day if new_per_day is None else new_per_day,
        weights=config.weights, maximum_interval=config.maximum_interval_days)
    return _with_habits(store, inputs, config)


def _with_habits(store, inputs: workload.WorkloadInputs, config) -> tuple[workload.WorkloadInputs, tuple[str, ...]]:
    log = timed_reviews(store)
    if not log.size:
        return inputs, ()
    order = np.lexsort((log[:, 1], log[:, 0]))
    card, stamp, rating, ms = (log[order, i] for i in range(4))
    day = study_day_numbers(np.round(stamp, 3), config)
    first = np.ones(card.size, dtype=bool)
    first[1:] = card[1:] != card[:-1]
    first_day = np.maximum.accumulate(np.where(first, np.arange(card.size), 0))  # index of the card's first review
    on_first_day = day == day[first_day]
    new_day = np.zeros(card.size, dtype=bool)
    new_day[1:] = (card[1:] == card[:-1]) & (day[1:] > day[:-1])
    timed = ms >= 0
    used: list[str] = []
    changes: dict = {}
    seconds = dict(inputs.seconds)

    first_grades = np.bincount(rating[first].astype(int), minlength=6)[1:6]
    if first_grades.sum() >= MIN_SAMPLES:
        changes["first_grades"] = tuple((first_grades + 0.5) / (first_grades + 0.5).sum())
        used.append("first grades")
    success = np.bincount(rating[new_day & (rating >= 2)].astype(int), minlength=6)[2:6]
    if success.sum() >= MIN_SAMPLES:
        changes["success_grades"] = tuple((success + 0.5) / (success + 0.5).sum())
        used.append("success grades")
    passed = new_day & (rating >= 2) & timed
    if passed.sum() >= MIN_SAMPLES:
        seconds["pass"] = float(np.median(ms[passed])) / 1000.0
        used.append("pass time")
    # time per (card, day) group, for the first day and for days that began with a lapse
    group_start = first.copy()
    group_start[1:] |= day[1:] != day[:-1]
    group = np.cumsum(group_start) - 1
    group_ms = np.bincount(group, weights=np.where(timed, ms, 0.0))
    group_timed = np.bincount(group, weights=timed.astype(float)) == np.bincount(group)
    learn_groups = np.unique(group[first & on_first_day])
    learn_groups = learn_groups[group_timed[learn_groups]]
    if learn_groups.size >= MIN_SAMPLES:
        seconds["learn"] = float(group_ms[learn_groups].mean()) / 1000.0
        used.append("learn time")
    lapse_groups = np.unique(group[new_day & (rating == 1)])
    lapse_groups = lapse_groups[group_timed[lapse_groups]]
    if lapse_groups.size >= MIN_SAMPLES:
        seconds["fail"] = float(group_ms[lapse_groups].mean()) / 1000.0
        used.append("lapse time")
    return replace(inputs, seconds=seconds, **changes), tuple(used)


def forecast(store, retentions=workload.DEFAULT_RETENTIONS, days: int = 365, seed: int = 0,
             now: datetime | None = None, tz=None, new_per_day: int | None = None) -> WorkloadForecast:
    """Every retention in `retentions` simulated, and the one with the least study time per card
    remembered (`sweep.best`: `flashtrain simulate` and the settings screen recommend it)."""
    inputs, used = load_inputs(store, now, tz, new_per_day=new_per_day)
    return WorkloadForecast(inputs=inputs, from_log=used, sweep=workload.sweep(inputs, retentions, days, seed))


def reviews_per_day(store, retention: float, days: int = 365, seed: int = 0,
                    new_per_day: int | None = None) -> workload.WorkloadResult:
    """One retention's forecast (the settings screen shows it beside the retention setting, for the
    new cards a day being typed there: `new_per_day`, else the saved setting)."""
    inputs, _ = load_inputs(store, new_per_day=new_per_day)
    return workload.simulate_workload(inputs, retention, days, seed)
