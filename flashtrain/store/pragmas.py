"""What every connection to a SQLite store sets first: the engine's (engine.py) and the start-up
path's plain sqlite3 ones (lite.py). Standard library only."""

from __future__ import annotations

import sqlite3

# A statement waits this long for another process's write lock before SQLite reports "busy"; the
# learner's writes retry on top of that (store/faults.py).
BUSY_TIMEOUT_MS = 15_000


def busy_timeout_ms() -> int:
    """SQLite's own wait, never longer than the learner's writes are meant to wait in all."""
    from flashtrain.store.faults import store_wait_seconds

    return int(min(BUSY_TIMEOUT_MS, store_wait_seconds() * 1000))


def sqlite_pragmas(connection: sqlite3.Connection, read_only: bool) -> None:
    """What every connection to a SQLite store sets first (the engine's and store/lite.py's)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    if not read_only:
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
    # WAL + NORMAL is durable across application crashes, which is what a rating needs.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()

