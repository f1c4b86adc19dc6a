"""The block structure of a deck file, found by a line scanner where it is certain, else by markdown-it.

`parse_markdown_deck` needs only the top-level blocks of a file (paragraphs, headings, separators,
fences and other blocks) with their line ranges. For the lines a deck is mostly made of - `Q:`/`A:`
paragraphs, blank lines, `---` separators, `#` headings, code fences and simple lists - a scanner
finds them about twenty times faster than markdown-it's block parser; for anything else (HTML,
block quotes, indented or tab-indented blocks, front matter, reference definitions, lazy list
continuations ...) it hands that stretch of the file to markdown-it.

The file is cut into chunks at "restart points": a line that starts with an ASCII letter right
after a blank line. At such a line nothing CommonMark can hold open is still open, unless a fence,
an HTML block or front matter runs across it; so a chunk is either scanned (the scanner gives up
on the chunk when it is unsure of any line in it) or parsed by markdown-it alone, and then grown
to the next restart point until no fence or HTML block in it runs to its end. Both paths give the
same blocks (tests/deck/test_markdown_scan.py compares them on generated and on the bundled decks).

A block is a tuple: ("front_matter", start, end, content), ("paragraph", start, end),
("setext", start, end, markup), ("heading", start), ("hr", start) or ("block", start, end, kind,
markup); lines are 0-based, ends exclusive, as in markdown-it's token maps.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from string import ascii_letters
from collections.abc import Iterable, Iterator

Block = tuple

_ATX = re.compile(r"#{1,6}(?:[ \t]|$)")
_HR = re.compile(r"(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_SETEXT = re.compile(r"(?:=+|-+)[ \t]*$")
_BULLET = re.compile(r"[-*+] (?=[^ \t])")  # an item with one space before its text: content at column 2
_ORDERED = re.compile(r"(\d{1,9})[.)] (?=[^ \t])")
_ANY_ITEM = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")  # what markdown-it may read as an item
_FENCE = re.compile(r"(`{3,}|~{3,})(.*)")
# First characters that may open a block other than a paragraph (or be indentation).
_SPECIAL_START = frozenset(" \t#><-*+_`~$[=0123456789")
_ASCII_LETTERS = frozenset(ascii_letters)


def scan_blocks(lines: list[str], parse_window) -> Iterator[Block]:
    """Top-level blocks of the file whose lines these are (split at \\n, \\r\\n and \\r only).

    `parse_window(first, text)` parses `text` (lines from `first` on) with markdown-it and returns
    its blocks with file line numbers; it is called for the chunks the scanner is unsure of."""
    n = len(lines)
    # As markdown-it: only spaces and tabs make a line blank. Kept as bytes and machine integers,
    # not lists of Python objects: 1 instead of 14 MB at 100,000 cards, while the cards pile up.
    blank = bytearray([not line.strip(" \t") for line in lines])
    restarts = array("q", [j for j in range(1, n) if blank[j - 1] and lines[j][:1] in _ASCII_LETTERS])
    restarts.append(n)
    position = 0  # restarts[position] is the first restart after `start`
    start = 0
    front = _front_matter(lines) if n and lines[0][:1] == "-" else None
    if front is not None:  # the scan goes on right after it, or markdown-it reads the file's start as before
        after = _scan_chunk(lines, blank, front[2], _restart_after(restarts, front[2]), restarts)
        if after is not None:
            yield front
            yield from after[0]
            start = after[1]
    while start < n:
        while restarts[position] <= start:
            position += 1
        end = restarts[position]
        scanned = None if start == 0 and lines[0][:1] == "-" else _scan_chunk(lines, blank, start, end, restarts)
        if scanned is None:
            blocks, end = _parse_window(lines, start, end, parse_window, restarts)
        else:
            blocks, end = scanned
        yield from blocks
        start = end


def _front_matter(lines: list[str]) -> Block | None:
    """Front matter in its plain form: `---` alone on the first line and on a later one, and no line
    between that markdown-it's front-matter rule might read otherwise (one starting with `-` or `.`
    or holding a NUL, which markdown-it replaces). None when unsure: markdown-it then decides."""
    if lines[0] != "---":
        return None
    for j in range(1, len(lines)):
        line = lines[j]
        if line == "---":
            return ("front_matter", 0, j + 1, "\n".join(lines[1:j]))
        if line.lstrip(" \t")[:1] in ("-", ".") or "\x00" in line:
            return None
    return None


def _is_blank(line: str) -> bool:
    return not line.strip(" \t")


def _restart_after(restarts: array, line: int) -> int:
    """The first restart point at or after `line` (the last entry is the number of lines)."""
    return restarts[min(bisect_left(restarts, line), len(restarts) - 1)]


def _parse_window(lines: list[str], start: int, end: int, parse_window, restarts: array) -> tuple[list[Block], int]:
    """markdown-it on lines[start:end], grown until no fence or HTML block in it may run past its end."""
    n = len(lines)
    while True:
        if end >= n:
            return list(parse_window(start, "\n".join(lines[start:]))), n
        # Every line ends with a line break, so a block left open runs to `end` exactly.
        blocks = list(parse_window(start, "\n".join(lines[start:end]) + "\n"))
        if start == 0 and lines[0].startswith("---") and not any(b[0] == "front_matter" for b in blocks):
            end = n  # front matter not closed in the window: only the whole file can say
        elif any(b[0] == "block" and b[3] in ("fence", "html_block") and b[2] >= end for b in blocks):
            end = _restart_after(restarts, max(end + 1, start + 2 * (end - start)))
        else:
            return blocks, end


def _scan_chunk(lines: list[str], blank: bytearray, start: int, end: int, restarts: array) -> tuple[list[Block], int] | None:
    """The blocks of lines[start:end] (a fence may carry the end further), or None when a line is
    not certainly what it seems."""
    n = len(lines)
    out: list[Block] = []
    i = start
    while i < end:
        if blank[i]:
            i += 1
            continue
        line = lines[i]
        kind = "paragraph" if line[0] not in _SPECIAL_START else _start_kind(line)
        if kind == "paragraph":
            if line[0] == "[":
                return None  # maybe a link reference definition, which markdown-it drops
            j, underline = i + 1, None
            while j < end and not blank[j]:
                if lines[j][0] not in _SPECIAL_START:  # plain text: the paragraph goes on
                    j += 1
                    continue
                how = _after_paragraph_line(lines[j])
                if how is None:
                    return None
                if how == "setext":
                    underline = lines[j].strip(" \t")[0]
                if how != "continues":
                    break
                j += 1
            if underline:
                out.append(("setext", i, j + 1, underline))
                i = j + 1
            else:
                out.append(("paragraph", i, j))
                i = j
        elif kind == "heading":
            out.append(("heading", i))
            i += 1
        elif kind == "hr":
            out.append(("hr", i))
            i += 1
        elif kind == "fence":
            marker = _FENCE.match(line).group(1)
            close = _fence_end(lines, i, n, marker)
            if close is None:  # never closed: it runs to the end of the file, as markdown-it reads it
                out.append(("block", i, n - 1 if lines[-1] == "" else n, "fence", marker))
                return out, n
            out.append(("block", i, close, "fence", marker))
            i = close
            if close > end:
                end = _restart_after(restarts, close)
        elif kind == "list":
            close = _list_end(lines, blank, i, end)
            if close is None:
                return None
            out.append(("block", i, close, "list", ""))
            i = close
        else:
            return None
    return out, end


def _start_kind(line: str) -> str | None:
    """What a non-blank line opens when a block starts at it (not inside a paragraph)."""
    first = line[0]
    if first not in _SPECIAL_START:
        return "paragraph"
    if first in " \t<>":
        return None
    if first == "#":
        return "heading" if _ATX.match(line) else "paragraph"
    if first in "-*_" and _HR.match(line):
        return "hr"
    if first in "`~":
        fence = _FENCE.match(line)
        if fence is None:
            return "paragraph"
        return None if first == "`" and "`" in fence.group(2) else "fence"
    if first == "$":
        return None if line.startswith("$$") else "paragraph"
    if _item_indent(line):
        return "list"
    if _ANY_ITEM.match(line):
        return None  # an empty item, a tab or several spaces after the marker
    return "paragraph"


def _after_paragraph_line(line: str) -> str | None:
    """A non-blank line after a paragraph line: "continues" it, "setext" underlines it, "ends" it (a
    heading, break, fence or list item starts there), or None when unsure."""
    stripped = line.lstrip(" ")
    indent = len(line) - len(stripped)
    if stripped[:1] == "\t":
        return None
    if indent >= 4:
        return "continues"  # an indented line after a paragraph is a lazy continuation, not code
    first = stripped[0]
    if first not in _SPECIAL_START:
        return "continues"
    if first in "=-" and _SETEXT.match(stripped):
        return "setext"
    ends = "ends" if not indent else None  # the scanner starts blocks at column 0 only
    if first == "#":
        return ends if _ATX.match(stripped) else "continues"
    if first in "-*_" and _HR.match(stripped):
        return ends
    if first in "`~":
        fence = _FENCE.match(stripped)
        if fence is None:
            return "continues"
        return None if first == "`" and "`" in fence.group(2) else ends
    if first in "<>":
        return None
    if first in "-*+":
        if _BULLET.match(stripped):
            return ends
        return None if _ANY_ITEM.match(stripped) else "continues"
    if first.isdigit():
        ordered = _ORDERED.match(stripped)
        if ordered and ordered.group(1) == "1":
            return ends
        return None if _ANY_ITEM.match(stripped) else "continues"
    return "continues"  # "$$" (math does not interrupt a paragraph), "[", "=", "_" ...


def _item_indent(line: str) -> int:
    """The content column of a list item with one space after its marker, else 0."""
    if _BULLET.match(line):
        return 2
    ordered = _ORDERED.match(line)
    return len(ordered.group(1)) + 2 if ordered else 0


def _fence_end(lines: list[str], i: int, end: int, marker: str) -> int | None:
    """The line after the fence's closing line, or None when it is never closed."""
    char = marker[0]
    for j in range(i + 1, end):
        line = lines[j]
        stripped = line.lstrip(" ")
        # A tab before the marker puts it at column 4 or more: content, like 4 spaces.
        if not stripped.startswith(char) or len(line) - len(stripped) >= 4:
            continue
        run = len(stripped) - len(stripped.lstrip(char))
        if run >= len(marker) and _is_blank(stripped[run:]):
            return j + 1
    return None


def _list_end(lines: list[str], blank: bytearray, i: int, end: int) -> int | None:
    """The line after a list that starts at line i, or None when a line may belong to it lazily."""
    indent = _item_indent(lines[i])
    last = i
    for j in range(i + 1, end):
        if blank[j]:
            continue
        line = lines[j]
        after_blank = last < j - 1
        stripped = line.lstrip(" ")
        lead = len(line) - len(stripped)
        if stripped[:1] == "\t":
            return None
        if lead >= indent:
            last = j  # the item's own content (any block, nested lists too)
            continue
        if lead:
            return None
        if not _HR.match(line) and _item_indent(line):
            indent, last = _item_indent(line), j
            continue
        return last + 1 if after_blank else None
    return last + 1


def blocks_from_tokens(tokens: Iterable, offset: int = 0) -> Iterator[Block]:
    """markdown-it's top-level tokens as blocks, lines moved down by `offset`."""
    for token in tokens:
        if token.level != 0 or token.map is None:
            continue
        start, end = token.map[0] + offset, token.map[1] + offset
        kind = token.type
        if kind == "front_matter":
            yield ("front_matter", start, end, token.content)
        elif kind == "paragraph_open":
            yield ("paragraph", start, end)
        elif kind == "heading_open" and token.markup in ("-", "="):
            yield ("setext", start, end, token.markup)
        elif kind == "heading_open":
            yield ("heading", start)
        elif kind == "hr":
            yield ("hr", start)
        elif kind.endswith("_close") or kind == "inline":
            continue
        else:
            yield ("block", start, end, kind, token.markup)
