"""Engine and session factory. Made once at start-up and passed in; nothing here runs at import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from flashtrain.store.location import CONNECTION_OPTIONS, StoreLocation, require_driver, store_location


def make_engine(where: str | Path | StoreLocation) -> Engine:
    """An engine for a path or URL: SQLite with flashtrain's pragmas, or PostgreSQL through psycopg."""
    location = where if isinstance(where, StoreLocation) else store_location(where)
    if location.is_server:
        return _postgres_engine(location)
    return _sqlite_engine(location)


def _sqlite_engine(location: StoreLocation) -> Engine:
    if location.path is not None:
        location.path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(location.url)

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects are untyped
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        # WAL + NORMAL is durable across application crashes, which is what a rating needs.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

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

    def close(self) -> None:
        self.engine.dispose()


def open_store(where: str | Path | StoreLocation, migrate: bool = True) -> Store:
    """Open (creating if needed) the store at a path or URL and bring its schema up to date."""
    location = where if isinstance(where, StoreLocation) else store_location(where)
    engine = make_engine(location)
    if migrate:
        from flashtrain.store.migrate import upgrade_to_head

        upgrade_to_head(engine)
    return Store(location, engine, sessionmaker(engine, expire_on_commit=False))
