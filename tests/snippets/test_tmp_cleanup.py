"""The worker's check folders (/dev/shm/flashtrain-checks-<pid>-<start>-*): a killed worker's folder
is removed by the next worker at start; folders of live workers are kept; a normal shutdown removes
the worker's own folder."""

import os
import signal
import subprocess
import time

import pytest

from flashtrain.snippets.protocol import PingRequest
from flashtrain.snippets.runner import Runner


def _start_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[19]


def _gone(path, seconds=5.0):
    deadline = time.monotonic() + seconds
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not os.path.exists(path)


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs /proc")
def test_stale_folders_are_removed_at_start_and_live_ones_kept():
    first = Runner()
    made = []
    try:
        tmp1 = first.request(PingRequest()).tmp
        parent = os.path.dirname(tmp1)
        dead = subprocess.Popen(["true"])
        dead.wait()
        stale = os.path.join(parent, f"flashtrain-checks-{dead.pid}-{_start_ticks(os.getpid())}-testst4le")
        reused = os.path.join(parent, f"flashtrain-checks-{os.getpid()}-1-testreuse")  # our pid, another start
        live = os.path.join(parent, f"flashtrain-checks-{os.getpid()}-{_start_ticks(os.getpid())}-testlive")
        # no pid, recently used (letters only, unique: two test runs at once must not share it)
        letters = "".join(chr(ord("a") + int(digit)) for digit in str(os.getpid()))
        legacy = os.path.join(parent, f"flashtrain-checks-testlegacy{letters}")
        for path in (stale, reused, live, legacy):
            os.makedirs(os.path.join(path, "c1"))
            made.append(path)
        os.kill(first.pid, signal.SIGKILL)  # a killed worker cannot clean up after itself
        first.close()
        assert os.path.isdir(tmp1)

        second = Runner()
        try:
            tmp2 = second.request(PingRequest()).tmp
            assert not os.path.exists(tmp1), "the killed worker's folder is removed"
            assert not os.path.exists(stale) and not os.path.exists(reused)
            assert os.path.isdir(live) and os.path.isdir(legacy), "folders of live owners are kept"
            assert os.path.isdir(tmp2)
        finally:
            second.close()
        assert _gone(tmp2), "a normal shutdown removes the worker's own folder"
    finally:
        first.close()
        for path in made:
            subprocess.run(["rm", "-rf", path], check=False)


def test_sigterm_is_a_normal_shutdown():
    runner = Runner()
    try:
        tmp = runner.request(PingRequest()).tmp
        os.kill(runner.pid, signal.SIGTERM)
        assert _gone(tmp)
    finally:
        runner.close()
