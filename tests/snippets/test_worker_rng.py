"""Every child gets its own global RNG state (np.random and random), so an answer that wrongly
draws from np.random instead of `rng` cannot look deterministic across checks or attempts."""

import textwrap

from flashtrain.snippets.format import parse_snippet
from flashtrain.snippets.grading import grade

DRAW = parse_snippet(textwrap.dedent('''\
    ---
    id: draw
    ---

    ## Hints

    1. Use rng.

    ```python starter
    def draw(n, rng):
        """Returns n uniform draws from rng."""
    ```

    ```python reference
    def draw(n, rng):
        return rng.uniform(size=n)
    ```

    ```python checks
    def values(out, args):
        return out

    def cases(rng):
        yield Stat("first", dict(n=2, rng=Rng(1)), values)
        yield Stat("second", dict(n=2, rng=Rng(1)), values)
        yield Stat("third", dict(n=2, rng=Rng(2)), values)
    ```

    ```python mutant constant
    def draw(n, rng):
        return [0.5] * n
    ```

    Hint: Draw.
    '''))

GLOBAL_DRAWS = ("import random\nimport numpy as np\n"
                "def draw(n, rng):\n    return [float(np.random.random()), random.random()]\n")


def test_global_rngs_differ_between_checks_and_attempts(runner):
    numpy_draws, random_draws = [], []
    for seed in (1, None, None):  # a fixed seed, then attempts whose inputs were prefetched
        result = grade(DRAW, GLOBAL_DRAWS, runner=runner, seed=seed, diagnose=False)
        assert result.status == "pass", result.to_dict()
        for check in result.checks:
            numpy_draws.append(check.value[0])
            random_draws.append(check.value[1])
    assert len(numpy_draws) == 9
    assert len(set(numpy_draws)) == 9, "np.random gave the same numbers in different checks"
    assert len(set(random_draws)) == 9, "random gave the same numbers in different checks"
