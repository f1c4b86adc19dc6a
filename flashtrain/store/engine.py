"""Engine and session factory. Made once at start-up and passed in; nothing here runs at import."""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from flashtrain.store.pragmas import BUSY_TIMEOUT_MS, sqlite_pragmas  # noqa: F401 - BUSY_TIMEOUT_MS: for its readers
from flashtrain.store.location import CONNECTION_OPTIONS, StoreLocation, require_driver, store_location


def is_read_only(location: StoreLocation) -> bool:
    """An existing SQLite store we may not write: read-only file, folder or mount (root too: EROFS)."""
    path = location.path
    return path is not None and path.exists() and not os.access(path, os.W_OK)


def make_engine(where: str | Path | StoreLocation, read_only: bool | None = None) -> Engine:
    """An engine for a path or URL: SQLite with flashtrain's pragmas, or PostgreSQL through psycopg."""
    location = where if isinstance(where, StoreLocation) else store_location(where)
    if location.is_server:
        return _postgres_engine(location)
    return _sqlite_engine(location, is_read_only(location) if read_only is None else read_only)


def _sqlite_engine(location: StoreLocation, read_only: bool = False) -> Engine:
    """A store that cannot be written is opened read-only, so reading it (decks, stats, study with
    ratings kept in the journal) still works on a read-only disk."""
    if location.path is not None and not read_only:
        location.path.parent.mkdir(parents=True, exist_ok=True)
    if read_only and location.path is not None:
        path = location.path
        # Without write access to the folder SQLite cannot make the -wal/-shm files a WAL store
        # needs; `immutable` reads the file as it is (nobody can change it on a read-only disk).
        wal_present = Path(f"{path}-wal").exists()
        immutable = "" if wal_present or os.access(path.parent, os.W_OK) else "&immutable=1"
        uri = f"file:{quote(str(path.resolve()))}?mode=ro{immutable}"
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    else:
        engine = create_engine(location.url)

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects are untyped
        sqlite_pragmas(dbapi_connection, read_only)

    return engine


def _postgres_engine(location: StoreLocation) -> Engine:
    require_driver(location)
    # libpq would wait for the OS (minutes) on an unreachable host or a silent network otherwise.
    connect_args = {name: value for name, value in CONNECTION_OPTIONS.items() if name not in location.url.query}
    # pre_ping: a server restarted since the last query costs one reconnect, not an error.
    return create_engine(location.url, connect_args=connect_args, pool_pre_ping=True)


@dataclass
class Store:
    """The opened store: one engine and its sessionmaker, passed to every service."""

    location: StoreLocation
    engine: Engine
    sessions: sessionmaker[Session]
    read_only: bool = False  # a SQLite file we may not write (read-only file, folder or disk)

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for a store on a server."""
        return self.location.path

    @property
    def shown(self) -> str:
        """The store as messages name it (password masked)."""
        return self.location.shown

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def identity(self) -> str:
        """Names this store in the rating journal and the backups: resolved file, or masked URL."""
        if self.path is not None:
            return str(self.path.resolve())
        return self.location.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that writes: commits at the end, rolls back on an exception.

        On SQLite it starts with BEGIN IMMEDIATE, so the write lock is taken before anything is
        read: two processes rating the same card cannot both read its old state (the second waits,
        then reads the first one's result). On PostgreSQL, lock the row you read-modify-write
        (with_for_update). Run it inside faults.retry_while_busy."""
        with self.sessions.begin() as session:
            if self.dialect == "sqlite":
                # pysqlite has not begun a transaction yet (it begins before the first DML), so
                # ours is the one that counts and pysqlite's commit() ends it.
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session

    def sqlite_connection(self):
        """A pooled sqlite3 connection (SQLite stores only) for services/study_queries.py; its
        `dbapi_connection` is the sqlite3 connection, close() hands it back to the pool."""
        return self.engine.raw_connection()

    def close(self) -> None:
        self.engine.dispose()


def open_store(where: str | Path | StoreLocation, migrate: bool = True, check: bool = True) -> Store:
    """Open (creating if needed) the store at a path or URL and bring its schema up to date.

    A SQLite store is checked first (store/integrity.py) and refused with StoreDamaged if damaged;
    before a migration it is backed up (store/backup.py)."""
    location = where if isinstance(where, StoreLocation) else store_location(where)
    read_only = is_read_only(location)
    engine = make_engine(location, read_only=read_only)
    try:
        if check and location.path is not None and location.path.exists() and location.path.stat().st_size:
            refuse_if_damaged(engine, location)
        if migrate:
            from flashtrain.store.migrate import current_revision, upgrade_to_head, HEAD_REVISION

            if location.path is not None and current_revision(engine) not in (None, HEAD_REVISION):
                from flashtrain.store.backup import make_backup

                make_backup(location.path, "before-upgrade")  # a migration is the riskiest write we do
            upgrade_to_head(engine)
        if migrate and location.path is not None and not read_only:
            from flashtrain.store.staging import discard_abandoned

            discard_abandoned(engine)  # cards a killed import staged: never visible, removed here
    except BaseException:
        engine.dispose()
        raise
    return Store(location, engine, sessionmaker(engine, expire_on_commit=False), read_only=read_only)


def refuse_if_damaged(engine: Engine, location: StoreLocation) -> None:
    """The quick integrity check on open: a damaged store is refused before anything writes to it."""
    from flashtrain.store.faults import DAMAGED_ADVICE, StoreDamaged
    from flashtrain.store.integrity import quick_check

    result = quick_check(engine)
    if not result.ok:
        raise StoreDamaged(f"{location.shown}: the store file is damaged ({result.summary()})" + DAMAGED_ADVICE)
