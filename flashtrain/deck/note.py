"""What the cards of one note share, without the Markdown parser: the note key and cloze sides.

Kept apart from markdown_format.py so that showing a card (the study app's start-up path) needs
only `re`, not markdown-it.
"""

from __future__ import annotations

import re

CLOZE = re.compile(r"\{\{(.+?)\}\}", re.DOTALL)


def note_key(key: str) -> str:
    """The key shared by every card of one note (cloze siblings, the reversed twin)."""
    return key.split("#", 1)[0]


# A gap may carry Anki's card number: {{c2::answer::hint}}. Gaps sharing a number are one card (as
# in Anki); in a note without numbers each gap is its own card, numbered in order.
GAP_NUMBER = re.compile(r"c(\d+)::")


def gap_number(gap: str) -> int | None:
    match = GAP_NUMBER.match(gap)
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def cloze_numbers(text: str) -> list[int]:
    """The card numbers of a cloze note: its distinct gap numbers, or 1..n for n plain gaps."""
    gaps = CLOZE.findall(text)
    numbers = {gap_number(gap) for gap in gaps} - {None}
    return sorted(numbers) if numbers else list(range(1, len(gaps) + 1))


def cloze_sides(text: str, index: int) -> tuple[str, str]:
    """Question and answer Markdown for card number `index` (1-based) of a cloze note.

    `{{answer::hint}}` shows the hint in the gap. Other cards' gaps are shown filled in.
    """
    numbered = any(gap_number(gap) is not None for gap in CLOZE.findall(text))
    counter = 0

    def parts(match: re.Match) -> tuple[bool, str, str]:
        nonlocal counter
        gap = match.group(1)
        number = gap_number(gap)
        if number is not None:
            gap = gap[GAP_NUMBER.match(gap).end():]
        counter += 1
        content, _, hint = gap.partition("::")
        return (number if numbered else counter) == index, content, hint

    def front(match: re.Match) -> str:
        hidden, content, hint = parts(match)
        return f"[{hint.strip() or '…'}]" if hidden else content

    question = CLOZE.sub(front, text)
    counter = 0

    def back(match: re.Match) -> str:
        shown, content, _ = parts(match)
        return f"**{content}**" if shown else content

    return question, CLOZE.sub(back, text)
