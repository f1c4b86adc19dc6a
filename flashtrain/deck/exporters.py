"""Writing a DeckSpec as an Anki TXT export or a Brainscape-style CSV.

Both outputs read back (with flashtrain's own importers) to the same questions, answers and tags.
Our Markdown format has its own writer: `flashtrain.deck.markdown_format.write_markdown_deck`.
"""

from __future__ import annotations

import csv
import io

from flashtrain.deck.anki.export import cloze_html, stable_guid
from flashtrain.deck.anki.markup import markdown_to_html, source_comment
from flashtrain.deck.markdown_format import cloze_sides
from flashtrain.deck.model import CardSpec, DeckSpec, notes

ANKI_BASIC = "Basic"
ANKI_REVERSED = "Basic (and reversed card)"
ANKI_CLOZE = "Cloze"


def export_anki_txt(deck: DeckSpec) -> str:
    """Anki "Notes in Plain Text" with headers: tab-separated HTML fields, GUID, notetype, deck, tags.

    Basic cards are "Basic" notes; a card with a reversed twin becomes one "Basic (and reversed
    card)" note; a cloze note becomes one "Cloze" note with `{{c1::...}}`, `{{c2::...}}` deletions.
    Fields are HTML (Markdown rendered, math as MathJax `\\(…\\)`/`\\[…\\]`, code as `<pre><code>`),
    each followed by its Markdown source in an HTML comment that Anki does not show, so our own
    importer reads the card back exactly unless it was edited in Anki. The GUID is stable (the same
    note exported twice updates one Anki note). Hints, snippet id and our id travel in the columns
    after the note's two fields, which Anki's stock notetypes leave unmapped.
    """
    out = io.StringIO()
    out.write("#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:9\n")
    out.write("#columns:guid\tnotetype\tdeck\tfront\tback\thints\tsnippet\tid\ttags\n")
    name = " ".join(deck.name.split()) or "flashtrain"
    writer = csv.writer(out, delimiter="\t", quotechar='"', lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    for card, has_reverse in notes(deck.cards):
        tags = " ".join(tag.replace(" ", "_") for tag in card.tags)
        key = card.key.rsplit("#c", 1)[0] if card.kind == "cloze" else card.key
        guid = stable_guid(name, key)
        extras = ["<br>".join(_html(h) for h in card.hints), card.snippet or "",
                  f"id:{card.explicit_id}" if card.explicit_id else ""]
        if card.kind == "cloze":
            writer.writerow([guid, ANKI_CLOZE, name, _html(card.question, cloze=True), _html(card.answer)]
                            + extras + [tags])
            continue
        notetype = ANKI_REVERSED if has_reverse else ANKI_BASIC
        writer.writerow([guid, notetype, name, _html(card.question), _html(card.answer)] + extras + [tags])
    return out.getvalue()


def export_csv(deck: DeckSpec) -> str:
    """RFC 4180 CSV with Anki's file headers, so neither Anki nor a spreadsheet has to guess.

    `#separator:comma`, `#html:false`, `#tags column:3` and `#columns:` come first (Anki reads them;
    a spreadsheet shows them as the first lines), then one record per card:
    question, answer, tags, hints (one per line), snippet, id. CSV has no cloze or reversed cards:
    each cloze deletion becomes its own question/answer record (front and back as shown when
    studying) and reversed twins are left out.
    """
    rows = [_csv_row(card) for card in deck.cards if card.kind != "reversed"]
    out = io.StringIO()
    out.write("#separator:comma\r\n#html:false\r\n#tags column:3\r\n#columns:" + ",".join(CSV_COLUMNS) + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return out.getvalue()


CSV_COLUMNS = ("Front", "Back", "Tags", "Hints", "Snippet", "Id")  # Anki maps columns to Basic's fields by name


def _csv_row(card: CardSpec) -> list[str]:
    extras = ["\n".join(card.hints), card.snippet or ""]
    if card.kind == "cloze":
        front, back = cloze_sides(card.question, card.cloze_index)
        back = back + "\n\n" + card.answer if card.answer.strip() else back
        # no id: the siblings of one cloze note become separate basic cards
        return [front, back, " ".join(card.tags)] + extras + [""]
    return [card.question, card.answer, " ".join(card.tags)] + extras + [card.explicit_id or ""]


def _html(text: str, cloze: bool = False) -> str:
    """Our Markdown as an Anki field: rendered HTML plus the exact source in a hidden comment."""
    if not text:
        return ""
    shown = cloze_html(text) if cloze else markdown_to_html(text)
    return shown + source_comment(text)
