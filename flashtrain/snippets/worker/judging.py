"""Verdicts: a check's status and message from the outputs of the learner's (or a mutant's) code,
the reference's outputs and the statistics; and how alike a mutant's outputs are to the learner's
(to pick the mutant whose hint fits a wrong answer).
"""

from __future__ import annotations

import re

import numpy as np

from flashtrain.snippets.worker.compare import compare, compare_items, preview
from flashtrain.snippets.worker.wire import Unencodable


def judge_checks(snippet, cases, results, expected, stats) -> list[dict]:
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
            rtol, atol, precision = tolerances(snippet, case)
            diff = _compare_case(case, expected[i], r["output"], rtol, atol)
            check.update(rtol=rtol, atol=atol, expected=preview(expected[i]), actual=preview(r["output"]),
                         values_match=diff is None)
            within_text = f"within rtol={rtol:g}, atol={atol:g}" + (
                f" ({precision} inputs: a tolerance fitting {precision} precision)" if precision else "")
            if diff:
                message = diff["message"] + (f" (compared {within_text})" if precision else "")
                check.update({k: v for k, v in diff.items() if k not in ("expected", "actual")},
                             status="fail", message=message)
            else:
                check.update(status="pass", message=f"matches {within_text}")
            if case.get("no_warnings") and r.get("warnings"):
                _add_failure(check, warning_message(r["warnings"], case["no_warnings"]))
        elif case["kind"] == "determinism":
            _judge_determinism(case, r["output"], check)
        else:
            _judge_stat(case, stats.get(i) if stats is not None else r.get("stat"), check)
        if "output" in r and r.get("mutated"):
            _add_failure(check, f"modified its argument(s) in place: {', '.join(r['mutated'])}")
        if "output" in r and r.get("aliased"):
            _add_failure(check, f"returned the caller's array(s) {', '.join(r['aliased'])} (or a view of them) "
                                f"instead of new ones: copy them (`.copy()`)")
        checks.append(check)
    return checks


def _compare_case(case: dict, expected, actual, rtol: float, atol: float) -> dict | None:
    if case.get("items") is not None:
        return compare_items(expected, actual, case["items"], rtol, atol)
    return compare(expected, actual, rtol, atol)


# Tolerance floors for inputs of a lower precision than float64: a float32 result carries ~7
# significant digits (eps 1.2e-7), so an answer computing in float32 and one computing in float64
# differ by ~1e-7 relative; 1e-5 leaves room for a few roundings in a sum. float16: eps 9.8e-4.
PRECISION_FLOORS = {"float32": (1e-5, 1e-6), "float16": (5e-3, 1e-3)}


def tolerances(snippet, case: dict) -> tuple[float, float, str | None]:
    """(rtol, atol, precision) of a Case: its own where given, else the snippet's; raised to fit
    the lowest float precision among its inputs (precision names it, or is None for float64)."""
    rtol = snippet["rtol"] if case.get("rtol") is None else case["rtol"]
    atol = snippet["atol"] if case.get("atol") is None else case["atol"]
    precision = _lowest_precision(case.get("args"))
    if precision in PRECISION_FLOORS:
        floor_rtol, floor_atol = PRECISION_FLOORS[precision]
        if rtol < floor_rtol or atol < floor_atol:
            return max(rtol, floor_rtol), max(atol, floor_atol), precision
    return rtol, atol, None


def _lowest_precision(value) -> str | None:
    """'float16' or 'float32' when an input holds floats of that precision, else None."""
    found: set[str] = set()

    def visit(v) -> None:
        if isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "fc":
            found.add(np.dtype(v.dtype.char.lower() if v.dtype.kind == "c" else v.dtype).name)
        elif isinstance(v, dict):
            for item in v.values():
                visit(item)
        elif isinstance(v, (list, tuple)):
            for item in v:
                visit(item)

    visit(value)
    for name in ("float16", "float32"):
        if name in found:
            return name
    return None


def _add_failure(check: dict, note: str) -> None:
    """A second reason to fail: it becomes the message of a passing check, or is appended."""
    if check["status"] == "pass":
        check.update(status="fail", message=note)
    else:
        check["message"] += f"; also {note}"


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
                     f"or random", failure="same seed, different results")
    elif compare(first, other, 0.0, 0.0) is None:
        check.update(status="fail", message=f"seeds {seeds} and {others} gave the same result: the output "
                     f"must depend on the rng argument", failure="other seed, same result")
    else:
        check.update(status="pass", message=f"same seed ({seeds}): same result; seed {others}: a different one")


def _judge_stat(case: dict, v: dict | None, check: dict) -> None:
    v = v or {"error": "statistic not computed"}
    check.update(lo=case["lo"], hi=case["hi"])
    if "value" in v:
        check["value"] = v["value"]
        shown = v["value"][0] if v["value"] is not None and len(v["value"]) == 1 else v["value"]
        if v["value"] is None or within(v["value"], case["lo"], case["hi"]):
            unbounded = case["lo"] is None and case["hi"] is None  # a statistic that only asserts
            check.update(status="pass", message="passed (its assertions held)" if unbounded else
                         "ok" if v["value"] is None else
                         f"{_fmt(shown)} within [{_fmt(case['lo'])}, {_fmt(case['hi'])}]")
        else:
            check.update(status="fail", message=f"{_fmt(shown)} outside [{_fmt(case['lo'])}, {_fmt(case['hi'])}]",
                         failure="outside " + _sides(v["value"], case["lo"], case["hi"]))
    elif "assert" in v:
        check.update(status="fail", message=v["assert"],
                     failure=f"assertion at line {v.get('at')}: {_without_numbers(v['assert'])}")
    else:
        check.update(status="fail", message=f"the statistic could not be computed from the output: {v['error']}",
                     failure=f"error: {_without_numbers(v['error'])}")


def _sides(value, lo, hi) -> str:
    """Which bound each value misses ('<' below lo, '>' above hi, '=' within, '?' nan): two
    statistics fail in the same way only when they miss the same bounds."""
    v = np.atleast_1d(np.asarray(value, dtype=float))
    lo_arr = np.broadcast_to(np.asarray(-np.inf if lo is None else lo, dtype=float), v.shape)
    hi_arr = np.broadcast_to(np.asarray(np.inf if hi is None else hi, dtype=float), v.shape)
    return "".join("?" if np.isnan(x) else "<" if x < a else ">" if x > b else "="
                   for x, a, b in zip(v, lo_arr, hi_arr))


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _without_numbers(text: str) -> str:
    """A failure message with its numbers blanked: the same assertion failing for two answers
    reads the same although the values it quotes (a min, a share, a seed) differ."""
    return _NUMBER.sub("#", text)


# How alike a mutant is to the learner's answer, best first: "exact" (every output matches, with the
# same warnings and in-place changes, or both raise the same error), "close" (every output matches;
# warnings, the arguments changed in place or the error raised differ in detail), "statistical"
# (random outputs differ but every check passes or fails in the same way), "partial" (as one of
# those, except on checks where only one of the two raised (a check the learner failed) or changed an
# argument in place, or where they agree only on the values both computed as finite numbers).
LEVELS = ("exact", "close", "statistical", "partial")


def likeness(snippet, cases, learner, checks, results, m_checks) -> str | None:
    """How alike the mutant's run (`results`, judged as `m_checks`) is to the learner's (`learner`,
    judged as `checks`) on the same inputs: one of LEVELS, or None when they differ somewhere the
    learner's answer cannot be said to make the mutant's mistake. At least one check the learner
    failed must agree, so a mutant is never named for checks the answer passes."""
    worst = 0
    explained = 0
    for case, mine, theirs, check, m_check in zip(cases, learner, results, checks, m_checks):
        level = _check_likeness(snippet, case, mine, theirs, check, m_check)
        if level is None:
            return None
        if level == "neutral":
            continue
        worst = max(worst, LEVELS.index(level))
        if level != "partial" and check["status"] != "pass":
            explained += 1
    return LEVELS[worst] if explained else None


def agrees(snippet, case, mine, theirs, check) -> bool:
    """Whether a mutant's result on one check (`theirs`) may be the learner's mistake (`mine`,
    judged as `check`): the first round of diagnosis, before the other checks are run."""
    m_check = judge_checks(snippet, [case], [theirs], None, None)[0]
    return _check_likeness(snippet, case, mine, theirs, check, m_check) is not None


def _check_likeness(snippet, case, mine, theirs, check, m_check) -> str | None:
    if "output" not in mine or "output" not in theirs:
        if "output" not in mine and "output" not in theirs:
            return _same_error(mine["error"], theirs["error"])
        return "partial" if check["status"] != "pass" else None
    level = "exact"
    rtol, atol, _ = tolerances(snippet, case)
    rtol, atol = max(rtol, 1e-6), max(atol, 1e-9)
    if bool(mine["mutated"]) != bool(theirs["mutated"]):
        # An answer may change an argument for some inputs only (`dA[D == 0] = 0` leaves dA alone
        # when the mask keeps every unit) where the mutant always does, or the reverse: with the
        # same outputs that is still the mutant's mistake, but weak evidence on its own.
        return "partial" if _compare_case(case, theirs["output"], mine["output"], rtol, atol) is None else None
    if sorted(mine["mutated"]) != sorted(theirs["mutated"]):
        level = "close"  # both changed arguments in place, not the same ones
    if sorted(mine.get("aliased", [])) != sorted(theirs.get("aliased", [])):
        return None
    if case.get("no_warnings"):
        mine_w, theirs_w = _warning_kinds(mine), _warning_kinds(theirs)
        if bool(mine_w) != bool(theirs_w):
            if check.get("values_match", True):
                return None  # the warning is what fails (or passes) the learner's check here
            level = "close"  # both values wrong in the same way: the values decide
        elif mine_w != theirs_w:
            level = "close"
    if _compare_case(case, theirs["output"], mine["output"], rtol, atol) is None:
        return level
    if case["kind"] == "case":
        # The same mistake written another way may also overflow (nan/inf) where the mutant does not,
        # or the reverse: agreeing wherever both are finite is weak evidence, never enough alone.
        return "partial" if _agree_where_finite(theirs["output"], mine["output"], rtol, atol) else None
    # A random function drawing in another (equivalent) way: its checks must pass or fail in the
    # same way (the same assertion, the same bound missed), never merely both fail.
    if m_check["status"] != check["status"] or m_check.get("failure") != check.get("failure"):
        return None
    a, b = check.get("value"), m_check.get("value")
    if a is None and b is None:
        # A statistic that only asserts, or a Determinism check: agreeing on how it ended is all it
        # says. This is how an answer drawing from np.random is matched to such a mutant, now that
        # two children never share the global RNG state.
        return "statistical"
    if a is None or b is None or len(a) != len(b):
        return None
    if case["lo"] is not None and case["hi"] is not None:
        width = float(np.max(np.asarray(case["hi"], float) - np.asarray(case["lo"], float)))
        if float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) > max(width, 1e-12):
            return None
    return "statistical"


def _agree_where_finite(a, b, rtol: float, atol: float) -> bool:
    """Same structure and shapes, the same values wherever both are finite, and at least one
    finite value in common."""
    pairs: list[tuple[np.ndarray, np.ndarray]] = []

    def walk(x, y) -> bool:
        if isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
            return len(x) == len(y) and all(walk(p, q) for p, q in zip(x, y))
        if isinstance(x, dict) and isinstance(y, dict):
            return set(map(str, x)) == set(map(str, y)) and all(walk(x[k], y[k]) for k in x if k in y)
        try:
            p, q = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        except (TypeError, ValueError):
            return False
        if p.shape != q.shape:
            return False
        pairs.append((p, q))
        return True

    if not walk(a, b):
        return False
    shared = 0
    for p, q in pairs:
        both = np.isfinite(p) & np.isfinite(q)
        shared += int(both.sum())
        if not (np.abs(p[both] - q[both]) <= atol + rtol * np.abs(p[both])).all():
            return False
    return shared > 0


def _same_error(mine: str, theirs: str) -> str:
    """Both raised: 'exact' for the same message (its numbers and line blanked, e.g. the shapes
    of a failed broadcast), 'close' for the same exception type, else nothing to go by."""
    if _without_numbers(mine) == _without_numbers(theirs):
        return "exact"
    if mine.split(":", 1)[0] == theirs.split(":", 1)[0] and ":" in mine:
        return "close"
    return "neutral"


def _warning_kinds(result: dict) -> set[str]:
    return {f"{w.get('category')}: {w.get('message')}" for w in result.get("warnings") or []}


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
