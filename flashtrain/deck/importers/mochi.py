"""Mochi cards in Markdown, from Mochi's documented syntax.

In Mochi a card is Markdown whose sides are separated by lines holding only `---`; Mochi's
Markdown export writes one card per file. The first side is our question and the other sides,
joined, the answer. `{{text}}` deletions (and Mochi's numbered groups `{{1::text}}`) make the
card a cloze card: one card per group, every gap of the group hidden at once (front `[…]`, back
in bold). A file is only read as Mochi when it is told (`--format mochi`) or is one card of that
shape (one to three `---` lines, no headings, no other deck format's markers): a Markdown note
with a horizontal rule is otherwise notes.
"""

from __future__ import annotations

import re

from flashtrain.deck.importers._common import clean_text, make_deck, name_from_path, split_lines
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec

FORMAT = "mochi"
SIDE = re.compile(r"^---\s*$")
GAP = re.compile(r"\{\{(?:(\d+)::)?(.+?)\}\}", re.DOTALL)


def _sides(text: str) -> list[tuple[int, str]]:
    lines = split_lines(text)
    sides, start, current, in_fence = [], 0, [], False
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if SIDE.match(line) and not in_fence:
            sides.append((start + 1, clean_text("\n".join(current))))
            start, current = index + 1, []
        else:
            current.append(line)
    sides.append((start + 1, clean_text("\n".join(current))))
    return sides


def looks_like(text: str, path: str) -> float:
    lines = split_lines(text.lstrip("\ufeff")[:50_000])
    rules = sum(1 for line in lines if SIDE.match(line))
    if not 1 <= rules <= 3 or (lines and SIDE.match(lines[0])) or len(lines) > 80:
        return 0.0
    if any(line.startswith(("#", "Q:", "A:", "C:")) for line in lines):
        return 0.0
    return 0.5 if all(side for _, side in _sides(text)) else 0.0


def parse(text: str, path: str = "<string>", deck_name: str | None = None) -> DeckSpec:
    path = str(path)
    sides = [(line, side) for line, side in _sides(text.lstrip("\ufeff")) if side]
    if not sides:
        raise DeckError(path, None, "the card is empty")
    front_line, front = sides[0]
    back = "\n\n".join(side for _, side in sides[1:])
    groups = sorted({int(m.group(1) or 0) for m in GAP.finditer(front)})
    cards = []
    for group in groups:
        def gap(match: re.Match, show: bool) -> str:
            if int(match.group(1) or 0) != group:
                return match.group(2)
            return f"**{match.group(2)}**" if show else "[…]"

        question = GAP.sub(lambda m: gap(m, False), front)
        answer = GAP.sub(lambda m: gap(m, True), front) + ("\n\n" + back if back else "")
        cards.append(CardSpec(question=question, answer=answer, line=front_line,
                              explicit_id=f"mochi-gap-{group}" if len(groups) > 1 else None))
    if not cards:
        if not back:
            raise DeckError(path, None, "expected a Mochi card: a front side, a line '---', then the back side")
        cards.append(CardSpec(question=front, answer=back, line=front_line))
    return make_deck(path, FORMAT, deck_name or name_from_path(path), cards, [])
