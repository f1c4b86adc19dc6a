"""Write one edited card back into its deck file, leaving every other byte of the file as it was.

Pure text in, text out: `replace_card(text, ...)` finds the card's note (by explicit id, key, or
the line it starts on), and swaps only that note's lines for the new card written in our format.
The caller validates the result by parsing it before anything touches the disk.
"""

from __future__ import annotations

from dataclasses import replace

from flashtrain.deck.markdown_format import MARKER, make_parser, parse_markdown_deck, write_markdown_deck
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec
from flashtrain.deck.note import note_key
from flashtrain.deck.text import split_lines, split_lines_keepends

_MD = make_parser()


class WritebackError(ValueError):
    """The card cannot be located in the file (it changed on disk since it was imported)."""


def _starts_card(line: str) -> bool:
    return bool(MARKER.match(line)) and line[0] in "QC"


def _newline(text: str) -> str:
    """The file's own line ending, so written lines match the rest."""
    return "\r\n" if "\r\n" in text else "\n"


def find_note(text: str, *, key: str | None = None, explicit_id: str | None = None, line: int | None = None,
              path: str = "<deck>") -> CardSpec:
    """The first CardSpec of the note the card belongs to. Tries id, then key, then the start line."""
    spec = parse_markdown_deck(text, path)
    notes = spec.cards
    if explicit_id:
        for card in notes:
            if card.explicit_id == explicit_id:
                return card
    if key:
        base = note_key(key)
        for card in notes:
            if note_key(card.key) == base:
                return card
    if line:
        for card in notes:
            if card.line == line:
                return card
    raise WritebackError(f"{path}: the card is no longer in this file (it changed since it was imported); "
                         "re-import the file, then edit again")


def note_span(text: str, start_line: int) -> tuple[int, int]:
    """0-based [start, end) lines of the note whose marker is on 1-based `start_line`.

    The note ends where the next top-level separator, heading or card marker begins; trailing blank
    lines stay outside the span so the spacing between cards is kept.
    """
    lines = split_lines(text)
    start = start_line - 1
    if not (0 <= start < len(lines)) or not _starts_card(lines[start]):
        raise WritebackError(f"line {start_line} does not start a card")
    end = len(lines)
    for token in _MD.parse(text):
        if token.level != 0 or token.map is None:
            continue
        t_start, t_end = token.map
        if t_start <= start:
            if token.type == "paragraph_open" and t_end > start + 1:
                # the paragraph holding the marker may hold the next card's marker too
                for i in range(start + 1, t_end):
                    if _starts_card(lines[i]):
                        end = min(end, i)
                        break
            continue
        if token.type in ("hr", "heading_open"):
            if token.type == "heading_open" and token.markup in ("-", "="):
                end = min(end, t_end - 1)  # "text\n---" reads as text then a separator
            else:
                end = min(end, t_start)
            break
        if token.type == "paragraph_open":
            hit = next((i for i in range(t_start, t_end) if _starts_card(lines[i])), None)
            if hit is not None:
                end = min(end, hit)
                break
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return start, end


def render_note(cards: list[CardSpec]) -> str:
    """One note in our format, without front matter or separators (no trailing newline)."""
    full = write_markdown_deck(DeckSpec(name="x", cards=tuple(cards)))
    body = full.split("---\n", 2)[2]  # drop the front matter written by write_markdown_deck
    return body.strip("\n")


def replace_card(text: str, new_cards: list[CardSpec], *, key: str | None = None, explicit_id: str | None = None,
                 line: int | None = None, path: str = "<deck>") -> str:
    """`text` with the note that holds the card replaced by `new_cards` (one note: a basic card, its
    reversed twin, or the cloze cards of one C: text). Every other byte is unchanged."""
    if not new_cards:
        raise ValueError("replace_card needs the new card")
    try:
        note = find_note(text, key=key, explicit_id=explicit_id, line=line, path=path)
    except DeckError as error:
        raise WritebackError(str(error)) from error
    start, end = note_span(text, note.line)
    newline = _newline(text)
    kept = split_lines_keepends(text)
    block = _rendered(new_cards, newline) + newline
    if end == len(kept) and not kept[-1].endswith(("\n", "\r")):
        block = block[: -len(newline)]  # the file ended without a newline; keep it that way
    return "".join(kept[:start]) + block + "".join(kept[end:])


def append_note(text: str, new_cards: list[CardSpec]) -> str:
    """`text` with one more note at the end, after a `---` separator (if the file has any content)."""
    newline = _newline(text)
    body = text.rstrip("\r\n")
    note = _rendered(new_cards, newline)
    return f"{body}{newline}{newline}---{newline}{newline}{note}{newline}" if body else note + newline


def _rendered(cards: list[CardSpec], newline: str) -> str:
    return newline.join(render_note([replace(card, line=0) for card in cards]).split("\n"))


def remove_note(text: str, *, key: str | None = None, explicit_id: str | None = None, line: int | None = None,
                path: str = "<deck>") -> str:
    """`text` without the note that holds the card (and one separator next to it); all else unchanged."""
    note = find_note(text, key=key, explicit_id=explicit_id, line=line, path=path)
    start, end = note_span(text, note.line)
    kept = split_lines_keepends(text)
    # take the blank lines and one '---' separator after the note, or else the separator before it
    after = end
    while after < len(kept) and not kept[after].strip():
        after += 1
    if after < len(kept) and kept[after].strip() == "---":
        after += 1
        while after < len(kept) and not kept[after].strip():
            after += 1
        return "".join(kept[:start]) + "".join(kept[after:])
    before = start
    while before > 0 and not kept[before - 1].strip():
        before -= 1
    if before > 0 and kept[before - 1].strip() == "---" and _is_card_separator(kept, before - 1):
        before -= 1
        while before > 0 and not kept[before - 1].strip():
            before -= 1
        tail = "".join(kept[end:]).lstrip("\r\n")
        return "".join(kept[:before]) + (_newline(text) + tail if tail else "")
    return "".join(kept[:start]) + "".join(kept[after:])


def _is_card_separator(lines: list[str], index: int) -> bool:
    """A '---' line that is not the closing line of the front matter."""
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return i != index
    return True
