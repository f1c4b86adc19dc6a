"""Command line: `flashtrain` opens the study app; subcommands work without the TUI.

Each concern registers its own subcommands (see `register` in the sibling modules); handlers
return an exit code: 0 ok, 1 some input rejected or a check failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys

from flashtrain.cli import common

from flashtrain.cli.common import EXIT_OK, EXIT_REJECTED, EXIT_USAGE


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors; keep it one line
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"flashtrain: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from flashtrain.cli import bench, decks

    parser = _Parser(prog="flashtrain", description="Spaced-repetition trainer for deep-learning knowledge.")
    common.add_db_option(parser)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    decks.register(sub)
    for module_name in ("flashtrain.cli.scheduling", "flashtrain.cli.snippets", "flashtrain.cli.study",
                        "flashtrain.cli.store"):
        module = common.optional_module(module_name)
        if module is not None:
            module.register(sub)
    bench.register(sub)
    _accept_db_everywhere(sub)
    return parser


def _accept_db_everywhere(sub: argparse._SubParsersAction) -> None:
    """`flashtrain import --db X` works as well as `flashtrain --db X import`."""
    for child in set(sub.choices.values()):
        if not any("--db" in action.option_strings for action in child._actions):
            common.add_db_option(child)
        for action in child._actions:
            if isinstance(action, argparse._SubParsersAction):
                _accept_db_everywhere(action)


def store_trouble(error: Exception, args: argparse.Namespace) -> Exception | None:
    """The one-line message for a store that cannot do what the command asked, else None (a bug)."""
    if "sqlalchemy" not in sys.modules:
        return None  # nothing has touched a store
    from flashtrain.store.faults import StoreUnavailable, kind_of, unavailable

    if isinstance(error, StoreUnavailable):
        return error
    if kind_of(error) is not None and type(error).__module__.startswith("sqlalchemy"):
        try:
            where = common.store_location(args).shown
        except Exception:  # noqa: BLE001 - only naming the store in a message
            where = ""
        return unavailable(error, where)
    return None


def raise_if_debugging(error: Exception) -> None:
    if os.environ.get("FLASHTRAIN_DEBUG"):
        raise error


def main(argv: list[str] | None = None) -> int:
    from flashtrain.cli.quick import try_quick_import, try_quick_study

    try:  # `flashtrain study` on a SQLite store that needs nothing first: shown before the rest loads;
        # `flashtrain import` of unchanged files: answered before the rest loads
        given = sys.argv[1:] if argv is None else argv
        quick = try_quick_study(given)
        if quick is None:
            quick = try_quick_import(given)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug: as below
        raise_if_debugging(error)
        print(f"flashtrain: internal error: {type(error).__name__}: {error} "
              "(run again with FLASHTRAIN_DEBUG=1 to see the traceback)", file=sys.stderr)
        return EXIT_REJECTED
    if quick is not None:
        return quick
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        study = common.optional_module("flashtrain.cli.study")
        if study is None:
            parser.print_help()
            return EXIT_OK
        handler = study.run_app
    try:
        return handler(args)
    except common.UserError as error:
        print(f"flashtrain: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `flashtrain ... | head` closed the pipe: stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # a bug: one line for the user, the traceback on request
        trouble = store_trouble(error, args)
        if trouble is not None:  # locked, full, read-only, damaged, server gone: one line, exit 1
            from flashtrain.store.location import mask_password

            print(f"flashtrain: error: {mask_password(str(trouble))}", file=sys.stderr)
            return EXIT_REJECTED
        raise_if_debugging(error)
        print(f"flashtrain: internal error: {type(error).__name__}: {error} "
              "(run again with FLASHTRAIN_DEBUG=1 to see the traceback)", file=sys.stderr)
        return EXIT_REJECTED
