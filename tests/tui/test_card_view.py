"""Issue 10 §3-§4: the card drawn by one widget updated in place (built in the fetch-ahead thread),
images in cards (half blocks, scaled to the pane, alt text when missing), a footer that does not
rebuild its keys for every card."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image
from tui_fixtures import PICTURE_DECK, add_card, press, running, store_from_deck

from flashtrain.services.media import deck_file, image_loader
from flashtrain.store.engine import open_store
from flashtrain.store.models import Deck, MediaFile
from flashtrain.tui.card_render import CardImage, build_card
from flashtrain.tui.widgets.card_view import CardView
from flashtrain.tui.widgets.lean_footer import LeanFooter



def write_png(path, size=(300, 200), colour=(200, 40, 40)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def card_lines(view: CardView, width: int) -> list[str]:
    from rich.console import Console

    console = Console(width=width, file=None, force_terminal=True, color_system="truecolor")
    return ["".join(seg.text for seg in line) for line in console.render_lines(view.content, pad=False)]


def images_of(view: CardView) -> list[CardImage]:
    return [piece for piece in view.prepared.group.renderables if isinstance(piece, CardImage)]


# -- images ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_an_image_is_drawn_in_half_blocks_within_the_pane_and_a_missing_one_shows_its_alt(tmp_path, size):
    write_png(tmp_path / "img" / "plot.png", size=(600, 300))
    store, _ = store_from_deck(tmp_path, PICTURE_DECK)
    async with running(store, size=size) as (app, pilot):
        await press(app, pilot, "s")
        view = app.screen.query_one("#card", CardView)
        first = app.screen.card
        width = view.content_region.width
        [image] = images_of(view)
        assert image.picture is not None and image.alt == "a rising line"
        columns, rows = image.size_for(width)
        assert columns <= width and rows <= 16  # scaled to the pane, never past the row limit
        drawn = card_lines(view, width)
        blocks = [line for line in drawn if "▀" in line]
        assert len(blocks) == rows and all(line.count("▀") == columns for line in blocks)
        assert "What does the plot show?" in drawn[0]
        await press(app, pilot, "space")
        await press(app, pilot, "3")
        assert app.screen.card.card_id != first.card_id
        view = app.screen.query_one("#card", CardView)
        text = "\n".join(card_lines(view, width))
        assert "the LeNet-5 diagram" in text and "img/lenet.png not found" in text and "▀" not in text


def test_images_are_read_from_the_deck_folder_only_and_from_imported_media(tmp_path):
    deck = tmp_path / "decks" / "d.md"
    deck.parent.mkdir()
    deck.write_text("x")
    write_png(tmp_path / "decks" / "img" / "a.png")
    write_png(tmp_path / "outside.png")
    assert deck_file(str(deck), "img/a.png") is not None
    assert deck_file(str(deck), "../outside.png") is None  # a deck never reads outside its folder
    assert deck_file(str(deck), str(tmp_path / "outside.png")) is None
    store = open_store(tmp_path / "m.db")
    data = (tmp_path / "outside.png").read_bytes()
    with store.sessions.begin() as s:
        s.add(MediaFile(name="paste-1.png", sha1=hashlib.sha1(data).hexdigest(), size=len(data), data=data))
    load = image_loader(store, None)  # an Anki card has no deck file: its media come from the store
    assert load("paste-1.png") == data
    assert load("paste-2.png") is None and load("https://example.com/a.png") is None
    prepared = build_card("![](paste-1.png)\n\ntext after", load=load, width=40)
    assert isinstance(prepared.group.renderables[0], CardImage) and prepared.group.renderables[0].picture is not None
    store.close()


def test_an_unreadable_image_and_image_syntax_in_code_are_not_drawn(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a picture")
    deck = tmp_path / "d.md"
    load = image_loader(None, str(deck))
    prepared = build_card("![broken](bad.png)", load=load, width=40)
    [image] = [p for p in prepared.group.renderables if isinstance(p, CardImage)]
    assert image.picture is None and "cannot be shown" in image.problem
    code = build_card("`![x](bad.png)` is image syntax\n\n```\n![y](bad.png)\n```", load=load, width=40)
    assert not any(isinstance(p, CardImage) for p in code.group.renderables)


# -- one widget, built ahead; a footer that stays put ------------------------------------------------
def many_cards_store(tmp_path, n=14):
    store = open_store(tmp_path / "many.db")
    with store.sessions.begin() as session:
        deck = Deck(name="Many", origin="imported")
        session.add(deck)
        session.flush()
        for i in range(n):
            add_card(session, deck, f"Question number {i}: what is $\\beta_{i}$?", f"Answer **{i}**.",
                     hints=[f"hint {i}"] if i % 3 == 0 else [])
    return store


async def test_cards_after_the_first_come_from_the_fetch_ahead_and_the_footer_is_not_rebuilt(tmp_path):
    store = many_cards_store(tmp_path)
    async with running(store) as (app, pilot):
        await press(app, pilot, "s")
        screen = app.screen
        footer = screen.query_one(LeanFooter)
        view = screen.query_one("#card", CardView)
        seen, watchers = [], []
        for _ in range(10):
            watchers.append(len(getattr(footer, "__watchers", {}).get("compact", [])))
            seen.append(screen.card.card_id)
            assert view.card_source == screen.card.front  # the same widget, updated in place
            if screen.session.has_hint():
                await press(app, pilot, "h")
                assert "Hint 1:" in "\n".join(card_lines(view, 60))
            await press(app, pilot, "space")
            assert view.back_shown and "Answer" in "\n".join(card_lines(view, 60))
            await press(app, pilot, "4")
            assert screen.query_one("#card", CardView) is view
        assert len(set(seen)) == 10
        assert screen.prepared_hits >= 8  # built (parsed, laid out) in the fetch-ahead thread
        assert footer.rebuilds <= 2  # question keys, then answer keys are a subset: shown/hidden in place
        # every rebuilt key leaves a watcher on the footer (Textual drops them only when `compact`
        # changes): the count must not grow with the cards studied
        assert watchers[3] == watchers[-1], watchers
    store.close()


async def test_the_next_card_repaints_the_pane_without_laying_out_the_screen(tmp_path, monkeypatch):
    """Question, answer and the next card keep the pane's and the rating bar's places: Textual lays
    out no part of the screen again (a layout is a reflow of every widget, then a repaint of all)."""
    import flashtrain.tui.screens.study as study_screen
    from flashtrain.tui.widgets.card_pane import CardPane
    from flashtrain.tui.widgets.rating_bar import RatingBar

    monkeypatch.setattr(study_screen, "PROGRESS_IDLE_SECONDS", 3600)  # no recount: its digits could widen a cell
    store = many_cards_store(tmp_path)
    async with running(store) as (app, pilot):
        await press(app, pilot, "s")
        screen = app.screen
        await press(app, pilot, "space", "4")  # the first rating: the counts' cell takes its width
        pane, bar = screen.query_one("#card", CardPane), screen.query_one("#rating-bar", RatingBar)
        places = (pane.region, bar.region)
        layouts = []
        full_layout = screen._refresh_layout
        monkeypatch.setattr(screen, "_refresh_layout", lambda *a, **k: (layouts.append(a), full_layout(*a, **k)))
        for _ in range(5):
            card = screen.card
            await press(app, pilot, "space")
            assert bar.ratings_shown and "Answer" in pane.visible_text() and (pane.region, bar.region) == places
            await press(app, pilot, "4")
            assert screen.card.card_id != card.card_id and screen.card.front.split(":")[0] in pane.visible_text()
            assert not bar.ratings_shown and "show the answer" in bar.hint and (pane.region, bar.region) == places
        assert layouts == []
    store.close()


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_a_card_longer_than_its_pane_scrolls_with_keys_and_shows_where_it_is(tmp_path, size):
    from flashtrain.tui.widgets.card_pane import CardPane

    store = open_store(tmp_path / "long.db")
    with store.sessions.begin() as session:
        deck = Deck(name="Long", origin="imported")
        session.add(deck)
        session.flush()
        lines = "\n\n".join(f"Line {i} of a long answer." for i in range(60))
        add_card(session, deck, "A question with a long answer?", lines)
        add_card(session, deck, "A short second question?", "Short.")
    async with running(store, size=size) as (app, pilot):
        await press(app, pilot, "s")
        screen = app.screen
        pane = screen.query_one("#card", CardPane)
        await press(app, pilot, "space")
        height = pane.content_region.height
        assert pane.top == 0 and "A question with a long answer?" in pane.visible_text()
        assert "Line 59" not in pane.visible_text()
        marks = [pane.scroll_mark(y, len(pane.lines()), height) for y in range(height)]
        assert marks[0] == "┃" and "│" in marks  # the thumb at the top of its track
        await press(app, pilot, "down", "down")
        assert pane.top == 2
        await press(app, pilot, "pagedown")
        assert pane.top == 2 + height - 1
        await press(app, pilot, "end")
        assert "Line 59 of a long answer." in pane.visible_text() and pane.top == pane.max_top > 0
        assert [pane.scroll_mark(y, len(pane.lines()), height) for y in range(height)][-1] == "┃"
        await press(app, pilot, "home")
        assert pane.top == 0
        await press(app, pilot, "end", "3")  # the next card starts at its first line
        assert pane.top == 0 and "A short second question?" in pane.visible_text()
        assert all(pane.scroll_mark(y, len(pane.lines()), height) == " " for y in range(height))
    store.close()


async def test_a_scrolled_card_fills_a_taller_pane_after_a_resize(tmp_path):
    from flashtrain.tui.widgets.card_pane import CardPane

    store = open_store(tmp_path / "long.db")
    with store.sessions.begin() as session:
        deck = Deck(name="Long", origin="imported")
        session.add(deck)
        session.flush()
        add_card(session, deck, "A question with a long answer?", "\n\n".join(f"Line {i}." for i in range(30)))
    async with running(store, size=(80, 24)) as (app, pilot):
        await press(app, pilot, "s", "space", "end")
        pane = app.screen.query_one("#card", CardPane)
        assert pane.top > 0 and "Line 29." in pane.visible_text()
        await pilot.resize_terminal(160, 45)
        await press(app, pilot)
        assert pane.top == pane.max_top  # no blank rows below the last line: the pane shows more above
        assert "Line 29." in pane.visible_text() and len(pane.visible_text().splitlines()) == pane.content_region.height
        shown = app.export_screenshot()  # what the terminal was sent, not only the pane's state
        top_line = pane.visible_text().splitlines()[0].strip().replace(" ", "&#160;")
        assert top_line and top_line in shown and "Line&#160;29." in shown
    store.close()


# -- browse: which card of a note a row is; the deck column's width ------------------------------------
NOTES_DECK = """---
name: A deck with a rather long name about normalisation layers
---

Q: What does layer norm normalise over?
A: The features of each example.
reversed: yes

---

C: Batch norm keeps a running {{mean}} and a running {{variance}} for inference.

---

Q: A card of its own.
A: No siblings.
"""


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_browse_marks_reversed_pairs_and_cloze_gaps_and_widens_the_deck_column(tmp_path, size):
    from textual.widgets import DataTable

    from flashtrain.tui.screens.browse import DECK_MIN, BrowseScreen

    store, _ = store_from_deck(tmp_path, NOTES_DECK)
    async with running(store, size=size) as (app, pilot):
        await press(app, pilot, "b", delay=0.1)
        screen = app.screen
        assert isinstance(screen, BrowseScreen)
        table = screen.query_one("#cards", DataTable)
        marks = sorted((row.kind, row.question[:6], table.get_row_at(i)[1]) for i, row in enumerate(screen.rows))
        assert marks == [("basic", "A card", ""), ("basic", "What d", "→"), ("cloze", "Batch ", "c1"),
                         ("cloze", "Batch ", "c2"), ("reversed", "What d", "←")]
        width = table.columns["deck"].width
        assert width == max(DECK_MIN, screen.text_room() // 3)  # a long name: a third of the text's room
        assert (width > 30) if size[0] == 160 else (width >= DECK_MIN and screen.question_width() >= 24)
        deck_cell = str(table.get_row_at(0)[0])
        assert len(deck_cell) == width and deck_cell.endswith("…")
        assert all(len(str(table.get_row_at(i)[2])) <= screen.question_width() for i in range(len(screen.rows)))
    store.close()
