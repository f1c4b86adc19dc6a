"""Logseq pages with flashcards, from Logseq's documented syntax.

A block tagged `#card` (or `#[[card]]`) is a card: its text is the question and its child blocks
are the answer. `{{cloze text}}` in a card block hides that text: Logseq hides every cloze of a
block at once, so such a block is one card whose front shows `[…]` for each gap and whose back
shows them in bold. Block properties (`card-next-schedule:: …` and the like) are dropped.
"""

from __future__ import annotations

import re

from flashtrain.deck.importers._common import clean_text, make_deck, name_from_path, split_lines
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec, ParseWarning

FORMAT = "logseq"
CARD_TAG = re.compile(r"(?<![\w#])#(?:card|\[\[card\]\])(?![\w-])", re.IGNORECASE)
BLOCK = re.compile(r"^(\s*)- (.*)$")
PROPERTY = re.compile(r"^\s*[\w-]+:: ")
CLOZE = re.compile(r"\{\{cloze:?\s+(.+?)\}\}")
TAG = re.compile(r"(?<![\w#])#(?:\[\[([^\]]+)\]\]|([\w/-]+))")


def looks_like(text: str, path: str) -> float:
    lines = split_lines(text[:200_000])
    cards = sum(1 for line in lines if BLOCK.match(line) and CARD_TAG.search(line))
    if cards:
        return 0.95
    return 0.0


def _blocks(lines: list[str]) -> list[tuple[int, int, list[str]]]:
    """(line index, indent, text lines) of every block; continuation lines join their block."""
    blocks: list[tuple[int, int, list[str]]] = []
    for index, line in enumerate(lines):
        match = BLOCK.match(line.replace("\t", "  "))
        if match:
            blocks.append((index, len(match.group(1)), [match.group(2)]))
        elif blocks and line.strip() and not PROPERTY.match(line):
            blocks[-1][2].append(line.strip())
    return blocks


def parse(text: str, path: str = "<string>", deck_name: str | None = None) -> DeckSpec:
    path = str(path)
    blocks = _blocks(split_lines(text.lstrip("\ufeff")))
    cards: list[CardSpec] = []
    warnings: list[ParseWarning] = []
    for position, (index, indent, body) in enumerate(blocks):
        first = body[0]
        if not CARD_TAG.search(first):
            continue
        tags = tuple(dict.fromkeys((a or b).lower() for a, b in TAG.findall(first) if (a or b).lower() != "card"))
        question = clean_text(TAG.sub("", "\n".join(body)).strip())
        children = []
        for child_index, child_indent, child_body in blocks[position + 1:]:
            if child_indent <= indent:
                break
            depth = (child_indent - indent) // 2 - 1
            children.append("  " * max(depth, 0) + "- " + "\n".join(child_body) if depth else "\n".join(child_body))
        answer = clean_text("\n".join(children))
        if CLOZE.search(question):
            front = CLOZE.sub("[…]", question)
            back = CLOZE.sub(lambda m: f"**{m.group(1)}**", question)
            cards.append(CardSpec(question=front, answer=clean_text(back + ("\n\n" + answer if answer else "")),
                                  line=index + 1, tags=tags))
        elif question and answer:
            cards.append(CardSpec(question=question, answer=answer, line=index + 1, tags=tags))
        else:
            warnings.append(ParseWarning(path, index + 1, "#card block without child blocks (its answer); skipped"))
    if not cards:
        raise DeckError(path, None, "no Logseq cards found (expected '- question #card' blocks with child blocks)")
    return make_deck(path, FORMAT, deck_name or name_from_path(path), cards, warnings)
