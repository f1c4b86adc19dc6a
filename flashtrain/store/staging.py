"""New cards of a large import written in short transactions, so a rating never waits for the import.

SQLite has one write lock for the whole store. Writing 300,000 new cards in the import's one
transaction held it for many seconds, and a rating from a study session in another process waited
that long. Here:
1. the new cards go in first, in short transactions, with `retired_at` set to this run's
   staging mark - so every reader (study, decks, stats, browse, export: all ask for
   `retired_at IS NULL`) passes over them;
2. the import's own transaction (every other change of the import) is the point of no return:
   it turns the run's marker into a "publishing" row (`commit`);
3. then the staged rows go live, in short transactions again (`go_live`), and the row goes.
A short transaction writes BATCH rows at a time and takes another BATCH while it has held the
write lock less than HOLD_SECONDS: a rating waits a few tens of milliseconds at most, and a large
import does not pay for a commit (and the index pages it rewrites) every 250 rows.
A run is named by its marker row in `source_files` (path `staging:PID:…`, then
`publishing:PID:MARK:FIRST:LAST`); the rows' mark derives from the marker's id. A run whose process
is gone is finished by `discard_abandoned` (on opening a writable store, and before each import):
before step 2 its rows (never visible) and the deck it made are removed, so the store is as it was;
after it the rest of its rows go live, so the import is whole. For the learner an import is still
all or nothing.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, insert, select, text

from flashtrain.store.models import Card, Deck, SourceFile

BATCH = 250  # rows per statement; a transaction stops taking more once it has held the lock HOLD_SECONDS
HOLD_SECONDS = 0.05  # a rating waits about this long at most for the write lock
STAGING_PREFIX = "staging:"
PUBLISHING_PREFIX = "publishing:"
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
        self.staged_source = 0  # the source_id the staged rows carry
        self.id_range = (0, -1)  # the ids of the staged rows: first, last (other writers' rows may be among them)
        self.publishing = ""

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
        self.staged_source = self.marker_id if source_id is None else source_id
        return self.deck_id, self.staged_source

    def add(self, sql: str, rows: list[tuple]) -> None:
        """Insert rows (already in the driver's form, `retired_at` = this run's mark) in short
        transactions (see HOLD_SECONDS)."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            done = 0
            while done < len(rows):
                cursor.execute("BEGIN IMMEDIATE")
                started = time.perf_counter()
                while True:
                    cursor.executemany(sql, rows[done:done + BATCH])
                    done += BATCH
                    if done >= len(rows) or time.perf_counter() - started >= HOLD_SECONDS:
                        break
                connection.commit()
            # The run's rows by its mark, from the (source_id, retired_at) index alone (no row is read).
            first, last = cursor.execute("SELECT min(id), max(id) FROM cards WHERE source_id = ? AND retired_at = ?",
                                         (self.staged_source, self.mark_text)).fetchone()
            cursor.close()
        finally:
            connection.close()
        self.id_range = (first or 0, last if last is not None else -1)

    def commit(self, connection, now: datetime, source: dict) -> int | None:
        """Inside the import's transaction - its point of no return: the marker becomes the file's
        source row (`source`: its values) or goes, and a "publishing" row records which staged
        rows are to go live (see go_live). Returns the id of the source row made (or None)."""
        sources, decks = SourceFile.__table__, Deck.__table__
        first, last = self.id_range
        publishing = f"{PUBLISHING_PREFIX}{os.getpid()}:{self.marker_id}:{first}:{last}"
        if self.becomes_source:
            connection.execute(sources.update().where(sources.c.id == self.marker_id).values(**source))
            connection.execute(insert(sources).values(path=publishing, deck_id=self.deck_id, content_hash="",
                                                      format="publishing", imported_at=STAGED_EPOCH))
        else:
            connection.execute(sources.update().where(sources.c.id == self.marker_id)
                               .values(path=publishing, format="publishing"))
        connection.execute(decks.update().where(decks.c.id == self.deck_id, decks.c.created_at == STAGED_EPOCH)
                           .values(created_at=now))
        self.publishing = publishing
        return self.marker_id if self.becomes_source else None

    def go_live(self) -> None:
        """After the import's commit: the staged cards become visible, BATCH rows per transaction."""
        go_live(self.engine, self.publishing)

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


def publish_batch(engine: Engine, deck_id: int, mark: datetime, first: int, last: int) -> int:
    """One short transaction: staged rows with ids from `first` on go live, BATCH ids at a time while
    the transaction has held the lock less than HOLD_SECONDS; returns the first id not yet done."""
    mark_text = _stored(engine, Card.__table__.c.retired_at, mark)
    connection = engine.raw_connection()  # plain sqlite3 (staging is SQLite's only): hundreds of statements
    try:
        cursor = connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        started = time.perf_counter()
        while first <= last:
            cursor.execute("UPDATE cards SET retired_at = NULL WHERE id BETWEEN ? AND ? AND deck_id = ? "
                           "AND retired_at = ?", (first, min(first + BATCH - 1, last), deck_id, mark_text))
            first += BATCH
            if time.perf_counter() - started >= HOLD_SECONDS:
                break
        connection.commit()
        cursor.close()
    finally:
        connection.close()
    return first


def go_live(engine: Engine, publishing: str) -> None:
    """Make a committed import's staged rows visible in short transactions, then drop its publishing
    row (a run cut short is finished by discard_abandoned)."""
    _pid, marker_id, first, last = (int(part) for part in publishing[len(PUBLISHING_PREFIX):].split(":"))
    sources = SourceFile.__table__
    with engine.connect() as connection:
        deck_id = connection.execute(select(sources.c.deck_id).where(sources.c.path == publishing)).scalar()
    if deck_id is None:
        return
    while first <= last:
        first = publish_batch(engine, deck_id, staged_mark(marker_id), first, last)
    with engine.begin() as connection:
        connection.execute(sources.delete().where(sources.c.path == publishing))


def _pid_of(marker_path: str) -> int:
    pid = marker_path.split(":", 2)[1]
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
    """Finish what killed imports left: a run still staging is removed (its rows were never
    visible); a run that had committed is made visible. Returns how many runs."""
    sources = SourceFile.__table__
    with engine.connect() as connection:
        runs = connection.execute(select(sources.c.id, sources.c.path, sources.c.deck_id).where(
            sources.c.path.startswith(STAGING_PREFIX, autoescape=True)
            | sources.c.path.startswith(PUBLISHING_PREFIX, autoescape=True))).all()
    dead = [(marker_id, path, deck_id) for marker_id, path, deck_id in runs if not _process_alive(_pid_of(path))]
    for marker_id, path, deck_id in dead:
        if path.startswith(PUBLISHING_PREFIX):
            go_live(engine, path)
        else:
            with engine.begin() as connection:
                _remove_run(connection, marker_id, deck_id)
    return len(dead)
