"""Review history in the store: export it as CSV, import another tool's (or our own) CSV.

The CSV format, its parsing and the rules for matching rows to cards are described in
`flashtrain.study.history`; this module reads and writes the store.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from flashtrain.scheduler import core
from flashtrain.scheduler.core import MemoryState, SchedulerConfig
from flashtrain.services.settings import load_settings
from flashtrain.store.models import Card, Deck, ReviewLog
from flashtrain.study.history import (EXPORT_COLUMNS, FSRS_RATING, FSRS_STATE, STORE_ID_KEY, UNKNOWN_LINES_SHOWN,
                                      HistoryError, HistoryRow, parse_history, read_mapping)
from flashtrain.study.service import card_sides, write_state


@dataclass
class ImportSummary:
    path: str
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    unknown: int = 0
    unknown_lines: list[int] = field(default_factory=list)
    cards_rebuilt: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)



# -- export ---------------------------------------------------------------------------------------
def store_identity(s: Session) -> str:
    """This store's id, made on first use: a history file that carries it may be matched by card_id."""
    import uuid

    from flashtrain.store.models import Setting

    value = s.get(Setting, STORE_ID_KEY)
    if value is None:
        value = Setting(key=STORE_ID_KEY, value=uuid.uuid4().hex)
        s.add(value)
        s.flush()
    return str(value.value)


def export_history(store, out: TextIO) -> int:
    """Write every study/imported review, oldest first. Returns the number of rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    with store.sessions.begin() as s:
        identity = store_identity(s)
        rows = s.execute(select(ReviewLog.card_id, ReviewLog.reviewed_at, ReviewLog.rating, ReviewLog.duration_ms,
                                Deck.name, Card.kind, Card.question, Card.answer, Card.cloze_index,
                                ReviewLog.state_before)
                         .join(Card, Card.id == ReviewLog.card_id).join(Deck, Deck.id == Card.deck_id)
                         .where(ReviewLog.origin != "cram").order_by(ReviewLog.reviewed_at, ReviewLog.id))
        for card_id, when, rating, duration, deck, kind, question, answer, cloze_index, before in rows:
            front, _ = card_sides(kind, question, answer, cloze_index)
            duration_text = "" if duration is None else duration
            writer.writerow([card_id, when.astimezone(timezone.utc).isoformat(), rating, duration_text, deck, front,
                             identity, FSRS_RATING[rating], FSRS_STATE.get((before or {}).get("phase", "new"), 0),
                             duration_text])
            count += 1
    return count


# -- matching -------------------------------------------------------------------------------------
class CardMatcher:
    """Finds our card for a CSV row: exact question (front or raw), a mapped question, then our card id
    when the row comes from this store. `match` returns None for a question no card has, and raises
    HistoryError for a card_id it cannot trust."""

    def __init__(self, s: Session, deck_id: int | None, use_questions: bool, path: str = "",
                 mapping: dict[str, str] | None = None) -> None:
        query = select(Card.id, Card.deck_id, Card.kind, Card.question, Card.answer, Card.cloze_index)
        if deck_id is not None:
            query = query.where(Card.deck_id == deck_id)
        self.path = path
        self.mapping = mapping or {}
        self.store_id = store_identity(s)
        self.ids: set[int] = set()
        self.deck_of: dict[int, int] = {}
        self.by_text: dict[str, set[int]] = defaultdict(set)
        use_questions = use_questions or bool(self.mapping)
        for card_id, card_deck, kind, question, answer, cloze_index in s.execute(query):
            self.ids.add(card_id)
            self.deck_of[card_id] = card_deck
            if use_questions:
                self.by_text[question.strip()].add(card_id)
                self.by_text[card_sides(kind, question, answer, cloze_index)[0].strip()].add(card_id)
        self.deck_ids = {name: i for i, name in s.execute(select(Deck.name, Deck.id))}

    def match(self, row: HistoryRow) -> int | None:
        own_id = int(row.card_ref) if row.card_ref.isascii() and row.card_ref.isdigit() else None
        ours = row.store_id == self.store_id
        question = row.question or self.mapping.get(row.card_ref)
        if question:
            candidates = self.by_text.get(question.strip(), set())
            if len(candidates) > 1 and row.deck in self.deck_ids:
                in_deck = {c for c in candidates if self.deck_of[c] == self.deck_ids[row.deck]}
                candidates = in_deck or candidates
            if len(candidates) == 1:
                return next(iter(candidates))
            if ours and own_id in candidates:
                return own_id
            return None
        if ours:
            return own_id if own_id in self.ids else None
        where = "another store" if row.store_id else "another tool"
        raise HistoryError(self.path, row.line, f"card_id {row.card_ref!r} comes from {where} (the file has no "
                           "store_id of this store), so it cannot be matched safely; add a 'question' column with "
                           "each card's question, or pass --map FILE (a CSV with card_id and question columns)")


# -- import ---------------------------------------------------------------------------------------
def import_history(store, path: str | Path, scale: str | None = None, deck_name: str | None = None,
                   config: SchedulerConfig | None = None, mapping_path: str | Path | None = None) -> ImportSummary:
    """Import a history CSV in one transaction (see the module docstring). Raises HistoryError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise HistoryError(str(path), 1, f"expected a readable UTF-8 CSV file: {error}") from None
    rows = parse_history(text, str(path), scale)
    summary = ImportSummary(path=str(path), rows=len(rows))
    with store.sessions.begin() as s:
        if config is None:
            config = load_settings(s).scheduler_config()
        deck_id = None
        if deck_name is not None:
            deck_id = s.scalar(select(Deck.id).where(Deck.name == deck_name))
            if deck_id is None:
                raise HistoryError(str(path), 1, f"expected --deck to name an existing deck; no deck {deck_name!r}")
        mapping = read_mapping(mapping_path) if mapping_path else None
        matcher = CardMatcher(s, deck_id, use_questions=any(r.question for r in rows), path=str(path),
                              mapping=mapping)
        new_rows: dict[int, dict[datetime, HistoryRow]] = defaultdict(dict)
        for row in rows:
            card_id = matcher.match(row)
            if card_id is None:
                summary.unknown += 1
                if len(summary.unknown_lines) < UNKNOWN_LINES_SHOWN:
                    summary.unknown_lines.append(row.line)
            elif row.reviewed_at in new_rows[card_id]:
                summary.duplicates += 1
            else:
                new_rows[card_id][row.reviewed_at] = row
        existing_logs: dict[int, list[ReviewLog]] = defaultdict(list)
        card_ids = sorted(new_rows)
        for start in range(0, len(card_ids), 500):  # stay under SQLite's bound-parameter limit
            for log in s.scalars(select(ReviewLog).where(ReviewLog.card_id.in_(card_ids[start:start + 500]))):
                existing_logs[log.card_id].append(log)
        for card_id, by_time in new_rows.items():
            existing = existing_logs[card_id]
            known = {log.reviewed_at for log in existing}
            fresh = [r for when, r in by_time.items() if when not in known]
            summary.duplicates += len(by_time) - len(fresh)
            if not fresh:
                continue
            added = [ReviewLog(card_id=card_id, reviewed_at=r.reviewed_at, rating=r.rating,
                               duration_ms=r.duration_ms, origin="imported") for r in fresh]
            s.add_all(added)
            summary.imported += len(added)
            replay_card(s, card_id, list(existing) + added, config)
            summary.cards_rebuilt += 1
    return summary


def replay_card(s: Session, card_id: int, logs: list[ReviewLog], config: SchedulerConfig) -> MemoryState:
    """Recompute every log row's states and the card's state from its full history, oldest first."""
    state = MemoryState()
    for log in sorted(logs, key=lambda log: (log.reviewed_at, log.id or 0)):
        after, record = core.review(state, log.rating, log.reviewed_at, config)
        log.elapsed_days = record.elapsed_days
        log.state_before = state.to_dict()
        if log.origin == "cram":  # drills never moved the schedule
            log.state_after = log.state_before
            continue
        log.state_after = after.to_dict()
        state = after
    write_state(s, card_id, state)
    return state
