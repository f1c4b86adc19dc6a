"""Anki cloze notes become our cloze cards (one per cloze number) and go back to Anki as cloze notes."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select, update

from anki_builders import Built, add_note, answer, export, open_collection
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from flashtrain.deck.anki.convert import note_identity
from flashtrain.services.anki_export import export_apkg
from flashtrain.store.models import Card, ReviewLog
from flashtrain.services.imports import import_paths
from flashtrain.study.service import StudyService

TEXT = ("The {{c1::chain rule}} gives {{c2::gradients}} layer by layer; {{c1::backprop}} applies it "
        "with \\({{c3::\\partial L / \\partial w::a derivative}}\\)")


@pytest.fixture(scope="module")
def cloze_package(tmp_path_factory):
    folder = tmp_path_factory.mktemp("anki-cloze")
    built = Built(folder / "col" / "collection.anki2")
    built.path.parent.mkdir()
    col = Collection(str(built.path))
    try:
        deck = col.decks.id("DL::Backprop")
        built.notes["cloze"] = add_note(col, "Cloze", deck, {"Text": TEXT, "Back Extra": "See <i>chapter 6</i>"},
                                        tags=["backprop"])
        built.notes["nested"] = add_note(col, "Cloze", deck, {"Text": "{{c1::outer {{c2::inner}} text}}"})
        col.decks.select(deck)
        for card_id in col.card_ids_of_note(built.notes["cloze"]):
            answer(col, card_id, 3)
        guid = col.get_note(built.notes["cloze"]).guid
    finally:
        col.close()
    return built, export(built, folder / "cloze.apkg"), guid


def _cards(store):
    with store.sessions() as s:
        return {(c.explicit_id, c.cloze_index): c for c in s.scalars(select(Card))}


def test_each_cloze_number_is_a_cloze_card_with_the_right_sides(store, cloze_package):
    _built, package, guid = cloze_package
    reports = import_paths(store, [package])
    assert all(r.status == "imported" for r in reports), [r.error for r in reports]
    cards = _cards(store)
    note = note_identity(guid, 0)
    ours = [cards[(note, n)] for n in (1, 2, 3)]
    assert all(c.kind == "cloze" and c.answer == "See *chapter 6*" and c.tags == ["backprop"] for c in ours)
    assert ours[0].question == ("The {{c1::chain rule}} gives {{c2::gradients}} layer by layer; {{c1::backprop}} "
                                "applies it with ${{c3::\\partial L / \\partial w::a derivative}}$")
    service = StudyService(store)
    first = service.card(ours[0].id)
    assert first.front.startswith("The […] gives gradients layer by layer; […] applies")
    assert "**chain rule**" in first.back and "**backprop**" in first.back
    assert first.back.endswith("See *chapter 6*")
    assert service.card(ours[2].id).front.endswith("with $[a derivative]$")
    # a nested cloze does not fit our gaps: it stays a front/back card rendered as Anki shows it
    nested = [c for c in cards.values() if "outer" in c.question]
    assert nested and all(c.kind == "basic" for c in nested)
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ReviewLog)) == 3


def test_cards_stored_by_an_earlier_import_as_front_back_become_cloze_cards_with_their_history(store, cloze_package,
                                                                                            tmp_path):
    _built, package, guid = cloze_package
    import_paths(store, [package])
    note = note_identity(guid, 0)
    with store.sessions() as s, s.begin():  # how the previous release stored them: one basic card per number
        for n in (1, 2, 3):
            old_id = note_identity(guid, n - 1)
            s.execute(update(Card).where(Card.explicit_id == note, Card.cloze_index == n).values(
                kind="basic", cloze_index=0, explicit_id=old_id, key=f"id:{old_id}", question=f"old front {n}",
                content_hash="old"))
    again = tmp_path / "again.apkg"
    shutil.copy(package, again)
    reports = import_paths(store, [again])
    assert sum(r.added for r in reports) == 0 and sum(r.retired for r in reports) == 0
    assert sum(r.updated for r in reports) == 3 and sum(r.reviews_duplicate for r in reports) == 3
    cards = _cards(store)
    assert [cards[(note, n)].kind for n in (1, 2, 3)] == ["cloze"] * 3
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ReviewLog).where(
            ReviewLog.card_id == cards[(note, 1)].id)) == 1


def test_exported_back_to_anki_as_one_cloze_note(store, cloze_package, tmp_path):
    _built, package, _guid = cloze_package
    import_paths(store, [package])
    out = tmp_path / "out.apkg"
    export_apkg(store, out, deck_name="DL::Backprop")
    target = tmp_path / "fresh" / "collection.anki2"
    target.parent.mkdir()
    col = open_collection(target)
    try:
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(out), options=ImportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=False, merge_notetypes=True)))
        [note_id] = [n for n in col.find_notes("chain") if col.get_note(n).note_type()["type"] == 1]
        note = col.get_note(note_id)
        assert note["Text"].count("{{c1::") == 2 and "{{c2::gradients}}" in note["Text"]
        assert "{{c3::" in note["Text"] and "\\(" in note["Text"]  # math back as MathJax
        assert "chapter 6" in note["Back Extra"]
        cards = sorted(col.get_card(c).ord for c in note.card_ids())
        assert cards == [0, 1, 2]
        assert col.db.scalar(f"SELECT count() FROM revlog WHERE cid IN ({','.join(map(str, note.card_ids()))})") == 3
    finally:
        col.close()


async def test_the_back_extra_of_an_imported_cloze_note_is_edited_on_the_edit_screen(store, cloze_package, tmp_path):
    """Pilot: the edit screen shows an Anki cloze card's Back Extra as its editable extra; saving changes it
    for every card of the note (in the store: the package is not ours to write), and a later import of
    the package keeps the edit."""
    from textual.widgets import TextArea

    from flashtrain.tui.app import FlashtrainApp
    from flashtrain.tui.screens.edit import EditCardScreen

    _built, package, guid = cloze_package
    import_paths(store, [package])
    note = note_identity(guid, 0)
    card_id = _cards(store)[(note, 2)].id
    app = FlashtrainApp(store, StudyService(store))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        saved = []
        app.push_screen(EditCardScreen(card_id), saved.append)
        await pilot.pause()
        box = app.screen.query_one("#answer", TextArea)
        assert not box.disabled and box.text == "See *chapter 6*"
        box.text = "See *chapter 6*, eq. 6.49"
        await pilot.pause()
        assert "eq. 6.49" in app.screen.query_one("#preview").card_source
        await pilot.press("ctrl+s")
        for _ in range(100):
            if saved:
                break
            await pilot.pause(0.05)
        assert saved == [True]
    cards = _cards(store)
    assert [cards[(note, n)].answer for n in (1, 2, 3)] == ["See *chapter 6*, eq. 6.49"] * 3
    assert StudyService(store).card(card_id).back.endswith("See *chapter 6*, eq. 6.49")
    again = tmp_path / "newer.apkg"
    shutil.copy(package, again)
    import_paths(store, [again])
    assert _cards(store)[(note, 1)].answer == "See *chapter 6*, eq. 6.49"  # the app edit is kept
