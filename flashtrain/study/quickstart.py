"""`flashtrain study` fast: the first card from a plain sqlite3 connection, before the heavy modules.

The usual start opens the store through SQLAlchemy (checking its file, migrating, replaying the
journal, making the daily backup) and only then asks for the first card. On a SQLite file that needs
none of the first three (its schema is at HEAD_REVISION, no journal waits, it has decks), the
study service runs on a `LiteStore` instead: the same service, the same queries
(services/study_queries.py), on sqlite3 connections. SQLAlchemy, Alembic, numpy and markdown-it are
not imported to show the first card; the app opens the full store behind the LiteStore once the card
is painted (`finish_opening`: integrity check, daily backup) and whenever a screen needs it.

Anything unusual falls back to the usual path (`quick_study` returns None): a URL or PostgreSQL,
a missing, empty, read-only or foreign file, a schema to migrate, a journal to replay, first use.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from flashtrain.store.lite import LiteStore
from flashtrain.study.queue import QueueSpec
from flashtrain.study.service import StudyCard, StudyService


@dataclass
class QuickStart:
    store: LiteStore
    service: StudyService
    spec: QueueSpec
    first: StudyCard | None


def quick_path(db: str | Path) -> Path | None:
    """The SQLite file `db` names if it is a plain path to an existing store we may write, else None."""
    from flashtrain.store.location import looks_like_url

    if str(db) == ":memory:" or (isinstance(db, str) and looks_like_url(db)):
        return None
    path = Path(db).expanduser()
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
    except OSError:
        return None
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return None
    return path


def ready_to_study(store: LiteStore) -> bool:
    """Nothing to do before studying: schema at HEAD, no journal waiting, at least one deck."""
    from flashtrain.store.migrate import HEAD_REVISION
    from flashtrain.study.journal import journal_paths

    if any(path.exists() for path in journal_paths(store)):
        return False
    borrowed = store.sqlite_connection()
    try:
        connection = borrowed.dbapi_connection
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] != HEAD_REVISION:
            return False
        return connection.execute("SELECT 1 FROM decks LIMIT 1").fetchone() is not None
    except sqlite3.Error:  # not a store, or damaged: the usual path says what is wrong
        return False
    finally:
        borrowed.close()


def quick_study(db: str | Path, spec: QueueSpec = QueueSpec()) -> QuickStart | None:
    """The store, study service and first card of `spec` by the fast path, or None (use the usual one)."""
    path = quick_path(db)
    if path is None:
        return None
    store = LiteStore(path, lambda: _open_full(path))
    try:
        if not ready_to_study(store):
            store.close()
            return None
        service = StudyService(store)
        first = service.next_card(spec)
    except sqlite3.Error:
        store.close()
        return None
    return QuickStart(store, service, spec, first)


def _open_full(path: Path):
    """The SQLAlchemy store of the same file: the usual open (integrity check, migrations at HEAD)."""
    from flashtrain.store.engine import open_store

    return open_store(path)


def finish_opening(store: LiteStore) -> None:
    """What the usual start does besides showing a card, once it is on screen: open the full store
    (the integrity check refuses a damaged file with StoreDamaged) and make the daily backup."""
    from flashtrain.cli.common import daily_backup

    store.full()
    daily_backup(store)
