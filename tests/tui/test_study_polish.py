"""Issue 10 §3 in the app: end-of-session summary, why nothing is due, the daily new-card limit on
home, long deck names at 80x24, the card form asking before it discards, the card-detail header."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import DataTable, Static, TextArea
from tui_fixtures import add_card, press, running, settle

from flashtrain.store.engine import open_store
from flashtrain.store.models import Card, Deck
from flashtrain.study.queue import QueueSpec
from flashtrain.services.settings import save_setting
from flashtrain.tui.screens.dialogs import ConfirmDialog
from flashtrain.tui.screens.edit import EditCardScreen
from flashtrain.tui.screens.home import HomeScreen


def new_deck_store(tmp_path, n=4, name="New deck", new_per_day=None):
    store = open_store(tmp_path / "s.db")
    with store.sessions.begin() as session:
        deck = Deck(name=name, origin="imported")
        session.add(deck)
        session.flush()
        for i in range(n):
            add_card(session, deck, f"New question {i}")
        if new_per_day is not None:
            save_setting(session, "new_per_day", new_per_day)
    return store


async def test_session_ends_with_a_summary(tmp_path):
    store = new_deck_store(tmp_path, n=2)
    async with running(store, start=QueueSpec()) as (app, pilot):
        screen = app.screen
        for _ in range(10):
            if screen.card is None:
                break
            await press(app, pilot, "space", "5")
        assert screen.card is None
        await settle(app, pilot, 0.2)
        text = str(screen.query_one("#session-done", Static).render())
        assert "Session finished." in text and "You reviewed" in text and "of them new" in text
        assert "5 Perfectly:" in text and "streak 1 day" in text and "New cards: 2 of 20 today" in text
    store.close()


async def test_nothing_left_today_says_why_and_home_shows_the_limit(tmp_path):
    store = new_deck_store(tmp_path, n=5, new_per_day=0)
    async with running(store) as (app, pilot):
        summary = str(app.screen.query_one("#home-summary", Static).render())
        assert "0 new today (0 of 0 done), 5 waiting" in summary
        await press(app, pilot, "s", delay=0.2)
        text = str(app.screen.query_one("#session-done", Static).render())
        assert "new cards are off" in text and "Nothing is due here right now" not in text
    store.close()


async def test_home_shortens_long_deck_names_at_80_columns(tmp_path):
    long_name = "Improving Deep Neural Networks: Hyperparameter Tuning, Regularization and Optimization"
    store = new_deck_store(tmp_path, n=3, name=long_name)
    async with running(store, size=(80, 24)) as (app, pilot):
        table = app.screen.query_one("#decks", DataTable)
        names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        shortened = [n for n in names if n.startswith("Improving")][0]
        assert shortened.endswith("…") and len(shortened) < len(long_name)
        assert table.virtual_size.width <= table.size.width  # the counts fit: no sideways scrolling
    store.close()


async def test_card_form_asks_before_discarding_changes(filled_store):
    async with running(filled_store) as (app, pilot):
        await press(app, pilot, "a")
        form = app.screen
        assert isinstance(form, EditCardScreen)
        await press(app, pilot, "escape")  # nothing typed: leaves at once
        assert isinstance(app.screen, HomeScreen)
        await press(app, pilot, "a")
        form = app.screen
        form.query_one("#question", TextArea).text = "A question I am writing"
        await press(app, pilot, "escape")
        assert isinstance(app.screen, ConfirmDialog)
        await press(app, pilot, "n")  # keep editing
        assert app.screen is form and form.query_one("#question", TextArea).text == "A question I am writing"
        await press(app, pilot, "escape", "y")
        assert isinstance(app.screen, HomeScreen)
    with filled_store.sessions() as s:
        assert s.scalar(select(Card).where(Card.question == "A question I am writing")) is None


async def test_card_detail_header_wraps_at_80_columns(filled_store):
    from flashtrain.tui.screens.card_modal import CardModal

    async with running(filled_store, size=(80, 24)) as (app, pilot):
        with filled_store.sessions() as s:
            card_id = s.scalar(select(Card.id).where(Card.question == "Leechy momentum question"))
        app.push_screen(CardModal(card_id))
        await settle(app, pilot)
        header = app.screen.query_one(".dialog-title", Static)
        text = str(header.render())
        assert "lapses" in text  # the end of the line is there
        assert header.size.height >= 2 or len(text) <= header.size.width


async def test_settings_screen_saves_and_shows_the_workload(filled_store):
    from textual.widgets import Input, Select, Switch

    from flashtrain.tui.screens.settings import SettingsScreen

    async with running(filled_store, size=(80, 24)) as (app, pilot):
        await press(app, pilot, "comma", delay=0.5)  # the simulation starts a moment after the screen opens
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        note = screen.query_one("#desired_retention-note", Static)
        first = str(note.render())
        assert "reviews a day" in first and "at 90%" in first and "simulated" in first
        assert screen.shown_workload is not None and screen.shown_workload.retention == 0.9
        at_90 = screen.shown_workload
        screen.query_one("#desired_retention", Input).value = "0.97"
        screen.workload_inputs_changed()  # what typing does (not awaited: the simulation starts 0.3 s later)
        assert "simulating" in str(note.render())  # in a worker thread: the screen says it is on the way
        await settle(app, pilot, delay=0.5)
        await settle(app, pilot)
        higher = str(note.render())
        assert "at 97%" in higher and screen.shown_workload.retention == 0.97
        assert screen.shown_workload.reviews_per_day > at_90.reviews_per_day  # more retention, more reviews
        screen.query_one("#new_per_day", Input).value = "many"
        await press(app, pilot, "ctrl+s")
        assert app.screen is screen  # not saved: the error is shown
        screen.query_one("#new_per_day", Input).value = "7"
        screen.query_one("#bury_siblings", Switch).value = False
        screen.query_one("#theme", Select).value = "gruvbox"
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, HomeScreen) and app.theme == "gruvbox"
    settings = __import__("flashtrain.study.service", fromlist=["StudyService"]).StudyService(filled_store).settings()
    assert settings.desired_retention == 0.97 and settings.new_per_day == 7 and not settings.bury_siblings
    assert settings.theme == "gruvbox"


async def test_settings_screen_recommends_a_retention_for_the_learners_cards(filled_store):
    from textual.widgets import Input

    from flashtrain.study.workload import forecast
    from flashtrain.tui.screens.settings import SettingsScreen

    async with running(filled_store, size=(80, 24)) as (app, pilot):
        await press(app, pilot, "comma", delay=0.5)
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        advice = screen.query_one("#retention-advice", Static)
        expected = forecast(filled_store, new_per_day=20).sweep.best  # the saved 20 new cards a day
        assert screen.shown_sweep is not None, str(advice.render())
        assert screen.shown_sweep.best.retention == expected.retention
        text = str(advice.render())
        assert f"Recommended: {expected.retention:.2f}" in text and "least study time per card remembered" in text
        assert advice.region.width <= 80 and advice.size.height >= 1  # on screen at 80 columns
        # another number of new cards a day: worked out again for it
        screen.query_one("#new_per_day", Input).value = "0"
        screen.workload_inputs_changed()  # what typing does (not awaited: the sweep starts 0.3 s later)
        assert screen.shown_sweep is None and "working out" in str(advice.render())
        await settle(app, pilot, delay=0.5)
        await settle(app, pilot)
        without_new = forecast(filled_store, new_per_day=0).sweep.best
        assert screen.shown_sweep.best.retention == without_new.retention
        assert f"Recommended: {without_new.retention:.2f}" in str(advice.render())
        screen.query_one("#desired_retention", Input).value = "0.75"
        await press(app, pilot, "ctrl+r")
        assert screen.query_one("#desired_retention", Input).value == f"{without_new.retention:.2f}"
