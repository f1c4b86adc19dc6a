"""StudySession without any front end: reveal, hints, rate (full outcome), undo with code, fetch-ahead."""

from __future__ import annotations

from datetime import timedelta

from study_factories import START, add_deck, set_state

from flashtrain.store.models import Card
from flashtrain.study.queue import QueueSpec
from flashtrain.study.session import MAX_DURATION_MS, StudySession


class Ticks:
    """A monotonic clock moved by hand (seconds)."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def make(service, spec=QueueSpec()):
    ticks = Ticks()
    return StudySession(service, spec, monotonic=ticks), ticks


def test_reveal_previews_and_rating_commits_and_shows_the_next_card(store, service):
    a, b = add_deck(store, "A", 2)
    session, ticks = make(service)
    assert session.next_card().card_id == a and not session.revealed
    preview = session.reveal()
    assert session.revealed and set(preview) == {1, 2, 3, 4, 5}
    assert preview[1] < preview[3] < preview[5]
    ticks.t += 7.5
    rated = session.rate(4)
    assert rated.outcome.log_id > 0 and not rated.leech and rated.interval == preview[4]
    assert rated.next_card.card_id == b and session.card.card_id == b and not session.revealed
    assert session.done == 1 and session.tally.by_rating[4] == 1 and session.tally.new_seen == 1
    assert session.tally.answer_ms == 7500


def test_duration_is_capped(store, service):
    add_deck(store, "A", 1)
    session, ticks = make(service)
    session.next_card()
    session.reveal()
    ticks.t += 3 * 3600
    session.rate(3)
    assert session.tally.answer_ms == MAX_DURATION_MS


def test_hints_come_one_at_a_time_card_first_then_snippet_without_repeats(store, service):
    (a,) = add_deck(store, "A", 1)
    with store.sessions.begin() as s:
        s.get(Card, a).hints = ["first", "shared"]
    session, _ = make(service)
    session.next_card()
    session.extra_hints = ("shared", "from the snippet")
    assert session.hints() == ("first", "shared", "from the snippet")
    assert [session.next_hint() for _ in range(4)] == ["first", "shared", "from the snippet", None]
    assert session.hints_given() == ("first", "shared", "from the snippet") and not session.has_hint()


def test_leech_outcome_is_returned(store, service):
    (card,) = add_deck(store, "A", 1)
    set_state(store, card, stability=10.0, last_review=START - timedelta(days=10), due=START, lapses=7)
    session, _ = make(service)
    session.next_card()
    session.reveal()
    rated = session.rate(1)
    assert rated.leech and rated.lapses == 8 and service.card(card).suspended
    assert rated.next_card is None and session.finished


def test_undo_brings_the_card_back_with_its_code_and_the_counts(store, service):
    a, b = add_deck(store, "A", 2)
    session, _ = make(service)
    session.next_card()
    session.counted(2)
    session.reveal()
    session.rate(3, code="def f():\n    return 1\n")
    assert session.card.card_id == b and session.progress.text(service.now()).startswith("done [b]1[/b] · left [b]")
    undone = session.undo()
    assert undone.card.card_id == a and undone.code == "def f():\n    return 1\n"
    assert session.card.card_id == a and not session.revealed and session.done == 0
    assert session.progress.left(service.now()) == 2 and sum(session.tally.by_rating.values()) == 0
    assert session.undo() is None  # nothing left to take back


def test_fetch_ahead_is_used_for_the_next_card_and_verified(store, service):
    a, b, c = add_deck(store, "A", 3)
    session, _ = make(service)
    session.next_card()
    ticket = session.ahead_ticket(verify=False)
    ahead = session.fetch_ahead(ticket)
    assert ahead.following.card_id == b
    assert session.accept_ahead(ahead) is False  # kept, the card on screen stays
    session.reveal()
    rated = session.rate(4)
    assert rated.from_fetch_ahead and session.card.card_id == b and session.fetch_ahead_hits == 1
    # the guess is checked against the queue: here someone suspended it meanwhile
    service.suspend(b)
    verify = session.fetch_ahead(session.ahead_ticket(verify=True))
    assert session.accept_ahead(verify) is True and session.card.card_id == c
    assert session.fetch_ahead_corrections == 1


def test_a_stale_fetch_ahead_is_dropped(store, service):
    a, b, c = add_deck(store, "A", 3)
    session, _ = make(service)
    session.next_card()
    ticket = session.ahead_ticket(verify=False)
    ahead = session.fetch_ahead(ticket)
    session.bury()  # the card changed before the result came back
    assert session.accept_ahead(ahead) is False
    session.reveal()
    assert not session.rate(3).from_fetch_ahead


def test_cram_shows_no_intervals_and_changes_no_schedule(store, service):
    (a,) = add_deck(store, "A", 1)
    set_state(store, a, stability=10.0, last_review=START - timedelta(days=2), due=START + timedelta(days=8))
    session, _ = make(service, QueueSpec(mode="cram"))
    session.next_card()
    assert session.reveal() is None
    before = service.card(a).state
    rated = session.rate(5)
    assert rated.outcome.origin == "cram" and service.card(a).state == before


def test_suspend_bury_and_flag_act_on_the_card_on_screen(store, service):
    a, b, c = add_deck(store, "A", 3)
    session, _ = make(service)
    session.next_card()
    assert session.toggle_flag() is True and service.card(a).flagged and session.card.flagged
    assert session.suspend().card_id == b and service.card(a).suspended
    assert session.bury().card_id == c
    assert service.next_card(QueueSpec()).card_id == c
