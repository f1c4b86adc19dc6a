"""Headless grading API (the CLI and the TUI call this; no textual here).

    result = grade("adam_update", code)            # GradeResult (protocol.GradeReply); .to_dict() for JSON
    rating = suggest_rating(result)                # 1..5 from the fraction of checks passed

grade() blocks until the worker answers; call it from a thread in an event loop. Untrusted
snippets raise UntrustedSnippetError (its message says why and how to trust the deck).
"""

from __future__ import annotations

from flashtrain.snippets.format import Snippet
from flashtrain.snippets.library import SnippetLibrary
from flashtrain.snippets.protocol import CheckResult, GradeReply, GradeRequest
from flashtrain.snippets.runner import Runner, WorkerError, shared_runner

__all__ = ["CheckResult", "GradeResult", "grade", "suggest_rating"]

# The typed result is the protocol's reply: one definition on both ends.
GradeResult = GradeReply


def grade(snippet: str | Snippet, code: str, *, library: SnippetLibrary | None = None, deck_id: int | None = None,
          runner: Runner | None = None, seed: int | None = None, diagnose: bool = True,
          timeout: float | None = None) -> GradeResult:
    """Grade `code` (a learner's source defining the snippet's function) in the sandboxed worker.

    `snippet` is an id (looked up in `library`, default: the bundled snippets, and refused with
    UntrustedSnippetError when not runnable) or a Snippet the caller has already vetted."""
    if isinstance(snippet, str):
        snippet = (library or SnippetLibrary.bundled()).runnable_snippet(snippet, deck_id)
    if getattr(snippet, "kind", "exercise") != "exercise":
        return GradeResult(snippet.id, "error", (), message=f"{snippet.id} is a demonstration: there is no answer "
                                                            "to grade; run it instead")
    request = GradeRequest(snippet=snippet.to_request(), code=code, seed=seed, diagnose=diagnose, timeout=timeout)
    try:
        reply = (runner or shared_runner()).request(request)
    except WorkerError as error:
        return GradeResult(snippet.id, "error", (), message=str(error))
    if not isinstance(reply, GradeReply):
        return GradeResult(snippet.id, "error", (), message=getattr(reply, "error", "the worker gave no result"))
    return reply


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
