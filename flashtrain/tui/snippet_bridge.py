"""The study app's only door to flashtrain.snippets: find a snippet, check trust, grade an answer.

Kept in one place so the screens never depend on the snippet package's internals. Grading runs
in the snippets runner's sandboxed worker process, never in the app's process.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SnippetView:
    id: str
    title: str
    starter: str
    reference: str
    hints: tuple[str, ...]
    runnable: bool  # False: from an imported deck the learner has not trusted yet
    deck_names: tuple[str, ...]


@dataclass(frozen=True)
class DemoView:
    """A demonstration as the study app shows it: the program to edit and run, and what to try."""
    id: str
    title: str
    program: str
    description: str
    suggestions: tuple[str, ...]
    runnable: bool
    deck_names: tuple[str, ...]


def is_demonstration(snippet_id: str | None) -> bool:
    from flashtrain.snippets.demo_format import is_demo_id

    return bool(snippet_id) and is_demo_id(snippet_id)


class SnippetBridge:
    def __init__(self, store) -> None:
        self.store = store
        self._library = None

    @property
    def library(self):
        if self._library is None:
            from flashtrain.snippets import SnippetLibrary

            self._library = SnippetLibrary.from_store(self.store)
        return self._library

    def warm_up(self, start_runner: bool = False) -> None:
        """Load the library (and start the sandbox worker) ahead of need; call from a worker thread."""
        _ = self.library
        if start_runner:
            from flashtrain.snippets import shared_runner

            shared_runner().start()

    def snippet(self, snippet_id: str, deck_id: int | None = None) -> SnippetView | None:
        from flashtrain.snippets import UnknownSnippetError

        try:
            source = self.library.get(snippet_id, deck_id)
        except UnknownSnippetError:
            return None
        s = source.snippet
        return SnippetView(s.id, s.title, s.starter, s.reference, tuple(s.hints), source.runnable,
                           tuple(source.deck_names))

    def demo(self, snippet_id: str, deck_id: int | None = None) -> DemoView | None:
        from flashtrain.snippets import UnknownSnippetError

        try:
            source = self.library.get(snippet_id, deck_id)
        except UnknownSnippetError:
            return None
        d = source.snippet
        if not source.is_demonstration:
            return None
        return DemoView(d.id, d.title, d.program(), d.description, d.suggestions, source.runnable,
                        tuple(source.deck_names))

    def run_demo(self, snippet_id: str, program: str, deck_id: int | None = None, width: int = 60):
        """Run `program` as the demonstration's (blocks; call from a worker thread): a demos.DemoRun."""
        from flashtrain.snippets import demonstrations

        demo = self.library.runnable_snippet(snippet_id, deck_id)
        return demonstrations.run(demo, program, width=width)

    def trust(self, snippet_id: str, deck_id: int | None = None) -> None:
        from flashtrain.snippets import trust_decks

        source = self.library.get(snippet_id, deck_id)
        trust_decks(self.store, source.deck_ids or ((deck_id,) if deck_id is not None else ()))
        self._library = None  # re-read trust from the store

    def grade(self, snippet_id: str, code: str, deck_id: int | None = None):
        """Grade `code` against the snippet's checks: a GradeResult (blocks; call from a worker thread)."""
        from flashtrain.snippets import grade

        return grade(snippet_id, code, library=self.library, deck_id=deck_id)

    def suggest(self, result, hints_used: int) -> int:
        from flashtrain.snippets import suggest_rating

        return suggest_rating(result, hints_used)
