"""Bringing deck files into the store without ever losing a learner's history.

Identity rules (see cards/README.md):
- a card is matched to its stored row by deck + key (explicit id, else the normalised question);
- a card that gained or lost an explicit id, but kept its question, is matched by its question;
- editing answer, hints or tags updates the row in place, so history stays attached;
- a card missing from its file is retired (out of study, history kept) and restored if it returns;
- a file whose bytes and import options are unchanged is skipped by hash;
- a card edited in the app (when its file could not be written) keeps that edit through later
  imports of a changed file, with a warning, unless the import is told to prefer the file;
- each file is one transaction: a file that fails to parse changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from flashtrain.deck.importers import parse_text, read_text
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec, ParseWarning
from flashtrain.store.engine import Store
from flashtrain.store.models import Card, Deck, SourceFile, utcnow

KEPT_APP_EDIT = ("this card was edited in the app since the last import; your edit is kept and the file's "
                 "version was not applied (import with --prefer-file to take the file's version)")
DECK_SUFFIXES = {".md", ".markdown", ".txt", ".csv", ".tsv"}
ANKI_SUFFIXES = {".apkg", ".colpkg", ".anki2", ".anki21", ".anki21b"}
TEXT_SRS_SUFFIXES = {".org"}  # org-drill
BUNDLED_PREFIX = "bundled:"


@dataclass
class ImportReport:
    path: str
    deck: str = ""
    format: str = ""
    status: str = "imported"  # imported | unchanged | rejected
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    restored: int = 0
    # Anki packages also bring review history and media (0 for other formats).
    reviews_added: int = 0
    reviews_skipped: int = 0
    reviews_duplicate: int = 0
    media_stored: int = 0
    warnings: list[ParseWarning] = field(default_factory=list)
    error: str | None = None
    snippet_links: list[tuple[int, str]] = field(default_factory=list)  # (line, snippet id) of linked cards

    def to_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k not in ("warnings", "snippet_links")}
        data["warnings"] = [str(w) for w in self.warnings]
        return data


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[ImportReport]]:
    """Files as given, folders expanded to their deck files (sorted); missing paths are reported,
    and so is every file of a folder that is not imported, with the reason (status "skipped")."""
    files: list[Path] = []
    reports: list[ImportReport] = []
    for path in paths:
        if path.is_dir():
            found, skipped = _folder_files(path)
            files += found
            reports += skipped
        elif path.is_file():
            files.append(path)
        else:
            reports.append(ImportReport(str(path), status="rejected", error=f"{path}: error: no such file or folder"))
    return files, reports


def _folder_files(folder: Path) -> tuple[list[Path], list[ImportReport]]:
    found: list[Path] = []
    skipped: list[ImportReport] = []

    def skip(where: Path, reason: str) -> None:
        skipped.append(ImportReport(str(where), status="skipped", error=f"{where}: skipped: {reason}"))

    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            skip(entry, "hidden " + ("folder" if entry.is_dir() else "file"))
        elif entry.is_dir():
            if entry.name == "snippets":
                skip(entry, "code snippets folder (its snippets are read with the decks that link them)")
                continue
            more, more_skipped = _folder_files(entry)
            found += more
            skipped += more_skipped
        elif not entry.is_file():
            skip(entry, "not a regular file")
        elif entry.name.lower() == "readme.md":
            skip(entry, "a README, not a deck")
        elif entry.suffix.lower() in DECK_SUFFIXES | ANKI_SUFFIXES | TEXT_SRS_SUFFIXES or _is_anki_file(entry):
            found.append(entry)
        else:
            skip(entry, f"not a deck file ({entry.suffix or 'no extension'}; decks are "
                        f"{', '.join(sorted(DECK_SUFFIXES | ANKI_SUFFIXES | TEXT_SRS_SUFFIXES))})")
    return found, skipped


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
        if fmt in (None, "apkg") and _is_anki_file(path):
            from flashtrain.services.anki_import import import_anki_file

            reports += import_anki_file(store, path, deck_name=deck_name, dry_run=dry_run, origin=origin,
                                        trust=trust, prefer_file=prefer_file)
            continue
        reports.append(import_file(store, path, fmt=fmt, deck_name=deck_name, dry_run=dry_run,
                                   origin=origin, trust=trust, prefer_file=prefer_file))
    return reports


def shown_path(path: Path) -> str:
    """The path as text that can be printed and stored: undecodable bytes of a name escaped (\\xff)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _is_anki_file(path: Path) -> bool:
    from flashtrain.deck.anki.package import is_anki_file

    return is_anki_file(path)


def import_file(store: Store, path: Path, fmt: str | None = None, deck_name: str | None = None,
                dry_run: bool = False, origin: str = "imported", trust: bool = False,
                source_key: str | None = None, prefer_file: bool = False) -> ImportReport:
    """Import one file in one transaction. Never raises for bad input: the report says what failed."""
    source_key = source_key or str(path.resolve())
    report = ImportReport(str(path))
    try:
        text = read_text(path)
        digest = hashlib.sha256(f"{fmt}\x00{deck_name}\x00{text}".encode()).hexdigest()
        with store.sessions() as session:
            source = session.scalar(select(SourceFile).where(SourceFile.path == source_key))
            if source is not None and source.content_hash == digest and not trust and not prefer_file:
                deck = session.get(Deck, source.deck_id)
                report.status, report.deck, report.format = "unchanged", deck.name, source.format
                report.unchanged = session.scalar(select(func.count()).select_from(Card).where(
                    Card.source_id == source.id, Card.retired_at.is_(None))) or 0
                return report
        spec = parse_text(text, str(path), fmt, deck_name)
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
                apply_deck(session, spec, source_key, digest, origin, trust, report, prefer_file)
                if dry_run:
                    session.rollback()
    except SQLAlchemyError as error:  # e.g. the store is locked by another process: nothing was written
        report.status, report.error = "rejected", f"{path}: error: the store refused the import: {error.orig or error}"
        report.added = report.updated = report.unchanged = report.retired = report.restored = 0
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


def question_key(question: str, kind: str, cloze_index: int) -> str:
    return CardSpec(question=question, answer="", kind=kind, cloze_index=cloze_index).key


def apply_deck(session: Session, spec: DeckSpec, source_key: str, digest: str, origin: str, trust: bool,
               report: ImportReport, prefer_file: bool = False) -> None:
    """Match the file's cards to the stored ones and write the changes (the caller commits).

    Everything is read, matched and serialised before the first write, so the store's write lock
    (taken by the first write, held until the commit) covers only the writes themselves: a study
    session in another process waits for those, not for the whole import."""
    now = utcnow()
    with session.no_autoflush:
        deck = session.scalar(select(Deck).where(Deck.name == spec.name))
        new_deck = deck is None
        if new_deck:
            deck = Deck(name=spec.name, description=spec.description, tags=list(spec.tags), origin=origin,
                        trusted=trust, created_at=now)
        else:
            if spec.description:
                deck.description = spec.description
            if spec.tags:
                deck.tags = list(spec.tags)
            if trust:
                deck.trusted = True
        source = session.scalar(select(SourceFile).where(SourceFile.path == source_key))
        source_id = source.id if source is not None else None
        existing = {} if new_deck else {card.key: card for card in
                                        session.scalars(select(Card).where(Card.deck_id == deck.id))}
        new_rows, relink = _match_cards(spec, existing, deck.id, source_id, now, report, prefer_file)
        new_cards = _prepared_insert(session, new_rows)

    # The first write: from here until the commit the store's write lock is held.
    if new_deck:
        session.add(deck)
        session.flush()
    if source is None:
        source = SourceFile(path=source_key, deck_id=deck.id, content_hash=digest, format=spec.format,
                            imported_at=now)
        session.add(source)
        session.flush()
    else:
        source.deck_id, source.content_hash, source.format, source.imported_at = deck.id, digest, spec.format, now
    for row in relink:
        row.source_id = source.id
    session.flush()
    if new_cards is not None:
        new_cards(deck.id, source.id)
    if spec.schedules:
        from flashtrain.services.carried_schedules import apply_schedules

        apply_schedules(session, deck.id, spec.schedules)


def _match_cards(spec: DeckSpec, existing: dict[str, Card], deck_id: int | None, source_id: int | None, now,
                 report: ImportReport, prefer_file: bool) -> tuple[list[dict], list[Card]]:
    """New card rows to insert, and stored rows that now come from this file (their source is set
    once the source row exists); changes to stored rows are made on the ORM objects."""
    matched: set[str] = set()
    spec_keys = {card.key for card in spec.cards}
    by_question: dict[str, Card] | None = None
    new_rows: list[dict] = []
    relink: list[Card] = []
    for spec_card in spec.cards:
        row = existing.get(spec_card.key)
        if row is None or row.key in matched:
            # An id added to (or removed from) a card whose question is unchanged keeps its history.
            if by_question is None:
                by_question = {question_key(c.question, c.kind, c.cloze_index): c for c in existing.values()}
            candidate = by_question.get(question_key(spec_card.question, spec_card.kind, spec_card.cloze_index))
            row = candidate if candidate is not None and candidate.key not in spec_keys and candidate.key not in matched else None
            if row is not None:
                row.key = spec_card.key
        if row is None:
            new_rows.append(card_values(spec_card, deck_id, source_id, now))
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
            for name, value in card_values(spec_card, deck_id, source_id, now).items():
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
    return new_rows, relink


def _prepared_insert(session: Session, rows: list[dict]):
    """The INSERT of new cards with every value already converted for the driver (JSON, UTC
    datetimes), so that writing them is one plain executemany; returns a function taking the deck
    and source ids (known only after the first write), or None when there is nothing to insert.

    (A Core executemany would convert each value while the write lock is held; on 100,000 cards
    that was most of the lock time.)"""
    if not rows:
        return None
    table = Card.__table__
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":  # PostgreSQL has row locks, not one store-wide write lock: plain Core
        def write_core(deck_id: int, source_id: int) -> None:
            for row in rows:
                row["deck_id"], row["source_id"] = deck_id, source_id
            session.connection().execute(insert(table), rows)

        return write_core
    names = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    order = list(compiled.positiontup) if compiled.positional else names
    processors = [table.c[name].type.bind_processor(dialect) for name in order]
    # Columns the statement lists because they have a default (suspended, flagged): scalar defaults.
    defaults = {name: table.c[name].default.arg for name in order if name not in rows[0]}
    if any(callable(value) for value in defaults.values()):
        raise ValueError(f"card_values must give {sorted(defaults)}")  # keeps this path honest if models change
    deck_at, source_at = order.index("deck_id"), order.index("source_id")
    params = []
    for row in rows:
        values = [row[name] if name in row else defaults[name] for name in order]
        params.append([value if convert is None else convert(value) for value, convert in zip(values, processors)])

    def write(deck_id: int, source_id: int) -> None:
        for values in params:
            values[deck_at], values[source_at] = deck_id, source_id
        batch = [tuple(v) for v in params] if compiled.positional else [dict(zip(order, v)) for v in params]
        session.connection().exec_driver_sql(str(compiled), batch)

    return write


def card_values(card: CardSpec, deck_id: int, source_id: int, now) -> dict:
    return dict(deck_id=deck_id, source_id=source_id, source_line=card.line, key=card.key, kind=card.kind,
                cloze_index=card.cloze_index, explicit_id=card.explicit_id, question=card.question,
                answer=card.answer, tags=list(card.tags), hints=list(card.hints), snippet_id=card.snippet,
                content_hash=card.content_hash, created_at=now, updated_at=now, retired_at=None)


# -- bundled decks --------------------------------------------------------------------------------
def bundled_deck_files() -> list[Path]:
    from flashtrain.paths import bundled_cards_dir

    folder = bundled_cards_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md")


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


# -- reading decks back out -----------------------------------------------------------------------
def deck_spec_from_store(session: Session, deck: Deck) -> DeckSpec:
    """The active cards of a deck as a DeckSpec, in file order, for the exporters."""
    rows = session.scalars(select(Card).where(Card.deck_id == deck.id, Card.retired_at.is_(None))
                           .order_by(Card.source_id, Card.source_line, Card.cloze_index, Card.id))
    cards = tuple(CardSpec(question=row.question, answer=row.answer, line=row.source_line, tags=tuple(row.tags),
                           explicit_id=row.explicit_id, hints=tuple(row.hints), snippet=row.snippet_id,
                           kind=row.kind, cloze_index=row.cloze_index) for row in rows)
    return DeckSpec(name=deck.name, cards=cards, description=deck.description, tags=tuple(deck.tags))
