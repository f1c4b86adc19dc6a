"""Review history as CSV, so a learner can bring their past from another tool and take it away again.

Export columns: card_id, review_time (ISO-8601 UTC with zone), rating (1..5), duration_ms, deck,
question (the front as shown: cloze gap and reversed side resolved), store_id (this store's
identity, which lets card_id be trusted on re-import), and the FSRS ecosystem's columns beside ours:
review_rating (1..4: our 1, 2, 3, 4, 5 become Again, Hard, Good, Good, Easy), review_state (the
card's state before the review: 0 new, 1 learning, 2 review, 3 relearning) and review_duration (ms).
Drill ("cram") ratings are not exported: they never changed the schedule, and re-importing them would.

Import reads any CSV whose header holds card_id, review_time (ISO-8601 with a zone) and rating (or
review_rating); duration_ms (or review_duration) is kept when it is a whole number, other columns are
ignored. A row lands on a card only when that is certain:
- by its exact `question` (front or raw question) when that column exists - the deck column, --deck
  and card_id break ties;
- by a mapping file (`--map FILE`: a CSV with card_id and question columns) naming the question of
  another tool's card ids;
- by our card id only when the row's store_id is this store's (the file came from `history export`
  of this store); another tool's card ids are refused with FILE:LINE, never guessed.
Ratings: a file whose ratings are all 1..4 is refused unless --scale says whether they are Anki's
(`--scale anki`) or our confidence grades (`--scale confidence`); a file written by `history export`
(it has a store_id column) is on our scale.
Unmatched question rows are counted and skipped. The whole file is checked before anything is
written; the first bad row stops the import with FILE:LINE. Rows whose card and time are already in
the log are skipped, so importing a file twice adds nothing. Every touched card's history is
replayed through the scheduler to rebuild its state (leech detection is not replayed).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from flashtrain.scheduler import core
from flashtrain.scheduler.core import RATING_SCALES, MemoryState, SchedulerConfig
from flashtrain.store.models import Card, Deck, ReviewLog
from flashtrain.study.service import card_sides, write_state
from flashtrain.study.settings import load_settings

EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
MAX_DURATION_MS = 86_400_000
EXPORT_COLUMNS = ("card_id", "review_time", "rating", "duration_ms", "deck", "question", "store_id",
                  "review_rating", "review_state", "review_duration")
# Our five grades onto the FSRS ecosystem's four (py-fsrs Rating, srs-benchmark review_rating).
FSRS_RATING = {1: 1, 2: 2, 3: 3, 4: 3, 5: 4}
FSRS_STATE = {"new": 0, "learning": 1, "review": 2, "relearning": 3}
STORE_ID_KEY = "store_id"
UNKNOWN_LINES_SHOWN = 5


class HistoryError(ValueError):
    """A CSV row that cannot be imported; str() is `FILE:LINE: what was expected`."""

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: error: {message}")


@dataclass(frozen=True)
class HistoryRow:
    line: int
    card_ref: str
    reviewed_at: datetime
    rating: int
    duration_ms: int | None
    deck: str | None
    question: str | None
    store_id: str | None = None


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


# -- parsing ----------------------------------------------------------------------------------------
def _column(header: list[str], *names: str) -> str | None:
    for name in names:
        if name in header:
            return name
    return None


def parse_history(text: str, path: str, scale: str | None = "confidence") -> list[HistoryRow]:
    """All rows of a history CSV, or HistoryError at the first bad one.

    With `scale=None` the file must say its scale: a store_id column (our export) or a 5 somewhere
    means confidence grades; ratings that are all 1..4 are refused, naming --scale.
    """
    if scale is not None and scale not in RATING_SCALES:
        raise HistoryError(path, 1, f"unknown rating scale {scale!r}; expected one of {', '.join(RATING_SCALES)}")
    mapping = RATING_SCALES[scale or "confidence"]
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise HistoryError(path, 1, "expected a header line with card_id, review_time and rating") from None
    except csv.Error as error:
        raise HistoryError(path, 1, f"expected CSV: {error}") from None
    names = [h.strip().lower() for h in header]
    card_col = _column(names, "card_id")
    time_col = _column(names, "review_time")
    rating_col = _column(names, "rating", "review_rating")
    missing = [label for label, col in (("card_id", card_col), ("review_time", time_col),
                                        ("rating (or review_rating)", rating_col)) if col is None]
    if missing:
        raise HistoryError(path, 1, f"expected a header with card_id, review_time and rating; missing "
                                    f"{', '.join(missing)}")
    index = {name: i for i, name in reversed(list(enumerate(names)))}
    duration_col = _column(names, "duration_ms", "review_duration")
    deck_col = _column(names, "deck")
    question_col = _column(names, "question")
    store_col = _column(names, "store_id")

    rows: list[HistoryRow] = []
    latest = datetime.now(timezone.utc) + timedelta(days=1)
    last_line = reader.line_num
    while True:
        start = last_line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise HistoryError(path, start, f"expected a well-formed CSV row: {error}") from None
        last_line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue

        def cell(name: str | None) -> str | None:
            if name is None or index[name] >= len(record):
                return None
            return record[index[name]].strip()

        card_ref = cell(card_col)
        if not card_ref:
            raise HistoryError(path, start, "expected a card_id")
        raw_time = cell(time_col)
        if not raw_time:
            raise HistoryError(path, start, "expected a review_time (ISO-8601 with a zone)")
        try:
            when = datetime.fromisoformat(raw_time)
        except ValueError:
            raise HistoryError(path, start, f"expected review_time in ISO-8601 with a zone, e.g. "
                                            f"2024-03-29T20:32:32+00:00; got {raw_time!r}") from None
        if when.tzinfo is None or when.utcoffset() is None:
            raise HistoryError(path, start, f"expected review_time with a zone (Z or +HH:MM); got {raw_time!r}")
        try:
            when = when.astimezone(timezone.utc)
        except OverflowError:  # year 1 or 9999 with an offset that leaves the calendar
            when = EARLIEST - timedelta(days=1)
        if not EARLIEST <= when <= latest:
            raise HistoryError(path, start, f"expected a review_time between 1970 and tomorrow; got {raw_time!r} "
                                            "(a review in the future would hide its card until then)")
        raw_rating = cell(rating_col)
        try:
            value = int(raw_rating or "") if (raw_rating or "").isascii() else None
        except ValueError:
            value = None
        if value not in mapping:
            allowed = f"{min(mapping)}..{max(mapping)}"
            raise HistoryError(path, start, f"expected a rating {allowed} (--scale {scale}); got {raw_rating!r}")
        duration = cell(duration_col)
        duration_ms = int(duration) if duration and duration.isascii() and duration.isdigit() else None
        if duration_ms is not None and duration_ms > MAX_DURATION_MS:
            raise HistoryError(path, start, f"expected duration_ms at most {MAX_DURATION_MS} (one day); got {duration!r}")
        rows.append(HistoryRow(line=start, card_ref=card_ref, reviewed_at=when,
                               rating=mapping[value],
                               duration_ms=duration_ms,
                               deck=cell(deck_col) or None, question=cell(question_col) or None,
                               store_id=cell(store_col) or None))
    if scale is None and store_col is None and rows and all(row.rating <= 4 for row in rows):
        raise HistoryError(path, rows[0].line, "every rating is 1..4: say which scale they are on with --scale anki "
                                               "(Again, Hard, Good, Easy) or --scale confidence (flashtrain's 1..5)")
    return rows


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


def read_mapping(path: str | Path) -> dict[str, str]:
    """A --map file: card_id -> the question of our card it means."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise HistoryError(str(path), 1, f"expected a readable UTF-8 CSV mapping file: {error}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = [name.strip().lower() for name in reader.fieldnames or []]
    if "card_id" not in fields or "question" not in fields:
        raise HistoryError(str(path), 1, "expected a mapping header with card_id and question columns")
    reader.fieldnames = fields
    mapping = {}
    for record in reader:
        card_id, question = (record.get("card_id") or "").strip(), (record.get("question") or "").strip()
        if not card_id or not question:
            raise HistoryError(str(path), reader.line_num, "expected a card_id and a question on every line")
        mapping[card_id] = question
    return mapping


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
