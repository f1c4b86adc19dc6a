"""Baseline recall predictors for the scheduler benchmark, on `optimizer.ReviewArrays`.

Every predictor returns an [L, N] matrix of predicted recall, meaningful where `arrays.scored`.
Models without a short-term memory (SM-2, HLR, Leitner) ignore same-day reviews as the srs-benchmark
does; they see a card's first review and every review on a later study day.

- sm2:     replay SuperMemo-2, p = 0.9 ** (t / I) (the benchmark's trick: 90 % recall at the interval).
           Quality q: grade 1 -> 2 (fail), 2 -> 3, 3 -> 3.5, 4 -> 4, 5 -> 5 (Anki Again..Easy -> 2..5 as
           in the benchmark's q = rating + 1).
- hlr:     half-life regression, h = 2 ** (a sqrt(passes) + b sqrt(fails) + c), p = 0.5 ** (t / h),
           3 weights fitted by log loss (analytic gradient, L-BFGS-B).
- leitner: boxes of 1, 2, 4, 8, 16, 32, 64 days, pass -> up one box, fail -> box 1, p = 0.9 ** (t / I).
- avg:     the mean label of the training rows.
- fsrs6:   the `fsrs` package (py-fsrs) with default parameters, imported lazily; R is computed from
           its stability with study-day elapsed time, not with `get_card_retrievability` (which floors
           24-hour periods and gives R = 1 on the next calendar day).
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from flashtrain.scheduler.optimizer import ReviewArrays

HLR_DEFAULT = (2.5819, -0.8674, 2.7245)
LEITNER_DAYS = (1, 2, 4, 8, 16, 32, 64)
SM2_QUALITY = {1: 2.0, 2: 3.0, 3: 3.5, 4: 4.0, 5: 5.0}


def _long_term_reviews(arrays: ReviewArrays) -> np.ndarray:
    """Reviews a long-term-only model sees: a card's first review and reviews on later days."""
    present = arrays.grade > 0
    seen = present & (arrays.t_days > 0)
    seen[0] = present[0]
    return seen


def _replay(arrays: ReviewArrays, step) -> np.ndarray:
    """Per-card replay: step(card_state, grade) -> (card_state, interval_days); p = 0.9 ** (t / I)."""
    seen = _long_term_reviews(arrays)
    p = np.full(arrays.grade.shape, np.nan)
    for column in range(arrays.grade.shape[1]):
        card, interval = None, None
        for k in range(arrays.grade.shape[0]):
            grade = arrays.grade[k, column]
            if grade == 0:
                break
            if not seen[k, column]:
                continue
            if interval is not None:
                p[k, column] = 0.9 ** (arrays.t_days[k, column] / interval)
            card, interval = step(card, int(grade))
    return p


def sm2(arrays: ReviewArrays) -> np.ndarray:
    def step(card, grade):
        n, ef, interval = card if card is not None else (0, 2.5, 0.0)
        q = SM2_QUALITY[grade]
        if q < 3:
            n, interval = 0, 1.0
        else:
            interval = 1.0 if n == 0 else 6.0 if n == 1 else max(1.0, round(interval * ef))
            n += 1
        ef = max(1.3, ef + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02))
        return (n, ef, interval), interval

    return _replay(arrays, step)


def leitner(arrays: ReviewArrays) -> np.ndarray:
    def step(box, grade):
        if box is None:
            box = 0
        else:
            box = min(box + 1, len(LEITNER_DAYS) - 1) if grade > 1 else 0
        return box, float(LEITNER_DAYS[box])

    return _replay(arrays, step)


def avg(arrays: ReviewArrays, train_mask: np.ndarray) -> np.ndarray:
    mean = float(arrays.label[train_mask].mean()) if train_mask.any() else 0.5
    return np.full(arrays.grade.shape, mean)


def _hlr_features(arrays: ReviewArrays) -> tuple[np.ndarray, np.ndarray]:
    seen = _long_term_reviews(arrays)
    passes = seen & (arrays.grade > 1)
    fails = seen & (arrays.grade == 1)
    return (np.sqrt(np.cumsum(passes, axis=0) - passes), np.sqrt(np.cumsum(fails, axis=0) - fails))


def hlr_predict(arrays: ReviewArrays, theta) -> np.ndarray:
    x_pass, x_fail = _hlr_features(arrays)
    log2_h = np.clip(theta[0] * x_pass + theta[1] * x_fail + theta[2], -10.0, 20.0)
    return 0.5 ** (arrays.t_days / 2.0 ** log2_h)


def hlr_fit(arrays: ReviewArrays, train_mask: np.ndarray) -> tuple[float, float, float]:
    from scipy.optimize import minimize

    x_pass, x_fail = _hlr_features(arrays)
    xp, xf = x_pass[train_mask], x_fail[train_mask]
    t, y = arrays.t_days[train_mask], arrays.label[train_mask]
    if y.size == 0:
        return HLR_DEFAULT
    ln2 = np.log(2.0)

    def objective(theta):
        log2_h = np.clip(theta[0] * xp + theta[1] * xf + theta[2], -10.0, 20.0)
        log_p = -ln2 * t / 2.0 ** log2_h  # ln p
        p = np.clip(np.exp(log_p), 1e-9, 1 - 1e-9)
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))
        # d loss / d log_p, then d log_p / d log2_h = -log_p * ln2
        dl = -(y - (1 - y) * p / (1 - p)) * (-log_p * ln2) / y.size
        return loss, np.array([np.sum(dl * xp), np.sum(dl * xf), np.sum(dl)])

    result = minimize(objective, np.array(HLR_DEFAULT), jac=True, method="L-BFGS-B",
                      bounds=[(-10, 10), (-10, 10), (-10, 20)])
    return tuple(float(v) for v in result.x)


FSRS_RATING = {1: 1, 2: 2, 3: 3, 4: 3, 5: 4}  # our grade -> py-fsrs Rating (Again..Easy)


def fsrs6_default(arrays: ReviewArrays) -> np.ndarray:
    """Raises ModuleNotFoundError when the optional `fsrs` package is missing."""
    import fsrs

    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    decay = float(scheduler.parameters[20])
    factor = 0.9 ** (-1.0 / decay) - 1.0
    p = np.full(arrays.grade.shape, np.nan)
    for column in range(arrays.grade.shape[1]):
        card = fsrs.Card()
        for k in range(arrays.grade.shape[0]):
            grade = arrays.grade[k, column]
            if grade == 0:
                break
            if k > 0 and card.stability is not None:
                p[k, column] = (1.0 + factor * arrays.t_days[k, column] / card.stability) ** (-decay)
            when = datetime.fromtimestamp(arrays.time[k, column], tz=timezone.utc)
            card, _ = scheduler.review_card(card, fsrs.Rating(FSRS_RATING[int(grade)]), when)
    return p


# ---- FSRS-6 fitted by its reference optimizer (fsrs-rs, the one Anki uses) --------------------

def _fsrs_rs_reviews(arrays: ReviewArrays, column: int) -> list[tuple[int, int]]:
    """(FSRS rating 1..4, study days since the previous review) for one card, in order."""
    out = []
    for k in range(arrays.grade.shape[0]):
        grade = int(arrays.grade[k, column])
        if grade == 0:
            break
        out.append((FSRS_RATING[grade], int(arrays.t_days[k, column])))
    return out


def fsrs6_rs_fit(arrays: ReviewArrays, train_mask: np.ndarray) -> list[float]:
    """FSRS-6 weights fitted by fsrs-rs on the training reviews (raises ModuleNotFoundError without
    the optional `fsrs-rs-python` package). One training item per scored review: the card's
    history up to and including it, as Anki builds them."""
    import fsrs_rs_python as rs

    items = []
    for k, column in zip(*np.nonzero(train_mask)):
        reviews = _fsrs_rs_reviews(arrays, int(column))[: k + 1]
        items.append(rs.FSRSItem([rs.FSRSReview(rating, delta) for rating, delta in reviews]))
    if not items:
        return list(rs.DEFAULT_PARAMETERS)
    return list(rs.FSRS(rs.DEFAULT_PARAMETERS).compute_parameters(items))


def fsrs6_rs_predict(arrays: ReviewArrays, parameters) -> np.ndarray:
    """Predicted recall before every review with FSRS-6 `parameters`, states from fsrs-rs."""
    import fsrs_rs_python as rs

    model = rs.FSRS(list(parameters))
    decay = float(parameters[20])
    factor = 0.9 ** (-1.0 / decay) - 1.0
    p = np.full(arrays.grade.shape, np.nan)
    for column in range(arrays.grade.shape[1]):
        reviews = _fsrs_rs_reviews(arrays, column)
        if len(reviews) < 2:
            continue
        item = rs.FSRSItem([rs.FSRSReview(rating, delta) for rating, delta in reviews])
        states = model.historical_memory_states(item)
        for k in range(1, len(reviews)):
            stability = states[k - 1].stability
            p[k, column] = (1.0 + factor * arrays.t_days[k, column] / stability) ** (-decay)
    return p
