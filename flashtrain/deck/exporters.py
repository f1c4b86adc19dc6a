"""Writing a DeckSpec as an Anki TXT export or a Brainscape-style CSV.

Both outputs read back (with flashtrain's own importers) to the same questions, answers and tags.
Our Markdown format has its own writer: `flashtrain.deck.markdown_format.write_markdown_deck`.
"""

from __future__ import annotations

import csv
import html
import io
import re

from flashtrain.deck.markdown_format import CLOZE, cloze_sides
from flashtrain.deck.model import CardSpec, DeckSpec, notes

ANKI_BASIC = "Basic"
ANKI_REVERSED = "Basic (and reversed card)"
ANKI_CLOZE = "Cloze"


def export_anki_txt(deck: DeckSpec) -> str:
    """Anki "Notes in Plain Text" with headers: tab-separated, HTML fields, notetype and tags columns.

    Basic cards are "Basic" notes; a card with a reversed twin becomes one "Basic (and reversed
    card)" note; a cloze note becomes one "Cloze" note with `{{c1::...}}`, `{{c2::...}}` deletions.
    Explicit ids, hints and snippet links have no Anki column and are not written.
    """
    out = io.StringIO()
    out.write("#separator:tab\n#html:true\n#notetype column:1\n#tags column:4\n")
    name = " ".join(deck.name.split())
    if name:
        out.write(f"#deck:{name}\n")
    writer = csv.writer(out, delimiter="\t", quotechar='"', lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    for card, has_reverse in notes(deck.cards):
        tags = " ".join(card.tags)
        if card.kind == "cloze":
            writer.writerow([ANKI_CLOZE, _html(_anki_cloze(card.question)), "", tags])
            continue
        notetype = ANKI_REVERSED if has_reverse else ANKI_BASIC
        writer.writerow([notetype, _html(card.question), _html(card.answer), tags])
    return out.getvalue()


def export_csv(deck: DeckSpec) -> str:
    """RFC 4180 CSV, one `question,answer` record per card, as Brainscape imports and exports it.

    When any card has tags, a `question,answer,tags` header and a third column are written. CSV has
    no cloze or reversed cards: each cloze deletion becomes its own question/answer record (front
    and back as shown when studying) and reversed twins are left out.
    """
    rows = [_csv_row(card) for card in deck.cards if card.kind != "reversed"]
    with_tags = any(card.tags for card in deck.cards)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    first_reads_as_header = bool(rows) and [rows[0][0].strip().lower(), rows[0][1].strip().lower()] == ["question", "answer"]
    if with_tags:
        writer.writerow(["question", "answer", "tags"])
        writer.writerows(rows)
    else:
        if first_reads_as_header:
            writer.writerow(["question", "answer"])  # else the first card would be skipped as a header
        writer.writerows(row[:2] for row in rows)
    return out.getvalue()


def _csv_row(card: CardSpec) -> list[str]:
    if card.kind == "cloze":
        front, back = cloze_sides(card.question, card.cloze_index)
        return [front, back, " ".join(card.tags)]
    return [card.question, card.answer, " ".join(card.tags)]


def _html(text: str) -> str:
    """Plain text as an HTML field: escaped, line breaks as <br>."""
    return html.escape(text.replace("\r\n", "\n").replace("\r", "\n"), quote=False).replace("\n", "<br>")


def _anki_cloze(text: str) -> str:
    counter = 0

    def numbered(match: re.Match) -> str:
        nonlocal counter
        counter += 1
        return "{{c%d::%s}}" % (counter, match.group(1))

    return CLOZE.sub(numbered, text)
