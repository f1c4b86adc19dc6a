"""Card text is data, never Rich markup: `$b^{[l]}$` reads `b^[l]` (not `b^`) in every table and
dialog that shows it."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input
from tui_fixtures import add_card, make_app, press, settle

from flashtrain.store.engine import open_store
from flashtrain.store.models import Deck

PAUSE = 0.1  # these tests always waited a little longer than the app-flow tests

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


async def test_browse_table_and_delete_dialog_show_brackets_as_written(bracket_store):
    app = make_app(bracket_store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot, PAUSE)
        await press(app, pilot, "b", delay=PAUSE)
        table = app.screen.query_one("#cards", DataTable)
        await app.screen.query_one("#query", Input).action_submit()
        await settle(app, pilot, PAUSE)
        text = screen_text(table)
        assert "b^[l] be dropped before [b]batch norm[/b]?" in text, text
        assert "Deck [x]" in text, text
        await press(app, pilot, "x", delay=PAUSE)
        dialog_text = "\n".join(screen_text(w) for w in app.screen.query("Static"))
        assert "b^[l] be dropped before [b]batch norm[/b]?" in dialog_text, dialog_text


async def test_home_study_and_stats_show_a_bracketed_deck_name_as_written(bracket_store):
    app = make_app(bracket_store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot, PAUSE)
        assert "Deck [x]" in screen_text(app.screen.query_one("#decks", DataTable))
        await press(app, pilot, "t", delay=0.2)
        assert "Deck [x]" in screen_text(app.screen.query_one("#stats-mastery"))
        await press(app, pilot, "escape", delay=PAUSE)
        await press(app, pilot, "s", delay=PAUSE)
        assert "Deck [x]" in screen_text(app.screen.query_one("#study-deck"))
