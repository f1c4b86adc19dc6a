"""How an attempt uses children: one checks child (inputs, reference, statistics) and one fresh
child per check for the learner's code; a check that kills its child costs only that check."""

import textwrap

from flashtrain.snippets.format import parse_snippet
from flashtrain.snippets.grading import grade
from flashtrain.snippets.protocol import GradeRequest
from flashtrain.snippets.runner import Runner

FIVE = parse_snippet(textwrap.dedent('''\
    ---
    id: double
    timeout: 1
    ---

    ## Hints

    1. Times two.

    ```python starter
    def double(x):
        """x: array. Returns 2 * x."""
    ```

    ```python reference
    def double(x):
        return 2 * x
    ```

    ```python checks
    def cases(rng):
        for k in range(5):
            yield Case(f"size {k + 1}", dict(x=np.arange(k + 1.0) + 0.5))
    ```

    ```python mutant triple
    def double(x):
        return 3 * x
    ```

    Hint: Two, not three.
    '''))


def _request(code, **extra):
    return GradeRequest(snippet=FIVE.to_request(), code=code, diagnose=False, **extra)


def test_an_attempt_forks_one_checks_child_and_one_learner_child_per_check(runner):
    reply = runner.request(_request(FIVE.reference, seed=5))
    assert reply.status == "pass" and reply.total == 5
    assert reply.forks == 1 + 5
    runner.request(_request(FIVE.reference))  # the next attempt's checks child is started in advance
    reply = runner.request(_request(FIVE.reference))
    assert reply.status == "pass" and reply.forks == 5


def test_a_load_error_is_reported_for_every_check_without_forking_again(runner):
    reply = runner.request(_request("def double(x)\n    return 2 * x\n", seed=5))
    assert reply.status == "error" and reply.forks == 2
    assert all("SyntaxError" in c.message or "line 1" in c.message for c in reply.checks)


def test_a_check_that_kills_its_child_costs_only_that_check(runner):
    code = "import os\ndef double(x):\n    if x.size == 2:\n        os._exit(0)\n    return 2 * x\n"
    reply = runner.request(_request(code, seed=5))
    statuses = [c.status for c in reply.checks]
    assert statuses == ["pass", "error", "pass", "pass", "pass"], reply.checks
    assert "exited before returning" in reply.checks[1].message
    assert reply.forks == 6  # the checks child and one learner child per check


def test_endless_loops_stop_after_two_timeouts(runner):
    code = "def double(x):\n    while True:\n        pass\n"
    result = grade(FIVE, code, runner=runner, seed=5, diagnose=False)
    messages = [c.message for c in result.checks]
    assert result.status == "error" and len(messages) == 5
    assert all("timed out" in m or "CPU" in m for m in messages[:2]), messages
    assert all(m.startswith("not run: 2 earlier checks timed out") for m in messages[2:]), messages


def test_output_is_attributed_to_its_check(runner):
    code = "print('loading')\ndef double(x):\n    print('size', x.size)\n    return 2 * x\n"
    result = grade(FIVE, code, runner=runner, seed=5, diagnose=False)
    assert result.status == "pass"
    # Every check runs the file afresh, so the module-level print shows with each of them.
    assert [c.output for c in result.checks] == [f"loading\nsize {k}\n" for k in range(1, 6)]


SNOOP = '''\
import gc, sys
import numpy as np

def _arrays(value, depth=0):
    if isinstance(value, np.ndarray):
        yield value
    elif depth < 6 and isinstance(value, dict):
        for v in list(value.values()):
            yield from _arrays(v, depth + 1)
    elif depth < 6 and isinstance(value, (list, tuple)):
        for v in value:
            yield from _arrays(v, depth + 1)

def double(x):
    want = 2 * x
    seen_input = seen_answer = False
    pools = [f.f_locals for f in iter(lambda f=[sys._getframe()]: (f.append(f[-1].f_back) or f[-2]) if f[-1] else None, None)]
    pools += gc.get_objects()
    for pool in pools:
        for a in _arrays(pool):
            if a.shape == x.shape and a is not x and a is not want:
                seen_input = seen_input or bool(np.array_equal(a, x))
                seen_answer = seen_answer or bool(np.array_equal(a, want))
    print("input seen" if seen_input else "input not seen", "answer seen" if seen_answer else "answer not seen")
    return want + 1  # wrong on purpose: no output of this code ever equals the answer
'''


def test_reference_outputs_are_not_in_the_learners_memory():
    runner = Runner()
    try:
        for seed in (5, None, None):  # a fresh worker, then attempts prepared in advance
            result = grade(FIVE, SNOOP, runner=runner, seed=seed, diagnose=False)
            assert result.status == "fail" and result.passed == 0, result.to_dict()
            for check in result.checks:
                assert "input seen" in check.output, "the search must be able to find the worker's copies"
                assert "answer not seen" in check.output, check.output
    finally:
        runner.close()


def test_each_snippet_is_sent_to_the_worker_once_and_again_after_a_restart():
    import os
    import signal

    from flashtrain.snippets.protocol import encode_frame

    runner = Runner()
    sent = []
    exchange = runner._exchange

    def spy(message, timeout, attachment=b""):
        if isinstance(message, GradeRequest):
            sent.append(len(encode_frame(message)) + len(attachment))
        return exchange(message, timeout, attachment)

    runner._exchange = spy
    try:
        first = runner.request(_request(FIVE.reference, seed=5))
        second = runner.request(_request(FIVE.reference, seed=6))
        assert first.status == second.status == "pass"
        assert sent[1] < sent[0] - len(FIVE.reference), "the second request names the snippet by its key"
        os.kill(runner.pid, signal.SIGKILL)  # a new worker knows no snippet: it is sent again
        assert runner.request(_request(FIVE.reference, seed=7)).status == "pass"
        assert sent[-1] == sent[0]
    finally:
        runner.close()
