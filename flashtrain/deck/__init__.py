"""Decks: parsing our Markdown format, importing other formats, exporting."""

from flashtrain.deck.model import CardSpec, DeckError, DeckSpec, ParseWarning

__all__ = ["CardSpec", "DeckError", "DeckSpec", "ParseWarning"]
