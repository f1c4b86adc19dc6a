"""Issue 10: images in the kitty graphics protocol where the terminal has it (Unicode placeholders),
half blocks elsewhere; the encoder's output decoded, the choice of protocol, the study screen."""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image
from rich.color import Color
from tui_fixtures import PICTURE_DECK, press, running, store_from_deck

from flashtrain.tui import graphics
from flashtrain.tui.graphics import DIACRITICS, HALF_BLOCKS, KITTY, PLACEHOLDER

_APC = re.compile(r"\x1b_G([^;]*);([^\x1b]*)\x1b\\")


def decode_uploads(text: str) -> list[tuple[dict, bytes]]:
    """The images in `text` (kitty APC sequences): (the first chunk's keys, the joined payload)."""
    images, keys, payload = [], None, ""
    for control, chunk in _APC.findall(text):
        fields = dict(part.split("=", 1) for part in control.split(","))
        assert len(chunk) <= 4096  # the protocol's limit for one chunk
        if keys is None:
            keys, payload = fields, ""
        else:
            assert set(fields) == {"m"}  # later chunks carry only the "more" flag
        payload += chunk
        if fields["m"] == "0":
            images.append((keys, base64.standard_b64decode(payload)))
            keys = None
    assert keys is None, "an image was left unfinished (m=1 on its last chunk)"
    return images


def test_an_upload_decodes_to_the_picture_with_its_placement():
    picture = Image.effect_noise((300, 200), 60).convert("RGB")  # noise: a PNG of several chunks
    sequence = graphics.kitty_upload(graphics.png_for_upload(picture), 0x123456, 30, 10)
    assert sequence.count("\x1b_G") > 2
    [(keys, png)] = decode_uploads(sequence)
    assert keys == {"a": "T", "f": "100", "t": "d", "U": "1", "q": "2", "i": str(0x123456), "c": "30", "r": "10",
                    "m": "1"}
    decoded = Image.open(io.BytesIO(png))
    assert decoded.format == "PNG" and decoded.size == (300, 200)
    assert decoded.convert("RGB").tobytes() == picture.tobytes()  # lossless


def test_a_large_picture_is_sent_scaled_down_and_a_tiny_one_in_one_chunk():
    big = graphics.png_for_upload(Image.new("RGB", (4000, 1000), (1, 2, 3)))
    assert Image.open(io.BytesIO(big)).size == (1024, 256)
    [(keys, png)] = decode_uploads(graphics.kitty_upload(graphics.png_for_upload(Image.new("RGB", (4, 4))), 7, 1, 1))
    assert keys["m"] == "0" and Image.open(io.BytesIO(png)).size == (4, 4)


def test_placeholders_number_their_row_and_column_and_the_colour_names_the_image():
    row = graphics.placeholder_row(3, 120)
    cells = [row[i:i + 3] for i in range(0, len(row), 3)]
    assert len(cells) == 120 and all(cell[0] == PLACEHOLDER for cell in cells)
    assert [DIACRITICS.index(cell[1]) for cell in cells] == [3] * 120
    assert [DIACRITICS.index(cell[2]) for cell in cells] == list(range(120))
    assert len(DIACRITICS) == 297 and len(set(DIACRITICS)) == 297
    assert graphics.id_colour(0x123456) == (0x12, 0x34, 0x56)


@pytest.mark.parametrize(("env", "expected"), [
    ({"TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"}, KITTY),
    ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "3"}, KITTY),
    ({"TERM": "xterm-ghostty", "TERM_PROGRAM": "ghostty"}, KITTY),
    ({"TERM": "xterm-256color"}, HALF_BLOCKS),
    ({"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}, HALF_BLOCKS),
    ({"TERM": "tmux-256color", "KITTY_WINDOW_ID": "1", "TMUX": "/tmp/tmux-0/default,1,0"}, HALF_BLOCKS),
    ({"TERM": "screen", "KITTY_WINDOW_ID": "1"}, HALF_BLOCKS),
    ({"TERM": "xterm-256color", "FLASHTRAIN_IMAGES": "kitty"}, KITTY),
    ({"TERM": "xterm-kitty", "FLASHTRAIN_IMAGES": "halfblocks"}, HALF_BLOCKS),
    ({}, HALF_BLOCKS),
])
def test_the_protocol_is_chosen_from_the_environment_and_falls_back_to_half_blocks(env, expected):
    assert graphics.choose_protocol(env) == expected




@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_in_a_kitty_terminal_the_study_screen_sends_the_picture_and_draws_placeholders(tmp_path, monkeypatch, size):
    from flashtrain.tui.widgets.card_pane import CardPane

    (tmp_path / "img").mkdir()
    Image.new("RGB", (600, 300), (200, 40, 40)).save(tmp_path / "img" / "plot.png")
    store, _ = store_from_deck(tmp_path, PICTURE_DECK)
    monkeypatch.setattr(graphics, "_protocol", KITTY)
    monkeypatch.setattr(graphics, "uploads", graphics.KittyUploads())
    async with running(store, size=size) as (app, pilot):
        written: list[str] = []
        monkeypatch.setattr(app._driver, "write", written.append)
        await press(app, pilot, "s")
        screen = app.screen
        pane = screen.query_one("#card", CardPane)
        lines = pane.lines()
        placeholder_rows = [line for line in lines if PLACEHOLDER in line.text]
        assert placeholder_rows and len(placeholder_rows) <= 16
        [(keys, png)] = decode_uploads("".join(written))
        image_id = int(keys["i"])
        assert (int(keys["c"]), int(keys["r"])) == (placeholder_rows[0].cell_length, len(placeholder_rows))
        assert int(keys["c"]) <= pane.layout_width
        assert Image.open(io.BytesIO(png)).size == (600, 300)
        colours = {seg.style.color for line in placeholder_rows for seg in line if PLACEHOLDER in seg.text}
        assert colours == {Color.from_rgb(*graphics.id_colour(image_id))}
        assert "What does the plot show?" in pane.visible_text() and "▀" not in pane.visible_text()
        await press(app, pilot, "space", "3")  # the next card's picture is missing: its alt text, nothing sent
        assert graphics.uploads.new(Image.open(tmp_path / "img" / "plot.png").convert("RGB"),
                                    int(keys["c"]), int(keys["r"])) == image_id  # a picture is sent once
        written.clear()
        await press(app, pilot, "space")
        text = pane.visible_text()
        assert "the LeNet-5 diagram" in text and "img/lenet.png not found" in text and PLACEHOLDER not in text
        assert decode_uploads("".join(written)) == []
    store.close()


async def test_the_app_keeps_half_blocks_when_it_has_no_terminal(tmp_path):
    store, _ = store_from_deck(tmp_path, PICTURE_DECK)
    async with running(store) as (app, pilot):
        assert graphics.protocol() == HALF_BLOCKS  # headless (and the default): no protocol chosen
    store.close()
