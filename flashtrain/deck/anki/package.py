"""Opening an Anki package or collection file into plain Python data.

Layouts (see /work/shared/reference/anki-packages.md and Anki's rslib/src/import_export/package):
- current: zip with `collection.anki21b` (zstd-compressed SQLite, schema 18), `media` as a zstd
  protobuf `MediaEntries`, media files named 0, 1, … each zstd-compressed;
- legacy: zip with `collection.anki21` (or only `collection.anki2`; schema 11, JSON in `col`),
  `media` as JSON {"0": "name"}, media files stored as they are;
- a bare collection file (`.anki2`/`.anki21`/`.anki21b`), plain or zstd-compressed.
Both zip layouts carry a placeholder `collection.anki2` ("Please update to the latest Anki
version") next to the real collection; it is read only when nothing better is there.

The collection is read in memory (`sqlite3.deserialize`), so nothing is ever written next to the
user's file. Every failure is an `AnkiPackageError` naming the file.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from flashtrain.deck.model import DeckError

if TYPE_CHECKING:
    import numpy as np

SQLITE_MAGIC = b"SQLite format 3\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ZIP_MAGIC = b"PK\x03\x04"
ANKI_SUFFIXES = {".apkg", ".colpkg", ".anki2", ".anki21", ".anki21b"}
COLLECTION_NAMES = ("collection.anki21b", "collection.anki21", "collection.anki2")
PLACEHOLDER_TEXT = "please update to the latest anki version"
MAX_COLLECTION_BYTES = 4 << 30  # refuse a "collection" that decompresses beyond 4 GiB


class AnkiPackageError(DeckError):
    """A package or collection that cannot be read; str() is `path: error: …`."""

    def __init__(self, path: str | Path, message: str) -> None:
        super().__init__(path, None, message)


@dataclass(frozen=True)
class Notetype:
    id: int
    name: str
    is_cloze: bool
    fields: tuple[str, ...]
    templates: tuple[tuple[str, str, str], ...]  # (name, question format, answer format) by ordinal
    original_stock_kind: int = 0  # schema 18 records which stock notetype a copy came from


class Note(NamedTuple):  # tuples, as cards: a collection has hundreds of thousands
    id: int
    guid: str
    notetype_id: int
    tags: tuple[str, ...]
    fields: tuple[str, ...]


class AnkiCard(NamedTuple):  # tuples: a collection has hundreds of thousands of these
    id: int
    note_id: int
    deck_id: int  # the card's home deck (a card in a filtered deck counts in its original deck)
    ord: int
    type: int
    queue: int
    due: int
    interval: int
    factor: int
    reps: int
    lapses: int
    flags: int


class Revlog(NamedTuple):
    """A collection's review log as columns (int64 arrays, one entry per row, in time order): a
    collection holds hundreds of thousands of rows, and no Python object is made per row."""

    stamp_ms: np.ndarray  # the row id: the review's time in epoch milliseconds
    card_id: np.ndarray
    card_known: np.ndarray  # bool: card_id is an integer (a row naming anything else belongs to no card)
    ease: np.ndarray  # 1 Again .. 4 Easy; 0 for a manual row (ease 0) or anything Anki does not write
    time_ms: np.ndarray  # the answer's duration; 0 when not a positive number

    def __len__(self) -> int:
        return int(self.stamp_ms.size)


@dataclass
class Collection:
    path: str
    schema: int
    created: int  # epoch seconds of the collection's day 0 (col.crt)
    notetypes: dict[int, Notetype]
    decks: dict[int, str]  # id -> name with '::' between levels
    notes: dict[int, Note]
    cards: list[AnkiCard]
    revlog: Revlog  # in time (id) order
    media: dict[str, bytes] = field(default_factory=dict)  # file name -> content
    media_errors: list[str] = field(default_factory=list)
    placeholder_only: bool = False


def is_anki_file(path: Path) -> bool:
    """True for a file that is an Anki package or collection by name or by its first bytes."""
    if path.suffix.lower() in ANKI_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    if head.startswith(SQLITE_MAGIC):
        return True
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                return any(name in archive.namelist() for name in COLLECTION_NAMES)
        except (zipfile.BadZipFile, OSError):
            return False
    return False


def read_collection(path: Path, with_media: bool = True) -> Collection:
    """The collection in `path` (package or bare collection file), or AnkiPackageError."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as error:
        raise AnkiPackageError(path, f"cannot read the file: {error.strerror or error}") from error
    if head == ZIP_MAGIC[:4] or zipfile.is_zipfile(path):
        return _read_package(path, with_media)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise AnkiPackageError(path, f"cannot read the file: {error.strerror or error}") from error
    if data.startswith(ZSTD_MAGIC):
        data = _zstd(data, path, "the collection")
    return _open_sqlite(data, path)


def _read_package(path: Path, with_media: bool) -> Collection:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise AnkiPackageError(path, f"not a readable Anki package (damaged or truncated zip): {error}") from error
    with archive:
        names = set(archive.namelist())
        chosen = next((name for name in COLLECTION_NAMES if name in names), None)
        if chosen is None:
            raise AnkiPackageError(path, "not an Anki package: the zip holds no collection.anki21b, "
                                         "collection.anki21 or collection.anki2")
        data = _member(archive, chosen, path)
        if chosen.endswith("anki21b") or data.startswith(ZSTD_MAGIC):
            data = _zstd(data, path, chosen)
        collection = _open_sqlite(data, path, chosen)
        if chosen == "collection.anki2" and _is_placeholder(collection):
            collection.placeholder_only = True
        if with_media and "media" in names:
            _read_media(archive, path, collection)
    return collection


def _member(archive: zipfile.ZipFile, name: str, path: Path) -> bytes:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile, ValueError) as error:
        raise AnkiPackageError(path, f"the package's {name} cannot be read (damaged or truncated zip): {error}") from error


def _zstd(data: bytes, path: Path, what: str) -> bytes:
    import zstandard

    try:
        reader = zstandard.ZstdDecompressor().stream_reader(data)
        chunks, total = [], 0
        while chunk := reader.read(1 << 20):
            total += len(chunk)
            if total > MAX_COLLECTION_BYTES:
                raise AnkiPackageError(path, f"{what} decompresses to more than {MAX_COLLECTION_BYTES >> 30} GiB; refused")
            chunks.append(chunk)
        return b"".join(chunks)
    except zstandard.ZstdError as error:
        raise AnkiPackageError(path, f"{what} is not valid zstd data (damaged package?): {error}") from error


def _unicase(a: str, b: str) -> int:
    a, b = a.casefold(), b.casefold()
    return (a > b) - (a < b)


def _open_sqlite(data: bytes, path: Path, member: str = "") -> Collection:
    where = f" ({member})" if member else ""
    if not data.startswith(SQLITE_MAGIC) or len(data) < 100:
        raise AnkiPackageError(path, f"the collection{where} is not an SQLite database")
    data = bytearray(data)
    data[18:20] = b"\x01\x01"  # WAL mode -> rollback journal, or an in-memory database will not open it
    connection = sqlite3.connect(":memory:")
    try:
        connection.create_collation("unicase", _unicase)
        connection.deserialize(bytes(data))
        connection.execute("PRAGMA query_only = 1")
        return _read_tables(connection, path)
    except sqlite3.DatabaseError as error:
        raise AnkiPackageError(path, f"the collection{where} is damaged or not an Anki collection: {error}") from error
    except (KeyError, TypeError, ValueError, AttributeError) as error:  # e.g. a deck without an id in col.decks
        raise AnkiPackageError(path, f"the collection{where} holds data Anki does not write "
                                     f"({type(error).__name__}: {error})") from error
    finally:
        connection.close()


def _read_tables(db: sqlite3.Connection, path: Path) -> Collection:
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"col", "notes", "cards"} <= tables:
        raise AnkiPackageError(path, "not an Anki collection: the database has no col/notes/cards tables")
    created, schema, models_json, decks_json = db.execute("SELECT crt, ver, models, decks FROM col").fetchone()
    if schema < 11 or schema > 18:
        raise AnkiPackageError(path, f"unknown collection schema {schema} (Anki 2.1 schemas 11 to 18 are read)")
    if "notetypes" in tables:
        notetypes, decks = _schema18_notetypes(db), _schema18_decks(db)
    else:
        notetypes, decks = _schema11_notetypes(models_json, path), _schema11_decks(decks_json, path)
    notes = {note_id: _note((note_id, str(guid), mid, tuple(str(tags).split()), tuple(str(fields).split("\x1f"))))
             for note_id, guid, mid, tags, fields in db.execute("SELECT id, guid, mid, tags, flds FROM notes")}
    # a card in a filtered deck counts in its home deck (odid), when it has one
    cards = list(map(_card, db.execute(
        "SELECT id, nid, coalesce(nullif(odid, 0), did), ord, type, queue, due, ivl, factor, reps, lapses, flags "
        "FROM cards ORDER BY nid, ord")))
    revlog = _read_revlog(db, "revlog" in tables)
    return Collection(str(path), schema, int(created or 0), notetypes, decks, notes, cards, revlog)


# NamedTuples made from a row without a Python call each (their own __new__ is a Python function)
_note, _card = partial(tuple.__new__, Note), partial(tuple.__new__, AnkiCard)

# In time order, so each card's rows are too: a plain scan of the table (by card took an index lookup
# per row). Anki declares every column an integer; a file that breaks that takes the careful path.
_REVLOG = "SELECT id, cid, ease, time FROM revlog ORDER BY id"
_ODD_REVLOG = ("SELECT EXISTS (SELECT 1 FROM revlog WHERE typeof(id) != 'integer' OR typeof(cid) != 'integer' "
               "OR typeof(ease) != 'integer' OR typeof(time) != 'integer')")


def _read_revlog(db: sqlite3.Connection, present: bool) -> Revlog:
    import numpy as np  # here, not at the top: sniffing whether a file is a package needs no numpy

    rows = db.execute(_REVLOG).fetchall() if present else []
    if rows and db.execute(_ODD_REVLOG).fetchone()[0]:
        table = np.array([_plain_revlog_row(row) for row in rows], dtype=np.int64).reshape(-1, 5)
        return Revlog(table[:, 0], table[:, 1], table[:, 2].astype(bool), table[:, 3], table[:, 4])
    table = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=4 * len(rows)).reshape(-1, 4)
    ease, time_ms = table[:, 2], table[:, 3]
    return Revlog(table[:, 0], table[:, 1], np.ones(len(rows), dtype=bool),
                  np.where((ease >= 1) & (ease <= 4), ease, 0), np.maximum(time_ms, 0))


def _plain_revlog_row(row: tuple) -> tuple[int, int, int, int, int]:
    """A row holding values Anki does not write, as the columns read them: a card id that is not an
    integer names no card, an ease that is not 1-4 is a manual row, a time that is not a positive
    number is no duration; a row id that is not an integer is no review time at all."""
    stamp, card_id, ease, time_ms = (_integer(value) for value in row)
    if stamp is None:
        raise ValueError(f"revlog row id {row[0]!r} is not a review time")
    return (stamp, card_id if card_id is not None else 0, card_id is not None,
            ease if ease in (1, 2, 3, 4) else 0, time_ms if time_ms is not None and time_ms > 0 else 0)


def _integer(value) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _schema11_notetypes(models_json: str, path: Path) -> dict[int, Notetype]:
    try:
        models = json.loads(models_json or "{}")
    except json.JSONDecodeError as error:
        raise AnkiPackageError(path, f"the collection's notetypes (col.models) are not valid JSON: {error}") from error
    out = {}
    for model in models.values():
        fields = tuple(f["name"] for f in sorted(model.get("flds", []), key=lambda f: f.get("ord", 0)))
        templates = tuple((t.get("name", ""), t.get("qfmt", ""), t.get("afmt", ""))
                          for t in sorted(model.get("tmpls", []), key=lambda t: t.get("ord", 0)))
        out[int(model["id"])] = Notetype(int(model["id"]), str(model.get("name", "")), model.get("type") == 1,
                                         fields, templates)
    return out


def _schema11_decks(decks_json: str, path: Path) -> dict[int, str]:
    try:
        decks = json.loads(decks_json or "{}")
    except json.JSONDecodeError as error:
        raise AnkiPackageError(path, f"the collection's decks (col.decks) are not valid JSON: {error}") from error
    return {int(deck["id"]): str(deck.get("name", "")) for deck in decks.values()}


def _schema18_notetypes(db: sqlite3.Connection) -> dict[int, Notetype]:
    fields: dict[int, list[str]] = {}
    for ntid, name in db.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
        fields.setdefault(ntid, []).append(name)
    templates: dict[int, list[tuple[str, str, str]]] = {}
    for ntid, name, config in db.execute("SELECT ntid, name, config FROM templates ORDER BY ntid, ord"):
        message = protobuf_fields(config)
        templates.setdefault(ntid, []).append((name, _text(message.get(1)), _text(message.get(2))))
    out = {}
    for ntid, name, config in db.execute("SELECT id, name, config FROM notetypes"):
        message = protobuf_fields(config)
        out[ntid] = Notetype(ntid, name, message.get(1) == 1, tuple(fields.get(ntid, ())),
                             tuple(templates.get(ntid, ())), int(message.get(9) or 0))
    return out


def _schema18_decks(db: sqlite3.Connection) -> dict[int, str]:
    return {deck_id: name.replace("\x1f", "::") for deck_id, name in db.execute("SELECT id, name FROM decks")}


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else ""


def protobuf_fields(data: bytes) -> dict[int, int | bytes]:
    """The top-level fields of a protobuf message (last one wins), enough for Anki's config blobs."""
    out: dict[int, int | bytes] = {}
    pos, end = 0, len(data or b"")
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            out[number], pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            out[number], pos = bytes(data[pos:pos + length]), pos + length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            break
    return out


def repeated_messages(data: bytes, number: int) -> list[bytes]:
    """Every occurrence of length-delimited field `number` (a repeated message) in order."""
    out = []
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        field_number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            if field_number == number:
                out.append(bytes(data[pos:pos + length]))
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            break
    return out


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
    return result, pos


def _is_placeholder(collection: Collection) -> bool:
    if len(collection.notes) != 1:
        return False
    note = next(iter(collection.notes.values()))
    return PLACEHOLDER_TEXT in " ".join(note.fields).casefold()


def _read_media(archive: zipfile.ZipFile, path: Path, collection: Collection) -> None:
    raw = _member(archive, "media", path)
    names: dict[str, str] = {}
    compressed = False
    if raw.startswith(ZSTD_MAGIC):
        compressed = True
        message = _zstd(raw, path, "the media list")
        for index, entry in enumerate(repeated_messages(message, 1)):
            name = _text(protobuf_fields(entry).get(1))
            if name:
                names[str(index)] = name
    elif raw.strip():
        try:
            names = {str(k): str(v) for k, v in json.loads(raw.decode("utf-8")).items()}
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            collection.media_errors.append("the package's media list is unreadable; no media imported")
            return
    members = set(archive.namelist())
    for number, name in names.items():
        if number not in members:
            collection.media_errors.append(f"media file {name!r} is listed but missing from the package")
            continue
        try:
            data = archive.read(number)
            if compressed or data.startswith(ZSTD_MAGIC):
                data = _zstd(data, path, f"media file {name!r}")
        except (AnkiPackageError, zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            collection.media_errors.append(f"media file {name!r} cannot be read: {error}")
            continue
        collection.media[_safe_name(name)] = data


def _safe_name(name: str) -> str:
    """A media file name is only a name: no folders, so it can never point outside the media store."""
    return name.replace("\\", "/").rsplit("/", 1)[-1].lstrip(".") or "unnamed"
