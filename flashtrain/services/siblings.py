"""Sibling burying: the other cards of a note wait until the next study day once one is studied.

Siblings are the cards one note makes: the reversed twin of a card and the other gaps of a cloze
note. They share the note's key (`deck.writeback.note_key`: the card key before its `#` part) and
deck. Seeing one right after the other would test reading, not memory; Anki buries them until the
next day by default, and so do we (setting `bury_siblings`, on by default).

The burial is recorded per rating (one settings row keyed by the review-log id, like the leech
memo) so that undoing the rating un-buries exactly the cards it buried.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from flashtrain.deck.writeback import note_key
from flashtrain.store.models import Card, Setting, utcnow

SIBLING_UNDO_PREFIX = "study.sibling_undo."  # + log id -> {"cards": [[id, buried_until before], ...]}


def sibling_ids(s: Session, card: Card) -> list[int]:
    base = note_key(card.key)
    if not base:
        return []
    rows = s.execute(select(Card.id, Card.key).where(
        Card.deck_id == card.deck_id, Card.id != card.id, Card.retired_at.is_(None),
        or_(Card.key == base, Card.key.startswith(base + "#", autoescape=True))))
    return [card_id for card_id, key in rows if note_key(key) == base]


def bury_siblings(s: Session, card: Card, until: datetime, log_id: int) -> list[int]:
    """Bury the card's siblings until `until` (unless already buried longer); returns their ids."""
    changed = []
    for sibling in s.scalars(select(Card).where(Card.id.in_(sibling_ids(s, card)))):
        if sibling.buried_until is not None and sibling.buried_until >= until:
            continue
        previous = sibling.buried_until.isoformat() if sibling.buried_until is not None else None
        sibling.buried_until = until
        changed.append((sibling.id, previous))
    if changed:
        s.add(Setting(key=f"{SIBLING_UNDO_PREFIX}{log_id}", value={"cards": changed}, updated_at=utcnow()))
    return [card_id for card_id, _ in changed]


def unbury_for_log(s: Session, log_id: int) -> list[int]:
    """Undo the burial a rating made; returns the card ids put back."""
    memo = s.get(Setting, f"{SIBLING_UNDO_PREFIX}{log_id}")
    if memo is None:
        return []
    restored = []
    for card_id, previous in (memo.value or {}).get("cards", []):
        card = s.get(Card, card_id)
        if card is not None:
            card.buried_until = datetime.fromisoformat(previous) if previous else None
            restored.append(card_id)
    s.delete(memo)
    return restored
