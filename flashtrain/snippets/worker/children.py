"""What runs inside a forked child, after it has entered the sandbox: the bodies of the attempt's
checks child (`child_prepare`) and of a learner's or mutant's child (`child_run`), and how they
report to the worker: frames on fd 3 (see wire.pack), each preceded on the output pipe by
OUTPUT_SEPARATOR so the worker knows which check printed what; then the child exits.
"""

from __future__ import annotations

import builtins
import errno
import os
import sys
import time
import traceback
import warnings
import zlib
from contextlib import contextmanager

import numpy as np

from flashtrain.snippets.worker import sandbox
from flashtrain.snippets.worker.check_cases import (case_calls, case_entries, checks_namespace, decode_cases,
                                                    has_function_refs, stat_value)
from flashtrain.snippets.worker.sandbox import allow_cpu
from flashtrain.snippets.worker.wire import (OUTPUT_SEPARATOR, FunctionRef, Rng, decode, encode, frame_length, pack,
                                             unpack)

FUNC_FILE = "<solution>"
# Extra wall-clock seconds per learner child for importing modules that are not preloaded (only
# numpy and what the standard library has already imported are): import time is not charged to
# the check that triggers it, up to this much in total.
IMPORT_ALLOWANCE = 5.0
_SINK: list | None = None  # warm_up() collects frames here instead of writing fd 3
_GO: list[bytes] = []  # what wait_go() answers, one per call, while collecting frames


@contextmanager
def collecting_frames(*go: bytes):
    """Frames sent in this block are appended to the yielded list instead of written to fd 3 (and
    wait_go answers the `go` frames in turn): warm_up() runs the child bodies in the worker itself."""
    global _SINK, _GO
    _SINK, _GO = [], list(go)
    try:
        yield _SINK
    finally:
        _SINK, _GO = None, []


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


def wait_go(last: bool = True) -> bytes:
    """Block until the worker sends a go frame (fd 4); b"" when it closed the pipe instead (it gave
    up). Data comes over the pipe, never through a file the learner's code could have planted.
    After the `last` go the child closes the pipe: it keeps no descriptor it no longer needs."""
    if _SINK is not None:
        return _GO.pop(0) if _GO else b""
    data = bytearray()
    try:
        while frame_length(data) is None:
            chunk = os.read(4, 1 << 20)
            if not chunk:
                data = bytearray()
                break
            data += chunk
    except OSError:
        data = bytearray()
    if last or not data:
        try:
            os.close(4)
        except OSError:
            pass
    return bytes(data)


def _load_function(code: str, name: str, filename: str = FUNC_FILE):
    # The builtins module itself, as the worker passed it when it was one script run as __main__
    # (an imported module's own __builtins__ is the module's dict, which code could tell apart).
    namespace = {"__name__": "__snippet__", "__builtins__": builtins}
    exec(compile(code, filename, "exec"), namespace)
    fn = namespace.get(name)
    if not callable(fn):
        raise LookupError(f"the code does not define a function named {name}()")
    return fn


def describe_exception(error: BaseException, filename: str = FUNC_FILE) -> dict:
    if isinstance(error, SystemExit):
        return {"type": "SystemExit", "message": f"the code called sys.exit({error.code!r})", "line": None}
    if isinstance(error, SyntaxError) and error.filename == filename:
        return {"type": "SyntaxError", "message": f"line {error.lineno}: {error.msg}", "line": error.lineno}
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    detail = str(error)
    text = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    if isinstance(error, NotImplementedError) and not detail:
        # what the starter raises: the first thing a learner sees when checking before writing code
        text += " (the starter's placeholder: replace `raise NotImplementedError` with your code)"
    if isinstance(error, MemoryError):
        text += " (memory limit reached)"
    if isinstance(error, OSError) and error.errno == errno.ENOSYS:
        text += " (a system call the check sandbox does not offer: solve the exercise without it)"
    if line is not None:
        text += f" (line {line})"
    return {"type": type(error).__name__, "message": text, "line": line}


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


def prepare_calls(case: dict) -> list[tuple[dict, dict[str, int]]]:
    """Each call's private arguments and their digests (to tell in-place changes), made before the
    function is called: a child forked in advance makes them while it is parked."""
    prepared = []
    for args_in in case_calls(case):
        args = materialize(args_in)
        prepared.append((args, array_digests(args)))
    return prepared


def call_case(fn, case: dict, blobs: list, prepared: list | None = None) -> dict:
    """Call `fn` for one check; each output is encoded right after its call (a later call must not
    be able to change an earlier output); in-place changes to arguments are recorded, and so are
    the warnings the calls emit (every one, not only the first per place: filter "always").
    `prepared`: the calls' arguments made in advance (prepare_calls), else made here."""
    encoded, mutated, aliased, ms, found = [], set(), set(), 0.0, []
    for args, before in prepared or prepare_calls(case):
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = fn(**args)
            except BaseException as error:  # noqa: BLE001 - whatever the code does, report it
                _show_warnings([_warning_entry(w) for w in caught[:MAX_WARNINGS]])
                return {"error": describe_exception(error), "ms": ms + (time.perf_counter() - t0) * 1e3}
        ms += (time.perf_counter() - t0) * 1e3
        for w in caught:
            entry = _warning_entry(w)
            if entry not in found and len(found) < MAX_WARNINGS:
                found.append(entry)
        after = array_digests(args)
        mutated.update(k for k in before if after.get(k) != before[k])
        if case.get("new_arrays"):
            aliased.update(shared_with_arguments(out, args))
        encoded.append(encode(out, blobs))
    output = encoded[0] if len(encoded) == 1 else {"$list": encoded}
    _show_warnings(found)
    return {"output": output, "mutated": sorted(mutated), "aliased": sorted(aliased), "ms": ms, "warnings": found}


_CHECK_FUNCTIONS: dict = {}  # this child's run of the checks block, where FunctionRefs resolve


def materialize(value):
    """Arguments as the function sees them: Rng placeholders become fresh generators, FunctionRefs
    the checks block's functions, arrays private copies (so one call can never change another
    call's inputs)."""
    if isinstance(value, Rng):
        return np.random.default_rng(value.seed)
    if isinstance(value, FunctionRef):
        fn = _CHECK_FUNCTIONS.get(value.name)
        if not callable(fn):
            raise LookupError(f"the checks block defines no function {value.name}()")
        return fn
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(materialize(v) for v in value)
    if isinstance(value, list):
        return [materialize(v) for v in value]
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    return value


def named_arrays(value, prefix=""):
    """(name, array) for every array in a value of arrays, tuples, lists and dicts, named the way
    the learner reads them: `grads[0]`, `parameters.W1`."""
    if isinstance(value, np.ndarray):
        yield prefix, value
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            yield from named_arrays(v, f"{prefix}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from named_arrays(v, f"{prefix}.{k}" if prefix else str(k))


def array_digests(value) -> dict[str, int]:
    return {name: zlib.crc32(np.ascontiguousarray(a).view(np.uint8).tobytes()) ^ hash(a.shape)
            for name, a in named_arrays(value)}


def shared_with_arguments(out, args: dict) -> list[str]:
    """The array arguments that a returned array is, or is a view of (every argument is a private
    copy, so sharing memory with one means the function handed the caller's array back)."""
    returned = [a for _, a in named_arrays(out)]
    return [name for name, a in named_arrays(args) if any(np.may_share_memory(a, r) for r in returned)]


def _notify_imports() -> None:
    """Tell the worker when an import of a module that is not loaded yet starts and ends, so that
    the time goes to the import allowance, not to the check, and a timeout can say what was slow.
    (Only the outermost import is reported; code that tampers with this only changes messages and
    at most spends the allowance.)"""
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
              features: dict, stop: int | None = None, checks_code: str | None = None,
              prepared: list | None = None) -> None:
    """Load `code`, then call its function on cases[start:stop], one frame per check (the worker
    runs one check per child: stop = start + 1). Mutant children (stats_code given) also evaluate
    their own statistics; a learner's never does (its code could patch numpy), the attempt's checks
    child evaluates those. `prepared`: the first check's arguments, made in advance.

    That the file loaded is a notice, not a frame: what it printed meanwhile belongs to the first
    check's output, and the notice (with the sandbox layers) only moves the deadline from loading
    to calling, costing the child no flush and separator."""
    if sandbox.IN_CHILD:
        _notify_imports()
    t0 = time.perf_counter()
    try:
        fn = _load_function(code, name)
    except BaseException as error:  # noqa: BLE001
        send({"load_error": describe_exception(error), "sandbox": features})
        return
    send({"notice": "loaded", "ms": (time.perf_counter() - t0) * 1e3, "sandbox": features}, separate=False)
    stats_ns = None
    if stats_code is not None:
        stats_ns = checks_namespace()
        exec(compile(stats_code, "<checks>", "exec"), stats_ns)
        _CHECK_FUNCTIONS.update(stats_ns)
    elif checks_code is not None and any(has_function_refs(c["args"]) for c in cases[start:stop]):
        # the checks block's own functions are arguments of these checks: run it here too
        namespace = checks_namespace()
        exec(compile(checks_code, "<checks>", "exec"), namespace)
        _CHECK_FUNCTIONS.update(namespace)
    for i in range(start, len(cases) if stop is None else stop):
        case = cases[i]
        allow_cpu(timeout * len(case_calls(case)) + IMPORT_ALLOWANCE + 1)
        blobs: list[bytes] = []
        header = call_case(fn, case, blobs, prepared if i == start else None)
        header["index"] = i
        if stats_ns is not None and case["kind"] == "stat" and "output" in header:
            header["stat"] = stat_value(stats_ns, case, decode(header["output"], blobs))
        send(header, blobs)


def child_prepare(checks_code: str, name: str, seed: int, features: dict) -> None:
    """The attempt's checks child: (1) draw the inputs and send them; (2) on the worker's first go,
    which brings the reference's source (reference_store.py: the one child that ever holds it),
    run the reference on them and send its outputs (or why it failed); (3) if the checks include
    statistics, park until the second go, which brings the learner's outputs, evaluate the
    statistics on them and send the values. The worker sends the first go only once it has read
    the inputs and reads the reference outputs only after every learner child of the attempt has
    ended: until then they wait in this child or in the pipe, never in the worker's memory, so no
    learner child forked from the worker can find them. Sent early, they cost a check no round trip.
    (Like every child, it is not dumpable: no same-user process may read its memory.)"""
    namespace = checks_namespace()
    try:
        exec(compile(checks_code, "<checks>", "exec"), namespace)
        items = list(namespace["cases"](np.random.default_rng(seed)))
        made = case_entries(items, namespace)
        _CHECK_FUNCTIONS.update(namespace)
    except BaseException as error:  # noqa: BLE001
        send({"load_error": describe_exception(error, "<checks>")})
        return
    if isinstance(made, str):
        send({"load_error": {"type": "ValueError", "message": made, "line": None}})
        return
    entries, blobs = made
    send({"cases": entries, "sandbox": features}, blobs)
    cases = decode_cases(entries, blobs)
    has_stats = any(c["kind"] == "stat" for c in cases)
    go = wait_go(last=not has_stats)
    if not go:
        return
    ref_code = unpack(go)[1][0].decode()

    expected, problem = {}, None
    compare_at = [i for i, c in enumerate(cases) if c["kind"] == "case"]
    if compare_at:
        try:
            fn = _load_function(ref_code, name, "<reference>")
        except BaseException as error:  # noqa: BLE001
            problem = "the snippet's reference failed to load: " + describe_exception(error, "<reference>")["message"]
        else:
            for i in compare_at:
                try:
                    expected[i] = fn(**materialize(cases[i]["args"]))
                except BaseException as error:  # noqa: BLE001
                    problem = (f"the snippet's reference raised on check {cases[i]['name']!r}: "
                               + describe_exception(error, "<reference>")["message"])
                    break
    if problem:
        send({"ref_error": problem})
        return
    blobs = []
    send({"expected": {str(i): encode(v, blobs) for i, v in expected.items()}}, blobs)
    go = wait_go() if has_stats else b""
    if not go:
        return
    header, learner_blobs = unpack(go)
    stats = {key: stat_value(namespace, cases[int(key)], decode(enc, learner_blobs))
             for key, enc in header["outputs"].items()}
    send({"stats": stats})
