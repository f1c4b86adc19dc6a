"""Replaying many cards' review histories at once: the state after every review, vectorised.

`core.review` applied review by review is the definition; this is the same computation run over
all cards per review number with numpy (importing 50,000 Anki reviews took seconds one by one).
The memory model (stability, difficulty) comes from the optimizer's recurrence
(`optimizer.memory_path`, itself tested against `core`); the scheduling rules here mirror
`core.review`: learning and relearning steps, lapses, "barely" = tomorrow, intervals landing on a
study-day boundary and never sooner than a learning step, a better rating at least a day later than
the one below it (so the same pass of `optimizer.memory_path` also gives the memory each review
would have given with grades 3..5). Fuzz draws a hash per review, so with `config.fuzz` the replay
runs `core.review` one review at a time instead.

Times are integer microseconds since the epoch (UTC), so a due time converts back to the exact
datetime `core.review` would give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import numpy as np

from flashtrain.scheduler import core, optimizer
from flashtrain.scheduler.core import PHASES, MemoryState, SchedulerConfig

NEW, LEARNING, REVIEW, RELEARNING = range(4)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = 1_000_000
_DAY_US = 86_400 * _US
_DST_MARGIN_US = 3 * 3600 * _US  # more than any change of a zone's UTC offset in one day


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (exact, unlike float seconds)."""
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * _US + delta.microseconds


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True)
class ReplayedStates:
    """The state after each review (arrays in the order the reviews were given)."""

    phase: np.ndarray  # index into core.PHASES
    stability: np.ndarray
    difficulty: np.ndarray
    due_us: np.ndarray
    reviewed_us: np.ndarray  # the review's time = the state's last_review
    reps: np.ndarray
    lapses: np.ndarray
    step: np.ndarray
    rating: np.ndarray  # = the state's last_rating
    elapsed_days: np.ndarray  # real days since the card's previous review; nan for its first
    previous: np.ndarray  # index of the same card's previous review, -1 for its first
    card: np.ndarray  # the card of each review, as given

    def __len__(self) -> int:
        return int(self.phase.size)

    def state(self, i: int) -> MemoryState:
        """The state after review i, as `core.review` returns it."""
        return MemoryState(phase=PHASES[int(self.phase[i])], stability=float(self.stability[i]),
                           difficulty=float(self.difficulty[i]), due=from_us(int(self.due_us[i])),
                           last_review=from_us(int(self.reviewed_us[i])), reps=int(self.reps[i]),
                           lapses=int(self.lapses[i]), step=int(self.step[i]), last_rating=int(self.rating[i]))

    def before(self, i: int) -> MemoryState:
        """The state before review i (new for a card's first review)."""
        return MemoryState() if self.previous[i] < 0 else self.state(int(self.previous[i]))


def replay(card: np.ndarray, reviewed_us: np.ndarray, rating: np.ndarray,
           config: SchedulerConfig = SchedulerConfig()) -> ReplayedStates:
    """States after every review when each card starts new and takes its reviews oldest first
    (reviews of one card at the same time keep the order given)."""
    card = np.asarray(card, dtype=np.int64)
    reviewed_us = np.asarray(reviewed_us, dtype=np.int64)
    rating = np.asarray(rating, dtype=np.int64)
    n = card.size
    if rating.size and (rating.min() < 1 or rating.max() > 5):
        raise ValueError("ratings must be 1..5")
    order = np.lexsort((reviewed_us, card))  # stable: ties keep the order given
    previous = np.full(n, -1, dtype=np.int64)
    if n:
        same_card = card[order][1:] == card[order][:-1]
        previous[order[1:][same_card]] = order[:-1][same_card]
    if config.fuzz:
        return _replay_one_by_one(card, reviewed_us, rating, order, previous, config)
    out = _empty(n)
    if not n:
        return ReplayedStates(**out, reviewed_us=reviewed_us, rating=rating, previous=previous, card=card)
    # Positions in the packed [review number, card] matrices of optimizer.pack: its columns are the
    # distinct cards longest history first (ties by card value), rows the reviews in time order.
    sorted_card = card[order]
    cards, starts, counts = np.unique(sorted_card, return_index=True, return_counts=True)
    column_order = np.lexsort((cards, -counts))
    column_of = np.empty(cards.size, dtype=np.int64)
    column_of[column_order] = np.arange(cards.size)
    row = np.arange(n) - np.repeat(starts, counts)
    column = column_of[np.repeat(np.arange(cards.size), counts)]
    seconds = reviewed_us / _US
    arrays = optimizer.pack(sorted_card, seconds[order], rating[order], config)
    # the adjacent-ratings rule compares a rating's interval with those of the ratings below it,
    # so the memory each review would have given with grades 3..5 comes along
    stability, difficulty, other_stability = optimizer.memory_path(arrays, config.weights, (3, 4, 5))
    out["stability"][order] = stability[row, column]
    out["difficulty"][order] = difficulty[row, column]

    grid = np.full(arrays.grade.shape, -1, dtype=np.int64)  # review index at each cell
    grid[row, column] = order
    day = optimizer.study_day_numbers(seconds, config)
    boundaries = _DayBoundaries(config)
    longest_step_us = _td_us(max(config.learning_steps + config.relearning_steps, default=timedelta(0)) * 1.5)
    learning = _Steps(config.learning_steps)
    relearning = _Steps(config.relearning_steps)
    decay = core.decay_factor(config.weights)
    retention_term = config.desired_retention ** (-1.0 / config.weights[20]) - 1.0

    n_cols = cards.size
    phase = np.full(n_cols, NEW, dtype=np.int64)
    step = np.zeros(n_cols, dtype=np.int64)
    lapses = np.zeros(n_cols, dtype=np.int64)
    last_us = np.zeros(n_cols, dtype=np.int64)
    for k, active in enumerate(arrays.active):
        if active == 0:
            break
        idx = grid[k, :active]
        r = rating[idx]
        now = reviewed_us[idx]
        ph, st, la = phase[:active], step[:active].copy(), lapses[:active].copy()
        if k:
            out["elapsed_days"][idx] = (now - last_us[:active]) / _US / 86400.0
        wait = np.full(active, -1, dtype=np.int64)  # a step's wait in µs; -1 = a day interval
        in_review = ph == REVIEW
        # review cards: 1 lapses into relearning; the others get days (below)
        lapse = in_review & (r == 1)
        la[lapse] += 1
        new_phase = ph.copy()
        if relearning.count:
            new_phase[lapse] = RELEARNING
            st[lapse] = 0
            wait[lapse] = relearning.wait_us[0]
        else:
            st[lapse] = 0
        # new, learning and relearning cards: the step rules, or graduation
        stepping = ~in_review
        for steps, which in ((relearning, stepping & (ph == RELEARNING)), (learning, stepping & (ph != RELEARNING))):
            if not which.any():
                continue
            planned, new_step, step_wait = steps.plan(st, r, which)
            graduating = which & ~planned
            new_phase[planned] = np.where(ph[planned] == RELEARNING, RELEARNING, LEARNING)
            st[planned] = new_step[planned]
            wait[planned] = step_wait[planned]
            new_phase[graduating] = REVIEW
            st[graduating] = 0
        due = np.where(wait >= 0, now + wait, 0)
        by_day = np.flatnonzero(wait < 0)
        if by_day.size:
            # the interval every rating up to this one would give these cards (None: a step)
            days_for: list[np.ndarray | None] = []
            for other in range(1, int(r[by_day].max()) + 1):
                gives_day, days = _day_interval_if_rated(other, ph[by_day], step[:active][by_day], learning,
                                                         relearning, None if other < 3 else
                                                         other_stability[other][k, :active][by_day],
                                                         decay, retention_term)
                days_for.append(np.where(gives_day, days, np.nan))
            today = day[idx][by_day]
            whole = _distinct_whole_days(days_for, r[by_day], now[by_day], today, boundaries, longest_step_us,
                                         config)
            due[by_day] = boundaries(today + whole)
        phase[:active], step[:active], lapses[:active], last_us[:active] = new_phase, st, la, now
        out["phase"][idx], out["step"][idx], out["lapses"][idx], out["due_us"][idx] = new_phase, st, la, due
        out["reps"][idx] = k + 1
    return ReplayedStates(**out, reviewed_us=reviewed_us, rating=rating, previous=previous, card=card)


def _empty(n: int) -> dict:
    return dict(phase=np.zeros(n, dtype=np.int64), stability=np.full(n, np.nan), difficulty=np.full(n, np.nan),
                due_us=np.zeros(n, dtype=np.int64), reps=np.zeros(n, dtype=np.int64),
                lapses=np.zeros(n, dtype=np.int64), step=np.zeros(n, dtype=np.int64),
                elapsed_days=np.full(n, np.nan))


def _td_us(delta: timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * _US + delta.microseconds


class _Steps:
    """core._step_wait for many cards: (planned mask, new step, wait µs) for ratings 1..3."""

    def __init__(self, steps: tuple[timedelta, ...]) -> None:
        self.count = len(steps)
        self.wait_us = np.array([_td_us(s) for s in steps], dtype=np.int64)
        if self.count > 1:
            self.hard_first_us = _td_us((steps[0] + steps[1]) / 2)
        elif self.count:
            self.hard_first_us = _td_us(steps[0] * 1.5)

    def plan(self, step: np.ndarray, rating: np.ndarray, which: np.ndarray):
        n = step.size
        planned = np.zeros(n, dtype=bool)
        new_step = step.copy()
        wait = np.full(n, -1, dtype=np.int64)
        if not self.count:
            return planned, new_step, wait
        current = np.minimum(step, self.count - 1)
        again = which & (rating == 1)
        planned[again], new_step[again], wait[again] = True, 0, self.wait_us[0]
        hard = which & (rating == 2)
        hard_first = hard & (current == 0)
        planned[hard_first], new_step[hard_first], wait[hard_first] = True, 0, self.hard_first_us
        hard_later = hard & (current > 0)
        planned[hard_later] = True
        new_step[hard_later] = current[hard_later]
        wait[hard_later] = self.wait_us[current[hard_later]]
        advance = which & (rating == 3) & (current + 1 < self.count)
        planned[advance] = True
        new_step[advance] = current[advance] + 1
        wait[advance] = self.wait_us[np.minimum(current[advance] + 1, self.count - 1)]
        return planned, new_step, wait


class _DayBoundaries:
    """core.day_boundary in µs for study-day ordinals, looked up once per distinct day."""

    def __init__(self, config: SchedulerConfig) -> None:
        self.config = config
        self.known: dict[int, int] = {}

    def __call__(self, days: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(days, return_inverse=True)
        values = []
        for ordinal in unique.tolist():
            if ordinal not in self.known:
                self.known[ordinal] = to_us(core.day_boundary(date.fromordinal(ordinal), self.config))
            values.append(self.known[ordinal])
        return np.array(values, dtype=np.int64)[inverse]


def _day_interval_if_rated(rating: int, phase: np.ndarray, step: np.ndarray, learning: _Steps,
                           relearning: _Steps, stability: np.ndarray | None, decay: float,
                           retention_term: float) -> tuple[np.ndarray, np.ndarray]:
    """(gives a day interval, its unrounded days) had these cards been rated `rating` (core._plan):
    `stability` is the memory after that rating (needed for 3..5)."""
    n = phase.size
    days = np.ones(n) if stability is None else stability / decay * retention_term
    in_review = phase == REVIEW
    if rating >= 4:
        return np.ones(n, dtype=bool), days
    gives_day = in_review.copy()
    if rating == 1 and relearning.count:
        gives_day[in_review] = False  # a lapse goes to the first relearning step
    ratings = np.full(n, rating, dtype=np.int64)
    for steps, which in ((relearning, ~in_review & (phase == RELEARNING)), (learning, ~in_review & (phase != RELEARNING))):
        planned = steps.plan(step, ratings, which)[0]
        gives_day |= which & ~planned
    if rating == 2:
        days = np.ones(n)  # "barely": tomorrow, in review and when graduating
    return gives_day, days


def _whole_days(days: np.ndarray, now: np.ndarray, today: np.ndarray, boundaries: _DayBoundaries,
                longest_step_us: int, config: SchedulerConfig) -> np.ndarray:
    """core._whole_days without fuzz: whole days (half to even, as round()), a day more while the
    day boundary they lead to is sooner than a learning step would be."""
    whole = np.clip(np.rint(days), 1, config.maximum_interval_days).astype(np.int64)
    # the boundary `whole` days on is at least whole - 1 days away, less a DST shift: only cards
    # whose wait could be shorter than a step need their boundary looked up
    near = np.flatnonzero((whole - 1) * _DAY_US - _DST_MARGIN_US < longest_step_us)
    while near.size:
        short = boundaries(today[near] + whole[near]) - now[near] < longest_step_us
        near = near[short]
        whole[near] += 1
    return whole


def _distinct_whole_days(days_for: list[np.ndarray], rating: np.ndarray, now: np.ndarray, today: np.ndarray,
                         boundaries: _DayBoundaries, longest_step_us: int, config: SchedulerConfig) -> np.ndarray:
    """core._distinct_whole_days for many cards: `days_for[j - 1]` holds the unrounded days rating j
    would give (nan: a step); a rating waits at least a day more than the one below it."""
    below = np.full(rating.size, -1, dtype=np.int64)  # whole days of the rating below; -1: a step
    chosen = np.zeros(rating.size, dtype=np.int64)
    for j, days in enumerate(days_for, start=1):
        gives_day = ~np.isnan(days)
        whole = np.full(rating.size, -1, dtype=np.int64)
        if gives_day.any():
            whole[gives_day] = _whole_days(days[gives_day], now[gives_day], today[gives_day], boundaries,
                                           longest_step_us, config)
        whole = np.where(gives_day & (below >= 0),
                         np.maximum(whole, np.minimum(below + 1, config.maximum_interval_days)), whole)
        chosen = np.where(rating == j, whole, chosen)
        below = whole
    return chosen


def _replay_one_by_one(card, reviewed_us, rating, order, previous, config: SchedulerConfig) -> ReplayedStates:
    out = _empty(card.size)
    state_of: dict[int, MemoryState] = {}
    for i in order.tolist():
        state, record = core.review(state_of.get(int(card[i]), MemoryState()), int(rating[i]),
                                    from_us(int(reviewed_us[i])), config)
        state_of[int(card[i])] = state
        out["phase"][i] = PHASES.index(state.phase)
        out["stability"][i], out["difficulty"][i] = state.stability, state.difficulty
        out["due_us"][i] = to_us(state.due)
        out["reps"][i], out["lapses"][i], out["step"][i] = state.reps, state.lapses, state.step
        out["elapsed_days"][i] = np.nan if record.elapsed_days is None else record.elapsed_days
    return ReplayedStates(**out, reviewed_us=reviewed_us, rating=rating, previous=previous, card=card)


__all__ = ["ReplayedStates", "replay", "to_us", "from_us"]
