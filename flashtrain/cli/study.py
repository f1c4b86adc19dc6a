"""`flashtrain` (no subcommand) opens the study app; `flashtrain study` starts a session at once.

`flashtrain study --plain` runs a line-based session (dumb terminals, screen readers, scripts).
"""

from __future__ import annotations

import argparse
import sys

from flashtrain.cli import common


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("study", help="study due cards now (the app, or --plain for a line-based session)")
    common.add_db_option(parser)
    parser.add_argument("--plain", action="store_true",
                        help="line-based session on stdin/stdout: Enter reveals, 1-5 rates, u undoes, q quits")
    parser.add_argument("--deck", metavar="NAME", help="only this deck (name, case-insensitive)")
    parser.set_defaults(handler=run_study)


def _deck_ids(store, name: str | None) -> tuple[int, ...] | None:
    if not name:
        return None
    from sqlalchemy import func, select

    from flashtrain.store.models import Deck

    with store.sessions() as session:
        rows = session.execute(select(Deck.id, Deck.name).where(func.lower(Deck.name) == name.lower())).all()
        if not rows:
            known = ", ".join(sorted(session.scalars(select(Deck.name))))
            raise common.UserError(f"no deck named {name!r} (decks: {known or 'none'})")
    return tuple(row[0] for row in rows)


def run_study(args: argparse.Namespace) -> int:
    from flashtrain.study.queue import QueueSpec

    store = common.open_store(args)
    try:
        spec = QueueSpec(deck_ids=_deck_ids(store, getattr(args, "deck", None)))
        if args.plain:
            from flashtrain.study.plain import run_plain_session
            from flashtrain.study.service import StudyService

            return run_plain_session(StudyService(store), spec, sys.stdin, sys.stdout) or 0
        return _run(store, spec)
    finally:
        store.close()


def run_app(args: argparse.Namespace) -> int:
    """The default command: open the app on the home screen."""
    store = common.open_store(args)
    try:
        return _run(store, None)
    finally:
        store.close()


def start_first_card(store, spec):
    """The study service, and the first card of `spec` being fetched in a thread.

    The first queue query is the slowest part of start-up on a big collection; it runs while the
    Textual modules are imported and the app starts (SQLite releases the GIL while it works)."""
    from concurrent.futures import ThreadPoolExecutor

    from flashtrain.study.service import StudyService

    service = StudyService(store)
    if spec is None:
        return service, None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="first-card")
    future = pool.submit(service.next_card, spec)
    pool.shutdown(wait=False)
    return service, future


def _run(store, spec) -> int:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise common.UserError("the study app needs a terminal; use `flashtrain study --plain` for a line-based session")
    service, first = start_first_card(store, spec)
    from flashtrain.tui.app import FlashtrainApp

    app = FlashtrainApp(store, service, start=spec, first_card=first)
    app.run()
    return app.return_code or 0
