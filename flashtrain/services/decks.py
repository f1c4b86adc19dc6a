"""Decks as the CLI and screens see them: names, counts, lookup by name, snippet links.

One definition of a new card for every count: an active card with no scheduler state yet
(`is_new`). Whether it can be studied right now (suspended, buried) is a separate question that
the counts answer separately.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import func, select

from flashtrain.store.models import Card, CardState, Deck, SourceFile


def is_new():
    """SQL condition for 'new card' (needs CardState outer-joined on the card): never rated."""
    return CardState.card_id.is_(None)


@dataclass(frozen=True)
class DeckCounts:
    name: str
    origin: str
    trusted: bool
    cards: int  # active (not retired)
    new: int  # active and never rated (suspended ones included; they are still new)
    suspended: int
    retired: int
    code_backed: int

    def to_dict(self) -> dict:
        return asdict(self)


def deck_counts(store) -> list[DeckCounts]:
    """Every deck with its card counts, by name."""
    active = Card.retired_at.is_(None)
    with store.sessions() as session:
        rows = session.execute(
            select(Deck.name, Deck.origin, Deck.trusted,
                   func.count(Card.id).filter(active),
                   func.count(Card.id).filter(active, is_new()),
                   func.count(Card.id).filter(active, Card.suspended),
                   func.count(Card.id).filter(Card.retired_at.is_not(None)),
                   func.count(Card.id).filter(active, Card.snippet_id.is_not(None)))
            .outerjoin(Card, Card.deck_id == Deck.id).outerjoin(CardState, CardState.card_id == Card.id)
            .group_by(Deck.id).order_by(Deck.name)).all()
    return [DeckCounts(name, origin, bool(trusted), cards, new, suspended, retired, code)
            for name, origin, trusted, cards, new, suspended, retired, code in rows]


def deck_specs(store, name: str | None = None) -> list:
    """Every deck (or the one named exactly `name`) as a DeckSpec, ready for an exporter."""
    from flashtrain.store.sync import deck_spec_from_store

    with store.sessions() as session:
        query = select(Deck).order_by(Deck.name)
        if name:
            query = query.where(Deck.name == name)
        return [deck_spec_from_store(session, deck) for deck in session.scalars(query)]


def has_decks(store) -> bool:
    """False for a store nothing was ever imported into (first use)."""
    with store.sessions() as session:
        return session.scalar(select(Deck.id).limit(1)) is not None


def deck_choices(store) -> list[tuple[str, int]]:
    """(name, id) of every deck, by name: what a deck picker offers."""
    with store.sessions() as session:
        return [(name, deck_id) for deck_id, name in session.execute(select(Deck.id, Deck.name).order_by(Deck.name))]


@dataclass(frozen=True)
class DeckLookup:
    ids: tuple[int, ...]  # empty when no deck has that name
    known: tuple[str, ...]  # every deck name, for the message when none matched


def decks_named(store, name: str) -> DeckLookup:
    """Decks whose name equals `name`, ignoring case (Python's folding, so both dialects agree)."""
    wanted = name.casefold()
    with store.sessions() as session:
        rows = session.execute(select(Deck.id, Deck.name).order_by(Deck.name)).all()
    return DeckLookup(tuple(deck_id for deck_id, deck_name in rows if deck_name.casefold() == wanted),
                      tuple(deck_name for _, deck_name in rows))


@dataclass(frozen=True)
class LinkedCard:
    card_id: int
    deck: str
    line: int
    question: str  # first line, at most 80 characters

    def to_dict(self) -> dict:
        return asdict(self)


def cards_linked_to_snippets(store) -> dict[str, list[LinkedCard]]:
    """Active cards with a snippet, grouped by snippet id, in deck and file order."""
    linked: dict[str, list[LinkedCard]] = {}
    with store.sessions() as session:
        rows = session.execute(select(Card.id, Card.snippet_id, Card.question, Card.source_line, Deck.name)
                               .join(Deck, Card.deck_id == Deck.id)
                               .where(Card.snippet_id.is_not(None), Card.retired_at.is_(None))
                               .order_by(Deck.name, Card.source_line)).all()
    for card_id, snippet_id, question, line, deck_name in rows:
        first_line = (question.strip().splitlines() or [""])[0]
        linked.setdefault(snippet_id, []).append(LinkedCard(card_id, deck_name, line, first_line[:80]))
    return linked


@dataclass(frozen=True)
class ImportedDeckFile:
    path: Path
    deck_id: int
    deck_name: str
    trusted: bool


def imported_deck_files(store) -> list[ImportedDeckFile]:
    """The files of every deck the learner imported (not the bundled ones)."""
    with store.sessions() as session:
        rows = session.execute(select(SourceFile.path, Deck.id, Deck.name, Deck.trusted)
                               .join(Deck, SourceFile.deck_id == Deck.id).where(Deck.origin != "bundled")).all()
    return [ImportedDeckFile(Path(path), deck_id, name, bool(trusted)) for path, deck_id, name, trusted in rows]


def trust_decks(store, deck_ids) -> None:
    """Record that the learner trusts these decks' snippets."""
    with store.sessions.begin() as session:
        for deck_id in deck_ids:
            deck = session.get(Deck, deck_id)
            if deck is not None:
                deck.trusted = True
