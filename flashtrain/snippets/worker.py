"""The grading worker: a separate process (started by runner.py with `python -I worker.py`) that
imports numpy once and forks sandboxed children to run snippet and learner code.

Self-contained on purpose (stdlib + numpy, no flashtrain imports) so it starts fast.

Protocol on stdin/stdout: 4-byte big-endian length + UTF-8 JSON, one request -> one reply.
Children report back over a pipe with the same framing plus raw `.npy` blobs (never pickle).

Per attempt (see Grader.grade): one *checks child* draws the inputs, runs the reference and
evaluates statistics; then every check gets its own *learner child*, forked from this worker, that
runs the learner's file from scratch and calls its function once (a Determinism check: three times).
The checks child is started in advance for the likely next attempt (prefetch), so its inputs and
reference outputs are ready when the answer arrives.

Why one learner child per check, forked from the worker (and not one child per attempt, nor a
loader child forking a grandchild per check from an already loaded answer): each check must start
from the same state, or module globals, mutable defaults and caches leak from one check into the
next. A loader that forks grandchildren cannot itself be under the fork ban (seccomp + RLIMIT_NPROC),
so the learner's module body, run there once, would run with process creation allowed; it would
also have to relay frames so that a grandchild killed mid-write cannot garble the stream. Forking
from the worker instead gives every check the full sandbox from its first instruction, reuses the
per-child wall-clock kill, and costs ~1 ms more per check than a bare fork (measured here: a
sandboxed child that reports one frame 2.9 ms, a bare fork+wait 1.7 ms; compiling a short answer
again per check costs ~0.1 ms). A crash, timeout or limit in one check ends only that check's child.

What keeps expected values out of the learner's process: the checks child keeps the reference
outputs to itself, parked on a "go" pipe, and sends them only after every learner child of the
attempt has ended, so they never exist in this process while a learner child is forked from it.
Comparison happens here, never in a child.
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
import re
import resource
import select
import shutil
import signal
import stat
import struct
import sys
import tempfile
import time
import traceback
import warnings
import zlib
from collections import deque

import numpy as np

OUTPUT_KEEP = 2000  # characters of captured stdout/stderr kept per check
OUTPUT_KILL = 4 << 20  # a child printing more than this is killed
RESULT_MAX = 128 << 20  # bytes of returned values
DEFAULT_MEMORY = 1 << 30
FUNC_FILE = "<solution>"
# Extra wall-clock seconds per learner child for importing modules that are not preloaded (only
# numpy and what the standard library has already imported are): import time is not charged to
# the check that triggers it, up to this much in total.
IMPORT_ALLOWANCE = 5.0
PRELOADED = "only numpy and the standard library are preloaded in the checker"
SLOW_IMPORT = 0.3  # seconds: an import this slow is mentioned in the result
# Written to a child's output pipe before each frame: output and frames travel on separate pipes,
# so this is how the worker knows which check printed what.
OUTPUT_SEPARATOR = b"\x00\x1eflashtrain-frame\x1e\x00"


# -- values across processes: JSON + .npy blobs -------------------------------------------------
class Rng:
    """Argument placeholder: the function receives np.random.default_rng(seed), fresh per call."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def __repr__(self) -> str:
        return f"Rng({self.seed})"


class Case:
    """Compare with the reference. no_warnings=True (or a string: the advice to show) also fails
    the check when the call emits a warning, e.g. np.exp overflowing in a naive sigmoid."""

    def __init__(self, name, args, *, rtol=None, atol=None, no_warnings=False):
        self.name, self.args, self.rtol, self.atol = str(name), args, rtol, atol
        self.no_warnings = no_warnings if isinstance(no_warnings, str) else bool(no_warnings)


class Stat:
    def __init__(self, name, args, stat, lo=None, hi=None):
        self.name, self.args, self.stat, self.lo, self.hi = str(name), args, stat, lo, hi


class Determinism:
    """Call the function three times: twice with fresh generators from the same seed(s), once with
    another seed (`other_seed`, default each seed + 1). Passes when the first two outputs are
    identical and the third differs: the randomness comes from `rng` and from nothing else."""

    def __init__(self, name, args, other_seed=None):
        self.name, self.args, self.other_seed = str(name), args, other_seed


def with_other_seeds(value, other_seed):
    if isinstance(value, Rng):
        return Rng(value.seed + 1 if other_seed is None else other_seed)
    if isinstance(value, dict):
        return {k: with_other_seeds(v, other_seed) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(with_other_seeds(v, other_seed) for v in value)
    return value


def rng_seeds(value) -> list[int]:
    if isinstance(value, Rng):
        return [value.seed]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in rng_seeds(v)]
    return []


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
_SECCOMP_DENY = {  # syscalls a check never needs: processes, exec, network, signals, other processes' memory
    "x86_64": (0xC000003E, [41, 42, 49, 50, 56, 57, 58, 59, 62, 101, 165, 272, 308, 310, 311, 322, 424, 435]),
    "aarch64": (0xC00000B7, [198, 200, 201, 203, 220, 221, 129, 117, 40, 97, 268, 270, 271, 281, 424, 435]),
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
    # The hard limit bounds the whole child (all its checks); the soft one covers the first step and
    # is raised per check (see _allow_cpu). soft < hard: SIGXCPU first, SIGKILL after.
    hard = max(1, math.ceil(limits.get("cpu", limits["timeout"]))) + 1
    soft = min(hard - 1, max(1, math.ceil(limits["timeout"] + limits.get("import_allowance", 0.0))))
    _set_limit(resource.RLIMIT_CPU, soft, hard)
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
    numbers from np.random, and code that wrongly ignores `rng` would look deterministic. Done in
    the child after the fork, so a child forked in advance (prefetch) differs too."""
    np.random.seed(np.frombuffer(os.urandom(16), dtype=np.uint32))
    random.seed(os.urandom(16))


# -- child side: bodies run after fork, send frames on fd 3, then _exit ----------------------------
IN_CHILD = False  # True in a forked child (rlimit changes are only ever made there)
_SINK: list | None = None  # warm_up() collects frames here instead of writing fd 3


def send(header: dict, blobs=(), separate: bool = True) -> None:
    data = pack(header, list(blobs))
    if _SINK is not None:
        _SINK.append(data)
        return
    if separate:
        try:  # output printed before this frame belongs to it: flush it, then mark where it ends
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        try:
            os.write(1, OUTPUT_SEPARATOR)
        except OSError:
            pass
    view = memoryview(data)
    while view:
        view = view[os.write(3, view[:1 << 20]):]


def wait_go() -> bytes:
    """Block until the worker says go (b'g') or gives up (b'' / b'x')."""
    if _SINK is not None:
        return b"g"
    try:
        return os.read(4, 1)
    except OSError:
        return b""


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


def _checks_namespace() -> dict:
    return {"__name__": "__checks__", "np": np, "Case": Case, "Stat": Stat, "Rng": Rng, "Determinism": Determinism}


def case_calls(case: dict) -> list:
    """The argument dicts a check calls the function with, in order (usually just one)."""
    return case.get("calls") or [case["args"]]


def _allow_cpu(seconds: float) -> None:
    """Raise the soft CPU limit to the CPU used so far plus `seconds` (never past the hard limit,
    which bounds the whole child); the wall-clock kill in the worker is the primary guard."""
    if not IN_CHILD:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    want = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    _set_limit(resource.RLIMIT_CPU, want, hard)


MAX_WARNINGS = 5  # distinct warnings kept per check


def _warning_entry(w: warnings.WarningMessage) -> dict:
    return {"category": w.category.__name__, "message": str(w.message)[:300],
            "line": w.lineno if w.filename == FUNC_FILE else None}


def _show_warnings(found: list[dict]) -> None:
    """Recorded warnings still reach the check's output, as they would have on stderr."""
    try:
        for w in found:
            where = f"line {w['line']}: " if w["line"] else ""
            sys.stderr.write(f"{where}{w['category']}: {w['message']}\n")
    except BaseException:  # noqa: BLE001
        pass


def call_case(fn, case: dict, blobs: list) -> dict:
    """Call `fn` for one check; each output is encoded right after its call (a later call must not
    be able to change an earlier output); in-place changes to arguments are recorded, and so are
    the warnings the calls emit (every one, not only the first per place: filter "always")."""
    encoded, mutated, ms, found = [], set(), 0.0, []
    for args_in in case_calls(case):
        args = materialize(args_in)
        before = array_digests(args)
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = fn(**args)
            except BaseException as error:  # noqa: BLE001 - whatever the code does, report it
                _show_warnings([_warning_entry(w) for w in caught[:MAX_WARNINGS]])
                return {"error": _describe_exception(error), "ms": ms + (time.perf_counter() - t0) * 1e3}
        ms += (time.perf_counter() - t0) * 1e3
        for w in caught:
            entry = _warning_entry(w)
            if entry not in found and len(found) < MAX_WARNINGS:
                found.append(entry)
        after = array_digests(args)
        mutated.update(k for k in before if after.get(k) != before[k])
        encoded.append(encode(out, blobs))
    output = encoded[0] if len(encoded) == 1 else {"$list": encoded}
    _show_warnings(found)
    return {"output": output, "mutated": sorted(mutated), "ms": ms, "warnings": found}


def stat_value(namespace: dict, case: dict, output) -> dict:
    fn = namespace.get(case["stat"])
    try:
        value = fn(output, case["args"])
        return {"value": None if value is None else np.asarray(value, dtype=float).ravel().tolist()}
    except AssertionError as error:
        return {"assert": str(error) or "assertion failed"}
    except BaseException as error:  # noqa: BLE001
        return {"error": f"{type(error).__name__}: {error}"}


def _notify_imports() -> None:
    """Tell the worker when an import of a module that is not loaded yet starts and ends, so that
    the time goes to the import allowance, not to the check, and a timeout can say what was slow.
    (Only the outermost import is reported; code that tampers with this only changes messages and
    at most spends the allowance.)"""
    import builtins

    original = builtins.__import__
    depth = [0]

    def notifying_import(name, globals=None, locals=None, fromlist=(), level=0):
        top = name.partition(".")[0]
        if level or depth[0] or not top or top in sys.modules:
            return original(name, globals, locals, fromlist, level)
        send({"notice": "import", "module": top}, separate=False)
        depth[0] += 1
        t0 = time.perf_counter()
        try:
            return original(name, globals, locals, fromlist, level)
        finally:
            depth[0] -= 1
            send({"notice": "imported", "module": top, "ms": (time.perf_counter() - t0) * 1e3}, separate=False)

    builtins.__import__ = notifying_import


def child_run(code: str, name: str, cases: list, start: int, timeout: float, stats_code: str | None,
              features: dict, stop: int | None = None) -> None:
    """Load `code`, then call its function on cases[start:stop], one frame per check (the worker
    runs one check per child: stop = start + 1). Mutant
    children (stats_code given) also evaluate their own statistics; a learner's never does (its
    code could patch numpy), the attempt's checks child evaluates those."""
    if IN_CHILD:
        _notify_imports()
    t0 = time.perf_counter()
    try:
        fn = _load_function(code, name)
    except BaseException as error:  # noqa: BLE001
        send({"load_error": _describe_exception(error), "sandbox": features})
        return
    send({"loaded": True, "ms": (time.perf_counter() - t0) * 1e3, "sandbox": features})
    stats_ns = None
    if stats_code is not None:
        stats_ns = _checks_namespace()
        exec(compile(stats_code, "<checks>", "exec"), stats_ns)
    for i in range(start, len(cases) if stop is None else stop):
        case = cases[i]
        _allow_cpu(timeout * len(case_calls(case)) + IMPORT_ALLOWANCE + 1)
        blobs: list[bytes] = []
        header = call_case(fn, case, blobs)
        header["index"] = i
        if stats_ns is not None and case["kind"] == "stat" and "output" in header:
            header["stat"] = stat_value(stats_ns, case, decode(header["output"], blobs))
        send(header, blobs)


def _case_entries(items: list, namespace: dict):
    """Validate and encode what cases() produced: (entries, blobs) or an error message."""
    blobs: list[bytes] = []
    entries, names = [], set()
    for item in items:
        if not isinstance(item, (Case, Stat, Determinism)) or not isinstance(item.args, dict):
            return "cases() must yield Case/Stat/Determinism items whose args is a dict"
        if item.name in names:
            return f"duplicate check name {item.name!r}"
        names.add(item.name)
        entry = {"name": item.name, "args": encode(item.args, blobs)}
        if isinstance(item, Case):
            entry.update(kind="case", rtol=item.rtol, atol=item.atol, no_warnings=item.no_warnings)
        elif isinstance(item, Determinism):
            seeds = rng_seeds(item.args)
            if not seeds:
                return f"check {item.name!r}: a Determinism check needs an Rng(seed) argument"
            other = with_other_seeds(item.args, item.other_seed)
            if rng_seeds(other) == seeds:
                return f"check {item.name!r}: other_seed must differ from the seed"
            entry.update(kind="determinism", seeds=seeds, other_seeds=rng_seeds(other),
                         calls=[entry["args"], entry["args"], encode(other, blobs)])
        else:
            stat_name = getattr(item.stat, "__name__", None)
            if namespace.get(stat_name) is not item.stat:
                return f"check {item.name!r}: its statistic must be a function defined at the top level of the checks block"
            entry.update(kind="stat", stat=stat_name, lo=_bound(item.lo), hi=_bound(item.hi))
        entries.append(entry)
    return entries, blobs


def _bound(value):
    if value is None:
        return None
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr.ravel().tolist()


def decode_cases(entries: list, blobs: list) -> list:
    """Cases as every child sees them: arguments decoded (so the reference, the learner and the
    statistics all get exactly the same values and types)."""
    cases = []
    for e in entries:
        case = dict(e, args=decode(e["args"], blobs))
        if "calls" in e:
            case["calls"] = [decode(c, blobs) for c in e["calls"]]
        cases.append(case)
    return cases


def child_prepare(checks_code: str, ref_code: str, name: str, seed: int, features: dict,
                  learner_file: str = "learner.bin") -> None:
    """The attempt's checks child, in three steps: (1) draw the inputs and send them; (2) run the
    reference on them and say whether it worked, keeping its outputs here; (3) park until the worker
    says go, which it does only after every learner child of the attempt has finished, then evaluate
    the statistics on the learner's outputs (read from `learner_file`) and send the reference
    outputs. So expected values reach the worker only when no learner child can be forked from it."""
    if IN_CHILD and _LIBC is not None:
        _LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: a same-user process cannot read our memory
    namespace = _checks_namespace()
    try:
        exec(compile(checks_code, "<checks>", "exec"), namespace)
        items = list(namespace["cases"](np.random.default_rng(seed)))
        made = _case_entries(items, namespace)
    except BaseException as error:  # noqa: BLE001
        send({"load_error": _describe_exception(error, "<checks>")})
        return
    if isinstance(made, str):
        send({"load_error": {"type": "ValueError", "message": made, "line": None}})
        return
    entries, blobs = made
    send({"cases": entries, "sandbox": features}, blobs)
    cases = decode_cases(entries, blobs)

    expected, problem = {}, None
    compare_at = [i for i, c in enumerate(cases) if c["kind"] == "case"]
    if compare_at:
        try:
            fn = _load_function(ref_code, name, "<reference>")
        except BaseException as error:  # noqa: BLE001
            problem = "the snippet's reference failed to load: " + _describe_exception(error, "<reference>")["message"]
        else:
            for i in compare_at:
                try:
                    expected[i] = fn(**materialize(cases[i]["args"]))
                except BaseException as error:  # noqa: BLE001
                    problem = (f"the snippet's reference raised on check {cases[i]['name']!r}: "
                               + _describe_exception(error, "<reference>")["message"])
                    break
    send({"ref_error": problem} if problem else {"ref_ready": True})
    if problem or wait_go() != b"g":
        return
    try:
        with open(learner_file, "rb") as f:
            header, learner_blobs = unpack(f.read())
    except OSError:
        header, learner_blobs = {"outputs": {}}, []
    stats = {key: stat_value(namespace, cases[int(key)], decode(enc, learner_blobs))
             for key, enc in header["outputs"].items()}
    blobs = []
    send({"expected": {str(i): encode(v, blobs) for i, v in expected.items()}, "stats": stats}, blobs)


# -- the worker's side of a child: fork, pipes, frames, deadlines -----------------------------------
def _child_main(body, limits: dict, cwd: str, result_w: int, output_w: int, go_r: int | None) -> None:
    global IN_CHILD
    IN_CHILD = True
    code = 70
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if _LIBC is not None:
            _LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the worker
        os.setpgid(0, 0)
        os.dup2(result_w, 3)
        if go_r is not None:
            os.dup2(go_r, 4)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_w, 1)
        os.dup2(output_w, 2)
        os.closerange(5 if go_r is not None else 4, 1 << 16)
        features = sandbox(cwd, limits)
        reseed_global_rngs()
        body(features)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        code = 0
    except BaseException:  # noqa: BLE001
        code = 71
    finally:
        os._exit(code)


class Child:
    """One forked child as the worker sees it: the frames it sent (each with the output printed
    before it), the deadline of what it is doing now, and how it ended."""

    def __init__(self, body, limits: dict, tmp_root: str, go_pipe: bool = False) -> None:
        self.limits = limits
        self.cwd = tempfile.mkdtemp(prefix="c", dir=tmp_root)
        result_r, result_w = os.pipe()
        output_r, output_w = os.pipe()
        go_r, go_w = os.pipe() if go_pipe else (None, None)
        pid = os.fork()
        if pid == 0:
            _child_main(body, limits, self.cwd, result_w, output_w, go_r)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        os.close(result_w)
        os.close(output_w)
        if go_r is not None:
            os.close(go_r)
        os.set_blocking(output_r, False)
        self.pid, self.result_r, self.output_r, self.go_w = pid, result_r, output_r, go_w
        self.open_fds = {result_r, output_r}
        self.buffer = bytearray()
        self.output = bytearray()
        self.output_total = 0
        self.output_pending = b""
        self.segments: list[tuple[str, bool]] = []
        self.frames: list[dict] = []
        self.on_frame = None  # callable(child, frame): the owner reacts (e.g. sets the next deadline)
        self.done_when = lambda child: False  # the owner's "I have what I need" test
        self.ended = False
        self.problem: str | None = None
        self.segment_start = time.perf_counter()
        self.budget = float(limits["timeout"])
        self.deadline: float | None = self.segment_start + self.budget
        self.import_allowance = float(limits.get("import_allowance", 0.0))
        self.importing: tuple[str, float] | None = None  # module, start: an import under way
        self.imports: list[tuple[str, float]] = []  # (module, seconds) of finished imports

    def set_deadline(self, seconds: float | None) -> None:
        now = time.perf_counter()
        self.budget = seconds if seconds is not None else self.budget
        self.deadline = None if seconds is None else now + seconds

    def go(self, signal_byte: bytes = b"g") -> None:
        if self.go_w is None:
            return
        try:
            os.write(self.go_w, signal_byte)
        except OSError:
            pass
        os.close(self.go_w)
        self.go_w = None

    def on_readable(self, fd: int) -> None:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.open_fds.discard(fd)
            os.close(fd)
            return
        if fd == self.output_r:
            self._keep_output(chunk)
            if self.output_total > OUTPUT_KILL:
                self.end("output_limit")
            return
        self.buffer += chunk
        if len(self.buffer) > RESULT_MAX:
            self.end("result_limit")
            return
        self._take_frames()

    def _keep_output(self, chunk: bytes) -> None:
        """Split the output stream into per-frame segments at OUTPUT_SEPARATOR."""
        parts = (self.output_pending + chunk).split(OUTPUT_SEPARATOR)
        for part in parts[:-1]:
            self._append_output(part)
            self.segments.append(self._close_segment())
        last = parts[-1]
        keep = next((k for k in range(min(len(OUTPUT_SEPARATOR) - 1, len(last)), 0, -1)
                     if OUTPUT_SEPARATOR.startswith(last[-k:])), 0)  # maybe a separator cut in two
        self.output_pending = last[len(last) - keep:] if keep else b""
        self._append_output(last[:len(last) - keep])

    def _append_output(self, data: bytes) -> None:
        self.output_total += len(data)
        if len(self.output) < OUTPUT_KEEP * 4:
            self.output += data[:OUTPUT_KEEP * 4 - len(self.output)]

    def _close_segment(self) -> tuple[str, bool]:
        text = self.output.decode("utf-8", "replace")
        truncated = self.output_total > len(self.output) or len(text) > OUTPUT_KEEP
        self.output, self.output_total = bytearray(), 0
        return text[:OUTPUT_KEEP], truncated

    def _drain_output(self) -> None:
        while self.output_r in self.open_fds:
            try:
                chunk = os.read(self.output_r, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:
                self.open_fds.discard(self.output_r)
                os.close(self.output_r)
                return
            self._keep_output(chunk)

    def _take_output(self) -> tuple[str, bool]:
        """The output printed before the next frame (or, at the end, since the last one)."""
        if self.segments:
            return self.segments.pop(0)
        self._append_output(self.output_pending)
        self.output_pending = b""
        return self._close_segment()

    def _take_frames(self) -> None:
        while not self.ended:
            n = frame_length(self.buffer)
            if n is None:
                return
            data = bytes(self.buffer[:n])
            del self.buffer[:n]
            try:
                header, blobs = unpack(data)
            except (ValueError, struct.error, UnicodeDecodeError):
                self.end("garbled")
                return
            if "notice" in header:
                self._on_notice(header)
                continue
            self._drain_output()  # printed (and separated) before the frame was sent: in the pipe now
            text, truncated = self._take_output()
            now = time.perf_counter()
            frame = {"header": header, "blobs": blobs, "output": text, "output_truncated": truncated,
                     "ms": (now - self.segment_start) * 1e3}
            self.segment_start = now
            self.frames.append(frame)
            if self.on_frame is not None:
                self.on_frame(self, frame)

    def _on_notice(self, header: dict) -> None:
        """An import started or ended: reserve the remaining import allowance on the deadline while
        it runs, and give back what it did not use."""
        now = time.perf_counter()
        if header.get("notice") == "import" and self.importing is None:
            self.importing = (str(header.get("module"))[:100], now)
            if self.deadline is not None:
                self.deadline += self.import_allowance
        elif header.get("notice") == "imported" and self.importing is not None:
            module, started = self.importing
            used = min(now - started, self.import_allowance)
            if self.deadline is not None:
                self.deadline -= self.import_allowance - used
            self.import_allowance -= used
            self.imports.append((module, now - started))
            self.importing = None

    def end(self, reason: str | None = None, complete: bool = False) -> None:
        """Kill what is left of the child's process group. A child that delivered everything is
        reaped after the reply (tearing down its memory takes milliseconds); any other is reaped
        now, because its exit status explains what happened to the step it was on."""
        if self.ended:
            return
        self.ended = True
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        status = 0
        if complete:
            _TO_REAP.append((self.pid, self.cwd))
        else:
            _, status = os.waitpid(self.pid, 0)
            self._drain_output()
            shutil.rmtree(self.cwd, ignore_errors=True)
        for fd in list(self.open_fds):
            os.close(fd)
        self.open_fds.clear()
        if self.go_w is not None:
            os.close(self.go_w)
            self.go_w = None
        self.tail_output = self._take_output()  # printed during the step that did not finish
        self.tail_ms = (time.perf_counter() - self.segment_start) * 1e3
        if not complete:
            self.problem = self._problem(reason, status)

    def _problem(self, reason, status) -> str:
        t = self.budget
        if self.importing is not None:
            module = self.importing[0]
            seconds = time.perf_counter() - self.importing[1]
            what = "killed" if reason != "timeout" else f"stopped after {seconds:.1f} s"
            return (f"import of {module} took too long ({what}): {PRELOADED}; importing other "
                    f"packages is slow in the sandbox, so solve the exercise with numpy")
        if reason == "timeout":
            return f"timed out after {t:g} s (wall clock)"
        if reason == "output_limit":
            return f"printed more than {OUTPUT_KILL >> 20} MiB of output; stopped"
        if reason == "result_limit":
            return f"returned more than {RESULT_MAX >> 20} MiB of data; stopped"
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
        if code == 0:
            return "the process exited before returning a result (os._exit?)"
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


def frame_length(data) -> int | None:
    """Length of the first complete frame in `data`, or None while it is incomplete."""
    if len(data) < 4:
        return None
    (n,) = struct.unpack_from(">I", data, 0)
    pos = 4 + n
    if len(data) < pos + 4:
        return None
    (count,) = struct.unpack_from(">I", data, pos)
    pos += 4
    for _ in range(count):
        if len(data) < pos + 8:
            return None
        (size,) = struct.unpack_from(">Q", data, pos)
        pos += 8 + size
    return pos if len(data) >= pos else None


def pump(children: list[Child], wait_all: bool = True) -> None:
    """Serve the children's pipes until each (or, with wait_all=False, any) is done or ended."""
    def settled(c: Child) -> bool:
        return c.ended or c.done_when(c)

    while True:
        live = [c for c in children if not settled(c)]
        if not live or (not wait_all and len(live) < len(children)):
            return
        fd_owner = {fd: c for c in live for fd in c.open_fds}
        now = time.perf_counter()
        deadlines = [c.deadline for c in live if c.deadline is not None]
        timeout = max(0.0, min(deadlines) - now) if deadlines else None
        if fd_owner:
            readable, _, _ = select.select(list(fd_owner), [], [], timeout)
            for fd in readable:
                owner = fd_owner[fd]
                if not owner.ended and fd in owner.open_fds:
                    owner.on_readable(fd)
        now = time.perf_counter()
        for c in live:
            if c.ended or c.done_when(c):
                continue
            if not c.open_fds:
                c.end()
            elif c.deadline is not None and now >= c.deadline:
                c.end("timeout")


class CodeRun:
    """A learner's answer (or a mutant) called on every check of an attempt, one fresh child per
    check (see the module docstring): no state survives from one check to the next. A check whose
    child dies or overruns gets the error and the next check runs in its own child; a failure while
    loading the file (syntax error, exception at module level, no such function) is the same for
    every check, so it is reported for all without forking again; after a second timeout the
    remaining checks are not run (an endless loop would otherwise cost every check its full time)."""

    MAX_TIMEOUTS = 2

    def __init__(self, code: str, name: str, cases: list, limits: dict, tmp_root: str,
                 stats_code: str | None = None) -> None:
        self.code, self.name, self.cases, self.limits, self.tmp_root = code, name, cases, limits, tmp_root
        self.stats_code = stats_code
        self.results: list[dict | None] = [None] * len(cases)
        self.next = 0
        self.child: Child | None = None
        self.children: list[Child] = []
        self.forks = 0
        self.timeouts = 0
        self.sandbox = None
        self.loaded = False
        self.load_output = ("", False)

    @property
    def finished(self) -> bool:
        return self.next >= len(self.cases)

    def budget(self, case: dict) -> float:
        return self.limits["timeout"] * len(case_calls(case))

    def start_child(self) -> Child:
        start, timeout = self.next, self.limits["timeout"]
        cpu = timeout * (1 + len(case_calls(self.cases[start]))) + 1 + self.limits.get("import_allowance", 0.0)
        code, name, cases, stats_code = self.code, self.name, self.cases, self.stats_code
        child = Child(lambda features: child_run(code, name, cases, start, timeout, stats_code, features,
                                                 stop=start + 1),
                      dict(self.limits, cpu=cpu), self.tmp_root)
        child.on_frame = self._on_frame
        child.done_when = lambda c: self.next > start
        self.child, self.loaded = child, False
        self.children.append(child)
        self.forks += 1
        return child

    @property
    def slow_imports(self) -> list[tuple[str, float, int]]:
        """(module, slowest time, how many checks imported it) for imports of SLOW_IMPORT or more:
        every check's child imports afresh what the worker has not preloaded."""
        found: dict[str, list] = {}
        for c in self.children:
            for m, t in c.imports:
                if t >= SLOW_IMPORT:
                    entry = found.setdefault(m, [0.0, 0])
                    entry[0], entry[1] = max(entry[0], t), entry[1] + 1
        return [(m, t, n) for m, (t, n) in found.items()]

    def _on_frame(self, child: Child, frame: dict) -> None:
        header = frame["header"]
        if "loaded" in header or "load_error" in header:
            self.sandbox = header.get("sandbox")
            self.loaded = True
            self.load_output = (frame["output"], frame["output_truncated"])
            if "load_error" in header:
                error = header["load_error"]
                base = self._base(frame["output"], frame["output_truncated"], frame["ms"])
                for i in range(self.next, len(self.cases)):
                    self.results[i] = dict(base, load_error=error, error=error["message"])
                self.next = len(self.cases)
            else:
                child.set_deadline(self.budget(self.cases[self.next]))
            return
        if header.get("index") != self.next:
            child.end("garbled")
            return
        out_text, out_cut = frame["output"], frame["output_truncated"]
        if self.load_output[0] or self.load_output[1]:  # printed while loading: shown with the next check
            out_text, out_cut = (self.load_output[0] + out_text)[:OUTPUT_KEEP], self.load_output[1] or out_cut
            self.load_output = ("", False)
        base = self._base(out_text, out_cut, header.get("ms", frame["ms"]))
        if "error" in header:
            result = dict(base, error=header["error"]["message"])
        else:
            result = dict(base, output=decode(header["output"], frame["blobs"]), mutated=header["mutated"],
                          warnings=header.get("warnings") or [])
            if "stat" in header:
                result["stat"] = header["stat"]
        self.results[self.next] = result
        self.next += 1

    @staticmethod
    def _base(text: str, truncated: bool, ms: float) -> dict:
        return {"stdout": text, "stdout_truncated": truncated, "ms": ms}

    def after_end(self) -> None:
        """The child ended before the last check: record why, then resume or give up."""
        child = self.child
        problem = child.problem or "the process ended early"
        text, truncated = child.tail_output
        base = self._base(text, truncated, child.tail_ms)
        if not self.loaded:  # died while loading: every check would die the same way
            for i in range(self.next, len(self.cases)):
                self.results[i] = dict(base, load_error={"message": problem}, error=problem)
            self.next = len(self.cases)
            return
        self.results[self.next] = dict(base, error=problem)
        self.next += 1
        if problem.startswith(("timed out", "import of")):
            self.timeouts += 1
            if self.timeouts >= self.MAX_TIMEOUTS:
                for i in range(self.next, len(self.cases)):
                    self.results[i] = self._base("", False, 0.0) | {
                        "error": f"not run: {self.timeouts} earlier checks timed out"}
                self.next = len(self.cases)


def run_code(runs: list[CodeRun], concurrency: int = 1) -> None:
    """Drive CodeRuns to completion, `concurrency` runs at a time (each run's checks in order,
    one child per check)."""
    pending, active = deque(runs), []
    while pending or active:
        while pending and len(active) < concurrency:
            run = pending.popleft()
            if run.cases:
                run.start_child()
                active.append(run)
        if not active:
            continue
        pump([r.child for r in active], wait_all=False)
        for run in list(active):
            child = run.child
            if not child.ended and child.done_when(child):
                child.end(complete=True)  # its one check is done
            elif child.ended:
                run.after_end()
            else:
                continue
            if run.finished:
                active.remove(run)
            else:
                run.start_child()


class Prep:
    """The attempt's checks child (see child_prepare) as the worker drives it."""

    def __init__(self, snippet: dict, seed: int, limits: dict, tmp_root: str) -> None:
        self.seed, self.limits = seed, limits
        timeout = limits["timeout"]
        checks, ref, name = snippet["checks"], snippet["reference"], snippet["id"]
        self.child = Child(lambda features: child_prepare(checks, ref, name, seed, features),
                           dict(limits, cpu=max(10.0, 20 * timeout), import_allowance=0.0), tmp_root, go_pipe=True)
        self.child.set_deadline(2 * timeout)  # drawing the inputs
        self.child.on_frame = self._on_frame
        self.cases: list | str | None = None

    def _on_frame(self, child: Child, frame: dict) -> None:
        header = frame["header"]
        if len(child.frames) == 1 and "cases" in header:
            n_compare = sum(1 for c in header["cases"] if c["kind"] == "case")
            child.set_deadline(self.limits["timeout"] * max(1, n_compare))  # the reference's run
        elif len(child.frames) == 2:
            child.set_deadline(None)  # parked until go

    def _wait_frames(self, n: int) -> dict | None:
        self.child.done_when = lambda c: len(c.frames) >= n
        pump([self.child])
        return self.child.frames[n - 1] if len(self.child.frames) >= n else None

    def inputs(self) -> list | str:
        """The cases with decoded arguments, or why there are none."""
        if self.cases is None:
            frame = self._wait_frames(1)
            if frame is None:
                self.cases = f"the snippet's checks could not be generated: {self.child.problem}"
            elif "load_error" in frame["header"]:
                self.cases = f"the snippet's checks could not be generated: {frame['header']['load_error']['message']}"
            else:
                self.cases = decode_cases(frame["header"]["cases"], frame["blobs"])
        return self.cases

    def finish(self, stat_outputs: dict[int, object]) -> tuple[dict, dict] | str:
        """Call only after every learner child of the attempt has ended: hands the child the
        learner's outputs for the statistics and receives the reference outputs."""
        frame = self._wait_frames(2)
        if frame is None:
            return f"the snippet's reference failed: {self.child.problem}"
        if frame["header"].get("ref_error"):
            self.close()
            return frame["header"]["ref_error"]
        blobs: list[bytes] = []
        outputs = {str(i): encode(v, blobs) for i, v in stat_outputs.items()}
        with open(os.path.join(self.child.cwd, "learner.bin"), "wb") as f:
            f.write(pack({"outputs": outputs}, blobs))
        self.child.set_deadline(2 * self.limits["timeout"])  # the statistics
        self.child.go()
        frame = self._wait_frames(3)
        if frame is None:
            return f"the snippet's statistic functions failed to run: {self.child.problem}"
        self.child.end(complete=True)
        header = frame["header"]
        expected = {int(k): decode(v, frame["blobs"]) for k, v in header["expected"].items()}
        return expected, {int(k): v for k, v in header["stats"].items()}

    def close(self) -> None:
        if not self.child.ended:
            self.child.end(complete=True)


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


_NUMPY_WARNING = re.compile(r"(overflow|divide by zero|invalid value|underflow) encountered in (\w+)")
_WHAT_HAPPENED = {"overflow": "overflowed", "divide by zero": "divided by zero",
                  "invalid value": "produced an invalid value (nan)", "underflow": "underflowed"}


def warning_message(found: list[dict], advice) -> str:
    """'np.exp overflowed: RuntimeWarning: overflow encountered in exp (line 4); use the stable form'."""
    first = found[0]
    m = _NUMPY_WARNING.search(first["message"])
    what = f"np.{m.group(2)} {_WHAT_HAPPENED[m.group(1)]}" if m else "the code emitted a warning"
    where = f" (line {first['line']})" if first.get("line") else ""
    more = f" and {len(found) - 1} more" if len(found) > 1 else ""
    advice = advice if isinstance(advice, str) else "use the stable form"
    return f"{what}: {first['category']}: {first['message']}{where}{more}; {advice}"


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
        self._prefetched: tuple[str, Prep] | None = None  # the next attempt's checks child, parked

    def limits(self, snippet: dict, request: dict) -> dict:
        allowance = request.get("import_allowance")
        return {"timeout": float(request.get("timeout") or snippet.get("timeout") or 2.0),
                "import_allowance": IMPORT_ALLOWANCE if allowance is None else float(allowance),
                "memory": int(request.get("memory") or DEFAULT_MEMORY),
                "network_namespace": request.get("network_namespace", True),
                "seccomp": request.get("seccomp", True)}

    @staticmethod
    def _key(snippet: dict, limits: dict) -> str:
        return json.dumps([snippet["id"], snippet["checks"], snippet["reference"], limits], sort_keys=True)

    def _take_prefetched(self, key: str) -> Prep | None:
        found, self._prefetched = self._prefetched, None
        if found is None:
            return None
        if found[0] == key and not found[1].child.ended:
            return found[1]
        found[1].close()
        return None

    def drop_prefetched(self) -> None:
        if self._prefetched is not None:
            self._prefetched[1].close()
            self._prefetched = None

    def grade(self, request: dict) -> dict:
        started = time.perf_counter()
        snippet, code = request["snippet"], request["code"]
        name = snippet["id"]
        limits = self.limits(snippet, request)
        fixed_seed = request.get("seed") is not None
        prep = None if fixed_seed else self._take_prefetched(self._key(snippet, limits))
        forks = 0
        if prep is None:  # not drawn in advance: the checks child runs alongside the learner's
            self.drop_prefetched()
            seed = int(request["seed"]) if fixed_seed else int.from_bytes(os.urandom(4), "big")
            prep = Prep(snippet, seed, limits, self.tmp_root)
            forks += 1
        seed = prep.seed
        cases = prep.inputs()
        if isinstance(cases, str) or not cases:
            prep.close()
            return self._snippet_error(name, cases or "the snippet's cases() produced no checks", started, seed)

        run = CodeRun(code, name, cases, limits, self.tmp_root)
        run_code([run])
        forks += run.forks
        learner = run.results
        # Every learner child has ended: only now may the reference outputs enter this process.
        stat_outputs = {i: r["output"] for i, (c, r) in enumerate(zip(cases, learner))
                        if c["kind"] == "stat" and "output" in r}
        reference = prep.finish(stat_outputs)
        if isinstance(reference, str):
            return self._snippet_error(name, reference, started, seed)
        expected, stats = reference
        checks = self._judge(snippet, cases, learner, expected, stats)

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
        message = learner[0]["load_error"]["message"] if load_failed else ""
        if not message and run.slow_imports:
            slow = ", ".join(f"{m} {t:.1f} s" + (f" (in each of {n} checks)" if n > 1 else "")
                             for m, t, n in run.slow_imports)
            message = f"note: importing took {slow} of the grading time ({PRELOADED})"
        return {"snippet": name, "status": status, "checks": checks, "hint": hint, "hint_mutant": mutant,
                "passed": passed, "total": len(checks), "seed": seed, "message": message,
                "sandbox": run.sandbox, "forks": forks, "duration_ms": (time.perf_counter() - started) * 1e3}

    def prefetch(self, request: dict) -> None:
        """After replying, start the next attempt's checks child for the same snippet (a re-check is
        the common next request): its inputs are drawn now and its reference runs while the learner
        edits. Its outputs stay in that child until the next attempt's learner child has ended."""
        if request.get("op") != "grade" or request.get("seed") is not None or not request.get("prefetch", True):
            return
        snippet = request["snippet"]
        limits = self.limits(snippet, request)
        prep = Prep(snippet, int.from_bytes(os.urandom(4), "big"), limits, self.tmp_root)
        self._prefetched = (self._key(snippet, limits), prep)
        prep.inputs()

    def _snippet_error(self, name, message, started, seed) -> dict:
        return {"snippet": name, "status": "error", "checks": [], "hint": None, "hint_mutant": None,
                "passed": 0, "total": 0, "seed": seed, "message": message, "sandbox": None,
                "duration_ms": (time.perf_counter() - started) * 1e3, "snippet_error": True}

    def _judge(self, snippet, cases, results, expected, stats) -> list[dict]:
        """Checks from outputs. `expected` (reference outputs by check index) is None when judging a
        mutant for diagnosis; `stats` maps check index -> statistic value (else r["stat"])."""
        checks = []
        for i, (case, r) in enumerate(zip(cases, results)):
            check = {"name": case["name"], "kind": case["kind"], "duration_ms": round(r["ms"], 3),
                     "output": r["stdout"], "output_truncated": r["stdout_truncated"]}
            if "output" not in r:
                check.update(status="error", message=r["error"])
            elif case["kind"] == "case" and expected is None:
                check.update(status="pass", message="not compared")  # diagnosing a mutant: values only
            elif case["kind"] == "case":
                rtol = snippet["rtol"] if case.get("rtol") is None else case["rtol"]
                atol = snippet["atol"] if case.get("atol") is None else case["atol"]
                diff = compare(expected[i], r["output"], rtol, atol)
                check.update(rtol=rtol, atol=atol, expected=preview(expected[i]), actual=preview(r["output"]))
                if diff:
                    check.update(status="fail", **{k: v for k, v in diff.items() if k not in ("expected", "actual")})
                else:
                    check.update(status="pass", message=f"matches within rtol={rtol:g}, atol={atol:g}")
                if case.get("no_warnings") and r.get("warnings"):
                    note = warning_message(r["warnings"], case["no_warnings"])
                    if check["status"] == "pass":
                        check.update(status="fail", message=note)
                    else:
                        check["message"] += f"; also {note}"
            elif case["kind"] == "determinism":
                self._judge_determinism(case, r["output"], check)
            else:
                self._judge_stat(case, stats.get(i) if stats is not None else r.get("stat"), check)
            if "output" in r and r.get("mutated"):
                note = f"modified its argument(s) in place: {', '.join(r['mutated'])}"
                if check["status"] == "pass":
                    check.update(status="fail", message=note)
                else:
                    check["message"] += f"; also {note}"
            checks.append(check)
        return checks

    @staticmethod
    def _judge_determinism(case: dict, outputs: list, check: dict) -> None:
        """Identical outputs for the same seed, different ones for another seed (exact comparison)."""
        first, again, other = outputs
        seeds = ", ".join(map(str, case["seeds"]))
        others = ", ".join(map(str, case["other_seeds"]))
        if isinstance(first, Unencodable):
            check.update(status="fail", message=f"cannot compare the results: the function returned {first.description}")
            return
        same = compare(first, again, 0.0, 0.0, "second call")
        if same:
            check.update(status="fail", message=f"two calls with the same seed ({seeds}) gave different results "
                         f"({same['message']}): draw the randomness from the rng argument, not from np.random "
                         f"or random")
        elif compare(first, other, 0.0, 0.0) is None:
            check.update(status="fail", message=f"seeds {seeds} and {others} gave the same result: the output "
                         f"must depend on the rng argument")
        else:
            check.update(status="pass", message=f"same seed ({seeds}): same result; seed {others}: a different one")

    @staticmethod
    def _judge_stat(case: dict, v: dict | None, check: dict) -> None:
        v = v or {"error": "statistic not computed"}
        check.update(lo=case["lo"], hi=case["hi"])
        if "value" in v:
            check["value"] = v["value"]
            shown = v["value"][0] if v["value"] is not None and len(v["value"]) == 1 else v["value"]
            if v["value"] is None or within(v["value"], case["lo"], case["hi"]):
                check.update(status="pass", message="ok" if v["value"] is None else
                             f"{_fmt(shown)} within [{_fmt(case['lo'])}, {_fmt(case['hi'])}]")
            else:
                check.update(status="fail", message=f"{_fmt(shown)} outside [{_fmt(case['lo'])}, {_fmt(case['hi'])}]")
        elif "assert" in v:
            check.update(status="fail", message=v["assert"])
        else:
            check.update(status="fail", message=f"the statistic could not be computed from the output: {v['error']}")

    def _diagnose(self, snippet, cases, learner, checks, limits) -> str | None:
        """The mutant that behaves like the learner's answer on these same inputs: one whose
        outputs match exactly wins; else the first whose statistics agree. Mutants are the
        snippet's own code, so their children may evaluate their own statistics."""
        runs = [CodeRun(m["code"], snippet["id"], cases, limits, self.tmp_root, stats_code=snippet["checks"])
                for m in snippet["mutants"]]
        run_code(runs, concurrency=2)
        statistical = None
        for m, run in zip(snippet["mutants"], runs):
            m_checks = self._judge(snippet, cases, run.results, None, None)
            level = self._likeness(snippet, cases, learner, checks, run.results, m_checks)
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
            if case.get("no_warnings") and bool(mine.get("warnings")) != bool(theirs.get("warnings")):
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


TMP_PREFIX = "flashtrain-checks-"
# <prefix><worker pid>-<its start time in clock ticks since boot>-<random>: the start time tells a
# live owner from a process that merely got the same pid later.
_TMP_NAME = re.compile(r"^flashtrain-checks-(\d+)-(\d+)-[a-z0-9_]+$")
LEGACY_TMP_AGE = 24 * 3600.0  # folders named without a pid (older workers): removed when idle this long


def _process_start(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]  # field 22, starttime
    except (OSError, IndexError):
        return None


def _owner_alive(pid: int, start: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, another user's
    now = _process_start(pid)
    return now is None or start == "0" or now == start


def make_tmp_root(parent: str | None) -> str:
    start = _process_start(os.getpid()) or "0"
    return tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-{start}-", dir=parent)


def remove_stale_tmp(parent: str | None) -> list[str]:
    """Remove the check folders of workers that are gone (killed workers cannot clean up): only
    this user's directories named after a worker pid that no longer runs (or is now another
    process), plus unnamed legacy ones idle for LEGACY_TMP_AGE. Returns the paths removed."""
    parent = parent or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(TMP_PREFIX):
            continue
        path = os.path.join(parent, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        named = _TMP_NAME.match(name)
        if named:
            pid = int(named.group(1))
            if pid == os.getpid() or _owner_alive(pid, named.group(2)):
                continue
        elif time.time() - info.st_mtime < LEGACY_TMP_AGE:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _fast_tmp() -> str | None:
    """Children get a fresh empty directory each; on a disk /tmp that costs ~4 ms, on tmpfs ~0."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


def warm_up(tmp_root: str) -> None:
    """Run every code path a child uses once here, so each forked child starts with numpy's lazy
    imports done and caches filled (the first np.save/default_rng alone costs ~8 ms)."""
    global _SINK
    checks = ("def stat(out, args):\n    return float(np.mean(out[1]))\n"
              "def cases(rng):\n    yield Case('a', dict(x=np.ones((2, 3)), k=2))\n"
              "    yield Stat('b', dict(x=np.ones(3), k=1, rng=Rng(1)), stat, lo=0, hi=9)\n")
    code = "import numpy as np\ndef f(x, k, rng=None):\n    return x * k, np.float64(k), [np.float64(k)] * 9\n"
    learner_file = os.path.join(tmp_root, "warm.bin")
    _SINK = []
    try:
        child_prepare(checks, code, "f", 1, {}, learner_file)
        header, blobs = unpack(_SINK[0])
        cases = decode_cases(header["cases"], blobs)
        _SINK.clear()
        child_run(code, "f", cases, 0, 1.0, checks, {})
        outputs = [unpack(frame) for frame in _SINK[1:]]
        values = [decode(h["output"], b) for h, b in outputs]
        blobs = []
        with open(learner_file, "wb") as f:
            f.write(pack({"outputs": {"1": encode(values[1], blobs)}}, blobs))
        _SINK.clear()
        child_prepare(checks, code, "f", 1, {}, learner_file)
        unpack(_SINK[-1])
        _SINK.clear()
        child_run("def f(:\n", "f", cases, 0, 1.0, None, {})
        child_run("def f(x, k):\n    raise ValueError('x')\n", "f", cases, 0, 1.0, None, {})
    finally:
        _SINK = None
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
    tmp_parent = _fast_tmp()
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
                    reply = {"ok": True, "pid": os.getpid(), "tmp": tmp_root}
                elif op == "probe":
                    reply = {"ok": True, **probe(tmp_root)}
                elif op == "grade":
                    reply = grader.grade(request)
                else:
                    reply = {"error": f"unknown op {op!r}"}
            except Exception as error:  # noqa: BLE001 - the worker must keep serving
                reply = {"error": f"worker: {type(error).__name__}: {error}", "traceback": traceback.format_exc()}
            _write_frame(proto_out, reply)
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
