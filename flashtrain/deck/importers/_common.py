"""Small helpers shared by the foreign-format importers."""

from __future__ import annotations

from flashtrain.deck.model import CardSpec, DeckSpec, ParseWarning
from flashtrain.deck.text import clean_block, name_from_path, split_lines  # noqa: F401 - re-exported for the importers


def clean_text(text: str) -> str:
    """The form every importer stores a field in (exporters' round trips compare against this)."""
    return clean_block(split_lines(text))


def duplicate_warnings(path: str, cards: list[CardSpec]) -> list[ParseWarning]:
    """Two cards with the same question share one identity in the store: say so, naming both lines."""
    first_line: dict[str, int] = {}
    warnings = []
    for card in cards:
        key = card.key
        if key in first_line:
            warnings.append(ParseWarning(path, card.line, f"same question as the card at line {first_line[key]} "
                                         f"({short(card.question)!r}); the two share one identity"))
        else:
            first_line[key] = card.line
    return warnings


def make_deck(path: str, fmt: str, name: str, cards: list[CardSpec], warnings: list[ParseWarning],
              description: str = "", tags: tuple[str, ...] = ()) -> DeckSpec:
    warnings = sorted(warnings + duplicate_warnings(path, cards), key=lambda w: w.line)
    return DeckSpec(name=name, cards=tuple(cards), description=description, tags=tags, path=path,
                    format=fmt, warnings=tuple(warnings))


def short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
