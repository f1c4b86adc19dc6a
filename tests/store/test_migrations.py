"""Alembic: a fresh store equals the models; upgrading from the first revision keeps data.

Both on SQLite and on PostgreSQL (see tests/conftest.py): batch mode and pragmas are SQLite's only.
"""

from __future__ import annotations

import pytest

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from flashtrain.store.engine import BUSY_TIMEOUT_MS, make_engine, open_store
from flashtrain.store.migrate import current_revision, head_revision, upgrade_to, upgrade_to_head
from flashtrain.store.models import Base

FIRST_REVISION = "0001"


@pytest.mark.both_dialects
def test_fresh_store_matches_the_models(store_target):
    store = open_store(store_target("fresh", blank=True))
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert current_revision(store.engine) == head_revision(store.engine)
    store.close()


@pytest.mark.both_dialects
def test_upgrade_from_first_revision_keeps_reviews(store_target):
    engine = make_engine(store_target("old", blank=True))
    assert current_revision(engine) is None
    upgrade_to(engine, FIRST_REVISION)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO decks (id, name, description, tags, origin, trusted, created_at) "
                                "VALUES (1, 'd', '', '[]', 'imported', FALSE, '2026-01-01 00:00:00')"))
        connection.execute(text(
            "INSERT INTO cards (id, deck_id, source_line, key, kind, cloze_index, question, answer, tags, hints, "
            "content_hash, created_at, updated_at, suspended, flagged) VALUES (1, 1, 1, 'q:x', 'basic', 0, 'q', "
            "'a', '[]', '[]', 'h', '2026-01-01 00:00:00', '2026-01-01 00:00:00', FALSE, FALSE)"))
        connection.execute(text("INSERT INTO review_log (card_id, reviewed_at, rating, origin) "
                                "VALUES (1, '2026-01-02 00:00:00', 4, 'study')"))
    upgrade_to_head(engine)
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT rating FROM review_log")).scalars().all() == [4]
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    engine.dispose()


def test_pragmas_are_set_on_every_connection(tmp_path):
    store = open_store(tmp_path / "p.db")
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS
    assert "review_log" in inspect(store.engine).get_table_names()


def test_naive_datetimes_are_refused(store):
    from datetime import datetime

    import pytest
    from sqlalchemy.exc import StatementError

    from flashtrain.store.models import Deck

    with pytest.raises(StatementError, match="naive datetime"):
        with store.sessions.begin() as session:
            session.add(Deck(name="x", created_at=datetime(2026, 1, 1)))


def test_head_revision_constant_matches_the_newest_migration(tmp_path):
    from flashtrain.store.migrate import HEAD_REVISION

    assert HEAD_REVISION == head_revision(make_engine(tmp_path / "h.db"))


def test_opening_an_up_to_date_store_does_not_import_alembic(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "ready.db"
    open_store(path).close()
    code = ("import sys\nfrom flashtrain.store.engine import open_store\n"
            f"open_store({str(path)!r}).close()\n"
            "assert not [m for m in sys.modules if m.startswith('alembic')]\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.both_dialects
def test_upgrade_from_0005_keeps_every_row_and_rating(store_target):
    """0006 swaps an index (cards by source, now with retired_at): every row of every table survives."""
    engine = make_engine(store_target("before-0006", blank=True))
    upgrade_to(engine, "0005")
    stamp = "'2026-01-01 00:00:00'"
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO decks (id, name, description, tags, origin, trusted, created_at) "
                                f"VALUES (1, 'd', '', '[]', 'imported', FALSE, {stamp})"))
        connection.execute(text("INSERT INTO source_files (id, path, deck_id, content_hash, format, imported_at) "
                                f"VALUES (1, '/decks/d.md', 1, 'abc', 'markdown', {stamp})"))
        for card_id in range(1, 7):
            retired = stamp if card_id % 3 == 0 else "NULL"
            connection.execute(text(
                "INSERT INTO cards (id, deck_id, source_id, source_line, key, kind, cloze_index, question, answer, "
                "tags, hints, content_hash, created_at, updated_at, retired_at, suspended, flagged) VALUES "
                f"({card_id}, 1, 1, {card_id}, 'q:{card_id}', 'basic', 0, 'q{card_id}', 'a', '[]', '[]', 'h', "
                f"{stamp}, {stamp}, {retired}, FALSE, FALSE)"))
            connection.execute(text("INSERT INTO review_log (card_id, reviewed_at, rating, origin) "
                                    f"VALUES ({card_id}, {stamp}, {card_id % 5 + 1}, 'study')"))
    tables = ("decks", "source_files", "cards", "review_log", "card_states", "settings")

    def everything() -> dict:
        with engine.connect() as connection:
            return {table: sorted(tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}")))
                    for table in tables}

    before = everything()
    upgrade_to_head(engine)
    assert current_revision(engine) == head_revision(engine) == "0006"
    assert everything() == before
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM cards WHERE source_id = 1 AND retired_at IS NULL")
                                  ).scalar() == 4
        indexes = {index["name"] for index in inspect(connection).get_indexes("cards")}
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in connection.execute(text(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM cards WHERE source_id = 1 AND retired_at IS NULL")))
            assert "COVERING INDEX ix_cards_source_retired" in plan
    assert "ix_cards_source_retired" in indexes and "ix_cards_source_id" not in indexes
    engine.dispose()
