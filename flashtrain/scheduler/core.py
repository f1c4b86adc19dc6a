"""Pure scheduler core: FSRS-6 generalised to a five-grade confidence scale.

Everything here is a pure function of its arguments: no I/O, no clock, no globals that change.
States and records are frozen dataclasses; `review` returns new values and never mutates.
All datetimes must be timezone-aware (naive ones raise ValueError); stored values are UTC.

Memory model (FSRS-6, see shared/reference/scheduler-benchmark.md section 2)
---------------------------------------------------------------------------
A card has stability S (days until recall drops to 90 %) and difficulty D in [1, 10].
Recall after t days: R = (1 + F t / S) ** -w20 with F = 0.9 ** (-1 / w20) - 1.

Five grades.  Grade 1 ("Not at all") is the failure branch of FSRS.  Grades 2..5 are successes mapped
to a continuous FSRS grade G (`GRADE_TO_G`):

    grade 2 Barely      -> G = 2    (FSRS Hard)
    grade 3 With effort -> G = 2.5  (half-way between Hard and Good)
    grade 4 Well        -> G = 3    (FSRS Good, the normal successful recall)
    grade 5 Perfectly   -> G = 4    (FSRS Easy)

so that Anki's buttons mapped Again/Hard/Good/Easy -> 1/2/4/5 reproduce FSRS-6 exactly and the
published default weights work on day one.  The difficulty and short-term formulas take G linearly;
the recall bonus h(G) is interpolated in log space (log w15 at G=2, 0 at G=3, log w16 at G=4); the
initial stability of grade 3 is the geometric mean of w1 and w2 (log-space interpolation).  Initial
stabilities are made non-decreasing in the grade so a better first rating never shortens an interval.

One weight beyond FSRS-6: w21, the learning-lapse penalty.  A same-day fail while the card is still
in its learning phase (never graduated) divides stability by exp(w21) on top of FSRS-6's short-term
term.  w21 = 0 (the default) is exactly FSRS-6, so a 21-value FSRS-6 set (from Anki) is read with
w21 = 0 (`full_weights`); the optimizer fits it per learner.

Time.  The model's elapsed time t is counted in *study days*: a study day starts at
`day_start_hour` local time (default 4 am; `tz=None` means the machine's local zone).  A review on the
same study day as the previous one uses FSRS-6's short-term update.  This matches the srs-benchmark,
which counts Anki calendar days, and the optimizer (optimizer.py) uses the same convention.

Scheduling (what the learner sees)
----------------------------------
- new / learning cards: 1 -> first learning step (minutes); 2 -> repeat the current step (between
  step 0 and 1 on the first step); 3 -> next step, or graduate after the last step; 4 and 5 graduate
  at once with an interval from S.
- review cards: 1 -> lapse, relearning steps (minutes); 2 -> tomorrow (next study day);
  3..5 -> interval I = S / F * (r ** (-1 / w20) - 1) for desired retention r, in whole days.
- relearning cards: as learning, with `relearning_steps`.
- Intervals of one day or more land on a study-day boundary (day_start_hour local time), are at most
  `maximum_interval_days`, and are optionally fuzzed.  Fuzz draws one number per (seed, card state,
  time) - the same for every rating - so it is deterministic and keeps ratings ordered.
- With empty steps, ratings that would use a step give a one-day interval instead.
- Adjacent ratings: when two neighbouring ratings both give day intervals, the better one comes back
  at least one study day later (a 3 after a 2 of "tomorrow" waits 2 days, a 5 at least a day more
  than a 4), as Anki keeps Hard < Good < Easy; only the maximum interval may be shared. Step waits
  already differ (1 -> first step, 2 -> between steps, 3 -> next step), and a day interval is never
  shorter than 1.5 x the longest step. So the rating bar never shows the same interval twice unless
  the maximum interval is reached. `_distinct_whole_days` applies the rule; this is its one
  description.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

Rating = int  # 1..5

RATING_LABELS: dict[int, str] = {1: "Not at all", 2: "Barely", 3: "With effort", 4: "Well", 5: "Perfectly"}
RATINGS: tuple[int, ...] = (1, 2, 3, 4, 5)
# Ratings as a review log from elsewhere writes them -> ours. Anki's Again/Hard/Good/Easy become
# 1/2/4/5 (4 is what the scheduler reads as FSRS "Good").
RATING_SCALES: dict[str, dict[int, int]] = {"confidence": {r: r for r in RATINGS}, "anki": {1: 1, 2: 2, 3: 4, 4: 5}}
GRADE_TO_G: dict[int, float] = {1: 1.0, 2: 2.0, 3: 2.5, 4: 3.0, 5: 4.0}

# w0..w20: FSRS-6 medians over 10k Anki users (srs-benchmark README); w20 is the forgetting-curve
# decay. w21 is ours, the learning-lapse penalty (see `next_stability`): 0 makes the model FSRS-6.
FSRS6_WEIGHT_COUNT = 21
DEFAULT_WEIGHTS: tuple[float, ...] = (
    0.212, 1.2931, 2.3065, 8.2956,
    6.4133, 0.8334, 3.0194, 0.001,
    1.8722, 0.1666, 0.796,
    1.4835, 0.0614, 0.2629, 1.6483,
    0.6014, 1.8729,
    0.5425, 0.0912, 0.0658,
    0.1542,
    0.0,
)
N_WEIGHTS = len(DEFAULT_WEIGHTS)

# Bounds (from py-fsrs 6.3.2) used to validate weights and by the optimizer.
WEIGHT_BOUNDS: tuple[tuple[float, float], ...] = (
    (0.001, 100.0), (0.001, 100.0), (0.001, 100.0), (0.001, 100.0),
    (1.0, 10.0), (0.001, 4.0), (0.001, 4.0), (0.001, 0.75),
    (0.0, 4.5), (0.0, 0.8), (0.001, 3.5),
    (0.001, 5.0), (0.001, 0.25), (0.001, 0.9), (0.0, 4.0),
    (0.0, 1.0), (1.0, 6.0),
    (0.0, 2.0), (0.0, 2.0), (0.0, 0.8),
    (0.1, 0.8),
    (0.0, 4.0),
)


def full_weights(weights) -> tuple[float, ...]:
    """Our weights from an FSRS-6 set (21 values: w21 = 0, plain FSRS-6) or a full one (22)."""
    weights = tuple(float(w) for w in weights)
    if len(weights) == FSRS6_WEIGHT_COUNT:
        return weights + (0.0,)
    return weights

S_MIN, S_MAX = 0.001, 36500.0
D_MIN, D_MAX = 1.0, 10.0
PHASES = ("new", "learning", "review", "relearning")


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")


def _check_rating(rating: Any) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATINGS:
        raise ValueError(f"rating must be an integer 1..5, got {rating!r}")
    return rating


@dataclass(frozen=True)
class SchedulerConfig:
    weights: tuple[float, ...] = DEFAULT_WEIGHTS
    desired_retention: float = 0.9
    maximum_interval_days: int = 36500
    fuzz: bool = False
    fuzz_seed: int | None = None
    day_start_hour: int = 4
    tz: tzinfo | None = None  # local day boundary; None = the machine's local zone
    learning_steps: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=10))
    relearning_steps: tuple[timedelta, ...] = (timedelta(minutes=10),)

    def __post_init__(self) -> None:
        weights = full_weights(self.weights)
        if len(weights) != N_WEIGHTS or not all(math.isfinite(w) for w in weights):
            raise ValueError(f"weights must be {N_WEIGHTS} finite numbers, got {len(weights)}")
        object.__setattr__(self, "weights", weights)
        if not 0.0 < self.desired_retention < 1.0:
            raise ValueError(f"desired_retention must be in (0, 1), got {self.desired_retention}")
        if self.maximum_interval_days < 1:
            raise ValueError("maximum_interval_days must be at least 1")
        if not 0 <= self.day_start_hour <= 23:
            raise ValueError(f"day_start_hour must be 0..23, got {self.day_start_hour}")
        for name in ("learning_steps", "relearning_steps"):
            steps = tuple(getattr(self, name))
            if any(s <= timedelta(0) for s in steps) or list(steps) != sorted(steps):
                raise ValueError(f"{name} must be positive and non-decreasing")
            object.__setattr__(self, name, steps)


@dataclass(frozen=True)
class MemoryState:
    """A card's scheduler state; mirrors the store's CardState columns exactly."""

    phase: str = "new"
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0
    step: int = 0
    last_rating: int | None = None

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}, got {self.phase!r}")
        for name in ("due", "last_review"):
            value = getattr(self, name)
            if value is not None:
                _require_aware(value, name)

    def to_dict(self) -> dict:
        return {
            "phase": self.phase, "stability": self.stability, "difficulty": self.difficulty,
            "due": self.due.isoformat() if self.due else None,
            "last_review": self.last_review.isoformat() if self.last_review else None,
            "reps": self.reps, "lapses": self.lapses, "step": self.step, "last_rating": self.last_rating,
        }

    @classmethod
    def from_dict(cls, d: dict) -> MemoryState:
        def when(value: Any) -> datetime | None:
            if value is None or isinstance(value, datetime):
                return value
            return datetime.fromisoformat(value)

        return cls(
            phase=d.get("phase", "new"),
            stability=None if d.get("stability") is None else float(d["stability"]),
            difficulty=None if d.get("difficulty") is None else float(d["difficulty"]),
            due=when(d.get("due")), last_review=when(d.get("last_review")),
            reps=int(d.get("reps", 0)), lapses=int(d.get("lapses", 0)), step=int(d.get("step", 0)),
            last_rating=None if d.get("last_rating") is None else int(d["last_rating"]),
        )


@dataclass(frozen=True)
class ReviewRecord:
    rating: int
    reviewed_at: datetime
    elapsed_days: float | None  # real (fractional) days since the previous review; None for a new card
    state_before: MemoryState
    state_after: MemoryState
    interval: timedelta  # state_after.due - reviewed_at


# ---------------------------------------------------------------------------------------------
# Memory model (scalar; optimizer.py holds the vectorised twin and is tested against this one)

def decay_factor(w: tuple[float, ...]) -> float:
    return 0.9 ** (-1.0 / w[20]) - 1.0


def forgetting_curve(t_days: float, stability: float, w: tuple[float, ...]) -> float:
    return (1.0 + decay_factor(w) * max(t_days, 0.0) / stability) ** (-w[20])


def _clamp(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def initial_stability(grade: int, w: tuple[float, ...]) -> float:
    s0 = [w[0], w[1], math.sqrt(w[1] * w[2]), w[2], w[3]]
    return _clamp(max(s0[: grade]), S_MIN, S_MAX)  # running max: better grade never starts lower


def initial_difficulty(g: float, w: tuple[float, ...], clamp: bool = True) -> float:
    d = w[4] - math.exp(w[5] * (g - 1.0)) + 1.0
    return _clamp(d, D_MIN, D_MAX) if clamp else d


def recall_bonus(g: float, w: tuple[float, ...]) -> float:
    """h(G): hard penalty w15 at G=2, 1 at G=3, easy bonus w16 at G=4, log-linear between."""
    if g <= 3.0:
        return math.exp((3.0 - g) * math.log(max(w[15], 1e-9)))
    return math.exp((g - 3.0) * math.log(w[16]))


def next_difficulty(d: float, g: float, w: tuple[float, ...]) -> float:
    delta = -w[6] * (g - 3.0)
    damped = d + delta * (10.0 - d) / 9.0
    reverted = w[7] * initial_difficulty(4.0, w, clamp=False) + (1.0 - w[7]) * damped
    return _clamp(reverted, D_MIN, D_MAX)


def next_stability(s: float, d: float, g: float, t_days: int, w: tuple[float, ...],
                   learning: bool = False) -> float:
    """Stability after a review with FSRS grade g, t_days study days after the previous review.

    `learning`: the card had not graduated yet (phase "learning" before this review). A card failed
    again and again while it is first learned is remembered far worse the next day than FSRS-6's
    short-term term predicts (on real logs: 1, 1, 1, Good on day one is followed by about 30 % recall
    where FSRS-6 predicts 55 %), while a failed review card relearned the same day is not; so each
    same-day fail while learning divides stability by exp(w21) on top of FSRS-6's term."""
    if t_days <= 0:
        growth = math.exp(w[17] * (g - 3.0 + w[18])) * s ** (-w[19])
        if g >= 2.0:
            growth = max(growth, 1.0)
        elif learning:
            growth *= math.exp(-w[21])
        return _clamp(s * growth, S_MIN, S_MAX)
    r = forgetting_curve(t_days, s, w)
    if g < 2.0:
        forget = w[11] * d ** (-w[12]) * ((s + 1.0) ** w[13] - 1.0) * math.exp(w[14] * (1.0 - r))
        new_s = min(forget, s / math.exp(w[17] * w[18]))
    else:
        new_s = s * (1.0 + math.exp(w[8]) * (11.0 - d) * s ** (-w[9])
                     * (math.exp(w[10] * (1.0 - r)) - 1.0) * recall_bonus(g, w))
    return _clamp(new_s, S_MIN, S_MAX)


def update_memory(stability: float | None, difficulty: float | None, grade: int, t_days: int | None,
                  w: tuple[float, ...], learning: bool = False) -> tuple[float, float]:
    """(S, D) after one review; stability None means the card's first review; `learning`: the card
    was in its learning phase (not yet graduated) before this review."""
    g = GRADE_TO_G[grade]
    if stability is None or difficulty is None:
        return initial_stability(grade, w), initial_difficulty(g, w)
    return (next_stability(stability, difficulty, g, t_days or 0, w, learning),
            next_difficulty(difficulty, g, w))


def interval_days(stability: float, config: SchedulerConfig) -> float:
    """Unrounded interval at which predicted recall falls to the desired retention."""
    w = config.weights
    return stability / decay_factor(w) * (config.desired_retention ** (-1.0 / w[20]) - 1.0)


# ---------------------------------------------------------------------------------------------
# Study days

def _local(now: datetime, config: SchedulerConfig) -> datetime:
    return now.astimezone(config.tz) if config.tz is not None else now.astimezone()


def study_day(moment: datetime, config: SchedulerConfig) -> date:
    """The study day a moment belongs to (a day starts at day_start_hour local time)."""
    return (_local(moment, config) - timedelta(hours=config.day_start_hour)).date()


def study_days_between(earlier: datetime, later: datetime, config: SchedulerConfig) -> int:
    return (study_day(later, config) - study_day(earlier, config)).days


def day_boundary(day: date, config: SchedulerConfig) -> datetime:
    """UTC moment at which study day `day` starts."""
    start = datetime.combine(day, time(config.day_start_hour))
    if config.tz is None:  # a naive time is read as the machine's local time, DST included
        return start.astimezone(timezone.utc)
    return start.replace(tzinfo=config.tz).astimezone(timezone.utc)


# ---------------------------------------------------------------------------------------------
# Scheduling

def retrievability(state: MemoryState, now: datetime, config: SchedulerConfig = SchedulerConfig()) -> float:
    """Predicted probability of recall at `now` (0.0 for a card never reviewed)."""
    _require_aware(now, "now")
    if state.stability is None or state.last_review is None:
        return 0.0
    t = max(study_days_between(state.last_review, now, config), 0)
    return forgetting_curve(t, state.stability, config.weights)


def _fuzz_unit(state: MemoryState, now: datetime, config: SchedulerConfig) -> float:
    """A number in [0, 1) fixed by seed, card state and time - independent of the rating."""
    key = f"{config.fuzz_seed}|{now.isoformat()}|{state.reps}|{state.lapses}|{state.stability}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2 ** 64


_FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.10), (20.0, math.inf, 0.05))


def _fuzzed(days: float, unit: float) -> float:
    if days < 2.5:
        return days
    delta = 1.0 + sum(factor * (min(days, end) - start) for start, end, factor in _FUZZ_RANGES if days > start)
    # delta grows slower than days, so days + delta*(2u-1) stays increasing in days for a fixed u
    return days + delta * (2.0 * unit - 1.0)


def _whole_days(days: float, now: datetime, state: MemoryState, config: SchedulerConfig) -> int:
    if config.fuzz:
        days = _fuzzed(days, _fuzz_unit(state, now, config))
    whole = int(_clamp(round(days), 1, config.maximum_interval_days))
    # Shortly before the day boundary "tomorrow" can be minutes away; never come back sooner than a
    # learning step would, so a better rating never gives a shorter wait.
    longest_step = max(config.learning_steps + config.relearning_steps, default=timedelta(0)) * 1.5
    while day_boundary(study_day(now, config) + timedelta(days=whole), config) - now < longest_step:
        whole += 1
    return whole


def _distinct_whole_days(state: MemoryState, plans: list[_Plan], now: datetime,
                         config: SchedulerConfig) -> list[int | None]:
    """For `plans` of ratings 1, 2, ... in order: the whole days until each brings the card back (None:
    a step), at least one more than the rating below it gets when that one also gives days (the rule in
    the module docstring, "Adjacent ratings")."""
    wholes: list[int | None] = []
    whole: int | None = None
    for plan in plans:
        if plan.wait is not None:
            whole = None
        else:
            days = _whole_days(plan.day_interval, now, state, config)
            # one more day than the rating below, unless that would pass the maximum interval
            whole = days if whole is None else max(days, min(whole + 1, config.maximum_interval_days))
        wholes.append(whole)
    return wholes


def _due(plan: _Plan, whole: int | None, now: datetime, config: SchedulerConfig) -> datetime:
    """When `plan` brings the card back: after its step, or `whole` days on, on a day boundary."""
    if plan.wait is not None:
        return now + plan.wait
    return day_boundary(study_day(now, config) + timedelta(days=whole), config)


def _t_days(state: MemoryState, now: datetime, config: SchedulerConfig) -> int | None:
    """Study days since the last review (None for a new card)."""
    if state.last_review is None:
        return None
    return max(study_days_between(state.last_review, now, config), 0)


@dataclass(frozen=True)
class _Plan:
    stability: float
    difficulty: float
    phase: str
    step: int
    lapses: int
    wait: timedelta | None  # a learning step; None means a day interval
    day_interval: float


def _plan(state: MemoryState, rating: Rating, t_days: int | None, config: SchedulerConfig) -> _Plan:
    """The memory update and where `rating` sends the card (a step, or an unrounded day interval)."""
    stability, difficulty = update_memory(state.stability, state.difficulty, rating, t_days, config.weights,
                                          learning=state.phase == "learning")
    phase, step, lapses = state.phase, state.step, state.lapses
    wait: timedelta | None = None
    day_interval = 1.0
    if phase == "review":
        if rating == 1:
            lapses += 1
            plan = _step_wait(config.relearning_steps, 0, 1)
            phase, step = ("relearning", plan[0]) if plan else ("review", 0)
            wait = plan[1] if plan else None
        elif rating == 2:
            day_interval = 1.0  # "barely": check again tomorrow
        else:
            day_interval = interval_days(stability, config)
    else:
        steps = config.relearning_steps if phase == "relearning" else config.learning_steps
        plan = _step_wait(steps, step, rating) if rating <= 3 else None
        if plan is not None:
            step, wait = plan
            phase = "relearning" if phase == "relearning" else "learning"
        else:
            phase, step = "review", 0
            day_interval = 1.0 if rating <= 2 else interval_days(stability, config)
    return _Plan(stability, difficulty, phase, step, lapses, wait, day_interval)


def _step_wait(steps: tuple[timedelta, ...], step: int, rating: int) -> tuple[int, timedelta] | None:
    """(new step, wait) for a learning-phase rating 1..3, or None when the card graduates."""
    if not steps:
        return None
    step = min(step, len(steps) - 1)
    if rating == 1:
        return 0, steps[0]
    if rating == 2:
        if step == 0:
            wait = (steps[0] + steps[1]) / 2 if len(steps) > 1 else steps[0] * 1.5
            return 0, wait
        return step, steps[step]
    if step + 1 < len(steps):  # rating 3 advances one step
        return step + 1, steps[step + 1]
    return None


def review(state: MemoryState, rating: Rating, now: datetime,
           config: SchedulerConfig = SchedulerConfig()) -> tuple[MemoryState, ReviewRecord]:
    """Apply one rating at `now`; returns the new state and the log record (inputs untouched)."""
    rating = _check_rating(rating)
    _require_aware(now, "now")
    now_utc = now.astimezone(timezone.utc)

    elapsed = None
    if state.last_review is not None:
        elapsed = (now_utc - state.last_review).total_seconds() / 86400.0
    t_days = _t_days(state, now_utc, config)
    plans = [_plan(state, rating, t_days, config)]
    if plans[-1].wait is None:  # days: the ratings below it count ("Adjacent ratings")
        plans[:0] = [_plan(state, lower, t_days, config) for lower in range(1, rating)]
    plan = plans[-1]
    due = _due(plan, _distinct_whole_days(state, plans, now_utc, config)[-1], now_utc, config)
    after = MemoryState(phase=plan.phase, stability=plan.stability, difficulty=plan.difficulty, due=due,
                        last_review=now_utc, reps=state.reps + 1, lapses=plan.lapses, step=plan.step,
                        last_rating=rating)
    record = ReviewRecord(rating=rating, reviewed_at=now_utc, elapsed_days=elapsed,
                          state_before=state, state_after=after, interval=due - now_utc)
    return after, record


def preview(state: MemoryState, now: datetime, config: SchedulerConfig = SchedulerConfig()) -> dict[int, timedelta]:
    """Time until the card would be due again for each rating: `review`'s intervals, with the five
    ratings planned once (each rating's days depend on those of the ratings below it)."""
    _require_aware(now, "now")
    now_utc = now.astimezone(timezone.utc)
    t_days = _t_days(state, now_utc, config)
    plans = [_plan(state, rating, t_days, config) for rating in RATINGS]
    wholes = _distinct_whole_days(state, plans, now_utc, config)
    return {rating: _due(plan, whole, now_utc, config) - now_utc
            for rating, plan, whole in zip(RATINGS, plans, wholes)}


__all__ = [
    "Rating", "RATING_LABELS", "RATINGS", "RATING_SCALES", "GRADE_TO_G", "DEFAULT_WEIGHTS", "N_WEIGHTS",
    "WEIGHT_BOUNDS", "SchedulerConfig", "MemoryState", "ReviewRecord", "review", "retrievability", "preview",
    "forgetting_curve", "decay_factor", "update_memory", "full_weights", "FSRS6_WEIGHT_COUNT", "interval_days", "study_day",
    "study_days_between", "day_boundary",
]
