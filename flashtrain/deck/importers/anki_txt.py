"""Anki "Notes in Plain Text" exports (.txt), with or without Anki's file headers.

Headers are ``#key:value`` lines at the top of the file:

- ``#separator:`` tab, comma, semicolon, pipe, space, colon, or a literal character (without the
  header: tab, else ``|``, ``;`` or ``,``, whichever the first row contains).
- ``#html:true|false``: with true, fields are HTML and become text/Markdown (``<br>``, ``<div>`` and
  ``<p>`` become line breaks, ``<b>``/``<i>``/``<code>`` become ``**``/``*``/`````, ``<li>`` a ``-`` item,
  entities are decoded, other tags dropped). Without the header, fields holding ``<br>``, ``<div>``
  and the like are read as HTML.
- ``#columns:`` names of the columns; ``#guid column:``, ``#notetype column:``, ``#deck column:``,
  ``#tags column:`` (1-based); ``#deck:``, ``#notetype:``, ``#tags:`` apply to the whole file.

The other columns are the note's fields: the first is the question, the second the answer; further
non-empty fields are added to the answer after a blank line (a column named Front/Question/Text and
Back/Answer in ``#columns:`` picks them by name). Rows are RFC 4180 records (quotes doubled, newlines
inside quotes). Tags are space-separated, as Anki writes them. A guid becomes the card's explicit id
(``anki:<guid>``), so history survives question edits made in Anki. Notetype "Cloze" turns
``{{c1::text::hint}}`` into our ``{{text::hint}}`` cloze (one card per deletion; Anki's grouping of
several deletions under one number is not kept); a notetype with "reversed" in its name also adds
the reversed card.

Decks: one file gives one deck. When a deck column names several decks, ``--deck NAME`` picks the
rows of deck NAME (and its sub-decks); without it every row is imported into one deck, each card
tagged ``deck::<its deck>``, with a warning that lists the decks. The deck is named after
``--deck``, else the deck column's shared deck, else ``#deck:``, else the file name.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from html.parser import HTMLParser

from flashtrain.deck.importers._common import clean_text, make_deck, name_from_path, split_lines
from flashtrain.deck.markdown_format import CLOZE
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec, ParseWarning, normalise_tag
from flashtrain.deck.text import head_splitlines

FORMAT = "anki"
HEADER = re.compile(r"^#([A-Za-z][A-Za-z ]*):(.*)$")
KNOWN_HEADERS = {"separator", "html", "columns", "guid column", "notetype column", "deck column", "tags column",
                 "deck", "notetype", "tags", "if matches", "match scope"}
SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " ", "colon": ":"}
HTML_HINT = re.compile(r"<(?:br|div|p|b|i|u|span|img|ul|ol|li)\b[^>]*>|&nbsp;", re.IGNORECASE)
ANKI_CLOZE = re.compile(r"\{\{c\d+::(.*?)\}\}", re.DOTALL)
QUESTION_NAMES = {"front", "question", "text", "q"}
OUR_COLUMNS = ("hints", "snippet", "id")
ANSWER_NAMES = {"back", "answer", "back extra", "a"}


def looks_like(text: str, path: str) -> float:
    head = text.lstrip("\ufeff")[:2000]
    if re.match(r"#(separator|html|columns|notetype|deck|tags|guid)[a-z ]*:", head, re.IGNORECASE):
        return 0.95
    rows = [line for line in head_splitlines(text, 200) if line.strip()]
    if len(rows) >= 1 and all("\t" in row for row in rows):
        counts = {row.count("\t") for row in rows}
        return 0.6 if len(counts) == 1 else 0.35
    return 0.0


def html_to_text(fragment: str) -> str:
    converter = _HtmlToText()
    converter.feed(fragment)
    converter.close()
    return converter.text()


class _HtmlToText(HTMLParser):
    BLOCKS = {"div", "p", "tr", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"}
    INLINE = {"b": "**", "strong": "**", "i": "*", "em": "*", "code": "`"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def at_line_start(self) -> bool:
        joined = "".join(self.parts[-3:])
        return not self.parts or joined.endswith("\n")

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS and not self.at_line_start():
            self.parts.append("\n")
        elif tag == "li":
            if not self.at_line_start():
                self.parts.append("\n")
            self.parts.append("- ")
        elif tag in self.INLINE:
            self.parts.append(self.INLINE[tag])
        elif tag == "img":
            attributes = dict(attrs)
            self.parts.append(attributes.get("alt") or f"[image: {attributes.get('src', '')}]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS or tag == "li":
            if not self.at_line_start():
                self.parts.append("\n")
        elif tag in self.INLINE:
            self.parts.append(self.INLINE[tag])

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)

    def text(self) -> str:
        return "".join(self.parts)


def parse(text: str, path: str = "<string>", deck_name: str | None = None) -> DeckSpec:
    path = str(path)
    text = text.lstrip("\ufeff")
    warnings: list[ParseWarning] = []
    headers, body_start = _read_headers(text, path, warnings)
    data = "\n".join(split_lines(text)[body_start:])
    separator = _separator(headers.get("separator"), data, path)
    rows = _read_rows(data, separator, body_start, path)
    if not rows:
        raise DeckError(path, None, "expected tab-separated notes (question, answer) after the headers; found none")
    columns = _columns(headers, separator, rows, path)
    html_value = headers.get("html", ("", 0))
    if html_value[0]:
        if html_value[0].lower() not in ("true", "false"):
            raise DeckError(path, html_value[1], f"'#html:' takes true or false, got {html_value[0]!r}")
        is_html = html_value[0].lower() == "true"
    else:
        is_html = any(HTML_HINT.search(field) for _, row in rows for field in row)
    file_tags = tuple(t for t in (normalise_tag(x) for x in headers.get("tags", ("", 0))[0].split()) if t)
    file_notetype = headers.get("notetype", ("", 0))[0].strip()

    decks = [row[columns["deck"]].strip() for _, row in rows] if "deck" in columns else []
    distinct = list(dict.fromkeys(decks))
    chosen_rows = rows
    name = deck_name
    tag_decks = False
    if len(distinct) > 1:
        if deck_name:
            wanted = deck_name.casefold()
            picked = [r for r, d in zip(rows, decks) if d.casefold() == wanted or d.casefold().startswith(wanted + "::")]
            if picked:
                chosen_rows = picked
            else:
                tag_decks = True
                warnings.append(ParseWarning(path, rows[0][0], f"no row belongs to deck {deck_name!r} "
                                             f"(decks: {', '.join(distinct)}); all rows imported into {deck_name!r} "
                                             "with deck:: tags"))
        else:
            tag_decks = True
            common = _common_deck_prefix(distinct)
            name = common or None
            warnings.append(ParseWarning(path, rows[0][0], f"rows belong to {len(distinct)} decks ({', '.join(distinct)}); "
                                         "imported as one deck with a deck::<name> tag per card; "
                                         "pass --deck NAME to import only one of them"))
    elif distinct and distinct[0]:
        name = name or distinct[0]
    name = name or headers.get("deck", ("", 0))[0].strip() or name_from_path(path)

    cards: list[CardSpec] = []
    for line, row in chosen_rows:
        fields = [row[i] for i in columns["fields"]]
        notetype = row[columns["notetype"]].strip() if "notetype" in columns else file_notetype
        if is_html:
            fields = [_field_text(field, "cloze" in notetype.lower()) for field in fields]
        fields = [clean_text(field) for field in fields]
        question, answer = fields[columns["question"]], fields[columns["answer"]]
        extras = [f for i, f in enumerate(fields) if i not in (columns["question"], columns["answer"]) and f]
        tags = list(file_tags)
        if "tags" in columns:
            tags += [t for t in (normalise_tag(x) for x in row[columns["tags"]].split()) if t]
        if tag_decks and "deck" in columns and row[columns["deck"]].strip():
            tags.append(normalise_tag("deck::" + row[columns["deck"]].strip()))
        tags = tuple(dict.fromkeys(tags))
        explicit_id = _explicit_id(row[columns["guid"]]) if "guid" in columns else None
        ours = _our_columns(row, columns, is_html)
        if "id" in columns:  # our own export: its id column (empty = identity by question), not the GUID
            explicit_id = ours.get("id")
        if ("cloze" in notetype.lower() or (not answer and ANKI_CLOZE.search(question))) and not ANKI_CLOZE.search(
                question) and CLOZE.search(question):
            # our own export: the field's source comment gave back our {{…}} cloze text
            count = len(CLOZE.findall(question))
            cards += [CardSpec(question=question, answer=answer, line=line, tags=tags, explicit_id=explicit_id,
                               kind="cloze", cloze_index=i, hints=ours.get("hints", ()), snippet=ours.get("snippet"))
                      for i in range(1, count + 1)]
            continue
        if "cloze" in notetype.lower() or (not answer and ANKI_CLOZE.search(question)):
            cards += _cloze_cards(question, [answer] + extras, line, tags, explicit_id, path, warnings)
            continue
        if not question or not answer:
            missing = "question" if not question else "answer"
            warnings.append(ParseWarning(path, line, f"note with an empty {missing}; skipped"))
            continue
        if extras:
            answer = "\n\n".join([answer] + extras)
        common = dict(line=line, tags=tags, explicit_id=explicit_id, hints=ours.get("hints", ()),
                      snippet=ours.get("snippet"))
        cards.append(CardSpec(question=question, answer=answer, **common))
        if "reversed" in notetype.lower() and "optional" not in notetype.lower():
            cards.append(CardSpec(question=question, answer=answer, kind="reversed", **common))
    if not cards:
        raise DeckError(path, None, "no importable notes: every row has an empty question or answer")
    return make_deck(path, FORMAT, name, cards, warnings, tags=())


def _read_headers(text: str, path: str, warnings: list[ParseWarning]) -> tuple[dict[str, tuple[str, int]], int]:
    headers: dict[str, tuple[str, int]] = {}
    lines = split_lines(text)
    index = 0
    while index < len(lines) and lines[index].startswith("#"):
        raw = lines[index]
        match = HEADER.match(raw)
        if not match:
            warnings.append(ParseWarning(path, index + 1, f"header line without 'key:value' ignored: {raw[:40]!r}"))
        else:
            key, value = match.group(1).strip().lower(), match.group(2)
            if key not in KNOWN_HEADERS:
                warnings.append(ParseWarning(path, index + 1, f"unknown Anki header {key!r} ignored"))
            headers[key] = (value if key == "separator" else value.strip(), index + 1)
        index += 1
    return headers, index


def _separator(header: tuple[str, int] | None, data: str, path: str) -> str:
    if header is not None:
        value, line = header
        word = value.strip().lower()
        if word in SEPARATORS:
            return SEPARATORS[word]
        if len(value) == 1 and value not in "\"\r\n":
            return value
        raise DeckError(path, line, f"'#separator:' takes tab, comma, semicolon, pipe, space, colon or one "
                                    f"character, got {value!r}")
    first = next((line for line in data.split("\n") if line.strip()), "")
    for candidate in ("\t", "|", ";", ","):
        if candidate in first:
            return candidate
    return "\t"


def _read_rows(data: str, separator: str, offset: int, path: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(data, newline=""), delimiter=separator, quotechar='"', strict=True)
    rows = []
    previous_end = 0
    try:
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            rows.append((offset + start, row))
    except csv.Error as error:
        raise DeckError(path, offset + previous_end + 1, f"expected a well-formed {_name(separator)}-separated "
                                                        f"record (quotes doubled inside quoted fields): {error}") from None
    return rows


def _name(separator: str) -> str:
    return next((word for word, char in SEPARATORS.items() if char == separator), repr(separator))


def _columns(headers, separator: str, rows, path: str) -> dict:
    """Which column is what: special columns by header, the rest are fields (question, answer, ...).

    Anki pads rows of notetypes with fewer fields, but other tools may not: a short row is padded
    with empty fields as long as it still has its question, answer and special columns.
    """
    width = max(len(row) for _, row in rows)
    names: list[str] = []
    if "columns" in headers:
        names = [n.strip().lower() for n in headers["columns"][0].split(separator)]
    columns: dict = {}
    for key in ("guid", "notetype", "deck", "tags"):
        header = headers.get(f"{key} column")
        if header is None:
            continue
        value, line = header
        if not value.isdigit() or int(value) < 1:
            raise DeckError(path, line, f"'#{key} column:' takes a column number from 1, got {value!r}")
        if int(value) > width:
            raise DeckError(path, line, f"'#{key} column:{value}' but no row has more than {width} columns")
        columns[key] = int(value) - 1
    if "tags" not in columns and "tags" in names[:width]:
        columns["tags"] = names.index("tags")
    for key in OUR_COLUMNS:  # flashtrain's own export: hints, snippet id and our card id
        if key in names[:width] and names.index(key) not in columns.values():
            columns[key] = names.index(key)
    special = set(columns.values())
    fields = [i for i in range(width) if i not in special]
    if len(fields) < 2:
        raise DeckError(path, rows[0][0], f"expected at least two note fields (question, answer) per row, "
                                          f"found {len(fields)}")
    needed = max([fields[1] + 1] + [i + 1 for key, i in columns.items() if key not in ("tags",) + OUR_COLUMNS])
    for line, row in rows:
        if len(row) < needed:
            raise DeckError(path, line, f"expected at least {needed} {_name(separator)}-separated columns "
                                        f"(question and answer{', and the special columns' if special else ''}), "
                                        f"found {len(row)}")
        row.extend([""] * (width - len(row)))
    field_names = [names[i] if i < len(names) else "" for i in fields]
    question = next((k for k, n in enumerate(field_names) if n in QUESTION_NAMES), 0)
    answer = next((k for k, n in enumerate(field_names) if n in ANSWER_NAMES and k != question),
                  1 if question == 0 else 0)
    columns.update(fields=fields, question=question, answer=answer)
    return columns


def _field_text(field: str, cloze: bool) -> str:
    """An HTML field as our Markdown: the exact source when our export left it there unedited."""
    from flashtrain.deck.anki.markup import DISPLAY_MATH, INLINE_MATH, markdown_source, markdown_to_html

    from flashtrain.deck.anki.export import cloze_html

    shown = cloze_html if cloze else markdown_to_html
    source = markdown_source(field, shown)
    if source is not None:
        return source
    text = html_to_text(field)
    text = DISPLAY_MATH.sub(lambda m: f"$${m.group(1).strip()}$$", text)
    return INLINE_MATH.sub(lambda m: f"${m.group(1).strip()}$", text)


def _our_columns(row: list[str], columns: dict, is_html: bool) -> dict:
    out: dict = {}
    if "hints" in columns and row[columns["hints"]].strip():
        raw = row[columns["hints"]]
        parts = re.split(r"<br\s*/?>", raw) if is_html else raw.split("\n")
        hints = [clean_text(_field_text(part, False) if is_html else part) for part in parts]
        out["hints"] = tuple(h for h in hints if h)
    if "snippet" in columns and row[columns["snippet"]].strip():
        out["snippet"] = row[columns["snippet"]].strip()
    if "id" in columns and row[columns["id"]].strip():
        value = row[columns["id"]].strip()
        out["id"] = value[3:] if value.startswith("id:") else value
    return out


def _explicit_id(guid: str) -> str | None:
    guid = guid.strip()
    if not guid:
        return None
    if re.fullmatch(r"[\w.:/-]+", guid):
        return f"anki:{guid}"
    return "anki:" + hashlib.sha1(guid.encode()).hexdigest()[:16]


def _cloze_cards(text: str, extras: list[str], line: int, tags, explicit_id, path, warnings) -> list[CardSpec]:
    ours = ANKI_CLOZE.sub(lambda m: "{{" + m.group(1) + "}}", text)
    count = len(ANKI_CLOZE.findall(text))
    if not count:
        warnings.append(ParseWarning(path, line, "cloze note without any {{c1::...}} deletion; skipped"))
        return []
    if any(extras):
        warnings.append(ParseWarning(path, line, "the cloze note's extra field is not imported (our cloze "
                                     "cards have no answer field)"))
    return [CardSpec(question=ours, answer="", line=line, tags=tags, explicit_id=explicit_id, kind="cloze",
                     cloze_index=i) for i in range(1, count + 1)]


def _common_deck_prefix(decks: list[str]) -> str:
    parts = [d.split("::") for d in decks]
    prefix = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        prefix.append(level[0])
    return "::".join(prefix)

