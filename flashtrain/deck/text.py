"""Line handling shared by every deck format, so all of them count lines the same way."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as editors and markdown-it count them: only \\n, \\r\\n and \\r end a line.

    (str.splitlines also breaks at \\x0b, \\x0c, \\x1c-\\x1e, \\x85, \\u2028 and \\u2029, which would
    shift every reported line number after such a character.)
    """
    lines = LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def head_lines(text: str, count: int) -> list[str]:
    """`split_lines(text)[:count]` without splitting the rest of a large file."""
    pieces = LINE_BREAK.split(text, maxsplit=count)
    if len(pieces) > count:
        return pieces[:count]
    if pieces and pieces[-1] == "":
        pieces.pop()
    return pieces


def head_splitlines(text: str, count: int) -> list[str]:
    """`text.splitlines()[:count]` without splitting the rest of a large file."""
    size = 4096
    while True:
        head = text[:size]
        lines = head.splitlines()
        if len(lines) > count or len(head) == len(text):  # the first `count` lines ended inside `head`
            return lines[:count]
        size *= 4


def may_contain_caseless(text: str, phrase: str) -> bool:
    """False only when `text` certainly holds no `phrase` in any letter case (`phrase` in lower case):
    a cheap test before a case-insensitive search of a whole large file. Exact for ASCII text;
    other text may match in ways lower() does not show (the Kelvin sign, the long s), so True."""
    if not text.isascii():
        return True
    step = 1 << 20  # looked at piece by piece: no lower-case copy of a whole large file
    return any(phrase in text[i:i + step + len(phrase)].lower() for i in range(0, len(text), step))


def split_lines_keepends(text: str) -> list[str]:
    """`split_lines` with each line's own ending kept, so joining them gives `text` back exactly."""
    return [line for line in re.split(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)", text) if line]


def clean_block(lines: Iterable[str]) -> str:
    """Drop leading/trailing blank lines and trailing spaces; keep the inner layout exactly."""
    body = [line.rstrip() for line in lines]
    while body and not body[0]:
        body.pop(0)
    while body and not body[-1]:
        body.pop()
    return "\n".join(body)


def name_from_path(path: str) -> str:
    """'003_batch-norm notes.txt' -> 'Batch norm notes': the deck name a file gets when it names none."""
    stem = Path(path).stem
    name = re.sub(r"[-_]+", " ", re.sub(r"^\d+[-_ ]*", "", stem)).strip() or stem
    return name[:1].upper() + name[1:]
