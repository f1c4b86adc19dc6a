"""Warnings emitted by the learner's code are captured per check; a Case(..., no_warnings=...) fails
on them with a message that names what overflowed."""

import textwrap

from flashtrain.snippets.format import parse_snippet
from flashtrain.snippets.grading import grade
from flashtrain.snippets.library import SnippetLibrary

NAIVE_SIGMOID = "import numpy as np\n\ndef sigmoid(Z):\n    return 1.0 / (1.0 + np.exp(-Z))\n"
SAFE_SIGMOID = ("import numpy as np\n\ndef sigmoid(Z):\n    Z = np.asarray(Z, dtype=float)\n"
                "    e = np.exp(-np.abs(Z))\n    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))\n")


def _sigmoid():
    return SnippetLibrary.bundled().get("sigmoid").snippet


def test_naive_sigmoid_fails_on_the_overflow_warning_and_gets_its_hint(runner):
    result = grade(_sigmoid(), NAIVE_SIGMOID, runner=runner)
    assert result.status == "fail"
    by_name = {c.name: c for c in result.checks}
    large = by_name["large |z| (+-1000, +-40)"]
    assert large.status == "fail"
    assert large.message.startswith("np.exp overflowed: RuntimeWarning: overflow encountered in exp (line 4)")
    assert "use the stable form" in large.message
    assert "overflow encountered in exp" in large.output  # still shown as it would be on stderr
    assert by_name["2x3 moderate values"].status == "pass"
    assert result.hint_mutant == "naive-overflow"


def test_a_stable_sigmoid_passes(runner):
    result = grade(_sigmoid(), SAFE_SIGMOID, runner=runner, diagnose=False)
    assert result.status == "pass", [c.message for c in result.checks if c.status != "pass"]


def test_naive_softmax_gets_the_overflow_message(runner):
    snippet = SnippetLibrary.bundled().get("softmax").snippet
    code = "import numpy as np\ndef softmax(Z):\n    e = np.exp(Z)\n    return e / e.sum(axis=0, keepdims=True)\n"
    result = grade(snippet, code, runner=runner)
    large = next(c for c in result.checks if c.name == "large logits (around 1000)")
    assert large.status == "fail" and "also np.exp overflowed" in large.message, large.message


WARN = parse_snippet(textwrap.dedent('''\
    ---
    id: inverse
    ---

    ## Hints

    1. 1 / x.

    ```python starter
    def inverse(x):
        """x: array. Returns 1 / x."""
    ```

    ```python reference
    import numpy as np
    def inverse(x):
        return np.divide(1.0, x, out=np.full(x.shape, np.inf), where=x != 0)
    ```

    ```python checks
    def cases(rng):
        yield Case("warnings allowed", dict(x=np.array([0.0, 2.0])))
        yield Case("warnings fail", dict(x=np.array([0.0, 4.0])), no_warnings=True)
    ```

    ```python mutant half
    def inverse(x):
        return 0.5 / x
    ```

    Hint: One, not a half.
    '''))


def test_warnings_only_fail_the_checks_that_ask(runner):
    code = "def inverse(x):\n    return 1.0 / x\n"
    result = grade(WARN, code, runner=runner, seed=1, diagnose=False)
    allowed, strict = result.checks
    assert allowed.status == "pass" and "divide by zero encountered" in allowed.output
    assert strict.status == "fail"
    assert strict.message == ("np.divide divided by zero: RuntimeWarning: divide by zero encountered in divide "
                              "(line 2); use the stable form")
