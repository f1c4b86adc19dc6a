"""Headless grading API (the CLI and the TUI call this; no textual here).

    result = grade("adam_update", code)            # GradeResult, frozen; result.to_dict() for JSON
    rating = suggest_rating(result)                # 1..5 from the fraction of checks passed

grade() blocks until the worker answers; call it from a thread in an event loop. Untrusted
snippets raise UntrustedSnippetError (its message says why and how to trust the deck).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from flashtrain.snippets.format import Snippet
from flashtrain.snippets.library import SnippetLibrary
from flashtrain.snippets.runner import Runner, WorkerError, shared_runner

@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # pass | fail | error
    message: str
    kind: str = "case"  # case (compared with the reference) | stat (statistical bounds)
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
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        known["mismatched"] = tuple(tuple(i) for i in d.get("mismatched", ()))
        return cls(**known)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["mismatched"] = [list(i) for i in self.mismatched]
        return data


@dataclass(frozen=True)
class GradeResult:
    snippet: str
    status: str  # pass | fail | error
    checks: tuple[CheckResult, ...]
    hint: str | None = None  # the matching mutant's hint, when one behaves like the answer
    hint_mutant: str | None = None
    passed: int = 0
    total: int = 0
    duration_ms: float = 0.0
    message: str = ""  # for errors that are not one check's (syntax error, snippet problem, worker)
    seed: int | None = None
    sandbox: dict = field(default_factory=dict, compare=False)

    @property
    def fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def to_dict(self, detail: bool = True) -> dict:
        """The CLI's JSON: snippet, status, checks[{name, status, message, ...}], hint, duration_ms."""
        checks = [c.to_dict() if detail else {"name": c.name, "status": c.status, "message": c.message}
                  for c in self.checks]
        return {"snippet": self.snippet, "status": self.status, "checks": checks, "hint": self.hint,
                "hint_mutant": self.hint_mutant, "passed": self.passed, "total": self.total,
                "message": self.message, "seed": self.seed, "duration_ms": round(self.duration_ms, 3)}

    @classmethod
    def from_reply(cls, reply: dict) -> GradeResult:
        return cls(snippet=reply["snippet"], status=reply["status"],
                   checks=tuple(CheckResult.from_dict(c) for c in reply["checks"]), hint=reply.get("hint"),
                   hint_mutant=reply.get("hint_mutant"), passed=reply.get("passed", 0),
                   total=reply.get("total", 0), duration_ms=reply.get("duration_ms", 0.0),
                   message=reply.get("message", ""), seed=reply.get("seed"), sandbox=reply.get("sandbox") or {})


def grade(snippet: str | Snippet, code: str, *, library: SnippetLibrary | None = None, deck_id: int | None = None,
          runner: Runner | None = None, seed: int | None = None, diagnose: bool = True,
          timeout: float | None = None) -> GradeResult:
    """Grade `code` (a learner's source defining the snippet's function) in the sandboxed worker.

    `snippet` is an id (looked up in `library`, default: the bundled snippets, and refused with
    UntrustedSnippetError when not runnable) or a Snippet the caller has already vetted."""
    if isinstance(snippet, str):
        snippet = (library or SnippetLibrary.bundled()).runnable_snippet(snippet, deck_id)
    request = {"op": "grade", "snippet": snippet.to_request(), "code": code, "seed": seed,
               "diagnose": diagnose, "timeout": timeout}
    try:
        reply = (runner or shared_runner()).request(request)
    except WorkerError as error:
        return GradeResult(snippet.id, "error", (), message=str(error))
    if "status" not in reply:
        return GradeResult(snippet.id, "error", (), message=reply.get("error", "the worker gave no result"))
    return GradeResult.from_reply(reply)


def suggest_rating(result: GradeResult, hints_used: int = 0) -> int:
    """A starting point the learner can override: all checks pass -> 5 (Perfectly), minus one per
    hint used (never below 3); most pass -> 3; some -> 2; none, or an error -> 1."""
    if result.status == "pass":
        return max(3, 5 - hints_used)
    if result.status == "error" and result.passed == 0:
        return 1
    f = result.fraction
    if f >= 2 / 3:
        return 3
    if f >= 1 / 3:
        return 2
    return 1
