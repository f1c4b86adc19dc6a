"""The study screen's card: a pane of fixed size that scrolls its own lines.

A card shown in a widget of automatic height inside a scrolling container changes that container's
size with every card, and any size change makes Textual lay out the whole screen again and repaint
every widget on it: on the rating path that was most of the time from a rating key to the next
card on the terminal. This pane keeps its size (the study body's free height) whatever the card,
so showing the next card, revealing the answer or giving a hint repaints this one widget only.
It draws its lines itself (Textual's line API), scrolls them (up/down, page keys, the mouse wheel)
and marks in its last column where the view is when the card is longer than the pane.

Beside a code panel the pane takes the height of its text (up to a share of the screen, by the
stylesheet): a new card there lays the screen out again, as mounting the panel does anyway.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.strip import Strip

from flashtrain.tui.widgets.card_view import CardView

SCROLL_COLUMN = 1  # the last column: where the view is in a card longer than the pane


class CardPane(CardView):
    """A `CardView` (same `show_card` API and content) that never changes its own size."""

    DEFAULT_CSS = """
    CardPane {
        height: 1fr;
        width: 1fr;
    }
    CardPane > .card-pane--thumb {
        color: $primary 60%;
    }
    """
    COMPONENT_CLASSES = CardView.COMPONENT_CLASSES | {"card-pane--thumb"}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.top = 0  # the first line in view
        self._strips: tuple[int, list[Strip]] | None = None  # (width, lines) of the content shown
        self._frame_memo: tuple | None = None  # see _frame

    # -- content ----------------------------------------------------------------------------------
    @property
    def layout_width(self) -> int:
        """The width cards are laid out for: the pane less its scroll column."""
        return max(0, self.content_region.width - SCROLL_COLUMN)

    def update(self, content="", *, layout: bool = False) -> None:
        """Show `content` from its first line. No layout unless the pane's height follows its text."""
        self._strips = self._frame_memo = None
        self.top = 0
        super().update(content, layout=layout or self.height_follows_text)

    @property
    def height_follows_text(self) -> bool:
        height = self.styles.height
        return height is not None and height.is_auto

    def lines(self, width: int | None = None) -> list[Strip]:
        """The content laid out for `width` columns (the pane's, by default), rendered once."""
        width = self.layout_width if width is None else width
        if width <= 0:
            return []
        if self._strips is None or self._strips[0] != width:
            console = self.app.console
            options = console.options.update(width=width, max_width=width, height=None, highlight=False)
            rendered = console.render_lines(self.content, options, pad=False, new_lines=False)
            self._strips = (width, [Strip(line) for line in rendered])
        return self._strips[1]

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.lines(max(0, width - SCROLL_COLUMN)))

    # -- drawing ----------------------------------------------------------------------------------
    def _frame(self) -> tuple[int, int, list[Strip], Style, Style]:
        """(text width, height, lines, base style, thumb style) for drawing: worked out once per
        card, size and theme (a widget's rich style walks its ancestors; a line is drawn often)."""
        size = self.size
        if self._frame_memo is None or self._frame_memo[0] != size:
            region = self.content_region
            text_width = max(0, region.width - SCROLL_COLUMN)
            base = self.rich_style
            lines = self.lines(text_width)
            self.top = min(self.top, max(0, len(lines) - region.height))  # a taller pane shows more
            self._frame_memo = (size, (text_width, region.height, lines, base,
                                       base + self.get_component_rich_style("card-pane--thumb")))
        return self._frame_memo[1]

    def render_line(self, y: int) -> Strip:
        text_width, height, lines, base, thumb = self._frame()
        index = self.top + y
        line = lines[index] if 0 <= index < len(lines) else Strip.blank(0)
        line = line.crop_extend(0, text_width, None).apply_style(base)
        mark = self.scroll_mark(y, len(lines), height)
        return Strip([*line, Segment(mark, thumb if mark != " " else base)], text_width + SCROLL_COLUMN)

    def notify_style_update(self) -> None:
        self._frame_memo = None
        super().notify_style_update()

    def scroll_mark(self, y: int, total: int, height: int) -> str:
        """The scroll column's character on row `y`: a thumb where the view is, when it scrolls."""
        if total <= height or height <= 0:
            return " "
        thumb = max(1, height * height // total)
        start = round(self.top * (height - thumb) / max(1, total - height))
        return "┃" if start <= y < start + thumb else "│"

    # -- scrolling --------------------------------------------------------------------------------
    @property
    def max_top(self) -> int:
        return max(0, len(self.lines()) - self.content_region.height)

    def scroll_lines(self, delta: int) -> None:
        top = min(max(0, self.top + delta), self.max_top)
        if top != self.top:
            self.top = top
            self.refresh()

    def scroll_page(self, pages: int) -> None:
        self.scroll_lines(pages * max(1, self.content_region.height - 1))

    def scroll_to_line(self, line: int) -> None:
        self.scroll_lines(line - self.top)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.scroll_lines(3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.scroll_lines(-3)

    def on_resize(self) -> None:
        top = min(self.top, self.max_top)
        if top != self.top:
            self.top = top
            self.refresh()

    def visible_text(self) -> str:
        """The lines in view, as plain text (tests read what a learner sees)."""
        lines = self.lines()[self.top:self.top + self.content_region.height]
        return "\n".join(line.text.rstrip() for line in lines)

