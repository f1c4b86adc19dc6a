"""Reading deck files of every supported format into a DeckSpec.

Each format is a module with `parse(text, path, deck_name) -> DeckSpec` and `looks_like(text, path)
-> float` (0 = surely not, 1 = surely yes). `detect_format` picks the most confident one; `--format`
on the command line overrides it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from flashtrain.deck.markdown_format import parse_markdown_deck
from flashtrain.deck.model import DeckError, DeckSpec, ParseWarning
from flashtrain.deck.sources import read_text

Parser = Callable[[str, str, "str | None"], DeckSpec]


def _markdown_confidence(text: str, path: str) -> float:
    import re

    if re.search(r"^(Q|C):", text, re.MULTILINE) and re.search(r"^(A:|C:)", text, re.MULTILINE):
        return 0.9
    return 0.3 if path.endswith(".md") else 0.0


# name -> (parser, confidence function). Importer modules register themselves below.
FORMATS: dict[str, tuple[Parser, Callable[[str, str], float]]] = {
    "markdown": (lambda text, path, name: parse_markdown_deck(text, path, name), _markdown_confidence),
}


def _register_foreign_formats() -> None:
    from flashtrain.deck.importers import (alternating, anki_txt, brainscape, csv_format, hashcards, logseq, mochi,
                                           notes, obsidian_sr, org_drill)

    for module in (brainscape, alternating, notes, anki_txt, csv_format, obsidian_sr, hashcards, logseq, mochi,
                   org_drill):
        FORMATS[module.FORMAT] = (module.parse, module.looks_like)


_register_foreign_formats()


# Formats whose markers are unmistakable: when two of them both claim a file, detection is unsure.
SPECIFIC_FORMATS = ("obsidian", "hashcards", "logseq", "org-drill")
UNSURE_MARGIN = 0.05


def detect_format(text: str, path: str) -> str:
    scores = sorted(((confidence(text, path), name) for name, (_, confidence) in FORMATS.items()),
                    key=lambda pair: -pair[0])
    best_score, best_name = scores[0]
    if best_score <= 0.0:
        raise DeckError(path, None, f"cannot tell this file's format; pass --format ({', '.join(FORMATS)})")
    runner_score, runner_name = scores[1]
    # Two formats about equally sure, one of them a specific one: never pick one silently.
    if runner_score >= best_score - UNSURE_MARGIN and {best_name, runner_name} & set(SPECIFIC_FORMATS):
        raise DeckError(path, None, f"not sure whether this file is {best_name} or {runner_name}; "
                                    f"pass --format {best_name} or --format {runner_name}")
    return best_name


# What one import is designed for; beyond these a file is refused with a message, so that parsing
# stays linear in time and bounded in memory whatever a file holds.
MAX_FILE_BYTES = 200 * 1024 * 1024  # 200 MB of text per file
MAX_CARD_CHARS = 1024 * 1024  # 1 MB (in characters) per card: question + answer + hints
MAX_CLOZE_GAPS = 1000  # deletions in one cloze note (each one is a card)
MAX_CARDS = 1_000_000  # cards per file


def parse_text(text: str, path: str, fmt: str | None = None, deck_name: str | None = None) -> DeckSpec:
    """Every importer's entry point: the format's parser, then the limits and warnings every format shares."""
    if not text.lstrip("\ufeff").strip():
        raise DeckError(path, None, "the file is empty (or only blank lines); expected cards")
    if len(text) > MAX_FILE_BYTES:
        raise DeckError(path, None, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it")
    fmt = fmt or detect_format(text, path)
    if fmt not in FORMATS:
        raise DeckError(path, None, f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    return check_limits(FORMATS[fmt][0](text, path, deck_name))


def check_limits(spec: DeckSpec) -> DeckSpec:
    """Refuse what is beyond the designed-for limits; warn about a file that made no cards."""
    if len(spec.cards) > MAX_CARDS:
        raise DeckError(spec.path, None, f"more than {MAX_CARDS:,} cards in one file; split it")
    gaps: dict[tuple[int, str], int] = {}
    for card in spec.cards:
        size = len(card.question) + len(card.answer)
        if card.hints:
            size += sum(map(len, card.hints))
        if size > MAX_CARD_CHARS:
            raise DeckError(spec.path, card.line or None, f"this card holds {size:,} characters; a card may hold "
                                                          f"at most {MAX_CARD_CHARS:,} (1 MB): split it")
        if card.kind == "cloze":
            note = (card.line, card.question)
            gaps[note] = gaps.get(note, 0) + 1
            if gaps[note] > MAX_CLOZE_GAPS:
                raise DeckError(spec.path, card.line or None, f"this cloze note has more than {MAX_CLOZE_GAPS:,} "
                                                              "deletions; split it into several notes")
    if not spec.cards:
        warning = ParseWarning(spec.path, 1, "no cards in this file: the deck is empty (expected cards such as "
                                             "'Q:'/'A:' or 'C:' lines, or pass --format)")
        return replace(spec, warnings=tuple(spec.warnings) + (warning,))
    return spec


def parse_file(path: Path, fmt: str | None = None, deck_name: str | None = None) -> DeckSpec:
    return parse_text(read_text(path), str(path), fmt, deck_name)
