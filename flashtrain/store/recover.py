"""Salvage what is readable from a damaged SQLite store into a new one (`flashtrain store recover`).

Each table is read whole if it can be; otherwise by rowid ranges, halving a range that fails
until the unreadable rows are single rowids, so one bad page costs only the rows on it. Rows that
the b-tree no longer reaches (a damaged interior page hides whole subtrees) are then looked for page
by page in the file (page_scan.py: intact table-leaf pages outside the freelist, each row matched to
the one table it fits); what neither finds is counted (from the table's indexes) and reported. Rows go
into a fresh store at the current schema (columns the damaged store does not have take their
defaults); rows that end up pointing to a row that was lost (a review of a card whose row was on a
bad page) are counted and left out, so the new store passes the full check.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from flashtrain.store.models import Base
from flashtrain.store.page_scan import Column, affinity, scan_rows

@dataclass
class TableReport:
    table: str
    salvaged: int = 0
    unreadable: int = 0  # rowids whose page could not be read
    found_by_page_scan: int = 0  # of the salvaged rows, those only the page-by-page scan found
    dropped: int = 0  # readable rows left out: they point to a row that was lost


@dataclass
class RecoverReport:
    target: Path
    tables: list[TableReport] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(t.unreadable == 0 and t.dropped == 0 for t in self.tables)


def _read_all(source: sqlite3.Connection, table: str, columns: list[str], report: TableReport) -> list[tuple]:
    names = ", ".join(f'"{c}"' for c in columns)
    try:
        return source.execute(f'SELECT {names} FROM "{table}"').fetchall()
    except sqlite3.DatabaseError:
        pass
    try:
        top = source.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0] or 0
    except sqlite3.DatabaseError:
        return []  # the b-tree's root cannot be read: only the page scan can find its rows
    rows: list[tuple] = []
    stack = [(1, top)]
    while stack:
        low, high = stack.pop()
        try:
            rows += source.execute(f'SELECT {names} FROM "{table}" WHERE rowid BETWEEN ? AND ?', (low, high)).fetchall()
        except sqlite3.DatabaseError:
            if low == high:
                report.unreadable += 1
            else:
                middle = (low + high) // 2
                stack += [(middle + 1, high), (low, middle)]
    return rows


def recover(damaged: Path, target: Path) -> RecoverReport:
    """Write a new store at `target` (must not exist) with every readable row of `damaged`."""
    from flashtrain.store.engine import open_store

    if target.exists():
        raise FileExistsError(f"{target}: already exists; recover writes a new store")
    open_store(target).close()  # the current schema, empty
    report = RecoverReport(target)
    source = sqlite3.connect(f"file:{damaged.resolve()}?mode=ro", uri=True)
    scanned: dict[str, dict[int, list]] | None = None
    out = sqlite3.connect(target, isolation_level=None)
    try:
        out.execute("PRAGMA foreign_keys=OFF")
        out.execute("BEGIN")
        for table in Base.metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            table_report = TableReport(table.name)
            report.tables.append(table_report)
            try:  # the damaged store's columns, in its record order
                present = [row[1] for row in source.execute(f'PRAGMA table_info("{table.name}")')]
            except sqlite3.DatabaseError:
                present = []
            columns = [c.name for c in table.columns if c.name in present]
            if not columns:
                continue
            rows = _read_all(source, table.name, columns, table_report)
            try:  # count(*) reads the smallest index, which may reach rows a damaged table page hides
                indexed = source.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
            except sqlite3.DatabaseError:
                indexed = 0
            table_report.unreadable += max(indexed - len(rows) - table_report.unreadable, 0)
            placeholders = ", ".join("?" for _ in columns)
            names = ", ".join(f'"{c}"' for c in columns)
            insert = f'INSERT OR IGNORE INTO "{table.name}" ({names}) VALUES ({placeholders})'
            before = out.total_changes
            out.executemany(insert, rows)
            table_report.salvaged = out.total_changes - before
            if table_report.unreadable:
                if scanned is None:  # read the file once, for every table the b-trees failed
                    scanned = scan_rows(damaged, _layouts(source))
                positions = [present.index(c) for c in columns]  # the scan gives values in the damaged store's order
                extra = [tuple(values[i] for i in positions) for values in scanned.get(table.name, {}).values()]
                before = out.total_changes
                out.executemany(insert, extra)  # rows the b-tree gave are kept; only the missing ones come in
                table_report.found_by_page_scan = out.total_changes - before
                table_report.salvaged += table_report.found_by_page_scan
                table_report.unreadable = max(table_report.unreadable - table_report.found_by_page_scan, 0)
        _drop_orphans(out, report)
        out.execute("COMMIT")  # rows were copied into the current schema: the new store is at head
    finally:
        source.close()
        out.close()
    return report


def _layouts(source: sqlite3.Connection) -> dict[str, list[Column]]:
    """Each table's columns as the damaged store declares them (record order), for the page scan."""
    layouts = {}
    for table in Base.metadata.sorted_tables:
        try:
            info = source.execute(f'PRAGMA table_info("{table.name}")').fetchall()
        except sqlite3.DatabaseError:
            continue
        keys = [row for row in info if row[5]]
        alias = keys[0][1] if len(keys) == 1 and keys[0][2].upper() == "INTEGER" else None
        layouts[table.name] = [Column(name, affinity(declared), bool(not_null), name == alias)
                               for _cid, name, declared, not_null, _default, _pk in info]
    return layouts


def _drop_orphans(out: sqlite3.Connection, report: RecoverReport) -> None:
    by_name = {t.table: t for t in report.tables}
    while True:  # a dropped card makes its reviews orphans in turn
        orphans = out.execute("PRAGMA foreign_key_check").fetchall()
        if not orphans:
            return
        for table, rowid, _parent, _fk in orphans:
            out.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,))
            if table in by_name:
                by_name[table].dropped += 1
                by_name[table].salvaged -= 1
