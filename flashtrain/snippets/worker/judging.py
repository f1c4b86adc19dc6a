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
            rtol, atol = _tolerances(snippet, case)
            diff = _compare_case(case, expected[i], r["output"], rtol, atol)
            check.update(rtol=rtol, atol=atol, expected=preview(expected[i]), actual=preview(r["output"]))
            if diff:
                check.update(status="fail", **{k: v for k, v in diff.items() if k not in ("expected", "actual")})
            else:
                check.update(status="pass", message=f"matches within rtol={rtol:g}, atol={atol:g}")
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


def _tolerances(snippet, case: dict) -> tuple[float, float]:
    """(rtol, atol) of a Case: its own where given, else the snippet's."""
    rtol = snippet["rtol"] if case.get("rtol") is None else case["rtol"]
    atol = snippet["atol"] if case.get("atol") is None else case["atol"]
    return rtol, atol


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
                     f"or random")
    elif compare(first, other, 0.0, 0.0) is None:
        check.update(status="fail", message=f"seeds {seeds} and {others} gave the same result: the output "
                     f"must depend on the rng argument")
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
            check.update(status="fail", message=f"{_fmt(shown)} outside [{_fmt(case['lo'])}, {_fmt(case['hi'])}]")
    elif "assert" in v:
        check.update(status="fail", message=v["assert"])
    else:
        check.update(status="fail", message=f"the statistic could not be computed from the output: {v['error']}")


def likeness(snippet, cases, learner, checks, results, m_checks) -> str | None:
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
        if sorted(mine.get("aliased", [])) != sorted(theirs.get("aliased", [])):
            return None
        if case.get("no_warnings") and bool(mine.get("warnings")) != bool(theirs.get("warnings")):
            return None
        compared += 1
        rtol, atol = _tolerances(snippet, case)
        rtol, atol = max(rtol, 1e-6), max(atol, 1e-9)
        if _compare_case(case, theirs["output"], mine["output"], rtol, atol) is None:
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
