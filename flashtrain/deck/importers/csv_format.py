"""Two-column CSV as Brainscape exports it: ``question,answer`` per record, no header.

Records follow RFC 4180: a field holding a comma, a quote or a line break is quoted, and a quote
inside it is doubled. A first row reading ``question,answer`` (any case) is a header and skipped;
a header ``question,answer,tags`` allows a third column of space- or comma-separated tags (our
exporter writes that form when cards have tags). Every record must have the same number of
columns; otherwise a DeckError names the line where the record starts. Records with an empty
question or answer are skipped with a warning.
"""

from __future__ import annotations

import csv
import io
import re

from flashtrain.deck.importers._common import clean_text, make_deck, name_from_path
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec, ParseWarning, split_tags

FORMAT = "csv"
HEADER = ["question", "answer"]
HEADER_WITH_TAGS = ["question", "answer", "tags"]


def read_records(text: str, path: str) -> list[tuple[int, list[str]]]:
    """(line where the record starts, fields) for every non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    previous_end = 0
    try:
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if row and any(field.strip() for field in row):
                records.append((start, row))
    except csv.Error as error:
        raise DeckError(path, previous_end + 1, f"expected a CSV record (a quoted field ends with '\"' followed by "
                                               f"',' or a line break; quotes inside are doubled): {error}") from None
    return records


def looks_like(text: str, path: str) -> float:
    by_name = path.lower().endswith(".csv")
    if re.match(r"#separator:(comma|,)\r?\n", text.lstrip("\ufeff"), re.IGNORECASE):
        return 0.97  # Anki's header for comma-separated values: CSV (the anki format reads tab & co.)
    sample = text.lstrip("\ufeff")[:200_000]
    try:
        records = read_records(sample, path)
    except DeckError:
        return 0.4 if by_name else 0.0
    if len(sample) == 200_000:
        records = records[:-1]  # the cut may split the last record
    if not records:
        return 0.3 if by_name else 0.0
    widths = {len(fields) for _, fields in records[1:]} or {len(records[0][1])}
    header = [f.strip().lower() for f in records[0][1]]
    consistent = widths == {2} or (header == HEADER_WITH_TAGS and widths == {3})
    if consistent:
        return 0.85 if by_name else 0.6
    if by_name and all(len(fields) >= 2 for _, fields in records):
        # A .csv of comma-separated records with a stray wider or narrower row is still CSV: the
        # parser then names the bad line. (A '# ...' line inside an answer made it read as notes.)
        return 0.75
    return 0.4 if by_name else 0.0


ANKI_HEADER = re.compile(r"#([a-z][a-z ]*):(.*)", re.IGNORECASE)
OUR_COLUMNS = ("question", "answer", "tags", "hints", "snippet", "id")
SYNONYMS = {"front": "question", "back": "answer"}


def split_anki_headers(text: str, path: str) -> tuple[dict[str, str], str, int]:
    """Anki's `#key:value` file headers at the top (our export writes them): (headers, rest, lines)."""
    headers: dict[str, str] = {}
    lines = text.split("\n")
    count = 0
    while count < len(lines) and (match := ANKI_HEADER.fullmatch(lines[count].rstrip("\r"))):
        headers[match.group(1).strip().lower()] = match.group(2).strip()
        count += 1
    if count and headers.get("separator", "comma").lower() not in ("comma", ","):
        raise DeckError(path, 1, f"'#separator:{headers['separator']}' is not a CSV file's comma; "
                                 "import it with --format anki")
    return headers, "\n".join(lines[count:]), count


def parse(text: str, path: str = "<string>", deck_name: str | None = None) -> DeckSpec:
    path = str(path)
    headers, body, offset = split_anki_headers(text.lstrip("\ufeff"), path)
    records = [(line + offset, fields) for line, fields in read_records(body, path)]
    if not records:
        raise DeckError(path, None, "expected CSV records 'question,answer'; the file is empty")
    if "columns" in headers:
        return _parse_named_columns(headers, records, path, deck_name)
    width = 2
    header = [field.strip().lower() for field in records[0][1]]
    if header in (HEADER, HEADER_WITH_TAGS):
        width = len(header)
        records = records[1:]
    warnings: list[ParseWarning] = []
    cards: list[CardSpec] = []
    for line, fields in records:
        if len(fields) != width:
            expected = "question,answer,tags" if width == 3 else "question,answer"
            raise DeckError(path, line, f"expected {width} columns ({expected}), found {len(fields)}; "
                                        "quote fields that contain commas")
        question, answer = clean_text(fields[0]), clean_text(fields[1])
        if not question or not answer:
            warnings.append(ParseWarning(path, line, f"record with an empty {'question' if not question else 'answer'}; skipped"))
            continue
        tags = split_tags(fields[2]) if width == 3 else ()
        cards.append(CardSpec(question=question, answer=answer, line=line, tags=tags))
    if not cards:
        raise DeckError(path, None, "no importable records: every record has an empty question or answer")
    return make_deck(path, FORMAT, deck_name or name_from_path(path), cards, warnings)


def _parse_named_columns(headers: dict[str, str], records, path: str, deck_name: str | None) -> DeckSpec:
    """Our own export: `#columns:question,answer,tags,hints,snippet,id` (hints one per line)."""
    names = [SYNONYMS.get(n, n) for n in (name.strip().lower() for name in headers["columns"].split(","))]
    if names[:2] != ["question", "answer"]:
        raise DeckError(path, 1, f"expected '#columns:' to start with front,back (or question,answer); "
                                 f"got {headers['columns']!r}")
    where = {name: i for i, name in enumerate(names) if name in OUR_COLUMNS}
    warnings: list[ParseWarning] = []
    cards: list[CardSpec] = []
    for line, fields in records:
        if len(fields) != len(names):
            raise DeckError(path, line, f"expected {len(names)} columns ({','.join(names)}), found {len(fields)}; "
                                        "quote fields that contain commas")

        def cell(name: str) -> str:
            return fields[where[name]] if name in where else ""

        question, answer = clean_text(cell("question")), clean_text(cell("answer"))
        if not question or not answer:
            warnings.append(ParseWarning(path, line, f"record with an empty {'question' if not question else 'answer'}; skipped"))
            continue
        hints = tuple(h for h in (clean_text(x) for x in cell("hints").split("\n")) if h)
        cards.append(CardSpec(question=question, answer=answer, line=line, tags=split_tags(cell("tags")),
                              hints=hints, snippet=cell("snippet").strip() or None,
                              explicit_id=cell("id").strip() or None))
    if not cards:
        raise DeckError(path, None, "no importable records: every record has an empty question or answer")
    return make_deck(path, FORMAT, deck_name or name_from_path(path), cards, warnings)
