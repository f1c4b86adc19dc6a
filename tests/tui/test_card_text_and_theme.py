"""Issue 10 §1: plain-text imports keep their lines and numbering; the theme survives a restart and
the command palette lists each command once."""

from __future__ import annotations

import html
import re

from tui_fixtures import make_app, press, running, settle

from flashtrain.mathtext import render_plain_text
from flashtrain.store.engine import open_store
from flashtrain.services.imports import import_file
from flashtrain.study.queue import QueueSpec

BRAINSCAPE = """Training steps Flashcards

(1 cards)

1
Q

In which order do the training steps run?

A

1) initialise the weights
2) forward pass
3) compute the loss
5) backward pass
6) update the weights
no blank line between these lines

How well did you know this?
1
Not at all
2
3
4
5
Perfectly
"""


def screen_lines(app) -> list[str]:
    svg = app.export_screenshot()
    rows: dict[str, list[str]] = {}
    for y, text in re.findall(r'<text[^>]*?y="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        rows.setdefault(y, []).append(html.unescape(text).replace("\xa0", " "))
    return ["".join(parts) for _, parts in sorted(rows.items(), key=lambda item: float(item[0]))]


def test_plain_text_keeps_lines_and_numbers():
    out = render_plain_text("Steps:\n1) a\n2) b $x_i$\n5) c\n\nNext\n- one\n- two")
    assert out == "Steps:\\\n1\\) a\\\n2\\) b xᵢ\\\n5\\) c\n\nNext\n- one\n- two"


async def test_brainscape_card_shows_its_lines_and_numbering(tmp_path):
    path = tmp_path / "steps.txt"
    path.write_text(BRAINSCAPE, encoding="utf-8")
    store = open_store(tmp_path / "b.db")
    assert import_file(store, path).error is None
    async with running(store, start=QueueSpec(), size=(80, 24)) as (app, pilot):
        screen = app.screen
        assert screen.card.plain_text
        await press(app, pilot, "space", delay=0.2)
        lines = [line.strip() for line in screen_lines(app)]
        for expected in ("1) initialise the weights", "3) compute the loss", "5) backward pass",
                         "6) update the weights", "no blank line between these lines"):
            assert expected in lines, (expected, lines)
    store.close()


async def test_markdown_decks_are_still_markdown(tmp_path):
    path = tmp_path / "deck.md"
    path.write_text("---\nname: Md\n---\n\nQ: Order?\nA: 1. one\n2. two\n\n**bold** text\n", encoding="utf-8")
    store = open_store(tmp_path / "m.db")
    assert import_file(store, path).error is None
    async with running(store, start=QueueSpec()) as (app, pilot):
        assert not app.screen.card.plain_text
        await press(app, pilot, "space", delay=0.2)
        text = "\n".join(screen_lines(app))
        assert "**bold**" not in text and "bold text" in text
    store.close()


async def test_theme_is_remembered_after_a_restart(filled_store):
    async with running(filled_store) as (app, pilot):
        assert app.theme == "textual-dark"
        app.theme = "nord"
        await settle(app, pilot, 0.1)
    app = make_app(filled_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.theme == "nord"
    assert filled_store is not None


async def test_palette_lists_each_command_once(filled_store):
    from flashtrain.tui.commands import FlashtrainCommands

    async with running(filled_store) as (app, pilot):
        titles = [title for title, _, _ in FlashtrainCommands(app.screen).commands()]
        titles += [command.title for command in app.get_system_commands(app.screen)]
        assert "Show keys" in titles and "Keys" not in titles  # ours and Textual's help panel: one
        assert "Theme" in titles and not any("dark / light" in t for t in titles)
        assert not any(t.startswith(("Focus Next", "Focus Previous", "Copy selected")) for t in titles)
        assert "catppuccin-macchiato" not in app.available_themes and "catppuccin-mocha" in app.available_themes
