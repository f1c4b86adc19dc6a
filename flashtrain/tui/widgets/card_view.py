"""Card text: Markdown with LaTeX math converted to Unicode first (Textual's Markdown drops math)."""

from __future__ import annotations

from textual.widgets import Markdown

from flashtrain.mathtext import render_math


class CardMarkdown(Markdown):
    """A Markdown view that accepts card Markdown as written in a deck (with $math$)."""

    def __init__(self, markdown: str = "", **kwargs) -> None:
        super().__init__(render_math(markdown), **kwargs)
        self.card_source = markdown

    def show(self, markdown: str):
        """Replace the text; returns an awaitable that completes once the blocks are mounted."""
        self.card_source = markdown
        return self.update(render_math(markdown))
