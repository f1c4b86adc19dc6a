"""Whole-store operations: row counts, emptiness, emptying, copying between stores."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, func, insert, select, text

from flashtrain.store.models import Base


def table_names() -> list[str]:
    """Every table of the schema, parents before children (the order rows can be inserted in)."""
    return [table.name for table in Base.metadata.sorted_tables]


def row_counts(store) -> dict[str, int]:
    with store.sessions() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}


def is_empty(store) -> bool:
    return not any(row_counts(store).values())


def empty_store(store) -> None:
    """Deletes every row (the schema stays). Only for stores a command filled itself."""
    with store.engine.begin() as connection:
        if store.dialect == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(table_names())} RESTART IDENTITY"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(delete(table))


# -- copying a whole store ----------------------------------------------------------------------------

COPY_BATCH = 5_000


class CopyError(Exception):
    """A copy that must not go ahead or did not come out equal; the message is one line."""


@dataclass(frozen=True)
class CopyReport:
    rows: dict[str, int]  # per table, as counted in the target after the copy
    checksum: str  # over every row of every table, equal on both sides

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_store(source, target, replace: bool = False,
               progress: Callable[[str, int, int], None] | None = None) -> CopyReport:
    """Copies every row of every table from `source` to `target` (both opened, schemas at head),
    keeping ids, then checks row counts and a content checksum on both sides.

    A target with any row is refused unless `replace`, which empties it first."""
    counts = row_counts(source)
    if not replace and not is_empty(target):
        raise CopyError(f"{target.shown} already holds data; copy into an empty store, or pass --replace "
                        "to delete what it holds first")
    if replace:
        empty_store(target)
    total, done = sum(counts.values()), 0
    with source.engine.connect() as reader, target.engine.begin() as writer:
        for table in Base.metadata.sorted_tables:
            result = reader.execution_options(yield_per=COPY_BATCH).execute(
                select(table).order_by(*table.primary_key.columns))
            for batch in result.mappings().partitions():
                writer.execute(insert(table), [dict(row) for row in batch])
                done += len(batch)
                if progress:
                    progress(table.name, done, total)
    from flashtrain.store.bulk import finish_load

    finish_load(target)
    copied = row_counts(target)
    if copied != counts:
        differ = ", ".join(f"{name} {counts[name]} -> {copied.get(name)}" for name in counts
                           if counts[name] != copied.get(name))
        raise CopyError(f"row counts differ after the copy ({differ}); {target.shown} is not a faithful copy")
    theirs, ours = content_checksum(source), content_checksum(target)
    if theirs != ours:
        raise CopyError(f"the content checksum differs after the copy; {target.shown} is not a faithful copy")
    return CopyReport(copied, ours)


def content_checksum(store) -> str:
    """SHA-256 over every row of every table in primary-key order, values in a dialect-free form."""
    digest = hashlib.sha256()
    with store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            digest.update(f"\x00{table.name}\x00".encode())
            result = connection.execution_options(yield_per=COPY_BATCH).execute(
                select(table).order_by(*table.primary_key.columns))
            for row in result:
                digest.update(json.dumps([_canonical(value) for value in row], ensure_ascii=False,
                                         sort_keys=True).encode())
                digest.update(b"\n")
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (bytes, memoryview)):
        return hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return repr(value)
    return value
