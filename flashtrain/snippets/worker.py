"""The grading worker: a separate process (started by runner.py with `python -I worker.py`) that
imports numpy once and forks one sandboxed child per piece of untrusted code.

Self-contained on purpose (stdlib + numpy, no flashtrain imports) so it starts fast.

Protocol on stdin/stdout: 4-byte big-endian length + UTF-8 JSON, one request -> one reply.
Children report back over a pipe with the same framing plus raw `.npy` blobs (never pickle).

Ordering that keeps expected values out of the learner's process: for each attempt the learner's
children are all forked (and held on a "go" pipe) *before* the reference child is forked, so the
reference outputs exist in this process only after every learner child already has its own copy
of memory. Comparison happens here, never in a child.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import io
import json
import math
import os
import random
import resource
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback
import zlib
from collections import deque

import numpy as np

OUTPUT_KEEP = 2000  # characters of captured stdout/stderr kept per check
OUTPUT_KILL = 4 << 20  # a child printing more than this is killed
RESULT_MAX = 128 << 20  # bytes of returned values
DEFAULT_MEMORY = 1 << 30
FUNC_FILE = "<solution>"


# -- values across processes: JSON + .npy blobs -------------------------------------------------
class Rng:
    """Argument placeholder: the function receives np.random.default_rng(seed), fresh per call."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def __repr__(self) -> str:
        return f"Rng({self.seed})"


class Case:
    def __init__(self, name, args, *, rtol=None, atol=None):
        self.name, self.args, self.rtol, self.atol = str(name), args, rtol, atol


class Stat:
    def __init__(self, name, args, stat, lo=None, hi=None):
        self.name, self.args, self.stat, self.lo, self.hi = str(name), args, stat, lo, hi


class Unencodable:
    def __init__(self, description: str) -> None:
        self.description = description


def encode(value, blobs: list[bytes]):
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            return {"$bad": f"an ndarray of dtype object (shape {value.shape})"}
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        blobs.append(buf.getvalue())
        return {"$nd": len(blobs) - 1}
    if isinstance(value, np.generic):
        if isinstance(value, np.object_):
            return {"$bad": "a numpy object scalar"}
        return {"$np": encode(np.asarray(value), blobs)["$nd"]}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, Rng):
        return {"$rng": value.seed}
    if isinstance(value, (tuple, list)):
        numbers = number_sequence(value)
        if numbers is not None:  # one .npy blob, not one per element (15,000 np.float64: ~1 s -> ~2 ms)
            array, python_type = numbers
            buf = io.BytesIO()
            np.save(buf, array, allow_pickle=False)
            blobs.append(buf.getvalue())
            return {"$seq": type(value).__name__, "nd": len(blobs) - 1, "py": python_type}
        key = "$tuple" if isinstance(value, tuple) else "$list"
        return {key: [encode(v, blobs) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, (str, int)) for k in value):
            return {"$bad": "a dict with keys that are not str or int"}
        return {"$dict": [[k, encode(v, blobs)] for k, v in value.items()]}
    return {"$bad": f"an object of type {type(value).__name__}"}


SEQUENCE_MIN = 8  # shorter sequences stay element by element (cheap either way)
_PYTHON_NUMBERS = {bool: "bool", int: "int", float: "float"}


def number_sequence(value) -> tuple[np.ndarray, str | None] | None:
    """A list/tuple whose elements all have one exact type, a Python bool/int/float or one NumPy
    real scalar type, as (array, python type name or None); else None. Decoding gives back the same
    container of the same element type, so the "wrong return type" checks see what was returned."""
    if len(value) < SEQUENCE_MIN or type(value) not in (list, tuple):
        return None
    kinds = set(map(type, value))
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    python_type = _PYTHON_NUMBERS.get(kind)
    if python_type is None and not (issubclass(kind, (np.integer, np.floating, np.bool_))):
        return None
    try:
        if python_type is None:
            return np.array(value, dtype=value[0].dtype), None
        return np.array(value, dtype={"bool": np.bool_, "int": np.int64, "float": np.float64}[python_type]), \
            python_type
    except (OverflowError, ValueError, TypeError):  # e.g. a Python int beyond int64
        return None


def decode(obj, blobs: list[bytes]):
    if isinstance(obj, dict):
        if "$seq" in obj:
            array = np.load(io.BytesIO(blobs[obj["nd"]]), allow_pickle=False)
            items = array.tolist() if obj.get("py") else list(array)
            return tuple(items) if obj["$seq"] == "tuple" else items
        if "$nd" in obj:
            return np.load(io.BytesIO(blobs[obj["$nd"]]), allow_pickle=False)
        if "$np" in obj:
            return np.load(io.BytesIO(blobs[obj["$np"]]), allow_pickle=False)[()]
        if "$float" in obj:
            return float(obj["$float"])
        if "$rng" in obj:
            return Rng(obj["$rng"])
        if "$tuple" in obj:
            return tuple(decode(v, blobs) for v in obj["$tuple"])
        if "$list" in obj:
            return [decode(v, blobs) for v in obj["$list"]]
        if "$dict" in obj:
            return {k: decode(v, blobs) for k, v in obj["$dict"]}
        if "$bad" in obj:
            return Unencodable(obj["$bad"])
    return obj


def materialize(value):
    """Arguments as the function sees them: Rng placeholders become fresh generators, arrays are
    private copies (so one call can never change another call's inputs)."""
    if isinstance(value, Rng):
        return np.random.default_rng(value.seed)
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(materialize(v) for v in value)
    if isinstance(value, list):
        return [materialize(v) for v in value]
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    return value


def array_digests(value, prefix="", out=None) -> dict[str, int]:
    out = {} if out is None else out
    if isinstance(value, np.ndarray):
        out[prefix] = zlib.crc32(np.ascontiguousarray(value).view(np.uint8).tobytes()) ^ hash(value.shape)
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            array_digests(v, f"{prefix}[{i}]", out)
    elif isinstance(value, dict):
        for k, v in value.items():
            array_digests(v, f"{prefix}.{k}" if prefix else str(k), out)
    return out


def pack(header: dict, blobs: list[bytes]) -> bytes:
    head = json.dumps(header).encode()
    parts = [struct.pack(">I", len(head)), head, struct.pack(">I", len(blobs))]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    return b"".join(parts)


def unpack(data: bytes) -> tuple[dict, list[bytes]]:
    (n,) = struct.unpack_from(">I", data, 0)
    header = json.loads(data[4:4 + n])
    pos = 4 + n
    (count,) = struct.unpack_from(">I", data, pos)
    pos += 4
    blobs = []
    for _ in range(count):
        (size,) = struct.unpack_from(">Q", data, pos)
        pos += 8
        blobs.append(data[pos:pos + size])
        pos += size
    return header, blobs


# -- the sandbox applied inside each child --------------------------------------------------------
_SECCOMP_DENY = {  # syscalls a check never needs: processes, exec, network, signals to others
    "x86_64": (0xC000003E, [41, 42, 49, 50, 56, 57, 58, 59, 62, 101, 165, 272, 308, 311, 322, 424, 435]),
    "aarch64": (0xC00000B7, [198, 200, 201, 203, 220, 221, 129, 117, 40, 97, 268, 271, 281, 424, 435]),
}


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _LIBC = None


def _install_seccomp() -> bool:
    """A small deny-list BPF filter (EPERM), written with ctypes so no extra package is needed."""
    spec = _SECCOMP_DENY.get(os.uname().machine)
    if spec is None or _LIBC is None:
        return False
    arch, numbers = spec
    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EPERM
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, allow), (ld, 0, 0, 0)]
    if arch == 0xC000003E:  # refuse the x32 ABI outright (it aliases syscall numbers)
        prog.append((0x35, 0, 1, 0x40000000))  # BPF_JMP|BPF_JGE|BPF_K
        prog.append((ret, 0, 0, deny))
    for nr in numbers:
        prog += [(jeq, 0, 1, nr), (ret, 0, 0, deny)]
    prog.append((ret, 0, 0, allow))
    filters = (_SockFilter * len(prog))(*[_SockFilter(*p) for p in prog])
    fprog = _SockFprog(len(prog), filters)
    if _LIBC.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return _LIBC.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0  # PR_SET_SECCOMP, FILTER


def _unshare_network() -> bool:
    if _LIBC is None:
        return False
    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    if _LIBC.unshare(clone_newnet) == 0:
        return True
    return _LIBC.unshare(clone_newuser | clone_newnet) == 0


def _set_limit(which, soft, hard) -> None:
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass  # cannot raise a limit above the current hard one; the lower existing limit stays


def sandbox(cwd: str, limits: dict) -> dict:
    cpu = max(1, math.ceil(limits["timeout"]))
    _set_limit(resource.RLIMIT_CPU, cpu, cpu + 1)  # soft < hard: SIGXCPU first, SIGKILL after
    _set_limit(resource.RLIMIT_FSIZE, 1 << 20, 1 << 20)
    _set_limit(resource.RLIMIT_NOFILE, 64, 64)
    _set_limit(resource.RLIMIT_CORE, 0, 0)
    if os.getuid() != 0:
        _set_limit(resource.RLIMIT_NPROC, 0, 0)  # counts per uid; has no effect for root
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big write raises OSError instead
    os.chdir(cwd)
    net = _unshare_network() if limits.get("network_namespace", True) else False
    # numpy is already imported, so the address-space limit cannot break its import
    _set_limit(resource.RLIMIT_AS, limits.get("memory", DEFAULT_MEMORY), limits.get("memory", DEFAULT_MEMORY))
    sec = _install_seccomp() if limits.get("seccomp", True) else False
    return {"netns": net, "seccomp": sec}


def reseed_global_rngs() -> None:
    """Give this child its own global `numpy.random` and `random` state. A fork copies the
    worker's state, so without this every child (every check, every attempt) would draw the same
    numbers from np.random, and code that wrongly ignores `rng` would look deterministic. Done
    after the fork (and after any wait on the go pipe), so children forked in advance differ too."""
    np.random.seed(np.frombuffer(os.urandom(16), dtype=np.uint32))
    random.seed(os.urandom(16))


# -- child bodies (run after fork; they write one frame to fd 3 and _exit) ------------------------
def _load_function(code: str, name: str, filename: str = FUNC_FILE):
    namespace = {"__name__": "__snippet__", "__builtins__": __builtins__}
    exec(compile(code, filename, "exec"), namespace)
    fn = namespace.get(name)
    if not callable(fn):
        raise LookupError(f"the code does not define a function named {name}()")
    return fn


def _describe_exception(error: BaseException, filename: str = FUNC_FILE) -> dict:
    if isinstance(error, SystemExit):
        return {"type": "SystemExit", "message": f"the code called sys.exit({error.code!r})", "line": None}
    if isinstance(error, SyntaxError) and error.filename == filename:
        return {"type": "SyntaxError", "message": f"line {error.lineno}: {error.msg}", "line": error.lineno}
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, MemoryError):
        text += " (memory limit reached)"
    if line is not None:
        text += f" (line {line})"
    return {"type": type(error).__name__, "message": text, "line": line}


def child_call(code: str, name: str, cases: list, extra: dict) -> dict:
    """Run the function on each case (usually one); report outputs and whether inputs changed."""
    started = time.perf_counter()
    try:
        fn = _load_function(code, name)
    except BaseException as error:  # noqa: BLE001 - whatever the code does, report it
        return {"load_error": _describe_exception(error)}, []
    results, blobs = [], []
    for case in cases:
        args = materialize(case["args"])
        before = array_digests(args)
        t0 = time.perf_counter()
        try:
            out = fn(**args)
        except BaseException as error:  # noqa: BLE001
            results.append({"error": _describe_exception(error), "ms": (time.perf_counter() - t0) * 1e3})
            continue
        ms = (time.perf_counter() - t0) * 1e3
        after = array_digests(args)
        mutated = sorted(k for k in before if after.get(k) != before[k])
        results.append({"output": encode(out, blobs), "mutated": mutated, "ms": ms})
    return {"results": results, "ms": (time.perf_counter() - started) * 1e3}, blobs


def child_generate(checks_code: str, seed: int) -> tuple[dict, list]:
    namespace = {"__name__": "__checks__", "np": np, "Case": Case, "Stat": Stat, "Rng": Rng}
    try:
        exec(compile(checks_code, "<checks>", "exec"), namespace)
        items = list(namespace["cases"](np.random.default_rng(seed)))
    except BaseException as error:  # noqa: BLE001
        return {"load_error": _describe_exception(error, "<checks>")}, []
    blobs, cases, names = [], [], set()
    for item in items:
        if not isinstance(item, (Case, Stat)) or not isinstance(item.args, dict):
            return {"load_error": {"type": "TypeError", "message": "cases() must yield Case/Stat items whose "
                                   "args is a dict", "line": None}}, []
        if item.name in names:
            return {"load_error": {"type": "ValueError", "message": f"duplicate check name {item.name!r}",
                                   "line": None}}, []
        names.add(item.name)
        entry = {"name": item.name, "args": encode(item.args, blobs)}
        if isinstance(item, Case):
            entry.update(kind="case", rtol=item.rtol, atol=item.atol)
        else:
            entry.update(kind="stat", stat=getattr(item.stat, "__name__", str(item.stat)),
                         lo=_bound(item.lo), hi=_bound(item.hi))
        cases.append(entry)
    return {"cases": cases}, blobs


def _bound(value):
    if value is None:
        return None
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr.ravel().tolist()


def child_stats(checks_code: str, items: list) -> tuple[dict, list]:
    """Evaluate the snippet's statistic functions on outputs (the learner's, or a mutant's)."""
    namespace = {"__name__": "__checks__", "np": np, "Case": Case, "Stat": Stat, "Rng": Rng}
    try:
        exec(compile(checks_code, "<checks>", "exec"), namespace)
    except BaseException as error:  # noqa: BLE001
        return {"load_error": _describe_exception(error, "<checks>")}, []
    values = []
    for stat_name, output, args in items:
        try:
            value = namespace[stat_name](output, args)
            value = None if value is None else np.asarray(value, dtype=float).ravel().tolist()
            values.append({"value": value})
        except AssertionError as error:
            values.append({"assert": str(error) or "assertion failed"})
        except BaseException as error:  # noqa: BLE001
            values.append({"error": f"{type(error).__name__}: {error}"})
    return {"values": values}, []


# -- forking, gating, deadlines -------------------------------------------------------------------
class Child:
    def __init__(self, body, limits: dict, gated: bool, tmp_root: str) -> None:
        self.limits = limits
        self.cwd = tempfile.mkdtemp(prefix="c", dir=tmp_root)
        result_r, result_w = os.pipe()
        output_r, output_w = os.pipe()
        go_r, go_w = os.pipe() if gated else (None, None)
        pid = os.fork()
        if pid == 0:  # ---- child ----
            code = 70
            try:
                os.setpgid(0, 0)
                for fd, target in ((result_w, 3), (go_r, 4)):
                    if fd is not None:
                        os.dup2(fd, target)
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                os.dup2(output_w, 1)
                os.dup2(output_w, 2)
                os.closerange(5, 1 << 16)
                os.set_inheritable(3, False)
                features = sandbox(self.cwd, limits)
                if gated:
                    os.read(4, 1)
                    os.close(4)
                reseed_global_rngs()
                header, blobs = body()
                header["sandbox"] = features
                data = pack(header, blobs)
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                except BaseException:  # noqa: BLE001
                    pass
                view = memoryview(data)
                while view:
                    view = view[os.write(3, view[:1 << 20]):]
                code = 0
            except BaseException:  # noqa: BLE001
                code = 71
            finally:
                os._exit(code)
        # ---- worker ----
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        os.close(result_w)
        os.close(output_w)
        if go_r is not None:
            os.close(go_r)
        self.pid, self.result_r, self.output_r, self.go_w = pid, result_r, output_r, go_w
        self.result = bytearray()
        self.output = bytearray()
        self.output_total = 0
        self.open_fds = {result_r, output_r}
        self.started = None
        self.deadline = None
        self.outcome = None

    def release(self) -> None:
        self.started = time.perf_counter()
        self.deadline = self.started + self.limits["timeout"]
        if self.go_w is not None:
            try:
                os.write(self.go_w, b"g")
            except OSError:
                pass
            os.close(self.go_w)
            self.go_w = None

    def on_readable(self, fd: int) -> None:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            self.open_fds.discard(fd)
            os.close(fd)
            return
        if fd == self.output_r:
            self.output_total += len(chunk)
            if len(self.output) < OUTPUT_KEEP * 4:
                self.output += chunk[:OUTPUT_KEEP * 4 - len(self.output)]
            if self.output_total > OUTPUT_KILL:
                self.finish("output_limit")
        else:
            self.result += chunk
            if len(self.result) > RESULT_MAX:
                self.finish("result_limit")
            elif frame_complete(self.result):
                # Do not wait for the process to exit (tearing down ~100 MB of address space takes
                # milliseconds); its output was flushed before the frame, so drain it and move on.
                self._drain_output()
                self.finish(complete=True)

    def _drain_output(self) -> None:
        if self.output_r not in self.open_fds:
            return
        os.set_blocking(self.output_r, False)
        while self.output_r in self.open_fds and self.outcome is None:
            try:
                chunk = os.read(self.output_r, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:
                return
            self.output_total += len(chunk)
            if len(self.output) < OUTPUT_KEEP * 4:
                self.output += chunk[:OUTPUT_KEEP * 4 - len(self.output)]

    def finish(self, reason: str | None = None, complete: bool = False) -> None:
        """Kill what is left of the child's process group and record the outcome. A child that sent
        a complete result is reaped later (see reap_finished); any other is reaped now, because
        its exit status explains what happened."""
        if self.outcome is not None:
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        if complete:
            status = 0
            _TO_REAP.append((self.pid, self.cwd))
        else:
            _, status = os.waitpid(self.pid, 0)
            shutil.rmtree(self.cwd, ignore_errors=True)
        for fd in list(self.open_fds):
            os.close(fd)
        self.open_fds.clear()
        if self.go_w is not None:
            os.close(self.go_w)
            self.go_w = None
        duration = (time.perf_counter() - (self.started or time.perf_counter())) * 1e3
        text = self.output.decode("utf-8", "replace")
        truncated = self.output_total > len(self.output) or len(text) > OUTPUT_KEEP
        self.outcome = {"output": text[:OUTPUT_KEEP], "output_truncated": truncated,
                        "output_bytes": self.output_total, "ms": duration}
        payload = None
        if reason is None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and not self.result:
            reason = "no_result"
        if reason is None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            try:
                payload = unpack(bytes(self.result))
            except (ValueError, struct.error, UnicodeDecodeError):
                reason = "garbled"
        self.outcome["payload"] = payload
        self.outcome["problem"] = None if payload is not None else self._problem(reason, status)

    def _problem(self, reason, status) -> str:
        t = self.limits["timeout"]
        if reason == "timeout":
            return f"timed out after {t:g} s (wall clock)"
        if reason == "output_limit":
            return f"printed more than {OUTPUT_KILL >> 20} MiB of output; stopped"
        if reason == "result_limit":
            return f"returned more than {RESULT_MAX >> 20} MiB of data; stopped"
        if reason == "no_result":
            return "the process exited before returning a result (os._exit?)"
        if reason == "garbled":
            return "the result could not be read back (the code wrote to the result channel?)"
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGXCPU:
                return f"CPU time limit exceeded ({max(1, math.ceil(t))} s)"
            if sig == signal.SIGKILL:
                return "killed (CPU or memory limit)"
            if sig == signal.SIGSEGV:
                return "crashed (segmentation fault; possibly the memory limit)"
            return f"killed by signal {signal.Signals(sig).name}"
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        if code == 71:
            return "the result could not be sent back"
        return f"the process exited (code {code}) before returning a result"


_TO_REAP: list[tuple[int, str]] = []


def reap_finished() -> None:
    """Reap children that already delivered their result (called after the reply is sent)."""
    while _TO_REAP:
        pid, cwd = _TO_REAP.pop()
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        shutil.rmtree(cwd, ignore_errors=True)


def frame_complete(data) -> bool:
    if len(data) < 4:
        return False
    (n,) = struct.unpack_from(">I", data, 0)
    pos = 4 + n
    if len(data) < pos + 4:
        return False
    (count,) = struct.unpack_from(">I", data, pos)
    pos += 4
    for _ in range(count):
        if len(data) < pos + 8:
            return False
        (size,) = struct.unpack_from(">Q", data, pos)
        pos += 8 + size
    return len(data) >= pos


def run_children(children: list[Child], concurrency: int = 2) -> None:
    pending = deque(children)
    running: list[Child] = []
    while pending or running:
        while pending and len(running) < concurrency:
            child = pending.popleft()
            child.release()
            running.append(child)
        fd_owner = {fd: c for c in running for fd in c.open_fds}
        now = time.perf_counter()
        timeout = max(0.0, min(c.deadline for c in running) - now)
        if fd_owner:
            readable, _, _ = select.select(list(fd_owner), [], [], timeout)
            for fd in readable:
                owner = fd_owner[fd]
                if owner.outcome is None and fd in owner.open_fds:
                    owner.on_readable(fd)
        now = time.perf_counter()
        for child in list(running):
            if child.outcome is None and not child.open_fds:
                child.finish()
            elif child.outcome is None and now >= child.deadline:
                child.finish("timeout")
            if child.outcome is not None:
                running.remove(child)


# -- comparison (trusted code, runs here) ---------------------------------------------------------
def describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"ndarray shape {value.shape} dtype {value.dtype}"
    if isinstance(value, Unencodable):
        return value.description
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    if isinstance(value, dict):
        return f"dict with keys {sorted(map(str, value))}"
    if value is None:
        return "None"
    if isinstance(value, np.generic):
        return f"numpy {type(value).__name__}"
    return type(value).__name__


def _is_scalar(v) -> bool:
    return (isinstance(v, (int, float, bool, np.number, np.bool_)) or
            (isinstance(v, np.ndarray) and v.ndim == 0))


def _numeric_array(v) -> bool:
    return isinstance(v, np.ndarray) and (v.dtype.kind in "biuf")


def preview(value, limit: int = 60):
    if isinstance(value, np.ndarray):
        if value.size <= limit and value.dtype.kind in "biufc":
            return np.asarray(value, dtype=float).tolist() if value.dtype.kind != "c" else str(value)
        return describe(value)
    if _is_scalar(value):
        return float(value)
    if isinstance(value, (tuple, list)):
        return [preview(v, limit) for v in value[:10]]
    if isinstance(value, dict):
        return {str(k): preview(v, limit) for k, v in list(value.items())[:10]}
    if isinstance(value, Unencodable):
        return value.description
    return value if isinstance(value, (str, type(None))) else repr(value)[:200]


def compare(expected, actual, rtol: float, atol: float, where: str = "result") -> dict | None:
    """None when equal within tolerance, else a dict with a message and the evidence."""
    if isinstance(actual, Unencodable):
        return {"message": f"{where}: expected {describe(expected)}, got {actual.description}"}
    if isinstance(expected, (tuple, list)):
        if not isinstance(actual, (tuple, list)):
            return {"message": f"{where}: expected a {type(expected).__name__} of {len(expected)} values, "
                               f"got {describe(actual)}"}
        if len(actual) != len(expected):
            return {"message": f"{where}: expected {len(expected)} values, got {len(actual)}"}
        fast = _compare_number_sequences(expected, actual, rtol, atol, where)
        if fast is not False:
            return fast
        for i, (e, a) in enumerate(zip(expected, actual)):
            diff = compare(e, a, rtol, atol, f"{where}[{i}]")
            if diff:
                return diff
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return {"message": f"{where}: expected a dict, got {describe(actual)}"}
        if set(map(str, expected)) != set(map(str, actual)):
            return {"message": f"{where}: expected keys {sorted(map(str, expected))}, "
                               f"got {sorted(map(str, actual))}"}
        for k in expected:
            diff = compare(expected[k], actual[k], rtol, atol, f"{where}[{k!r}]")
            if diff:
                return diff
        return None
    if expected is None or isinstance(expected, str):
        if actual != expected or type(actual) is not type(expected):
            return {"message": f"{where}: expected {expected!r}, got {preview(actual)!r}"}
        return None
    if _is_scalar(expected):
        if not _is_scalar(actual):
            return {"message": f"{where}: expected a number, got {describe(actual)}"}
        e, a = np.float64(expected), np.float64(actual)
        if not _close(np.array(e), np.array(a), rtol, atol).all():
            return {"message": f"{where}: expected {float(e):.10g}, got {float(a):.10g} "
                               f"(|Δ| = {abs(float(a) - float(e)):.3g})",
                    "expected": float(e), "actual": float(a), "max_abs_diff": abs(float(a) - float(e))}
        return None
    if isinstance(expected, np.ndarray):
        if not isinstance(actual, np.ndarray):
            return {"message": f"{where}: expected an ndarray of shape {expected.shape}, got {describe(actual)}"}
        if actual.shape != expected.shape:
            return {"message": f"{where}: expected shape {expected.shape}, got shape {actual.shape}",
                    "expected_shape": list(expected.shape), "actual_shape": list(actual.shape)}
        if not _numeric_array(actual) or not _numeric_array(expected):
            if actual.dtype != expected.dtype or not np.array_equal(actual, expected):
                return {"message": f"{where}: expected {describe(expected)}, got {describe(actual)}"}
            return None
        e, a = expected.astype(np.float64), actual.astype(np.float64)
        ok = _close(e, a, rtol, atol)
        if ok.all():
            return None
        bad = np.argwhere(~ok)
        with np.errstate(invalid="ignore"):
            delta = np.abs(a - e)
        finite = delta[np.isfinite(delta)]
        max_diff = float(finite.max()) if finite.size else float("nan")
        first = tuple(int(i) for i in bad[0])
        note = "" if actual.dtype == expected.dtype else f" (dtype {actual.dtype}, expected {expected.dtype})"
        return {"message": f"{where}: {len(bad)} of {e.size} values differ, max |Δ| = {max_diff:.3g}; "
                           f"at {list(first)}: expected {e[first]:.8g}, got {a[first]:.8g}{note}",
                "mismatched": [[int(i) for i in idx] for idx in bad[:20]], "mismatch_count": int(len(bad)),
                "total": int(e.size), "max_abs_diff": max_diff, "expected": preview(expected),
                "actual": preview(actual)}
    return {"message": f"{where}: cannot compare a reference value of type {type(expected).__name__}"}


def _compare_number_sequences(expected, actual, rtol, atol, where):
    """Two equally long sequences of plain numbers compared in one vectorised step, with the same
    verdict and message as element by element; False when either holds anything else."""
    if len(expected) < SEQUENCE_MIN:
        return False
    e, a = number_sequence(expected), number_sequence(actual)
    if e is None or a is None:
        return False
    e, a = e[0].astype(np.float64), a[0].astype(np.float64)
    ok = _close(e, a, rtol, atol)
    if ok.all():
        return None
    i = int(np.argmin(ok))
    return compare(expected[i], actual[i], rtol, atol, f"{where}[{i}]")


def _close(e: np.ndarray, a: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.abs(a - e) <= atol + rtol * np.abs(e)
    return ok | (np.isnan(e) & np.isnan(a)) | ((e == a) & np.isinf(e))


def within(value, lo, hi) -> bool:
    v = np.asarray(value, dtype=float)
    ok = np.ones(v.shape, dtype=bool)
    if lo is not None:
        lo_arr = np.asarray(lo, dtype=float)
        if lo_arr.ndim and lo_arr.shape != v.shape:
            return False
        ok &= v >= lo_arr
    if hi is not None:
        hi_arr = np.asarray(hi, dtype=float)
        if hi_arr.ndim and hi_arr.shape != v.shape:
            return False
        ok &= v <= hi_arr
    return bool(ok.all()) and not np.isnan(v).any()


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.4g}" for v in value[:12]) + (", ..." if len(value) > 12 else "") + "]"
    return f"{value:.4g}"


# -- one attempt ----------------------------------------------------------------------------------
class Grader:
    def __init__(self, tmp_root: str) -> None:
        self.tmp_root = tmp_root
        self._prefetched = None  # (key, seed, payload, problem) for the next attempt

    def limits(self, snippet: dict, request: dict) -> dict:
        return {"timeout": float(request.get("timeout") or snippet.get("timeout") or 2.0),
                "memory": int(request.get("memory") or DEFAULT_MEMORY),
                "network_namespace": request.get("network_namespace", True),
                "seccomp": request.get("seccomp", True)}

    def run_code_on_cases(self, code: str, name: str, cases: list, limits: dict, ref_code: str | None = None):
        """Fork one gated child per case for `code`; when ref_code is given, fork the reference's
        child only afterwards (see the module docstring). Returns (outcomes, reference outcome)."""
        children = [Child(lambda c=case: child_call(code, name, [c], {}), limits, True, self.tmp_root)
                    for case in cases]
        ref_child = None
        compare_cases = [c for c in cases if c["kind"] == "case"]
        if ref_code is not None and compare_cases:
            ref_limits = dict(limits, timeout=limits["timeout"] * max(1, len(compare_cases)))
            ref_child = Child(lambda: child_call(ref_code, name, compare_cases, {}), ref_limits, False, self.tmp_root)
        run_children(([ref_child] if ref_child else []) + children)
        return [c.outcome for c in children], (ref_child.outcome if ref_child else None)

    def stats(self, checks_code: str, items: list, limits: dict) -> list | None:
        if not items:
            return []
        child = Child(lambda: child_stats(checks_code, items), dict(limits, timeout=limits["timeout"] * 2),
                      False, self.tmp_root)
        run_children([child])
        payload = child.outcome["payload"]
        if payload is None or "values" not in payload[0]:
            return None
        return payload[0]["values"]

    def grade(self, request: dict) -> dict:
        started = time.perf_counter()
        snippet, code = request["snippet"], request["code"]
        name = snippet["id"]
        limits = self.limits(snippet, request)
        fixed_seed = request.get("seed") is not None
        key = (snippet["checks"], limits["timeout"])
        if not fixed_seed and self._prefetched is not None and self._prefetched[0] == key:
            _, seed, payload, problem = self._prefetched  # inputs drawn while the learner was typing
        else:
            seed = int(request["seed"]) if fixed_seed else int.from_bytes(os.urandom(4), "big")
            payload, problem = self._generate(snippet["checks"], seed, limits)
        self._prefetched = None
        if payload is None or "load_error" in payload[0]:
            why = problem if payload is None else payload[0]["load_error"]["message"]
            return self._snippet_error(name, f"the snippet's checks could not be generated: {why}", started, seed)
        header, blobs = payload
        cases = [dict(c, args=decode(c["args"], blobs)) for c in header["cases"]]
        if not cases:
            return self._snippet_error(name, "the snippet's cases() produced no checks", started, seed)

        outcomes, ref_outcome = self.run_code_on_cases(code, name, cases, limits, snippet["reference"])
        expected = self._reference_outputs(ref_outcome, cases)
        if isinstance(expected, str):
            return self._snippet_error(name, expected, started, seed)
        learner = [self._call_result(o) for o in outcomes]
        checks = self._judge(snippet, cases, learner, expected, limits)
        sandbox_info = next((o["payload"][0].get("sandbox") for o in outcomes if o["payload"]), None)

        passed = sum(c["status"] == "pass" for c in checks)
        load_failed = all(r.get("load_error") for r in learner)
        if passed == len(checks):
            status = "pass"
        elif load_failed or all(c["status"] == "error" for c in checks):
            status = "error"
        else:
            status = "fail"
        hint = mutant = None
        if status == "fail" and request.get("diagnose", True) and snippet.get("mutants"):
            mutant = self._diagnose(snippet, cases, learner, checks, limits)
            if mutant:
                hint = next(m["hint"] for m in snippet["mutants"] if m["name"] == mutant)
        message = ""
        if load_failed:
            message = learner[0]["load_error"]["message"]
        return {"snippet": name, "status": status, "checks": checks, "hint": hint, "hint_mutant": mutant,
                "passed": passed, "total": len(checks), "seed": seed, "message": message,
                "sandbox": sandbox_info, "duration_ms": (time.perf_counter() - started) * 1e3}

    def _generate(self, checks_code: str, seed: int, limits: dict):
        gen = Child(lambda: child_generate(checks_code, seed), dict(limits, timeout=limits["timeout"] * 2),
                    False, self.tmp_root)
        run_children([gen])
        return gen.outcome["payload"], gen.outcome["problem"]

    def prefetch(self, request: dict) -> None:
        """After replying, draw the next attempt's fresh inputs for the same snippet (a re-check is
        the common next request). Only inputs: no reference output exists until the next grade."""
        if request.get("op") != "grade" or request.get("seed") is not None or not request.get("prefetch", True):
            return
        snippet = request["snippet"]
        limits = self.limits(snippet, request)
        seed = int.from_bytes(os.urandom(4), "big")
        payload, problem = self._generate(snippet["checks"], seed, limits)
        self._prefetched = ((snippet["checks"], limits["timeout"]), seed, payload, problem)

    def _snippet_error(self, name, message, started, seed) -> dict:
        return {"snippet": name, "status": "error", "checks": [], "hint": None, "hint_mutant": None,
                "passed": 0, "total": 0, "seed": seed, "message": message, "sandbox": None,
                "duration_ms": (time.perf_counter() - started) * 1e3, "snippet_error": True}

    @staticmethod
    def _call_result(outcome: dict) -> dict:
        """One learner child's outcome as {output|error|load_error, mutated, output text, ms}."""
        base = {"stdout": outcome["output"], "stdout_truncated": outcome["output_truncated"], "ms": outcome["ms"]}
        if outcome["payload"] is None:
            return dict(base, error=outcome["problem"])
        header, blobs = outcome["payload"]
        if "load_error" in header:
            return dict(base, load_error=header["load_error"], error=header["load_error"]["message"])
        r = header["results"][0]
        if "error" in r:
            return dict(base, error=r["error"]["message"])
        return dict(base, output=decode(r["output"], blobs), mutated=r["mutated"], ms=r["ms"])

    @staticmethod
    def _reference_outputs(ref_outcome, cases) -> dict | str:
        compare_cases = [c for c in cases if c["kind"] == "case"]
        if not compare_cases:
            return {}
        if ref_outcome is None or ref_outcome["payload"] is None:
            why = ref_outcome["problem"] if ref_outcome else "not run"
            return f"the snippet's reference failed: {why}"
        header, blobs = ref_outcome["payload"]
        if "load_error" in header:
            return f"the snippet's reference failed to load: {header['load_error']['message']}"
        out = {}
        for case, r in zip(compare_cases, header["results"]):
            if "error" in r:
                return f"the snippet's reference raised on check {case['name']!r}: {r['error']['message']}"
            out[case["name"]] = decode(r["output"], blobs)
        return out

    def _judge(self, snippet, cases, results, expected, limits) -> list[dict]:
        stat_items = [(i, c["stat"], r["output"], c["args"]) for i, (c, r) in enumerate(zip(cases, results))
                      if c["kind"] == "stat" and "output" in r]
        stat_values = self.stats(snippet["checks"], [(s, o, a) for _, s, o, a in stat_items], limits) \
            if stat_items else []
        by_index = {}
        if stat_values is None:
            by_index = {i: {"error": "the snippet's statistic functions failed to run"} for i, *_ in stat_items}
        else:
            by_index = {i: v for (i, *_), v in zip(stat_items, stat_values)}
        checks = []
        for i, (case, r) in enumerate(zip(cases, results)):
            check = {"name": case["name"], "kind": case["kind"], "duration_ms": round(r["ms"], 3),
                     "output": r["stdout"], "output_truncated": r["stdout_truncated"]}
            if "output" not in r:
                check.update(status="error", message=r["error"])
            elif case["kind"] == "case" and case["name"] not in expected:
                check.update(status="pass", message="not compared")  # diagnosing a mutant: values only
            elif case["kind"] == "case":
                rtol = snippet["rtol"] if case.get("rtol") is None else case["rtol"]
                atol = snippet["atol"] if case.get("atol") is None else case["atol"]
                diff = compare(expected[case["name"]], r["output"], rtol, atol)
                check.update(rtol=rtol, atol=atol, expected=preview(expected[case["name"]]),
                             actual=preview(r["output"]))
                if diff:
                    check.update(status="fail", **{k: v for k, v in diff.items() if k not in ("expected", "actual")})
                else:
                    check.update(status="pass", message=f"matches within rtol={rtol:g}, atol={atol:g}")
            else:
                v = by_index.get(i, {"error": "statistic not computed"})
                check.update(lo=case["lo"], hi=case["hi"])
                if "value" in v:
                    check["value"] = v["value"]
                    shown = v["value"][0] if v["value"] is not None and len(v["value"]) == 1 else v["value"]
                    if v["value"] is None or within(v["value"], case["lo"], case["hi"]):
                        check.update(status="pass", message="ok" if v["value"] is None else
                                     f"{_fmt(shown)} within [{_fmt(case['lo'])}, {_fmt(case['hi'])}]")
                    else:
                        check.update(status="fail", message=f"{_fmt(shown)} outside "
                                                            f"[{_fmt(case['lo'])}, {_fmt(case['hi'])}]")
                elif "assert" in v:
                    check.update(status="fail", message=v["assert"])
                else:
                    check.update(status="fail", message=f"the statistic could not be computed from the "
                                                        f"output: {v['error']}")
            if "output" in r and r.get("mutated"):
                note = f"modified its argument(s) in place: {', '.join(r['mutated'])}"
                if check["status"] == "pass":
                    check.update(status="fail", message=note)
                else:
                    check["message"] += f"; also {note}"
            checks.append(check)
        return checks

    def _diagnose(self, snippet, cases, learner, checks, limits) -> str | None:
        """The mutant that behaves like the learner's answer on these same inputs: one whose
        outputs match exactly wins at once; else the first whose statistics agree."""
        statistical = None
        for m in snippet["mutants"]:
            outcomes, _ = self.run_code_on_cases(m["code"], snippet["id"], cases, limits)
            results = [self._call_result(o) for o in outcomes]
            m_checks = self._judge(snippet, cases, results, {}, limits) if any(
                c["kind"] == "stat" for c in cases) else None
            level = self._likeness(snippet, cases, learner, checks, results, m_checks)
            if level == "exact":
                return m["name"]
            if level == "statistical" and statistical is None:
                statistical = m["name"]
        return statistical

    @staticmethod
    def _likeness(snippet, cases, learner, checks, results, m_checks) -> str | None:
        """'exact' when every output matches the mutant's, 'statistical' when the outputs differ
        but every statistic agrees within its bounds' width, else None."""
        level = "exact"
        compared = 0
        for i, (case, mine, theirs) in enumerate(zip(cases, learner, results)):
            if "output" not in mine or "output" not in theirs:
                if ("output" in mine) != ("output" in theirs):
                    return None
                continue
            if sorted(mine["mutated"]) != sorted(theirs["mutated"]):
                return None
            compared += 1
            rtol = max(snippet["rtol"] if case.get("rtol") is None else case["rtol"], 1e-6)
            atol = max(snippet["atol"] if case.get("atol") is None else case["atol"], 1e-9)
            if compare(theirs["output"], mine["output"], rtol, atol) is None:
                continue
            if case["kind"] == "case":
                return None
            # A random function drawing in another (equivalent) way: compare the statistics.
            theirs_check = m_checks[i]
            a, b = checks[i].get("value"), theirs_check.get("value")
            if theirs_check["status"] != checks[i]["status"]:
                return None
            if a is None and b is None:
                # A statistic that only asserts (returns None): agreeing on pass/fail is all it says.
                # This is how an answer drawing from np.random is matched to such a mutant, now
                # that two children never share the global RNG state.
                level = "statistical"
                continue
            if a is None or b is None or len(a) != len(b):
                return None
            if case["lo"] is not None and case["hi"] is not None:
                width = float(np.max(np.asarray(case["hi"], float) - np.asarray(case["lo"], float)))
                if float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) > max(width, 1e-12):
                    return None
            level = "statistical"
        return level if compared else None


# -- main loop --------------------------------------------------------------------------------------
def _read_exact(fd: int, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _write_frame(fd: int, obj) -> None:
    data = json.dumps(obj, default=_json_default).encode()
    view = memoryview(struct.pack(">I", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return repr(value)


def probe(tmp_root: str) -> dict:
    """Which protections the kernel grants, and that the sandbox blocks network and fork."""
    def body():
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
        return {"blocked": blocked}, []
    child = Child(body, {"timeout": 5.0}, False, tmp_root)
    run_children([child])
    payload = child.outcome["payload"]
    if payload is None:
        return {"error": child.outcome["problem"]}
    return {**payload[0]["sandbox"], **payload[0]["blocked"]}


def _fast_tmp() -> str | None:
    """Children get a fresh empty directory each; on a disk /tmp that costs ~4 ms, on tmpfs ~0."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


def warm_up() -> None:
    """Run every code path a child uses once here, so each forked child starts with numpy's lazy
    imports done and caches filled (the first np.save/default_rng alone costs ~8 ms)."""
    checks = ("def stat(out, args):\n    return float(np.mean(out))\n"
              "def cases(rng):\n    yield Case('a', dict(x=np.ones((2, 3)), k=2))\n"
              "    yield Stat('b', dict(x=np.ones(3), k=1, rng=Rng(1)), stat, lo=0, hi=9)\n")
    header, blobs = unpack(pack(*child_generate(checks, 1)))
    cases = [dict(c, args=decode(c["args"], blobs)) for c in header["cases"]]
    code = "import numpy as np\ndef f(x, k, rng=None):\n    return x * k, np.float64(k)\n"
    header, blobs = unpack(pack(*child_call(code, "f", cases, {})))
    outputs = [decode(r["output"], blobs) for r in header["results"]]
    compare(outputs[0], outputs[0], 1e-6, 1e-9)
    compare(outputs[0][0], outputs[0][0] + 1, 1e-6, 1e-9)
    child_stats(checks, [("stat", outputs[1][0], cases[1]["args"])])
    child_call("def f(:\n", "f", cases[:1], {})
    child_call("def f(x, k):\n    raise ValueError('x')\n", "f", cases[:1], {})
    materialize(Rng(3)).uniform(0, 1, 4)
    _fast_tmp()


def main() -> int:
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stray prints must never corrupt the protocol
    tmp_root = tempfile.mkdtemp(prefix="flashtrain-checks-", dir=_fast_tmp())
    grader = Grader(tmp_root)
    warm_up()
    gc.collect()
    gc.freeze()  # children then never touch (and copy) the worker's objects during collection
    try:
        while True:
            head = _read_exact(proto_in, 4)
            if head is None:
                return 0
            (n,) = struct.unpack(">I", head)
            body = _read_exact(proto_in, n)
            if body is None:
                return 0
            request = json.loads(body)
            op = request.get("op")
            try:
                if op == "ping":
                    reply = {"ok": True, "pid": os.getpid()}
                elif op == "probe":
                    reply = {"ok": True, **probe(tmp_root)}
                elif op == "grade":
                    reply = grader.grade(request)
                else:
                    reply = {"error": f"unknown op {op!r}"}
            except Exception as error:  # noqa: BLE001 - the worker must keep serving
                reply = {"error": f"worker: {type(error).__name__}: {error}", "traceback": traceback.format_exc()}
            _write_frame(proto_out, reply)
            reap_finished()
            if op == "grade" and "status" in reply and not reply.get("snippet_error"):
                try:
                    grader.prefetch(request)
                    reap_finished()
                except Exception:  # noqa: BLE001 - a failed prefetch just means no prefetch
                    grader._prefetched = None
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
