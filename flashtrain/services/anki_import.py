"""Applying an Anki collection to the store: cards, status, review history, states and media.

One package is one transaction: a package that cannot be read, or a store that refuses the write,
changes nothing. Re-importing a newer export of the same collection updates cards in place (identity
is the note GUID + card ordinal, see deck/anki/convert.py), keeps flashtrain's own reviews, and adds
only reviews that are not stored yet (services/anki_history.py), and rebuilds each touched card's
state by replaying its whole history. A card from Anki that a deck of the package no longer holds
(its note was deleted there) is retired, as a card removed from a Markdown file is; decks an
`.apkg` does not hold are left alone, since it usually holds only some decks. A whole collection
(`.colpkg`, or a bare collection file) also retires the Anki cards of decks that an earlier import
of the same collection filled and that it no longer has (deleted in Anki).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from flashtrain.deck.anki.convert import ANKI_ID_PREFIX, ImportedCard, ImportPlan, plan_import
from flashtrain.deck.anki.package import AnkiPackageError, read_collection
from flashtrain.deck.model import ParseWarning
from flashtrain.scheduler import core
from flashtrain.services.anki_history import apply_reviews
from flashtrain.services.imports import collector_paused, new_card_rows
from flashtrain.store.models import Card, Deck, MediaFile, SourceFile, utcnow
from flashtrain.store.pragmas import bulk_write_cache
from flashtrain.store.sync import KEPT_APP_EDIT, ImportReport, card_values

FORMAT = "apkg"


def import_anki_file(store, path: Path, deck_name: str | None = None, dry_run: bool = False,
                     origin: str = "imported", trust: bool = False, prefer_file: bool = False,
                     now: datetime | None = None) -> list[ImportReport]:
    """Import one Anki package or collection; one report per Anki deck (or one rejected report).

    A package whose bytes (and --deck) were imported before is skipped: one "unchanged" report."""
    with collector_paused():
        return _import_package(store, path, deck_name, dry_run, origin, trust, prefer_file, now)


def _import_package(store, path: Path, deck_name: str | None, dry_run: bool, origin: str, trust: bool,
                    prefer_file: bool, now: datetime | None) -> list[ImportReport]:
    source_key = SOURCE_PREFIX + str(path.resolve())
    try:
        digest = _digest(path, deck_name)
        if not (trust or prefer_file):
            unchanged = _unchanged_report(store, path, source_key, digest)
            if unchanged is not None:
                return [unchanged]
        collection = read_collection(path)
        if collection.placeholder_only:
            raise AnkiPackageError(path, "the package holds only Anki's placeholder collection (\"Please update "
                                         "to the latest Anki version\"); its real collection is missing")
        plan = plan_import(collection)
    except AnkiPackageError as error:
        return [ImportReport(str(path), format=FORMAT, status="rejected", error=str(error))]
    except (KeyError, TypeError, ValueError, IndexError, OverflowError, OSError) as error:
        # a collection Anki would not write (e.g. a review time out of range): refuse it whole
        return [ImportReport(str(path), format=FORMAT, status="rejected",
                             error=f"{path}: error: the collection holds data Anki does not write "
                                   f"({type(error).__name__}: {error})")]
    except MemoryError:
        return [ImportReport(str(path), format=FORMAT, status="rejected",
                             error=f"{path}: error: the collection is too large to read in memory")]
    if deck_name:
        wanted = deck_name.casefold()
        plan.decks = {name: deck for name, deck in plan.decks.items()
                      if name.casefold() == wanted or name.casefold().startswith(wanted + "::")}
        if not plan.decks:
            return [ImportReport(str(path), format=FORMAT, status="rejected",
                                 error=f"{path}: error: the package has no deck named {deck_name!r}")]
    if not plan.decks:
        return [ImportReport(str(path), format=FORMAT, status="rejected",
                             error=f"{path}: error: the package holds no cards")]
    reports = {name: ImportReport(str(path), deck=name, format=FORMAT) for name in plan.decks}
    first = reports[next(iter(reports))]
    first.warnings = list(plan.warnings)
    if plan.orphan_reviews_skipped:
        first.warnings.append(ParseWarning(str(path), 0, f"{plan.orphan_reviews_skipped} review(s) of cards deleted "
                                                         "in Anki were skipped"))
    whole = deck_name is None and is_whole_collection(path)
    try:
        with store.sessions() as session:
            with session.begin():
                with _bulk_write_cache(session):
                    _apply(session, plan, reports, origin, trust, prefer_file, now or utcnow(), whole, digest)
                    _remember_source(session, source_key, digest, next(iter(plan.decks)), now or utcnow())
                if dry_run:
                    session.rollback()
    except SQLAlchemyError as error:
        return [ImportReport(str(path), format=FORMAT, status="rejected",
                             error=f"{path}: error: the store refused the import: {getattr(error, 'orig', None) or error}")]
    return list(reports.values())


SOURCE_PREFIX = "anki-package:"
# One source row per deck of a whole collection: "anki-collection:<collection>/deck/<Anki's deck id>",
# pointing at the store deck it went into. <collection> is the first of these imports' smallest deck
# id; a later whole collection is the same one when it still holds one of its recorded decks.
COLLECTION_PREFIX = "anki-collection:"
WHOLE_COLLECTION_SUFFIXES = (".colpkg", ".anki2", ".anki21", ".anki21b")
DEFAULT_DECK_ID = 1  # every collection has it and it cannot be deleted: it tells no collection apart


def is_whole_collection(path: Path) -> bool:
    """A .colpkg or a bare collection file is the learner's whole collection; an .apkg (or any other
    zip) may hold only some decks."""
    import zipfile

    return path.suffix.lower() in WHOLE_COLLECTION_SUFFIXES or not zipfile.is_zipfile(path)


def _bulk_write_cache(session):
    """SQLite: a large page cache while the package is written (store/pragmas.py says why)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return nullcontext()
    return bulk_write_cache(connection.connection.dbapi_connection)


def _digest(path: Path, deck_name: str | None) -> str:
    digest = hashlib.sha256(f"{deck_name}\x00".encode())
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as error:
        raise AnkiPackageError(path, f"cannot read the file: {error.strerror or error}") from error
    return digest.hexdigest()


def _unchanged_report(store, path: Path, source_key: str, digest: str) -> ImportReport | None:
    with store.sessions() as session:
        source = session.scalar(select(SourceFile).where(SourceFile.path == source_key))
        if source is None or source.content_hash != digest:
            return None
        return ImportReport(str(path), deck="(every deck of the package)", format=FORMAT, status="unchanged")


def _remember_source(session, source_key: str, digest: str, deck_name: str, now: datetime) -> None:
    deck_id = session.scalar(select(Deck.id).where(Deck.name == deck_name))
    source = session.scalar(select(SourceFile).where(SourceFile.path == source_key))
    if source is None:
        session.add(SourceFile(path=source_key, deck_id=deck_id, content_hash=digest, format=FORMAT, imported_at=now))
    else:
        source.deck_id, source.content_hash, source.imported_at = deck_id, digest, now


def _apply(session, plan: ImportPlan, reports: dict[str, ImportReport], origin: str, trust: bool,
           prefer_file: bool, now: datetime, whole: bool = False, digest: str = "") -> None:
    from flashtrain.services.settings import load_settings

    config = load_settings(session).scheduler_config()
    tomorrow = core.day_boundary(core.study_day(now, config) + timedelta(days=1), config)
    stored_media = _store_media(session, plan, now)
    decks = {deck.name: deck for deck in session.scalars(select(Deck).where(Deck.name.in_(list(plan.decks))))}
    for name in plan.decks:
        if name not in decks:
            decks[name] = Deck(name=name, description="", tags=[], origin=origin, trusted=trust, created_at=now)
            session.add(decks[name])
        elif trust:
            decks[name].trusted = True
    session.flush()
    finder = _CardFinder(session, [key for deck in plan.decks.values() for card in deck.cards
                                   for key in (card.own_key or card.spec.key, card.legacy_key) if key])
    touched: list[tuple[int, ImportedCard]] = []
    added: set[int] = set()
    for name, deck_plan in plan.decks.items():
        report, deck = reports[name], decks[name]
        report.media_stored = len(deck_plan.media & stored_media)
        report.reviews_skipped = deck_plan.reviews_skipped
        new_cards: list[ImportedCard] = []
        seen_keys: set[str] = set()
        for card in deck_plan.cards:
            if card.spec.key in seen_keys:  # e.g. a note duplicated in Anki keeps our Id field
                report.warnings.append(ParseWarning(report.path, 0, f"two cards of deck {name!r} have the identity "
                                                    f"{card.spec.key!r}; the second was skipped"))
                continue
            seen_keys.add(card.spec.key)
            row = finder.find(name, card.own_key or card.spec.key)
            if row is None and card.legacy_key:  # stored by an earlier flashtrain under another key
                row = finder.find(name, card.legacy_key)
            if row is None:  # its Anki status is set by _insert_new_cards
                new_cards.append(card)
                report.added += 1
                continue
            if row.retired_at is not None:
                row.retired_at = None
                report.restored += 1
            content_changed = row.content_hash != card.spec.content_hash
            if card.own_key is not None:  # one of ours back from Anki: changed only if edited there
                content_changed = _changed_in_anki(row, card)
            changed = content_changed or row.deck_id != deck.id
            if not content_changed and changed:
                row.deck_id = deck.id
                report.updated += 1
            elif changed and row.edited_in_app_at and not prefer_file:
                report.warnings.append(ParseWarning(report.path, 0, f"{card.spec.explicit_id}: {KEPT_APP_EDIT}"))
                report.unchanged += 1
            elif changed:
                for column, value in card_values(card.spec, deck.id, None, now).items():
                    if column not in ("created_at", "source_id", "source_line", "key"):
                        setattr(row, column, value)
                if card.spec.key != row.key and not finder.taken(deck.id, card.spec.key):
                    row.key = card.spec.key  # a question edited in Anki moves a question-keyed card
                row.edited_in_app_at = None
                report.updated += 1
            else:
                report.unchanged += 1
            row.suspended, row.flagged = card.suspended, card.flagged
            row.buried_until = tomorrow if card.buried else None
            touched.append((row.id, card))
        if new_cards:
            inserted = _insert_new_cards(session, deck.id, new_cards, now, tomorrow)
            added.update(card_id for card_id, _ in inserted)
            touched += inserted
    session.flush()
    gone = _decks_gone_from_collection(session, plan, decks, reports, digest, now) if whole else {}
    _retire_missing(session, {**decks, **gone}, touched, reports, prefer_file, now, deleted_decks=set(gone))
    for name in gone:  # a deck gone from the collection with nothing left to retire
        if not reports[name].retired:
            del reports[name]
    apply_reviews(session, touched, reports, plan, config, frozenset(added))


def _decks_gone_from_collection(session, plan: ImportPlan, decks: dict[str, Deck], reports: dict[str, ImportReport],
                                digest: str, now: datetime) -> dict[str, Deck]:
    """Store decks that an earlier import of this whole collection filled and that it no longer gives
    any cards (the deck was deleted in Anki, or emptied): their Anki cards are compared as well, so
    they are retired like cards of deleted notes. Records this import's decks for the next one."""
    records = []
    for source in session.scalars(select(SourceFile).where(SourceFile.path.like(f"{COLLECTION_PREFIX}%"))):
        collection, _, anki_id = source.path[len(COLLECTION_PREFIX):].rpartition("/deck/")
        if anki_id.isdigit():
            records.append((collection, int(anki_id), source))
    anki_ids = set(plan.deck_ids.values()) - {DEFAULT_DECK_ID}
    same = {collection for collection, anki_id, _ in records if anki_id in anki_ids}
    given = {plan.deck_ids[name] for name in plan.decks if name in plan.deck_ids}
    by_id = {deck.id: deck for deck in decks.values()}
    gone: dict[str, Deck] = {}
    for collection, anki_id, source in records:
        if collection in same and anki_id not in given and source.deck_id not in by_id:
            deck = session.get(Deck, source.deck_id)
            if deck is not None and deck.name not in decks:
                gone[deck.name] = deck
                reports.setdefault(deck.name, ImportReport(reports[next(iter(reports))].path, deck=deck.name,
                                                           format=FORMAT))
    if anki_ids:
        name = min(same) if same else str(min(anki_ids))
        stored = {source.path: source for _, _, source in records}
        for deck_name, deck in decks.items():
            anki_id = plan.deck_ids.get(deck_name)
            if anki_id is None or anki_id == DEFAULT_DECK_ID:
                continue
            key = f"{COLLECTION_PREFIX}{name}/deck/{anki_id}"
            if key in stored:
                stored[key].deck_id, stored[key].content_hash, stored[key].imported_at = deck.id, digest, now
            else:
                session.add(SourceFile(path=key, deck_id=deck.id, content_hash=digest, format=FORMAT, imported_at=now))
    return gone


def _insert_new_cards(session, deck_id: int, cards: list[ImportedCard], now: datetime,
                      tomorrow: datetime) -> list[tuple[int, ImportedCard]]:
    """Insert a deck's new cards, then set their Anki status; returns (store id, card) pairs.
    SQLite: one driver executemany of pre-serialised rows, as the Markdown import does (a Core insert
    bound every value of every row); PostgreSQL: a Core insert (new_card_rows writes SQLite's SQL)."""
    connection = session.connection()
    before = session.scalar(select(func.max(Card.id))) or 0
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(*new_card_rows(connection.dialect, [card.spec for card in cards], deck_id, None,
                                                  now, None))
    else:
        connection.execute(insert(Card.__table__), [card_values(card.spec, deck_id, None, now) for card in cards])
    # New ids come after every stored one (SQLite: max + 1; PostgreSQL: its sequence), so one range
    # query finds them; a key it misses (ids loaded out of sequence) is looked up by key.
    ids = dict(session.execute(select(Card.key, Card.id).where(Card.deck_id == deck_id, Card.id > before)).all())
    missing = [card.spec.key for card in cards if card.spec.key not in ids]
    for start in range(0, len(missing), 500):
        ids.update(session.execute(select(Card.key, Card.id).where(
            Card.deck_id == deck_id, Card.key.in_(missing[start:start + 500]))).all())
    for column, value, chosen in (("suspended", True, [ids[c.spec.key] for c in cards if c.suspended]),
                                  ("flagged", True, [ids[c.spec.key] for c in cards if c.flagged]),
                                  ("buried_until", tomorrow, [ids[c.spec.key] for c in cards if c.buried])):
        for start in range(0, len(chosen), 500):
            session.execute(update(Card).where(Card.id.in_(chosen[start:start + 500])).values({column: value}),
                            execution_options={"synchronize_session": False})
    return [(ids[card.spec.key], card) for card in cards]


def _retire_missing(session, decks: dict[str, Deck], touched: list[tuple[int, ImportedCard]],
                    reports: dict[str, ImportReport], prefer_file: bool, now: datetime,
                    deleted_decks: set[str] = frozenset()) -> None:
    """Cards that came from Anki and sit in a deck this package holds, but are no longer in it (their
    note was deleted in Anki), are retired as a Markdown re-import retires cards removed from their
    file: out of study, history kept, restored if a later package has them again. Decks the package
    does not hold are left alone (an .apkg often holds only some decks)."""
    present = {card_id for card_id, _ in touched}
    deck_names = {deck.id: name for name, deck in decks.items()}
    gone: list[int] = []
    for card_id, deck_id, edited in session.execute(select(Card.id, Card.deck_id, Card.edited_in_app_at).where(
            Card.deck_id.in_(list(deck_names)), Card.explicit_id.like(f"{ANKI_ID_PREFIX}%"),
            Card.retired_at.is_(None))):
        if card_id in present or (edited and not prefer_file):
            continue  # still there; or changed in the app since: as for Markdown files, that version is kept
        gone.append(card_id)
        reports[deck_names[deck_id]].retired += 1
    for start in range(0, len(gone), 500):
        session.execute(update(Card).where(Card.id.in_(gone[start:start + 500])).values(retired_at=now),
                        execution_options={"synchronize_session": False})
    for report in reports.values():
        if report.retired and report.deck in deleted_decks:
            report.warnings.append(ParseWarning(report.path, 0, (
                f"deck {report.deck!r} is no longer in the collection (deleted or emptied in Anki): its "
                f"{report.retired} card(s) from Anki were retired: out of study, their history kept; a later "
                "collection that has them brings them back")))
        elif report.retired:
            report.warnings.append(ParseWarning(report.path, 0, (
                f"{report.retired} card(s) of deck {report.deck!r} are no longer in the package (deleted in Anki) "
                "and were retired: out of study, their history kept; a later package that has them brings "
                "them back")))


class _CardFinder:
    """Stored cards by deck and key; a key found in one other deck only is a card moved in Anki."""

    def __init__(self, session, keys: list[str]) -> None:
        self.by_key: dict[str, list[tuple[str, Card]]] = defaultdict(list)
        self.taken_keys: set[tuple[int, str]] = set()
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            for row, deck in session.execute(select(Card, Deck.name).join(Deck, Deck.id == Card.deck_id)
                                             .where(Card.key.in_(unique[start:start + 500]))):
                self.by_key[row.key].append((deck, row))
                self.taken_keys.add((row.deck_id, row.key))

    def find(self, deck: str, key: str) -> Card | None:
        rows = self.by_key.get(key, [])
        same_deck = [row for name, row in rows if name == deck]
        if same_deck:
            return same_deck[0]
        return rows[0][1] if len(rows) == 1 else None

    def taken(self, deck_id: int, key: str) -> bool:
        return (deck_id, key) in self.taken_keys


def _changed_in_anki(row: Card, card: ImportedCard) -> bool:
    """Did the learner edit this card in Anki? Compare with what our own export of it reads back as."""
    from flashtrain.deck.anki.convert import flashtrain_card_spec
    from flashtrain.deck.anki.export import BASIC, CLOZE, REVERSED, ExportCard, note_fields

    exported = ExportCard(deck="", key=row.key, kind=row.kind, cloze_index=row.cloze_index, question=row.question,
                          answer=row.answer, tags=tuple(row.tags or ()), hints=tuple(row.hints or ()),
                          snippet=row.snippet_id)
    notetype = CLOZE if row.kind == "cloze" else REVERSED if row.kind == "reversed" else BASIC
    names = ("Text", "Back Extra") if row.kind == "cloze" else ("Front", "Back")
    fields = dict(zip(names + ("Hints", "Snippet", "Id"), note_fields(notetype, exported)))
    fields["Id"] = card.own_key.split("#")[0] if card.own_key else ""
    ordinal = row.cloze_index - 1 if row.kind == "cloze" else (1 if row.kind == "reversed" else 0)
    expected, _, _ = flashtrain_card_spec(ordinal, fields, row.kind == "cloze", tuple(row.tags or ()))
    return expected is None or expected.content_hash != card.spec.content_hash


def _store_media(session, plan: ImportPlan, now: datetime) -> set[str]:
    """Store the package's media files by name; a different file under a stored name is kept apart."""
    if not plan.media:
        return set()
    names = list(plan.media)
    stored: dict[str, str] = {}
    for start in range(0, len(names), 500):
        stored.update(session.execute(select(MediaFile.name, MediaFile.sha1).where(
            MediaFile.name.in_(names[start:start + 500]))).all())
    rows = []
    for name, data in plan.media.items():
        digest = hashlib.sha1(data).hexdigest()
        if name in stored:
            if stored[name] != digest:
                plan.warnings.append(ParseWarning(plan.warnings[0].path if plan.warnings else "", 0,
                                                  f"media file {name!r} differs from the stored file of that name; "
                                                  "the stored one is kept"))
            continue
        rows.append(dict(name=name, sha1=digest, size=len(data), data=data, created_at=now))
    if rows:
        session.connection().execute(insert(MediaFile.__table__), rows)
    return set(plan.media)
