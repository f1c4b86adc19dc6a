"""Code-backed cards, the app's side: snippet files, the library, and the typed doors to the check
worker (grading an answer, running a demonstration). Headless (no textual).

Split by process: this package runs in the app; `worker/` is the separate check worker process
(it forks the sandboxed children); `protocol.py` is the one typed protocol between the two.

Public API (loaded lazily, so importing the package costs nothing until a name is used): grade,
suggest_rating, GradeResult, CheckResult, run_demo, DemoRun, Claim, SnippetLibrary, load_snippets,
parse_snippet, Snippet, SnippetError, UntrustedSnippetError, UnknownSnippetError, shared_runner.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "Mutant": "format", "Snippet": "format", "SnippetError": "format", "load_snippets": "format",
    "parse_snippet": "format",
    "CheckResult": "grading", "GradeResult": "grading", "grade": "grading", "suggest_rating": "grading",
    "DemoRun": "demos", "Claim": "demos", "run_demo": "demos",
    "SnippetLibrary": "library", "SnippetSource": "library", "UnknownSnippetError": "library",
    "UntrustedSnippetError": "library", "trust_decks": "library",
    "Runner": "runner", "WorkerError": "runner", "shared_runner": "runner",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
