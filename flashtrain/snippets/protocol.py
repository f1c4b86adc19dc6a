"""The one protocol between the app and the check worker: typed requests and replies, and the one
framing both ends use.

A message is a frozen dataclass below. On the wire it is a 4-byte big-endian length followed by a
UTF-8 JSON object `{"type": <class name>, <fields>...}`; nested dataclasses and tuples are encoded
the same way, never with pickle (a reply that fails to decode is an error, never code that runs).
Only the app (runner.py) and the worker (worker/main.py) speak it; children report to the worker
over their own pipes (worker/wire.py).

Self-contained (stdlib only) so the worker imports it without the app's side.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import struct
import sys
import types
import typing
from dataclasses import dataclass, field
from typing import Any

MAX_MESSAGE = 256 << 20  # a length prefix beyond this is garbage, not a message


class ProtocolError(ValueError):
    """A frame that is not a valid message (wrong length, bad JSON, unknown type or fields)."""


# -- what the worker needs to know about a snippet -------------------------------------------------
@dataclass(frozen=True)
class MutantSpec:
    name: str
    code: str
    hint: str


@dataclass(frozen=True)
class SnippetSpec:
    """The plain data the worker needs (code travels as text and runs only in sandboxed children)."""
    id: str
    reference: str
    checks: str
    rtol: float = 1e-6
    atol: float = 1e-9
    timeout: float = 2.0
    mutants: tuple[MutantSpec, ...] = ()

    def as_dict(self) -> dict:
        return dataclasses.asdict(self) | {"mutants": [dataclasses.asdict(m) for m in self.mutants]}

    def key(self) -> str:
        """A digest of everything the worker does with the snippet: equal keys, same snippet
        (computed once per snippet: it is frozen)."""
        try:
            return _cached_key(self)
        except TypeError:  # built with a list where a tuple belongs: unhashable, so not cached
            return _key_of(self)


def _key_of(spec: SnippetSpec) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(spec.as_dict(), sort_keys=True).encode()).hexdigest()


_cached_key = functools.lru_cache(maxsize=256)(_key_of)


# -- the sandbox layers a child had -------------------------------------------------------------------
@dataclass(frozen=True)
class Layers:
    """Which protections held in the child that ran the code (each is best effort; see
    worker/sandbox.py). `root` is the private root's kind: "private" (namespaces + bind mounts),
    "landlock" (the host's tree, access restricted by Landlock) or "none"."""
    userns: bool = False
    pidns: bool = False
    mountns: bool = False
    root: str = "none"
    tmpfs: bool = False  # a private tmpfs with a size quota as the only writable place
    landlock: bool = False
    seccomp: bool = False
    seccomp_allowlist: bool = False  # seccomp allowed only the syscalls checks need (else its deny-list alone)
    netns: bool = False
    unprivileged: bool = False  # the worker (and so the child) ran as a uid other than root

    def held(self) -> list[str]:
        names = [name for name in ("userns", "pidns", "mountns", "tmpfs", "landlock", "seccomp", "seccomp_allowlist",
                                   "netns", "unprivileged") if getattr(self, name)]
        names = [name.replace("_", "-") for name in names]
        return ([f"root={self.root}"] if self.root != "none" else []) + names


# -- grading ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # pass | fail | error
    message: str
    kind: str = "case"  # case (compared with the reference) | stat (statistical bounds) | determinism
    duration_ms: float = 0.0
    output: str = ""  # captured stdout+stderr, capped
    output_truncated: bool = False
    expected: Any = None  # small values as lists, large ones described
    actual: Any = None
    max_abs_diff: float | None = None
    mismatched: tuple[tuple[int, ...], ...] = ()  # first mismatched indices
    mismatch_count: int = 0
    rtol: float | None = None
    atol: float | None = None
    value: Any = None  # a statistic's value (stat checks)
    lo: Any = None
    hi: Any = None

    @classmethod
    def from_dict(cls, d: dict) -> CheckResult:
        """From the worker's judged check (extra keys, e.g. shapes, are dropped)."""
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        known["mismatched"] = tuple(tuple(i) for i in d.get("mismatched", ()))
        return cls(**known)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["mismatched"] = [list(i) for i in self.mismatched]
        return data


@dataclass(frozen=True)
class GradeRequest:
    snippet: SnippetSpec | None  # None: the worker already has it under snippet_key (sent once)
    code: str
    seed: int | None = None  # None: fresh inputs each attempt (and the next one drawn in advance)
    diagnose: bool = True  # run the mutants on a failing answer to name the mistake
    timeout: float | None = None  # per check; None: the snippet's
    memory: int | None = None  # bytes of address space per child; None: the default
    import_allowance: float | None = None
    prefetch: bool = True
    network_namespace: bool = True  # layers a test may turn off to see the others hold
    seccomp: bool = True
    landlock: bool = True
    snippet_key: str = ""  # SnippetSpec.key(): lets the runner send each snippet to a worker once
    # The snippet's reference travels after the frame as this many raw UTF-8 bytes (its `reference`
    # field is then empty): the worker reads them straight into memory its children never see
    # (worker/reference_store.py), never into an object a learner's child could find.
    reference_bytes: int = 0


@dataclass(frozen=True)
class GradeReply:
    snippet: str
    status: str  # pass | fail | error
    checks: tuple[CheckResult, ...] = ()
    hint: str | None = None  # the matching mutant's hint, when one behaves like the answer
    hint_mutant: str | None = None
    passed: int = 0
    total: int = 0
    seed: int | None = None
    message: str = ""  # for errors that are not one check's (syntax error, snippet problem)
    sandbox: Layers | None = None
    forks: int = 0
    duration_ms: float = 0.0
    snippet_error: bool = False  # the snippet itself failed (its checks or reference), not the answer
    cpu_ms: float = 0.0  # the worker's own CPU time for the attempt (its children's not included)

    @property
    def fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def to_dict(self, detail: bool = True) -> dict:
        """The CLI's JSON (and the stored attempt): snippet, status, checks[{name, status, message,
        ...}], hint, sandbox layers, duration_ms."""
        checks = [c.to_dict() if detail else {"name": c.name, "status": c.status, "message": c.message}
                  for c in self.checks]
        return {"snippet": self.snippet, "status": self.status, "checks": checks, "hint": self.hint,
                "hint_mutant": self.hint_mutant, "passed": self.passed, "total": self.total,
                "message": self.message, "seed": self.seed, "duration_ms": round(self.duration_ms, 3),
                "sandbox": self.sandbox.held() if self.sandbox else []}

    @classmethod
    def from_dict(cls, d: dict) -> GradeReply:
        """Back from to_dict() (e.g. an attempt stored in the history)."""
        return cls(snippet=d.get("snippet", ""), status=d.get("status", "error"),
                   checks=tuple(CheckResult.from_dict(c) for c in d.get("checks") or ()), hint=d.get("hint"),
                   hint_mutant=d.get("hint_mutant"), passed=d.get("passed", 0), total=d.get("total", 0),
                   seed=d.get("seed"), message=d.get("message", ""), duration_ms=d.get("duration_ms", 0.0))


# -- demonstrations ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    text: str
    holds: bool
    detail: str = ""
    line: int | None = None  # line of the claim() call in the program


@dataclass(frozen=True)
class DemoRequest:
    """Run a demonstration's program (params + demo block, as one string) once in a sandboxed child."""
    code: str
    timeout: float = 5.0
    width: int = 60
    id: str = ""
    memory: int | None = None


@dataclass(frozen=True)
class DemoReply:
    status: str  # ok | error | timeout | killed
    output: str = ""  # stdout + stderr, capped (the tail is kept)
    output_truncated: bool = False
    claims: tuple[Claim, ...] = ()
    error: str | None = None
    seconds: float = 0.0
    sandbox: Layers | None = None

    @property
    def all_hold(self) -> bool:
        return self.status == "ok" and bool(self.claims) and all(c.holds for c in self.claims)


# -- housekeeping --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PingRequest:
    pass


@dataclass(frozen=True)
class PingReply:
    pid: int
    tmp: str  # the worker's folder of per-child directories on the host ("" when it has none)


@dataclass(frozen=True)
class ProbeRequest:
    """Fork one sandboxed child and report which layers held and what it could not do."""


@dataclass(frozen=True)
class ProbeReply:
    layers: Layers
    blocked: dict[str, bool] = field(default_factory=dict)  # attempt -> refused (True is good)
    problems: tuple[str, ...] = ()  # why a layer the machine offers did not hold
    machine: dict[str, str] = field(default_factory=dict)  # kernel, user, Landlock ABI, userns sysctls


@dataclass(frozen=True)
class ErrorReply:
    """The worker could not serve a request (a bug or a request it does not know)."""
    error: str
    traceback: str = ""
    unknown_snippet: bool = False  # a GradeRequest named a snippet_key the worker does not hold


MESSAGES: dict[str, type] = {cls.__name__: cls for cls in (
    GradeRequest, GradeReply, DemoRequest, DemoReply, PingRequest, PingReply, ProbeRequest, ProbeReply,
    ErrorReply)}


# -- encoding -------------------------------------------------------------------------------------------
def to_wire(message) -> dict:
    """The message as the JSON object that is sent; nested dataclasses stay as they are and become
    objects as the encoder meets them (_json_default), so encoding walks the value only once, in C."""
    if type(message).__name__ not in MESSAGES:
        raise ProtocolError(f"not a protocol message: {type(message).__name__}")
    return {"type": type(message).__name__, **_fields_of(message)}


_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass -> its field names, looked up once


def _fields_of(value) -> dict:
    names = _FIELDS.get(type(value))
    if names is None:
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    return {name: getattr(value, name) for name in names}


def from_wire(data: dict):
    if not isinstance(data, dict) or data.get("type") not in MESSAGES:
        raise ProtocolError(f"unknown message type {data.get('type') if isinstance(data, dict) else data!r}")
    return _build(MESSAGES[data["type"]], {k: v for k, v in data.items() if k != "type"})


# A message class -> (its field names, a converter per field: None passes the JSON value as it is).
# Worked out once per class from its type hints, so decoding a reply walks no typing objects.
_BUILDERS: dict[type, tuple[frozenset, dict]] = {}


def _builder(cls) -> tuple[frozenset, dict]:
    found = _BUILDERS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls, vars(sys.modules[__name__]))
        names = frozenset(f.name for f in dataclasses.fields(cls))
        found = _BUILDERS[cls] = (names, {name: _converter(hints[name]) for name in names})
    return found


def _build(cls, data):
    if not isinstance(data, dict):
        raise ProtocolError(f"{cls.__name__}: expected an object")
    names, converters = _builder(cls)
    unknown = data.keys() - names
    if unknown:
        raise ProtocolError(f"{cls.__name__}: unknown field(s) {sorted(unknown)}")
    try:
        return cls(**{k: v if v is None or converters[k] is None else converters[k](v) for k, v in data.items()})
    except TypeError as error:
        raise ProtocolError(f"{cls.__name__}: {error}") from error


def _converter(hint):
    """How a field's JSON value becomes its typed value (nested dataclasses and tuples are rebuilt;
    other values pass as they are), or None when it passes unchanged."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _converter(inner[0]) if len(inner) == 1 else None
    if dataclasses.is_dataclass(hint):
        return functools.partial(_build, hint)
    if origin is tuple:
        args = typing.get_args(hint)
        item = _converter(args[0]) if args else None
        if item is None:
            return tuple
        return lambda value: tuple(None if v is None else item(v) for v in value)
    return None


# -- framing (both ends) ---------------------------------------------------------------------------------
def encode_frame(message) -> bytes:
    data = json.dumps(to_wire(message), default=_json_default).encode()
    return struct.pack(">I", len(data)) + data


def decode_body(body: bytes):
    try:
        return from_wire(json.loads(body))
    except (ValueError, UnicodeDecodeError) as error:
        raise ProtocolError(f"not a message: {error}") from error


def frame_size(head: bytes) -> int:
    (n,) = struct.unpack(">I", head)
    if n > MAX_MESSAGE:
        raise ProtocolError(f"a frame of {n} bytes is beyond the {MAX_MESSAGE >> 20} MiB limit")
    return n


def with_reference_attached(request: GradeRequest) -> tuple[GradeRequest, bytes]:
    """A GradeRequest carrying a snippet, split into the frame (reference emptied, its size in
    reference_bytes) and the reference's bytes that follow it on the pipe."""
    reference = request.snippet.reference.encode()
    return dataclasses.replace(request, snippet=dataclasses.replace(request.snippet, reference=""),
                               reference_bytes=len(reference)), reference


def read_into(fd: int, view: memoryview) -> bool:
    """Fill `view` from a blocking descriptor (an attachment such as a reference); False when the
    other end closed it first."""
    while view:
        n = os.readv(fd, [view])
        if not n:
            return False
        view = view[n:]
    return True


def write_message(fd: int, message) -> None:
    view = memoryview(encode_frame(message))
    while view:
        view = view[os.write(fd, view):]


def read_message(fd: int):
    """The next message on a blocking descriptor, or None when the other end closed it."""
    head = _read_exact(fd, 4)
    if head is None:
        return None
    body = _read_exact(fd, frame_size(head))
    if body is None:
        return None
    return decode_body(body)


def _read_exact(fd: int, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _json_default(value):
    """Nested dataclasses become objects; numpy scalars and arrays that reach a reply become plain
    numbers and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields_of(value)
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:
        return item()
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    return repr(value)


