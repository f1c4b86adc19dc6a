"""When the store cannot do what we ask: say why in one line, and wait out a busy store.

A learner's write (a rating, an undo, an edit, a setting, an attempt) goes through
`retry_while_busy`: another process holding the write lock (an import, a second study session) is
waited for, for longer than any single transaction of ours holds it. Every other failure to write
(disk full, read-only file or mount, damaged file, server gone) becomes `StoreUnavailable`, whose
message is one line a learner can act on; the study service then keeps the rating in its journal.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import time
from typing import Callable, TypeVar

# sqlalchemy.exc is looked up in sys.modules, never imported here: an error can only be
# SQLAlchemy's if SQLAlchemy is loaded, and the study app's start-up path runs before it is (its
# queries go to sqlite3 directly, whose errors count as store trouble too).

T = TypeVar("T")

# Longest any transaction of ours holds the write lock is well under a second (imports commit in
# bounded batches); a learner's write waits this long before it is kept in the journal instead.
DEFAULT_WAIT_SECONDS = 60.0
WAIT_ENV = "FLASHTRAIN_STORE_WAIT"  # seconds; tests and impatient users can shorten the wait


class StoreUnavailable(Exception):
    """The store cannot take (or give) data now. str() is one line: what happened and what to do."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # busy | full | read-only | damaged | gone | io


class StoreDamaged(StoreUnavailable):
    def __init__(self, message: str) -> None:
        super().__init__("damaged", message)


DAMAGED_ADVICE = ("; nothing was written. `flashtrain store backups` lists backups to bring back with "
                  "`flashtrain store restore NAME`; `flashtrain store recover` salvages what is readable")


def store_wait_seconds() -> float:
    try:
        return max(float(os.environ.get(WAIT_ENV, DEFAULT_WAIT_SECONDS)), 0.0)
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def kind_of(error: BaseException) -> str | None:
    """Which store trouble an exception is, or None if it is not one (a bug, bad input...)."""
    orig = getattr(error, "orig", None) or error
    text = str(orig).lower()
    sqlite_name = getattr(orig, "sqlite_errorname", "") or ""
    if "locked" in text or "busy" in text or sqlite_name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return "busy"
    if "disk is full" in text or sqlite_name == "SQLITE_FULL" or "no space left" in text:
        return "full"
    if "readonly" in text or "read-only" in text or sqlite_name.startswith("SQLITE_READONLY"):
        return "read-only"
    if "malformed" in text or "not a database" in text or sqlite_name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return "damaged"
    if "disk i/o error" in text or sqlite_name.startswith("SQLITE_IOERR") or "unable to open database" in text:
        return "io"
    exc = sys.modules.get("sqlalchemy.exc")
    if exc is None:
        return None
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return "gone"
    if isinstance(error, exc.OperationalError):  # PostgreSQL: server closed the connection, refused, ...
        return "gone" if ("connection" in text or "server" in text) else "io"
    return None


def is_database_error(error: BaseException) -> bool:
    """An error raised by the store's driver (sqlite3) or by SQLAlchemy, as opposed to a bug."""
    if isinstance(error, sqlite3.Error):
        return True
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(error, exc.SQLAlchemyError)


REASONS = {
    "busy": "the store is locked by another flashtrain process",
    "full": "the disk holding the store is full",
    "read-only": "the store is read-only (file permissions or a read-only disk)",
    "damaged": "the store file is damaged",
    "io": "the store cannot be read or written (input/output error)",
    "gone": "the store's database server cannot be reached",
}


def driver_reason(error: BaseException) -> str:
    """The driver's own words on one line, password masked: libpq breaks its messages with a newline
    and a tab ("...failed: Connection refused\n\tIs the server running on that host...")."""
    from flashtrain.store.location import mask_password

    text = mask_password(str(getattr(error, "orig", None) or error))
    text = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text, flags=re.IGNORECASE)
    return " ".join(text.split())


def unavailable(error: BaseException, where: str = "") -> StoreUnavailable:
    kind = kind_of(error) or "io"
    prefix = f"{where}: " if where else ""
    message = f"{prefix}{REASONS[kind]} ({driver_reason(error)})"
    return StoreDamaged(message + DAMAGED_ADVICE) if kind == "damaged" else StoreUnavailable(kind, message)


def retry_while_busy(work: Callable[[], T], wait: float | None = None, where: str = "") -> T:
    """Run `work` (one whole unit of work), again from the start while the store is busy.

    Gives up after `wait` seconds (default FLASHTRAIN_STORE_WAIT or 60 s); any other store failure
    is not retried. Both become StoreUnavailable; other exceptions pass through unchanged."""
    deadline = time.monotonic() + (store_wait_seconds() if wait is None else wait)
    pause = 0.02
    while True:
        try:
            return work()
        except Exception as error:
            if not is_database_error(error):
                raise
            kind = kind_of(error)
            if kind is None:
                raise
            if kind == "busy" and time.monotonic() < deadline:
                time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
                pause = min(pause * 2, 0.5)
                continue
            raise unavailable(error, where) from error
