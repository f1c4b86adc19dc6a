"""`flashtrain study [--db PATH]` by the fast path: decided from argv before the full CLI is built.

Building the whole command line (every subcommand module) and opening the store through
SQLAlchemy cost more than showing the first card. For exactly this command on a terminal, with a
SQLite store that needs nothing done first, study/quickstart.py shows the first card and the app
starts from it; anything else returns None and `flashtrain.cli.main` goes the usual way.
"""

from __future__ import annotations

import sys


def split_db_argument(argv: list[str]) -> tuple[list[str], str | None]:
    """(the arguments other than --db, the --db value)."""
    rest, db = [], None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--db" and i + 1 < len(argv):
            db, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--db="):
            db = arg[len("--db="):]
        else:
            rest.append(arg)
        i += 1
    return rest, db


def study_db_argument(argv: list[str]) -> tuple[bool, str | None]:
    """(is it `flashtrain study` with at most --db, the --db value)."""
    rest, db = split_db_argument(argv)
    return rest == ["study"], db


def import_arguments(argv: list[str]) -> tuple[list[str], str | None, bool] | None:
    """(paths, --db value, --json) when argv is `flashtrain [--db X] import [--json] PATH...` with no
    other option."""
    rest, db = split_db_argument(argv)
    if not rest or rest[0] != "import":
        return None
    paths = [a for a in rest[1:] if a != "--json"]
    if not paths or any(a.startswith("-") for a in paths):
        return None
    return paths, db, len(paths) < len(rest) - 1


def try_quick_import(argv: list[str]) -> int | None:
    """`flashtrain import PATH...` of files imported before with the same bytes: answered from the
    store with sqlite3 before the full command line (every subcommand module) is built; None to go
    the usual way (cli.decks.cmd_import then runs the same check, or the full import)."""
    parsed = import_arguments(argv)
    if parsed is None:
        return None
    from pathlib import Path
    from types import SimpleNamespace

    from flashtrain.cli.decks import answer_if_unchanged

    paths, db, as_json = parsed
    return answer_if_unchanged(SimpleNamespace(
        db=db, paths=[Path(p) for p in paths], format=None, deck=None, json=as_json, dry_run=False,
        trust=False, prefer_file=False))


def try_quick_study(argv: list[str]) -> int | None:
    """Run `flashtrain study` by the fast path and return its exit code, or None to go the usual way."""
    is_study, db = study_db_argument(argv)
    if not is_study or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    import gc

    from flashtrain.paths import resolve_db
    from flashtrain.study.quickstart import quick_study

    gc.disable()  # as the usual path: no collection until the first screen is up (the app re-enables it)
    quick = quick_study(resolve_db(db))
    if quick is None:
        gc.enable()
        return None
    from flashtrain.tui import first_paint

    painted = quick.first is not None and first_paint.paint_first_card(
        quick.first.front, quick.first.deck_name, mode_title="Review")  # the study screen's title for due cards
    started = False
    try:
        from concurrent.futures import Future

        from flashtrain.study.quickstart import finish_opening
        from flashtrain.tui.app import FlashtrainApp

        first: Future = Future()
        first.set_result(quick.first)
        app = FlashtrainApp(quick.store, quick.service, start=quick.spec, first_card=first,
                            after_first_card=lambda: finish_opening(quick.store))
        started = True
        app.run()
        return app.return_code or 0
    finally:
        gc.enable()
        if painted:
            first_paint.restore(left_screen=started)
        quick.store.close()
