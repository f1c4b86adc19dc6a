from datetime import timedelta

import pytest
from study_factories import START, UTC, add_deck, set_state

from flashtrain.scheduler import core
from flashtrain.study.service import QueueSpec, StudyService

pytestmark = pytest.mark.both_dialects  # these tests also run on PostgreSQL (tests/conftest.py)


def drain(service, spec=QueueSpec(), rating=4, limit=200):
    """Rate every card the queue offers (without moving the clock); returns the ids in order."""
    seen = []
    for _ in range(limit):
        card = service.next_card(spec)
        if card is None:
            return seen
        seen.append(card.card_id)
        service.rate(card.card_id, rating, origin=spec.origin)
    raise AssertionError("queue did not drain")


def test_due_reviews_come_most_at_risk_first(store, service, clock):
    ids = add_deck(store, "A", 6)
    # Different stabilities and ages: predicted recall differs for each card.
    setups = [(2.0, 10), (50.0, 10), (5.0, 3), (1.0, 1), (20.0, 40), (3.0, 30)]
    for card_id, (stability, age) in zip(ids, setups):
        set_state(store, card_id, stability=stability, last_review=START - timedelta(days=age),
                  due=START - timedelta(hours=1))
    config = service.scheduler_config()
    expected = sorted(ids, key=lambda c: core.retrievability(service.card(c).state, clock.now, config))
    recalls = [core.retrievability(service.card(c).state, clock.now, config) for c in expected]
    assert recalls == sorted(recalls) and len(set(recalls)) == len(recalls)
    assert drain(service) == expected


def test_reviews_not_due_today_are_not_offered(store, service, clock):
    due_now, tomorrow = add_deck(store, "A", 2)
    set_state(store, due_now, stability=5.0, last_review=START - timedelta(days=5), due=START - timedelta(hours=2))
    set_state(store, tomorrow, stability=5.0, last_review=START - timedelta(days=4), due=START + timedelta(days=1))
    assert drain(service) == [due_now]
    assert service.remaining(QueueSpec()) == 0


def test_failed_card_comes_back_within_the_session(store, service, clock):
    a, b, c = add_deck(store, "A", 3)
    spec = QueueSpec()
    first = service.next_card(spec)
    assert first.card_id == a
    service.rate(a, 1)  # learning step of a minute or so
    assert service.next_card(spec).card_id == b  # others first while a's step runs
    service.rate(b, 5)
    clock.advance(minutes=2)  # a's step is over: it beats the remaining new card
    assert service.next_card(spec).card_id == a
    service.rate(a, 1)
    service.rate(c, 5)
    # Nothing else left: the learning card is offered at once instead of an empty screen.
    again = service.next_card(spec)
    assert again is not None and again.card_id == a and again.state.due > clock.now
    assert service.remaining(spec) == 1


def test_new_cards_respect_daily_limit_and_reset_at_day_start(store, service, clock):
    from flashtrain.services.settings import save_setting

    ids = add_deck(store, "A", 10)
    with store.sessions.begin() as s:
        save_setting(s, "new_per_day", 3)
    assert service.remaining(QueueSpec()) == 3
    assert drain(service, rating=5) == ids[:3]
    assert service.next_card(QueueSpec()) is None
    # An explicit limit in the spec overrides the setting (used by "study more new cards").
    assert service.next_card(QueueSpec(new_limit=4)).card_id == ids[3]
    # 03:59 next morning is still the same study day (day starts at 4 am local = UTC here) ...
    clock.now = START.replace(hour=3, minute=59) + timedelta(days=1)
    assert service.next_card(QueueSpec()) is None
    clock.now = START.replace(hour=4, minute=0) + timedelta(days=1)
    assert service.next_card(QueueSpec()).card_id == ids[3]


def test_undone_new_card_gives_back_its_budget(store, service):
    ids = add_deck(store, "A", 3)
    spec = QueueSpec(new_limit=1)
    service.rate(ids[0], 5)
    assert service.next_card(spec) is None
    service.undo_last()
    assert service.next_card(spec).card_id == ids[0]


def test_bury_hides_until_next_day_start(store, service, clock):
    a, b = add_deck(store, "A", 2)
    until = service.bury(a)
    assert until == START.replace(hour=4) + timedelta(days=1)
    assert service.next_card(QueueSpec()).card_id == b
    clock.now = until - timedelta(seconds=1)
    assert a not in {service.next_card(QueueSpec()).card_id}
    clock.now = until
    assert service.next_card(QueueSpec()).card_id == a


def test_suspended_and_retired_cards_are_never_offered(store, service, clock):
    from flashtrain.store.models import Card

    a, b, c = add_deck(store, "A", 3)
    service.suspend(a)
    with store.sessions.begin() as s:
        s.get(Card, b).retired_at = START
    assert drain(service, spec=QueueSpec(mode="cram")) == [c]
    assert service.next_card(QueueSpec()) is None or service.next_card(QueueSpec()).card_id == c
    service.suspend(a, on=False)
    assert service.card(a).suspended is False
    assert {d.total for d in service.deck_summaries()} == {2}


def test_leech_at_threshold_tags_and_suspends_and_undo_reverts(store, service, clock):
    from flashtrain.services.settings import save_setting

    (card,) = add_deck(store, "A", 1)
    with store.sessions.begin() as s:
        save_setting(s, "leech_threshold", 3)
    set_state(store, card, stability=10.0, last_review=START - timedelta(days=10), due=START, lapses=2)
    outcome = service.rate_detailed(card, 1)
    assert outcome.leech and outcome.record.state_after.lapses == 3
    leech = service.card(card)
    assert "leech" in leech.tags and leech.suspended
    assert service.next_card(QueueSpec()) is None
    service.undo_last()
    restored = service.card(card)
    assert "leech" not in restored.tags and not restored.suspended and restored.state.lapses == 2


def test_lapse_below_threshold_is_not_a_leech(store, service):
    (card,) = add_deck(store, "A", 1)
    set_state(store, card, stability=10.0, last_review=START - timedelta(days=10), due=START, lapses=6)
    outcome = service.rate_detailed(card, 1)  # 7 lapses, default threshold 8
    assert not outcome.leech and not service.card(card).suspended


def test_cram_is_logged_but_does_not_change_schedule(store, service, clock):
    from sqlalchemy import select

    from flashtrain.store.models import ReviewLog

    ids = add_deck(store, "A", 3)
    set_state(store, ids[0], stability=30.0, last_review=START - timedelta(days=1), due=START + timedelta(days=29))
    before = [service.card(c).state for c in ids]
    spec = QueueSpec(mode="cram")
    assert spec.origin == "cram"
    order = drain(service, spec=spec, rating=5)
    assert sorted(order) == ids and order[-1] == ids[0]  # the strongest card comes last
    assert [service.card(c).state for c in ids] == before
    with store.sessions.begin() as s:
        logs = s.scalars(select(ReviewLog)).all()
        assert len(logs) == 3 and {log.origin for log in logs} == {"cram"}
        assert all(log.state_before == log.state_after for log in logs)
    assert service.remaining(spec) == 0


def test_cram_card_rated_one_comes_back_after_the_others(store, service):
    a, b = add_deck(store, "A", 2)
    spec = QueueSpec(mode="cram")
    assert service.next_card(spec).card_id == a
    service.rate(a, 1, origin="cram")
    assert service.next_card(spec).card_id == b
    service.rate(b, 4, origin="cram")
    assert service.next_card(spec).card_id == a
    service.rate(a, 4, origin="cram")
    assert service.next_card(spec) is None
    service.undo_last()
    assert service.next_card(spec).card_id == a


def test_lapsed_and_code_modes_filter(store, service):
    ids = add_deck(store, "A", 6, snippet_every=2)  # cards 0, 2, 4 have snippets
    set_state(store, ids[1], stability=3.0, last_review=START - timedelta(days=1), due=START + timedelta(days=3),
              lapses=1)
    set_state(store, ids[3], stability=3.0, last_review=START - timedelta(days=1), due=START + timedelta(days=3),
              last_rating=1, lapses=0)
    assert sorted(drain(service, QueueSpec(mode="lapsed"))) == [ids[1], ids[3]]
    assert drain(service, QueueSpec(mode="code")) == [ids[0], ids[2], ids[4]]


def test_deck_and_tag_filters(store, service):
    from flashtrain.store.models import Card

    a_ids = add_deck(store, "A", 2)
    b_ids = add_deck(store, "B", 2, tags=["optim"])
    with store.sessions.begin() as s:
        s.get(Card, a_ids[1]).tags = ["optim"]
        deck_b = s.get(Card, b_ids[0]).deck_id
    assert drain(service, QueueSpec(deck_ids=(deck_b,), mode="cram")) == b_ids
    assert drain(service, QueueSpec(tag="optim", mode="cram")) == [a_ids[1]]  # b's already drilled
    assert drain(service, QueueSpec(tag="optim")) == [a_ids[1]] + b_ids


def test_deck_summaries(store, service, clock):
    a_ids = add_deck(store, "A", 4)
    add_deck(store, "B", 2)
    set_state(store, a_ids[0], stability=5.0, last_review=START - timedelta(days=5), due=START - timedelta(hours=1))
    set_state(store, a_ids[1], phase="learning", stability=1.0, last_review=START, due=START + timedelta(minutes=5))
    set_state(store, a_ids[2], stability=50.0, last_review=START - timedelta(days=1), due=START + timedelta(days=40))
    summaries = {d.name: d for d in service.deck_summaries()}
    a, b = summaries["A"], summaries["B"]
    assert (a.due, a.learning, a.new, a.total) == (1, 1, 1, 4)
    assert (b.due, b.learning, b.new, b.total, b.retention) == (0, 0, 2, 2, None)
    config = service.scheduler_config()
    expected = sum(core.retrievability(service.card(c).state, clock.now, config) for c in a_ids[:3]) / 3
    assert a.retention == pytest.approx(expected, rel=1e-9)


def test_clock_must_be_aware(store):
    from datetime import datetime

    add_deck(store, "A", 1)
    naive = StudyService(store, clock=lambda: datetime(2025, 1, 1), tz=UTC)
    with pytest.raises(ValueError):
        naive.next_card(QueueSpec())
