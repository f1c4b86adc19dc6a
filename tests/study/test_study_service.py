import pytest
from sqlalchemy import select

from flashtrain.scheduler.core import MemoryState
from flashtrain.store.models import CardState, ReviewLog
from flashtrain.study.service import StudyService
from study_factories import UTC, add_deck

pytestmark = pytest.mark.both_dialects  # these tests also run on PostgreSQL (tests/conftest.py)


def test_rate_writes_log_row_and_state(store, service, clock):
    (card_id,) = add_deck(store, "A", 1)
    record = service.rate(card_id, 4, duration_ms=1234)
    with store.sessions.begin() as s:
        log = s.scalars(select(ReviewLog)).one()
        row = s.get(CardState, card_id)
        assert log.card_id == card_id and log.rating == 4 and log.duration_ms == 1234
        assert log.reviewed_at == clock.now and log.reviewed_at.tzinfo is not None
        assert log.elapsed_days is None  # first review
        assert log.state_before == MemoryState().to_dict()
        assert log.state_after == record.state_after.to_dict()
        assert log.origin == "study"
        assert MemoryState.from_dict(log.state_after).due == row.due
        assert row.phase == record.state_after.phase and row.stability == record.state_after.stability
        assert row.reps == 1 and row.last_rating == 4
    clock.advance(days=3)
    service.rate(card_id, 3)
    with store.sessions.begin() as s:
        second = s.scalars(select(ReviewLog).order_by(ReviewLog.id.desc())).first()
        assert abs(second.elapsed_days - 3.0) < 1e-9
        assert second.state_before == log.state_after


def test_undo_restores_new_card_to_no_row(store, service):
    (card_id,) = add_deck(store, "A", 1)
    service.rate(card_id, 1)
    assert service.undo_last() == card_id
    with store.sessions.begin() as s:
        assert s.get(CardState, card_id) is None
        assert s.scalars(select(ReviewLog)).first() is None
    assert service.undo_last() is None


def test_undo_works_across_restart(store, clock):
    (card_id,) = add_deck(store, "A", 1)
    first = StudyService(store, clock=clock, tz=UTC)
    first.rate(card_id, 4)
    clock.advance(days=5)
    before = first.card(card_id).state
    first.rate(card_id, 1)
    restarted = StudyService(store, clock=clock, tz=UTC)
    assert restarted.undo_last() == card_id
    assert restarted.card(card_id).state == before


def test_rejects_bad_rating_without_writing(store, service):
    (card_id,) = add_deck(store, "A", 1)
    for bad in (0, 6, "3", 2.0, True):
        try:
            service.rate(card_id, bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"accepted {bad!r}")
    with store.sessions.begin() as s:
        assert s.scalars(select(ReviewLog)).first() is None


def test_study_package_is_headless():
    import subprocess
    import sys

    code = ("import sys, flashtrain.study.service, flashtrain.study.history, flashtrain.study.plain, "
            "flashtrain.study.optimize, flashtrain.study.settings, flashtrain.cli.scheduling; "
            "print('textual' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
