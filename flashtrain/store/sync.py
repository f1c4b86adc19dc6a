"""What the import use case (services/imports.py) and the Anki importer share at the store level:
a card's row values, its identity by question, the kept-edit message, and a deck read back out.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from flashtrain.deck.model import CardSpec, DeckSpec
from flashtrain.deck.sources import ANKI_SUFFIXES, BUNDLED_PREFIX, DECK_SUFFIXES, ImportReport  # noqa: F401 - shared names
from flashtrain.store.models import Card, Deck

KEPT_APP_EDIT = ("this card was edited in the app since the last import; your edit is kept and the file's "
                 "version was not applied (import with --prefer-file to take the file's version)")


def question_key(question: str, kind: str, cloze_index: int) -> str:
    return CardSpec(question=question, answer="", kind=kind, cloze_index=cloze_index).key


def card_values(card: CardSpec, deck_id: int, source_id: int, now) -> dict:
    return dict(deck_id=deck_id, source_id=source_id, source_line=card.line, key=card.key, kind=card.kind,
                cloze_index=card.cloze_index, explicit_id=card.explicit_id, question=card.question,
                answer=card.answer, tags=list(card.tags), hints=list(card.hints), snippet_id=card.snippet,
                content_hash=card.content_hash, created_at=now, updated_at=now, retired_at=None)


# -- reading decks back out -----------------------------------------------------------------------
def deck_spec_from_store(session: Session, deck: Deck) -> DeckSpec:
    """The active cards of a deck as a DeckSpec, in file order, for the exporters."""
    rows = session.scalars(select(Card).where(Card.deck_id == deck.id, Card.retired_at.is_(None))
                           .order_by(Card.source_id, Card.source_line, Card.cloze_index, Card.id))
    cards = tuple(CardSpec(question=row.question, answer=row.answer, line=row.source_line, tags=tuple(row.tags),
                           explicit_id=row.explicit_id, hints=tuple(row.hints), snippet=row.snippet_id,
                           kind=row.kind, cloze_index=row.cloze_index) for row in rows)
    return DeckSpec(name=deck.name, cards=cards, description=deck.description, tags=tuple(deck.tags))
