"""Card text on screen.

`CardView` is what the study screen and the card views use: one Static updated in place with a
`PreparedCard` (flashtrain.tui.card_render), which the fetch-ahead thread usually has ready. It
shows images and math. `CardMarkdown` (Textual's Markdown widget) stays for longer documents that
are not on the rating path (check results, a snippet's reference).
"""

from __future__ import annotations

from rich.console import Group
from rich.rule import Rule
from rich.text import Text
from textual.widgets import Markdown, Static

from flashtrain.tui.card_render import ImageLoader, PreparedCard, build_card, card_markdown


class CardView(Static):
    """A card: Markdown with $math$ and images, drawn from `PreparedCard`s. The study screen shows
    the question, the hints given and, once revealed, a rule and the answer, all in this widget."""

    COMPONENT_CLASSES = {"card-view--rule", "card-view--hints"}
    DEFAULT_CSS = """
    CardView {
        height: auto;
        width: 1fr;
    }
    CardView > .card-view--rule {
        color: $primary;
    }
    CardView > .card-view--hints {
        color: $warning;
    }
    """

    def __init__(self, markdown: str = "", plain: bool = False, load: ImageLoader | None = None, **kwargs) -> None:
        self.prepared = build_card(markdown, plain, load)
        self.back: PreparedCard | None = None
        self.hints: list[Text] = []
        super().__init__(self.prepared, **kwargs)
        self.card_source = markdown

    @property
    def layout_width(self) -> int:
        """The width a card is laid out for ahead of time (0 before the first layout)."""
        return self.content_region.width

    def show(self, markdown: str, plain: bool = False, load: ImageLoader | None = None) -> None:
        """Build and show `markdown` now (on the UI thread: for a card nobody fetched ahead)."""
        self.show_card(build_card(markdown, plain, load, self.layout_width or None))

    def show_card(self, front: PreparedCard, hints: list[Text] = (), back: PreparedCard | None = None) -> None:
        """The question, the hints given, and (revealed) the answer below a rule."""
        self.prepared, self.back, self.hints = front, back, list(hints)
        self.card_source = front.source
        if back is None and not hints:
            self.update(front)
            return
        parts: list = [front]
        if hints:
            hint_style = self.get_component_rich_style("card-view--hints")
            given = Text("\n").join(hints)
            given.stylize(hint_style)
            parts += [given, Text("")]
        if back is not None:
            parts += [Rule(style=self.get_component_rich_style("card-view--rule")), back]
        self.update(Group(*parts))

    @property
    def back_shown(self) -> bool:
        return self.back is not None

    def render_lines(self, crop):
        lines = super().render_lines(crop)
        send_images(self)  # images drawn in these lines reach the terminal before the frame does
        return lines


def send_images(widget) -> None:
    """Write the kitty-protocol images waiting to be sent (see flashtrain.tui.graphics) to the
    terminal, ahead of the frame being built. Textual has no public way to write to the terminal;
    its driver writes in order, so they arrive before the placeholders that name them."""
    from flashtrain.tui.graphics import uploads

    driver = getattr(widget.app, "_driver", None)
    if driver is not None:
        uploads.flush(driver.write)


class CardMarkdown(Markdown):
    """A Markdown view that accepts card Markdown as written in a deck (with $math$)."""

    def __init__(self, markdown: str = "", plain: bool = False, **kwargs) -> None:
        super().__init__(card_markdown(markdown, plain), **kwargs)
        self.card_source = markdown

    def show(self, markdown: str, plain: bool = False):
        """Replace the text; returns an awaitable that completes once the blocks are mounted."""
        self.card_source = markdown
        return self.update(card_markdown(markdown, plain))
