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

from flashtrain.deck.note import note_key
from flashtrain.services import answer_queries as aq
from flashtrain.services import study_db as sdb

SIBLING_UNDO_PREFIX = "study.sibling_undo."  # + log id -> {"cards": [[id, buried_until before], ...]}


def sibling_cards(db: sdb.Db, card: dict) -> list[tuple[int, datetime | None]]:
    """(id, buried until) of the card's siblings: same deck, same note key, not retired."""
    base = note_key(card["key"])
    if not base:
        return []
    return [(card_id, buried) for card_id, key, buried in aq.note_cards(db, card["deck_id"], card["id"], base, card["key"])
            if note_key(key) == base]


def bury_siblings(db: sdb.Db, card: dict, until: datetime, log_id: int) -> list[int]:
    """Bury the card's siblings until `until` (unless already buried longer); returns their ids."""
    changed = [(card_id, buried.isoformat() if buried is not None else None)
               for card_id, buried in sibling_cards(db, card) if buried is None or buried < until]
    if changed:
        aq.bury_cards(db, [card_id for card_id, _ in changed], until)
        aq.put_setting(db, f"{SIBLING_UNDO_PREFIX}{log_id}", {"cards": changed})
    return [card_id for card_id, _ in changed]


def unbury_for_log(db: sdb.Db, log_id: int) -> list[int]:
    """Undo the burial a rating made; returns the card ids put back."""
    memo = aq.take_setting(db, f"{SIBLING_UNDO_PREFIX}{log_id}")
    if memo is None:
        return []
    restored = []
    for card_id, previous in memo.get("cards", []):
        if aq.set_card_flags(db, card_id, buried_until=datetime.fromisoformat(previous) if previous else None):
            restored.append(card_id)
    return restored
