"""The study app's only door to flashtrain.snippets: find a snippet, check trust, grade an answer.

Kept in one place so the screens never depend on the snippet package's internals.
Grading runs in the snippets runner's sandboxed worker process, never in the app's process.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from flashtrain.store.models import Deck


@dataclass(frozen=True)
class SnippetView:
    id: str
    title: str
    starter: str
    reference: str
    hints: tuple[str, ...]


class SnippetBridge:
    def __init__(self, store) -> None:
        self.store = store
        self._snippets: dict | None = None

    def _all(self) -> dict:
        if self._snippets is None:
            from flashtrain.snippets import library

            self._snippets = library.all_snippets()
        return self._snippets

    def snippet(self, snippet_id: str) -> SnippetView | None:
        found = self._all().get(snippet_id)
        if found is None:
            return None
        return SnippetView(found.id, found.title, found.starter, found.reference, tuple(found.hints))

    def deck_needs_trust(self, deck_id: int) -> tuple[bool, str]:
        """(True, deck name) when the deck's code must not run until the learner trusts it."""
        with self.store.sessions() as session:
            deck = session.get(Deck, deck_id)
            if deck is None:
                return False, ""
            return (deck.origin != "bundled" and not deck.trusted), deck.name

    def trust_deck(self, deck_id: int) -> None:
        with self.store.sessions.begin() as session:
            deck = session.get(Deck, deck_id)
            if deck is not None:
                deck.trusted = True

    def grade(self, snippet_id: str, code: str) -> dict:
        """Grade `code` against the snippet's checks; the result as plain data (GradeResult.to_dict())."""
        from flashtrain.snippets import grade

        return grade(snippet_id, code).to_dict()

    def deck_names(self) -> list[str]:
        with self.store.sessions() as session:
            return list(session.scalars(select(Deck.name)))
