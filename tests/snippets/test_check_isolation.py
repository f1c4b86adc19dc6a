"""Every check runs the learner's file in a fresh process: module globals, mutable defaults and
caches changed by one check are never seen by the next."""

import textwrap

import pytest

from flashtrain.snippets.format import parse_snippet
from flashtrain.snippets.grading import grade

BUMP = parse_snippet(textwrap.dedent('''\
    ---
    id: bump
    timeout: 1
    ---

    ## Hints

    1. Add one.

    ```python starter
    def bump(x):
        """x: array. Returns x + 1."""
    ```

    ```python reference
    def bump(x):
        return x + 1
    ```

    ```python checks
    def cases(rng):
        for k in range(4):
            yield Case(f"check {k + 1}", dict(x=np.arange(k + 2.0)))
    ```

    ```python mutant plus-two
    def bump(x):
        return x + 2
    ```

    Hint: One, not two.
    '''))

STATEFUL = {
    "module counter": "_calls = 0\ndef bump(x):\n    global _calls\n    _calls += 1\n    return x + _calls\n",
    "mutable default": "def bump(x, _seen=[]):\n    _seen.append(1)\n    return x + len(_seen)\n",
    "cache on a module": ("import numpy as np\ndef bump(x):\n    np._bump_calls = getattr(np, '_bump_calls', 0) + 1\n"
                          "    return x + np._bump_calls\n"),
}


@pytest.mark.parametrize("kind", sorted(STATEFUL))
def test_module_state_does_not_leak_between_checks(runner, kind):
    result = grade(BUMP, STATEFUL[kind], runner=runner, seed=3, diagnose=False)
    assert [c.status for c in result.checks] == ["pass"] * 4, [c.message for c in result.checks]


def test_state_does_not_leak_into_the_mutants_diagnosis_either(runner):
    code = "_calls = 0\ndef bump(x):\n    global _calls\n    _calls += 1\n    return x + 1 + _calls\n"
    result = grade(BUMP, code, runner=runner, seed=3)
    assert result.status == "fail" and result.passed == 0
    assert result.hint_mutant == "plus-two"  # the same as the mutant on every check, not only the first
