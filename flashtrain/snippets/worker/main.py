"""The check worker: a separate process (started by runner.py with `python -I worker/main.py`) that
imports numpy once and forks sandboxed children to run snippet and learner code.

Self-contained on purpose (stdlib + numpy and the sibling modules below, never the flashtrain
package's __init__ files) so it starts fast.

Protocol on stdin/stdout: protocol.py's typed messages and framing, one request -> one reply.
Children report back over their own pipes (wire.py: JSON headers plus raw array blobs, never pickle).

Per attempt (see Grader.grade): one *checks child* draws the inputs, runs the reference and
evaluates statistics; then every check gets its own *learner child*, forked from this worker, that
runs the learner's file from scratch and calls its function once (a Determinism check: three times).
The checks child is started in advance for the likely next attempt (prefetch), so its inputs and
reference outputs are ready when the answer arrives.

Where things are (the security design is described in the module it concerns):
- ../protocol.py: the app <-> worker messages (shared with the app's runner);
- wire.py: values and frames between the worker and its children (JSON + raw array blobs);
- check_cases.py: the checks block's Case/Stat/Determinism and how its cases are encoded;
- sandbox.py: rlimits, seccomp, network namespace, PDEATHSIG, applied in each child;
- seccomp.py: the seccomp filter (deny-list, self-only calls, allow-list) each child installs last;
- children.py: what runs inside the checks child and the learner/mutant children;
- child_process.py: one child as the worker sees it (fork, pipes, deadlines, kills);
- attempt_children.py: the checks child and one learner child per check, and why;
- compare.py, judging.py: comparing values and turning outputs into verdicts;
- grader.py: one attempt end to end, with prefetch and mutant diagnosis;
- check_folders.py: the worker's temporary folders and removing stale ones;
- demos.py, demo_helpers.py: running a demonstration's program;
- this module: start-up, warm-up, the request loop.
"""

from __future__ import annotations

import dataclasses
import gc
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

    worker_dir = os.path.dirname(os.path.abspath(__file__))
    snippets_dir = os.path.dirname(worker_dir)
    parent = None
    for name, folder in (("flashtrain", os.path.dirname(snippets_dir)), ("flashtrain.snippets", snippets_dir),
                         ("flashtrain.snippets.worker", worker_dir)):
        spec = importlib.util.spec_from_file_location(name, os.path.join(folder, "__init__.py"),
                                                      submodule_search_locations=[folder])
        package = sys.modules.setdefault(name, importlib.util.module_from_spec(spec))
        if parent is not None:
            setattr(parent, name.rpartition(".")[2], package)
        parent = package


if __name__ == "__main__" and not __package__:
    _register_packages_without_running_init()

from flashtrain.snippets.protocol import (DemoRequest, ErrorReply, GradeReply, GradeRequest,  # noqa: E402
                                          PingReply, PingRequest, ProbeReply, ProbeRequest, ProtocolError,
                                          read_message, write_message)
from flashtrain.snippets.worker.check_cases import decode_cases  # noqa: E402
from flashtrain.snippets.worker.check_folders import fast_tmp_parent, make_tmp_root, remove_stale_tmp  # noqa: E402
from flashtrain.snippets.worker.child_process import APP_PIPE, Child, pump, reap_finished  # noqa: E402
from flashtrain.snippets.worker.children import child_prepare, child_run, collecting_frames, send  # noqa: E402
from flashtrain.snippets.worker.compare import compare  # noqa: E402
from flashtrain.snippets.worker.demos import run_demo  # noqa: E402
from flashtrain.snippets.worker.grader import Grader  # noqa: E402
from flashtrain.snippets.worker import isolation, reference_store, seccomp  # noqa: E402
from flashtrain.snippets.worker.sandbox import (CONFINEMENT, layers_from, reseed_global_rngs,  # noqa: E402
                                                set_confinement)
from flashtrain.snippets.worker.wire import Rng, decode, encode, frame_length, pack, unpack  # noqa: E402
from flashtrain.snippets.worker.children import materialize  # noqa: E402


MACHINE: dict[str, str] = {}  # isolation.machine_report(), taken at start-up


def probe(tmp_root: str) -> ProbeReply:
    """Fork one sandboxed child that tries what the sandbox must refuse; report what held."""
    def body(features):
        blocked = {}
        for name, attempt in ATTEMPTS.items():
            try:
                attempt()
                blocked[name] = False
            except OSError:
                blocked[name] = True
            except BaseException:  # noqa: BLE001 - refused some other way (e.g. RuntimeError)
                blocked[name] = True
        send({"blocked": blocked, "sandbox": features})
    child = Child(body, {"timeout": 5.0}, tmp_root)
    child.done_when = lambda c: bool(c.frames)
    pump([child])
    if not child.frames:
        detail = child.tail_output[0].strip().splitlines()[-1:] if child.tail_output[0].strip() else []
        return ProbeReply(layers=layers_from({}), machine=MACHINE,
                          problems=(f"the probe child failed: {child.problem}", *detail))
    child.end(complete=True)
    header = child.frames[0]["header"]
    features = header["sandbox"]
    return ProbeReply(layers=layers_from(features), blocked=header["blocked"],
                      problems=tuple(features.get("problems", ())), machine=MACHINE)


def _try_fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def _try_socket():
    import socket
    socket.socket().close()


def _try_signal_parent():
    os.kill(os.getppid(), 0)


def _try_read(path):
    def attempt():
        with open(path, "rb") as f:
            f.read(1)
    return attempt


def _try_write_outside():
    with open(os.path.join(os.path.dirname(os.getcwd()) or "/", "flashtrain-probe"), "wb") as f:
        f.write(b"x")


def _try_unlisted_syscall():
    os.memfd_create("flashtrain-probe")  # on neither list: refused by the allow-list alone


ATTEMPTS = {"fork": _try_fork, "socket": _try_socket, "signal": _try_signal_parent,
            "read /etc/passwd": _try_read("/etc/passwd"), "read /proc/1/status": _try_read("/proc/1/status"),
            "write outside its folder": _try_write_outside,
            "a syscall no check needs (memfd_create)": _try_unlisted_syscall}


def warm_up() -> None:
    """Run every code path a child uses once here, so each forked child starts with numpy's lazy
    imports done and caches filled (the first np.save/default_rng alone costs ~8 ms)."""
    checks = ("def stat(out, args):\n    return float(np.mean(out[1]))\n"
              "def double(v):\n    return 2 * v\n"
              "def cases(rng):\n    yield Case('a', dict(x=np.ones((2, 3)), k=2, g=double))\n"
              "    yield Stat('b', dict(x=np.ones(3), k=1, rng=Rng(1)), stat, lo=0, hi=9)\n")
    code = ("import numpy as np\ndef f(x, k, rng=None, g=None):\n"
            "    return x * k, np.float64(k), [np.float64(k)] * 9\n")
    with collecting_frames() as frames:
        child_prepare(checks, "f", 1, {})
        header, blobs = unpack(frames[0])
        cases = decode_cases(header["cases"], blobs)
        frames.clear()
        child_run(code, "f", cases, 0, 1.0, checks, {})
        outputs = [unpack(frame) for frame in frames[1:]]
        values = [decode(h["output"], b) for h, b in outputs]
        blobs = []
        go = pack({"outputs": {"1": encode(values[1], blobs)}}, blobs)
    with collecting_frames(pack({}, [code.encode()]), go) as frames:
        child_prepare(checks, "f", 1, {})
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


def allowlist_problem(tmp_root: str) -> str | None:
    """Decide whether this worker's children get the seccomp allow-list (seccomp.py): a probe child
    does under it what a learner's code may do besides arithmetic (_everyday_calls: the children's
    own machinery uses a subset of the same calls); if it fails, every child gets the deny-list
    alone, and the problem returned says why (a libc or kernel that needs a syscall the list lacks)."""
    CONFINEMENT.seccomp_allowlist = True

    def body(features):
        if not features.get("seccomp_allowlist"):
            raise RuntimeError("the filter could not be installed")
        _everyday_calls()
        send({"ok": True})
    child = Child(body, {"timeout": 10.0}, tmp_root)
    child.done_when = lambda c: bool(c.frames)
    pump([child])
    if child.frames and child.frames[0]["header"].get("ok") is True:
        child.end(complete=True)
        return None
    CONFINEMENT.seccomp_allowlist = False
    output = child.tail_output[0].strip().splitlines() if not child.frames else []
    why = output[-1] if output else child.problem or "no answer"
    return f"seccomp allow-list not used: a probe child failed under it ({why}); the deny-list alone holds"


def _everyday_calls() -> None:
    """What a learner's answer or a demonstration may do besides numpy arithmetic: import a module
    that is not preloaded (the path search, a compiled extension), print, sleep, read clocks and
    randomness, warn, format a traceback, and write, list, rename and remove files in its folder."""
    import decimal
    import random
    import time
    import warnings

    a = np.random.default_rng().standard_normal((8, 8)) + 8 * np.eye(8)
    np.linalg.solve(a, a.sum(axis=1))
    print(decimal.Decimal(1) / 7, random.random(), time.time(), time.process_time(), os.cpu_count(), os.urandom(4))
    sys.stdout.flush()
    time.sleep(0.0001)
    with warnings.catch_warnings(record=True):
        np.exp(np.array([1000.0]))
    try:
        decimal.Decimal("x")
    except decimal.InvalidOperation:
        traceback.format_exc()
    os.mkdir("probe")
    with open("probe/a.bin", "wb") as f:
        f.write(a.tobytes())
    with open("probe/a.bin", "rb") as f:
        f.seek(8)
        f.read()
    os.rename("probe/a.bin", "probe/b.bin")
    os.listdir("probe"), os.stat("probe/b.bin"), os.path.exists("probe/a.bin")
    os.remove("probe/b.bin")
    os.rmdir("probe")


SNIPPETS: dict[str, object] = {}  # snippet_key -> SnippetSpec: the app sends each snippet once
MAX_SNIPPETS = 64


def with_snippet(request):
    """A GradeRequest naming its snippet by key gets the snippet sent earlier (or an ErrorReply
    asking for it); one carrying a snippet is remembered under its key, its reference only in the
    reference store (an inline reference is moved there and emptied in the spec)."""
    if not isinstance(request, GradeRequest):
        return request
    if request.snippet is None:
        spec = SNIPPETS.get(request.snippet_key)
        if spec is None or reference_store.view(request.snippet_key) is None:
            return ErrorReply(f"unknown snippet {request.snippet_key[:12]}", unknown_snippet=True)
        return dataclasses.replace(request, snippet=spec)
    key = request.snippet_key or request.snippet.key()
    spec = request.snippet
    if spec.reference or reference_store.view(key) is None:  # not sent after the frame
        reference_store.keep_text(key, spec.reference)
        spec = dataclasses.replace(spec, reference="")
    SNIPPETS.pop(key, None)
    SNIPPETS[key] = spec
    while len(SNIPPETS) > MAX_SNIPPETS:
        SNIPPETS.pop(next(iter(SNIPPETS)))
    return dataclasses.replace(request, snippet=spec, snippet_key=key)


def read_request(fd: int):
    """The next request (None when the app closed the pipe); a snippet's reference that follows its
    frame goes straight into the reference store."""
    request = read_message(fd)
    if isinstance(request, GradeRequest) and request.reference_bytes:
        key = request.snippet_key or "-"
        if not reference_store.receive(key, fd, request.reference_bytes):
            return None
        request = dataclasses.replace(request, reference_bytes=0, snippet_key=key)
    return request


def serve(request, grader: Grader, tmp_root: str):
    if isinstance(request, ErrorReply):
        return request
    if isinstance(request, GradeRequest):
        return grader.grade(request)
    if isinstance(request, DemoRequest):
        return run_demo(request, tmp_root)
    if isinstance(request, PingRequest):
        return PingReply(pid=os.getpid(), tmp=tmp_root)
    if isinstance(request, ProbeRequest):
        return probe(tmp_root)
    return ErrorReply(f"unknown request {type(request).__name__}")


NOBODY = 65534  # the uid a worker started as root runs as, unless told otherwise


def worker_options(argv: list[str]) -> dict:
    """--as-user UID: started as root, run as UID; --keep-root: started as root, stay root (inside
    its user namespace, mapped to the real root); --no-namespaces: skip the namespaces (to see the
    fallback layers hold on their own). Without --as-user or --keep-root, a worker started as root
    runs as NOBODY wherever that uid may create its namespaces (see main)."""
    options = {"as_user": None, "keep_root": False, "namespaces": True}
    args = iter(argv)
    for arg in args:
        if arg == "--as-user":
            options["as_user"] = int(next(args))
        elif arg == "--keep-root":
            options["keep_root"] = True
        elif arg == "--no-namespaces":
            options["namespaces"] = False
    return options


def worker_user(options: dict) -> tuple[int | None, str | None]:
    """The uid to drop to (None: stay as started) and, when root is kept by default, why. Root is
    dropped by default: a child that slipped every other layer then still could not read root's
    files. Only where NOBODY may create the namespaces itself (a kernel or AppArmor setting can
    allow that to root alone: losing the private root would cost more than keeping root), and only
    with the namespaces, whose private root is built from copies taken while still root (the
    fallback reads the host's files in place, which NOBODY may not reach)."""
    if os.geteuid() != 0:
        return None, None
    if options["as_user"] is not None:
        return options["as_user"], None
    if options["keep_root"] or not options["namespaces"]:
        return None, None
    if not isolation.namespaces_allowed_as(NOBODY):
        return None, f"runs as root: uid {NOBODY} may not create user namespaces on this machine"
    return NOBODY, None


def main() -> int:
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stray prints must never corrupt the protocol
    options = worker_options(sys.argv[1:])
    tmp_parent = fast_tmp_parent()
    # as root, also the folders of killed workers that had dropped to another uid (worker_user)
    dropped = {NOBODY, options["as_user"]} - {None} if os.geteuid() == 0 else set()
    remove_stale_tmp(tmp_parent, also_owned_by=tuple(dropped))
    tmp_root = make_tmp_root(tmp_parent)
    warm_up()
    MACHINE.update(isolation.machine_report())
    handles = {}
    user, kept_root = worker_user(options)
    if user is not None:
        handles = isolation.drop_privileges(user, tmp_root)
    if options["namespaces"]:
        confinement = isolation.enter(tmp_root, keep_fds=(proto_in, proto_out), handles=handles)
        if kept_root:
            confinement.problems.append(kept_root)
    else:
        for fd in handles.values():
            os.close(fd)
        confinement = isolation.Isolation(problems=["namespaces: turned off (--no-namespaces)"],
                                          read_only=tuple(isolation.read_only_sources()),
                                          unprivileged=os.geteuid() != 0)
    set_confinement(confinement)
    problem = allowlist_problem(tmp_root)
    if problem:
        CONFINEMENT.problems += (problem,)
    seccomp.prepare(CONFINEMENT.seccomp_allowlist)  # built once here, inherited by every child
    # SIGTERM (e.g. the app's session ending) is a normal shutdown: run the cleanup below.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    grader = Grader(tmp_root)
    APP_PIPE.append(proto_in)
    gc.collect()
    gc.freeze()  # children then never touch (and copy) the worker's objects during collection
    try:
        while True:
            try:
                request = read_request(proto_in)
            except ProtocolError as error:
                write_message(proto_out, ErrorReply(f"worker: {error}"))
                return 2  # the stream is out of step: the app restarts the worker
            if request is None:
                return 0
            try:
                request = with_snippet(request)
                reply = serve(request, grader, tmp_root)
            except Exception as error:  # noqa: BLE001 - the worker must keep serving
                reply = ErrorReply(f"worker: {type(error).__name__}: {error}", traceback.format_exc())
            write_message(proto_out, reply)
            graded = isinstance(reply, GradeReply) and not reply.snippet_error
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
        shutil.rmtree(tmp_root, ignore_errors=True)  # in the namespaces, the supervisor removes it


if __name__ == "__main__":
    sys.exit(main())
