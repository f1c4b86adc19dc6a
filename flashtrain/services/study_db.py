"""The connection the study SQL runs on: the standard library's sqlite3 where the store is SQLite.

Every function of services/study_queries.py (the queue) and services/answer_queries.py (the answer path) takes a `Db`: one
connection inside the caller's unit of work (`reading(store)` / `writing(store)`). The SQL is the
same on SQLite and PostgreSQL; where the store is SQLite it goes straight to the sqlite3 connection:
- the start-up path (study/quickstart.py, a store/lite.LiteStore) has one before SQLAlchemy is even
  imported, and shows the first card with these very functions;
- the SQLAlchemy Store lends its pooled DBAPI connection (`Store.sqlite_connection`): on the answer
  path SQLAlchemy's statement machinery cost more than the queries themselves.
On PostgreSQL the SQL runs through SQLAlchemy's `text()`.

Stored times are compared as the text SQLite holds ('YYYY-MM-DD HH:MM:SS.ffffff' UTC, `sql_time`);
PostgreSQL reads the same text as a timestamp. Rows come back as tuples; stored times are made
aware datetimes with `aware_time`, JSON columns Python values with `json_value`.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator, Protocol

from flashtrain.store.dialect import STORED_TIME_FORMAT, bind_id_lists


# -- connections --------------------------------------------------------------------------------------

class Db(Protocol):
    dialect: str

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]: ...

    def insert(self, sql: str, params: dict) -> int: ...


class SqliteDb:
    """A sqlite3 connection (the caller owns its transaction)."""

    dialect = "sqlite"

    def __init__(self, connection) -> None:
        self.connection = connection

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        sql, params = bind_id_lists("sqlite", sql, params or {})
        return self.connection.execute(sql, params).fetchall()

    def insert(self, sql: str, params: dict) -> int:
        """Runs an INSERT; returns the new row's id."""
        return self.connection.execute(sql, params).lastrowid


class SessionDb:
    """A SQLAlchemy session (PostgreSQL, or any store without a sqlite3 connection underneath)."""

    def __init__(self, session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        from sqlalchemy import text

        sql, params = bind_id_lists(self.dialect, sql, params or {})
        result = self.session.execute(text(sql), params)
        return [tuple(row) for row in result] if result.returns_rows else []

    def insert(self, sql: str, params: dict) -> int:
        return self.rows(sql + " RETURNING id", params)[0][0]


@contextmanager
def reading(store) -> Iterator[Db]:
    """A unit of work that only reads. On SQLite: a pooled sqlite3 connection, no SQLAlchemy session."""
    if store.dialect != "sqlite":
        with store.sessions.begin() as session:
            yield SessionDb(session)
        return
    pooled = store.sqlite_connection()
    try:
        yield SqliteDb(pooled.dbapi_connection)
    finally:
        pooled.close()  # back to the pool, which rolls back whatever is open


@contextmanager
def writing(store) -> Iterator[Db]:
    """A unit of work that writes, as Store.write: the write lock first (SQLite: BEGIN IMMEDIATE,
    so two processes rating one card cannot both read its old state; PostgreSQL: lock the rows you
    change), commit at the end, roll back on an exception. Run it inside faults.retry_while_busy."""
    if store.dialect != "sqlite":
        with store.write() as session:
            yield SessionDb(session)
        return
    pooled = store.sqlite_connection()
    connection = pooled.dbapi_connection
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield SqliteDb(connection)
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    finally:
        pooled.close()


def db_of(session) -> Db:
    """The fastest `Db` for a session: its sqlite3 connection on SQLite (same transaction)."""
    if session.get_bind().dialect.name == "sqlite":
        return SqliteDb(session.connection().connection.dbapi_connection)
    return SessionDb(session)


def scalar(db: Db, sql: str, params: dict | None = None) -> Any:
    rows = db.rows(sql, params)
    return rows[0][0] if rows else None


# -- values ---------------------------------------------------------------------------------------------

def sql_time(moment: datetime) -> str:
    """The exact text the store's UTCDateTime column holds, so string comparison uses the index."""
    return moment.astimezone(timezone.utc).strftime(STORED_TIME_FORMAT)


def aware_time(value) -> datetime | None:
    """A stored time (text on SQLite, naive datetime on PostgreSQL) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def json_value(value) -> Any:
    """A JSON column as Python: SQLite hands back its text, PostgreSQL the parsed value."""
    return json.loads(value) if isinstance(value, str) else value


def json_text(value) -> str:
    return json.dumps(value)


def time_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else sql_time(moment)
