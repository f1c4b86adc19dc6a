"""Engine and session factory. Made once at start-up and passed in; nothing here runs at import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(path: str | Path) -> Engine:
    """A SQLite engine with the pragmas flashtrain relies on set on every new connection."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")

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


@dataclass
class Store:
    """The opened store: one engine and its sessionmaker, passed to every service."""

    path: Path
    engine: Engine
    sessions: sessionmaker[Session]

    def close(self) -> None:
        self.engine.dispose()


def open_store(path: str | Path, migrate: bool = True) -> Store:
    """Open (creating if needed) the store at `path` and bring its schema up to date."""
    engine = make_engine(path)
    if migrate:
        from flashtrain.store.migrate import upgrade_to_head

        upgrade_to_head(engine)
    return Store(Path(path), engine, sessionmaker(engine, expire_on_commit=False))
