"""A check may pass a function of the checks block as an argument (e.g. a cost function to a
gradient check); demonstrations run in the same sandbox and report their claims."""

import textwrap

from flashtrain.snippets.demos import run_demo
from flashtrain.snippets.format import parse_snippet
from flashtrain.snippets.grading import grade

GRADIENT_CHECK = parse_snippet(textwrap.dedent('''\
    ---
    id: numeric_grad
    title: Numerical gradient
    rtol: 1e-5
    atol: 1e-7
    ---

    ```python starter
    def numeric_grad(cost, theta, eps):
        """cost: function of a (n,) array -> float. Returns the central-difference gradient (n,)."""
    ```

    ```python reference
    import numpy as np

    def numeric_grad(cost, theta, eps):
        g = np.zeros_like(theta)
        for i in range(theta.size):
            e = np.zeros_like(theta)
            e[i] = eps
            g[i] = (cost(theta + e) - cost(theta - e)) / (2 * eps)
        return g
    ```

    ```python checks
    def quadratic(theta):
        return float(np.sum(np.arange(1, theta.size + 1) * theta ** 2))

    def cubic(theta):
        return float(np.sum(theta ** 3))

    def cases(rng):
        yield Case("quadratic", dict(cost=quadratic, theta=np.array([1.0, -2.0, 0.5]), eps=1e-4))
        yield Case("cubic", dict(cost=cubic, theta=rng.normal(size=4), eps=1e-3))
    ```

    ```python mutant forward-difference
    import numpy as np

    def numeric_grad(cost, theta, eps):
        g = np.zeros_like(theta)
        for i in range(theta.size):
            e = np.zeros_like(theta)
            e[i] = eps
            g[i] = (cost(theta + e) - cost(theta)) / eps
        return g
    ```

    Hint: Use the central difference (f(θ+ε) − f(θ−ε)) / 2ε.
    '''))


def test_a_function_of_the_checks_block_can_be_an_argument(runner):
    assert grade(GRADIENT_CHECK, GRADIENT_CHECK.reference, runner=runner).status == "pass"
    wrong = grade(GRADIENT_CHECK, GRADIENT_CHECK.mutants[0].code, runner=runner)
    assert wrong.status == "fail" and wrong.hint_mutant == "forward-difference"


def test_the_learner_gets_the_function_itself(runner):
    code = ("import numpy as np\ndef numeric_grad(cost, theta, eps):\n"
            "    print(type(cost).__name__, cost.__name__)\n    return np.zeros_like(theta)\n")
    result = grade(GRADIENT_CHECK, code, runner=runner, diagnose=False)
    assert result.status == "fail"
    assert result.checks[0].output.startswith("function quadratic")


def test_a_lambda_argument_is_a_snippet_error_naming_the_rule(runner):
    import dataclasses

    bad = dataclasses.replace(GRADIENT_CHECK, checks=GRADIENT_CHECK.checks.replace(
        "cost=quadratic", "cost=lambda t: float(np.sum(t))"))
    result = grade(bad, bad.reference, runner=runner)
    assert result.status == "error" and "top level of the checks block" in result.message


def test_a_demonstration_reports_output_and_each_claim(runner):
    program = ("n = 1000\nseed = 0\nrng = np.random.default_rng(seed)\nx = rng.normal(size=n)\n"
               "print(f'mean {x.mean():.3f}')\nplot.hist(x, bins=5, title='draws')\n"
               "claim('the mean is near 0', abs(x.mean()) < 0.1, detail=f'{x.mean():.3f}')\n"
               "claim('the std is 2', abs(x.std() - 2) < 0.1)\n")
    run = run_demo(program, runner=runner)
    assert run.status == "ok" and run.output.startswith("mean ") and "draws" in run.output
    assert [(c.text, c.holds, c.line) for c in run.claims] == [("the mean is near 0", True, 7),
                                                               ("the std is 2", False, 8)]
    assert not run.all_hold
    changed = run_demo(program.replace("n = 1000", "n = 3"), runner=runner)
    assert changed.status == "ok" and len(changed.claims) == 2


def test_a_demonstration_that_fails_or_hangs_keeps_the_claims_made_before(runner):
    run = run_demo("claim('first', True)\nraise ValueError('boom')\n", runner=runner)
    assert run.status == "error" and "ValueError: boom" in run.error and run.claims[0].holds
    hung = run_demo("claim('before', True)\nwhile True:\n    pass\n", runner=runner, timeout=0.5)
    assert hung.status == "timeout" and [c.text for c in hung.claims] == ["before"]
    assert run_demo("claim('after', True)\n", runner=runner).all_hold  # the worker still serves
