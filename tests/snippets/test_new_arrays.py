"""Case(..., new_arrays=True): a returned array that is (a view of) an argument fails the check,
named as the learner wrote it; a copy, or a new array, passes."""

import textwrap

import pytest

from flashtrain.snippets.format import parse_snippet
from flashtrain.snippets.grading import grade

KEEP = parse_snippet(textwrap.dedent('''\
    ---
    id: keep_all
    ---

    ## Hints

    1. Copy.

    ```python starter
    def keep_all(xs):
        """xs: list of arrays. Returns new arrays with the same values."""
    ```

    ```python reference
    def keep_all(xs):
        return [x.copy() for x in xs]
    ```

    ```python checks
    def cases(rng):
        yield Case("two arrays", dict(xs=[np.arange(3.0), np.ones((2, 2))]), new_arrays=True)
    ```

    ```python mutant same-list
    def keep_all(xs):
        return xs
    ```

    Hint: Return copies.
    '''))


@pytest.mark.parametrize("code", [
    "def keep_all(xs):\n    return [x * 1.0 for x in xs]\n",
    "import numpy as np\ndef keep_all(xs):\n    return [np.array(x) for x in xs]\n",
])
def test_new_arrays_pass(runner, code):
    assert grade(KEEP, code, runner=runner).status == "pass"


@pytest.mark.parametrize("code, named", [
    ("def keep_all(xs):\n    return list(xs)\n", "xs[0], xs[1]"),
    ("def keep_all(xs):\n    return [xs[0].copy(), xs[1][:]]\n", "xs[1]"),
    ("def keep_all(xs):\n    return [xs[0] + 0, xs[1].T]\n", "xs[1]"),
])
def test_the_caller_s_arrays_or_views_of_them_fail(runner, code, named):
    result = grade(KEEP, code, runner=runner)
    assert result.status == "fail"
    assert result.checks[0].message.startswith(f"returned the caller's array(s) {named} (or a view of them)")


def test_the_mutant_that_returns_the_inputs_is_diagnosed(runner):
    result = grade(KEEP, "def keep_all(xs):\n    return [x for x in xs]\n", runner=runner)
    assert result.hint_mutant == "same-list"
