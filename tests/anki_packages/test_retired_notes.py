"""A newer export of the same Anki deck without some notes retires their cards (history kept)."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from anki_builders import build_collection, export, open_collection
from flashtrain.cli import main
from flashtrain.deck.anki.convert import note_identity
from flashtrain.store.models import Card, ReviewLog
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

