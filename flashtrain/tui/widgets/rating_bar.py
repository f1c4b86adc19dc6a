"""The five rating choices, each with its label and when the card comes back."""

from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from flashtrain.scheduler.core import RATING_LABELS
from flashtrain.tui.format import short_interval


class RatingBar(Horizontal):
    """Shows `1 Not at all · 10m` … `5 Perfectly · 2mo`; highlights a suggested rating."""

    def compose(self) -> ComposeResult:
        for rating, label in RATING_LABELS.items():
            yield Static(f"[b]{rating}[/b] {label}", id=f"rating-{rating}", classes="rating")

    def show_preview(self, preview: dict[int, timedelta] | None, suggested: int | None = None) -> None:
        """`preview` None: a drill (cram), where ratings reschedule nothing, so no intervals show."""
        for rating, label in RATING_LABELS.items():
            cell = self.query_one(f"#rating-{rating}", Static)
            when = preview.get(rating) if preview is not None else None
            when_text = f"\n{short_interval(when)}" if when is not None else "\n"
            cell.update(f"[b]{rating}[/b] {label}{when_text}")
            cell.set_class(rating == suggested, "suggested")
