"""A card's front and back as our Markdown, from its notetype's templates and its note's fields.

Anki's templates are a small Mustache dialect: `{{Field}}`, `{{#Field}}…{{/Field}}` (shown when the
field is non-empty), `{{^Field}}…{{/Field}}` (when empty), filters such as `{{text:Field}}`,
`{{hint:Field}}`, `{{cloze:Text}}` and `{{type:Field}}` (a typing box: nothing to show here), and
`{{FrontSide}}` on the back. Rendering every notetype this way makes Basic, the reversed variants,
Cloze and any user-made notetype come out as the learner saw them in Anki.

The answer we store is the back *without* the repeated front: Anki's back template starts with
`{{FrontSide}}` and `<hr id=answer>`, and our study screen shows the question above the answer.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flashtrain.deck.anki.markup import html_to_markdown

TAG = re.compile(r"\{\{([#^/]?)([^{}]*?)\}\}")
ANSWER_RULE = re.compile(r"<hr[^>]*id\s*=\s*[\"']?answer[\"']?[^>]*>", re.IGNORECASE)
CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
HTML_TAG = re.compile(r"<[^>]+>")


def render_template(template: str, fields: dict[str, str], cloze_number: int, side: str) -> str:
    """The template filled in as HTML. Unknown fields render empty, as Anki shows them."""
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # open sections: (field, showing)
    showing = True
    for literal, kind, name, parts in _compiled(template):
        if showing and literal:
            out.append(literal)
        if kind == "=":
            if showing:
                out.append(fields.get(name, ""))
        elif kind in ("#", "^"):
            filled = bool(_strip_html(fields.get(name, "")).strip()) if not _is_cloze_section(name) else \
                _has_cloze(fields, name, cloze_number)
            stack.append((name, showing))
            showing = showing and (filled if kind == "#" else not filled)
        elif kind == "/":
            if stack:
                showing = stack.pop()[1]
        elif kind == "" and showing:
            out.append(_field(name, parts, fields, cloze_number, side))
    return "".join(out)


@lru_cache(maxsize=256)
def _compiled(template: str) -> tuple[tuple[str, str | None, str, tuple[str, ...]], ...]:
    """A template as (literal before, tag kind, name, name's `:` parts) steps, parsed once per
    notetype template: kind is "#", "^", "/", "" (a field), "=" (a field shown as it is: no filter,
    not FrontSide) or None (the literal after the last tag); a field's parts are its filters, then
    the field (`{{cloze:Text}}`)."""
    steps = []
    pos = 0
    for match in TAG.finditer(template):
        name = match.group(2).strip()
        parts = tuple(part.strip() for part in name.split(":"))
        kind = match.group(1)
        if kind == "" and len(parts) == 1 and name != "FrontSide":
            kind = "="
        steps.append((template[pos:match.start()], kind, name, parts))
        pos = match.end()
    steps.append((template[pos:], None, "", ()))
    return tuple(steps)


def _is_cloze_section(name: str) -> bool:
    return name.startswith("cloze:")


def _has_cloze(fields: dict[str, str], name: str, number: int) -> bool:
    text = fields.get(name.split(":", 1)[1], "")
    return any(int(m.group(1)) == number for m in CLOZE.finditer(text))


def _field(spec: str, parts: tuple[str, ...], fields: dict[str, str], cloze_number: int, side: str) -> str:
    if spec == "FrontSide":
        return ""  # our answer never repeats the question
    *filters, name = parts
    value = fields.get(name, "")
    for name_filter in reversed(filters):
        if name_filter == "type":  # a typing box on the front; the back compares against the field
            return "" if side == "front" else _strip_html(value)
        if name_filter.startswith("tts"):
            return ""
        if name_filter == "cloze":
            value = render_cloze(value, cloze_number, side)
        elif name_filter == "text":
            value = _strip_html(value)
    return value


def render_cloze(text: str, number: int, side: str) -> str:
    """Gaps numbered `number` hidden ([…] or [hint]) on the front and in bold on the back; others filled."""
    def gap(match: re.Match) -> str:
        content, hint = match.group(2), match.group(3)
        if int(match.group(1)) != number:
            return content
        if side == "front":
            return f"[{hint.strip() if hint else '…'}]"
        return f"<b>{content}</b>"

    previous = None
    while previous != text:  # nested clozes: inner gaps first
        previous, text = text, CLOZE.sub(gap, text)
    return text


def cloze_numbers(text: str) -> list[int]:
    return sorted({int(m.group(1)) for m in CLOZE.finditer(text)})


def _strip_html(value: str) -> str:
    return HTML_TAG.sub("", value) if "<" in value else value


def card_sides(question_format: str, answer_format: str, fields: dict[str, str], cloze_number: int,
               media_names: set[str] | None = None) -> tuple[str, str, list[str]]:
    """(front Markdown, back Markdown, media file names the card refers to)."""
    front_html = render_template(question_format, fields, cloze_number, "front")
    back_html = render_template(answer_format, fields, cloze_number, "back")
    parts = ANSWER_RULE.split(back_html, maxsplit=1)
    back_html = parts[1] if len(parts) == 2 else back_html
    front, front_media = html_to_markdown(front_html)
    back, back_media = html_to_markdown(back_html)
    return front, back, list(dict.fromkeys(front_media + back_media))
