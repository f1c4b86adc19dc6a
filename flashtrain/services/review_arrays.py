"""The store's review log and card memory as flat numpy arrays: what the optimizer, the state
recompute and the workload simulator read (one query each; plain driver rows, no ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReviewColumns:
    """The replayable review log as flat arrays (one entry per review, by card then time)."""

    card_id: np.ndarray
    stamp: np.ndarray  # POSIX seconds
    rating: np.ndarray

    def __len__(self) -> int:
        return int(self.card_id.size)


# POSIX seconds of a stored UTC time, computed by the database (one C call per row instead of a
# Python datetime each): SQLite stores text, PostgreSQL a timestamp.
_EPOCH_SQL = {"sqlite": "(julianday({0}) - 2440587.5) * 86400.0", "postgresql": "EXTRACT(EPOCH FROM {0})"}


def epoch_sql(store, column: str) -> str:
    """SQL for the POSIX seconds of a stored UTC time column, on this store's dialect."""
    return _EPOCH_SQL.get(store.engine.dialect.name, _EPOCH_SQL["postgresql"]).format(column)


def plain_rows(store, sql: str) -> list[tuple]:
    """Rows as the driver returns them (plain tuples: numpy reads those a hundred times faster than
    SQLAlchemy Row objects)."""
    with store.engine.connect() as connection:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql)
            return cursor.fetchall()
        finally:
            cursor.close()


def load_review_columns(store) -> ReviewColumns:
    """Every study and imported rating, in storage order (pack sorts), as flat arrays."""
    rows = plain_rows(store, f"SELECT card_id, {epoch_sql(store, 'reviewed_at')}, rating FROM review_log "
                              "WHERE origin != 'cram'")
    if not rows:
        return ReviewColumns(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    table = np.array(rows, dtype=float)
    # julianday keeps about a millisecond: round so a time read back equals the one written
    return ReviewColumns(table[:, 0].astype(np.int64), np.round(table[:, 1], 3), table[:, 2].astype(np.int64))


def studied_card_memory(store) -> np.ndarray:
    """Active (not retired, not suspended) studied cards as rows of stability, difficulty, last
    review and due (POSIX seconds)."""
    rows = plain_rows(store, (
        f"SELECT s.stability, s.difficulty, {epoch_sql(store, 's.last_review')}, "
        f"{epoch_sql(store, 's.due')} FROM card_states s JOIN cards c ON c.id = s.card_id "
        f"WHERE {_ACTIVE} AND s.stability IS NOT NULL AND s.difficulty IS NOT NULL "
        "AND s.last_review IS NOT NULL AND s.due IS NOT NULL"))
    return np.array(rows, dtype=float).reshape(-1, 4)


def waiting_new_cards(store) -> int:
    """Active, never-rated cards."""
    return int(plain_rows(store, ("SELECT COUNT(*) FROM cards c LEFT JOIN card_states s ON s.card_id = c.id "
                                  f"WHERE s.card_id IS NULL AND {_ACTIVE}"))[0][0])


def timed_reviews(store) -> np.ndarray:
    """Every study and imported rating as rows of card id, time (POSIX seconds), rating and duration
    in ms (-1 when unknown), in storage order."""
    rows = plain_rows(store, (f"SELECT card_id, {epoch_sql(store, 'reviewed_at')}, rating, "
                              "COALESCE(duration_ms, -1) FROM review_log WHERE origin != 'cram'"))
    return np.array(rows, dtype=float).reshape(-1, 4)


_ACTIVE = "c.retired_at IS NULL AND c.suspended = FALSE"
