"""Review history as CSV (the file side: format, parsing, id mappings; the store side is
`flashtrain.services.history`), so a learner can bring their past from another tool and take it away again.

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
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flashtrain.scheduler.core import RATING_SCALES

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
