"""Pilot tests (App.run_test) for every screen's main flow, against temporary stores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from textual.widgets import DataTable, Input, Static, TextArea
from tui_fixtures import (NOW, SIZE, add_attempts, add_card, add_reviews, bundled_store_from_deck, press, running,
                          settle, store_from_deck)

from flashtrain.paths import bundled_cards_dir
from flashtrain.store.engine import open_store
from flashtrain.store.models import Attempt, Card, Deck, ReviewLog
from flashtrain.services.imports import import_file
from flashtrain.study.queue import QueueSpec
from flashtrain.tui.screens.browse import BrowseScreen
from flashtrain.tui.screens.dialogs import KeysScreen, TrustDialog
from flashtrain.tui.screens.edit import EditCardScreen
from flashtrain.tui.screens.home import HomeScreen
from flashtrain.tui.screens.stats import StatsScreen
from flashtrain.tui.screens.study import StudyScreen

def review_count(store, card_id=None) -> int:
    with store.sessions() as s:
        query = select(func.count()).select_from(ReviewLog)
        if card_id is not None:
            query = query.where(ReviewLog.card_id == card_id)
        return s.scalar(query)


# -- home and study ---------------------------------------------------------------------------------
async def test_home_lists_decks_with_counts(filled_store):
    async with running(filled_store) as (app, pilot):
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one("#decks", DataTable)
        assert table.row_count == 3  # "All decks" + two decks
        names = [table.get_row_at(i)[0] for i in range(table.row_count)]
        assert "Optimizers" in names and "Regularization" in names
        optimizers = table.get_row_at(names.index("Optimizers"))
        assert optimizers[1] == "2"  # due: adam and the leech (the suspended card is not counted)


async def test_study_reveal_rate_logs_review_then_undo(filled_store):
    async with running(filled_store) as (app, pilot):
        await press(app, pilot, "s")
        screen = app.screen
        assert isinstance(screen, StudyScreen)
        first = screen.card
        assert first is not None
        assert not screen.query_one("#card").back_shown
        await pilot.press("4")  # rating before reveal does nothing
        assert review_count(filled_store) == 0
        await press(app, pilot, "space")
        assert screen.revealed and screen.query_one("#card").back_shown
        label = screen.query_one("#rating-bar").cell_text(4)
        assert "Well" in label and any(unit in label for unit in ("m", "h", "d", "mo", "y"))
        await press(app, pilot, "4")
        assert review_count(filled_store, first.card_id) == 1  # committed before the next card shows
        with filled_store.sessions() as s:
            assert s.scalar(select(ReviewLog.rating)) == 4
        assert screen.done == 1
        assert screen.card is None or screen.card.card_id != first.card_id
        assert "done 1" in str(screen.query_one("#study-progress", Static).render())
        await press(app, pilot, "u")
        assert review_count(filled_store) == 0
        assert screen.card.card_id == first.card_id and screen.done == 0
        assert "done 0" in str(screen.query_one("#study-progress", Static).render())


async def test_study_finishes_and_suspend_bury_flag(filled_store):
    async with running(filled_store, start=QueueSpec(deck_ids=None)) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, StudyScreen)
        card_id = screen.card.card_id
        await press(app, pilot, "f")
        with filled_store.sessions() as s:
            assert s.get(Card, card_id).flagged
        await pilot.press("s")  # suspend
        await settle(app, pilot)
        with filled_store.sessions() as s:
            assert s.get(Card, card_id).suspended
        seen = 0
        while screen.card is not None and seen < 20:
            await pilot.press("b")  # bury everything else
            await settle(app, pilot)
            seen += 1
        assert screen.card is None
        assert screen.query_one("#session-done").display


# -- add and edit -----------------------------------------------------------------------------------
async def test_add_card_from_home(filled_store):
    async with running(filled_store) as (app, pilot):
        await press(app, pilot, "a")
        screen = app.screen
        assert isinstance(screen, EditCardScreen)
        screen.query_one("#question", TextArea).text = "What is the softmax of $z$?"
        screen.query_one("#answer", TextArea).text = "$e^{z_i} / \\sum_j e^{z_j}$"
        screen.query_one("#tags", Input).value = "softmax, activations"
        screen.query_one("#hints", TextArea).text = "exponentials\nnormalise"
        await settle(app, pilot)
        assert "ᵢ" in screen.query_one("#preview").card_source or "softmax" in screen.query_one("#preview").card_source
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, HomeScreen)
    with filled_store.sessions() as s:
        card = s.scalar(select(Card).where(Card.question == "What is the softmax of $z$?"))
        assert card.tags == ["softmax", "activations"] and card.hints == ["exponentials", "normalise"]


DECK = """---
name: Tiny deck
---

Q: What is momentum?
A: An EWA of gradients.

---

Q: What is RMSprop?
A: Divide by the root of an EWA of squared gradients.
"""


@pytest.fixture
def file_store(tmp_path):
    store, path = store_from_deck(tmp_path, DECK, "tiny.md")
    yield store, path
    store.close()


async def test_edit_current_card_writes_the_deck_file_back(file_store):
    store, path = file_store
    async with running(store, start=QueueSpec()) as (app, pilot):
        study = app.screen
        card_id = study.card.card_id
        await pilot.press("space", "3")  # history to keep
        await settle(app, pilot)
        await pilot.press("u")
        await press(app, pilot, "space", "3")
        study.show_card(app.service.card(card_id))
        await settle(app, pilot)
        await press(app, pilot, "e")
        editor = app.screen
        assert isinstance(editor, EditCardScreen)
        assert "tiny.md" in str(editor.query_one("#edit-source", Static).render())
        old_question = editor.query_one("#question", TextArea).text
        editor.query_one("#answer", TextArea).text = "Edited answer with $\\beta$."
        await press(app, pilot, "ctrl+s")
        assert app.screen is study
        assert study.card.card_id == card_id and study.card.answer == "Edited answer with $\\beta$."
    text = path.read_text()
    assert f"Q: {old_question}\nA: Edited answer with $\\beta$.\n" in text
    other = "What is RMSprop?" if "momentum" in old_question else "What is momentum?"
    assert other in text and text.startswith("---\nname: Tiny deck\n---\n\n")
    assert review_count(store, card_id) == 1  # the history stayed with the card


CLOZE_DECK = """---
name: Cloze deck
---

C: The {{c1::chain rule}} gives {{c2::gradients}} layer by layer.
A: See chapter 6.
"""


async def test_a_cloze_cards_extra_is_edited_in_the_answer_box(tmp_path):
    """A cloze card's answer is its extra (Anki's Back Extra), shown on the back: the form labels it so,
    lets it be edited, previews it under the filled gap, and saving writes it for every card of the note."""
    store, path = store_from_deck(tmp_path, CLOZE_DECK, "cloze.md")
    try:
        async with running(store, start=QueueSpec()) as (app, pilot):
            study = app.screen
            card_id = study.card.card_id
            await press(app, pilot, "e")
            editor = app.screen
            assert isinstance(editor, EditCardScreen)
            box = editor.query_one("#answer", TextArea)
            assert not box.disabled and box.text == "See chapter 6."
            labels = [str(label.render()) for label in editor.query("Label")]
            assert any(label.startswith("Extra") for label in labels) and not any("have none" in x for x in labels)
            box.text = "See chapter 6 of **the book**."
            await settle(app, pilot)
            preview = editor.query_one("#preview").card_source
            assert "See chapter 6 of **the book**." in preview and "[…]" in preview
            await press(app, pilot, "ctrl+s")
            assert app.screen is study
            assert study.card.card_id == card_id and study.card.back.endswith("See chapter 6 of **the book**.")
        assert "A: See chapter 6 of **the book**.\n" in path.read_text()
        with store.sessions() as s:
            rows = s.scalars(select(Card).where(Card.retired_at.is_(None))).all()
        assert sorted(r.cloze_index for r in rows) == [1, 2] and all(r.kind == "cloze" for r in rows)
        assert {r.answer for r in rows} == {"See chapter 6 of **the book**."}
    finally:
        store.close()


# -- browse -----------------------------------------------------------------------------------------
async def test_browse_search_sort_suspend_and_delete(filled_store):
    async with running(filled_store) as (app, pilot):
        await press(app, pilot, "b", delay=0.1)
        screen = app.screen
        assert isinstance(screen, BrowseScreen)
        table = screen.query_one("#cards", DataTable)
        assert table.row_count == 7
        query = screen.query_one("#query", Input)
        query.value = "tag:adam"
        await pilot.pause(0.4)
        await settle(app, pilot)
        assert table.row_count == 1 and screen.rows[0].question.startswith("What does $\\beta_1$")
        query.value = "is:leech"
        await query.action_submit()
        await pilot.pause(0.4)  # the change's debounced search may start after the submitted one
        await settle(app, pilot)
        assert [r.question for r in screen.rows] == ["Leechy momentum question"]
        await pilot.press("s")  # table has focus after submit: suspend it
        await settle(app, pilot)
        assert screen.rows[0].suspended
        query.value = ""
        await query.action_submit()
        await settle(app, pilot)
        await pilot.press("o")  # sort by recall
        await settle(app, pilot)
        assert screen.sort == "recall"
        recalls = [r.recall for r in screen.rows if r.recall is not None]
        assert recalls == sorted(recalls)
        query.value = "rmsprop"
        await query.action_submit()
        await settle(app, pilot)
        await press(app, pilot, "x")
        await pilot.press("y")  # confirm
        await settle(app, pilot)
        assert screen.rows == []
    with filled_store.sessions() as s:
        assert s.scalar(select(Card.retired_at).where(Card.question.contains("RMSprop"))) is not None


async def test_browse_shows_query_errors(filled_store):
    async with running(filled_store) as (app, pilot):
        app.action_browse()
        await settle(app, pilot)
        query = app.screen.query_one("#query", Input)
        query.value = "is:soon"
        await query.action_submit()
        await settle(app, pilot)
        assert "is:soon" in str(app.screen.query_one("#browse-count", Static).render())


# -- stats ------------------------------------------------------------------------------------------
async def test_stats_screen_renders_data(filled_store):
    with filled_store.sessions() as s:
        adam = s.scalar(select(Card.id).where(Card.key == "id:adam-beta1"))
    add_reviews(filled_store, [(adam, NOW - timedelta(days=d), 4, 3.0, 12_000, "review") for d in range(3)])
    add_attempts(filled_store, [(adam, "ewa", "pass"), (adam, "ewa", "fail")])
    async with running(filled_store) as (app, pilot):
        await press(app, pilot, "t", delay=0.1)
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        assert screen.stats is not None and screen.stats.reviews_total == 3
        assert "3 reviews" in str(screen.query_one("#stats-summary", Static).render())
        assert "ewa" in str(screen.query_one("#stats-snippets", Static).render())
        assert "Optimizers" in str(screen.query_one("#stats-mastery", Static).render())
        await pilot.resize_terminal(200, 50)
        await settle(app, pilot)
        assert "Mon" in str(screen.query_one("#stats-heatmap", Static).render())


# -- everywhere -------------------------------------------------------------------------------------
async def test_keys_screen_and_command_palette_entries(filled_store):
    from flashtrain.tui.commands import FlashtrainCommands

    async with running(filled_store, start=QueueSpec()) as (app, pilot):
        study = app.screen
        titles = [title for title, _, _ in FlashtrainCommands(study).commands()]
        assert any(t.startswith("Reveal") for t in titles) and "Browse cards" in titles
        await press(app, pilot, "question_mark")
        assert isinstance(app.screen, KeysScreen)
        keys_text = str(app.screen.query_one(".keys-table", Static).render())
        assert "Reveal" in keys_text and "Undo" in keys_text
        await press(app, pilot, "escape")
        assert app.screen is study
        await pilot.resize_terminal(200, 50)
        await settle(app, pilot)
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert study.card is not None


# -- code-backed cards ------------------------------------------------------------------------------
CODE_DECK = """---
name: Code deck
---

Q: Implement one Adam step.
A: See the reference.

snippet: adam_update
"""


def reference_of(app, snippet_id):
    return app.snippets.snippet(snippet_id).reference


@pytest.fixture
def code_store(tmp_path):
    assert (bundled_cards_dir() / "snippets" / "adam_update.md").is_file()  # ships in cards/snippets
    store, _ = store_from_deck(tmp_path, CODE_DECK, "code.md")
    yield store
    store.close()


async def test_code_card_failing_then_passing_check(code_store):
    async with running(code_store, start=QueueSpec(), size=(100, 30)) as (app, pilot):
        screen = app.screen
        assert screen.card.snippet_id == "adam_update" and screen.code_panel is not None
        editor = screen.query_one("#code-editor", TextArea)
        assert "def adam_update" in editor.text  # the starter
        footer = {b.description for _, b, enabled, _ in screen.active_bindings.values() if b.show}
        assert "Run checks" in footer and "Run demo" not in footer
        await press(app, pilot, "ctrl+r", delay=0.2)
        panel = screen.code_panel
        assert panel.last_result.status in ("fail", "error")
        assert not screen.revealed and screen.suggested in (1, 2)
        output = screen.query_one("#code-output").card_source
        assert "checks passed" in output or "could not be checked" in output
        # a known-wrong variant: epsilon inside the square root -> a failing check with expected vs actual
        wrong = reference_of(app, "adam_update").replace("np.sqrt(s_hat) + eps", "np.sqrt(s_hat + eps)")
        if wrong != reference_of(app, "adam_update"):
            editor.text = wrong
            await press(app, pilot, "ctrl+r", delay=0.2)
            assert panel.last_result.status == "fail"
            output = screen.query_one("#code-output").card_source
            assert "expected" in output and "actual" in output
            assert panel.last_result.hint and "Hint:" in output  # the matching mutant's hint
        editor.text = reference_of(app, "adam_update")
        await press(app, pilot, "ctrl+r", delay=0.2)
        assert panel.last_result.status == "pass"
        assert screen.revealed  # a pass reveals the answer and the reference
        assert screen.query_one("#reference").display
        assert screen.suggested == 4  # passed, but not on the first attempt
        assert screen.query_one("#rating-bar").suggested == 4
        await press(app, pilot, "4")
    with code_store.sessions() as s:
        statuses = [a.status for a in s.scalars(select(Attempt).order_by(Attempt.id))]
        assert statuses[-1] == "pass" and statuses[0] in ("fail", "error") and len(statuses) >= 2
        assert s.scalar(select(ReviewLog.rating)) == 4


async def test_untrusted_deck_snippet_asks_for_trust(tmp_path):
    source = bundled_cards_dir() / "snippets" / "adam_update.md"
    assert source.is_file()  # the bundled snippet ships in cards/snippets
    folder = tmp_path / "imported"
    (folder / "snippets").mkdir(parents=True)
    text = source.read_text(encoding="utf-8").replace("adam_update", "adam_step_copy")
    (folder / "snippets" / "adam_step_copy.md").write_text(text, encoding="utf-8")
    (folder / "deck.md").write_text(CODE_DECK.replace("adam_update", "adam_step_copy"), encoding="utf-8")
    store = open_store(tmp_path / "u.db")
    assert import_file(store, folder / "deck.md").error is None
    async with running(store, start=QueueSpec(), size=(100, 30)) as (app, pilot):
        screen = app.screen
        assert screen.code_panel is not None and screen.code_panel.snippet is not None
        await press(app, pilot, "ctrl+r")
        assert isinstance(app.screen, TrustDialog)
        with store.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Attempt)) == 0  # nothing ran
        await press(app, pilot, "y", delay=0.2)
        assert app.screen is screen
        with store.sessions() as s:
            assert s.scalar(select(Deck.trusted).where(Deck.name == "Code deck"))
            assert s.scalar(select(func.count()).select_from(Attempt)) == 1
    store.close()


async def test_import_runs_in_a_worker_with_progress(tmp_path, filled_store):
    from flashtrain.tui.screens.tasks import PathDialog, TaskScreen

    deck = tmp_path / "extra.md"
    deck.write_text("---\nname: Extra\n---\n\nQ: One?\nA: Two.\n", encoding="utf-8")
    async with running(filled_store) as (app, pilot):
        await press(app, pilot, "i")
        assert isinstance(app.screen, PathDialog)
        app.screen.query_one("#path", Input).value = str(deck)
        await press(app, pilot, "enter", delay=0.1)
        task = app.screen
        assert isinstance(task, TaskScreen) and task.finished and task.ok
        assert "1 added" in str(task.query_one("#task-log", Static).render())
        await press(app, pilot, "escape")
        table = app.screen.query_one("#decks", DataTable)
        assert "Extra" in [table.get_row_at(i)[0] for i in range(table.row_count)]


async def test_optimize_with_too_little_history_says_so(filled_store):
    from flashtrain.tui.screens.tasks import TaskScreen

    async with running(filled_store) as (app, pilot):
        await press(app, pilot, "o", delay=0.1)
        task = app.screen
        assert isinstance(task, TaskScreen) and task.finished
        assert "not enough review history" in str(task.query_one("#task-log", Static).render())


async def test_code_editor_keys_do_not_rate_and_escape_leaves_editor(code_store):
    from flashtrain.tui.widgets.code_panel import make_editor

    async with running(code_store, start=QueueSpec()) as (app, pilot):
        screen = app.screen
        await pilot.press("ctrl+e")
        editor = screen.query_one("#code-editor", TextArea)
        assert app.focused is editor
        await pilot.press("space", "4")  # typed into the editor: no reveal, no rating
        assert not screen.revealed and review_count(code_store) == 0
        await pilot.press("escape")
        assert app.focused is not editor and isinstance(app.screen, StudyScreen)
        await pilot.press("space")
        assert screen.revealed
    try:
        import tree_sitter_python  # noqa: F401
        expected = "python"
    except ImportError:
        expected = None
    assert make_editor("x = 1").language == expected


async def test_browse_open_shows_the_card(filled_store):
    from flashtrain.tui.screens.card_modal import CardModal

    async with running(filled_store) as (app, pilot):
        app.action_browse()
        await settle(app, pilot)
        await pilot.press("enter")  # from the search box to the table
        await settle(app, pilot)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CardModal)
        await pilot.press("escape")
        assert isinstance(app.screen, BrowseScreen)


async def test_leaving_a_command_line_session_opens_home(filled_store):
    async with running(filled_store, start=QueueSpec()) as (app, pilot):
        assert isinstance(app.screen, StudyScreen)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one("#decks", DataTable).row_count == 3


async def test_browse_typing_on_open_goes_to_the_search_box(filled_store):
    """Letters are shortcuts only in the table: a query typed straight away must not suspend or edit."""
    async with running(filled_store) as (app, pilot):
        await pilot.press("b")
        await pilot.press(*"has:code deck:optim")  # typed at once, before the first search returns
        await settle(app, pilot, 0.4)
        screen = app.screen
        assert isinstance(screen, BrowseScreen)
        query = screen.query_one("#query", Input)
        assert query.value == "has:code deck:optim" and app.focused is query
        with filled_store.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Card).where(Card.suspended)) == 1  # the fixture's
        assert [r.question for r in screen.rows] == ["Write the EWA"]
        await pilot.press("s", "e", "delete")  # still in the search box: typed, no action
        await settle(app, pilot)
        assert isinstance(app.screen, BrowseScreen) and query.value == "has:code deck:optimse"
        query.value = "has:code"
        await pilot.press("enter")  # runs the query and moves to the table
        await settle(app, pilot)
        table = screen.query_one("#cards", DataTable)
        assert app.focused is table and [r.question for r in screen.rows] == ["Write the EWA"]
        await pilot.press("s")  # now a shortcut
        await settle(app, pilot)
        assert screen.rows[0].suspended
        await pilot.press("slash")
        assert app.focused is query
        assert screen.check_action("suspend", ()) is None and screen.check_action("edit", ()) is None


async def test_editing_a_bundled_card_says_store_only_and_leaves_the_file(tmp_path, monkeypatch):
    store, path = bundled_store_from_deck(tmp_path, monkeypatch, DECK, "tiny.md")
    async with running(store, start=QueueSpec()) as (app, pilot):
        study = app.screen
        card_id = study.card.card_id
        await press(app, pilot, "e")
        editor = app.screen
        assert isinstance(editor, EditCardScreen)
        source_line = str(editor.query_one("#edit-source", Static).render())
        assert "Bundled deck" in source_line and "store only" in source_line
        editor.query_one("#answer", TextArea).text = "My own answer."
        await press(app, pilot, "ctrl+s")
        assert app.screen is study and study.card.answer == "My own answer."
    assert path.read_text(encoding="utf-8") == DECK
    with store.sessions() as s:
        assert s.get(Card, card_id).answer == "My own answer."
    store.close()


async def test_custom_session_dialog_shows_the_choice_and_arrows_choose(filled_store):
    from textual.widgets import RadioButton

    from flashtrain.tui.screens.dialogs import CustomSessionDialog

    def marks(dialog) -> list[str]:
        return [str(button.render())[:3] for button in dialog.query(RadioButton)]

    async with running(filled_store) as (app, pilot):
        await press(app, pilot, "c")
        dialog = app.screen
        assert isinstance(dialog, CustomSessionDialog)
        assert marks(dialog) == ["(•)", "( )", "( )", "( )"]  # visible without colour
        await pilot.press("down")  # arrows choose
        assert marks(dialog) == ["( )", "(•)", "( )", "( )"]
        assert dialog.spec().mode == "lapsed"
        await pilot.press("enter")  # enter starts
        await settle(app, pilot)
        assert isinstance(app.screen, StudyScreen) and app.screen.spec.mode == "lapsed"
        await press(app, pilot, "escape")
        await press(app, pilot, "c")
        await pilot.press("up")  # wraps round to the last option
        await pilot.press("tab", "tab")  # deck, then the tag box
        await pilot.press(*"adam")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, StudyScreen)
        assert app.screen.spec.mode == "due" and app.screen.spec.tag == "adam"


async def test_code_editor_enter_keeps_python_indentation():
    from textual.app import App

    from flashtrain.tui.widgets.code_panel import make_editor

    class EditorApp(App):
        def compose(self):
            yield make_editor("")

    app = EditorApp()
    async with app.run_test(size=SIZE) as pilot:
        editor = app.query_one("#code-editor", TextArea)
        editor.focus()
        await pilot.press(*"def f(x):", "enter", *"y = x", "enter", *"return y")
        assert editor.text == "def f(x):\n    y = x\n    return y"


async def test_code_card_after_code_card(tmp_path):
    """Rating a code card when the next one is a code card too (two panels, one leaving) must not crash."""
    assert (bundled_cards_dir() / "snippets" / "adam_update.md").is_file()  # ships in cards/snippets
    store, _ = store_from_deck(tmp_path, CODE_DECK + "\n---\n\nQ: Adam once more.\nA: Again.\n\nsnippet: adam_update\n",
                               "two.md")
    async with running(store, start=QueueSpec()) as (app, pilot):
        screen = app.screen
        first = screen.card.card_id
        await press(app, pilot, "space", "3")
        assert screen.card is not None and screen.card.card_id != first
        assert screen.code_panel is not None and len(screen.query("CodePanel")) == 1
    store.close()


async def test_code_status_line_fits_80_columns_after_a_check(tmp_path):
    """The line above the editor (attempt, verdict, suggested rating) is one row high: at 80x24 it
    must not be cut off in the middle of the suggestion, even for the longest snippet id."""
    store, _ = store_from_deck(tmp_path, CODE_DECK.replace("adam_update", "update_running_stats"), "code.md")
    async with running(store, start=QueueSpec()) as (app, pilot):
        screen = app.screen
        editor = screen.query_one("#code-editor", TextArea)
        editor.text = "def update_running_stats(running_mu, running_var, Z, beta):\n    return 0, 0\n"
        await press(app, pilot, "ctrl+r", delay=0.2)
        status = screen.code_panel.query_one("#code-status", Static)
        text = str(status.render())
        assert "attempt 1: failed" in text and "Not at all" in text
        assert len(text) <= status.content_region.width, text
    store.close()


async def test_keys_from_the_browse_search_box_and_the_edit_form(filled_store):
    """? in Browse's (empty) search box shows the keys instead of searching for "?"; in the card form,
    where ? is text, f1 shows them."""
    async with running(filled_store) as (app, pilot):
        await press(app, pilot, "b")
        browse = app.screen
        assert browse.focused is browse.query_one("#query", Input)
        await press(app, pilot, "question_mark")
        assert isinstance(app.screen, KeysScreen)
        assert browse.query_one("#query", Input).value == ""
        await press(app, pilot, "escape")
        await pilot.press("w", "h", "y", "question_mark")  # inside a query, ? is text
        await settle(app, pilot)
        assert browse.query_one("#query", Input).value == "why?" and app.screen is browse
        await press(app, pilot, "escape", "escape")
        await press(app, pilot, "a")
        assert isinstance(app.screen, EditCardScreen)
        await pilot.press("question_mark")
        assert app.screen.query_one("#question", TextArea).text == "?"
        await press(app, pilot, "f1")
        assert isinstance(app.screen, KeysScreen)


async def test_add_card_refuses_a_link_to_a_snippet_that_does_not_exist(filled_store):
    async with running(filled_store) as (app, pilot):
        await press(app, pilot, "a")
        screen = app.screen
        screen.query_one("#question", TextArea).text = "Implement softmax."
        screen.query_one("#answer", TextArea).text = "Column-wise, stable."
        screen.query_one("#snippet", Input).value = "softmaxx"  # a typo
        await press(app, pilot, "ctrl+s")
        assert app.screen is screen  # not saved: the form stays open
        screen.query_one("#snippet", Input).value = "softmax"
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, HomeScreen)
    with filled_store.sessions() as s:
        assert s.scalars(select(Card.snippet_id).where(Card.question == "Implement softmax.")).all() == ["softmax"]


async def test_editing_a_code_card_keeps_the_answer_being_written(code_store):
    """e on a code card, then save: the card text updates, the code in the editor stays (it used to
    be replaced by the starter, losing the learner's work)."""
    async with running(code_store, start=QueueSpec(), size=(100, 30)) as (app, pilot):
        screen = app.screen
        screen.query_one("#code-editor", TextArea).text = "def adam_update(w, dw, v, s, t, lr, b1, b2, eps):\n    return 42\n"
        await press(app, pilot, "e")
        assert isinstance(app.screen, EditCardScreen)
        app.screen.query_one("#question", TextArea).text = "Implement one Adam step (edited)."
        await press(app, pilot, "ctrl+s")
        assert app.screen is screen and "(edited)" in screen.card.front
        assert "return 42" in screen.query_one("#code-editor", TextArea).text


async def test_command_palette_lists_each_home_action_once(filled_store):
    from flashtrain.tui.commands import FlashtrainCommands, bare_action

    async with running(filled_store) as (app, pilot):
        assert isinstance(app.screen, HomeScreen)
        entries = FlashtrainCommands(app.screen).commands()
        actions = [bare_action(callback.args[0]) for _, callback, _ in entries]
        assert len(actions) == len(set(actions)), sorted(actions)
        titles = [title for title, _, _ in entries]
        assert "Study all due cards (s)" in titles and "Browse cards (b)" in titles
        assert not any(title.startswith("Quit") for title in titles)  # Textual's own provider lists Quit


async def test_progress_left_does_not_go_up_when_a_card_comes_back_later(tmp_path):
    """Rating 'Not at all' moves a card to "+1 later"; the recount agrees instead of raising "left"."""
    import re

    store = open_store(tmp_path / "p.db")
    with store.sessions.begin() as session:
        deck = Deck(name="New deck", origin="bundled", trusted=True)
        session.add(deck)
        session.flush()
        for n in range(4):
            add_card(session, deck, f"New question {n}")
    async with running(store, start=QueueSpec()) as (app, pilot):
        screen = app.screen

        def progress() -> str:
            return str(screen.query_one("#study-progress", Static).render())

        async def recount() -> str:  # what the idle-time recount worker does, run here without a timer
            await settle(app, pilot)
            screen.show_progress(app.service.remaining(screen.spec))
            await pilot.pause()
            return progress()

        assert "left 4" in await recount()
        await pilot.press("space", "1")  # back in a minute: still in this session, but not now
        await settle(app, pilot)
        assert re.search(r"done 1 · left 3 \+1 later", progress()), progress()
        assert re.search(r"done 1 · left 3 \+1 later", await recount()), progress()
        await press(app, pilot, "space", "4")
        assert re.search(r"done 2 · left 2 \+1 later", await recount()), progress()


async def test_code_card_at_80_columns_stacks_editor_and_results(code_store):
    """80x24: the editor takes the full width; after a check the results open below it (the editor
    keeps the focus); ctrl+t gives the results the whole panel and back."""
    async with running(code_store, start=QueueSpec()) as (app, pilot):
        screen = app.screen
        panel = screen.code_panel
        editor = screen.query_one("#code-editor", TextArea)
        results = screen.query_one("#code-results")
        assert panel.has_class("-stacked")
        assert editor.size.width >= 76 and not results.display  # was ~44 columns beside the results
        assert editor.soft_wrap  # long docstring lines wrap
        await pilot.press("ctrl+e", "ctrl+a")  # select all, as in most editors
        assert editor.selected_text == editor.text
        await press(app, pilot, "ctrl+r", delay=0.3)
        assert panel.last_result is not None
        assert results.display and editor.display and app.focused is editor
        assert results.size.width >= 76 and results.region.y > editor.region.y  # below, full width
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert results.display and not editor.display and app.focused is results
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert editor.display and results.display and app.focused is editor
        await pilot.resize_terminal(160, 40)  # wide: side by side again
        await settle(app, pilot)
        assert not panel.has_class("-stacked") and editor.display and results.display and not editor.soft_wrap
        assert editor.size.width + results.size.width >= 150
