"""`flashtrain store copy SRC DST`: a whole store from one place to another (SQLite or PostgreSQL)."""

from __future__ import annotations

import argparse
import sys
import time

from flashtrain.cli import common


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("store", help="whole-store operations (copy between a file and a server)")
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
