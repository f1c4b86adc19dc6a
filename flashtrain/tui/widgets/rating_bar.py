"""The five rating choices, each with its label and when the card comes back; before the answer
shows, the keys that act on the question.

One widget drawing five cells (not five widgets), and the same widget, of the same size, for the
question's keys: swapping them repaints this widget only, where hiding one widget and showing
another made Textual lay out the whole screen again on every reveal and every rating.
"""

from __future__ import annotations

from datetime import timedelta

from rich.align import Align
from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from flashtrain.scheduler.core import RATING_LABELS
from flashtrain.timetext import preview_texts


class RatingBar(Widget):
    """Shows `1 Not at all · 10m` … `5 Perfectly · 2mo` (highlighting a suggested rating), or, while
    the question shows, a line of keys (`show_hint`)."""

    COMPONENT_CLASSES = {"rating-bar--cell", "rating-bar--suggested", "rating-bar--hint"}
    DEFAULT_CSS = """
    RatingBar {
        height: 3;
    }
    RatingBar > .rating-bar--cell {
        background: $panel;
        color: $text;
    }
    RatingBar > .rating-bar--suggested {
        background: $primary;
        color: $text;
        text-style: bold;
    }
    RatingBar > .rating-bar--hint {
        color: $text-muted;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.whens: dict[int, str] = {}  # when each rating brings the card back (preview_texts), per card
        self.suggested: int | None = None
        self.hint: str | None = ""  # markup shown instead of the ratings; None: the ratings show

    @property
    def ratings_shown(self) -> bool:
        return self.hint is None

    def show_preview(self, preview: dict[int, timedelta] | None, suggested: int | None = None) -> None:
        """`preview` None: a drill (cram), where ratings reschedule nothing, so no intervals show."""
        self.suggested, self.hint = suggested, None
        self.whens = preview_texts(preview, short=True) if preview is not None else {}
        self.refresh()

    def show_hint(self, markup: str) -> None:
        """The keys for the question side (Rich markup), in place of the ratings."""
        if markup != self.hint:
            self.hint = markup
            self.refresh()

    def cell_text(self, rating: int) -> str:
        """What the cell of `rating` says: its label and, outside a drill, when the card comes back."""
        when = self.whens.get(rating)
        return f"{rating} {RATING_LABELS[rating]}" + (f"\n{when}" if when is not None else "")

    def render(self):
        if self.hint is not None:
            text = Text.from_markup(self.hint, justify="center", style=self.get_component_rich_style("rating-bar--hint"))
            return Align.center(text, vertical="middle")
        plain = self.get_component_rich_style("rating-bar--cell")
        chosen = self.get_component_rich_style("rating-bar--suggested")
        grid = Table.grid(expand=True)
        row: list[Text] = []
        for rating, label in RATING_LABELS.items():
            if row:  # a one-column gap between the cells
                grid.add_column(width=1)
                row.append(Text(""))
            grid.add_column(ratio=1, style=chosen if rating == self.suggested else plain)
            text = Text(justify="center", no_wrap=True, overflow="ellipsis")
            text.append(f"\n{rating}", style="bold")
            text.append(f" {label}\n{self.whens.get(rating, '')}")
            row.append(text)
        grid.add_row(*row)
        return grid
