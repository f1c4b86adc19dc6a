"""Our TXT and CSV exports opened by the real Anki library with the settings it detects itself."""

from __future__ import annotations

import pytest

from anki_builders import open_collection
from anki.collection import ImportCsvRequest
from flashtrain.deck.exporters import export_anki_txt, export_csv
from flashtrain.deck.model import CardSpec, DeckSpec

CARDS = (
    CardSpec("What does $\\beta_1$ do?", "It **averages** $x$", tags=("adam",), explicit_id="adam-b1",
             hints=("first moment",), snippet="adam_update"),
    CardSpec("Flip; me, now", "Flipped"),
    CardSpec("Flip; me, now", "Flipped", kind="reversed"),
    CardSpec("Adam uses {{0.9}} and {{0.999}}.", "", kind="cloze", cloze_index=1),
    CardSpec("Adam uses {{0.9}} and {{0.999}}.", "", kind="cloze", cloze_index=2),
)


def import_text(tmp_path, name: str, text: str, deck: str | None = None):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    col = open_collection(tmp_path / f"{name}.anki2")
    metadata = col.get_csv_metadata(str(path), delimiter=None)  # what Anki guesses on its own
    if deck:
        metadata.deck_id = col.decks.id(deck)
    col.import_csv(ImportCsvRequest(path=str(path), metadata=metadata))
    return col


def test_anki_imports_our_txt_with_notetypes_decks_guids_and_mathjax(tmp_path):
    text = export_anki_txt(DeckSpec("Optim::Sub", CARDS))
    col = import_text(tmp_path, "deck.txt", text)
    try:
        notes = {col.get_note(nid).note_type()["name"]: col.get_note(nid) for nid in col.find_notes("")}
        assert set(notes) == {"Basic", "Basic (and reversed card)", "Cloze"}
        assert col.card_count() == 5
        assert notes["Basic"]["Front"].startswith("What does \\(\\beta_1\\) do?")
        assert notes["Basic"]["Back"].startswith("It <strong>averages</strong> \\(x\\)")
        assert notes["Cloze"]["Text"].startswith("Adam uses {{c1::0.9}} and {{c2::0.999}}.")
        assert notes["Basic"].tags == ["adam"]
        assert {col.decks.name(card.did) for note in notes.values() for card in note.cards()} == {"Optim::Sub"}
        guids = {note.guid for note in notes.values()}
    finally:
        col.close()
    again = import_text(tmp_path, "again.txt", export_anki_txt(DeckSpec("Optim::Sub", CARDS)))
    try:
        assert {again.get_note(nid).guid for nid in again.find_notes("")} == guids  # stable GUIDs
    finally:
        again.close()


def test_anki_reads_our_csv_as_comma_separated_front_back(tmp_path):
    col = import_text(tmp_path, "deck.csv", export_csv(DeckSpec("Optim", CARDS)), deck="CSV")
    try:
        fields = sorted(tuple(col.get_note(nid).fields) for nid in col.find_notes(""))
        assert ("Flip; me, now", "Flipped") in fields  # the semicolon did not split the note
        assert ("What does $\\beta_1$ do?", "It **averages** $x$") in fields
        assert len(fields) == 4  # the reversed twin is left out; each cloze gap is a card
    finally:
        col.close()


@pytest.mark.parametrize("export, name", [(export_anki_txt, "deck.txt"), (export_csv, "deck.csv")])
def test_our_own_export_imports_back_with_hints_and_snippets(store, tmp_path, export, name):
    from sqlalchemy import select

    from flashtrain.store.models import Card
    from flashtrain.services.imports import import_paths

    path = tmp_path / name
    path.write_text(export(DeckSpec("Optim", CARDS[:1])), encoding="utf-8")
    [report] = import_paths(store, [path])
    assert report.status == "imported", report.error
    with store.sessions() as s:
        card = s.scalar(select(Card))
        assert (card.question, card.answer, card.hints, card.snippet_id, card.explicit_id) == (
            CARDS[0].question, CARDS[0].answer, ["first moment"], "adam_update", "adam-b1")
