"""Helpers shared by every subcommand module."""

from __future__ import annotations

import argparse
import importlib
import json
import sqlite3
import sys
import threading
from types import ModuleType
from typing import Any

from flashtrain.paths import resolve_db

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class UserError(Exception):
    """A problem the user can fix; printed as one line, no traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH|URL", default=argparse.SUPPRESS,
                        help="store: a SQLite file or a URL such as postgresql+psycopg://USER@HOST/DB "
                             "(default: FLASHTRAIN_DB, else the user data dir)")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def store_location(args: argparse.Namespace):
    """The store named by --db / FLASHTRAIN_DB / the default, parsed (a bad URL is a UserError)."""
    from flashtrain.store.location import StoreLocationError, store_location as parse

    try:
        return parse(resolve_db(getattr(args, "db", None)))
    except StoreLocationError as error:
        raise UserError(str(error), EXIT_USAGE) from None


def open_store(args: argparse.Namespace, bundled: bool = True):
    """Open the store named by --db/FLASHTRAIN_DB; on first use, import the bundled decks.

    First use is a store with no deck at all, which one small query tells: the deck importers are
    loaded only then, not on every start."""
    from flashtrain.services.decks import has_decks
    from flashtrain.store.engine import open_store as _open
    from flashtrain.store.faults import StoreUnavailable

    from flashtrain.store.location import StoreLocationError, mask_password

    location = store_location(args)
    first_use = False
    try:
        store = _open(location)
        first_use = bundled and not has_decks(store)
    except StoreLocationError as error:  # e.g. the PostgreSQL driver is not installed
        raise UserError(str(error)) from None
    except StoreUnavailable as error:  # damaged, unreadable: one line that says what to do
        raise UserError(mask_password(str(error))) from None
    except Exception as error:  # a corrupt or foreign file, a server that is down: no traceback
        reason = str(getattr(error, "orig", None) or error).strip()
        raise UserError(f"{location.shown}: cannot open the store: {mask_password(reason)}") from None
    if first_use and not store.read_only:
        from flashtrain.services.imports import ensure_bundled_decks

        ensure_bundled_decks(store)
    if not store.read_only:
        replay_journal(store)
        if not first_use:
            daily_backup(store)
    return store


def quick_store_path(args: argparse.Namespace):
    """The SQLite file named by --db/FLASHTRAIN_DB when it can be read before the full open (a plain
    path, writable, with no journal to replay and no daily backup due), else None."""
    from pathlib import Path

    value = resolve_db(getattr(args, "db", None))
    if not isinstance(value, Path) and (":" in value or not value):
        return None  # a URL (or something only the full parser can tell): the full open decides
    path = Path(value).expanduser()
    if not path.is_file():
        return None
    from types import SimpleNamespace

    from flashtrain.store.backup import daily_backup_due
    from flashtrain.study.journal import journal_paths

    opened = SimpleNamespace(path=path, identity=str(path.resolve()))  # what journal_paths reads of a store
    if any(journal.exists() for journal in journal_paths(opened)) or daily_backup_due(path):
        return None  # opening the store has work to do: replaying ratings, today's backup
    return path


def daily_backup(store) -> None:
    """At most once a day, a backup of a SQLite store as it is opened (store/backup.py)."""
    if store.path is None:
        return
    from flashtrain.store.backup import daily_backup_due, make_backup

    if not daily_backup_due(store.path):
        return
    from flashtrain.services.settings import study_settings

    keep = study_settings(store).backups_to_keep

    def work() -> None:
        try:
            make_backup(store.path, "daily", keep=keep)
        except (OSError, sqlite3.Error) as error:  # a full disk must not stop studying; say so once
            print(f"flashtrain: warning: could not make today's backup of {store.shown}: {error}", file=sys.stderr)

    # Not on the start-up path: the copy runs beside the command (SQLite releases the GIL while it
    # copies), and the process waits for it before exiting (not a daemon thread).
    threading.Thread(target=work, name="daily-backup", daemon=False).start()


def replay_journal(store) -> None:
    """Save what the store could not take before: ratings, attempts, settings, card changes (study/journal.py)."""
    from flashtrain.study.journal import journal_paths

    if not any(path.exists() for path in journal_paths(store)):
        return
    from flashtrain.study.service import StudyService

    saved, failed = StudyService(store).replay_journal()
    if saved:
        print(f"flashtrain: saved {saved} change(s) (ratings, attempts, settings, card changes) kept in the "
              "journal while the store could not take them", file=sys.stderr)
    if failed:
        print(f"flashtrain: warning: {failed} journal entr{'y' if failed == 1 else 'ies'} name a card this store "
              f"does not have; kept in {', '.join(str(p) for p in journal_paths(store) if p.exists())}",
              file=sys.stderr)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def optional_module(name: str) -> ModuleType | None:
    """Subcommand modules that are not written yet simply do not register."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name:
            return None
        raise
