"""A learner's writes besides ratings and attempts: settings, suspend/bury/flag, card edits and retires.

Like a rating (study/service.py), each waits while another process holds the store's write lock
(faults.retry_while_busy) and, when the store cannot take it at all (disk full, read-only, server
gone), is kept in the journal (study/journal.py) with one line saying so; the next open of the store
writes it (`replay`, called from StudyService.replay_journal). Every kind here sets a value rather
than adding one, so replaying an entry twice (a crash during replay) changes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.orm import Session

from flashtrain.store.faults import StoreUnavailable, retry_while_busy
from flashtrain.store.models import Card
from flashtrain.study import journal

KINDS = ("setting", "card_flags", "card_edit", "card_retire")


@dataclass(frozen=True)
class WriteOutcome:
    result: Any = None  # what the unit of work returned, when the store took it
    kept_in: Path | None = None  # the journal file, when it did not
    notice: str | None = None  # one line for the learner in that case


def keep(store, kind: str, what: str, trouble: StoreUnavailable, **fields) -> WriteOutcome:
    """Append one entry to the journal; raises StoreUnavailable if even the journal cannot take it."""
    entry = journal.new_entry(kind, store=store.identity, **fields)
    path = journal.append(store, entry)
    return WriteOutcome(kept_in=path, notice=f"{trouble}; your {what} is kept in {path} and will be saved when "
                                             "the store can take it (next time flashtrain opens it)")


def write_or_keep(store, work: Callable[[Session], Any], kind: str, what: str, **fields) -> WriteOutcome:
    """Run `work` in one unit of work that writes; if the store cannot take it, journal `fields`."""
    try:
        return WriteOutcome(result=retry_while_busy(lambda: _in_unit(store, work), where=store.shown))
    except StoreUnavailable as trouble:
        return keep(store, kind, what, trouble, **fields)


def replay(store, entry: dict) -> None:
    """Write one journaled entry of KINDS. Raises StoreUnavailable (still cannot write: keep it),
    KeyError/ValueError (the card is gone, the entry is unreadable: reported, kept)."""
    kind = entry.get("kind")
    if kind == "setting":
        from flashtrain.services.settings import replay_setting

        retry_while_busy(lambda: _in_unit(store, lambda s: replay_setting(s, entry)))
    elif kind == "card_flags":
        retry_while_busy(lambda: _in_unit(store, lambda s: _replay_card_flags(s, entry)))
    elif kind in ("card_edit", "card_retire"):
        from flashtrain.services.card_edit import replay_edit

        retry_while_busy(lambda: replay_edit(store, entry))
    else:
        raise ValueError(f"unknown journal entry kind {kind!r}")


def _in_unit(store, work: Callable[[Session], Any]) -> Any:
    with store.write() as session:
        return work(session)


# -- suspend, bury, flag ---------------------------------------------------------------------------
CARD_FLAGS = ("suspended", "flagged", "buried_until")


def card_flags_entry(card_id: int, values: dict) -> dict:
    """Journal fields for a change of a card's flags (times as ISO text)."""
    unknown = set(values) - set(CARD_FLAGS)
    if unknown:
        raise ValueError(f"not a card flag: {sorted(unknown)}")
    return {"card_id": int(card_id),
            "values": {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}}


def _replay_card_flags(session: Session, entry: dict) -> None:
    card = session.get(Card, int(entry["card_id"]))
    if card is None:
        raise KeyError(f"no card with id {entry['card_id']}")
    for name, value in dict(entry["values"]).items():
        if name not in CARD_FLAGS:
            raise ValueError(f"not a card flag: {name!r}")
        if name == "buried_until":
            value = None if value is None else datetime.fromisoformat(value)
        setattr(card, name, bool(value) if name in ("suspended", "flagged") else value)
