"""Prediction metrics of the srs-benchmark: log loss, RMSE(bins) and AUC (numpy only).

`y` holds labels (1 = recalled, i.e. rating > 1; 0 = rating 1), `p` predicted recall probabilities.
RMSE(bins) groups reviews by three keys (see shared/reference/scheduler-benchmark.md, 1.5):
  interval bucket     round(2.48 * 3.62 ** floor(ln t / ln 3.62), 2)   t = elapsed study days (>= 1)
  review-number bucket round(1.99 * 1.89 ** floor(ln i / ln 1.89))      i = 1 + earlier first/new-day reviews
  lapse bucket        0 if l == 0 else round(1.65 * 1.73 ** floor(ln l / ln 1.73))
                                                                        l = earlier new-day ratings of 1
and returns sqrt(sum_b n_b (mean y_b - mean p_b)^2 / sum_b n_b).
"""

from __future__ import annotations

import numpy as np

EPS = 1e-15


def log_loss(y, p) -> float:
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), EPS, 1.0 - EPS)
    if y.size == 0:
        return float("nan")
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def interval_bucket(t) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    return np.round(2.48 * 3.62 ** np.floor(np.log(t) / np.log(3.62)), 2)


def review_number_bucket(i) -> np.ndarray:
    i = np.asarray(i, dtype=float)
    return np.round(1.99 * 1.89 ** np.floor(np.log(i) / np.log(1.89)))


def lapse_bucket(lapses) -> np.ndarray:
    lapses = np.asarray(lapses, dtype=float)
    safe = np.where(lapses > 0, lapses, 1.0)
    return np.where(lapses > 0, np.round(1.65 * 1.73 ** np.floor(np.log(safe) / np.log(1.73))), 0.0)


def rmse_bins(y, p, t_days, review_number, lapses) -> float:
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if y.size == 0:
        return float("nan")
    keys = np.stack([interval_bucket(t_days), review_number_bucket(review_number), lapse_bucket(lapses)], axis=1)
    _, bin_index = np.unique(keys, axis=0, return_inverse=True)
    bin_index = bin_index.ravel()
    counts = np.bincount(bin_index)
    mean_y = np.bincount(bin_index, weights=y) / counts
    mean_p = np.bincount(bin_index, weights=p) / counts
    return float(np.sqrt(np.sum(counts * (mean_y - mean_p) ** 2) / np.sum(counts)))


def auc(y, p) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count one half); nan with a single class."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    n_pos = int(np.sum(y == 1))
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    sorted_p = p[order]
    ranks = np.empty(p.size)
    # average ranks over ties
    _, first, counts = np.unique(sorted_p, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    return float((np.sum(ranks[y == 1]) - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
