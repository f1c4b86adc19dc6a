"""What every connection to a SQLite store sets first: the engine's (engine.py) and the start-up
path's plain sqlite3 ones (lite.py); and the page cache a bulk write borrows. Standard library only."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager, suppress
from typing import Iterator

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


# SQLite's default page cache is 2 MiB. A bulk import's review rows reach the review_log indexes out
# of order (a card's reviews in turn, so times jump back and forth), and once those indexes outgrow
# the cache each insert re-reads pages the write just spilled: about a tenth of the CPU of importing
# an Anki package with 200,000 reviews (`bench import --anki 20000`). The cache grows only as pages
# are used, and is given back afterwards.
BULK_WRITE_CACHE_KIB = 128 * 1024


@contextmanager
def bulk_write_cache(connection: sqlite3.Connection, kib: int = BULK_WRITE_CACHE_KIB) -> Iterator[None]:
    """A page cache of `kib` KiB on this connection for the duration, then its own size again."""
    (before,) = connection.execute("PRAGMA cache_size").fetchone()
    connection.execute(f"PRAGMA cache_size={-int(kib)}")
    try:
        yield
    finally:
        with suppress(sqlite3.Error):  # a connection that broke is not handed out again anyway
            connection.execute(f"PRAGMA cache_size={int(before)}")
