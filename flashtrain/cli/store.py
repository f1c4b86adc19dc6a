"""`flashtrain store ...`: whole-store operations.

    flashtrain store copy SRC DST     a whole store from one place to another (SQLite or PostgreSQL)
    flashtrain store check            full integrity check (exit 1 if damaged)
    flashtrain store backups          the automatic backups, newest first
    flashtrain store restore NAME     bring a backup back (the current store is backed up first)
    flashtrain store recover [--to P] salvage what is readable from a damaged store into a new one
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from flashtrain.cli import common


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("store", help="whole-store operations: copy, check, backups, restore, recover")
    common.add_db_option(parser)
    store_sub = parser.add_subparsers(dest="store_command", metavar="ACTION", required=True,
                                      parser_class=type(parser))
    p = store_sub.add_parser(
        "copy", help="copy every deck, card, state, review, setting and attempt from SRC to DST",
        description="SRC and DST are store paths or URLs (sqlite:///PATH, postgresql+psycopg://USER@HOST/DB). "
                    "DST must be empty unless --replace; the copy is checked by row counts and a content checksum.")
    p.add_argument("source", metavar="SRC")
    p.add_argument("target", metavar="DST")
    p.add_argument("--replace", action="store_true", help="delete what DST holds before copying")
    common.add_json_option(p)
    p.set_defaults(handler=cmd_copy)

    check = store_sub.add_parser("check", help="full integrity check of the store (exit 1 if it is damaged)")
    check.set_defaults(handler=cmd_check)

    backups = store_sub.add_parser("backups", help="list the automatic backups of the store, newest first")
    common.add_json_option(backups)
    backups.set_defaults(handler=cmd_backups)

    restore = store_sub.add_parser("restore", help="bring back a backup (the current store is backed up first)")
    restore.add_argument("name", help="a backup's name as `flashtrain store backups` lists it")
    restore.set_defaults(handler=cmd_restore)

    recover = store_sub.add_parser("recover", help="salvage what is readable from a damaged store into a new one")
    recover.add_argument("--to", metavar="PATH", type=Path,
                         help="write the new store here and leave the damaged one as it is (default: put the "
                              "new store in place and keep the damaged file beside it)")
    recover.set_defaults(handler=cmd_recover)


def _open(value: str, must_exist: bool):
    from flashtrain.store.engine import open_store
    from flashtrain.store.location import StoreLocationError, mask_password, store_location

    try:
        location = store_location(value)
    except StoreLocationError as error:
        raise common.UserError(str(error), common.EXIT_USAGE) from None
    if must_exist and location.path is not None and not location.path.is_file():
        raise common.UserError(f"{location.shown}: no store there to copy from")
    try:
        return open_store(location)
    except StoreLocationError as error:
        raise common.UserError(str(error)) from None
    except Exception as error:  # a server that is down, a file that is not a store
        reason = str(getattr(error, "orig", None) or error).strip()
        raise common.UserError(f"{location.shown}: cannot open the store: {mask_password(reason)}") from None


class _Progress:
    """One line on a terminal, redrawn at most ten times a second; silent when stderr is not a TTY."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, table: str, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.shown or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} rows  {table:<14}")
        sys.stderr.flush()

    def end(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def cmd_copy(args: argparse.Namespace) -> int:
    from flashtrain.services.store_admin import CopyError, copy_store

    source = _open(args.source, must_exist=True)
    try:
        target = _open(args.target, must_exist=False)
        try:
            if source.location.url == target.location.url:
                raise common.UserError("SRC and DST are the same store", common.EXIT_USAGE)
            progress = _Progress()
            try:
                report = copy_store(source, target, replace=args.replace, progress=progress)
            except CopyError as error:
                raise common.UserError(str(error)) from None
            finally:
                progress.end()
        finally:
            target.close()
    finally:
        source.close()
    if args.json:
        common.print_json({"source": source.shown, "target": target.shown, "rows": report.rows,
                           "checksum": report.checksum})
    else:
        print(f"copied {report.total:,} rows from {source.shown} to {target.shown}; "
              f"row counts and content checksum match ({report.checksum[:12]})")
        for table, count in report.rows.items():
            print(f"  {table:<14}{count:>10,}")
    return common.EXIT_OK


def _sqlite_path(args: argparse.Namespace) -> Path:
    location = common.store_location(args)
    if location.path is None:
        raise common.UserError(f"{location.shown}: checks, backups and recovery here are for SQLite stores; "
                               "use the server's own tools (pg_dump, pg_amcheck) for PostgreSQL")
    return location.path


def cmd_check(args: argparse.Namespace) -> int:
    from flashtrain.store.engine import make_engine
    from flashtrain.store.integrity import full_check

    path = _sqlite_path(args)
    if not path.exists():
        raise common.UserError(f"{path}: no store here")
    engine = make_engine(path, read_only=True)
    try:
        result = full_check(engine)
    finally:
        engine.dispose()
    if result.ok:
        print(f"{path}: ok (full integrity check and foreign keys)")
        return common.EXIT_OK
    print(f"{path}: error: the store is damaged: {result.summary()}", flush=True)
    print("  `flashtrain store backups` lists backups (`flashtrain store restore NAME` brings one back); "
          "`flashtrain store recover` salvages what is readable into a new store.")
    return common.EXIT_REJECTED


def cmd_backups(args: argparse.Namespace) -> int:
    from flashtrain.store.backup import backup_dir, list_backups

    path = _sqlite_path(args)
    found = list_backups(path)
    if args.json:
        common.print_json([{"name": b.name, "made_at": b.made_at.isoformat(), "reason": b.reason, "bytes": b.size,
                            "path": str(b.path)} for b in found])
        return common.EXIT_OK
    if not found:
        print(f"No backups of {path} yet (they are made before upgrades and once a day; folder {backup_dir(path)}).")
        return common.EXIT_OK
    print(f"Backups of {path} in {backup_dir(path)}, newest first:")
    for b in found:
        print(f"  {b.name:<44} {b.made_at:%Y-%m-%d %H:%M} UTC  {b.size / 1e6:7.2f} MB  {b.reason}")
    return common.EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from flashtrain.store.backup import copy_into, find_backup, make_backup
    from flashtrain.store.engine import make_engine
    from flashtrain.store.integrity import full_check

    path = _sqlite_path(args)
    chosen = find_backup(path, args.name)
    if chosen is None:
        raise common.UserError(f"no backup named {args.name!r} for {path} (`flashtrain store backups` lists them)")
    engine = make_engine(chosen.path, read_only=True)
    try:
        sound = full_check(engine)
    finally:
        engine.dispose()
    if not sound.ok:
        raise common.UserError(f"{chosen.path}: this backup is damaged itself ({sound.summary()}); pick another")
    if path.exists():
        try:
            saved = make_backup(path, "before-restore", keep=_keep(path))
            kept = f"the store as it was is backed up as {saved.name}"
        except Exception:  # noqa: BLE001 - a damaged store may not copy through the backup API
            aside = _aside(path, "damaged")
            shutil.copy2(path, aside)
            kept = f"the store as it was is kept as {aside}"
    else:
        kept = "there was no store to back up"
    copy_into(chosen.path, path)
    print(f"{path}: restored {chosen.name} ({chosen.made_at:%Y-%m-%d %H:%M} UTC); {kept}.")
    return common.EXIT_OK


def cmd_recover(args: argparse.Namespace) -> int:
    from flashtrain.store.recover import recover

    path = _sqlite_path(args)
    if not path.exists():
        raise common.UserError(f"{path}: no store here")
    target = args.to or _aside(path, "recovered")
    if target.exists():
        raise common.UserError(f"{target}: already exists; recover writes a new store (choose another --to)")
    report = recover(path, target)
    for table in report.tables:
        lost = f", {table.unreadable} unreadable" if table.unreadable else ""
        if table.found_by_page_scan:
            lost = f" ({table.found_by_page_scan} found by reading the file page by page){lost}"
        lost += f", {table.dropped} left out (they point to lost rows)" if table.dropped else ""
        print(f"  {table.table:<14} {table.salvaged} row(s) salvaged{lost}")
    if args.to is None:
        damaged = _aside(path, "damaged")
        for suffix in ("", "-wal", "-shm"):
            old = Path(f"{path}{suffix}")
            if old.exists():
                old.replace(Path(f"{damaged}{suffix}"))
        target.replace(path)
        print(f"{path}: recovered into a new store; the damaged file is kept as {damaged}.")
    else:
        print(f"{target}: new store written; {path} is unchanged (use --db {target} to study from it).")
    if not report.complete:
        print("Some rows could not be read; `flashtrain store backups` may hold an older copy with them.")
    return common.EXIT_OK


def _aside(path: Path, what: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.name}.{what}-{stamp}")


def _keep(path: Path) -> int:
    """The backups_to_keep setting, read without trusting the store (it may be damaged)."""
    from flashtrain.store.backup import DEFAULT_KEEP

    try:
        from flashtrain.store.engine import open_store
        from flashtrain.services.settings import study_settings

        store = open_store(path, migrate=False)
        try:
            return study_settings(store).backups_to_keep
        finally:
            store.close()
    except Exception:  # noqa: BLE001 - a damaged store: the default
        return DEFAULT_KEEP
