"""Two machines on one store (issue 11 §3), each with its own engine and connections: no rating is
lost, a card rated on both keeps both reviews, its state is the replay of its log in time order,
and an import on one is seen by the other's next pick without a restart."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from flashtrain.scheduler import core
from flashtrain.scheduler.core import MemoryState
from flashtrain.store.engine import open_store
from flashtrain.store.models import Card, CardState, Deck, ReviewLog
from flashtrain.study.queue import QueueSpec
from flashtrain.study.service import StudyService, state_from_row

pytestmark = pytest.mark.both_dialects

ROUNDS = 12

RATER = textwrap.dedent("""
    import sys, time
    from flashtrain.store.engine import open_store
    from flashtrain.study.service import StudyService
    url, start, cards = sys.argv[1], float(sys.argv[2]), [int(c) for c in sys.argv[3].split(",")]
    store = open_store(url)
    service = StudyService(store)
    while time.time() < start:  # both machines begin together (more interleaving; not needed to pass)
        time.sleep(0.005)
    for round_ in range({rounds}):
        for card_id in cards:
            service.rate(card_id, 1 + (round_ + card_id) % 5, duration_ms=1000)
    store.close()
""").format(rounds=ROUNDS)


def add_cards(store, deck_name: str, n: int) -> list[int]:
    with store.sessions.begin() as s:
        deck = Deck(name=deck_name)
        s.add(deck)
        s.flush()
        cards = [Card(deck_id=deck.id, key=f"{deck_name}-{i}", question=f"{deck_name} {i}?", answer="a",
                      content_hash="h") for i in range(n)]
        s.add_all(cards)
        s.flush()
        return [card.id for card in cards]


def replayed(logs: list[ReviewLog], config) -> MemoryState:
    state = MemoryState()
    for log in sorted(logs, key=lambda log: (log.reviewed_at, log.id)):
        state, _ = core.review(state, log.rating, log.reviewed_at, config)
    return state


def assert_state_is_the_log_replayed(store, card_id: int, config, reviews: int) -> None:
    with store.sessions() as s:
        logs = list(s.scalars(select(ReviewLog).where(ReviewLog.card_id == card_id)))
        assert len(logs) == reviews, card_id
        stored = state_from_row(s.get(CardState, card_id))
    expected = replayed(logs, config)
    assert (stored.phase, stored.reps, stored.lapses, stored.last_rating, stored.step) == \
           (expected.phase, expected.reps, expected.lapses, expected.last_rating, expected.step), card_id
    assert stored.stability == pytest.approx(expected.stability)
    assert stored.difficulty == pytest.approx(expected.difficulty)
    assert stored.due == expected.due and stored.last_review == expected.last_review


@pytest.fixture
def machines(store):
    """The laptop (the test's store) and the desktop: another engine on the same store."""
    desktop = open_store(store.location)
    yield store, desktop
    desktop.close()


def test_a_rating_pressed_earlier_but_stored_later_is_replayed_in_time_order(machines):
    laptop, desktop = machines
    card, other = add_cards(laptop, "Shared", 2)
    pressed = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    on_laptop = StudyService(laptop, clock=lambda: pressed)
    on_desktop = StudyService(desktop, clock=lambda: pressed + timedelta(seconds=40))
    on_laptop.rate(card, 3)  # first review, then two more within a minute on two machines:
    on_desktop.rate(card, 1)  # pressed second, stored first
    late = on_laptop.rate_detailed(card, 5)  # pressed at the laptop's first press + 0 s: stored last
    config = on_laptop.scheduler_config()
    assert_state_is_the_log_replayed(laptop, card, config, reviews=3)
    with laptop.sessions() as s:
        ordered = list(s.scalars(select(ReviewLog).where(ReviewLog.card_id == card)
                                 .order_by(ReviewLog.reviewed_at, ReviewLog.id)))
    # every log row carries the states of the replay (undo and the optimizer read them)
    state = MemoryState()
    for log in ordered:
        assert MemoryState.from_dict(log.state_before) == state
        state = MemoryState.from_dict(log.state_after)
    assert late.record.state_before == MemoryState.from_dict(ordered[1].state_before)
    # undoing the late rating would restore a state from before the desktop's review: refused
    assert on_laptop.undo_last() is None and on_laptop.take_notices()
    on_desktop.rate(other, 4)  # the other card is untouched by all this
    assert_state_is_the_log_replayed(laptop, other, config, reviews=1)


def test_two_processes_rating_the_same_and_different_cards_lose_nothing(store, db_backend):
    shared = add_cards(store, "Shared", 2)
    mine, theirs = add_cards(store, "Laptop", 2), add_cards(store, "Desktop", 2)
    url = store.location.url.render_as_string(hide_password=False)
    start = time.time() + 2
    machines = [subprocess.Popen([sys.executable, "-c", RATER, url, str(start), ",".join(map(str, shared + cards))],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for cards in (mine, theirs)]
    for machine in machines:
        _, err = machine.communicate(timeout=900)  # only stops a hung test
        assert machine.returncode == 0, err
        assert "Traceback" not in err
    config = StudyService(store).scheduler_config()
    for card_id in shared + mine + theirs:
        assert_state_is_the_log_replayed(store, card_id, config, ROUNDS * (2 if card_id in shared else 1))


def test_an_import_on_one_machine_is_picked_next_on_the_other(machines, tmp_path):
    server_store, desktop = machines
    (only,) = add_cards(server_store, "Laptop", 1)
    laptop = StudyService(server_store)
    assert laptop.next_card(QueueSpec()).card_id == only
    laptop.rate(only, 5)
    assert laptop.next_card(QueueSpec()) is None  # nothing left today
    deck = tmp_path / "imported.md"
    deck.write_text("---\nname: From the desktop\n---\nQ: What does Adam's beta2 average?\nA: Squared gradients.\n")
    from flashtrain.services.imports import import_file

    import_file(desktop, deck)
    picked = laptop.next_card(QueueSpec())
    assert picked is not None and picked.deck_name == "From the desktop"
