"""Lecture notes: one card per section, the heading as the prompt and the section's text as the answer.

Two styles are read:

- **Markdown notes** (the file has ``#`` headings, or ``===`` underlined ones): headings come from
  markdown-it-py's token stream, so a ``#`` inside a code fence or a math block is not a heading.
- **Plain-text notes** (no ``#`` headings). A line is a heading when it is
  - a numbered section, "3.1 Tuning process" (two or more dotted numbers), or
  - "Week 2 - Optimization" / "Chapter 3" / "Lecture 4" ... (no ``:`` in the line), or
  - a short title-like line (at most 70 characters, starts with a capital letter, no ending
    punctuation, no ``$ = |`` or ``, ``, no is/are/can...; not indented, not a list item and not the
    text of a bullet written as a lone ``-`` line followed by its text) that is followed by a blank
    line, or by body text while the line before it is not title-like too (a run of short lines is a
    table or a list, not a heading); the first line right under a numbered heading is its text.

The prompt is the heading without its '#' marks or section number (numbers change when notes are
edited; identity should not). A sub-heading carries its parent for context: "Batch norm: Conclusion".
The answer is the section's text exactly as written (math ``$...$``/``$$...$$``, bullets ``•``, code
kept verbatim). A first line that reads as a title names the deck; other text before the first
heading is ignored with a warning, as are empty sections. Known page noise (a GitBook "results
matching" widget, empty "Tags:"/"Categories:"/"Updated:" labels) is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from flashtrain.deck.importers._common import clean_block, make_deck, name_from_path, short, split_lines
from flashtrain.deck.importers.alternating import SENTENCE_OPENERS, SENTENCE_WORDS, WORD
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec, ParseWarning

FORMAT = "notes"
NOISE = re.compile(r"^\s*(?:(?:no\s+)?results matching \"\"|(?:tags|categories|updated)\s*:)\s*$", re.IGNORECASE)
NUMBERED = re.compile(r"^(\d+(?:\.\d+)+)\.?\s+(\S.*)$")
CHAPTER = re.compile(r"^(?:week|chapter|part|lecture|lesson|module|unit|section|course)\s+\d+\b[^:]*$", re.IGNORECASE)
LIST_ITEM = re.compile(r"^\s*(?:[-*•+▪◦]|\d+[.)])(?:\s|$)")
LONE_BULLET = {"-", "*", "•", "+"}
ATX = re.compile(r"^ {0,3}#{1,6}(?:\s|$)", re.MULTILINE)



@cache
def _markdown():
    """markdown-it, loaded when a file is read as notes (not on the way to reading a deck of ours)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark").use(dollarmath_plugin)


@dataclass(frozen=True)
class Heading:
    index: int  # 0-based line
    level: int
    text: str
    end: int  # first line after the heading itself (a setext heading has two lines)


def looks_like(text: str, path: str) -> float:
    if re.search(r"^(Q|C):", text, re.MULTILINE) and re.search(r"^A:", text, re.MULTILINE):
        return 0.1  # our own deck format
    if ATX.search(text):
        return 0.7 if len(ATX.findall(text)) >= 2 else 0.55
    lines = split_lines(text)[:3000]
    explicit = sum(1 for line in lines if NUMBERED.match(line.strip()) or CHAPTER.match(line.strip()))
    headings = _plain_headings(lines)
    if explicit and len(headings) >= 2:
        return 0.6
    if len(headings) >= 2:
        blank_share = sum(1 for line in lines if not line.strip()) / max(len(lines), 1)
        return 0.45 if blank_share > 0.1 else 0.3
    return 0.0


def parse(text: str, path: str = "<string>", deck_name: str | None = None) -> DeckSpec:
    path = str(path)
    text = text.lstrip("\ufeff")
    lines = split_lines(text)
    warnings: list[ParseWarning] = []
    markdown = bool(ATX.search(text)) or bool(re.search(r"^ {0,3}=+\s*$", text, re.MULTILINE))
    headings = _markdown_headings(text) if markdown else _plain_headings(lines)
    if not markdown or not headings:
        headings = headings or _plain_headings(lines)
    title = _deck_title(lines, headings, markdown)
    if title is not None and headings and headings[0].index == title[0]:
        stop = headings[1].index if len(headings) > 1 else len(lines)
        if not any(line.strip() and not NOISE.match(line) for line in lines[headings[0].end:stop]):
            headings = headings[1:]  # a bare title line: it names the deck, it is not a card
    if not headings:
        raise DeckError(path, None, "expected section headings ('# Title', '3.1 Title' or a short title line "
                                    "followed by its text); found none")
    preamble_start = title[0] + 1 if title is not None else 0
    preamble = [i for i in range(preamble_start, headings[0].index) if lines[i].strip() and not NOISE.match(lines[i])]
    if preamble:
        warnings.append(ParseWarning(path, preamble[0] + 1, f"text before the first heading ignored "
                                     f"(lines {preamble[0] + 1}-{preamble[-1] + 1})"))
    cards: list[CardSpec] = []
    seen: dict[str, int] = {}
    for position, heading in enumerate(headings):
        stop = headings[position + 1].index if position + 1 < len(headings) else len(lines)
        body = clean_block(line for line in lines[heading.end:stop] if not NOISE.match(line))
        prompt = _prompt(heading, headings[:position])
        if not body:
            deeper_follows = position + 1 < len(headings) and headings[position + 1].level > heading.level
            if not deeper_follows:
                warnings.append(ParseWarning(path, heading.index + 1, f"section {short(prompt)!r} has no text; skipped"))
            continue
        if not prompt:
            raise DeckError(path, heading.index + 1, "expected heading text after the '#' marks")
        count = seen.get(prompt.casefold(), 0) + 1
        seen[prompt.casefold()] = count
        if count > 1:
            prompt = f"{prompt} ({count})"
        cards.append(CardSpec(question=prompt, answer=body, line=heading.index + 1))
    if not cards:
        raise DeckError(path, headings[0].index + 1, "every section is empty; expected text under the headings")
    name = deck_name or (title[1] if title else None) or name_from_path(path)
    return make_deck(path, FORMAT, name, cards, warnings)


def _prompt(heading: Heading, before: list[Heading]) -> str:
    text = heading.text
    for earlier in reversed(before):
        if earlier.level < heading.level:
            return f"{earlier.text}: {text}"
    return text


def _heading_text(raw: str) -> str:
    text = raw.strip().strip("#").strip()
    numbered = NUMBERED.match(text) or re.match(r"^(\d+)\.?\s+(\S.*)$", text)
    if numbered:
        text = numbered.group(2)
    return text.rstrip(" .:")


def _markdown_headings(text: str) -> list[Heading]:
    headings = []
    lines = split_lines(text)
    for token in _markdown().parse(text):
        if token.type == "heading_open" and token.level == 0 and token.map and token.markup != "-":
            start, end = token.map
            headings.append(Heading(start, int(token.tag[1]), _heading_text(lines[start]), end))
    return headings


def _title_like(text: str) -> bool:
    words = [w.lower() for w in WORD.findall(text[:80])]
    return (0 < len(text) <= 70 and text[0].isupper() and len(text.split()) <= 10
            and not text.endswith((".", ",", ";", ":", "!", "?"))
            and not re.search(r"[=$|]|, ", text) and not SENTENCE_WORDS.search(text)
            and bool(words) and words[0] not in SENTENCE_OPENERS)


def _plain_headings(lines: list[str]) -> list[Heading]:
    def candidate(i: int) -> bool:
        raw = lines[i]
        if not raw.strip() or raw[:1].isspace() or LIST_ITEM.match(raw) or NOISE.match(raw):
            return False
        previous = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        return previous not in LONE_BULLET and _title_like(raw.strip())

    headings: list[Heading] = []
    explicit_level = 0
    for i, raw in enumerate(lines):
        text = raw.strip()
        if not text or raw[:1].isspace() or NOISE.match(raw):
            continue
        numbered = NUMBERED.match(text)
        if numbered and len(text) <= 100 and not text.endswith("."):
            explicit_level = numbered.group(1).count(".") + 1
            headings.append(Heading(i, explicit_level, _heading_text(text), i + 1))
            continue
        if CHAPTER.match(text) and len(text) <= 80 and not text.endswith("."):
            explicit_level = 1
            headings.append(Heading(i, 1, _heading_text(text), i + 1))
            continue
        if not candidate(i):
            continue
        following = i + 1 < len(lines) and not lines[i + 1].strip()
        nxt = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
        if nxt is None:
            continue  # a heading needs a body
        prev_blank = i == 0 or not lines[i - 1].strip()
        previous = next((j for j in range(i - 1, -1, -1) if lines[j].strip()), None)
        if headings and headings[-1].index == previous and headings[-1].level == explicit_level:
            continue  # the first line under a numbered heading is its text, not a sub-heading
        if following or (not candidate(nxt) and (prev_blank or not candidate(i - 1))):
            headings.append(Heading(i, explicit_level + 1, _heading_text(text), i + 1))
    return headings


def _deck_title(lines: list[str], headings: list[Heading], markdown: bool) -> tuple[int, str] | None:
    """(line index, title) when the document opens with its own title."""
    if markdown:
        top = [h for h in headings if h.level == 1]
        if len(top) == 1 and headings[0] is top[0]:
            return top[0].index, top[0].text
        return None
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return None
    text = lines[first].strip()
    if (len(text) <= 100 and not LIST_ITEM.match(text) and not text.endswith((".", ",", ";", ":"))
            and not NUMBERED.match(text) and not CHAPTER.match(text)):
        return first, text
    return None
