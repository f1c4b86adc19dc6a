"""A card's text as one Rich renderable, built off the UI thread and drawn by one widget in place.

Textual's `Markdown` widget parses the text and mounts one widget per block after every update, so
a new card reached the terminal only a frame or two after its rating. Here a card is parsed, its
math converted, its images decoded (and, when the pane width is known, laid out into lines) by
`build_card`, which the study screen calls in its fetch-ahead thread for the next card; showing it
is then a single `Static.update`.

Images: `![alt](file)` in a card's Markdown. The file is looked up next to the deck file the card
came from, then among the media an Anki package brought (`load_image`). An image is drawn with
half-block characters (two pixels a cell, 24-bit colour: works in any terminal, tmux included), or,
in a terminal that speaks the kitty graphics protocol, as the picture itself behind placeholder
characters (flashtrain.tui.graphics); either way scaled to the pane's width and to at most
IMAGE_MAX_ROWS rows. A file that is missing or unreadable shows its alt text instead. No terminal
query is needed, so start-up pays nothing for images.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Callable

from markdown_it import MarkdownIt
from rich.color import Color
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markdown import Markdown
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from flashtrain.mathtext import render_math, render_plain_text

IMAGE_MAX_ROWS = 16  # an image never pushes the whole answer off an 80x24 screen
CELL_PIXELS = 10  # an image is never drawn larger than about its own size (a cell is ~10 px wide)
ImageLoader = Callable[[str], bytes | None]  # the file a card names -> its bytes (None: not found)

_parser = MarkdownIt("commonmark").enable("table").enable("strikethrough")
_IMAGE = re.compile(r"!\[((?:[^\]\\]|\\.)*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def card_markdown(text: str, plain: bool = False) -> str:
    """The Markdown to display for card text; `plain`: imported from plain text (keep its lines)."""
    return render_plain_text(text) if plain else render_math(text)


@dataclass
class CardImage:
    """One image of a card, decoded; drawn in half blocks at the width it is given."""

    alt: str
    source: str
    picture: object | None = None  # a PIL image (RGB), None when the file is missing or unreadable
    problem: str = ""
    _lines: dict[tuple[int, int], list[list[Segment]]] = field(default_factory=dict)

    def size_for(self, max_width: int, max_rows: int = IMAGE_MAX_ROWS) -> tuple[int, int]:
        """(columns, rows): fits the width and the row limit, keeps the aspect ratio (a cell is
        one pixel wide and two high), and is not blown up past about the picture's own size."""
        width, height = self.picture.size
        scale = min(max_width / width, 2 * max_rows / height, 1 / CELL_PIXELS)
        columns = max(1, min(max_width, round(width * scale)))
        rows = max(1, round(height * scale / 2))
        return columns, rows

    def lines(self, max_width: int, max_rows: int = IMAGE_MAX_ROWS) -> list[list[Segment]]:
        from flashtrain.tui import graphics

        kitty = graphics.protocol() == graphics.KITTY
        key = (max_width, max_rows, kitty)
        if key not in self._lines and kitty:
            columns, rows = self.size_for(min(max_width, len(graphics.DIACRITICS)), max_rows)
            image_id = graphics.uploads.new(self.picture, columns, rows)  # sent before the frame that shows it
            style = Style(color=Color.from_rgb(*graphics.id_colour(image_id)))
            self._lines = {key: [[Segment(graphics.placeholder_row(row, columns), style)] for row in range(rows)]}
        if key not in self._lines:
            from PIL import Image

            columns, rows = self.size_for(max_width, max_rows)
            pixels = self.picture.resize((columns, rows * 2), Image.Resampling.LANCZOS).load()
            drawn = []
            for row in range(rows):
                line = []
                for column in range(columns):
                    top, bottom = pixels[column, 2 * row], pixels[column, 2 * row + 1]
                    line.append(Segment("▀", Style.from_color(_color(top), _color(bottom))))
                drawn.append(line)
            self._lines = {key: drawn}  # one width at a time: a resized pane draws it again
        return self._lines[key]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.picture is None:
            yield Text.assemble(("▣ ", "dim"), (self.alt or self.source, "italic"),
                                (f"  ({self.problem})" if self.problem else "", "dim"))
            return
        for line in self.lines(options.max_width):
            yield from line
            yield Segment.line()


def _color(rgb):
    return Color.from_rgb(*rgb[:3])


def decode_image(alt: str, source: str, load: ImageLoader | None) -> CardImage:
    if "://" in source:
        return CardImage(alt, source, problem="not a local file")
    data = load(source) if load is not None else None
    if data is None:
        return CardImage(alt, source, problem=f"{source} not found")
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            picture = opened.convert("RGBA")
        background = Image.new("RGBA", picture.size, (0, 0, 0, 255))
        return CardImage(alt, source, Image.alpha_composite(background, picture).convert("RGB"))
    except Exception as error:  # a broken or unsupported file: the alt text, and why
        return CardImage(alt, source, problem=f"{source} cannot be shown: {type(error).__name__}")


def _split_images(markdown: str, load: ImageLoader | None) -> list[str | CardImage]:
    """The card's Markdown in pieces: text, then the images of a top-level block after that block's
    text (a terminal cannot put a picture inside a line). Blocks and images are found by the
    Markdown parser, so `![x](y)` inside a code span or fence stays text."""
    tokens = _parser.parse(markdown)
    lines = markdown.split("\n")
    pieces: list[str | CardImage] = []
    taken = 0  # lines already in `pieces`
    i = 0
    while i < len(tokens):
        start, end = i, i
        if tokens[i].nesting == 1:  # a block with content: up to its closing token
            while not (tokens[end].level == 0 and tokens[end].nesting == -1):
                end += 1
        i = end + 1
        images = [(child.content, str(child.attrs.get("src", ""))) for token in tokens[start:end + 1]
                  if token.type == "inline" for child in _images(token)]
        if not images or tokens[start].map is None:
            continue
        first, last = tokens[start].map
        if first > taken:
            pieces.append("\n".join(lines[taken:first]))
        rest = _IMAGE.sub("", "\n".join(lines[first:last])).strip()
        if rest:
            pieces.append(rest)
        pieces.extend(decode_image(alt, src, load) for alt, src in images)
        taken = last
    if taken < len(lines):
        pieces.append("\n".join(lines[taken:]))
    return [p for p in pieces if not isinstance(p, str) or p.strip()]


def _images(token) -> list:
    found = []
    for child in token.children or ():
        if child.type == "image":
            found.append(child)
        found.extend(_images(child))
    return found


class PreparedCard:
    """A card side ready to draw: its pieces, and lines already laid out for one width."""

    def __init__(self, source: str, pieces: list[RenderableType]) -> None:
        self.source = source
        self.group = Group(*pieces)
        self.laid_out_for: int | None = None  # the width `_lines` are for
        self._lines: list[list[Segment]] = []

    def lay_out(self, width: int) -> None:
        """Lay the card out for `width` columns now (in the fetch-ahead thread), so that drawing it
        is a copy of ready lines. A separate Console: the app's is for the UI thread."""
        console = Console(width=width, color_system="truecolor", force_terminal=True, legacy_windows=False,
                          file=io.StringIO())
        self._lines = console.render_lines(self.group, console.options.update_width(width), pad=False)
        self.laid_out_for = width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width == self.laid_out_for:
            new_line = Segment.line()
            for line in self._lines:
                yield from line
                yield new_line
        else:
            yield self.group


def build_card(text: str, plain: bool = False, load: ImageLoader | None = None,
               width: int | None = None) -> PreparedCard:
    """Parse `text` (card Markdown with $math$ and images) into a `PreparedCard`; lay it out for
    `width` columns when given. Safe in a worker thread: it touches no widget."""
    markdown = card_markdown(text, plain)
    pieces: list[RenderableType] = []
    parts = _split_images(markdown, load) if "![" in markdown else [markdown]
    for part in parts:
        pieces.append(Markdown(part, code_theme="monokai", hyperlinks=False) if isinstance(part, str) else part)
    prepared = PreparedCard(text, pieces)
    if width:
        prepared.lay_out(width)
    return prepared
