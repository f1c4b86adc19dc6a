"""Obsidian Spaced Repetition notes (the Obsidian plugin by st3v3nmw), from its documented syntax.

- `Question::Answer` on one line is a basic card; `Question:::Answer` also adds the reversed card.
- Multi-line cards: question lines, a line holding only `?` (or `??` for reversed too), then answer
  lines; the card ends at a blank line.
- Cloze: a paragraph with `==highlights==` or `{{curly}}` deletions becomes one cloze card per deletion.
- `#flashcards` (or `#flashcards/deck/sub`) tags the note; a `#flashcards/A/B` tag names the deck
  `A::B`. Other `#tags` on a card line are kept as tags.
- `<!--SR:!2024-01-31,4,270-->` after a card is its schedule: due date, interval in days, ease (per
  mille). It is carried over as the card's state (see `schedules`: the store turns it into a
  review-phase state due that day); a reversed or cloze card has one `!date,interval,ease` group per
  card in order.
"""

from __future__ import annotations

import re
from dataclasses import replace

from flashtrain.deck.importers._common import clean_text, make_deck, name_from_path, split_lines
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec, ParseWarning

FORMAT = "obsidian"
SR_COMMENT = re.compile(r"<!--SR:((?:!\d{4}-\d{2}-\d{2},\d+,\d+)+)-->")
SR_GROUP = re.compile(r"!(\d{4}-\d{2}-\d{2}),(\d+),(\d+)")
DECK_TAG = re.compile(r"(?<![\w/])#flashcards(?:/([\w/-]+))?")
TAG = re.compile(r"(?<![\w/#])#([\w][\w/-]*)")
HIGHLIGHT = re.compile(r"==(.+?)==")
CURLY = re.compile(r"\{\{(.+?)\}\}")


def looks_like(text: str, path: str) -> float:
    head = text[:200_000]
    markers = 0
    if SR_COMMENT.search(head):
        return 0.97
    if DECK_TAG.search(head):
        markers += 2
    lines = split_lines(head)
    separators = sum(1 for line in lines if line.strip() in ("?", "??"))
    inline = sum(1 for line in lines if _inline_split(line) is not None)
    if separators or inline:
        markers += 1
    if markers >= 3:
        return 0.95
    if markers == 2:
        return 0.6  # a #flashcards note without cards we recognise yet
    if inline >= 2 and inline * 3 >= len([line for line in lines if line.strip()]):
        return 0.75
    return 0.0


def _inline_split(line: str) -> tuple[str, str, bool] | None:
    """`Q::A` or `Q:::A` outside code spans; None when the line is not one."""
    if "::" not in line or line.lstrip().startswith(("```", "    ", "|")):
        return None
    stripped = SR_COMMENT.sub("", line)
    for separator, reverse in ((":::", True), ("::", False)):
        index = stripped.find(separator)
        if index > 0:
            question, answer = stripped[:index].strip(), stripped[index + len(separator):].strip()
            if question and answer and not answer.startswith(":") and "`" not in stripped[:index]:
                return question, answer, reverse
    return None


def _empty_side(line: str) -> bool:
    """A line meant as `Q::A` / `Q:::A` with nothing on one side (`Question::`, `::Answer`)."""
    stripped = SR_COMMENT.sub("", line).strip()
    if "::" not in stripped or "`" in stripped or stripped.startswith("|") or _inline_split(line) is not None:
        return False
    question, _, answer = stripped.partition("::")
    return not question.strip() or not answer.strip(": ")


def _tags(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in TAG.findall(text) if not t.startswith("flashcards")))


def _strip_tags(text: str) -> str:
    return TAG.sub("", DECK_TAG.sub("", text)).strip()


def parse(text: str, path: str = "<string>", deck_name: str | None = None) -> DeckSpec:
    path = str(path)
    lines = split_lines(text.lstrip("\ufeff"))
    deck_tag = DECK_TAG.search(text)
    name = deck_name or (deck_tag.group(1).replace("/", "::") if deck_tag and deck_tag.group(1) else name_from_path(path))
    cards: list[CardSpec] = []
    warnings: list[ParseWarning] = []
    schedules: dict[str, tuple[str, int, int]] = {}  # card key -> (due date, interval days, ease per mille)
    in_fence = False
    index = 0

    def schedule_for(made: list[CardSpec], comment_line: str, line_no: int) -> None:
        match = SR_COMMENT.search(comment_line)
        if not match:
            return
        groups = SR_GROUP.findall(match.group(1))
        if len(groups) != len(made):
            warnings.append(ParseWarning(path, line_no, f"scheduling comment has {len(groups)} entries for "
                                                        f"{len(made)} card(s); schedule not carried over"))
            return
        for card, (due, interval, ease) in zip(made, groups):
            schedules[card.key] = (due, int(interval), int(ease))

    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if in_fence or not line.strip():
            index += 1
            continue
        inline = _inline_split(line)
        if inline is not None:
            question, answer, reverse = inline
            tags = _tags(question + " " + answer)
            made = [CardSpec(question=clean_text(_strip_tags(question)), answer=clean_text(_strip_tags(answer)),
                             line=index + 1, tags=tags)]
            if reverse:
                made.append(CardSpec(question=made[0].question, answer=made[0].answer, line=index + 1, tags=tags,
                                     kind="reversed"))
            comment = line if SR_COMMENT.search(line) else (lines[index + 1] if index + 1 < len(lines) else "")
            schedule_for(made, comment, index + 1)
            cards += made
            index += 1
            continue
        if _empty_side(line):
            warnings.append(ParseWarning(path, index + 1, f"{line.strip()[:60]!r} is a 'Question::Answer' card with "
                                                          "an empty side; skipped"))
            index += 1
            continue
        # a paragraph: multi-line card (with a ?/?? line), cloze, or prose. A `Q::A` line ends it: it
        # is a card of its own (a `#flashcards` line right above the cards must not swallow them).
        end = index + 1
        while (end < len(lines) and lines[end].strip() and not lines[end].lstrip().startswith("```")
               and _inline_split(lines[end]) is None and not _empty_side(lines[end])):
            end += 1
        block = lines[index:end]
        comment = next((b for b in block if SR_COMMENT.search(b)), "")
        block = [b for b in block if not SR_COMMENT.fullmatch(b.strip())]
        separator = next((i for i, b in enumerate(block) if b.strip() in ("?", "??")), None)
        made = []
        if separator is not None:
            question = clean_text("\n".join(_strip_tags(b) for b in block[:separator]))
            answer = clean_text("\n".join(SR_COMMENT.sub("", b) for b in block[separator + 1:]))
            tags = _tags("\n".join(block[:separator]))
            if question and answer:
                made.append(CardSpec(question=question, answer=answer, line=index + 1, tags=tags))
                if block[separator].strip() == "??":
                    made.append(CardSpec(question=question, answer=answer, line=index + 1, tags=tags, kind="reversed"))
            else:
                warnings.append(ParseWarning(path, index + 1, "card with an empty question or answer; skipped"))
        else:
            body = "\n".join(SR_COMMENT.sub("", b) for b in block)
            if HIGHLIGHT.search(body) or CURLY.search(body):
                ours = clean_text(_strip_tags(CURLY.sub(lambda m: "{{" + m.group(1) + "}}",
                                                        HIGHLIGHT.sub(lambda m: "{{" + m.group(1) + "}}", body))))
                count = len(re.findall(r"\{\{(.+?)\}\}", ours))
                made = [CardSpec(question=ours, answer="", line=index + 1, tags=_tags(body), kind="cloze",
                                 cloze_index=i) for i in range(1, count + 1)]
        if made:
            schedule_for(made, comment, index + 1)
            cards += made
        index = max(end, index + 1)
    if not cards:
        raise DeckError(path, None, "no Obsidian Spaced Repetition cards found (expected 'Q::A', 'Q:::A', a '?' "
                                    "line between question and answer, or ==cloze== deletions)")
    deck = make_deck(path, FORMAT, name, cards, warnings)
    return replace(deck, schedules=tuple((key, *value) for key, value in schedules.items()))
