"""New cards of a large import written in short transactions, invisible until one final switch.

SQLite has one write lock for the whole store. Writing 300,000 new cards in the import's one
transaction held it for many seconds, and a rating from a study session in another process waited
that long. Here the new cards go in first, in batches of `BATCH` rows, each its own short
transaction, with `retired_at` set to a staging mark - so every reader (study, decks, stats, browse,
export: all ask for `retired_at IS NULL`) passes over them. The import's own transaction then
makes them live with one UPDATE over the deck's staged rows, together with every other change of
the import: for the learner the import is still all or nothing.

A staging run is named by a marker row in `source_files` (path `staging:PID:…`); the cards'
mark is derived from its id. A run whose process is gone (killed, crashed) is removed by
`discard_abandoned` (on opening a writable store, and before every import): its staged rows, the
deck it made, the marker. Those rows were never visible, so nothing anyone saw is taken away.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, insert

from flashtrain.store.models import Card, Deck, SourceFile

BATCH = 2_000  # rows per transaction: a rating waits for one batch at most (tens of milliseconds)
STAGING_PREFIX = "staging:"
STAGED_EPOCH = datetime(1900, 1, 1, tzinfo=timezone.utc)  # before anything real: no card retires in 1900
_SECOND = timedelta(seconds=1)


def staged_mark(marker_id: int) -> datetime:
    return STAGED_EPOCH + marker_id * _SECOND


def is_staged(retired_at: datetime | None) -> bool:
    """A card row written by an import that has not published it (yet)."""
    return retired_at is not None and retired_at.year == STAGED_EPOCH.year


def _stored(engine: Engine, column, value):
    """`value` as the driver stores it in `column` (UTCDateTime: naive UTC text on SQLite)."""
    convert = column.type.dialect_impl(engine.dialect).bind_processor(engine.dialect)
    return convert(value) if convert else value


class Staging:
    """One import's staging run. Use: begin(), add() batches, then publish() inside the import's
    transaction; discard() if the import fails."""

    def __init__(self, engine: Engine, deck_id: int | None, new_deck: dict | None) -> None:
        self.engine = engine
        self.deck_id = deck_id
        self.new_deck = new_deck  # the values of a deck that does not exist yet
        self.marker_id: int | None = None
        self.mark_text: str | None = None
        self.becomes_source = False

    def begin(self, source_key: str, source_id: int | None) -> tuple[int, int]:
        """Make the marker (and the deck, if new: its cards need its id) in one short transaction;
        returns (deck id, source id for the staged cards). A file imported for the first time has
        no source row yet: the marker becomes it when the import publishes."""
        path = f"{STAGING_PREFIX}{os.getpid()}:{uuid.uuid4().hex[:12]}:{source_key}"
        with self.engine.begin() as connection:
            if self.deck_id is None:
                values = dict(self.new_deck, created_at=STAGED_EPOCH)  # marks a deck made by staging
                self.deck_id = connection.execute(insert(Deck.__table__).values(**values)).inserted_primary_key[0]
            self.marker_id = connection.execute(insert(SourceFile.__table__).values(
                path=path, deck_id=self.deck_id, content_hash="", format="staging",
                imported_at=STAGED_EPOCH)).inserted_primary_key[0]
        self.becomes_source = source_id is None
        self.mark_text = _stored(self.engine, Card.__table__.c.retired_at, staged_mark(self.marker_id))
        return self.deck_id, self.marker_id if source_id is None else source_id

    def add(self, sql: str, rows: list[tuple]) -> None:
        """Insert rows (already in the driver's form, `retired_at` = this run's mark) in batches."""
        for first in range(0, len(rows), BATCH):
            connection = self.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("BEGIN IMMEDIATE")
                cursor.executemany(sql, rows[first:first + BATCH])
                connection.commit()
            finally:
                connection.close()

    def publish(self, connection, now: datetime, source: dict) -> int:
        """Inside the import's transaction: the staged cards go live; the marker becomes the file's
        source row (`source`: its values) or goes. Returns the source row's id (None if it goes)."""
        cards, sources, decks = Card.__table__, SourceFile.__table__, Deck.__table__
        connection.execute(cards.update().where(cards.c.deck_id == self.deck_id,
                                                cards.c.retired_at == staged_mark(self.marker_id))
                           .values(retired_at=None))
        if self.becomes_source:
            connection.execute(sources.update().where(sources.c.id == self.marker_id).values(**source))
        else:
            connection.execute(sources.delete().where(sources.c.id == self.marker_id))
        connection.execute(decks.update().where(decks.c.id == self.deck_id, decks.c.created_at == STAGED_EPOCH)
                           .values(created_at=now))
        return self.marker_id if self.becomes_source else None

    def discard(self) -> None:
        if self.marker_id is not None:
            with self.engine.begin() as connection:
                _remove_run(connection, self.marker_id, self.deck_id)


def _remove_run(connection, marker_id: int, deck_id: int) -> None:
    cards, decks, sources = Card.__table__, Deck.__table__, SourceFile.__table__
    connection.execute(cards.delete().where(cards.c.deck_id == deck_id, cards.c.retired_at == staged_mark(marker_id)))
    connection.execute(sources.delete().where(sources.c.id == marker_id))
    has_cards = connection.execute(cards.select().where(cards.c.deck_id == deck_id).limit(1)).first()
    has_sources = connection.execute(sources.select().where(sources.c.deck_id == deck_id).limit(1)).first()
    if not has_cards and not has_sources:
        connection.execute(decks.delete().where(decks.c.id == deck_id, decks.c.created_at == STAGED_EPOCH))


def _pid_of(marker_path: str) -> int:
    pid = marker_path[len(STAGING_PREFIX):].split(":", 1)[0]
    return int(pid) if pid.isdigit() else 0


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def discard_abandoned(engine: Engine) -> int:
    """Remove the staging runs whose process is gone; returns how many."""
    sources = SourceFile.__table__
    with engine.connect() as connection:
        runs = connection.execute(sources.select().with_only_columns(sources.c.id, sources.c.path, sources.c.deck_id)
                                  .where(sources.c.path.startswith(STAGING_PREFIX, autoescape=True))).all()
    dead = [(marker_id, deck_id) for marker_id, path, deck_id in runs if not _process_alive(_pid_of(path))]
    if dead:
        with engine.begin() as connection:
            for marker_id, deck_id in dead:
                _remove_run(connection, marker_id, deck_id)
    return len(dead)
