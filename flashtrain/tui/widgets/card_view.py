"""Card text: Markdown with LaTeX math converted to Unicode first (Textual's Markdown drops math)."""

from __future__ import annotations

from textual.widgets import Markdown

from flashtrain.mathtext import render_math, render_plain_text


def card_markdown(text: str, plain: bool = False) -> str:
    """The Markdown to display for card text; `plain`: imported from plain text (keep its lines)."""
    return render_plain_text(text) if plain else render_math(text)


class CardMarkdown(Markdown):
    """A Markdown view that accepts card Markdown as written in a deck (with $math$)."""

    def __init__(self, markdown: str = "", plain: bool = False, **kwargs) -> None:
        super().__init__(card_markdown(markdown, plain), **kwargs)
        self.card_source = markdown

    def show(self, markdown: str, plain: bool = False):
        """Replace the text; returns an awaitable that completes once the blocks are mounted."""
        self.card_source = markdown
        return self.update(card_markdown(markdown, plain))
