"""Plain data that every deck format parses into and every exporter writes from.

A `DeckSpec` is what a file says, before the store decides what is new, changed or retired.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

CARD_KINDS = ("basic", "cloze", "reversed")


@dataclass(frozen=True)
class ParseWarning:
    """Something imported, but not certainly as the author meant: always shown with path:line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path  # a package has no lines
        return f"{where}: warning: {self.message}"


class DeckError(Exception):
    """A deck file that cannot be imported. Carries path:line and what was expected."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: error: {self.message}"


class _once:  # noqa: N801 - used as a decorator, like cached_property
    """functools.cached_property without its per-instance lock (3.11 takes one on every first
    access; an import of 100,000 cards makes 200,000 of them)."""

    def __init__(self, compute) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)  # later reads skip this descriptor
        return value


@dataclass(frozen=True)
class CardSpec:
    """One studyable card as written in a deck file.

    `explicit_id` is the author's id (keeps history through question edits); otherwise identity
    comes from the normalised question. A cloze note yields one CardSpec per deletion, told apart
    by `cloze_index`; a reversed note yields a second CardSpec with `kind="reversed"`.
    """

    question: str
    answer: str
    line: int = 0
    tags: tuple[str, ...] = ()
    explicit_id: str | None = None
    hints: tuple[str, ...] = ()
    snippet: str | None = None
    kind: str = "basic"
    cloze_index: int = 0

    @_once  # frozen, so computed once; the cloze siblings of a note share one question digest
    def key(self) -> str:
        """Stable identity of the card inside its deck."""
        if self.explicit_id:
            base = f"id:{self.explicit_id}"
        else:
            base = "q:" + question_digest(self.question)
        if self.kind == "cloze":
            return f"{base}#c{self.cloze_index}"
        if self.kind == "reversed":
            return f"{base}#r"
        return base

    @_once
    def content_hash(self) -> str:
        """Changes whenever the card's content changes; a card that only moved keeps its hash."""
        parts = [self.kind, self.question, self.answer, "\x1f".join(self.tags),
                 "\x1f".join(self.hints), self.snippet or "", self.explicit_id or ""]
        return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()[:32]


def make_card(question: str, answer: str, line: int, tags: tuple[str, ...], explicit_id: str | None,
              hints: tuple[str, ...], snippet: str | None, kind: str = "basic", cloze_index: int = 0) -> CardSpec:
    """CardSpec(...) for a parser that makes many: the frozen dataclass's __init__ sets each field
    through object.__setattr__, at three times the cost. The fields go in one by one, in their
    declared order, so the instances keep sharing one key table (dict.update would not: +40 %)."""
    card = _new_object(CardSpec)
    values = card.__dict__
    values["question"] = question
    values["answer"] = answer
    values["line"] = line
    values["tags"] = tags
    values["explicit_id"] = explicit_id
    values["hints"] = hints
    values["snippet"] = snippet
    values["kind"] = kind
    values["cloze_index"] = cloze_index
    return card


_new_object = object.__new__


@lru_cache(maxsize=1024)
def question_digest(question: str) -> str:
    return hashlib.sha256(normalise_text(question).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class DeckSpec:
    """A parsed deck file: its name, description, deck-wide tags and cards, plus any warnings."""

    name: str
    cards: tuple[CardSpec, ...]
    description: str = ""
    tags: tuple[str, ...] = ()
    path: str = ""
    format: str = "markdown"
    warnings: tuple[ParseWarning, ...] = field(default=())
    # Schedules another tool kept in the file (Obsidian SR's <!--SR:...--> comments):
    # (card key, due date YYYY-MM-DD, interval days, ease per mille); applied to cards with no history.
    schedules: tuple[tuple[str, str, int, int], ...] = ()


def notes(cards: tuple[CardSpec, ...]) -> list[tuple[CardSpec, bool]]:
    """The notes a file is written from: (first card of the note, has a reversed twin).

    A cloze note's sibling cards and a reversed card's twin fold into the one note that made them.
    """
    reversed_keys = {card.key.removesuffix("#r") for card in cards if card.kind == "reversed"}
    seen_cloze: set[str] = set()
    out = []
    for card in cards:
        if card.kind == "reversed":
            continue
        if card.kind == "cloze":
            note = card.key.rsplit("#c", 1)[0]  # siblings share the note's id or question
            if note in seen_cloze:
                continue
            seen_cloze.add(note)
        out.append((card, card.kind == "basic" and card.key in reversed_keys))
    return out


_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Whitespace- and case-insensitive form used for identity (not for display)."""
    # str.split() splits at exactly the characters \s matches, so this is _SPACE.sub(" ", ...).strip().
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def normalise_tag(tag: str) -> str:
    tag = tag.strip().lstrip("#").strip()
    return _SPACE.sub("-", tag).lower()


@lru_cache(maxsize=4096)  # decks repeat the same few tag lines; the result is an immutable tuple
def split_tags(text: str) -> tuple[str, ...]:
    """Tags are written comma- or space-separated; '#' prefixes are allowed. Order kept, no repeats."""
    seen: dict[str, None] = {}
    for raw in re.split(r"[,\s]+", text):
        tag = normalise_tag(raw)
        if tag:
            seen.setdefault(tag, None)
    return tuple(seen)
