"""The fresh inputs a bundled exercise draws on each attempt never make a degenerate check: one on
which a wrong answer and the mutant naming its mistake behave differently only by chance (CI once
failed on 1 draw in 20 of this kind). The draws are made here, from the snippets' own (trusted)
checks, with the generator the worker gives cases(); the first test proves they are the worker's."""

from functools import cache

import numpy as np

from flashtrain.snippets.grading import grade
from flashtrain.snippets.library import SnippetLibrary
from flashtrain.snippets.worker.check_cases import checks_namespace

SEEDS = [*range(2000), 1092967262]  # the last one drew a mask keeping every unit (CI, issue 9)


@cache
def _cases_function(sid: str):
    namespace = checks_namespace()
    exec(compile(SnippetLibrary.bundled().get(sid).snippet.checks, f"<{sid} checks>", "exec"), namespace)
    return namespace["cases"]


def _draw(sid: str, seed: int) -> list:
    return list(_cases_function(sid)(np.random.default_rng(seed)))


def _random(sid: str, seed: int) -> list:
    return [c for c in _draw(sid, seed) if c.name.startswith("random")]


def test_the_draws_here_are_the_workers(runner):
    snippet = SnippetLibrary.bundled().get("dropout_backward").snippet
    for seed in (7, 1092967262):
        result = grade(snippet, snippet.reference, runner=runner, seed=seed, diagnose=False)
        assert [c.name for c in result.checks] == [c.name for c in _draw("dropout_backward", seed)]


def test_no_seed_draws_a_dropout_mask_keeping_or_dropping_every_unit():
    masks = [case.args["D"] for seed in SEEDS for case in _random("dropout_backward", seed)]
    assert all(D.any() and not D.all() for D in masks)


def test_a_mask_drawn_with_keep_prob_as_the_drop_probability_misses_the_random_bounds_on_every_draw():
    # Such a mask drops a share keep_prob of the units: it must miss the bounds of the random
    # zero-fraction check by 6 sd or more, or the answer and the `keep-prob-as-drop` mutant may
    # land on different sides of them (2 gradings in 100 did when keep_prob was near 0.5).
    for seed in [*SEEDS, 3640417734, 3070157768]:  # the last two drew keep_prob 0.487
        (case,) = [c for c in _draw("dropout_forward", seed) if c.name.startswith("zero fraction, random")]
        p, size = case.args["keep_prob"], case.args["A"].size
        sd = np.sqrt(p * (1 - p) / size)
        assert p < case.lo - 6 * sd or p > case.hi + 6 * sd, (seed, case.name)


def _random_std_case(sid: str, seed: int):
    (case,) = [c for c in _draw(sid, seed) if c.name.startswith("std, random")]
    return case, case.args["n_in"], case.args["n_out"]


def test_a_std_from_the_wrong_fan_misses_the_random_bounds_on_every_draw():
    # The std ratio of a mistaken scale (fan_out, Glorot's average of both fans) must lie 6 sd or
    # more beyond the random check's bounds, whatever sizes are drawn; with n_in near n_out it fell
    # in or out of them by chance (3 to 14 draws in 200 took either side for two realizations).
    for sid, wrong_ratios in (("he_init", lambda i, o: [np.sqrt(i / o)]),
                              ("xavier_init", lambda i, o: [np.sqrt(i / o), np.sqrt(2 * i / (i + o))])):
        for seed in SEEDS:
            case, n_in, n_out = _random_std_case(sid, seed)
            half = (case.hi - case.lo) / 2  # 6 sd
            for ratio in wrong_ratios(n_in, n_out):
                assert ratio < case.lo - half or ratio > case.hi + half, (sid, seed, case.name)


def test_exponents_hard_coded_to_the_usual_window_miss_the_random_share_on_every_draw():
    # uniform(-3, -1) exponents fit inside a window holding 0.9..0.999; their share below the
    # window's geometric mean must then miss [0.47, 0.53] by 6 sd (0.03) or more.
    for seed in SEEDS:
        (case,) = [c for c in _draw("sample_beta", seed) if c.name.startswith("half below")]
        low, high = case.args["low"], case.args["high"]
        if low <= 0.9 and high >= 0.999:
            centre = (np.log10(1 - low) + np.log10(1 - high)) / 2
            share = (centre + 3) / 2
            assert share < case.lo - 0.03 or share > case.hi + 0.03, (seed, case.name)


def test_dropout_shares_are_measured_where_one_mask_per_unit_is_one_decision_per_entry():
    # A mask drawn once per unit and broadcast over many examples drops a share that rests on a
    # few units' draws: two such answers drawing in different ways (rng.random, rng.binomial) fell
    # on different sides of the bounds, and the answer lost its hint (3 gradings in 20). Measured
    # on one example, that share is as steady as the right one; the mistake fails its own check.
    for seed in SEEDS[:50]:
        shares = [c for c in _draw("dropout_forward", seed) if c.name.startswith("zero fraction")]
        assert len(shares) == 3 and all(c.args["A"].shape[1] == 1 for c in shares), seed
        (separate,) = [c for c in _draw("dropout_forward", seed) if c.name.startswith("a separate decision")]
        assert min(separate.args["A"].shape) > 1


def test_shuffling_the_rows_of_the_random_mini_batch_data_changes_nothing():
    # Shuffling X's rows (the features) instead of its columns is caught by the fixed checks; on the
    # random data it passed or failed as its permutation of 1-5 rows happened to be the identity
    # or not (in 48 of 200 draws two ways of drawing it disagreed). Equal rows make it a no-op there.
    for seed in SEEDS[:300]:
        (case,) = [c for c in _draw("random_mini_batches", seed) if c.name.startswith("random data")]
        X = case.args["X"]
        assert (X == X[0]).all() and len(np.unique(X[0])) == X.shape[1], seed
