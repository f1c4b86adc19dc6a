"""Brainscape flashcard pages copied as text.

The layout, one item per line::

    Deck title Flashcards          optional title (the " Flashcards" suffix is dropped)
    (29 cards)                     optional count; a different number of parsed cards is a warning
    1                              card number
    Q                              question marker ("Q", "Q:" or "Q: text on the same line")
    question lines...
    A                              answer marker (same forms as Q)
    answer lines...                every line up to the next card, blank lines kept inside
    How well did you know this?    rating footer: removed together with the
    1 / Not at all / 2 / 3 / 4 / 5 / Perfectly   lines that follow it, in order (one per line or on one line)

Pages also contain a compact form without markers: a number line, ONE question line, then the
answer lines. A number line starts such a card only when it continues the numbering (same number as
the previous card, as Brainscape pages repeat numbers, or one more), is followed by a question
line and at least one answer line, and is not the first line of the current card's answer; any other number line stays answer text, with a warning when it
could have been a card number. Switching from Q/A cards to compact cards is reported once, naming
the line, because a numbered list inside an answer could look the same.
"""

from __future__ import annotations

import re

from flashtrain.deck.importers._common import clean_block, make_deck, name_from_path, short, split_lines
from flashtrain.deck.text import head_lines, may_contain_caseless
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec, ParseWarning

FORMAT = "brainscape"
FOOTER_HEAD = re.compile(r"^\s*How well did you know this\?\s*(.*)$", re.IGNORECASE)
FOOTER_WORDS = ["1", "not", "at", "all", "2", "3", "4", "5", "perfectly"]
NUMBER = re.compile(r"^\s*(\d{1,6})\s*$")
MARKER = re.compile(r"^\s*([QA])\s*(?::\s*(.*?)|\.?)\s*$")
COUNT = re.compile(r"^\s*\((\d+)\s+cards?\)\s*$", re.IGNORECASE)
TITLE_SUFFIX = re.compile(r"\s+flashcards\s*$", re.IGNORECASE)


def looks_like(text: str, path: str) -> float:
    if may_contain_caseless(text, "how well did you know this?") and re.search(
            r"^\s*How well did you know this\?", text, re.MULTILINE | re.IGNORECASE):
        return 0.95
    lines = head_lines(text, 2000)
    bare_q = sum(1 for line in lines if line.strip() in ("Q", "Q:"))
    bare_a = sum(1 for line in lines if line.strip() in ("A", "A:"))
    if bare_q and bare_a:
        return 0.75
    if any(COUNT.match(line) for line in lines[:5]):
        return 0.5
    return 0.0


def strip_footers(lines: list[str]) -> set[int]:
    """Indexes of rating-footer lines: the 'How well…' line and the rating words that follow it in order."""
    noise: set[int] = set()
    i = 0
    while i < len(lines):
        head = FOOTER_HEAD.match(lines[i])
        if not head:
            i += 1
            continue
        noise.add(i)
        position = _consume(head.group(1).split(), 0)
        j = i + 1
        while position < len(FOOTER_WORDS) and j < len(lines):
            words = lines[j].split()
            if not words:
                j += 1
                continue
            after = _consume(words, position)
            if after == position or after - position != len(words):
                break
            noise.add(j)
            position = after
            j += 1
        i = j
    return noise


def _consume(words: list[str], position: int) -> int:
    """How far `words` continue the footer sequence from `position` (only whole matches count)."""
    expected = FOOTER_WORDS[position:position + len(words)]
    if [w.lower() for w in words] == expected:
        return position + len(words)
    return position


def parse(text: str, path: str = "<string>", deck_name: str | None = None) -> DeckSpec:
    path = str(path)
    lines = split_lines(text.lstrip("\ufeff"))
    noise = strip_footers(lines)
    items = [(i + 1, line) for i, line in enumerate(lines) if i not in noise]
    return _Parser(path, items).run(deck_name)


class _Parser:
    def __init__(self, path: str, items: list[tuple[int, str]]) -> None:
        self.path = path
        self.items = items  # (1-based line number, text), footers removed
        self.cards: list[CardSpec] = []
        self.warnings: list[ParseWarning] = []
        self.title: str | None = None
        self.count: tuple[int, int] | None = None  # (line, announced count)
        self.current: dict | None = None
        self.last_number: int | None = None
        self.last_mode: str | None = None

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(self.path, line, message))

    def next_nonblank(self, index: int) -> int | None:
        for j in range(index, len(self.items)):
            if self.items[j][1].strip():
                return j
        return None

    def run(self, deck_name: str | None) -> DeckSpec:
        i = 0
        while i < len(self.items):
            line_no, text = self.items[i]
            number = NUMBER.match(text)
            marker = MARKER.match(text)
            if number:
                j = self.next_nonblank(i + 1)
                if j is not None and MARKER.match(self.items[j][1]) and MARKER.match(self.items[j][1]).group(1) == "Q":
                    self.start("qa", int(number.group(1)), line_no)
                    self.marker(j)
                    i = j + 1
                    continue
                compact = self.compact_start(i, int(number.group(1)))
                if compact is not None:
                    self.start("compact", int(number.group(1)), line_no)
                    self.current["question"] = [self.items[compact][1]]
                    self.current["question_line"] = self.items[compact][0]
                    self.current["phase"] = "a"
                    i = compact + 1
                    continue
            elif marker and marker.group(1) == "Q":
                self.start("qa", None, line_no)
                self.marker(i)
                i += 1
                continue
            elif marker and self.current and self.current["mode"] == "qa" and self.current["phase"] == "q":
                self.marker(i)
                i += 1
                continue
            self.content(line_no, text)
            i += 1
        self.close()
        if not self.cards:
            raise DeckError(self.path, None, "expected Brainscape cards: a number line, then 'Q', the question, "
                                             "'A' and the answer (or a number, a question line and an answer line)")
        if self.count and self.count[1] != len(self.cards):
            self.warn(self.count[0], f"the page says {self.count[1]} cards but {len(self.cards)} were found")
        name = deck_name or self.title or name_from_path(self.path)
        return make_deck(self.path, FORMAT, name, self.cards, self.warnings)

    def compact_start(self, i: int, number: int) -> int | None:
        """Index of the question line if the number line at `i` starts a marker-less card."""
        question = self.next_nonblank(i + 1)
        if question is None or NUMBER.match(self.items[question][1]) or MARKER.match(self.items[question][1]):
            return None
        answer = self.next_nonblank(question + 1)
        if answer is None:
            return None
        if self.current is not None and self.current["mode"] == "qa" and self.current["phase"] == "q":
            return None  # still inside a question that awaits its 'A'
        if self.current is not None and self.current["phase"] == "a" and not any(
                line.strip() for line in self.current["answer"]):
            return None  # an answer is never empty: a number right after 'A' (or the question) is the answer
        expected = {1} if self.last_number is None else {self.last_number, self.last_number + 1}
        if self.current is None and self.last_number is None:
            expected.add(number)  # the first card may start anywhere
        if number not in expected:
            if self.current is not None:
                self.warn(self.items[i][0], f"line {number!r} looks like a card number but breaks the numbering "
                          f"(expected {' or '.join(map(str, sorted(expected)))}); kept in the answer of card "
                          f"{self.current['number'] or '?'}")
            return None
        return question

    def start(self, mode: str, number: int | None, line_no: int) -> None:
        self.close()
        if mode == "compact" and self.last_mode == "qa":
            self.warn(line_no, f"card {number} has no Q/A markers: reading the next line as its question and "
                               "the lines after it as its answer")
        self.current = {"mode": mode, "number": number, "line": line_no, "phase": "q", "question": [],
                        "answer": [], "question_line": line_no, "answer_line": None}
        if number is not None:
            self.last_number = number
        self.last_mode = mode

    def marker(self, index: int) -> None:
        line_no, text = self.items[index]
        match = MARKER.match(text)
        letter, inline = match.group(1), match.group(2) or ""
        card = self.current
        if letter == "A":
            card["phase"] = "a"
            card["answer_line"] = line_no
            if inline:
                card["answer"].append(inline)
        elif inline:
            card["question"].append(inline)

    def content(self, line_no: int, text: str) -> None:
        card = self.current
        if card is None:
            self.preamble(line_no, text)
        elif card["phase"] == "q":
            card["question"].append(text)
        else:
            card["answer"].append(text)

    def preamble(self, line_no: int, text: str) -> None:
        if not text.strip():
            return
        count = COUNT.match(text)
        if count:
            self.count = (line_no, int(count.group(1)))
        elif self.title is None:
            self.title = TITLE_SUFFIX.sub("", text.strip()) or text.strip()
        else:
            self.warn(line_no, f"text before the first card ignored: {short(text)!r}")

    def close(self) -> None:
        card, self.current = self.current, None
        if card is None:
            return
        label = f"card {card['number']}" if card["number"] is not None else "the card"
        where = f"{label} at line {card['line']}"
        if card["mode"] == "qa" and card["phase"] == "q":
            raise DeckError(self.path, card["line"], f"{where} has a 'Q' line but no 'A' line before the next card")
        question = clean_block(card["question"])
        answer = clean_block(card["answer"])
        if not question:
            raise DeckError(self.path, card["question_line"], f"{where} has an empty question")
        if not answer:
            self.warn(card["answer_line"] or card["line"], f"{where} has an empty answer; skipped")
            return
        self.cards.append(CardSpec(question=question, answer=answer, line=card["line"]))
