"""A card edited in the app (its file could not be written) is never silently overwritten."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from flashtrain.services.card_edit import CardDraft, save_card
from flashtrain.store.models import Card
from flashtrain.services.imports import import_file

pytestmark = pytest.mark.both_dialects  # these tests also run on PostgreSQL (tests/conftest.py)

CSV = 'What is ReLU?,"max(0, z)"\nWhat is tanh?,a rescaled sigmoid\n'


def only_card(store, question):
    with store.sessions() as session:
        return session.scalar(select(Card).where(Card.question == question))


def edit_relu(store, answer):
    card = only_card(store, "What is ReLU?")
    return save_card(store, CardDraft(deck_id=card.deck_id, question=card.question, answer=answer), card.id)


def test_app_edit_survives_a_changed_file_with_a_warning(store, tmp_path):
    path = tmp_path / "acts.csv"
    path.write_text(CSV)
    import_file(store, path)
    result = edit_relu(store, "max(0, z), applied elementwise")
    assert result.file is None  # a CSV is never written: the edit lives in the store
    path.write_text(CSV.replace("a rescaled sigmoid", "2σ(2z) − 1") + "What is GELU?,smooth ReLU\n")
    report = import_file(store, path)
    assert (report.added, report.updated, report.retired) == (1, 1, 0)
    assert only_card(store, "What is ReLU?").answer == "max(0, z), applied elementwise"
    assert [w.line for w in report.warnings] == [1] and "edited in the app" in report.warnings[0].message


def test_app_edit_survives_removal_from_the_file(store, tmp_path):
    path = tmp_path / "acts.csv"
    path.write_text(CSV)
    import_file(store, path)
    edit_relu(store, "my own words")
    path.write_text("What is tanh?,a rescaled sigmoid\n")
    assert import_file(store, path).retired == 0
    assert only_card(store, "What is ReLU?").retired_at is None


def test_prefer_file_takes_the_files_version(store, tmp_path):
    path = tmp_path / "acts.csv"
    path.write_text(CSV)
    import_file(store, path)
    edit_relu(store, "my own words")
    report = import_file(store, path, prefer_file=True)
    assert report.updated == 1 and not report.warnings
    card = only_card(store, "What is ReLU?")
    assert card.answer == "max(0, z)" and card.edited_in_app_at is None
