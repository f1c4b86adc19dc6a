"""`store recover` finds rows that only a page-by-page read of the file can reach: a damaged interior
page hides every leaf below it from SQLite, but the leaves are intact (store/page_scan.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flashtrain.store.engine import make_engine, open_store
from flashtrain.store.integrity import full_check
from flashtrain.store.recover import recover
from flashtrain.services.imports import import_file
from flashtrain.study.service import StudyService

from faultlab import deck_text

CARDS = 900


def studied(tmp_path: Path) -> Path:
    db, deck = tmp_path / "scan.db", tmp_path / "scan.md"
    deck.write_text(deck_text(CARDS, "Scan deck"))
    store = open_store(db)
    try:
        assert import_file(store, deck).error is None
        service = StudyService(store)
        for card_id in (5, 600, 899):
            service.rate(card_id, 4)
    finally:
        store.close()
    return db


def rows(db: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def damage_root(db: Path, table: str) -> None:
    """Overwrite the b-tree root page of `table` (an interior page: the table spans many leaves)."""
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = connection.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)).fetchone()[0]
    size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with open(db, "r+b") as out:
        out.seek((root - 1) * size)
        assert out.read(1) == b"\x05"  # a table-interior page
        out.seek((root - 1) * size)
        out.write(b"\xff" * size)


def test_rows_below_a_damaged_interior_page_are_found_by_the_page_scan(tmp_path):
    db = studied(tmp_path)
    expected = rows(db, "SELECT id, question, answer, key FROM cards ORDER BY id")
    damage_root(db, "cards")
    try:
        rows(db, "SELECT id, question FROM cards")
        raise AssertionError("the damaged table should not be readable")
    except sqlite3.DatabaseError:
        pass
    report = recover(db, tmp_path / "recovered.db")
    cards = next(t for t in report.tables if t.table == "cards")
    assert (cards.salvaged, cards.found_by_page_scan, cards.unreadable) == (CARDS, CARDS, 0)
    assert rows(tmp_path / "recovered.db", "SELECT id, question, answer, key FROM cards ORDER BY id") == expected
    reviews = next(t for t in report.tables if t.table == "review_log")
    assert reviews.salvaged == 3 and reviews.dropped == 0  # their cards came back, so they stay
    engine = make_engine(tmp_path / "recovered.db", read_only=True)
    try:
        assert full_check(engine).ok
    finally:
        engine.dispose()


def test_deleted_rows_on_freed_pages_do_not_come_back(tmp_path):
    db = studied(tmp_path)
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA foreign_keys=OFF")
    connection.execute("DELETE FROM cards WHERE id BETWEEN 100 AND 500")  # whole leaf pages freed
    connection.commit()
    assert connection.execute("PRAGMA freelist_count").fetchone()[0] > 0
    connection.close()
    kept = rows(db, "SELECT id FROM cards ORDER BY id")
    damage_root(db, "cards")
    recover(db, tmp_path / "recovered.db")
    assert rows(tmp_path / "recovered.db", "SELECT id FROM cards ORDER BY id") == kept
