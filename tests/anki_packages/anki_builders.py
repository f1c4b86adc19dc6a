"""Real Anki collections built with Anki's own library (the `anki` package from PyPI).

`build_collection` makes a collection with every stock notetype, a user-made notetype, sub-decks,
HTML, MathJax, an image, a missing image, several rounds of reviews answered through Anki's
scheduler (with manual reschedules between them), suspended, buried and flagged cards, and a
deleted note whose reviews stay in the revlog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

anki_collection = pytest.importorskip("anki.collection")  # the test extra installs it; never skipped in CI
from anki.collection import Collection, ExportAnkiPackageOptions  # noqa: E402
from anki.scheduler.v3 import CardAnswer  # noqa: E402

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
RATINGS = {1: CardAnswer.AGAIN, 2: CardAnswer.HARD, 3: CardAnswer.GOOD, 4: CardAnswer.EASY}


@dataclass
class Built:
    path: Path
    deck_ids: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)  # label -> note id


def add_note(col: Collection, notetype: str, deck_id: int, fields: dict[str, str], tags=()) -> int:
    note = col.new_note(col.models.by_name(notetype))
    for name, value in fields.items():
        note[name] = value
    note.tags = list(tags)
    col.add_note(note, deck_id)
    return note.id


def answer(col: Collection, card_id: int, ease: int) -> None:
    card = col.get_card(card_id)
    card.start_timer()
    states = col._backend.get_scheduling_states(card.id)
    col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=RATINGS[ease]))


def review_rounds(col: Collection, card_ids: list[int], eases: list[int]) -> None:
    """Answer each card once per ease, making it due again in between (a manual 'set due date')."""
    for round_number, ease in enumerate(eases):
        for card_id in card_ids:
            if round_number:
                col.sched.set_due_date([card_id], "0")
            answer(col, card_id, ease)


def build_collection(folder: Path) -> Built:
    folder.mkdir(parents=True, exist_ok=True)
    built = Built(folder / "collection.anki2")
    col = Collection(str(built.path))
    try:
        col.media.write_data("dot.png", PNG)
        french = col.decks.id("Languages::French")
        math_deck = col.decks.id("Math")
        built.deck_ids = {"Languages::French": french, "Math": math_deck}
        built.notes["basic"] = add_note(col, "Basic", math_deck, {
            "Front": "What is <b>2</b> + 2?<br>Show \\(x^2\\) too",
            "Back": "<div>Four</div><div>&lt;four&gt; &amp; <i>cuatro</i></div><img src=\"dot.png\">"},
            tags=["Math::Arithmetic", "CaseKept"])
        built.notes["reversed"] = add_note(col, "Basic (and reversed card)", french,
                                           {"Front": "chat", "Back": "cat"}, tags=["animals"])
        built.notes["optional_with"] = add_note(col, "Basic (optional reversed card)", french,
                                                {"Front": "chien", "Back": "dog", "Add Reverse": "y"})
        built.notes["optional_without"] = add_note(col, "Basic (optional reversed card)", french,
                                                   {"Front": "oiseau", "Back": "bird"})
        built.notes["typing"] = add_note(col, "Basic (type in the answer)", french, {"Front": "fish?", "Back": "poisson"})
        built.notes["cloze"] = add_note(col, "Cloze", math_deck, {
            "Text": "{{c1::Gradient}} descent moves {{c2::against::direction}} the {{c1::gradient}}; "
                    "\\[\\theta \\leftarrow \\theta - \\eta \\nabla L\\]",
            "Back Extra": "See <code>optimizer.step()</code>"})
        built.notes["code"] = add_note(col, "Basic", math_deck, {
            "Front": "Write ReLU", "Back": "<pre>def relu(x):\n    return np.maximum(x, 0)</pre>"})
        built.notes["missing_media"] = add_note(col, "Basic", math_deck, {
            "Front": "Picture question", "Back": "<img src=\"nowhere.png\">"})
        custom = col.models.copy(col.models.by_name("Basic"), add=False)
        custom["name"] = "Vocab"
        col.models.add_dict(custom)
        built.notes["custom"] = add_note(col, "Vocab", french, {"Front": "maison", "Back": "house"})
        built.notes["deleted"] = add_note(col, "Basic", math_deck, {"Front": "gone", "Back": "soon"})
        built.notes["scheduled"] = add_note(col, "Basic", french, {"Front": "pain", "Back": "bread"})

        def cards_of(label: str) -> list[int]:
            return col.card_ids_of_note(built.notes[label])

        col.decks.select(math_deck)
        review_rounds(col, cards_of("basic") + cards_of("cloze") + cards_of("deleted"), [3, 3, 1, 4])
        col.decks.select(french)
        review_rounds(col, cards_of("reversed"), [2, 3])
        # a review card with no answer in its history: "set due date" writes only a manual revlog row
        col.sched.set_due_date(cards_of("scheduled"), "7!")
        col.sched.suspend_cards(cards_of("typing"))
        col.sched.bury_cards(cards_of("optional_with"), manual=True)
        col.set_user_flag_for_cards(3, cards_of("custom"))
        col.remove_notes([built.notes["deleted"]])
    finally:
        col.close()
    return built


def export(built: Built, out: Path, legacy: bool = False, colpkg: bool = False) -> Path:
    col = Collection(str(built.path))
    try:
        if colpkg:
            col.export_collection_package(str(out), include_media=True, legacy=legacy)
        else:
            col.export_anki_package(out_path=str(out), limit=None, options=ExportAnkiPackageOptions(
                with_scheduling=True, with_deck_configs=False, with_media=True, legacy=legacy))
    finally:
        col.close()
    return out


def open_collection(path: Path) -> Collection:
    return Collection(str(path))
