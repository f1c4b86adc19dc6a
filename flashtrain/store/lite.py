"""A SQLite store opened with the standard library only, for the study app's start-up path.

`flashtrain study` on a SQLite file that needs nothing done first (schema at the current
revision, no journal to replay, decks present: see study/quickstart.py) shows its first card from
a `LiteStore`: plain sqlite3 connections with the same pragmas as the engine's (a small pool: one
per unit of work running at a time), which services/study_queries.py runs its SQL on. The SQLAlchemy `Store` is made behind it on first
need (`full()`, or any attribute only a Store has: `sessions`, `engine`, `write`, `location`), after
the first card is on screen; the study service never needs it to show, rate or undo a card.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Callable


class _Borrowed:
    """What study_queries borrows: the connection, and close() to give it back (rolled back)."""

    def __init__(self, connection: sqlite3.Connection, pool: list[sqlite3.Connection], lock: threading.Lock) -> None:
        self.dbapi_connection = connection
        self._pool, self._lock = pool, lock

    def close(self) -> None:
        if self.dbapi_connection.in_transaction:
            self.dbapi_connection.rollback()
        with self._lock:
            self._pool.append(self.dbapi_connection)


class LiteStore:
    dialect = "sqlite"
    read_only = False  # quickstart only opens stores it may write

    def __init__(self, path: Path, open_full: Callable[[], object]) -> None:
        self.path = Path(path)
        self._open_full = open_full
        self._full = None
        self._full_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []  # connections back from their borrowers
        self._idle_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []

    @property
    def shown(self) -> str:
        return str(self.path)

    @property
    def identity(self) -> str:
        return str(self.path.resolve())

    def sqlite_connection(self) -> _Borrowed:
        """A connection for one unit of work (any thread; the study app's workers come and go):
        an idle one, or a new one with the engine's pragmas. close() hands it back."""
        with self._idle_lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            from flashtrain.store.pragmas import sqlite_pragmas

            connection = sqlite3.connect(self.path, check_same_thread=False)
            sqlite_pragmas(connection, read_only=False)
            with self._idle_lock:
                self._connections.append(connection)
        return _Borrowed(connection, self._idle, self._idle_lock)

    def full(self):
        """The SQLAlchemy Store of the same file, opened once (thread-safe)."""
        with self._full_lock:
            if self._full is None:
                self._full = self._open_full()
            return self._full

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.full(), name)

    def close(self) -> None:
        for connection in self._connections:
            connection.close()
        self._connections.clear()
        if self._full is not None:
            self._full.close()
