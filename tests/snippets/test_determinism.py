"""Determinism(name, args): the function is called twice with generators from the same seed and
once with another seed, in the learner's child; the worker compares the three outputs."""

import textwrap

import pytest

from flashtrain.snippets.format import parse_snippet
from flashtrain.snippets.grading import grade

SHUFFLED = parse_snippet(textwrap.dedent('''\
    ---
    id: shuffled
    ---

    ## Hints

    1. rng.permutation.

    ```python starter
    def shuffled(x, rng):
        """x: 1-D array. Returns x in an order drawn from rng."""
    ```

    ```python reference
    def shuffled(x, rng):
        return x[rng.permutation(len(x))]
    ```

    ```python checks
    def same_values(out, args):
        assert sorted(out) == sorted(args["x"]), "not a reordering of x"

    def cases(rng):
        yield Stat("a reordering", dict(x=np.arange(20.0), rng=Rng(1)), same_values)
        yield Determinism("depends on rng only", dict(x=np.arange(20.0), rng=Rng(7)))
        yield Determinism("other seed given", dict(x=np.arange(30.0), rng=Rng(8)), other_seed=99)
    ```

    ```python mutant global-random
    import numpy as np

    def shuffled(x, rng):
        return x[np.random.permutation(len(x))]
    ```

    Hint: Use rng, not np.random.

    ```python mutant ignores-rng
    def shuffled(x, rng):
        return x[::-1]
    ```

    Hint: Shuffle.
    '''))


def test_reference_passes_determinism(runner):
    result = grade(SHUFFLED, SHUFFLED.reference, runner=runner, seed=2, diagnose=False)
    assert result.status == "pass", result.to_dict()
    assert result.checks[1].kind == "determinism"
    assert result.checks[1].message == "same seed (7): same result; seed 8: a different one"
    assert result.checks[2].message.endswith("seed 99: a different one")


@pytest.mark.parametrize("mutant, words", [
    ("global-random", "two calls with the same seed (7) gave different results"),
    ("ignores-rng", "seeds 7 and 8 gave the same result"),
])
def test_mutants_fail_with_a_clear_message_and_get_their_hint(runner, mutant, words):
    result = grade(SHUFFLED, SHUFFLED.mutant(mutant).code, runner=runner, seed=2)
    assert result.status == "fail"
    assert result.checks[0].status == "pass" and words in result.checks[1].message, result.checks[1].message
    assert result.hint_mutant == mutant


def test_a_later_call_cannot_change_an_earlier_output(runner):
    code = ("import numpy as np\n_out = np.zeros(5)\n"
            "def shuffled(x, rng):\n    _out[:] = rng.permutation(5)\n    return _out\n")
    result = grade(SHUFFLED, code, runner=runner, seed=2, diagnose=False)
    # Each call's output is kept as it was when that call returned, so the three differ correctly.
    assert result.checks[1].status == "pass", result.checks[1].message


def test_a_determinism_check_needs_an_rng_argument(runner):
    broken = SHUFFLED.__class__(**{**SHUFFLED.__dict__, "checks": SHUFFLED.checks.replace(
        'dict(x=np.arange(20.0), rng=Rng(7))', 'dict(x=np.arange(20.0), rng=None)')})
    result = grade(broken, SHUFFLED.reference, runner=runner, seed=2)
    assert result.status == "error" and "needs an Rng(seed) argument" in result.message
