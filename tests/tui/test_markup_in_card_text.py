"""Card text is data, never Rich markup: `$b^{[l]}$` reads `b^[l]` (not `b^`) in every table and
dialog that shows it."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input
from tui_fixtures import NOW, add_card

from flashtrain.store.engine import open_store
from flashtrain.store.models import Deck
from flashtrain.study.service import StudyService
from flashtrain.tui.app import FlashtrainApp

QUESTION = "Why can the bias $b^{[l]}$ be dropped before [b]batch norm[/b]?"


@pytest.fixture
def bracket_store(tmp_path):
    store = open_store(tmp_path / "m.db")
    with store.sessions.begin() as session:
        deck = Deck(name="Deck [x]", origin="imported", trusted=True)
        session.add(deck)
        session.flush()
        add_card(session, deck, QUESTION, "Batch norm subtracts the mean.")
    yield store
    store.close()


def screen_text(widget) -> str:
    return "\n".join("".join(seg.text for seg in widget.render_line(y)) for y in range(widget.size.height))


async def settle(app, pilot, delay=0.1):
    await app.workers.wait_for_complete()
    await pilot.pause(delay)


async def test_browse_table_and_delete_dialog_show_brackets_as_written(bracket_store):
    app = FlashtrainApp(bracket_store, StudyService(bracket_store, clock=lambda: NOW))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("b")
        await settle(app, pilot)
        table = app.screen.query_one("#cards", DataTable)
        await app.screen.query_one("#query", Input).action_submit()
        await settle(app, pilot)
        text = screen_text(table)
        assert "b^[l] be dropped before [b]batch norm[/b]?" in text, text
        assert "Deck [x]" in text, text
        await pilot.press("x")
        await settle(app, pilot)
        dialog_text = "\n".join(screen_text(w) for w in app.screen.query("Static"))
        assert "b^[l] be dropped before [b]batch norm[/b]?" in dialog_text, dialog_text


async def test_home_study_and_stats_show_a_bracketed_deck_name_as_written(bracket_store):
    app = FlashtrainApp(bracket_store, StudyService(bracket_store, clock=lambda: NOW))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert "Deck [x]" in screen_text(app.screen.query_one("#decks", DataTable))
        await pilot.press("t")
        await settle(app, pilot, 0.2)
        assert "Deck [x]" in screen_text(app.screen.query_one("#stats-mastery"))
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        assert "Deck [x]" in screen_text(app.screen.query_one("#study-deck"))
