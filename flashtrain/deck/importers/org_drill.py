"""org-drill files (Emacs Org mode), simple cards only.

A heading tagged `:drill:` is a card: its title and body up to its first sub-heading are the
question, the sub-headings' text (usually `** Answer`) the answer. Other org-drill card types
(`:DRILL_CARD_TYPE: twosided`, `multisided`, `hide1cloze`, …) are not read: each is skipped with
a warning naming its line, and a file with no simple card is refused.
"""

from __future__ import annotations

import re

from flashtrain.deck.importers._common import clean_text, make_deck, name_from_path, split_lines
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec, ParseWarning

FORMAT = "org-drill"
HEADING = re.compile(r"^(\*+)\s+(.*?)(\s+:[\w@#%:]+:)?\s*$")
DRILL_TAG = re.compile(r":drill:", re.IGNORECASE)
CARD_TYPE = re.compile(r"^\s*:DRILL_CARD_TYPE:\s*(\S+)", re.IGNORECASE)
DRAWER = re.compile(r"^\s*:(PROPERTIES|END|LOGBOOK|[A-Z_]+):", re.IGNORECASE)


def looks_like(text: str, path: str) -> float:
    lines = split_lines(text[:200_000])
    if any(HEADING.match(line) and DRILL_TAG.search(line) for line in lines):
        return 0.98
    return 0.0


def parse(text: str, path: str = "<string>", deck_name: str | None = None) -> DeckSpec:
    path = str(path)
    lines = split_lines(text.lstrip("\ufeff"))
    cards: list[CardSpec] = []
    warnings: list[ParseWarning] = []
    index = 0
    while index < len(lines):
        match = HEADING.match(lines[index])
        if not (match and match.group(3) and DRILL_TAG.search(match.group(3))):
            index += 1
            continue
        level, title, start = len(match.group(1)), match.group(2).strip(), index
        end = index + 1
        while end < len(lines) and not ((m := HEADING.match(lines[end])) and len(m.group(1)) <= level):
            end += 1
        body = lines[index + 1:end]
        kind = next((m.group(1).lower() for line in body if (m := CARD_TYPE.match(line))), "simple")
        if kind != "simple":
            warnings.append(ParseWarning(path, start + 1, f"org-drill card type {kind!r} is not read (only simple "
                                                          "cards are); skipped"))
            index = end
            continue
        first_sub = next((i for i, line in enumerate(body) if HEADING.match(line)), len(body))
        question = clean_text("\n".join([title] + [l for l in body[:first_sub] if not DRAWER.match(l)]))
        answer = clean_text("\n".join(l for l in body[first_sub:] if not DRAWER.match(l) and not HEADING.match(l)))
        if question and answer:
            cards.append(CardSpec(question=question, answer=answer, line=start + 1))
        else:
            warnings.append(ParseWarning(path, start + 1, "drill heading without an answer sub-heading; skipped"))
        index = end
    if not cards:
        raise DeckError(path, None, "no org-drill card flashtrain can read: only simple cards (a :drill: heading "
                                    "with its answer under a sub-heading) are imported"
                        + (f"; {len(warnings)} other card(s) skipped" if warnings else ""))
    return make_deck(path, FORMAT, deck_name or name_from_path(path), cards, warnings)
