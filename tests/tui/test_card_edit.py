"""flashtrain.services.card_edit: edits keep history; file-backed cards are written back and re-imported."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from tui_fixtures import bundled_store_from_deck, store_from_deck

from flashtrain.services.card_edit import CardDraft, EditError, load_draft, save_card
from flashtrain.store.engine import open_store
from flashtrain.store.models import Card, Deck, ReviewLog
from flashtrain.services.imports import import_file

DECK = """---
name: Tiny
---

Q: What is   momentum?
A: An EWA of gradients.

---

Q: What is RMSprop?
A: Divide by the root of an EWA of squared gradients.
hint: squares

---

C: Adam's $\\beta_1$ default is {{0.9}}.
"""


@pytest.fixture
def deck_store(tmp_path):
    store, path = store_from_deck(tmp_path, DECK, "tiny.md")
    yield store, path
    store.close()


def card_id_for(store, fragment):
    with store.sessions() as s:
        return s.scalar(select(Card.id).where(Card.question.contains(fragment), Card.retired_at.is_(None)))


def add_history(store, card_id, rating):
    """One review row, so a test can check the history stays with the card."""
    with store.sessions.begin() as s:
        s.add(ReviewLog(card_id=card_id, reviewed_at=datetime(2026, 1, 1, tzinfo=timezone.utc), rating=rating))


def test_edit_question_writes_file_and_keeps_history(deck_store):
    store, path = deck_store
    card_id = card_id_for(store, "momentum")
    add_history(store, card_id, rating=4)
    draft, where = load_draft(store, card_id)
    assert "tiny.md" in where
    result = save_card(store, CardDraft(**{**draft.__dict__, "question": "What is momentum in SGD?",
                                          "tags": ("momentum",)}), card_id)
    assert result.file == path
    text = path.read_text()
    assert "Q: What is momentum in SGD?\nA: An EWA of gradients.\n\ntags: momentum\n" in text
    assert text[text.index("\n---\n\nQ: What is RMSprop?"):] == DECK[DECK.index("\n---\n\nQ: What is RMSprop?"):]
    with store.sessions() as s:
        card = s.get(Card, card_id)
        assert card.retired_at is None and card.question == "What is momentum in SGD?"
        assert card.tags == ["momentum"]
        assert s.scalar(select(ReviewLog.card_id)) == card_id
        assert s.scalar(select(Card.id).where(Card.retired_at.is_not(None))) is None  # nothing retired


def test_edit_cloze_adds_gap_and_keeps_first(deck_store):
    store, path = deck_store
    card_id = card_id_for(store, "default is")
    draft, _ = load_draft(store, card_id)
    new_q = "Adam's $\\beta_1$ default is {{0.9}}, $\\beta_2$ is {{0.999}}."
    save_card(store, CardDraft(**{**draft.__dict__, "question": new_q}), card_id)
    with store.sessions() as s:
        rows = s.scalars(select(Card).where(Card.kind == "cloze", Card.retired_at.is_(None))).all()
    assert sorted(r.cloze_index for r in rows) == [1, 2]
    assert card_id in [r.id for r in rows]
    assert "C: " + new_q in path.read_text()


def test_invalid_edit_writes_nothing(deck_store):
    store, path = deck_store
    card_id = card_id_for(store, "RMSprop")
    draft, _ = load_draft(store, card_id)
    with pytest.raises(EditError, match="answer is empty"):
        save_card(store, CardDraft(**{**draft.__dict__, "answer": "  "}), card_id)
    assert path.read_text() == DECK


def test_add_card_appends_to_the_deck_file(deck_store):
    store, path = deck_store
    with store.sessions() as s:
        deck_id = s.scalar(select(Deck.id).where(Deck.name == "Tiny"))
    result = save_card(store, CardDraft(deck_id=deck_id, question="What is Adam?", answer="Momentum + RMSprop.",
                                        hints=("two EWAs",)))
    text = path.read_text()
    assert text.startswith(DECK.rstrip("\n"))
    assert text.endswith("\n---\n\nQ: What is Adam?\nA: Momentum + RMSprop.\n\nhint: two EWAs\n")
    with store.sessions() as s:
        assert s.get(Card, result.card_id).hints == ["two EWAs"]


def test_store_only_card_is_updated_in_place(tmp_path):
    store = open_store(tmp_path / "s.db")
    with store.sessions.begin() as s:
        deck = Deck(name="Loose")
        s.add(deck)
        s.flush()
        deck_id = deck.id
    added = save_card(store, CardDraft(deck_id=deck_id, question="Q1", answer="A1"))
    assert added.file is None
    result = save_card(store, CardDraft(deck_id=deck_id, question="Q1 edited", answer="A2"), added.card_id)
    assert result.file is None
    with store.sessions() as s:
        card = s.get(Card, added.card_id)
        assert (card.question, card.answer) == ("Q1 edited", "A2")
    store.close()


def test_retire_removes_from_file_and_keeps_history(deck_store):
    from flashtrain.services.card_edit import retire_card

    store, path = deck_store
    card_id = card_id_for(store, "RMSprop")
    add_history(store, card_id, rating=2)
    result = retire_card(store, card_id)
    assert result.file == path
    assert "RMSprop" not in path.read_text()
    with store.sessions() as s:
        assert s.get(Card, card_id).retired_at is not None
        assert s.scalar(select(ReviewLog.card_id)) == card_id
    # re-importing the file does not bring it back
    import_file(store, path)
    with store.sessions() as s:
        assert s.get(Card, card_id).retired_at is not None


# -- bundled decks: edited in the store only, their files never written -----------------------------
@pytest.fixture
def bundled_store(tmp_path, monkeypatch):
    store, path = bundled_store_from_deck(tmp_path, monkeypatch, DECK, "tiny.md")
    yield store, path
    store.close()


def test_bundled_card_edit_stays_in_the_store(bundled_store):
    store, path = bundled_store
    card_id = card_id_for(store, "momentum")
    add_history(store, card_id, rating=4)
    draft, where = load_draft(store, card_id)
    assert "Bundled deck" in where and "store only" in where and "never changed" in where
    result = save_card(store, CardDraft(**{**draft.__dict__, "question": "What is momentum in SGD?"}), card_id)
    assert result.file is None and "never changed" in result.message
    assert path.read_text(encoding="utf-8") == DECK  # the install's file is untouched
    with store.sessions() as s:
        card = s.get(Card, card_id)
        assert card.question == "What is momentum in SGD?" and card.retired_at is None
        assert s.scalar(select(ReviewLog.card_id)) == card_id


def test_bundled_deck_add_and_retire_never_write_the_file(bundled_store):
    from flashtrain.services.card_edit import deck_target, retire_card

    store, path = bundled_store
    with store.sessions() as s:
        deck_id = s.scalar(select(Deck.id))
    assert "store only" in deck_target(store, deck_id)
    added = save_card(store, CardDraft(deck_id=deck_id, question="What is Nesterov momentum?", answer="Look ahead."))
    assert added.file is None and card_id_for(store, "Nesterov") == added.card_id
    retired = retire_card(store, card_id_for(store, "RMSprop"))
    assert retired.file is None
    assert path.read_text(encoding="utf-8") == DECK
    assert card_id_for(store, "RMSprop") is None  # retired in the store
