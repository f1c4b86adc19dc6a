"""Alternating question/answer plain text: a question line, its answer lines, the next question, ...

There are no markers and no blank lines between cards, so questions are recognised line by line:

1. A *question line* (certain) is a line that is not a list item (``-``, ``*``, ``•``, ``1)``,
   ``1.``, ``a)``) and
   - ends with ``?``, or
   - starts with What / Why / How, or
   - starts with When / Where / Which / Who / Whose followed by is, are, do, does, can, should, to, ...
     ("Where A is the input" stays answer text), or
   - starts with an instruction word: Explain, Name, Describe, Define, List, Compare, Contrast, Give,
     State, Outline, Summarise, Discuss, Identify, Distinguish, Differentiate, Enumerate, Mention
     (not when followed by "of"/"is"/":", as in "List of things"),
   and (apart from the ``?`` case) does not end with ``.``.
2. A *possible question* (uncertain) is either a short title-like line (at most 70 characters and
   10 words, starts with a capital letter, no ending ``.,;:!``, no ``=``, ``$``, ``|`` or ``, ``,
   no word like is/are/can/does/also/not, not opening with a word such as But/And/So/If/You/We/This)
   or a line that asks inside a sentence, "what is/are/type...", "how many/much/to...", with no
   is/are/can... before it and no ``:`` ("In a net with 3 units what is the shape of W").
3. The first line is the deck title when it ends with "Flashcards" or when it is not a question but
   the second line is.
4. The line right after a question is always its answer (a question needs one); if it looks like a
   question itself, a warning names it.
5. After that, every certain question line starts a new card. A possible question starts a new card
   only when the line before it is not a possible question too (a run of short lines is a list) and
   the next line is ordinary answer text (or the
   next line is title-like and the one after is answer text: a heading with a sub-heading), and not
   inside a list introduced by a line ending in ``:``. Every such split is reported as a warning with
   its line, so nothing is glued or cut silently.
"""

from __future__ import annotations

import re

from flashtrain.deck.importers._common import clean_block, make_deck, name_from_path, short, split_lines
from flashtrain.deck.text import head_lines
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec, ParseWarning

FORMAT = "alternating"
LIST_ITEM = re.compile(r"^\s*(?:[-*•+▪◦]|\d+[.)]|[a-zA-Z][.)])(?:\s|$)")
WORD = re.compile(r"[A-Za-z][A-Za-z']*")
ALWAYS = {"what", "why", "how"}
NEEDS_AUX = {"when", "where", "which", "who", "whom", "whose"}
AUX = {"is", "are", "was", "were", "do", "does", "did", "can", "could", "should", "would", "will", "might",
       "must", "has", "have", "to", "should", "shall", "may"}
INSTRUCTIONS = {"explain", "name", "describe", "define", "list", "compare", "contrast", "give", "state",
                "outline", "summarise", "summarize", "discuss", "identify", "distinguish", "differentiate",
                "enumerate", "mention"}
NOT_AFTER_INSTRUCTION = {"of", "is", "are", "was", "were"}
SENTENCE_OPENERS = {"but", "and", "so", "or", "if", "then", "also", "because", "since", "although", "though",
                    "while", "whereas", "you", "we", "i", "it", "this", "that", "these", "those", "they",
                    "there", "here", "he", "she", "our", "your", "my", "their", "its", "just", "now", "thus",
                    "hence", "therefore", "however", "like", "where", "when", "which", "who", "given", "for",
                    "in", "on", "at", "to", "with", "a", "an", "the"}
EMBEDDED = re.compile(r"\b(?:what\s+(?:is|are|was|were|does|do|did|type|kind|happens)|"
                      r"how\s+(?:many|much|do|does|is|are|to|can))\b", re.IGNORECASE)
SENTENCE_WORDS = re.compile(r"\b(is|are|was|were|has|have|had|will|can|could|should|would|must|may|might|"
                            r"does|did|also|not|often|usually|always|never)\b", re.IGNORECASE)
TITLE_SUFFIX = re.compile(r"\s+flashcards\s*$", re.IGNORECASE)


def kind(line: str) -> str | None:
    """'question' (certain), 'title' or 'embedded' (possible question) or None (answer text)."""
    text = line.strip()
    if not text or LIST_ITEM.match(line):
        return None
    words = [w.lower() for w in WORD.findall(text[:80])]
    if text.endswith("?"):
        return "question"
    if not text.endswith(".") and words and re.match(r"[A-Za-z]", text):
        first, second = words[0], (words[1] if len(words) > 1 else "")
        after_first = text[len(WORD.match(text).group(0)):] if WORD.match(text) else ""
        if first in ALWAYS and not after_first.startswith(":"):
            return "question"
        if first in NEEDS_AUX and second in AUX:
            return "question"
        if (first in INSTRUCTIONS and second and second not in NOT_AFTER_INSTRUCTION
                and not after_first.startswith(":")):
            return "question"
    if _title_like(text, words):
        return "title"
    asks = EMBEDDED.search(text)
    if (asks and ":" not in text and not text.endswith((".", ",", ";", ":"))
            and not SENTENCE_WORDS.search(text[:asks.start()])):
        return "embedded"
    return None


def _title_like(text: str, words: list[str]) -> bool:
    return (len(text) <= 70 and text[0].isupper() and len(text.split()) <= 10
            and not text.endswith((".", ",", ";", ":", "!"))
            and not re.search(r"[=$|]|, ", text) and not SENTENCE_WORDS.search(text)
            and bool(words) and words[0] not in SENTENCE_OPENERS)


def looks_like(text: str, path: str) -> float:
    lines = head_lines(text, 3000)
    filled = [line for line in lines if line.strip()]
    if len(filled) < 2:
        return 0.0
    blank_share = 1 - len(filled) / len(lines)
    if any(line.lstrip().startswith("#") for line in filled) or blank_share > 0.1:
        return 0.05
    questions = sum(1 for line in filled if kind(line) == "question")
    share = questions / len(filled)
    if questions >= 2 and share >= 0.12:
        return 0.7
    if questions >= 2 and share >= 0.05:
        return 0.3
    return 0.0


def parse(text: str, path: str = "<string>", deck_name: str | None = None) -> DeckSpec:
    path = str(path)
    lines = split_lines(text.lstrip("\ufeff"))
    filled = [i for i, line in enumerate(lines) if line.strip()]
    kinds = {i: kind(lines[i]) for i in filled}
    warnings: list[ParseWarning] = []
    if not filled:
        raise DeckError(path, None, "expected alternating question and answer lines, found an empty file")

    def warn(i: int, message: str) -> None:
        warnings.append(ParseWarning(path, i + 1, message))

    title = None
    first = filled[0]
    second_kind = kinds[filled[1]] if len(filled) > 1 else None
    if TITLE_SUFFIX.search(lines[first]) or (kinds[first] != "question" and second_kind == "question"):
        title = TITLE_SUFFIX.sub("", lines[first].strip()) or lines[first].strip()
        filled = filled[1:]
    if not filled:
        raise DeckError(path, first + 1, "expected a question line after the title, found nothing")

    cards: list[CardSpec] = []
    question_at: int | None = None  # 0-based line of the current question
    answer: list[str] = []  # raw lines from the first answer line on (blank lines inside kept)
    in_list = False  # inside a list introduced by a line ending in ':'

    def close() -> None:
        if question_at is None:
            return
        body = clean_block(answer)
        if not body:
            warn(question_at, f"question {short(lines[question_at])!r} has no answer line; skipped")
            return
        cards.append(CardSpec(question=lines[question_at].strip(), answer=body, line=question_at + 1))

    for position, i in enumerate(filled):
        line = lines[i]
        if question_at is None:
            if kinds[i] != "question":
                warn(i, f"the first card starts with {short(line)!r}, which does not look like a question")
            question_at, answer, in_list = i, [], False
            continue
        if not answer:
            if kinds[i] == "question":
                warn(i, f"{short(line)!r} looks like a question but is read as the answer to line "
                        f"{question_at + 1} (a question needs at least one answer line)")
            answer = [line]
            in_list = line.rstrip().endswith(":")
            continue
        if kinds[i] == "question" or (kinds[i] in ("title", "embedded") and not in_list
                                      and _starts_card(position, filled, kinds)):
            if kinds[i] != "question":
                warn(i, f"read {short(line)!r} as a new question (a {_describe(kinds[i])} followed by answer "
                        f"text); the card at line {question_at + 1} ends above it")
            close()
            question_at, answer, in_list = i, [], False
            continue
        # Keep blank lines that sit inside an answer.
        answer.extend(lines[filled[position - 1] + 1:i])
        answer.append(line)
        if line.rstrip().endswith(":"):
            in_list = True
    close()
    if not cards:
        raise DeckError(path, None, "expected alternating question and answer lines, found no card")
    name = deck_name or title or name_from_path(path)
    return make_deck(path, FORMAT, name, cards, warnings)


def _describe(k: str | None) -> str:
    return "short title-like line" if k == "title" else "sentence that asks a question"


def _starts_card(position: int, filled: list[int], kinds: dict[int, str | None]) -> bool:
    """Is the possible question at filled[position] (not a first answer line) a new card?"""
    previous = kinds[filled[position - 1]]
    if previous in ("title", "embedded"):
        return False  # part of a run of short lines: a list, not a heading
    following = [kinds[i] for i in filled[position + 1:position + 3]]
    if not following:
        return False
    if following[0] is None:
        return True
    return following[0] == "title" and len(following) > 1 and following[1] is None
