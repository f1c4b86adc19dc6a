"""`flashtrain import` of files that did not change: answered from the store with the standard
library's sqlite3, before SQLAlchemy, the parsers or anything else heavy is imported.

The full import (services/imports.py) skips such a file too - the same digest of the same text
with the same options - but only after loading some 300 ms of modules. Here the same question is
asked with two small queries per file; any doubt (another kind of store, a schema that needs an
upgrade, a changed or new file, a package, an unreadable file or store) answers None, and the
caller runs the full import, which decides and reports as always.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from flashtrain.deck.sources import ImportReport, expand_paths, import_digest_of_file, is_anki_file, shown_path, source_key
from flashtrain.store.revision import HEAD_REVISION


def unchanged_imports(store_path: Path, paths: list[Path], fmt: str | None,
                      deck_name: str | None) -> list[ImportReport] | None:
    """The reports `import_paths` would give if every file named is unchanged, else None."""
    if fmt == "apkg" or not store_path.is_file():
        return None
    files, reports = expand_paths(paths)
    if not files or any(report.status == "rejected" for report in reports):
        return None
    try:
        connection = sqlite3.connect(f"file:{quote(str(store_path.resolve()))}?mode=ro", uri=True, timeout=15)
    except sqlite3.Error:
        return None
    try:
        if connection.execute("SELECT version_num FROM alembic_version").fetchall() != [(HEAD_REVISION,)]:
            return None
        for path in files:
            report = _unchanged(connection, path, fmt, deck_name)
            if report is None:
                return None
            reports.append(report)
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return reports


def _unchanged(connection: sqlite3.Connection, path: Path, fmt: str | None, deck_name: str | None) -> ImportReport | None:
    if shown_path(path) != str(path) or (fmt is None and is_anki_file(path)):
        return None
    try:
        digest = import_digest_of_file(path, fmt, deck_name)
    except OSError:
        return None
    found = connection.execute(
        "SELECT source_files.id, source_files.content_hash, source_files.format, decks.name FROM source_files "
        "JOIN decks ON decks.id = source_files.deck_id WHERE source_files.path = ?", (source_key(path),)).fetchone()
    if found is None or found[1] != digest:
        return None
    source_id, _, format_name, deck = found
    (active,) = connection.execute("SELECT count(*) FROM cards WHERE source_id = ? AND retired_at IS NULL",
                                   (source_id,)).fetchone()
    return ImportReport(str(path), deck=deck, format=format_name, status="unchanged", unchanged=active)
