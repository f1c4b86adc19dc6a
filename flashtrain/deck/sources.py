"""Deck files on disk: which files a path names, their text, and the digest that tells an unchanged
file. Standard library only, so that `flashtrain import` of unchanged files answers before any
parser or database library is loaded (services/import_check.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from flashtrain.deck.model import DeckError, ParseWarning

DECK_SUFFIXES = {".md", ".markdown", ".txt", ".csv", ".tsv"}
ANKI_SUFFIXES = {".apkg", ".colpkg", ".anki2", ".anki21", ".anki21b"}
TEXT_SRS_SUFFIXES = {".org"}  # org-drill
BUNDLED_PREFIX = "bundled:"


@dataclass
class ImportReport:
    path: str
    deck: str = ""
    format: str = ""
    status: str = "imported"  # imported | unchanged | rejected | skipped
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


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DeckError(path, None, f"cannot read the file: {error.strerror or error}") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DeckError(path, line, "the file is not UTF-8 text") from error


def import_digest(text: str, fmt: str | None, deck_name: str | None) -> str:
    """Same text read with the same options: the import can be skipped."""
    return hashlib.sha256(f"{fmt}\x00{deck_name}\x00{text}".encode()).hexdigest()


def import_digest_of_file(path: Path, fmt: str | None, deck_name: str | None) -> str:
    """`import_digest` of the file's text, from its bytes (no decoding: a digest stored for a file
    was made from valid UTF-8, so bytes with the same digest are that same text)."""
    digest = hashlib.sha256(f"{fmt}\x00{deck_name}\x00".encode())
    chunk = bytearray(1 << 20)  # read piecewise: a large file is neither held whole nor copied
    view = memoryview(chunk)
    with path.open("rb", buffering=0) as handle:
        size = handle.readinto(chunk)
        skip = 3 if chunk[:3] == b"\xef\xbb\xbf" else 0  # what decoding as utf-8-sig drops
        while size:
            digest.update(view[skip:size])
            skip = 0
            size = handle.readinto(chunk)
    return digest.hexdigest()


def source_key(path: Path) -> str:
    """How the store names an imported file (bundled decks are named by file name instead)."""
    return str(path.resolve())


def shown_path(path: Path) -> str:
    """The path as text that can be printed and stored: undecodable bytes of a name escaped (\\xff)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def is_anki_file(path: Path) -> bool:
    """deck/anki/package.is_anki_file, loaded only for a file that may be one: a package's suffix,
    or the first bytes of a SQLite file or a zip archive."""
    if path.suffix.lower() not in ANKI_SUFFIXES:
        try:
            with path.open("rb") as handle:
                head = handle.read(16)
        except OSError:
            return False
        if not head.startswith((b"SQLite format 3\x00", b"PK\x03\x04")):
            return False
    from flashtrain.deck.anki.package import is_anki_file as by_content

    return by_content(path)


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
        elif entry.suffix.lower() in DECK_SUFFIXES | ANKI_SUFFIXES | TEXT_SRS_SUFFIXES or is_anki_file(entry):
            found.append(entry)
        else:
            skip(entry, f"not a deck file ({entry.suffix or 'no extension'}; decks are "
                        f"{', '.join(sorted(DECK_SUFFIXES | ANKI_SUFFIXES | TEXT_SRS_SUFFIXES))})")
    return found, skipped


def bundled_deck_files() -> list[Path]:
    from flashtrain.paths import bundled_cards_dir

    folder = bundled_cards_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md")
