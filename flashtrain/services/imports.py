"""The import use case: deck files into the store without ever losing a learner's history.

Identity rules (see cards/README.md):
- a card is matched to its stored row by deck + key (explicit id, else the normalised question);
- a card that gained or lost an explicit id, but kept its question, is matched by its question;
- editing answer, hints or tags updates the row in place, so history stays attached;
- a card missing from its file is retired (out of study, history kept) and restored if it returns;
- a file whose bytes and import options are unchanged is skipped by hash;
- a card edited in the app (when its file could not be written) keeps that edit through later
  imports of a changed file, with a warning, unless the import is told to prefer the file;
- each file is all or nothing: a file that fails to parse, or an import that fails or is killed,
  changes nothing anyone can see. On SQLite, many new cards are written beforehand in short
  batches that stay invisible until the import's own transaction makes them live
  (store/staging.py), so a rating in another process waits for one batch, not for the import.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from flashtrain.deck.importers import parse_text
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec, ParseWarning
from flashtrain.deck.sources import (BUNDLED_PREFIX, ImportReport, bundled_deck_files, expand_paths,
                                     import_digest, is_anki_file, read_text, shown_path)
from flashtrain.deck.sources import source_key as default_source_key
from flashtrain.store.engine import Store
from flashtrain.store.models import Card, Deck, SourceFile, utcnow
from flashtrain.store.staging import BATCH, Staging, discard_abandoned, is_staged
from flashtrain.store.sync import KEPT_APP_EDIT, card_values, question_key

__all__ = ["ImportReport", "expand_paths", "import_paths", "import_file", "ensure_bundled_decks",
           "import_bundled_decks", "drop_duplicate_keys"]


def import_paths(store: Store, paths: list[Path], fmt: str | None = None, deck_name: str | None = None,
                 dry_run: bool = False, origin: str = "imported", trust: bool = False,
                 prefer_file: bool = False) -> list[ImportReport]:
    files, reports = expand_paths(paths)
    for path in files:
        if shown_path(path) != str(path):  # a name that is not UTF-8: the store cannot hold it
            reports.append(ImportReport(shown_path(path), status="rejected", error=(
                f"{shown_path(path)}: error: the file name is not valid UTF-8 (shown escaped); rename the file "
                "to import it")))
            continue
        if fmt in (None, "apkg") and is_anki_file(path):
            from flashtrain.services.anki_import import import_anki_file

            reports += import_anki_file(store, path, deck_name=deck_name, dry_run=dry_run, origin=origin,
                                        trust=trust, prefer_file=prefer_file)
            continue
        reports.append(import_file(store, path, fmt=fmt, deck_name=deck_name, dry_run=dry_run,
                                   origin=origin, trust=trust, prefer_file=prefer_file))
    return reports


def unchanged_report(session: Session, report: ImportReport, source_key: str, digest: str) -> bool:
    """Fill `report` as "unchanged" when the file was imported with these bytes and options before."""
    source = session.scalar(select(SourceFile).where(SourceFile.path == source_key))
    if source is None or source.content_hash != digest:
        return False
    report.status, report.deck, report.format = "unchanged", session.get(Deck, source.deck_id).name, source.format
    report.unchanged = session.scalar(select(func.count()).select_from(Card).where(
        Card.source_id == source.id, Card.retired_at.is_(None))) or 0
    return True


@contextmanager
def collector_paused():
    """Python's cycle collector off for the duration. An import makes millions of objects (lines,
    cards, rows) and no reference cycles to collect, and the collector walked them all again and
    again: 0.4 of 4.5 s CPU at 100,000 cards. Back on afterwards, unless it was off before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_file(store: Store, path: Path, fmt: str | None = None, deck_name: str | None = None,
                dry_run: bool = False, origin: str = "imported", trust: bool = False,
                source_key: str | None = None, prefer_file: bool = False) -> ImportReport:
    """Import one file, all or nothing. Never raises for bad input: the report says what failed."""
    with collector_paused():
        return _import_file(store, path, fmt, deck_name, dry_run, origin, trust, source_key, prefer_file)


def _import_file(store: Store, path: Path, fmt: str | None, deck_name: str | None, dry_run: bool, origin: str,
                 trust: bool, source_key: str | None, prefer_file: bool) -> ImportReport:
    source_key = source_key or default_source_key(path)
    report = ImportReport(str(path))
    try:
        text = read_text(path)
        digest = import_digest(text, fmt, deck_name)
        if not trust and not prefer_file:
            with store.sessions() as session:
                if unchanged_report(session, report, source_key, digest):
                    return report
        spec = parse_text(text, str(path), fmt, deck_name)
        del text  # the cards hold what is needed; a large file's text need not stay in memory
    except DeckError as error:
        report.status, report.error = "rejected", str(error)
        return report
    report.deck, report.format = spec.name, spec.format
    report.snippet_links = [(card.line, card.snippet) for card in spec.cards if card.snippet]
    spec, duplicate_warnings = drop_duplicate_keys(spec)
    report.warnings = list(spec.warnings) + duplicate_warnings
    try:
        with store.sessions() as session:
            with session.begin():
                staging = apply_deck(session, spec, source_key, digest, origin, trust, report, prefer_file, dry_run)
                if dry_run:
                    session.rollback()
    except SQLAlchemyError as error:  # e.g. the store is locked by another process: nothing was written
        report.status, report.error = "rejected", f"{path}: error: the store refused the import: {error.orig or error}"
        report.added = report.updated = report.unchanged = report.retired = report.restored = 0
        return report
    if staging is not None:  # committed: its staged cards now go live, batch by batch
        try:
            staging.go_live()
        except SQLAlchemyError as error:
            report.warnings.append(ParseWarning(str(path), 0, "imported, but the store stopped taking writes before "
                                                "every new card was shown; they appear when the store is next "
                                                f"opened ({error.orig or error})"))
    return report


def drop_duplicate_keys(spec: DeckSpec) -> tuple[DeckSpec, list[ParseWarning]]:
    """Two cards with the same identity in one file: keep the first, warn about the second."""
    seen: dict[str, CardSpec] = {}
    warnings = []
    for card in spec.cards:
        if card.key in seen:
            first = seen[card.key]
            what = f"id {card.explicit_id!r}" if card.explicit_id else "question"
            warnings.append(ParseWarning(spec.path, card.line, f"same {what} as the card at line {first.line}; "
                                         "this duplicate was skipped (give it its own id: to keep both)"))
            continue
        seen[card.key] = card
    if not warnings:
        return spec, []
    return replace(spec, cards=tuple(seen.values())), warnings


def apply_deck(session: Session, spec: DeckSpec, source_key: str, digest: str, origin: str, trust: bool,
               report: ImportReport, prefer_file: bool = False, dry_run: bool = False) -> Staging | None:
    """Match the file's cards to the stored ones and write the changes (the caller commits).

    Everything is read, matched and serialised before the first write, so the store's write lock
    (taken by the first write, held until the commit) covers only the writes themselves; many new
    cards on SQLite are staged beforehand in short transactions of their own (store/staging.py),
    and returned Staging makes them visible once the caller has committed (go_live)."""
    now = utcnow()
    staging: Staging | None = None
    engine = session.get_bind()
    sqlite = engine.dialect.name == "sqlite"
    if sqlite and not dry_run:
        discard_abandoned(engine)  # runs of killed imports: their rows would look like stored cards
    with session.no_autoflush:
        deck = session.scalar(select(Deck).where(Deck.name == spec.name))
        new_deck = deck is None
        deck_values = dict(name=spec.name, description=spec.description, tags=list(spec.tags), origin=origin,
                           trusted=trust)
        source = session.scalar(select(SourceFile).where(SourceFile.path == source_key))
        source_id = source.id if source is not None else None
        # (Rows staged by an import still running elsewhere are not stored cards yet.)
        existing = {} if new_deck else {card.key: card for card in session.scalars(
            select(Card).where(Card.deck_id == deck.id)) if not is_staged(card.retired_at)}
        new_specs, relink = _match_cards(spec, existing, source_id, report, prefer_file, now)
        if sqlite and not dry_run and len(new_specs) > BATCH:
            staging = Staging(engine, None if new_deck else deck.id, deck_values if new_deck else None)
    try:
        if staging is not None:
            deck_id, staged_source = staging.begin(source_key, source_id)
            insert_sql, rows = new_card_rows(engine.dialect, new_specs, deck_id, staged_source, now, staging.mark_text)
            del new_specs
            staging.add(insert_sql, rows)
            del rows
            if new_deck:
                deck = session.get(Deck, deck_id)
                new_deck = False
        # The first write of the import's own transaction: from here until the commit the write lock is held.
        if new_deck:
            deck = Deck(**deck_values, created_at=now)
            session.add(deck)
        else:
            if spec.description:
                deck.description = spec.description
            if spec.tags:
                deck.tags = list(spec.tags)
            if trust:
                deck.trusted = True
        session.flush()
        source_values = dict(path=source_key, deck_id=deck.id, content_hash=digest, format=spec.format, imported_at=now)
        if staging is not None:
            made = staging.commit(session.connection(), now, source_values)
            if made is not None:
                source = session.get(SourceFile, made)
                session.refresh(source)
        if source is None:
            source = SourceFile(**source_values)
            session.add(source)
            session.flush()
        else:
            for name, value in source_values.items():
                setattr(source, name, value)
        for row in relink:
            row.source_id = source.id
        session.flush()
        if staging is None and new_specs and sqlite:
            session.connection().exec_driver_sql(*new_card_rows(engine.dialect, new_specs, deck.id, source.id, now, None))
        elif staging is None and new_specs:  # PostgreSQL: row locks, no store-wide write lock; plain Core
            session.connection().execute(insert(Card.__table__),
                                         [card_values(card, deck.id, source.id, now) for card in new_specs])
        if spec.schedules:
            from flashtrain.services.carried_schedules import apply_schedules

            apply_schedules(session, deck.id, spec.schedules)
        return staging
    except BaseException:
        if staging is not None:
            session.rollback()
            staging.discard()
        raise


def _match_cards(spec: DeckSpec, existing: dict[str, Card], source_id: int | None, report: ImportReport,
                 prefer_file: bool, now) -> tuple[list[CardSpec], list[Card]]:
    """The file's new cards, and stored rows that now come from this file (their source is set
    once the source row exists); changes to stored rows are made on the ORM objects."""
    if not existing:  # a new deck, or one with no cards: every card is new
        report.added += len(spec.cards)
        return list(spec.cards), []
    matched: set[str] = set()
    spec_keys = {card.key for card in spec.cards}
    by_question: dict[str, Card] | None = None
    new_specs: list[CardSpec] = []
    relink: list[Card] = []
    for spec_card in spec.cards:
        row = existing.get(spec_card.key)
        if row is None or row.key in matched:
            # An id added to (or removed from) a card whose question is unchanged keeps its history.
            if by_question is None:
                by_question = {question_key(c.question, c.kind, c.cloze_index): c for c in existing.values()}
            by_own_question = spec_card.key if not spec_card.explicit_id else question_key(
                spec_card.question, spec_card.kind, spec_card.cloze_index)  # the same key, made once
            candidate = by_question.get(by_own_question)
            row = candidate if candidate is not None and candidate.key not in spec_keys and candidate.key not in matched else None
            if row is not None:
                row.key = spec_card.key
        if row is None:
            new_specs.append(spec_card)
            report.added += 1
            continue
        matched.add(row.key)
        relink.append(row)
        if row.retired_at is not None:
            row.retired_at = None
            report.restored += 1
        if row.content_hash != spec_card.content_hash and row.edited_in_app_at and not prefer_file:
            report.warnings.append(ParseWarning(spec.path, spec_card.line, KEPT_APP_EDIT))
            row.source_line = spec_card.line
            report.unchanged += 1
        elif row.content_hash != spec_card.content_hash:
            for name, value in card_values(spec_card, row.deck_id, row.source_id, now).items():
                if name not in ("created_at", "deck_id", "source_id"):
                    setattr(row, name, value)
            row.edited_in_app_at = None
            report.updated += 1
        else:
            row.source_line = spec_card.line
            report.unchanged += 1
    for row in existing.values():
        if (row.key not in matched and source_id is not None and row.source_id == source_id
                and row.retired_at is None):
            if row.edited_in_app_at and not prefer_file:
                continue  # made or changed in the app, so the file never had this version of it
            row.retired_at = now
            report.retired += 1
    return new_specs, relink


# The columns of a new card that differ from card to card, in the order `new_card_rows` gives them;
# the others are the same for every card of one import and are written into the statement.
CARD_COLUMNS = ("source_line", "key", "kind", "cloze_index", "explicit_id", "question", "answer", "tags", "hints",
                "snippet_id", "content_hash")


def new_card_rows(dialect, cards: list[CardSpec], deck_id: int, source_id: int, now,
                  retired_at: str | None) -> tuple[str, list[tuple]]:
    """The INSERT for new cards (SQLite) and its rows, every value already in the driver's form:
    the JSON texts are made once per distinct value, not once per card and column."""
    table = Card.__table__
    # The dialect's own processors: the texts are exactly those a Core statement would bind.
    json_text = table.c.tags.type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)
    date_text = table.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    stamp = date_text(now) if date_text else now
    lists: dict[tuple, str] = {}

    def as_json(values: tuple) -> str:
        text = lists.get(values)
        if text is None:
            text = lists[values] = json_text(list(values))
        return text

    rows = [(card.line, card.key, card.kind, card.cloze_index, card.explicit_id, card.question, card.answer,
             as_json(card.tags), as_json(card.hints), card.snippet, card.content_hash) for card in cards]
    same = dict(deck_id=deck_id, source_id=source_id, created_at=stamp, updated_at=stamp, retired_at=retired_at,
                suspended=False, flagged=False)
    columns = ", ".join((*CARD_COLUMNS, *same))
    values = ", ".join(["?"] * len(CARD_COLUMNS) + [_sql_literal(value) for value in same.values()])
    return f"INSERT INTO cards ({columns}) VALUES ({values})", rows


def _sql_literal(value: int | str | None) -> str:
    """A value written into the statement (ids, our own timestamp texts, booleans as SQLite has them)."""
    if value is None:
        return "NULL"
    if isinstance(value, (bool, int)):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


# -- bundled decks --------------------------------------------------------------------------------
def ensure_bundled_decks(store: Store) -> list[ImportReport]:
    """Import the decks that ship with flashtrain when the store has none yet (first use)."""
    with store.sessions() as session:
        if session.scalar(select(func.count()).select_from(Deck)):
            return []
    return import_bundled_decks(store)


def import_bundled_decks(store: Store) -> list[ImportReport]:
    """Bundled sources are keyed by file name, not by install path, so reinstalling keeps identity."""
    return [import_file(store, path, origin="bundled", trust=False, source_key=BUNDLED_PREFIX + path.name)
            for path in bundled_deck_files()]
