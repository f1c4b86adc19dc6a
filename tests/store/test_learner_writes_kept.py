"""Issue 15: a learner's writes besides ratings (suspend, bury, flag, settings, card edits and deletions)
are never lost. While another process holds the store's write lock for longer than we wait, each is
kept in the journal with one line saying so, and the next open of the store writes it. The lock is
held by a real second process (faultlab.lock_held) until the test lets go: nothing depends on timing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from flashtrain.services.card_edit import CardDraft, load_draft, retire_card, save_card
from flashtrain.services.settings import change_setting, study_settings
from flashtrain.store.engine import open_store
from flashtrain.store.models import Card
from flashtrain.study.journal import entries, journal_paths
from flashtrain.study.service import StudyService

from faultlab import deck_text, lock_held


@pytest.fixture
def impatient(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASHTRAIN_STORE_WAIT", "0.2")  # how long a write waits before the journal
    monkeypatch.setenv("FLASHTRAIN_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def deck_store(tmp_path, impatient):
    from flashtrain.services.imports import import_file

    deck = tmp_path / "deck.md"
    deck.write_text(deck_text(4, "Kept deck"), encoding="utf-8")
    db = tmp_path / "store.db"
    store = open_store(db)
    assert import_file(store, deck).error is None
    yield store, db, deck
    store.close()


def card_ids(store) -> list[int]:
    with store.sessions() as s:
        return list(s.scalars(select(Card.id).order_by(Card.id)))


def card_row(store, card_id: int) -> Card:
    with store.sessions() as s:
        return s.get(Card, card_id)


def reopen_and_replay(db):
    """What the next command does when it opens the store (cli.common.open_store)."""
    store = open_store(db)
    saved, failed = StudyService(store).replay_journal()
    return store, saved, failed


def test_suspend_bury_and_flag_in_a_locked_store_are_kept_and_written_on_next_open(deck_store):
    store, db, _ = deck_store
    first, second, third, _ = card_ids(store)
    service = StudyService(store)
    with lock_held(db):
        service.suspend(first)
        until = service.bury(second)
        service.flag(third)
        notices = service.take_notices()
        shown = {service.next_card().card_id}  # suspended and buried cards leave this session's queue
    assert len(notices) == 3 and all("locked by another flashtrain process" in n and "kept in" in n for n in notices)
    assert all("\n" not in n for n in notices)
    assert shown.isdisjoint({first, second})
    assert not card_row(store, first).suspended and not card_row(store, third).flagged  # not in the store yet
    assert len(entries(store)) == 3

    again, saved, failed = reopen_and_replay(db)
    try:
        assert (saved, failed) == (3, 0)
        assert card_row(again, first).suspended and card_row(again, third).flagged
        assert card_row(again, second).buried_until == until
        assert not any(path.exists() for path in journal_paths(again))
        assert StudyService(again).replay_journal() == (0, 0)  # nothing written twice
    finally:
        again.close()


def test_a_setting_changed_in_a_locked_store_is_kept_and_a_later_change_wins(deck_store):
    store, db, _ = deck_store
    with lock_held(db):
        kept = change_setting(store, "new_per_day", "7")
        other = change_setting(store, "desired_retention", 0.85)
    assert not kept.stored and kept.value == 7 and "kept in" in kept.notice
    assert study_settings(store).new_per_day == 20  # the default: the store did not take it
    assert change_setting(store, "desired_retention", 0.8).stored  # changed again, after the kept one

    again, saved, failed = reopen_and_replay(db)
    try:
        assert (saved, failed) == (2, 0)
        settings = study_settings(again)
        assert settings.new_per_day == 7
        assert settings.desired_retention == 0.8  # the later change is not overwritten by the journal
    finally:
        again.close()


def test_card_edit_and_deletion_in_a_locked_store_are_kept_and_written_on_next_open(deck_store):
    store, db, deck = deck_store
    first, second, *_ = card_ids(store)
    draft, _ = load_draft(store, first)
    before = deck.read_text(encoding="utf-8")
    edited = CardDraft(**{**draft.__dict__, "answer": "A better answer, written while the store was locked."})
    added = CardDraft(deck_id=draft.deck_id, question="A card added while the store was locked?", answer="Kept.")
    with lock_held(db):
        results = [save_card(store, edited, first), save_card(store, added), retire_card(store, second)]
    assert all(r.kept_in is not None and "kept in" in r.message for r in results)
    assert deck.read_text(encoding="utf-8") == before  # nothing half-written: file and store wait together

    again, saved, failed = reopen_and_replay(db)
    try:
        assert (saved, failed) == (3, 0)
        text = deck.read_text(encoding="utf-8")
        assert "A better answer, written while the store was locked." in text
        assert "A card added while the store was locked?" in text
        assert "Fault question number 1?" not in text  # the deleted card's note left the file
        assert card_row(again, first).answer == "A better answer, written while the store was locked."
        assert card_row(again, second).retired_at is not None
        with again.sessions() as s:
            assert s.scalar(select(Card.id).where(Card.question == added.question)) is not None
    finally:
        again.close()


def test_a_journal_entry_for_a_card_that_is_gone_is_reported_and_kept(deck_store):
    store, db, _ = deck_store
    first, *_ = card_ids(store)
    service = StudyService(store)
    with lock_held(db):
        service.flag(first)
    with store.sessions.begin() as s:
        s.delete(s.get(Card, first))
    again, saved, failed = reopen_and_replay(db)
    try:
        assert (saved, failed) == (0, 1)
        assert len(entries(again)) == 1  # kept: the learner is told where it is
    finally:
        again.close()
