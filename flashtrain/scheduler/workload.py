"""Workload simulator: what a desired retention costs and buys, for this learner's own cards.

`simulate_workload(inputs, retention, days, seed)` studies the learner's cards day by day with the
memory model (vectorised numpy; one pass over the cards due each day):

- cards already studied start from their stored stability, difficulty, last review and due day;
  new cards are introduced up to `new_per_day` a day, in order;
- a due card is recalled with the model's probability R = (1 + F t / S) ** -w20 (t in days since
  its last review); a recalled card gets a grade 2..5 drawn from the learner's own success grades,
  a forgotten one grade 1; stability and difficulty follow the scheduler's long-term update
  (core.next_stability / next_difficulty, the same formulas vectorised);
- the next interval is the scheduler's: `interval_days(S)` for the desired retention, rounded, at
  least one day and at most `maximum_interval`; grade 2 ("barely") means tomorrow, as in core.review;
- same-day learning and relearning steps are not simulated one by one: their time is in the cost of
  a new card (`learn_seconds`) and of a lapse (`fail_seconds`);
- a new card's first grade is drawn from the learner's first grades; it then waits the interval its
  initial stability gives.

Time per day comes from the learner's own answer times (study/workload.py reads them from the log).
"Remembered" at the end is the expected number of cards recalled on the last day: the sum of R over
every card introduced. `sweep` runs several retentions and names the one with the least study time
per card remembered (Anki's "minimum recommended retention" idea). Deterministic under a seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from flashtrain.scheduler.core import DEFAULT_WEIGHTS, S_MAX, S_MIN

DEFAULT_RETENTIONS = tuple(round(0.70 + 0.03 * i, 2) for i in range(10))  # 0.70 .. 0.97
# Answer times when the learner's log has none (seconds): a passed review, a lapse with its
# relearning step, and a new card with its learning steps.
DEFAULT_SECONDS = {"pass": 8.0, "fail": 25.0, "learn": 30.0}
DEFAULT_FIRST_GRADES = (0.25, 0.1, 0.15, 0.4, 0.1)  # P(first grade = 1..5)
DEFAULT_SUCCESS_GRADES = (0.1, 0.2, 0.5, 0.2)  # P(grade = 2..5 | recalled)


@dataclass(frozen=True)
class WorkloadInputs:
    """The learner's deck as the simulator needs it (days are counted from today = 0)."""

    stability: np.ndarray  # cards already studied
    difficulty: np.ndarray
    last_day: np.ndarray  # day of the last review (<= 0)
    due_day: np.ndarray  # day the card is next due (may be < 0: overdue)
    new_cards: int  # never studied, waiting to be introduced
    new_per_day: int
    weights: tuple[float, ...] = DEFAULT_WEIGHTS
    maximum_interval: int = 36500
    first_grades: tuple[float, ...] = DEFAULT_FIRST_GRADES
    success_grades: tuple[float, ...] = DEFAULT_SUCCESS_GRADES
    seconds: dict = field(default_factory=lambda: dict(DEFAULT_SECONDS))

    @property
    def studied(self) -> int:
        return int(self.stability.size)


@dataclass(frozen=True)
class WorkloadResult:
    retention: float
    days: int
    reviews_per_day: float  # reviews of studied cards plus new cards introduced, per day
    minutes_per_day: float
    remembered: float  # expected cards recalled on the last day
    introduced: int  # new cards introduced during the simulation
    daily_reviews: np.ndarray  # per day

    @property
    def minutes_per_remembered(self) -> float:
        return self.minutes_per_day * self.days / self.remembered if self.remembered > 0 else float("inf")


def _initial_stability(grade: np.ndarray, w) -> np.ndarray:
    s0 = np.array([w[0], w[1], np.sqrt(w[1] * w[2]), w[2], w[3]])
    s0 = np.clip(np.maximum.accumulate(s0), S_MIN, S_MAX)
    return s0[grade - 1]


def _g(grade: np.ndarray) -> np.ndarray:
    return np.array([0.0, 1.0, 2.0, 2.5, 3.0, 4.0])[grade]


def _initial_difficulty(grade: np.ndarray, w) -> np.ndarray:
    return np.clip(w[4] - np.exp(w[5] * (_g(grade) - 1.0)) + 1.0, 1.0, 10.0)


def _recall_bonus(g: np.ndarray, w) -> np.ndarray:
    log15, log16 = np.log(max(w[15], 1e-9)), np.log(w[16])
    return np.exp(np.where(g <= 3.0, (3.0 - g) * log15, (g - 3.0) * log16))


def _after_review(s, d, r, grade, w) -> tuple[np.ndarray, np.ndarray]:
    """Long-term (later-day) update of stability and difficulty; mirrors core.next_stability/_difficulty."""
    g = _g(grade)
    forget = w[11] * d ** (-w[12]) * ((s + 1.0) ** w[13] - 1.0) * np.exp(w[14] * (1.0 - r))
    forget = np.minimum(forget, s / np.exp(w[17] * w[18]))
    recall = s * (1.0 + np.exp(w[8]) * (11.0 - d) * s ** (-w[9]) * np.expm1(w[10] * (1.0 - r)) * _recall_bonus(g, w))
    new_s = np.clip(np.where(grade == 1, forget, recall), S_MIN, S_MAX)
    d0_easy = w[4] - np.exp(w[5] * 3.0) + 1.0
    damped = d - w[6] * (g - 3.0) * (10.0 - d) / 9.0
    return new_s, np.clip(w[7] * d0_easy + (1.0 - w[7]) * damped, 1.0, 10.0)


def _draw(rng: np.random.Generator, probabilities, size: int, first: int) -> np.ndarray:
    p = np.asarray(probabilities, dtype=float)
    p = p / p.sum()
    return first + np.searchsorted(np.cumsum(p), rng.random(size), side="right").clip(0, p.size - 1)


# A small deck is simulated as this many cards' worth of copies (the figures are divided back), so
# that one card's luck does not decide between two retentions.
MIN_SIMULATED_CARDS = 20_000


def _replicated(inputs: WorkloadInputs, copies: int) -> WorkloadInputs:
    if copies == 1:
        return inputs
    return replace(inputs, stability=np.tile(inputs.stability, copies), difficulty=np.tile(inputs.difficulty, copies),
                   last_day=np.tile(inputs.last_day, copies), due_day=np.tile(inputs.due_day, copies),
                   new_cards=inputs.new_cards * copies, new_per_day=inputs.new_per_day * copies)


def simulate_workload(inputs: WorkloadInputs, retention: float, days: int = 365, seed: int = 0) -> WorkloadResult:
    if not 0.0 < retention < 1.0:
        raise ValueError(f"retention must be in (0, 1), got {retention}")
    if days < 1:
        raise ValueError("days must be at least 1")
    cards = inputs.studied + inputs.new_cards
    copies = max(1, -(-MIN_SIMULATED_CARDS // cards)) if cards else 1
    result = _simulate(_replicated(inputs, copies), retention, days, seed)
    if copies == 1:
        return result
    return replace(result, reviews_per_day=result.reviews_per_day / copies,
                   minutes_per_day=result.minutes_per_day / copies, remembered=result.remembered / copies,
                   introduced=result.introduced // copies, daily_reviews=result.daily_reviews / copies)


def _simulate(inputs: WorkloadInputs, retention: float, days: int, seed: int) -> WorkloadResult:
    w = inputs.weights
    rng = np.random.default_rng(seed)
    decay = w[20]
    factor = 0.9 ** (-1.0 / decay) - 1.0
    interval_per_stability = (retention ** (-1.0 / decay) - 1.0) / factor
    introduced = min(inputs.new_cards, inputs.new_per_day * days)
    n = inputs.studied + introduced
    s = np.concatenate([inputs.stability.astype(float), np.ones(introduced)])
    d = np.concatenate([inputs.difficulty.astype(float), np.full(introduced, 5.0)])
    last = np.concatenate([inputs.last_day.astype(np.int64), np.zeros(introduced, np.int64)])
    due = np.concatenate([np.maximum(inputs.due_day.astype(np.int64), 0),
                          np.full(introduced, np.iinfo(np.int64).max)])  # new: not started yet
    cost = inputs.seconds
    daily_reviews = np.zeros(days, dtype=np.int64)
    seconds = 0.0
    next_new = inputs.studied

    def schedule(idx: np.ndarray, grade: np.ndarray, day: int) -> None:
        interval = np.clip(np.round(s[idx] * interval_per_stability), 1, inputs.maximum_interval)
        interval[grade == 2] = 1
        due[idx] = day + interval.astype(np.int64)
        last[idx] = day

    for day in range(days):
        idx = np.flatnonzero(due <= day)
        if idx.size:
            t = np.maximum(day - last[idx], 0)
            r = (1.0 + factor * t / s[idx]) ** (-decay)
            recalled = rng.random(idx.size) < r
            grade = np.where(recalled, _draw(rng, inputs.success_grades, idx.size, 2), 1)
            s[idx], d[idx] = _after_review(s[idx], d[idx], r, grade, w)
            schedule(idx, grade, day)
            passed = int(recalled.sum())
            seconds += passed * cost["pass"] + (idx.size - passed) * cost["fail"]
        fresh = np.arange(next_new, min(next_new + inputs.new_per_day, n))
        if fresh.size:
            grade = _draw(rng, inputs.first_grades, fresh.size, 1)
            s[fresh], d[fresh] = _initial_stability(grade, w), _initial_difficulty(grade, w)
            schedule(fresh, grade, day)
            seconds += fresh.size * cost["learn"]
            next_new += fresh.size
        daily_reviews[day] = idx.size + fresh.size
    started = slice(0, next_new)
    t_end = np.maximum(days - last[started], 0)
    remembered = float(np.sum((1.0 + factor * t_end / s[started]) ** (-decay)))
    return WorkloadResult(retention=retention, days=days, reviews_per_day=float(daily_reviews.mean()),
                          minutes_per_day=seconds / 60.0 / days, remembered=remembered,
                          introduced=next_new - inputs.studied, daily_reviews=daily_reviews)


@dataclass(frozen=True)
class Sweep:
    results: list[WorkloadResult]
    best: WorkloadResult  # least minutes per card remembered (searched to 0.01)


def sweep(inputs: WorkloadInputs, retentions=DEFAULT_RETENTIONS, days: int = 365, seed: int = 0) -> Sweep:
    """Simulate each retention; then refine the best to the nearest 0.01 within the range given."""
    results = [simulate_workload(inputs, r, days, seed) for r in retentions]
    best = min(results, key=lambda res: res.minutes_per_remembered)
    low, high = min(retentions), max(retentions)
    tried = {round(res.retention, 2): res for res in results}
    for offset in (-0.02, -0.01, 0.01, 0.02):
        r = round(best.retention + offset, 2)
        if low <= r <= high and r not in tried:
            tried[r] = simulate_workload(inputs, r, days, seed)
    best = min(tried.values(), key=lambda res: res.minutes_per_remembered)
    return Sweep(results=results, best=best)
