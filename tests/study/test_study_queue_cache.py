"""The per-day candidate lists must never show a stale answer, whoever changed the store."""

import random
from datetime import timedelta

import pytest

from study_factories import START, UTC, add_deck, set_state

from flashtrain.scheduler import core
from flashtrain.study.service import QueueSpec, StudyService

pytestmark = pytest.mark.both_dialects  # these tests also run on PostgreSQL (tests/conftest.py)


def test_order_by_recall_across_many_batches(store, service, clock):
    rng = random.Random(5)
    ids = add_deck(store, "A", 150)
    for card_id in ids:
        set_state(store, card_id, stability=rng.uniform(0.5, 60), last_review=START - timedelta(days=rng.randint(1, 90)),
                  due=START - timedelta(hours=rng.randint(1, 500)))
    config = service.scheduler_config()
    expected = sorted(ids, key=lambda c: (core.retrievability(service.card(c).state, clock.now, config)))
    recalls = [core.retrievability(service.card(c).state, clock.now, config) for c in expected]
    seen = []
    while (card := service.next_card(QueueSpec())) is not None:
        seen.append(card.card_id)
        service.rate(card.card_id, 4)
    got = [core.retrievability(service.card(c).state, clock.now, config) for c in seen]  # states changed: recompute
    assert sorted(seen) == sorted(ids)
    by_id = dict(zip(expected, recalls))
    assert [by_id[c] for c in seen] == sorted(recalls) and got  # same R sequence (ties may swap ids)


def test_changes_by_another_service_are_seen(store, service, clock):
    a, b, c = add_deck(store, "A", 3)
    assert service.next_card(QueueSpec()).card_id == a  # lists built now
    other = StudyService(store, clock=clock, tz=UTC)  # e.g. a second window
    other.rate(a, 4)
    assert service.next_card(QueueSpec()).card_id == b
    other.suspend(b)
    assert service.next_card(QueueSpec()).card_id == c
    (d,) = add_deck(store, "B", 1)  # a deck imported meanwhile
    service.rate(c, 4)
    assert service.next_card(QueueSpec()).card_id == d
    other.suspend(b, on=False)
    service.rate(d, 4)
    assert service.next_card(QueueSpec()).card_id == b  # unsuspended elsewhere; seen after a rebuild or pick


def test_unsuspend_and_unbury_put_cards_back(store, service, clock):
    ids = add_deck(store, "A", 2)
    for card_id in ids:
        set_state(store, card_id, stability=3.0, last_review=START - timedelta(days=3), due=START - timedelta(hours=1))
    first = service.next_card(QueueSpec()).card_id
    service.suspend(first)
    second = service.next_card(QueueSpec()).card_id
    assert second != first
    service.bury(second)
    assert service.next_card(QueueSpec()) is None and service.remaining(QueueSpec()) == 0
    service.suspend(first, on=False)
    service.unbury(second)
    assert service.remaining(QueueSpec()) == 2
    assert service.next_card(QueueSpec()).card_id == first


def test_undo_after_day_change_restores_due_card(store, service, clock):
    (card,) = add_deck(store, "A", 1)
    set_state(store, card, stability=3.0, last_review=START - timedelta(days=3), due=START - timedelta(hours=1))
    clock.now = START.replace(hour=3)  # late the previous study day
    service.rate(card, 4)
    clock.now = START  # next study day: lists are rebuilt without the card
    assert service.next_card(QueueSpec()) is None
    assert service.undo_last() == card
    assert service.next_card(QueueSpec()).card_id == card
