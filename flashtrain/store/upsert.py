"""One statement that creates a row or updates it: safe when two processes write the same key.

Written with each dialect's own insert construct (SQLite and PostgreSQL both spell it
`INSERT ... ON CONFLICT (key) DO UPDATE`), so the same call works on both stores.
"""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session


def upsert(session: Session, table: Table, values: dict[str, Any], key_columns: Sequence[str]) -> None:
    """Insert `values` into `table`, or update the row whose `key_columns` match with the rest."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - flashtrain supports SQLite and PostgreSQL only
        raise NotImplementedError(f"upsert is not written for {dialect}")
    statement = insert(table).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in key_columns}
    if changes:
        statement = statement.on_conflict_do_update(index_elements=list(key_columns), set_=changes)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key_columns))
    session.execute(statement)
