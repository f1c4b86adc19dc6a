"""The snippet's checks block: what it may use (Case, Stat, Determinism, Rng, np), how the cases
it yields are validated and encoded for the worker, and how each child decodes them again.

The checks block is the snippet's own (trusted) code; it runs only in the attempt's checks child and
in mutant children, never in the worker and never next to a learner's answer.
"""

from __future__ import annotations

import numpy as np

import types

from flashtrain.snippets.worker.wire import FunctionRef, Rng, Unencodable, decode, encode


class Case:
    """Compare with the reference. no_warnings=True (or a string: the advice to show) also fails
    the check when the call emits a warning, e.g. np.exp overflowing in a naive sigmoid.
    items=(0,) compares only those positions of the returned tuple (its length is still checked):
    the other positions are the learner's to fill, e.g. a forward pass's cache.
    new_arrays=True also fails the check when a returned array is (a view of) an argument: the
    caller's array handed back instead of a new one."""

    def __init__(self, name, args, *, rtol=None, atol=None, no_warnings=False, items=None, new_arrays=False):
        self.name, self.args, self.rtol, self.atol = str(name), args, rtol, atol
        self.new_arrays = bool(new_arrays)
        self.no_warnings = no_warnings if isinstance(no_warnings, str) else bool(no_warnings)
        self.items = None if items is None else [int(i) for i in items]


class Stat:
    """Check a statistic of the output, stat(output, args) (a function defined at the top level of
    the checks block), against the bounds lo..hi (either may be None; a statistic that returns None
    only asserts)."""

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


def checks_namespace() -> dict:
    return {"__name__": "__checks__", "np": np, "Case": Case, "Stat": Stat, "Rng": Rng, "Determinism": Determinism}


def case_calls(case: dict) -> list:
    """The argument dicts a check calls the function with, in order (usually just one)."""
    return case.get("calls") or [case["args"]]


def case_entries(items: list, namespace: dict):
    """Validate and encode what cases() produced: (entries, blobs) or an error message."""
    blobs: list[bytes] = []
    entries, names = [], set()
    for item in items:
        if not isinstance(item, (Case, Stat, Determinism)) or not isinstance(item.args, dict):
            return "cases() must yield Case/Stat/Determinism items whose args is a dict"
        if item.name in names:
            return f"duplicate check name {item.name!r}"
        names.add(item.name)
        args = function_refs(item.args, namespace)
        if isinstance(args, _Refused):
            return f"check {item.name!r}: {args}"
        item.args = args
        entry = {"name": item.name, "args": encode(item.args, blobs)}
        if isinstance(item, Case):
            entry.update(kind="case", rtol=item.rtol, atol=item.atol, no_warnings=item.no_warnings)
            if item.items is not None:
                entry["items"] = item.items
            if item.new_arrays:
                entry["new_arrays"] = True
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


class _Refused(str):
    """Why a function argument cannot be passed (a str subclass, so no argument value is taken for it)."""


def function_refs(value, namespace: dict):
    """`value` with every function argument replaced by a FunctionRef to it, or an error message:
    only functions defined at the top level of the checks block can be passed (each child
    resolves them by name in its own run of that block)."""
    if isinstance(value, types.FunctionType):
        name = value.__name__
        if namespace.get(name) is not value:
            return _Refused(f"the function {name!r} passed as an argument must be defined at the top level "
                            f"of the checks block (not a lambda or a nested function)")
        return FunctionRef(name)
    if isinstance(value, (list, tuple)):
        items = [function_refs(v, namespace) for v in value]
        bad = next((v for v in items if isinstance(v, _Refused)), None)
        return bad if bad is not None else type(value)(items)
    if isinstance(value, dict):
        items = {k: function_refs(v, namespace) for k, v in value.items()}
        bad = next((v for v in items.values() if isinstance(v, _Refused)), None)
        return bad if bad is not None else items
    return value


def has_function_refs(value) -> bool:
    if isinstance(value, FunctionRef):
        return True
    if isinstance(value, (list, tuple)):
        return any(has_function_refs(v) for v in value)
    if isinstance(value, dict):
        return any(has_function_refs(v) for v in value.values())
    return False


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


def stat_value(namespace: dict, case: dict, output) -> dict:
    """A Stat check's statistic on one output: {"value": [...] or None}, {"assert": ...} or {"error": ...}."""
    fn = namespace.get(case["stat"])
    if isinstance(output, Unencodable):
        # A statistic would only see a placeholder (its messages would name "Unencodable"): say
        # what the function returned instead.
        return {"assert": f"cannot check the result: the function returned {output.description}"}
    try:
        value = fn(output, case["args"])
        return {"value": None if value is None else np.asarray(value, dtype=float).ravel().tolist()}
    except AssertionError as error:
        return {"assert": str(error) or "assertion failed", "at": _checks_line(error)}
    except BaseException as error:  # noqa: BLE001
        return {"error": f"{type(error).__name__}: {error}"}


def _checks_line(error: BaseException) -> int | None:
    """The line of the checks block whose assertion failed (the innermost frame in that block): two
    answers "fail in the same way" only when the same assertion fails (see judging.likeness)."""
    line, tb = None, error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<checks>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
