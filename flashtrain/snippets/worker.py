"""The grading worker: a separate process (started by runner.py with `python -I worker.py`) that
imports numpy once and forks sandboxed children to run snippet and learner code.

Self-contained on purpose (stdlib + numpy and the sibling modules below, never the flashtrain
package's __init__ files) so it starts fast.

Protocol on stdin/stdout: 4-byte big-endian length + UTF-8 JSON, one request -> one reply.
Children report back over a pipe with the same framing plus raw `.npy` blobs (never pickle).

Per attempt (see Grader.grade): one *checks child* draws the inputs, runs the reference and
evaluates statistics; then every check gets its own *learner child*, forked from this worker, that
runs the learner's file from scratch and calls its function once (a Determinism check: three times).
The checks child is started in advance for the likely next attempt (prefetch), so its inputs and
reference outputs are ready when the answer arrives.

Where things are (the security design is described in the module it concerns):
- wire.py: values and frames between processes (JSON + .npy blobs);
- check_cases.py: the checks block's Case/Stat/Determinism and how its cases are encoded;
- sandbox.py: rlimits, seccomp, network namespace, PDEATHSIG, applied in each child;
- children.py: what runs inside the checks child and the learner/mutant children;
- child_process.py: one child as the worker sees it (fork, pipes, deadlines, kills);
- attempt_children.py: the checks child and one learner child per check, and why;
- compare.py, judging.py: comparing values and turning outputs into verdicts;
- grader.py: one attempt end to end, with prefetch and mutant diagnosis;
- check_folders.py: the worker's temporary folders and removing stale ones;
- this module: start-up, warm-up, the request loop.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import sys
import traceback

import numpy as np


def _register_packages_without_running_init() -> None:
    """Started as a script (`python -I worker.py`, so its folder is not on sys.path): make the
    sibling modules importable as flashtrain.snippets.* without running the package __init__ files,
    which import the app's side (snippet library, markdown-it): tens of ms at every start, and
    modules preloaded into every child that the learner's code could then import for free."""
    import importlib.util

    snippets_dir = os.path.dirname(os.path.abspath(__file__))
    parent = None
    for name, folder in (("flashtrain", os.path.dirname(snippets_dir)), ("flashtrain.snippets", snippets_dir)):
        spec = importlib.util.spec_from_file_location(name, os.path.join(folder, "__init__.py"),
                                                      submodule_search_locations=[folder])
        package = sys.modules.setdefault(name, importlib.util.module_from_spec(spec))
        if parent is not None:
            setattr(parent, name.rpartition(".")[2], package)
        parent = package


if __name__ == "__main__" and not __package__:
    _register_packages_without_running_init()

# Re-exported names keep `flashtrain.snippets.worker.<name>` working for code written before the split.
from flashtrain.snippets import sandbox as _sandbox  # noqa: E402
from flashtrain.snippets.attempt_children import SLOW_IMPORT, CodeRun, Prep, run_code  # noqa: E402
from flashtrain.snippets.check_cases import (Case, Determinism, Stat, case_calls, decode_cases,  # noqa: E402
                                             rng_seeds, stat_value, with_other_seeds)
from flashtrain.snippets.check_folders import (LEGACY_TMP_AGE, TMP_PREFIX, fast_tmp_parent,  # noqa: E402
                                               make_tmp_root, remove_stale_tmp)
from flashtrain.snippets.child_process import (OUTPUT_KEEP, OUTPUT_KILL, PRELOADED, RESULT_MAX,  # noqa: E402
                                               Child, pump, reap_finished)
from flashtrain.snippets.children import (FUNC_FILE, IMPORT_ALLOWANCE, MAX_WARNINGS, array_digests,  # noqa: E402
                                          call_case, child_prepare, child_run, collecting_frames,
                                          materialize, send, wait_go)
from flashtrain.snippets.compare import compare, describe, preview  # noqa: E402
from flashtrain.snippets.grader import Grader  # noqa: E402
from flashtrain.snippets.judging import warning_message, within  # noqa: E402
from flashtrain.snippets.sandbox import DEFAULT_MEMORY, reseed_global_rngs  # noqa: E402
from flashtrain.snippets.sandbox import apply_sandbox as sandbox  # noqa: E402
from flashtrain.snippets.wire import (OUTPUT_SEPARATOR, SEQUENCE_MIN, Rng, Unencodable, decode,  # noqa: E402
                                      encode, frame_length, number_sequence, pack, read_frame, unpack,
                                      write_frame)

__all__ = ["array_digests", "call_case", "Case", "case_calls", "Child", "child_prepare", "child_run", "CodeRun",
           "compare", "decode", "decode_cases", "DEFAULT_MEMORY", "describe", "Determinism", "encode",
           "frame_length", "FUNC_FILE", "Grader", "IMPORT_ALLOWANCE", "LEGACY_TMP_AGE", "main",
           "make_tmp_root", "materialize", "MAX_WARNINGS", "number_sequence", "OUTPUT_KEEP", "OUTPUT_KILL",
           "OUTPUT_SEPARATOR", "pack", "PRELOADED", "Prep", "preview", "probe", "pump", "reap_finished",
           "remove_stale_tmp", "reseed_global_rngs", "RESULT_MAX", "Rng", "rng_seeds", "run_code", "sandbox",
           "send", "SEQUENCE_MIN", "SLOW_IMPORT", "Stat", "stat_value", "TMP_PREFIX", "Unencodable", "unpack",
           "wait_go", "warm_up", "warning_message", "with_other_seeds", "within"]


def __getattr__(name: str):
    if name == "IN_CHILD":  # state, not a constant: read it where it lives, so it is never stale
        return _sandbox.IN_CHILD
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def probe(tmp_root: str) -> dict:
    """Which protections the kernel grants, and that the sandbox blocks network and fork."""
    def body(features):
        import socket
        blocked = {}
        try:
            socket.socket().close()
            blocked["socket"] = False
        except OSError:
            blocked["socket"] = True
        try:
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
            blocked["fork"] = False
        except OSError:
            blocked["fork"] = True
        send({"blocked": blocked, "sandbox": features})
    child = Child(body, {"timeout": 5.0}, tmp_root)
    child.done_when = lambda c: bool(c.frames)
    pump([child])
    if not child.frames:
        return {"error": child.problem}
    child.end(complete=True)
    header = child.frames[0]["header"]
    return {**header["sandbox"], **header["blocked"]}


def warm_up(tmp_root: str) -> None:
    """Run every code path a child uses once here, so each forked child starts with numpy's lazy
    imports done and caches filled (the first np.save/default_rng alone costs ~8 ms)."""
    checks = ("def stat(out, args):\n    return float(np.mean(out[1]))\n"
              "def cases(rng):\n    yield Case('a', dict(x=np.ones((2, 3)), k=2))\n"
              "    yield Stat('b', dict(x=np.ones(3), k=1, rng=Rng(1)), stat, lo=0, hi=9)\n")
    code = "import numpy as np\ndef f(x, k, rng=None):\n    return x * k, np.float64(k), [np.float64(k)] * 9\n"
    learner_file = os.path.join(tmp_root, "warm.bin")
    with collecting_frames() as frames:
        child_prepare(checks, code, "f", 1, {}, learner_file)
        header, blobs = unpack(frames[0])
        cases = decode_cases(header["cases"], blobs)
        frames.clear()
        child_run(code, "f", cases, 0, 1.0, checks, {})
        outputs = [unpack(frame) for frame in frames[1:]]
        values = [decode(h["output"], b) for h, b in outputs]
        blobs = []
        with open(learner_file, "wb") as f:
            f.write(pack({"outputs": {"1": encode(values[1], blobs)}}, blobs))
        frames.clear()
        child_prepare(checks, code, "f", 1, {}, learner_file)
        unpack(frames[-1])
        frames.clear()
        child_run("def f(:\n", "f", cases, 0, 1.0, None, {})
        child_run("def f(x, k):\n    raise ValueError('x')\n", "f", cases, 0, 1.0, None, {})
    compare(values[0], values[0], 1e-6, 1e-9)
    compare(values[0][0], values[0][0] + 1, 1e-6, 1e-9)
    compare(values[0][2], [np.float64(2)] * 9, 1e-6, 1e-9)
    frame_length(pack({"a": 1}, [b"x"]))
    materialize(Rng(3)).uniform(0, 1, 4)
    reseed_global_rngs()


def main() -> int:
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stray prints must never corrupt the protocol
    tmp_parent = fast_tmp_parent()
    remove_stale_tmp(tmp_parent)
    tmp_root = make_tmp_root(tmp_parent)
    # SIGTERM (e.g. the app's session ending) is a normal shutdown: run the cleanup below.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    grader = Grader(tmp_root)
    warm_up(tmp_root)
    gc.collect()
    gc.freeze()  # children then never touch (and copy) the worker's objects during collection
    try:
        while True:
            body = read_frame(proto_in)
            if body is None:
                return 0
            request = json.loads(body)
            op = request.get("op")
            try:
                if op == "ping":
                    reply = {"ok": True, "pid": os.getpid(), "tmp": tmp_root}
                elif op == "probe":
                    reply = {"ok": True, **probe(tmp_root)}
                elif op == "grade":
                    reply = grader.grade(request)
                else:
                    reply = {"error": f"unknown op {op!r}"}
            except Exception as error:  # noqa: BLE001 - the worker must keep serving
                reply = {"error": f"worker: {type(error).__name__}: {error}", "traceback": traceback.format_exc()}
            write_frame(proto_out, reply)
            graded = op == "grade" and "status" in reply and not reply.get("snippet_error")
            reply = None
            reap_finished()
            gc.collect()  # drop this attempt's values now (children and runs reference each other)
            if graded:
                try:
                    grader.prefetch(request)
                except Exception:  # noqa: BLE001 - a failed prefetch just means no prefetch
                    grader.drop_prefetched()
                reap_finished()
    finally:
        grader.drop_prefetched()
        reap_finished()
        shutil.rmtree(tmp_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
