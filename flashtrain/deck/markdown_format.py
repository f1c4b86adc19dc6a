"""flashtrain's own deck format: Markdown with `Q:`/`A:` cards (documented in cards/README.md).

The block structure comes from markdown-it-py's token stream, so a `Q:` inside a code fence, a
list or a math block is never mistaken for a new card; the text of each field is then sliced from
the source lines, so the author's Markdown (math, fences, lists) is kept exactly.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path


from flashtrain.deck.markdown_scan import blocks_from_tokens, scan_blocks
from flashtrain.deck.note import CLOZE, cloze_numbers, cloze_sides, gap_number  # noqa: F401 - where callers find them
from flashtrain.deck.model import DeckError, DeckSpec, ParseWarning, make_card, notes, split_tags
from flashtrain.deck.text import LINE_BREAK, clean_block, name_from_path

MARKER = re.compile(r"^(Q|A|C):(?:[ \t]+|$)(.*)$")
FIELD = re.compile(r"^(id|tags|hint|snippet|reversed)[ \t]*:[ \t]*(.*)$", re.IGNORECASE)
# A line that would end the card: an ATX heading, a thematic break or a setext underline.
CARD_BREAK = r" {0,3}(?:#{1,6}(?:[ \t].*)?|(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|=+[ \t]*|-+[ \t]*)$"
ESCAPED = re.compile(r"^\\+((?:Q|A|C):|(?:id|tags|hint|snippet|reversed)[ \t]*:|(?=" + CARD_BREAK + "))",
                     re.IGNORECASE)
TRUE_WORDS = {"yes", "true", "1", "on"}
FALSE_WORDS = {"no", "false", "0", "off", ""}
YES_OR_NO = TRUE_WORDS | FALSE_WORDS
EXPLICIT_ID = re.compile(r"[\w.:/-]+")
DECK_KEYS = {"name", "deck", "description", "tags"}


def make_parser():
    """Block structure only: the inline pass is switched off because cards keep their source text."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    return MarkdownIt("commonmark").use(front_matter_plugin).use(dollarmath_plugin).disable("inline")


# markdown-it is loaded on first use: a deck the line scanner reads whole never needs it.
_markdown = cache(make_parser)


@cache
def _card_markdown():
    """For the writer's look at one card's text: no front matter there, so '---' first is a separator."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark").use(dollarmath_plugin).disable("inline")


class _Field:
    """One side of a card: the text after its marker and the line where the side ends."""

    __slots__ = ("first_line", "first_text", "end")

    def __init__(self, first_line: int, first_text: str) -> None:
        self.first_line = first_line  # 0-based index of the marker line
        self.first_text = first_text  # what follows the marker on that line
        self.end = first_line + 1  # 0-based exclusive end line


class _Draft:
    """A card being read: its sides so far and its field lines (`id:`, `tags:` ...)."""

    __slots__ = ("kind", "line", "question", "answer", "fields", "fields_line")

    def __init__(self, kind: str, line: int, first_text: str) -> None:
        self.kind = kind  # "Q" or "C"
        self.line = line  # 0-based marker line
        self.question = _Field(line, first_text)
        self.answer: _Field | None = None
        self.fields: dict[str, list[tuple[int, str]]] = {}
        self.fields_line: int | None = None


def parse_markdown_deck(text: str, path: str | Path = "<string>", deck_name: str | None = None,
                        scan: bool = True) -> DeckSpec:
    """Parse one deck file. Raises DeckError (with path:line) on anything that is not a card.

    The blocks come from the line scanner where it is sure of them (deck/markdown_scan.py), else
    from markdown-it; `scan=False` takes them all from markdown-it (the two agree: a test shows it)."""
    path = str(path)
    text = text.lstrip("\ufeff")
    # Only \n, \r\n and \r end a line, as for markdown-it; str.splitlines would also break at
    # U+2028 and friends and shift every line number after them.
    # (not split_lines: a trailing empty line keeps its index)
    lines = text.split("\n") if "\r" not in text else LINE_BREAK.split(text)
    parser = _DeckParser(path, lines)
    if scan:
        blocks = scan_blocks(lines, lambda first, window: blocks_from_tokens(_markdown().parse(window), first))
    else:
        blocks = blocks_from_tokens(_markdown().parse(text))
    meta = {}
    for block in blocks:
        kind, start = block[0], block[1]
        if kind == "paragraph":
            parser.paragraph(start, block[2])
        elif kind == "front_matter":
            meta = parser.front_matter(block[3], start)
        elif kind == "setext":
            # "text\n---" is a setext heading to CommonMark; in a deck it is text then a separator.
            parser.paragraph(start, block[2] - 1)
            if block[3] == "-":
                parser.separator(block[2] - 1)
        elif kind == "heading":
            parser.section_heading(start)
        elif kind == "hr":
            parser.separator(start)
        else:
            parser.unclosed(start, block[2], block[3], block[4])
            parser.block(start, block[2], block[3])
    parser.finish()
    name = deck_name or meta.get("name") or name_from_path(path)
    return DeckSpec(
        name=name,
        description=meta.get("description", ""),
        tags=tuple(meta.get("tags", ())),
        cards=tuple(parser.cards),
        path=path,
        format="markdown",
        warnings=tuple(parser.warnings),
    )


class _DeckParser:
    def __init__(self, path: str, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        self.cards: list[CardSpec] = []
        self.warnings: list[ParseWarning] = []
        self.draft: _Draft | None = None
        self.escaped_lines: set[int] = set()  # paragraph lines starting with "\\": a \Q: style escape

    def error(self, line0: int, message: str) -> DeckError:
        return DeckError(self.path, line0 + 1, message)

    # -- front matter -------------------------------------------------------------------------
    def front_matter(self, content: str, start: int) -> dict:
        meta: dict = {}
        pending_list: str | None = None
        for offset, raw in enumerate(content.splitlines()):
            line0 = start + 1 + offset
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if pending_list and stripped.startswith("- "):
                meta.setdefault(pending_list, []).append(_unquote(stripped[2:]))
                continue
            match = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", stripped)
            if not match:
                raise self.error(line0, f"expected 'key: value' in the front matter, found {_quoted(stripped)}")
            key, value = match.group(1).lower(), match.group(2).strip()
            pending_list = None
            if key not in DECK_KEYS:
                self.warnings.append(ParseWarning(self.path, line0 + 1, f"unknown front-matter key {key!r} ignored "
                                                  f"(known: {', '.join(sorted(DECK_KEYS))})"))
                continue
            if key == "tags":
                if value.startswith("[") and value.endswith("]"):
                    meta["tags"] = list(split_tags(value[1:-1].replace("'", "").replace('"', "")))
                elif value:
                    meta["tags"] = list(split_tags(value))
                else:
                    pending_list = "tags"
            else:
                meta["name" if key == "deck" else key] = _unquote(value)
        if "tags" in meta:
            meta["tags"] = split_tags(",".join(meta["tags"]))
        return meta

    # -- blocks -------------------------------------------------------------------------------
    def paragraph(self, start: int, end: int) -> None:
        lines = self.lines
        run_start = start
        for i in range(start, end):
            line = lines[i]
            if line[:1] == "\\":
                self.escaped_lines.add(i)
            match = MARKER.match(line) if line[1:2] == ":" else None
            if match:
                if i > run_start:
                    self.content(run_start, i)
                self.marker(match.group(1), i, match.group(2))
                run_start = i + 1
        if run_start < end:
            self.content(run_start, end, allow_fields=True)

    def marker(self, letter: str, line0: int, rest: str) -> None:
        if letter != "A":
            if self.draft is not None:
                self.close_card()
            self.draft = _Draft(letter, line0, rest)
            return
        draft = self.draft
        if draft is None:
            raise self.error(line0, "found 'A:' before any 'Q:'; every answer needs a question above it")
        if draft.answer is not None:
            raise self.error(line0, f"second 'A:' for the card that starts at line {draft.line + 1}; "
                                    "start a new card with 'Q:'")
        draft.answer = _Field(line0, rest)  # for a cloze card ('C:'): extra shown on the back

    def content(self, start: int, end: int, allow_fields: bool = False) -> None:
        draft = self.draft
        if draft is None:
            raise self.error(start, f"expected 'Q:' or 'C:' to start a card, found {_quoted(self.lines[start])}")
        if allow_fields and (draft.answer is not None or draft.kind == "C"):
            field_start, found = end, []
            while field_start > start:
                match = FIELD.match(self.lines[field_start - 1])
                if not match:
                    break
                found.append(match)
                field_start -= 1
            if field_start < end:
                if field_start > start:
                    self.extend(draft, start, field_start)
                self.fields(draft, field_start, found[::-1])
                return
        self.extend(draft, start, end)

    def extend(self, draft: _Draft, start: int, end: int) -> None:
        if draft.fields_line is not None:
            raise self.error(start, f"card text after its fields (line {draft.fields_line + 1}); "
                                    "id:, tags:, hint:, snippet: and reversed: go at the end of the card")
        target = draft.answer or draft.question
        target.end = end

    def fields(self, draft: _Draft, start: int, matches: list[re.Match]) -> None:
        """The field lines from line `start` on, as matched by FIELD (in order)."""
        if draft.fields_line is None:
            draft.fields_line = start
        fields = draft.fields
        for i, match in enumerate(matches, start):
            key, value = match.groups()
            key = key.lower()
            entries = fields.get(key)
            if entries is None:
                fields[key] = [(i, value.strip())]
            else:
                entries.append((i, value.strip()))

    def block(self, start: int, end: int, kind: str) -> None:
        if self.draft is None:
            if kind == "html_block" and self.lines[start].lstrip().startswith("<!--"):
                return  # comments between cards are allowed
            raise self.error(start, f"expected 'Q:' or 'C:' to start a card, found {_quoted(self.lines[start])}")
        self.extend(self.draft, start, end)

    def unclosed(self, start: int, end: int, kind: str, markup: str) -> None:
        """A fence, math block or HTML comment left open runs to the end of the file and swallows
        every card after it: say so (it is still read, as the author wrote it)."""
        if end < len(self.lines) - 1:
            return  # ends before the file does, so it was closed
        lines = self.lines[start:end]
        if kind == "fence":
            closer = lines[-1].strip() if len(lines) > 1 else ""
            closed = bool(closer) and set(closer) == {markup[0]} and len(closer) >= len(markup)
            what, close = f"code fence ({markup})", markup
        elif kind == "math_block":
            closed = len(lines) > 1 and lines[-1].rstrip().endswith("$$") or lines[0].strip().count("$$") >= 2
            what, close = "math block ($$)", "$$"
        elif kind == "html_block" and lines[0].lstrip().startswith("<!--"):
            closed = "-->" in "\n".join(lines)
            what, close = "HTML comment (<!--)", "-->"
        else:
            return
        if closed or end < len(self.lines) - 1:
            return
        swallowed = sum(1 for line in lines[1:] if line[:2] in ("Q:", "C:") and MARKER.match(line))
        cards = f"; {swallowed} 'Q:'/'C:' line(s) in it are not read as cards" if swallowed else ""
        self.warnings.append(ParseWarning(self.path, start + 1, f"this {what} is never closed, so everything after "
                                          f"it to the end of the file is part of it{cards}; close it with {close}"))

    def separator(self, line0: int) -> None:
        self.close_card()

    def section_heading(self, line0: int) -> None:
        # A '#' heading is a section title between cards; it ends the card above.
        self.close_card()

    def finish(self) -> None:
        self.close_card()

    # -- building cards -----------------------------------------------------------------------
    def field_text(self, f: _Field) -> str:
        if f.end == f.first_line + 1:
            return f.first_text.rstrip()  # clean_block of one line
        body = [f.first_text] + [
            _unescape(self.lines[i]) if i in self.escaped_lines else self.lines[i]
            for i in range(f.first_line + 1, f.end)
        ]
        return clean_block(body)

    def close_card(self) -> None:
        draft, self.draft = self.draft, None
        if draft is None:
            return
        question = self.field_text(draft.question)
        where = draft.line
        if not question:
            raise self.error(where, "the card has an empty question")
        fields = draft.fields
        if not fields:
            tags, explicit_id, hints, snippet, reversed_word = (), None, (), None, ""
        else:
            tags, explicit_id, hints, snippet, reversed_word = self.card_fields(draft, where)
        line = where + 1
        if draft.kind == "C":
            gaps = CLOZE.findall(question)
            if not gaps:
                raise self.error(where, "a cloze card ('C:') needs at least one {{deletion}}")
            numbered = [gap_number(gap) is not None for gap in gaps]
            if any(numbered) and not all(numbered):
                raise self.error(where, "this cloze note mixes numbered gaps ({{c1::…}}) with plain ones ({{…}}): "
                                        "number every gap, or none")
            if reversed_word in TRUE_WORDS:
                raise self.error(fields["reversed"][0][0], "a cloze card cannot be reversed")
            extra = self.field_text(draft.answer) if draft.answer is not None else ""
            for index in cloze_numbers(question):
                self.cards.append(make_card(question, extra, line, tags, explicit_id, hints, snippet, "cloze", index))
            return
        if draft.answer is None:
            absorbed = any(line.startswith("A:") for line in self.lines[draft.line + 1:draft.question.end])
            hint = " (an 'A:' line right under a list or quote belongs to it: leave a blank line before 'A:')"
            raise self.error(where, "the card has a question but no 'A:' answer" + (hint if absorbed else ""))
        answer = self.field_text(draft.answer)
        if not answer:
            raise self.error(draft.answer.first_line, "the card has an empty answer")
        self.cards.append(make_card(question, answer, line, tags, explicit_id, hints, snippet))
        if reversed_word in TRUE_WORDS:
            self.cards.append(make_card(question, answer, line, tags, explicit_id, hints, snippet, "reversed"))

    def card_fields(self, draft: _Draft, where: int) -> tuple[tuple[str, ...], str | None, tuple[str, ...], str | None, str]:
        """The tags, explicit id, hints, snippet and reversed word its `id:`, `tags:`, `hint:`,
        `snippet:`, `reversed:` lines give."""
        fields = draft.fields
        for key, entries in fields.items():
            if len(entries) > 1 and key in ("id", "snippet", "reversed"):
                raise self.error(entries[1][0], f"'{key}:' given twice for the card at line {where + 1}")
        ids = fields.get("id")
        explicit_id = ids[0][1] if ids else None
        if explicit_id is not None and not EXPLICIT_ID.fullmatch(explicit_id):
            raise self.error(ids[0][0], f"an id may hold letters, digits and . _ - : / only, got {explicit_id!r}")
        snippets = fields.get("snippet")
        snippet = snippets[0][1] or None if snippets else None
        tag_lines = fields.get("tags")
        if not tag_lines:
            tags = ()
        else:
            tags = split_tags(tag_lines[0][1] if len(tag_lines) == 1 else ",".join(value for _, value in tag_lines))
        hint_lines = fields.get("hint")
        hints = tuple(value for _, value in hint_lines if value) if hint_lines else ()
        reversed_lines = fields.get("reversed")
        reversed_word = reversed_lines[0][1].lower() if reversed_lines else ""
        if reversed_word not in YES_OR_NO:
            raise self.error(reversed_lines[0][0], f"'reversed:' takes yes or no, got {reversed_word!r}")
        return tags, explicit_id or None, hints, snippet, reversed_word


def _quoted(line: str, limit: int = 60) -> str:
    """A source line for an error message: one short line, even for a 30 MB line of junk."""
    text = line.strip()
    return repr(text if len(text) <= limit else text[:limit - 1] + "…")


def _unescape(line: str) -> str:
    return line[1:] if ESCAPED.match(line) else line


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


# -- cloze display ------------------------------------------------------------------------------
# -- writing ------------------------------------------------------------------------------------
def _escape(text: str, first_inline: bool = True) -> str:
    """Escape paragraph lines that would read as a marker or a field (never inside code or math)."""
    lines = text.split("\n")
    paragraph_lines: set[int] = set()
    breaks: set[int] = set()  # heading, separator and setext-underline lines: they would end the card
    for token in _card_markdown().parse(text):
        if token.level != 0 or not token.map:
            continue
        if token.type == "paragraph_open":
            paragraph_lines.update(range(*token.map))
        elif token.type == "heading_open" and token.markup in ("-", "="):
            paragraph_lines.update(range(token.map[0], token.map[1] - 1))
            breaks.add(token.map[1] - 1)
        elif token.type in ("heading_open", "hr"):
            breaks.add(token.map[0])
    if not first_inline and lines and re.match(CARD_BREAK, lines[0]):
        breaks.add(0)  # right under the marker line, a lone '===' or '---' would underline it
    for i in sorted(paragraph_lines | breaks):
        if (i or not first_inline) and (i in breaks or MARKER.match(lines[i]) or FIELD.match(lines[i])
                                        or ESCAPED.match(lines[i])):
            lines[i] = "\\" + lines[i]
    return "\n".join(lines)


def _field(marker: str, text: str) -> str:
    """`Q: text` when the text opens with plain prose, else the marker alone on its line."""
    first = text.split("\n", 1)[0]
    inline = bool(re.match(r"[\w(\"'¿¡]|\$(?!\$)", first)) and not re.match(r"\d+[.)]\s", first)
    return f"{marker}: {_escape(text)}" if inline else f"{marker}:\n{_escape(text, False)}"


def _one_line(text: str) -> str:
    """A field value on one line; inner spacing is kept unless the value spans lines."""
    text = text.strip()
    return " ".join(text.split()) if "\n" in text or "\r" in text else text


def _is_one_paragraph(text: str) -> bool:
    """True when a following `A:` line can sit directly under the text (it would not be absorbed)."""
    blocks = [t for t in _markdown().parse(text) if t.level == 0 and t.nesting >= 0 and t.type != "inline"]
    return len(blocks) == 1 and blocks[0].type == "paragraph_open"


def _yaml_scalar(value: str) -> str:
    if value == "" or re.search(r"[:#\[\]{}\"',]|^\s|\s$", value) or value.lower() in TRUE_WORDS | FALSE_WORDS:
        return '"' + value.replace('"', "'") + '"'
    return value


def write_markdown_deck(deck: DeckSpec) -> str:
    """Render a deck in our format. Parsing the result gives back the same cards."""
    out = ["---", f"name: {_yaml_scalar(deck.name)}"]
    if deck.description:
        out.append(f"description: {_yaml_scalar(' '.join(deck.description.split()))}")
    if deck.tags:
        out.append(f"tags: [{', '.join(deck.tags)}]")
    out += ["---", ""]
    for card, has_reverse in notes(deck.cards):
        if card.kind == "cloze":
            out.append(_field("C", card.question))
            if card.answer.strip():  # extra shown on the back (Anki's Back Extra)
                if not _is_one_paragraph(card.question):
                    out.append("")
                out.append(_field("A", card.answer))
        else:
            out.append(_field("Q", card.question))
            if not _is_one_paragraph(card.question):
                out.append("")  # an `A:` right under a list or quote would be read as part of it
            out.append(_field("A", card.answer))
        fields = []
        if card.explicit_id:
            fields.append(f"id: {card.explicit_id}")
        if card.tags:
            fields.append(f"tags: {', '.join(card.tags)}")
        fields += [f"hint: {_one_line(h)}" for h in card.hints]
        if card.snippet:
            fields.append(f"snippet: {card.snippet}")
        if has_reverse:
            fields.append("reversed: yes")
        if fields:
            out.append("")
            out += fields
        out += ["", "---", ""]
    if out[-2:] == ["---", ""]:
        del out[-2:]  # no separator after the last card
    return "\n".join(out).rstrip("\n") + "\n"
