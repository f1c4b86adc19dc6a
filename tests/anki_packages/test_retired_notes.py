"""A newer export of the same Anki deck without some notes retires their cards (history kept)."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from anki_builders import Built, build_collection, export, open_collection
from flashtrain.cli import main
from flashtrain.deck.anki.convert import note_identity
from flashtrain.store.models import Card, Deck, ReviewLog
from flashtrain.services.imports import import_paths


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    """The fixture collection exported, then exported again after deleting the reversed note (two
    cards with reviews) and the optional-reversed one in Anki."""
    folder = tmp_path_factory.mktemp("anki-retire")
    built = build_collection(folder / "col")
    first = export(built, folder / "first.apkg")
    col = open_collection(built.path)
    try:
        guids = {label: col.get_note(note_id).guid for label, note_id in built.notes.items() if label != "deleted"}
        col.remove_notes([built.notes["reversed"], built.notes["optional_with"]])
    finally:
        col.close()
    return {"first": first, "newer": export(built, folder / "newer.apkg"), "guids": guids}


def _card(store, identity: str) -> Card:
    with store.sessions() as s:
        return s.scalar(select(Card).where(Card.explicit_id == identity))


def _reviews(store) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(ReviewLog))


def test_cards_of_deleted_notes_are_retired_with_their_history_kept(store, packages, tmp_path):
    import_paths(store, [packages["first"]])
    reviews = _reviews(store)
    reports = import_paths(store, [packages["newer"]])
    by_deck = {r.deck: r for r in reports}
    assert by_deck["Languages::French"].retired == 4  # chat/cat and chien/dog, both ways
    assert by_deck["Math"].retired == 0
    assert any("no longer in the package" in str(w) and "retired" in str(w) for w in by_deck["Languages::French"].warnings)
    gone = [note_identity(packages["guids"]["reversed"], 0), note_identity(packages["guids"]["reversed"], 1),
            note_identity(packages["guids"]["optional_with"], 0), note_identity(packages["guids"]["optional_with"], 1)]
    assert all(_card(store, identity).retired_at is not None for identity in gone)
    assert _card(store, note_identity(packages["guids"]["typing"], 0)).retired_at is None
    assert _reviews(store) == reviews  # nothing deleted

    # the same notes in a later package (here: the first export under another name) come back
    again = tmp_path / "restored.apkg"
    shutil.copy(packages["first"], again)
    reports = import_paths(store, [again])
    assert sum(r.restored for r in reports) == 4 and sum(r.retired for r in reports) == 0
    assert all(_card(store, identity).retired_at is None for identity in gone)
    assert _reviews(store) == reviews


def test_only_the_decks_in_the_package_are_compared(store, packages, tmp_path):
    import_paths(store, [packages["first"]])
    reports = import_paths(store, [packages["newer"]], deck_name="Math")
    assert sum(r.retired for r in reports) == 0
    assert _card(store, note_identity(packages["guids"]["reversed"], 0)).retired_at is None


def test_the_import_line_says_how_many_were_retired(packages, capsys):
    assert main(["import", str(packages["first"])]) == 0
    capsys.readouterr()
    assert main(["import", str(packages["newer"])]) == 0
    out, err = capsys.readouterr()
    french = [line for line in out.splitlines() if line.startswith("Languages::French:")]
    assert french and "4 retired" in french[0]
    assert "no longer in the package" in err


def test_a_dry_run_retires_nothing(store, packages):
    import_paths(store, [packages["first"]])
    reports = import_paths(store, [packages["newer"]], dry_run=True)
    assert sum(r.retired for r in reports) == 4
    assert _card(store, note_identity(packages["guids"]["reversed"], 0)).retired_at is None



# -- a whole collection (.colpkg): decks deleted in Anki ------------------------------------------------
@pytest.fixture(scope="module")
def collections(tmp_path_factory):
    """The fixture collection as a .colpkg, then again (.colpkg and .apkg of everything) after deleting
    the deck Languages::French in Anki; and another learner's collection with a deck of its own."""
    folder = tmp_path_factory.mktemp("anki-colpkg")
    built = build_collection(folder / "col")
    first = export(built, folder / "first.colpkg", colpkg=True)
    col = open_collection(built.path)
    try:
        col.decks.remove([built.deck_ids["Languages::French"]])
    finally:
        col.close()
    (folder / "other").mkdir()
    other = open_collection(folder / "other" / "collection.anki2")
    try:
        note = other.new_note(other.models.by_name("Basic"))
        note["Front"], note["Back"] = "Hund", "dog"
        other.add_note(note, other.decks.id("German"))
    finally:
        other.close()
    return {"first": first, "newer": export(built, folder / "newer.colpkg", colpkg=True),
            "newer_apkg": export(built, folder / "newer.apkg"),
            "other": export(Built(folder / "other" / "collection.anki2"), folder / "other.colpkg", colpkg=True)}


def _french(store) -> list[Card]:
    with store.sessions() as s:
        return list(s.scalars(select(Card).join(Deck).where(Deck.name == "Languages::French")))


def test_a_whole_collection_retires_the_cards_of_a_deck_deleted_in_anki(store, collections, tmp_path):
    import_paths(store, [collections["first"]])
    french = _french(store)
    assert len(french) == 8 and all(c.retired_at is None for c in french)
    reviews = _reviews(store)
    reports = import_paths(store, [collections["newer"]])
    by_deck = {r.deck: r for r in reports}
    assert by_deck["Languages::French"].retired == 8 and by_deck["Math"].retired == 0
    assert any("no longer in the collection" in str(w) for w in by_deck["Languages::French"].warnings), by_deck["Languages::French"].warnings
    assert all(c.retired_at is not None for c in _french(store))
    assert _reviews(store) == reviews  # history kept
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Card).where(Card.retired_at.is_(None))) > 0  # Math stays

    # the deck back in a later collection (here the first export again, under another name): restored
    again = tmp_path / "restored.colpkg"
    shutil.copy(collections["first"], again)
    reports = import_paths(store, [again])
    assert sum(r.restored for r in reports) == 8 and sum(r.retired for r in reports) == 0
    assert all(c.retired_at is None for c in _french(store))
    assert _reviews(store) == reviews


def test_an_apkg_or_another_collection_leaves_decks_it_does_not_hold_alone(store, collections):
    import_paths(store, [collections["first"]])
    # an .apkg may hold only some decks: a deck it lacks is not "deleted"
    reports = import_paths(store, [collections["newer_apkg"]])
    assert sum(r.retired for r in reports) == 0
    # another learner's collection (none of its decks came from this one) retires nothing of it
    reports = import_paths(store, [collections["other"]])
    assert sum(r.retired for r in reports) == 0 and [r.deck for r in reports] == ["German"]
    assert all(c.retired_at is None for c in _french(store))
    # while the next export of the first collection still does
    reports = import_paths(store, [collections["newer"]])
    assert {r.deck: r.retired for r in reports}["Languages::French"] == 8
    with store.sessions() as s:
        german = s.scalars(select(Card).where(Card.question == "Hund")).all()
    assert len(german) == 1 and german[0].retired_at is None


def test_a_whole_collection_with_deck_filter_or_dry_run_retires_nothing(store, collections):
    import_paths(store, [collections["first"]])
    assert sum(r.retired for r in import_paths(store, [collections["newer"]], deck_name="Math")) == 0
    reports = import_paths(store, [collections["newer"]], dry_run=True)
    assert {r.deck: r.retired for r in reports}["Languages::French"] == 8
    assert all(c.retired_at is None for c in _french(store))
