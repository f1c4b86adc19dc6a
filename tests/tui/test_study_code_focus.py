"""Issue 10 §1: keys typed after a check run stay in the editor; study keys act only after esc; an
undone code card comes back with the learner's code; leeches and counters are told at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from textual.widgets import Static, TextArea
from tui_fixtures import NOW, add_card, press, review_state, running, settle, store_from_deck

from flashtrain.paths import bundled_cards_dir
from flashtrain.store.engine import open_store
from flashtrain.store.models import Card, Deck, ReviewLog
from flashtrain.study.queue import QueueSpec
from flashtrain.tui.screens.edit import EditCardScreen
from flashtrain.tui.screens.study import StudyScreen

CODE_DECK = """---
name: Code deck
---

Q: Implement one Adam step.
A: See the reference.

snippet: adam_update

---

Q: What is momentum?
A: An exponentially weighted average of gradients.
"""

WRONG = "def adam_update(w, dw, v, s, t, lr, beta1, beta2, eps):\n    return w, v, s\n"


@pytest.fixture
def code_store(tmp_path):
    assert (bundled_cards_dir() / "snippets" / "adam_update.md").is_file()
    store, _ = store_from_deck(tmp_path, CODE_DECK, "code.md")
    yield store
    store.close()


def reviews(store) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(ReviewLog))


def suspended(store) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(Card).where(Card.suspended))


async def run_checks(app, pilot, screen) -> None:
    await pilot.press("ctrl+r")
    for _ in range(200):  # the check runs in the sandbox worker
        await settle(app, pilot, 0.05)
        if not screen.code_panel.running:
            return
    raise AssertionError("the check did not finish")


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
@pytest.mark.parametrize("passing", [False, True])
async def test_editor_keeps_focus_after_a_check_and_study_keys_wait_for_esc(code_store, size, passing):
    async with running(code_store, start=QueueSpec(), size=size) as (app, pilot):
        screen = app.screen
        assert screen.card.snippet_id == "adam_update"
        editor = screen.query_one("#code-editor", TextArea)
        await press(app, pilot, "ctrl+e")
        assert app.focused is editor
        code = app.snippets.snippet("adam_update").reference if passing else WRONG
        editor.text = code
        editor.move_cursor(editor.document.end)
        await run_checks(app, pilot, screen)
        assert screen.code_panel.last_result.status == ("pass" if passing else "fail")
        assert app.focused is editor and editor.display  # still typing into the editor
        assert screen.revealed is passing  # a pass shows the answer (to be confirmed with a number)
        await press(app, pilot, "2", "s", "e", "u", "space")
        assert editor.text == code + "2seu "  # typed, not acted on
        assert isinstance(app.screen, StudyScreen) and not isinstance(app.screen, EditCardScreen)
        assert reviews(code_store) == 0 and suspended(code_store) == 0
        footer_keys = {b.binding.action for b in app.active_bindings.values() if b.binding.show and b.enabled}
        assert "leave_code" in footer_keys and "suspend" not in footer_keys
        await press(app, pilot, "escape")  # leaving the editor on purpose
        assert app.focused is None and isinstance(app.screen, StudyScreen)
        if not passing:
            await press(app, pilot, "space")
        assert screen.revealed
        await press(app, pilot, "2")
        assert reviews(code_store) == 1


async def test_results_view_at_80_columns_is_part_of_the_code_panel(code_store):
    """ctrl+t shows the results across the panel; keys there do not act on the card either."""
    async with running(code_store, start=QueueSpec(), size=(80, 24)) as (app, pilot):
        screen = app.screen
        editor = screen.query_one("#code-editor", TextArea)
        await press(app, pilot, "ctrl+e")
        editor.text = WRONG
        await run_checks(app, pilot, screen)
        results = screen.query_one("#code-results")
        assert results.display and editor.display  # results open below the editor
        await press(app, pilot, "ctrl+t")
        assert app.focused is results and not editor.display
        await press(app, pilot, "s", "e", "space")
        assert suspended(code_store) == 0 and app.screen is screen and not screen.revealed
        await press(app, pilot, "ctrl+t")
        assert app.focused is editor and editor.display
        await press(app, pilot, "ctrl+t", "escape")
        assert app.focused is None and editor.display and app.screen is screen


async def test_undone_code_card_comes_back_with_the_learners_code(code_store):
    async with running(code_store, start=QueueSpec(), size=(80, 24)) as (app, pilot):
        screen = app.screen
        first = screen.card.card_id
        editor = screen.query_one("#code-editor", TextArea)
        await press(app, pilot, "ctrl+e")
        editor.text = WRONG + "# my attempt\n"
        await press(app, pilot, "escape", "space", "1")
        assert screen.card.card_id != first and reviews(code_store) == 1
        await press(app, pilot, "u")
        assert screen.card.card_id == first and reviews(code_store) == 0
        assert screen.query_one("#code-editor", TextArea).text == WRONG + "# my attempt\n"


async def test_a_new_run_clears_the_last_verdict_at_once(code_store):
    """While attempt 2 runs, the panel no longer says "All checks passed" from attempt 1."""
    async with running(code_store, start=QueueSpec(), size=(160, 45)) as (app, pilot):
        screen = app.screen
        editor = screen.query_one("#code-editor", TextArea)
        editor.text = app.snippets.snippet("adam_update").reference
        await run_checks(app, pilot, screen)
        output = screen.query_one("#code-output")
        assert "All checks passed" in output.card_source
        editor.text = WRONG
        screen.code_panel.run_checks()
        assert "All checks passed" not in output.card_source and "attempt 2" in output.card_source
        await run_checks(app, pilot, screen)
        status = str(screen.code_panel.query_one("#code-status", Static).render())
        assert "attempt 2: failed" in status and "checks passed." in output.card_source
        assert "All checks passed" not in output.card_source


async def test_leech_is_told_to_the_learner(tmp_path):
    store = open_store(tmp_path / "l.db")
    with store.sessions.begin() as session:
        deck = Deck(name="Leeches", origin="imported")
        session.add(deck)
        session.flush()
        add_card(session, deck, "A card I keep forgetting", state=review_state(3, -1, stability=2.0, lapses=7))
    async with running(store, start=QueueSpec()) as (app, pilot):
        await press(app, pilot, "space", "1")  # the 8th lapse: the default leech threshold
        messages = [n.message for n in app._notifications]
        assert any("leech" in m and "suspended" in m for m in messages), messages
        assert suspended(store) == 1
        await press(app, pilot, "u")
        assert suspended(store) == 0
    store.close()


async def test_counts_after_undo_are_right_at_once(tmp_path):
    """Undo puts "done" and "left" back as they were before the rating, without waiting for a recount."""
    store = open_store(tmp_path / "p.db")
    with store.sessions.begin() as session:
        deck = Deck(name="Due deck", origin="imported")
        session.add(deck)
        session.flush()
        for n in range(5):
            add_card(session, deck, f"Due question {n}", state=review_state(10, -1 - n))
    async with running(store, start=QueueSpec()) as (app, pilot):
        screen = app.screen

        def progress() -> str:
            return str(screen.query_one("#study-progress", Static).render())

        screen.show_progress(app.service.remaining(screen.spec))
        await pilot.pause()
        assert re.search(r"done 0 · left 5$", progress()), progress()
        await pilot.press("space", "4", "space", "1")
        await pilot.pause()
        assert re.search(r"done 2 · left 3 \+1 later", progress()), progress()
        await pilot.press("u")
        await pilot.pause()
        assert re.search(r"done 1 · left 4$", progress()), progress()  # not the stale "left 3"
        await pilot.press("u")
        await pilot.pause()
        assert re.search(r"done 0 · left 5$", progress()), progress()
        await settle(app, pilot)
        screen.show_progress(app.service.remaining(screen.spec))  # the recount agrees
        await pilot.pause()
        assert re.search(r"done 0 · left 5$", progress()), progress()
    store.close()
