"""Code-backed cards: snippet files, the sandboxed check worker and grading. Headless (no textual).

Public API: grade, suggest_rating, GradeResult, CheckResult, SnippetLibrary, load_snippets,
parse_snippet, Snippet, SnippetError, UntrustedSnippetError, UnknownSnippetError, shared_runner.
"""

from flashtrain.snippets.format import Mutant, Snippet, SnippetError, load_snippets, parse_snippet
from flashtrain.snippets.grading import CheckResult, GradeResult, grade, suggest_rating
from flashtrain.snippets.library import (SnippetLibrary, SnippetSource, UnknownSnippetError, UntrustedSnippetError,
                                         trust_decks)
from flashtrain.snippets.runner import Runner, WorkerError, shared_runner

__all__ = ["CheckResult", "GradeResult", "Mutant", "Runner", "Snippet", "SnippetError", "SnippetLibrary",
           "SnippetSource", "UnknownSnippetError", "UntrustedSnippetError", "WorkerError", "grade",
           "load_snippets", "parse_snippet", "shared_runner", "suggest_rating", "trust_decks"]
