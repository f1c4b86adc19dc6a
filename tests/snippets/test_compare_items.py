"""Case(..., items=[0]): only some positions of a returned tuple are compared with the reference
(the rest, e.g. a forward pass's cache, is the learner's to fill); the length still counts."""

import textwrap

import pytest

from flashtrain.snippets.format import parse_snippet
from flashtrain.snippets.grading import grade

PAIR = parse_snippet(textwrap.dedent('''\
    ---
    id: double_with_cache
    ---

    ## Hints

    1. Multiply by two.

    ```python starter
    def double_with_cache(x):
        """Returns (2 * x, cache): the cache is yours."""
    ```

    ```python reference
    def double_with_cache(x):
        return 2 * x, {"x": x}
    ```

    ```python checks
    def cases(rng):
        yield Case("only the first item", dict(x=np.arange(3.0)), items=[0])
    ```

    ```python mutant triple
    def double_with_cache(x):
        return 3 * x, None
    ```

    Hint: Two, not three.
    '''))


@pytest.mark.parametrize("code", [
    "def double_with_cache(x):\n    return 2 * x, None\n",
    "def double_with_cache(x):\n    return [x + x, ('my', 'own', x)]\n",
])
def test_the_other_items_may_hold_anything(runner, code):
    assert grade(PAIR, code, runner=runner).status == "pass"


def test_the_compared_item_is_still_checked_and_diagnosed(runner):
    result = grade(PAIR, "def double_with_cache(x):\n    return 3 * x, 'cache'\n", runner=runner)
    assert result.status == "fail" and result.checks[0].message.startswith("result[0]: 2 of 3 values differ")
    assert result.hint_mutant == "triple"


@pytest.mark.parametrize("code, message", [
    ("def double_with_cache(x):\n    return 2 * x\n", "result: expected a tuple of 2 values, got ndarray"),
    ("def double_with_cache(x):\n    return 2 * x, {}, {}\n", "result: expected 2 values, got 3"),
])
def test_the_number_of_returned_items_still_counts(runner, code, message):
    result = grade(PAIR, code, runner=runner, diagnose=False)
    assert result.status == "fail" and result.checks[0].message.startswith(message)
