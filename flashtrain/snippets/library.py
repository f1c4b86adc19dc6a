"""Where snippets come from and whether they may run.

Bundled snippets (cards/snippets, shipped with flashtrain) run freely. A deck imported from
elsewhere may carry a `snippets/` folder beside its deck file; those snippets are untrusted code
and run only once the learner trusts that deck (Deck.trusted; `--trust` on the CLI). Loading a
library never executes anything (see format.py and demo_format.py).

Exercises and demonstrations share one namespace of ids (a card's `snippet: ID` may name either);
a source's `snippet` is a Snippet (an exercise) or a Demonstration (its `kind` says which)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flashtrain.paths import bundled_cards_dir
from flashtrain.snippets.demo_format import Demonstration, load_demonstrations
from flashtrain.snippets.format import Snippet, SnippetError, load_snippets, markdown_files


class UnknownSnippetError(LookupError):
    pass


class UntrustedSnippetError(PermissionError):
    """The snippet comes from an imported deck the learner has not trusted; str() says why."""


@dataclass(frozen=True)
class SnippetSource:
    snippet: Snippet | Demonstration
    origin: str  # "bundled" | "imported"
    folder: str
    deck_ids: tuple[int, ...] = ()
    deck_names: tuple[str, ...] = ()
    trusted: bool = False

    @property
    def runnable(self) -> bool:
        return self.origin == "bundled" or self.trusted

    def why_not_runnable(self) -> str | None:
        if self.runnable:
            return None
        decks = ", ".join(repr(n) for n in self.deck_names) or "an imported deck"
        how = (f"flashtrain check {self.snippet.id} --trust" if self.is_demonstration
               else f"flashtrain check {self.snippet.id} --solution FILE --trust")
        return (f"snippet {self.snippet.id!r} comes from {decks} (imported from {self.folder}); its code runs "
                f"only after you trust that deck: {how}")

    @property
    def is_demonstration(self) -> bool:
        return isinstance(self.snippet, Demonstration)


def bundled_snippets_dir() -> Path:
    return bundled_cards_dir() / "snippets"


class SnippetLibrary:
    """Snippets by id. Per deck, the deck's own folder wins over the bundled one."""

    def __init__(self, sources: list[SnippetSource], errors: list[SnippetError] | None = None) -> None:
        self.sources = sources
        self.errors = errors or []

    @classmethod
    def bundled(cls) -> SnippetLibrary:
        errors: list[SnippetError] = []
        folder = bundled_snippets_dir()
        found = _load_both([folder], errors)
        return cls([SnippetSource(s, "bundled", str(folder), trusted=True) for s in found], errors)

    @classmethod
    def from_store(cls, store) -> SnippetLibrary:
        """Bundled snippets plus the `snippets/` folders beside every imported deck's files."""
        from flashtrain.services.decks import imported_deck_files

        library = cls.bundled()
        decks_by_folder: dict[Path, list[tuple[int, str, bool]]] = {}
        for deck_file in imported_deck_files(store):
            folder = deck_file.path.parent / "snippets"
            if markdown_files(folder):
                decks_by_folder.setdefault(folder, []).append((deck_file.deck_id, deck_file.deck_name,
                                                               deck_file.trusted))
        for folder, decks in sorted(decks_by_folder.items()):
            for snippet in _load_both([folder], library.errors):
                library.sources.append(SnippetSource(
                    snippet, "imported", str(folder), deck_ids=tuple(d[0] for d in decks),
                    deck_names=tuple(d[1] for d in decks), trusted=any(d[2] for d in decks)))
        return library

    def ids(self) -> list[str]:
        return sorted({s.snippet.id for s in self.sources})

    def get(self, snippet_id: str, deck_id: int | None = None) -> SnippetSource:
        matches = [s for s in self.sources if s.snippet.id == snippet_id]
        if not matches:
            raise UnknownSnippetError(f"unknown snippet {snippet_id!r}")
        if deck_id is not None:
            for s in matches:
                if deck_id in s.deck_ids:
                    return s
        bundled = [s for s in matches if s.origin == "bundled"]
        return bundled[0] if bundled else matches[0]

    def runnable_snippet(self, snippet_id: str, deck_id: int | None = None) -> Snippet | Demonstration:
        source = self.get(snippet_id, deck_id)
        reason = source.why_not_runnable()
        if reason:
            raise UntrustedSnippetError(reason)
        return source.snippet


def _load_both(dirs, errors: list[SnippetError]) -> list[Snippet | Demonstration]:
    """Exercises and demonstrations of the folders (their file names keep them apart: demo_*.md)."""
    return [*load_snippets(dirs, errors).values(), *load_demonstrations(dirs, errors).values()]


def trust_decks(store, deck_ids) -> None:
    """Record that the learner trusts these decks' snippets (Deck.trusted)."""
    from flashtrain.services.decks import trust_decks as record_trust

    record_trust(store, deck_ids)
