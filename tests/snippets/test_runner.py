"""Containment: whatever the learner's code does, each check gets a clear status, the other check
of the attempt still runs, and the same worker grades the next attempt correctly."""

import os
import signal
import subprocess
import sys
import time

import pytest

from flashtrain.snippets.grading import grade
from flashtrain.snippets.protocol import ProbeRequest

GOOD = "def scale_rows(X, f):\n    return X * f\n"


def _grade(snippet, code, runner, **kw):
    return grade(snippet, code, runner=runner, diagnose=kw.pop("diagnose", False), seed=kw.pop("seed", 1), **kw)


def _assert_worker_still_fine(snippet, runner):
    result = _grade(snippet, GOOD, runner)
    assert result.status == "pass" and result.passed == 2


BAD_CODE = {
    "infinite loop": ("def scale_rows(X, f):\n    while True:\n        pass\n", "error", ("timed out", "CPU")),
    "sleep 60": ("import time\ndef scale_rows(X, f):\n    time.sleep(60)\n", "error", ("timed out",)),
    "4 GiB allocation": ("import numpy as np\ndef scale_rows(X, f):\n    a = np.ones(1 << 29)\n    return a\n",
                         "error", ("MemoryError",)),
    "100 MB of output": ("import sys\ndef scale_rows(X, f):\n    s = 'x' * (1 << 20)\n    for _ in range(100):\n"
                         "        sys.stdout.write(s)\n    return X * f\n", "error", ("printed more than",)),
    "sys.exit": ("import sys\ndef scale_rows(X, f):\n    sys.exit(3)\n", "error", ("sys.exit(3)",)),
    "os._exit": ("import os\ndef scale_rows(X, f):\n    os._exit(0)\n", "error", ("exited before returning",)),
    "syntax error": ("def scale_rows(X, f)\n    return X * f\n", "error", ("line 1", "SyntaxError", "expected ':'")),
    "missing import": ("import numpi\ndef scale_rows(X, f):\n    return X * f\n", "error", ("ModuleNotFoundError",)),
    "exception": ("def scale_rows(X, f):\n    raise ValueError('boom')\n", "error", ("ValueError: boom (line 2)",)),
    "no function": ("def scale(X, f):\n    return X * f\n", "error", ("does not define a function named scale_rows",)),
    "wrong return type": ("def scale_rows(X, f):\n    return 'hello'\n", "fail", ("expected an ndarray of shape",)),
    "returns a list": ("def scale_rows(X, f):\n    return (X * f).tolist()\n", "fail", ("got list",)),
    "wrong shape": ("def scale_rows(X, f):\n    return (X * f).T\n", "fail", ("expected shape (2, 3), got shape (3, 2)",)),
    "unencodable": ("def scale_rows(X, f):\n    return object()\n", "fail", ("an object of type object",)),
    "in place": ("def scale_rows(X, f):\n    X *= f\n    return X\n", "fail", ("modified its argument(s) in place: X",)),
}


@pytest.mark.parametrize("case", sorted(BAD_CODE))
def test_bad_code_gets_a_clear_status_and_the_worker_keeps_working(case, scale_snippet, runner):
    code, status, words = BAD_CODE[case]
    started = time.perf_counter()
    result = _grade(scale_snippet, code, runner)
    # Stopped at the check's deadline, not left to run: `time.sleep(60)` would take a minute. The
    # bound is far above the deadlines (0.75 s a check) so that a busy machine cannot fail it.
    assert time.perf_counter() - started < 45
    assert result.status == status, result.to_dict()
    assert len(result.checks) == 2, "both checks ran"
    first = result.checks[0]
    text = first.message + " " + result.message
    assert any(w in text for w in words), text
    _assert_worker_still_fine(scale_snippet, runner)


def test_fork_and_os_system_are_contained(scale_snippet, runner, tmp_path):
    probe = runner.request(ProbeRequest()).layers
    target = tmp_path / "written-by-shell"
    code = ("import os\ndef scale_rows(X, f):\n"
            f"    os.system('echo hi > {target}')\n"
            "    return X * f\n")
    result = _grade(scale_snippet, code, runner)
    assert len(result.checks) == 2
    if probe.seccomp:
        assert not target.exists(), "exec is blocked in the child"
        assert result.status == "pass"  # os.system just failed; the value is still right
        forked = _grade(scale_snippet, "import os\ndef scale_rows(X, f):\n    os.fork()\n    return X * f\n", runner)
        assert forked.status == "error" and "PermissionError" in forked.checks[0].message
    _assert_worker_still_fine(scale_snippet, runner)


def test_network_is_unavailable_where_the_kernel_allows(runner):
    probe = runner.request(ProbeRequest())
    if probe.layers.seccomp or probe.layers.netns:
        assert probe.blocked["socket"] is True or probe.layers.netns


def test_output_is_captured_and_capped(scale_snippet, runner):
    code = "def scale_rows(X, f):\n    print('dbg', X.shape)\n    print('y' * 10000)\n    return X * f\n"
    result = _grade(scale_snippet, code, runner)
    assert result.status == "pass"
    out = result.checks[0]
    assert out.output.startswith("dbg (2, 3)") and out.output_truncated and len(out.output) <= 2000


def test_failed_check_reports_expected_actual_and_mismatches(scale_snippet, runner):
    code = "def scale_rows(X, f):\n    Y = X * f\n    Y[1, 2] += 0.5\n    return Y\n"
    check = _grade(scale_snippet, code, runner).checks[0]
    assert check.status == "fail"
    assert check.mismatched == ((1, 2),) and check.mismatch_count == 1
    assert check.max_abs_diff == pytest.approx(0.5)
    assert check.expected == [[0.0, 2.0, 4.0], [-3.0, -4.0, -5.0]]
    assert check.actual[1][2] == pytest.approx(-4.5)


def test_mutant_hint_is_attached(scale_snippet, runner):
    result = _grade(scale_snippet, "def scale_rows(X, f):\n    X *= f\n    return X\n", runner, diagnose=True)
    assert result.hint_mutant == "in-place" and result.hint == "Do not modify X in place."
    result = _grade(scale_snippet, "def scale_rows(X, f):\n    return X + f\n", runner, diagnose=True)
    assert result.status == "fail" and result.hint is None


def test_runner_restarts_a_dead_worker(scale_snippet, runner):
    _assert_worker_still_fine(scale_snippet, runner)
    starts = runner.starts
    os.kill(runner.pid, signal.SIGKILL)
    _assert_worker_still_fine(scale_snippet, runner)
    assert runner.starts == starts + 1


def test_learner_cannot_kill_the_worker(scale_snippet, runner):
    pid = runner.pid
    code = "import os, signal\ndef scale_rows(X, f):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return X * f\n"
    _grade(scale_snippet, code, runner)
    probe = runner.request(ProbeRequest(), retry=False).layers
    if probe.seccomp:
        assert runner.pid == pid
    _assert_worker_still_fine(scale_snippet, runner)


def test_grading_is_usable_from_threads(scale_snippet, runner):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: _grade(scale_snippet, GOOD, runner).status, range(4)))
    assert results == ["pass"] * 4


def test_snippets_package_is_headless():
    code = "import sys, flashtrain.snippets, flashtrain.cli.snippets; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
