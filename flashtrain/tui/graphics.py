"""Pictures in the terminal's own graphics: the kitty graphics protocol, with Unicode placeholders.

A card's image is drawn in half blocks (two pixels a cell, card_render.CardImage) unless the
terminal is known to speak the kitty graphics protocol. Then the picture is sent to the terminal
once (PNG, base64, in chunks of 4 KiB) as a *virtual placement* of C columns by R rows, and the
card's text holds C x R placeholder characters (U+10EEEE, with combining marks that number the
row and column, in a colour that names the image). The terminal draws the picture where the
placeholders are. To Textual they are ordinary one-cell characters: the picture scrolls, is
clipped and is repainted with the text, with no query and no position to keep in step.

Sixel is not drawn (half blocks instead). A sixel picture is pixels written at the cursor: Textual
wipes it out whenever it repaints those cells (a reveal, a hint, a scroll), so it must be written
again inside every frame that touches its rows (as control segments with absolute cursor moves,
the image rows left empty so Textual writes nothing there), scaled and cropped in pixels, which
needs the cell size in pixels (TIOCGWINSZ, 0 on many terminals) and support detected by a DA1
query answered before Textual takes stdin (keys typed meanwhile must be kept). Not done yet.

The protocol is chosen from the environment only (no question is written to the terminal, so a
terminal that does not answer cannot hang the start): kitty (KITTY_WINDOW_ID, TERM=xterm-kitty)
and Ghostty (TERM_PROGRAM=ghostty, TERM=xterm-ghostty) support placeholders; inside tmux or GNU
screen (which do not pass the protocol on by default) half blocks are used. FLASHTRAIN_IMAGES=
kitty or halfblocks overrides the choice.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import os
import random
import threading
from collections.abc import Callable, Mapping

KITTY = "kitty"
HALF_BLOCKS = "halfblocks"
PLACEHOLDER = "\U0010EEEE"
CHUNK = 4096  # base64 bytes per escape sequence (the protocol's limit)
MAX_REMEMBERED = 256  # placements remembered as sent
MAX_UPLOAD_PIXELS = 1024  # a picture is sent at most this wide or high: the terminal scales it to its cells

# Combining marks that number a placeholder's row and column (index = number), from the kitty
# documentation's rowcolumn-diacritics table (Unicode 6.0 marks of class 230), as ranges.
_DIACRITIC_RANGES = (
    "0305 030D-030E 0310 0312 033D-033F 0346 034A-034C 0350-0352 0357 035B 0363-036F 0483-0487 "
    "0592-0595 0597-0599 059C-05A1 05A8-05A9 05AB-05AC 05AF 05C4 0610-0617 0657-065B 065D-065E "
    "06D6-06DC 06DF-06E2 06E4 06E7-06E8 06EB-06EC 0730 0732-0733 0735-0736 073A 073D 073F-0741 "
    "0743 0745 0747 0749-074A 07EB-07F1 07F3 0816-0819 081B-0823 0825-0827 0829-082D 0951 "
    "0953-0954 0F82-0F83 0F86-0F87 135D-135F 17DD 193A 1A17 1A75-1A7C 1B6B 1B6D-1B73 1CD0-1CD2 "
    "1CDA-1CDB 1CE0 1DC0-1DC1 1DC3-1DC9 1DCB-1DCC 1DD1-1DE6 1DFE 20D0-20D1 20D4-20D7 20DB-20DC "
    "20E1 20E7 20E9 20F0 2CEF-2CF1 2DE0-2DFF A66F A67C-A67D A6F0-A6F1 A8E0-A8F1 AAB0 AAB2-AAB3 "
    "AAB7-AAB8 AABE-AABF AAC1 FE20-FE26 10A0F 10A38 1D185-1D189 1D1AA-1D1AD 1D242-1D244")


def _diacritics() -> tuple[str, ...]:
    marks = []
    for part in _DIACRITIC_RANGES.split():
        first, _, last = part.partition("-")
        marks.extend(chr(c) for c in range(int(first, 16), int(last or first, 16) + 1))
    return tuple(marks)


DIACRITICS = _diacritics()  # 297: rows and columns 0..296 can be numbered


# -- which protocol --------------------------------------------------------------------------------
def choose_protocol(env: Mapping[str, str] | None = None) -> str:
    """KITTY or HALF_BLOCKS for the terminal described by `env` (os.environ by default)."""
    env = os.environ if env is None else env
    forced = env.get("FLASHTRAIN_IMAGES", "").strip().lower()
    if forced in (KITTY, HALF_BLOCKS):
        return forced
    term = env.get("TERM", "")
    if env.get("TMUX") or env.get("STY") or term.startswith(("screen", "tmux")):
        return HALF_BLOCKS  # a multiplexer passes no graphics on unless configured to
    if env.get("KITTY_WINDOW_ID") or term == "xterm-kitty":
        return KITTY
    if env.get("TERM_PROGRAM", "").lower() == "ghostty" or term == "xterm-ghostty":
        return KITTY
    return HALF_BLOCKS


_protocol = HALF_BLOCKS


def protocol() -> str:
    """The protocol cards draw their images with (set by the app once it knows its terminal)."""
    return _protocol


def use_protocol(name: str) -> None:
    global _protocol
    if name not in (KITTY, HALF_BLOCKS):
        raise ValueError(f"unknown image protocol {name!r}")
    _protocol = name


# -- the kitty graphics protocol -------------------------------------------------------------------
def kitty_upload(png: bytes, image_id: int, columns: int, rows: int) -> str:
    """Escape sequences that send `png` as image `image_id` with a virtual placement of `columns` x
    `rows` cells (drawn where placeholders name it); quiet (q=2): the terminal answers nothing."""
    data = base64.standard_b64encode(png).decode("ascii")
    chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)] or [""]
    parts = []
    for n, chunk in enumerate(chunks):
        more = 1 if n < len(chunks) - 1 else 0
        keys = f"a=T,f=100,t=d,U=1,q=2,i={image_id},c={columns},r={rows},m={more}" if n == 0 else f"m={more}"
        parts.append(f"\x1b_G{keys};{chunk}\x1b\\")
    return "".join(parts)


def placeholder_row(row: int, columns: int) -> str:
    """One row of an image's placeholders: each cell names its row and column."""
    mark = DIACRITICS[row]
    return "".join(PLACEHOLDER + mark + DIACRITICS[column] for column in range(columns))


def id_colour(image_id: int) -> tuple[int, int, int]:
    """The placeholders' foreground colour: the image id in 24 bits."""
    return (image_id >> 16) & 0xFF, (image_id >> 8) & 0xFF, image_id & 0xFF


def png_for_upload(picture) -> bytes:
    """A PIL image as PNG, no larger than MAX_UPLOAD_PIXELS on a side."""
    width, height = picture.size
    scale = min(1.0, MAX_UPLOAD_PIXELS / max(width, height))
    if scale < 1.0:
        from PIL import Image

        picture = picture.resize((max(1, round(width * scale)), max(1, round(height * scale))),
                                 Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


class KittyUploads:
    """Images to send before the placeholders that name them are painted.

    Cards are laid out in the fetch-ahead thread; the uploads wait here until the widget that
    draws them (on the UI thread) writes them to the terminal, ahead of the frame."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._sent: dict[tuple, int] = {}  # (picture digest, size, columns, rows) -> image id
        # ids of ours: 24 bits, away from 0 and from the small ids other programs pick first
        self._ids = itertools.count(random.randint(0x100000, 0xE00000))

    def new(self, picture, columns: int, rows: int) -> int:
        """The id of `picture` placed in `columns` x `rows` cells: sent once (a card built again, say
        by the fetch-ahead, names the picture the terminal already has)."""
        key = (hashlib.sha1(picture.tobytes()).hexdigest(), picture.size, columns, rows)
        with self._lock:
            known = self._sent.get(key)
        if known is not None:
            return known
        image_id = next(self._ids) & 0xFFFFFF
        sequence = kitty_upload(png_for_upload(picture), image_id, columns, rows)
        with self._lock:
            if len(self._sent) >= MAX_REMEMBERED:
                self._sent.clear()  # sent again when drawn again: the terminal may have dropped old ones
            self._sent[key] = image_id
            self._pending.append(sequence)
        return image_id

    def flush(self, write: Callable[[str], object]) -> int:
        """Write what is waiting (in order); returns how many images were sent."""
        with self._lock:
            pending, self._pending = self._pending, []
        for sequence in pending:
            write(sequence)
        return len(pending)


uploads = KittyUploads()
