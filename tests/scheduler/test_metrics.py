"""Metrics against values computed by hand on a tiny log."""

import math

import pytest

from flashtrain.scheduler import metrics

# five reviews: labels, predictions, elapsed study days, review number i, earlier lapses l
Y = [1, 0, 1, 1, 0]
P = [0.9, 0.4, 0.8, 0.6, 0.2]
T = [1, 2, 5, 40, 1]
I = [2, 2, 3, 5, 2]
L = [0, 1, 0, 0, 0]


def test_log_loss_by_hand():
    expected = -(math.log(0.9) + math.log(0.6) + math.log(0.8) + math.log(0.6) + math.log(0.8)) / 5
    assert metrics.log_loss(Y, P) == pytest.approx(expected)


def test_buckets_follow_the_benchmark_formulas():
    assert list(metrics.interval_bucket([1, 3, 3.62, 13, 13.2, 40])) == [2.48, 2.48, 8.98, 8.98, 32.5, 32.5]
    assert list(metrics.review_number_bucket([1, 2, 3, 4, 6, 7, 12, 13])) == [2, 4, 4, 7, 7, 13, 13, 25]
    assert list(metrics.lapse_bucket([0, 1, 2, 3, 5, 6])) == [0, 2, 3, 5, 5, 9]


def test_rmse_bins_by_hand():
    # bins: (2.48, 4, 0) holds reviews 0 and 4 -> mean y 0.5, mean p 0.55
    #       (2.48, 4, 2) review 1 -> 0 vs 0.4;  (8.98, 4, 0) review 2 -> 1 vs 0.8
    #       (32.5, 7, 0) review 3 -> 1 vs 0.6
    expected = math.sqrt((2 * 0.05 ** 2 + 0.4 ** 2 + 0.2 ** 2 + 0.4 ** 2) / 5)
    assert metrics.rmse_bins(Y, P, T, I, L) == pytest.approx(expected)


def test_auc_by_hand():
    # positives 0.9, 0.8, 0.6; negatives 0.4, 0.2: every positive outranks every negative
    assert metrics.auc(Y, P) == pytest.approx(1.0)
    # positives 0.5, 0.3; negatives 0.4, 0.3: pairs (0.5>0.4)=1, (0.5>0.3)=1, (0.3<0.4)=0, tie=0.5 -> 2.5/4
    assert metrics.auc([1, 1, 0, 0], [0.5, 0.3, 0.4, 0.3]) == pytest.approx(0.625)
    assert math.isnan(metrics.auc([1, 1], [0.2, 0.3]))


def test_log_loss_clips_certain_predictions():
    assert math.isfinite(metrics.log_loss([0], [1.0]))
