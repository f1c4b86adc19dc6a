"""Fit the scheduler's 21 weights to a learner's review history (numpy + scipy L-BFGS-B, no torch).

Public entry point (used by `flashtrain optimize` in the study service):

    fit_weights(histories, config=SchedulerConfig(), progress=None, *,
                min_reviews=MIN_REVIEWS, holdout_fraction=0.2, max_iterations=MAX_ITERATIONS) -> FitResult

- `histories`: one sequence per card of `(reviewed_at, rating)` pairs; reviewed_at an aware datetime,
  rating 1..5.  Order inside a card does not matter (sorted here).
- Scored reviews are those the srs-benchmark scores: not a card's first review and not on the same
  study day as the card's previous review (config.tz / config.day_start_hour define study days).
  Fewer than `min_reviews` scored reviews raise `NotEnoughReviews` (a ValueError) whose message gives
  the count.
- The latest `holdout_fraction` of scored reviews (by time) is held out; the weights are fitted on the
  earlier ones (their full history is used as input) and both the starting weights (`config.weights`)
  and the fitted ones are scored on the held-out slice.  If the fit is not better there, the result
  keeps the starting weights and `used_default` is True.
- `progress(iteration, max_iterations, train_loss)` is called after each L-BFGS-B iteration.
- `FitResult(weights, before, after, used_default, n_reviews, n_scored, n_train, n_test, seconds)`,
  where before/after are {"logloss": float, "rmse_bins": float} on the held-out slice.

How it is fast: cards are packed into a [review number x card] matrix sorted by length so the cards
still active at step k are a prefix; the FSRS recurrence then runs column by column over all cards at
once.  The gradient is a forward finite difference evaluated in the same pass: all 22 weight vectors
(base + one nudge per weight) are stacked on a leading axis.  The recurrence mirrors
`flashtrain.scheduler.core` exactly (tests compare the two).
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Sequence

import numpy as np

from flashtrain.scheduler import metrics
from flashtrain.scheduler.core import (
    DEFAULT_WEIGHTS, FSRS6_WEIGHT_COUNT, GRADE_TO_G, N_WEIGHTS, WEIGHT_BOUNDS, SchedulerConfig, _require_aware, study_day,
)

MIN_REVIEWS = 400
MAX_ITERATIONS = 100
FTOL = 1e-7  # relative loss change per iteration at which L-BFGS-B stops
S_MIN, S_MAX = 0.001, 36500.0
ProgressCallback = Callable[[int, int, float], None]

_LOWER = np.array([lo for lo, _ in WEIGHT_BOUNDS])
_UPPER = np.array([hi for _, hi in WEIGHT_BOUNDS])
_SPAN = _UPPER - _LOWER
_G_OF_GRADE = np.array([0.0] + [GRADE_TO_G[g] for g in range(1, 6)])
# pull towards the starting weights, in units of each bound's span; divided by the number of scored
# reviews so it only matters on small histories
PRIOR_STRENGTH = 30.0


class NotEnoughReviews(ValueError):
    def __init__(self, have: int, need: int) -> None:
        super().__init__(f"not enough review history to fit: {have} reviews on a later day than the card's "
                         f"previous review, need at least {need}")
        self.have, self.need = have, need


@dataclass(frozen=True)
class ReviewArrays:
    """Histories packed as [review number, card] matrices (cards sorted by length, longest first)."""

    grade: np.ndarray  # int, 0 where a card has no review at that position
    t_days: np.ndarray  # study days since the card's previous review (0 = same day or first)
    label: np.ndarray  # 1.0 recalled (rating > 1), 0.0 forgotten
    scored: np.ndarray  # bool: not first review, not same study day
    time: np.ndarray  # POSIX seconds, +inf where empty
    review_number: np.ndarray  # srs-benchmark i: 1 + earlier first/new-day reviews
    lapses: np.ndarray  # earlier new-day ratings of 1
    learning: np.ndarray  # bool: the card had not graduated before this review (core's "learning" phase)
    active: tuple[int, ...]  # number of cards with more than k reviews
    card_order: np.ndarray  # position in the input list of each column

    @property
    def n_reviews(self) -> int:
        return int(sum(self.active))

    @property
    def n_scored(self) -> int:
        return int(self.scored.sum())


def prepare(histories: Sequence[Sequence[tuple]], config: SchedulerConfig = SchedulerConfig()) -> ReviewArrays:
    """Pack histories of (aware datetime, rating 1..5) into ReviewArrays."""
    card, stamps, ratings = [], [], []
    for index, history in enumerate(histories):
        for when, rating in history:
            _require_aware(when, "review time")
            if isinstance(rating, bool) or int(rating) != rating or not 1 <= rating <= 5:
                raise ValueError(f"rating must be 1..5, got {rating!r}")
            card.append(index)
            stamps.append(when.timestamp())
            ratings.append(int(rating))
    return pack(np.array(card, dtype=np.int64), np.array(stamps, dtype=float),
                np.array(ratings, dtype=np.int64), config)


def study_day_numbers(stamps: np.ndarray, config: SchedulerConfig) -> np.ndarray:
    """`core.study_day(...).toordinal()` for many POSIX times at once.

    The zone's UTC offset is looked up at both ends of each UTC day that occurs, and per quarter
    hour (offsets change on such boundaries) only inside the few days where those two differ, so a
    million reviews cost a few thousand zone look-ups, not a million."""
    stamps = np.asarray(stamps, dtype=float)
    if stamps.size == 0:
        return np.zeros(0, dtype=np.int64)
    day = np.floor(stamps / 86400.0).astype(np.int64)
    unique_days, day_index = np.unique(day, return_inverse=True)
    starts = [_utc_offset_seconds(d * 86400, config) for d in unique_days.tolist()]
    ends = [_utc_offset_seconds(d * 86400 + 86399, config) for d in unique_days.tolist()]
    offsets = np.array(starts)[day_index]
    changing = np.flatnonzero(np.array(starts) != np.array(ends))
    if changing.size:
        inside = np.isin(day_index, changing)
        quarter = np.floor(stamps[inside] / 900.0).astype(np.int64)
        unique_q, q_index = np.unique(quarter, return_inverse=True)
        offsets[inside] = np.array([_utc_offset_seconds(q * 900, config) for q in unique_q.tolist()])[q_index]
    local = stamps + offsets - config.day_start_hour * 3600
    epoch_ordinal = 719163  # date(1970, 1, 1).toordinal()
    return np.floor(local / 86400.0).astype(np.int64) + epoch_ordinal


def _utc_offset_seconds(stamp: int, config: SchedulerConfig) -> float:
    moment = datetime.fromtimestamp(stamp, tz=timezone.utc)
    local = moment.astimezone(config.tz) if config.tz is not None else moment.astimezone()
    return local.utcoffset().total_seconds()


def pack(card: np.ndarray, stamps: np.ndarray, ratings: np.ndarray,
         config: SchedulerConfig = SchedulerConfig()) -> ReviewArrays:
    """ReviewArrays from flat per-review arrays: card index, POSIX time and rating 1..5.

    Columns are ordered by number of reviews (longest first, ties by card index), reviews inside a
    card by time; `card_order` gives each column's card index."""
    card = np.asarray(card, dtype=np.int64)
    stamps = np.asarray(stamps, dtype=float)
    ratings = np.asarray(ratings, dtype=np.int64)
    if ratings.size and (ratings.min() < 1 or ratings.max() > 5):
        raise ValueError("ratings must be 1..5")
    if card.size == 0:
        empty = np.zeros((0, 0))
        return ReviewArrays(grade=empty.astype(np.int64), t_days=empty, label=empty,
                            scored=empty.astype(bool), time=empty, review_number=empty.astype(np.int64),
                            lapses=empty.astype(np.int64), learning=empty.astype(bool), active=(),
                            card_order=np.zeros(0, dtype=np.int64))
    order = np.lexsort((stamps, card))
    card, stamps, ratings = card[order], stamps[order], ratings[order]
    cards, starts, counts = np.unique(card, return_index=True, return_counts=True)
    column_order = np.lexsort((cards, -counts))  # longest first, ties by card index
    column_of_card = np.empty(cards.size, dtype=np.int64)
    column_of_card[column_order] = np.arange(cards.size)
    which = np.repeat(np.arange(cards.size), counts)
    row = np.arange(card.size) - np.repeat(starts, counts)
    column = column_of_card[which]
    shape = (int(counts.max()), cards.size)
    grade = np.zeros(shape, dtype=np.int64)
    stamp = np.full(shape, np.inf)
    day = np.zeros(shape, dtype=np.int64)
    grade[row, column] = ratings
    stamp[row, column] = stamps
    day[row, column] = study_day_numbers(stamps, config)
    present = grade > 0
    t_days = np.zeros(shape)
    t_days[1:] = np.where(present[1:], np.maximum(day[1:] - day[:-1], 0), 0)
    scored = present.copy()
    scored[0] = False
    scored &= t_days > 0
    # i = 1 + number of earlier reviews that were a first review or on a new day
    counted = present & (t_days > 0)
    counted[0] = present[0]
    review_number = 1 + np.cumsum(counted, axis=0) - counted
    lapse_events = (grade == 1) & scored
    lapses = np.cumsum(lapse_events, axis=0) - lapse_events
    active = tuple(int(x) for x in present.sum(axis=1))
    return ReviewArrays(grade=grade, t_days=t_days, label=(grade > 1).astype(float), scored=scored,
                        time=stamp, review_number=review_number, lapses=lapses,
                        learning=learning_phase(grade, len(config.learning_steps)), active=active,
                        card_order=cards[column_order])


def learning_phase(grade: np.ndarray, n_steps: int) -> np.ndarray:
    """Whether each review found its card still in the learning phase, as `core.review` moves cards
    through `n_steps` learning steps: 1 goes back to the first step, 2 stays, 3 moves one step on and
    graduates after the last, 4 and 5 graduate at once; with no steps the first review graduates.
    The first review (from "new") is False: it sets the initial state."""
    learning = np.zeros(grade.shape, dtype=bool)
    if grade.size == 0:
        return learning
    step = np.zeros(grade.shape[1], dtype=np.int64)
    still = np.ones(grade.shape[1], dtype=bool)  # not graduated before review k
    last_step = max(n_steps - 1, 0)
    for k in range(grade.shape[0]):
        g = grade[k]
        learning[k] = still & (g > 0) & (k > 0)
        advanced = np.minimum(step, last_step) + 1  # where a 3 moves the card (core._step_wait)
        graduates = (n_steps == 0) | (g >= 4) | ((g == 3) & (advanced >= n_steps))
        step = np.where(g == 1, 0, np.where(g == 3, advanced, step))
        still &= ~(graduates & (g > 0))
    return learning


def _run(arrays: ReviewArrays, weights: np.ndarray, mask: np.ndarray | None = None,
         keep_predictions: bool = False, sample_weight: np.ndarray | None = None,
         final: tuple[np.ndarray, np.ndarray] | None = None,
         trace: tuple[np.ndarray, np.ndarray] | None = None,
         alternatives: dict[int, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Run the recurrence for P weight vectors (weights [P, 21]).

    Returns (sum of log-likelihood over `mask` for each P, predicted R [L, N] for P=1 or None).
    `final`, when given, is a pair of [N] arrays that receive each card's stability and difficulty
    after its last review (for P=1); `trace`, a pair of [L, N] arrays that receive the stability and
    difficulty after every review (for P=1); `alternatives`, {grade: [L, N] array} that receive the
    stability each review would have given had it been rated that grade (for P=1).
    """
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    if w.shape[1] == FSRS6_WEIGHT_COUNT:  # an FSRS-6 set: no learning-lapse penalty
        w = np.concatenate([w, np.zeros((w.shape[0], 1))], axis=1)
    col = [w[:, i:i + 1] for i in range(N_WEIGHTS)]
    n_p = w.shape[0]
    decay = col[20]
    factor = 0.9 ** (-1.0 / decay) - 1.0
    s0 = np.stack([w[:, 0], w[:, 1], np.sqrt(w[:, 1] * w[:, 2]), w[:, 2], w[:, 3]], axis=1)
    s0 = np.clip(np.maximum.accumulate(s0, axis=1), S_MIN, S_MAX)
    s0 = np.concatenate([np.ones((n_p, 1)), s0], axis=1)  # index by grade
    g_of = _G_OF_GRADE
    # recall bonus h(G) per grade, log-linear: w15 at G=2, 1 at G=3, w16 at G=4
    log_w15 = np.log(np.maximum(w[:, 15:16], 1e-9))
    log_w16 = np.log(w[:, 16:17])
    h_of = np.exp(np.where(g_of <= 3.0, (3.0 - g_of) * log_w15, (g_of - 3.0) * log_w16))  # [P, 6]
    d0_easy = col[4] - np.exp(col[5] * 3.0) + 1.0
    total = np.zeros(n_p)
    predictions = np.full(arrays.grade.shape, np.nan) if keep_predictions else None
    if not arrays.active:
        return total, predictions

    first = arrays.grade[0]
    stability = s0[:, first]
    difficulty = np.clip(col[4] - np.exp(col[5] * (g_of[first] - 1.0)) + 1.0, 1.0, 10.0)
    if trace is not None:
        trace[0][0] = stability[0]
        trace[1][0] = difficulty[0]
    for other, matrix in (alternatives or {}).items():
        matrix[0, :arrays.active[0]] = s0[0, other]
    same_day_fail_divisor = np.exp(col[17] * col[18])
    exp_w8 = np.exp(col[8])

    def grown(stability, difficulty, recall, t, grade, learning):
        """Stability after each cell's review rated `grade` (before clamping)."""
        g = g_of[grade]
        # each branch only on its own cells: transcendental functions dominate the cost
        same_day = t <= 0
        short_cells = np.flatnonzero(same_day)
        fail_cells = np.flatnonzero(~same_day & (grade == 1))
        pass_cells = np.flatnonzero(~same_day & (grade > 1))
        new_s = np.empty_like(stability)
        if short_cells.size:
            s, gs = stability[:, short_cells], g[short_cells]
            growth = np.exp(col[17] * (gs - 3.0 + col[18]) - col[19] * np.log(s))
            growth = np.where(gs >= 2.0, np.maximum(growth, 1.0), growth)
            # the learning-lapse penalty (core.next_stability)
            learning_fail = (gs < 2.0) & learning[short_cells]
            growth = np.where(learning_fail, growth * np.exp(-col[21]), growth)
            new_s[:, short_cells] = s * growth
        if fail_cells.size:
            s, d, r = stability[:, fail_cells], difficulty[:, fail_cells], recall[:, fail_cells]
            s_fail = col[11] * np.exp(-col[12] * np.log(d)) * np.expm1(col[13] * np.log1p(s)) \
                * np.exp(col[14] * (1.0 - r))
            new_s[:, fail_cells] = np.minimum(s_fail, s / same_day_fail_divisor)
        if pass_cells.size:
            s, d, r = stability[:, pass_cells], difficulty[:, pass_cells], recall[:, pass_cells]
            new_s[:, pass_cells] = s * (1.0 + exp_w8 * (11.0 - d) * np.exp(-col[9] * np.log(s))
                                        * np.expm1(col[10] * (1.0 - r)) * h_of[:, grade[pass_cells]])
        return new_s

    for k in range(1, len(arrays.active)):
        a = arrays.active[k]
        if final is not None:  # cards whose last review was at k - 1
            final[0][a:stability.shape[1]] = stability[0, a:]
            final[1][a:stability.shape[1]] = difficulty[0, a:]
        if a == 0:
            break
        stability = stability[:, :a]
        difficulty = difficulty[:, :a]
        grade = arrays.grade[k, :a]
        g = g_of[grade]
        t = arrays.t_days[k, :a]
        log_base = np.log1p(factor * t / stability)
        recall = np.exp(-decay * log_base)
        if mask is not None:
            m = mask[k, :a]
            if m.any():
                r = np.clip(recall[:, m], 1e-9, 1.0 - 1e-9)
                y = arrays.label[k, :a][m]
                loglik = y * np.log(r) + (1.0 - y) * np.log1p(-r)
                if sample_weight is not None:
                    loglik = loglik * sample_weight[k, :a][m]
                total += np.sum(loglik, axis=1)
        if predictions is not None:
            predictions[k, :a] = recall[0]
        learning = arrays.learning[k, :a]
        new_s = grown(stability, difficulty, recall, t, grade, learning)
        for other, matrix in (alternatives or {}).items():
            matrix[k, :a] = np.clip(grown(stability, difficulty, recall, t, np.full(a, other), learning),
                                    S_MIN, S_MAX)[0]
        damped = difficulty - col[6] * (g - 3.0) * (10.0 - difficulty) / 9.0
        difficulty = np.clip(col[7] * d0_easy + (1.0 - col[7]) * damped, 1.0, 10.0)
        stability = np.clip(new_s, S_MIN, S_MAX)
        if trace is not None:
            trace[0][k, :a] = stability[0]
            trace[1][k, :a] = difficulty[0]
    if final is not None:
        final[0][:stability.shape[1]] = stability[0]
        final[1][:stability.shape[1]] = difficulty[0]
    return total, predictions


def predict(arrays: ReviewArrays, weights: Sequence[float]) -> np.ndarray:
    """Predicted recall before every review ([L, N]; nan for first reviews and empty cells)."""
    return _run(arrays, np.asarray(weights, dtype=float)[None, :], keep_predictions=True)[1]


def final_memory(arrays: ReviewArrays, weights: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """(stability, difficulty) of every card (column) after its last review."""
    n_cards = arrays.grade.shape[1]
    final = (np.full(n_cards, np.nan), np.full(n_cards, np.nan))
    _run(arrays, np.asarray(weights, dtype=float)[None, :], final=final)
    return final


def memory_path(arrays: ReviewArrays, weights: Sequence[float], alternative_grades: Sequence[int] = ()
                ) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """(stability, difficulty) after every review ([L, N]; nan where a card has no review), and
    {grade: [L, N]}: the stability each review would have given had it been rated that grade instead
    (the review before it as it was), for each of `alternative_grades`."""
    path = (np.full(arrays.grade.shape, np.nan), np.full(arrays.grade.shape, np.nan))
    alternatives = {g: np.full(arrays.grade.shape, np.nan) for g in alternative_grades}
    _run(arrays, np.asarray(weights, dtype=float)[None, :], trace=path, alternatives=alternatives)
    return path[0], path[1], alternatives


def evaluate(arrays: ReviewArrays, predictions: np.ndarray, mask: np.ndarray) -> dict:
    y, p = arrays.label[mask], predictions[mask]
    return {"logloss": metrics.log_loss(y, p),
            "rmse_bins": metrics.rmse_bins(y, p, arrays.t_days[mask], arrays.review_number[mask],
                                           arrays.lapses[mask]),
            "auc": metrics.auc(y, p), "n": int(mask.sum())}


# Recent reviews say more about the learner today than old ones (habits, material and the learner
# change), so the fit weights each training review by its rank in time: the oldest count
# RECENCY_FLOOR, the newest 1, rising as rank ** RECENCY_POWER. The srs-benchmark's best per-user
# FSRS variants gain about 0.5 % log loss this way; on the shared real log a gentle ramp (0.5 -> 1,
# quadratic) was best of the few tried (0.25/cubic and 0.1/quadratic were worse than none).
RECENCY_FLOOR = 0.5
RECENCY_POWER = 2.0


def recency_weights(arrays: ReviewArrays, train_mask: np.ndarray, floor: float = RECENCY_FLOOR,
                    power: float = RECENCY_POWER) -> np.ndarray:
    """Per-review fitting weight (0 outside `train_mask`), rising with the review's rank in time."""
    weight = np.zeros(arrays.grade.shape)
    rows, cols = np.nonzero(train_mask)
    if rows.size:
        order = np.argsort(arrays.time[rows, cols], kind="stable")
        rank = np.empty(rows.size)
        rank[order] = (np.arange(rows.size) + 1) / rows.size
        weight[rows, cols] = floor + (1.0 - floor) * rank ** power
    return weight


def fit_arrays(arrays: ReviewArrays, train_mask: np.ndarray,
               initial_weights: Sequence[float] = DEFAULT_WEIGHTS,
               progress: ProgressCallback | None = None, max_iterations: int = MAX_ITERATIONS,
               recency: bool = True, prior_weights: Sequence[float] = DEFAULT_WEIGHTS) -> tuple[float, ...]:
    """Weights minimising log loss (recency-weighted, plus a weak pull towards `prior_weights`, the
    population medians) over `train_mask`, searched from `initial_weights` (e.g. the learner's
    current ones, which makes a refit short)."""
    from scipy.optimize import minimize  # lazy: keep `import flashtrain.scheduler` light

    n_train = int(train_mask.sum())
    if n_train == 0:
        return tuple(float(x) for x in initial_weights)
    start = np.clip(np.asarray(initial_weights, dtype=float), _LOWER, _UPPER)
    x0 = (start - _LOWER) / _SPAN  # optimise in [0, 1] per weight so steps are comparable
    centre = (np.clip(np.asarray(prior_weights, dtype=float), _LOWER, _UPPER) - _LOWER) / _SPAN
    prior = PRIOR_STRENGTH / n_train
    step = 1e-6
    sample_weight = (recency_weights(arrays, train_mask, RECENCY_FLOOR, RECENCY_POWER) if recency
                     else train_mask.astype(float))
    total_weight = float(sample_weight.sum())
    # only simulate cards that have a review to score; the others cannot change the loss
    data, mask, sample_weight = _trim(arrays, train_mask, sample_weight)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        nudged = np.repeat(x[None, :], N_WEIGHTS + 1, axis=0)
        direction = np.where(x + step <= 1.0, step, -step)
        nudged[np.arange(1, N_WEIGHTS + 1), np.arange(N_WEIGHTS)] += direction
        loglik, _ = _run(data, _LOWER + nudged * _SPAN, mask, sample_weight=sample_weight)
        losses = -loglik / total_weight + prior * np.sum((nudged - centre) ** 2, axis=1)
        last_loss[0] = float(losses[0])
        return float(losses[0]), (losses[1:] - losses[0]) / direction

    iteration, last_loss = [0], [float("nan")]

    def callback(xk: np.ndarray) -> None:
        iteration[0] += 1
        if progress is not None:  # L-BFGS-B evaluates the accepted point last
            progress(iteration[0], max_iterations, last_loss[0])

    result = minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * N_WEIGHTS,
                      callback=callback, options={"maxiter": max_iterations, "ftol": FTOL})
    fitted = _LOWER + np.clip(result.x, 0.0, 1.0) * _SPAN
    return tuple(float(v) for v in fitted)


def _trim(arrays: ReviewArrays, mask: np.ndarray,
          sample_weight: np.ndarray) -> tuple[ReviewArrays, np.ndarray, np.ndarray]:
    """Drop cards with no scored review under `mask` and reviews after each card's last scored one."""
    has_any = mask.any(axis=0)
    if has_any.all():
        return arrays, mask, sample_weight
    columns = np.flatnonzero(has_any)
    last = np.where(mask[:, columns], np.arange(mask.shape[0])[:, None], -1).max(axis=0)
    order = np.argsort(-last, kind="stable")
    columns = columns[order]
    lengths = last[order] + 1
    length = int(lengths[0]) if lengths.size else 0
    keep = np.arange(length)[:, None] < lengths[None, :]

    def cut(matrix: np.ndarray, fill) -> np.ndarray:
        return np.where(keep, matrix[:length][:, columns], fill)

    trimmed = ReviewArrays(grade=cut(arrays.grade, 0), t_days=cut(arrays.t_days, 0.0),
                           label=cut(arrays.label, 0.0), scored=cut(arrays.scored, False),
                           time=cut(arrays.time, np.inf), review_number=cut(arrays.review_number, 0),
                           lapses=cut(arrays.lapses, 0), learning=cut(arrays.learning, False), active=tuple(int(x) for x in keep.sum(axis=1)),
                           card_order=arrays.card_order[columns])
    return trimmed, cut(mask, False), cut(sample_weight, 0.0)


@dataclass(frozen=True)
class FitResult:
    weights: tuple[float, ...]  # what to use from now on: refitted on the whole history when accepted
    before: dict  # {"logloss", "rmse_bins"} of the starting weights on the held-out slice
    after: dict  # the same for the weights fitted on the earlier reviews only
    used_default: bool  # True when the fit was not better on the held-out slice (weights = the start)
    n_reviews: int  # all reviews given
    n_scored: int
    n_train: int
    n_test: int
    seconds: float
    holdout_weights: tuple[float, ...] = ()  # fitted on the training slice (what the held-out check judged)
    refitted_on_all: bool = False  # weights were fitted again on every scored review after the check


def time_split(arrays: ReviewArrays, holdout_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(train mask, test mask): the latest `holdout_fraction` of scored reviews are the test slice."""
    times = np.sort(arrays.time[arrays.scored])
    n_test = max(1, int(round(len(times) * holdout_fraction)))
    cutoff = times[len(times) - n_test]
    return arrays.scored & (arrays.time < cutoff), arrays.scored & (arrays.time >= cutoff)


def fit_weights(histories: Sequence[Sequence[tuple]], config: SchedulerConfig = SchedulerConfig(),
                progress: ProgressCallback | None = None, *, min_reviews: int = MIN_REVIEWS,
                holdout_fraction: float = 0.2, max_iterations: int = MAX_ITERATIONS) -> FitResult:
    """Fit weights to review histories; see the module docstring."""
    if not any(histories):
        raise NotEnoughReviews(0, min_reviews)
    return fit_packed(prepare(histories, config), config, progress, min_reviews=min_reviews,
                      holdout_fraction=holdout_fraction, max_iterations=max_iterations)


def fit_packed(arrays: ReviewArrays, config: SchedulerConfig = SchedulerConfig(),
               progress: ProgressCallback | None = None, *, min_reviews: int = MIN_REVIEWS,
               holdout_fraction: float = 0.2, max_iterations: int = MAX_ITERATIONS) -> FitResult:
    """`fit_weights` on histories already packed with `prepare` or `pack`.

    The held-out check judges weights fitted on the earlier reviews; once it accepts them, the
    weights are fitted again on every scored review (starting from the accepted ones, so this
    second fit is short) and those are the ones returned for use."""
    started = _time.perf_counter()
    if arrays.n_scored < min_reviews:
        raise NotEnoughReviews(arrays.n_scored, min_reviews)
    train, test = time_split(arrays, holdout_fraction)
    fitted = fit_arrays(arrays, train, config.weights, progress, max_iterations)
    before = evaluate(arrays, predict(arrays, config.weights), test)
    after = evaluate(arrays, predict(arrays, fitted), test)
    worse = not (math.isfinite(after["logloss"]) and after["logloss"] < before["logloss"])
    final = tuple(config.weights) if worse else fit_arrays(arrays, arrays.scored, fitted, None, max_iterations)
    summary = {key: before[key] for key in ("logloss", "rmse_bins")}
    fitted_summary = {key: after[key] for key in ("logloss", "rmse_bins")}
    return FitResult(weights=final, before=summary, after=fitted_summary, used_default=worse,
                     n_reviews=arrays.n_reviews, n_scored=arrays.n_scored, n_train=int(train.sum()),
                     n_test=int(test.sum()), seconds=_time.perf_counter() - started,
                     holdout_weights=fitted, refitted_on_all=not worse)
