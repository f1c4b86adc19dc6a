"""Bulk rows for benchmarks and store copies: a million rows in seconds, on either dialect.

The ORM adds rows one object at a time; here rows go straight to the driver: executemany on
SQLite, COPY on PostgreSQL. Values are plain Python (datetimes as naive UTC or the stored text,
JSON as text, booleans as bool). Explicit ids are kept, so PostgreSQL's id sequences are moved
past them afterwards, or the next ordinary insert would collide.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flashtrain.store.engine import Store
from flashtrain.store.models import Base


def _sequenced_tables() -> list[str]:
    return [t.name for t in Base.metadata.sorted_tables if "id" in t.c and t.c.id.primary_key
            and t.c.id.autoincrement in (True, "auto")]


def load_rows(store: Store, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Appends rows to `table` in one transaction; returns how many."""
    connection = store.engine.raw_connection()
    count = 0
    try:
        cursor = connection.cursor()
        if store.dialect == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            batch: list[Sequence] = []
            for row in rows:
                batch.append(row)
                if len(batch) == 50_000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            cursor.executemany(sql, batch)
            count += len(batch)
        connection.commit()
    finally:
        connection.close()
    return count


def finish_load(store: Store) -> None:
    """After bulk loads: ids continue after the loaded ones, and the planner knows the new sizes."""
    connection = store.engine.raw_connection()
    try:
        cursor = connection.cursor()
        if store.dialect == "postgresql":
            for table in _sequenced_tables():
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                               f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
        cursor.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()
