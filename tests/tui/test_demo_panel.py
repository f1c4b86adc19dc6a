"""Issue 13 §2: a card linked to a demonstration shows the program (parameters on top) in an editor;
ctrl+r runs it in the sandbox and the results show ✓/✗ per claim and the printed output; the
learner can change a parameter and run again; ctrl+o puts the original program back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from textual.widgets import Static, TextArea
from tui_fixtures import press, running, settle, store_from_deck

from flashtrain.paths import bundled_cards_dir
from flashtrain.store.models import ReviewLog
from flashtrain.study.queue import QueueSpec
from flashtrain.tui.widgets.demo_panel import DemoPanel

DEMO_DECK = """---
name: Demo deck
---

Q: Roughly how many past values does an exponentially weighted average with parameter $\\beta$ average over?
A: About $1/(1-\\beta)$.

snippet: demo_ewa_window
"""


@pytest.fixture
def demo_store(tmp_path):
    assert (bundled_cards_dir() / "snippets" / "demo_ewa_window.md").is_file()
    store, _ = store_from_deck(tmp_path, DEMO_DECK, "demo.md")
    yield store
    store.close()


async def run_demo(app, pilot, panel) -> str:
    await pilot.press("ctrl+r")
    for _ in range(200):  # the program runs in the sandbox worker
        await settle(app, pilot, 0.05)
        if not panel.running:
            return str(panel.query_one("#demo-output", Static).render())
    raise AssertionError("the demonstration did not finish")


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_run_change_a_parameter_run_again_and_restore(demo_store, size):
    async with running(demo_store, start=QueueSpec(), size=size) as (app, pilot):
        screen = app.screen
        panel = screen.code_panel
        assert isinstance(panel, DemoPanel) and panel.snippet.id == "demo_ewa_window"
        assert "run the demonstration" in screen.query_one("#rating-bar").hint
        footer = {b.description for _, b, enabled, _ in screen.active_bindings.values() if b.show}
        assert "Run demo" in footer and "Run checks" not in footer  # a demonstration checks nothing
        intro = panel.query_one("#demo-intro").card_source
        assert "**Try:**" in intro and "ctrl+r" in intro and "$(1-\\beta)\\beta^k$" in intro
        editor = panel.query_one("#code-editor", TextArea)
        assert editor.text.startswith("beta = 0.98")

        out = await run_demo(app, pilot, panel)
        assert "3 of 3 claims hold" in out and "✓ beta = 0.98 averages over roughly the last 50 values" in out
        assert "window 1 / (1 - beta) = 50.0 values" in out  # the printed output
        assert "Run 1" not in out and "run 1: 3 of 3" in str(panel.query_one("#code-status", Static).render())

        await press(app, pilot, "ctrl+e")
        editor.text = editor.text.replace("beta = 0.98", "beta = 0.9", 1)
        out = await run_demo(app, pilot, panel)
        assert "✓ beta = 0.9 averages over roughly the last 10 values" in out
        assert app.focused is editor  # typing goes on in the editor

        editor.text = editor.text + "\nclaim('a claim that is false', 1 > 2)\n"
        out = await run_demo(app, pilot, panel)
        assert "3 of 4 claims hold" in out and "✗ a claim that is false" in out

        editor.text = "beta = 0.98\nraise ValueError('broken on purpose')\n"
        out = await run_demo(app, pilot, panel)
        assert "the program failed" in out and "broken on purpose" in out

        assert not panel.query_one("#demo-intro").display
        await press(app, pilot, "ctrl+o")
        assert editor.text == panel.snippet.program and panel.query_one("#demo-intro").display

        # nothing is graded: leaving the editor, the card is answered and rated as usual
        await press(app, pilot, "escape", "space")
        assert screen.revealed
        await press(app, pilot, "3")
        with demo_store.sessions() as session:
            assert session.scalar(select(func.count()).select_from(ReviewLog)) == 1


async def test_a_missing_demonstration_is_said_not_raised(tmp_path):
    store, _ = store_from_deck(tmp_path, DEMO_DECK.replace("demo_ewa_window", "demo_no_such_thing"), "d.md")
    async with running(store, start=QueueSpec()) as (app, pilot):
        panel = app.screen.code_panel
        assert isinstance(panel, DemoPanel) and panel.snippet is None
        assert "not available" in str(panel.query_one("#code-status", Static).render())
        await press(app, pilot, "ctrl+r")  # does nothing, raises nothing
    store.close()
