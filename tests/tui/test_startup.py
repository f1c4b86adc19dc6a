"""`flashtrain study` start-up: what runs before the first card (the start-up path's contract)."""

import gc
import subprocess
import sys
from argparse import Namespace

from sqlalchemy import func, select
from tui_fixtures import SIZE, make_app, settle

from flashtrain.cli.study import open_store_for_app, prepare_session
from flashtrain.store.models import Deck


def test_first_use_still_imports_the_bundled_decks(tmp_path):
    store = open_store_for_app(Namespace(db=str(tmp_path / "new.db")))
    try:
        with store.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Deck)) > 0
    finally:
        store.close()


def test_a_store_with_decks_opens_without_loading_the_deck_importers(tmp_path):
    from flashtrain.store.engine import open_store

    path = tmp_path / "s.db"
    store = open_store(path)
    with store.sessions.begin() as session:
        session.add(Deck(name="Mine", origin="imported"))
    store.close()
    code = ("import sys; from argparse import Namespace; from flashtrain.cli.study import open_store_for_app; "
            f"open_store_for_app(Namespace(db={str(path)!r})).close(); "
            "sys.exit(1 if 'flashtrain.services.imports' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


async def test_collection_paused_for_start_up_resumes_with_the_first_card(filled_store, tmp_path):
    _store, spec, _service, first = prepare_session(Namespace(db=str(tmp_path / "p.db"), deck=None))
    try:
        assert not gc.isenabled()  # paused from here to the first card
        first.result()
    finally:
        _store.close()
    app = make_app(filled_store, start=spec)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert app.screen.card is not None
            for _ in range(200):  # collection resumes right after the first card is painted
                if gc.isenabled():
                    break
                await pilot.pause(0.05)
            assert gc.isenabled()
    finally:
        gc.enable()
