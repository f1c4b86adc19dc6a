"""`flashtrain` (no subcommand) opens the study app; `flashtrain study` starts a session at once.

`flashtrain study --plain` runs a line-based session (dumb terminals, screen readers, scripts).
"""

from __future__ import annotations

import argparse
import gc
import sys

from flashtrain.cli import common


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("study", help="study due cards now (the app, or --plain for a line-based session)")
    common.add_db_option(parser)
    parser.add_argument("--plain", action="store_true",
                        help="line-based session on stdin/stdout: Enter reveals, 1-5 rates, u undoes, q quits")
    parser.add_argument("--deck", metavar="NAME", help="only this deck (name, case-insensitive)")
    parser.set_defaults(handler=run_study)


def _session_spec(store, args: argparse.Namespace):
    """The QueueSpec of `flashtrain study [--deck NAME]`."""
    from flashtrain.study.queue import QueueSpec

    return QueueSpec(deck_ids=_deck_ids(store, getattr(args, "deck", None)))


def _deck_ids(store, name: str | None) -> tuple[int, ...] | None:
    if not name:
        return None
    from flashtrain.services.decks import decks_named

    found = decks_named(store, name)
    if not found.ids:
        raise common.UserError(f"no deck named {name!r} (decks: {', '.join(found.known) or 'none'})")
    return found.ids


def run_study(args: argparse.Namespace) -> int:
    if args.plain:
        from flashtrain.study.plain import run_plain_session
        from flashtrain.study.service import StudyService

        store = common.open_store(args)
        try:
            return run_plain_session(StudyService(store), _session_spec(store, args), sys.stdin, sys.stdout) or 0
        finally:
            store.close()
    _require_terminal()
    store, spec, service, first = prepare_session(args)
    try:
        return _run(store, spec, service, first)
    finally:
        store.close()


def run_app(args: argparse.Namespace) -> int:
    """The default command: open the app on the home screen."""
    _require_terminal()
    pause_gc_for_startup()
    store = open_store_for_app(args)
    try:
        from flashtrain.study.service import StudyService

        return _run(store, None, StudyService(store), None)
    finally:
        store.close()


def pause_gc_for_startup() -> None:
    """No garbage collection until the first screen is up (the app calls tune_gc() then).

    Start-up creates several hundred thousand long-lived objects (SQLAlchemy, numpy, Textual); with
    the collector on, it re-scans them over and over: 100-200 ms of the first-card time."""
    gc.disable()


def open_store_for_app(args: argparse.Namespace):
    """The store the app opens: common.open_store, which loads the deck importers only on first use."""
    return common.open_store(args)


def prepare_session(args: argparse.Namespace):
    """`flashtrain study` up to the app: the store, the session spec, and the first card already
    being fetched in a thread (before Textual is imported). Also the benchmark's path."""
    pause_gc_for_startup()
    store = open_store_for_app(args)
    try:
        spec = _session_spec(store, args)
    except BaseException:
        store.close()
        raise
    service, first = start_first_card(store, spec)
    return store, spec, service, first


def start_first_card(store, spec):
    """The study service, and the first card of `spec` being fetched in a thread.

    The first queue query is the slowest part of start-up on a big collection; it runs while the
    Textual modules are imported and the app starts (SQLite releases the GIL while it works)."""
    from concurrent.futures import ThreadPoolExecutor

    from flashtrain.study.service import StudyService

    service = StudyService(store)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="first-card")
    future = pool.submit(service.next_card, spec)
    pool.shutdown(wait=False)
    return service, future


def _require_terminal() -> None:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise common.UserError("the study app needs a terminal; use `flashtrain study --plain` for a line-based session")


def _run(store, spec, service, first) -> int:
    try:
        from flashtrain.tui.app import FlashtrainApp

        app = FlashtrainApp(store, service, start=spec, first_card=first)
        app.run()
    finally:
        gc.enable()  # also when the app never got as far as its first screen
    return app.return_code or 0
