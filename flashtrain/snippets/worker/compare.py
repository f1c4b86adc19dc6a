"""Comparing a returned value with the reference's (trusted code: runs in the worker, never in a
child) and describing values and mismatches for the learner.
"""

from __future__ import annotations

import math

import numpy as np

from flashtrain.snippets.worker.wire import SEQUENCE_MIN, Unencodable, number_sequence


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


def readable(x: float, digits: int = 8) -> float:
    """x rounded to `digits` significant digits, so that it prints as 0.04, not as the
    0.039999999999999994 that float arithmetic left (previews are for reading, not computing)."""
    x = float(x)
    return float(f"{x:.{digits}g}") if math.isfinite(x) else x


def number_pair(expected: float, actual: float) -> tuple[str, str]:
    """Both numbers with the fewest significant digits (4 to 12) that still tell them apart."""
    e, a = float(expected), float(actual)
    for digits in range(4, 13):
        shown = f"{e:.{digits}g}", f"{a:.{digits}g}"
        if shown[0] != shown[1]:
            return shown
    return f"{e:.12g}", f"{a:.12g}"


def preview(value, limit: int = 60):
    if isinstance(value, np.ndarray):
        if value.size <= limit and value.dtype.kind in "biufc":
            if value.dtype.kind == "c":
                return str(value)
            if not value.size:
                return value.tolist()
            # one pass over a list of Python floats: no np.vectorize, no temporary arrays
            return _nested([readable(x) for x in value.ravel().tolist()], value.shape)
        return describe(value)
    if _is_scalar(value):
        return readable(value)
    if isinstance(value, (tuple, list)):
        return [preview(v, limit) for v in value[:10]]
    if isinstance(value, dict):
        return {str(k): preview(v, limit) for k, v in list(value.items())[:10]}
    if isinstance(value, Unencodable):
        return value.description
    return value if isinstance(value, (str, type(None))) else repr(value)[:200]


def _nested(flat: list, shape: tuple) -> list | float:
    """A flat, non-empty list in C order as the nested lists of `shape` (as ndarray.tolist())."""
    if not shape:
        return flat[0]
    for size in reversed(shape[1:]):
        flat = [flat[i:i + size] for i in range(0, len(flat), size)]
    return flat


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
            shown_e, shown_a = number_pair(e, a)
            return {"message": f"{where}: expected {shown_e}, got {shown_a} "
                               f"(|Δ| = {abs(float(a) - float(e)):.3g})",
                    "expected": readable(e), "actual": readable(a),
                    "max_abs_diff": readable(abs(float(a) - float(e)), 4)}
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
        if expected.size <= SMALL and _small_all_close(expected, actual, rtol, atol):
            return None
        e, a = expected.astype(np.float64), actual.astype(np.float64)
        ok = _close(e, a, rtol, atol)
        if ok.all():
            return None
        bad = np.argwhere(~ok)
        # |Δ| is measured over the mismatched values only: the matching ones would report a tiny
        # maximum next to a nan (e.g. "4 values differ, max |Δ| = 0"), which reads as a contradiction.
        with np.errstate(invalid="ignore", over="ignore"):
            delta = np.abs(a - e)[~ok]
        finite = delta[np.isfinite(delta)]
        max_diff = float(finite.max()) if finite.size else float("nan")
        not_finite = int(delta.size - finite.size)
        if not finite.size:
            size_text = "all of them nan or inf" if not_finite > 1 else "a nan or inf"
        else:
            size_text = f"max |Δ| = {max_diff:.3g}"
            if not_finite:
                size_text += f" ({not_finite} more nan or inf)"
        first = tuple(int(i) for i in bad[0])
        note = "" if actual.dtype == expected.dtype else f" (dtype {actual.dtype}, expected {expected.dtype})"
        shown_e, shown_a = number_pair(e[first], a[first])
        return {"message": f"{where}: {len(bad)} of {e.size} values differ, {size_text}; "
                           f"at {list(first)}: expected {shown_e}, got {shown_a}{note}",
                "mismatched": [[int(i) for i in idx] for idx in bad[:20]], "mismatch_count": int(len(bad)),
                "total": int(e.size), "max_abs_diff": readable(max_diff, 4), "expected": preview(expected),
                "actual": preview(actual)}
    return {"message": f"{where}: cannot compare a reference value of type {type(expected).__name__}"}


def compare_items(expected, actual, items: list[int], rtol: float, atol: float) -> dict | None:
    """Like compare() for a returned tuple of which only the positions `items` are compared (the
    others are the learner's own, e.g. a cache); its type and length are still checked."""
    if not isinstance(expected, (tuple, list)):
        return compare(expected, actual, rtol, atol)
    if not isinstance(actual, (tuple, list)):
        return {"message": f"result: expected a {type(expected).__name__} of {len(expected)} values, "
                           f"got {describe(actual)}"}
    if len(actual) != len(expected):
        return {"message": f"result: expected {len(expected)} values, got {len(actual)}"}
    for i in items:
        diff = compare(expected[i], actual[i], rtol, atol, f"result[{i}]")
        if diff:
            return diff
    return None


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


SMALL = 256  # values: up to this many, an array that matches is told so without ufunc calls


def _small_all_close(expected: np.ndarray, actual: np.ndarray, rtol: float, atol: float) -> bool:
    """_close(...).all() for a few values, in Python floats: the same float64 operations in the
    same order, without the fixed cost of a dozen ufunc calls (most of a warm check's comparison)."""
    rtol, atol = float(rtol), float(atol)
    for e, a in zip(expected.ravel().tolist(), actual.ravel().tolist()):
        e, a = float(e), float(a)
        if not (abs(a - e) <= atol + rtol * abs(e) or (e != e and a != a) or (e == a and math.isinf(e))):
            return False
    return True


def _close(e: np.ndarray, a: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.abs(a - e) <= atol + rtol * np.abs(e)
    return ok | (np.isnan(e) & np.isnan(a)) | ((e == a) & np.isinf(e))
