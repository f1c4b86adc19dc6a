"""Identity: re-imports, edits, retirements and failures never lose a card's history."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from flashtrain.store.models import Card, CardState, Deck, ReviewLog
from flashtrain.services.imports import import_file, import_paths

pytestmark = pytest.mark.both_dialects  # these tests also run on PostgreSQL (tests/conftest.py)

DECK = """---
name: Identity
---
Q: What does Adam combine?
A: Momentum and RMSprop.
tags: adam

Q: Default beta_1?
A: 0.9
id: beta-one

Q: Why log scale for the learning rate?
A: Values span orders of magnitude.
"""


def review(store, question_start: str) -> int:
    """Give the card a state and one review row, as a study session would."""
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with store.sessions.begin() as session:
        card = session.scalar(select(Card).where(Card.question.startswith(question_start)))
        session.add(CardState(card_id=card.id, phase="review", stability=3.0, difficulty=5.0, due=now, reps=1))
        session.add(ReviewLog(card_id=card.id, reviewed_at=now, rating=4))
        return card.id


def cards(store):
    with store.sessions() as session:
        return {c.question: c for c in session.scalars(select(Card))}


def reviews_of(store, card_id: int) -> int:
    with store.sessions() as session:
        return session.scalar(select(func.count()).select_from(ReviewLog).where(ReviewLog.card_id == card_id))


def test_first_import_then_unchanged_reimport_is_skipped(store, tmp_path):
    path = tmp_path / "identity.md"
    path.write_text(DECK)
    first = import_file(store, path)
    assert (first.status, first.added, first.deck) == ("imported", 3, "Identity")
    again = import_file(store, path)
    assert (again.status, again.added, again.updated, again.unchanged) == ("unchanged", 0, 0, 3)


def test_editing_answer_tags_hints_keeps_the_card_and_history(store, tmp_path):
    path = tmp_path / "identity.md"
    path.write_text(DECK)
    import_file(store, path)
    card_id = review(store, "What does Adam")
    path.write_text(DECK.replace("Momentum and RMSprop.", "Momentum plus RMSprop, bias-corrected.")
                    .replace("tags: adam", "tags: adam, optimizers\nhint: two older methods"))
    report = import_file(store, path)
    assert (report.updated, report.added, report.retired) == (1, 0, 0)
    card = cards(store)["What does Adam combine?"]
    assert card.id == card_id and card.answer.startswith("Momentum plus")
    assert card.tags == ["adam", "optimizers"] and card.hints == ["two older methods"]
    assert reviews_of(store, card_id) == 1


def test_explicit_id_keeps_history_through_question_edit(store, tmp_path):
    path = tmp_path / "identity.md"
    path.write_text(DECK)
    import_file(store, path)
    card_id = review(store, "Default beta_1")
    path.write_text(DECK.replace("Default beta_1?", "What is Adam's default beta_1?"))
    report = import_file(store, path)
    assert (report.updated, report.added, report.retired) == (1, 0, 0)
    assert cards(store)["What is Adam's default beta_1?"].id == card_id


def test_question_edit_without_id_is_a_new_card_and_the_old_one_retires(store, tmp_path):
    path = tmp_path / "identity.md"
    path.write_text(DECK)
    import_file(store, path)
    old_id = review(store, "Why log scale")
    path.write_text(DECK.replace("Why log scale for the learning rate?", "Why sample the learning rate on a log scale?"))
    report = import_file(store, path)
    assert (report.added, report.retired) == (1, 1)
    old = cards(store)["Why log scale for the learning rate?"]
    assert old.id == old_id and old.retired_at is not None
    assert reviews_of(store, old_id) == 1


def test_adding_an_id_to_an_existing_card_keeps_history(store, tmp_path):
    path = tmp_path / "identity.md"
    path.write_text(DECK)
    import_file(store, path)
    card_id = review(store, "Why log scale")
    path.write_text(DECK + "id: log-scale\n")
    report = import_file(store, path)
    assert (report.added, report.retired, report.updated) == (0, 0, 1)
    assert cards(store)["Why log scale for the learning rate?"].key == "id:log-scale"
    assert cards(store)["Why log scale for the learning rate?"].id == card_id


def test_removed_card_is_retired_and_comes_back_with_history(store, tmp_path):
    path = tmp_path / "identity.md"
    path.write_text(DECK)
    import_file(store, path)
    card_id = review(store, "What does Adam")
    without = DECK.replace("Q: What does Adam combine?\nA: Momentum and RMSprop.\ntags: adam\n", "")
    path.write_text(without)
    assert import_file(store, path).retired == 1
    assert cards(store)["What does Adam combine?"].retired_at is not None
    path.write_text(DECK)
    report = import_file(store, path)
    assert (report.restored, report.added) == (1, 0)
    card = cards(store)["What does Adam combine?"]
    assert card.id == card_id and card.retired_at is None and reviews_of(store, card_id) == 1


def test_a_file_that_fails_to_parse_changes_nothing_and_others_still_import(store, tmp_path):
    good, bad = tmp_path / "a.md", tmp_path / "b.md"
    good.write_text(DECK)
    import_file(store, good)
    good.write_text(DECK.replace("A: 0.9", "A: 0.9 (changed)"))
    bad.write_text("Q: fine\nA: fine\n\nQ: broken, no answer\n")
    reports = import_paths(store, [bad, good])
    assert [r.status for r in reports] == ["rejected", "imported"]
    assert reports[0].error.startswith(f"{bad}:4: error:")
    assert "fine" not in cards(store)
    assert cards(store)["Default beta_1?"].answer == "0.9 (changed)"


def test_dry_run_reports_but_writes_nothing(store, tmp_path):
    path = tmp_path / "identity.md"
    path.write_text(DECK)
    report = import_file(store, path, dry_run=True)
    assert report.added == 3
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Card)) == 0
        assert session.scalar(select(func.count()).select_from(Deck)) == 0


def test_duplicate_question_in_one_file_is_skipped_with_a_warning(store, tmp_path):
    path = tmp_path / "dup.md"
    path.write_text("Q: Same?\nA: one\n\nQ: same?\nA: two\n")
    report = import_file(store, path)
    assert report.added == 1
    assert [str(w) for w in report.warnings] == [
        f"{path}:4: warning: same question as the card at line 1; this duplicate was skipped "
        "(give it its own id: to keep both)"]


def test_folder_import_skips_readme_and_snippets(store, tmp_path):
    (tmp_path / "decks" / "snippets").mkdir(parents=True)
    (tmp_path / "decks" / "README.md").write_text("# not a deck\n")
    (tmp_path / "decks" / "snippets" / "x.md").write_text("not a deck either\n")
    (tmp_path / "decks" / "one.md").write_text(DECK)
    reports = import_paths(store, [tmp_path / "decks"])
    assert [(r.status, r.added) for r in reports if r.status != "skipped"] == [("imported", 3)]
    skipped = {Path(r.path).name: r.error for r in reports if r.status == "skipped"}
    assert set(skipped) == {"README.md", "snippets"} and "README" in skipped["README.md"]


def test_not_utf8_is_rejected_with_line(store, tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes(b"Q: one\nA: caf\xe9\n")
    report = import_file(store, path)
    assert report.status == "rejected" and report.error == f"{path}:2: error: the file is not UTF-8 text"


def test_a_store_error_rejects_the_file_and_writes_nothing(store, tmp_path, monkeypatch):
    import flashtrain.services.imports as sync
    from sqlalchemy.exc import OperationalError

    path = tmp_path / "identity.md"
    path.write_text(DECK)

    def locked(session, *args):
        session.add(Deck(name="half-written"))
        session.flush()
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(sync, "apply_deck", locked)
    report = import_file(store, path)
    assert report.status == "rejected" and "database is locked" in report.error and report.added == 0
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Deck)) == 0
