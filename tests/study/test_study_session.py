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


def test_summary_counts_ratings_new_cards_and_what_comes_next(store, service, clock):
    from flashtrain.study.session import summarize, summary_lines

    a, b, c = add_deck(store, "A", 3)
    session, ticks = make(service)
    session.next_card()
    for rating in (4, 1, 3):
        session.reveal()
        ticks.t += 20
        session.rate(rating)
    summary = summarize(session)
    assert summary.by_rating == {1: 1, 3: 1, 4: 1} and summary.new_learned == 3 and summary.answer_ms == 60000
    assert summary.today.reviews == 3 and summary.today.streak == 1 and summary.today.retention is None
    assert summary.budget.introduced == 3 and summary.budget.limit == 20 and summary.budget.waiting == 0
    assert summary.next_due is not None and summary.next_due > clock.now
    text = "\n".join(summary_lines(summary, session.spec, clock.now))
    assert "You reviewed 3 cards in 1 min, 3 of them new." in text
    assert "1 Not at all: 1" in text and "streak 1 day" in text and "Next card due in" in text


def test_nothing_due_says_why_when_the_new_limit_is_used_up(store, service):
    from flashtrain.study.session import summarize, summary_lines
    from flashtrain.services.settings import save_setting

    add_deck(store, "A", 5)
    with store.sessions.begin() as s:
        save_setting(s, "new_per_day", 2)
    session, _ = make(service)
    session.next_card()
    for _ in range(2):
        session.reveal()
        session.rate(5)
    while session.card is not None:  # learning steps of the two new cards, if any come back
        session.reveal()
        session.rate(5)
    summary = summarize(session)
    assert summary.budget.left == 0 and summary.budget.waiting == 3
    fresh, _ = make(service)
    assert fresh.next_card() is None
    text = "\n".join(summary_lines(summarize(fresh), fresh.spec, service.now()))
    assert "today's 2 new cards are done: 3 new cards wait for tomorrow" in text
    assert "Nothing is due here right now." not in text


def test_empty_cram_says_what_cram_selects(store, service):
    from flashtrain.study.session import summarize, summary_lines

    add_deck(store, "A", 1)
    session, _ = make(service, QueueSpec(mode="cram", tag="nothing-has-this-tag"))
    assert session.next_card() is None
    text = "\n".join(summary_lines(summarize(session), session.spec, service.now()))
    assert "Cram goes once through every card of the chosen decks or tag" in text and "no schedule" in text


SIBLING_DECK = """---
name: Siblings
---

Q: What does the learning rate scale?
A: The step along the negative gradient.

reversed: yes

---

C: Adam keeps {{a first moment}} and {{a second moment}} of the gradient.

---

Q: An unrelated card?
A: Yes.
"""


def sibling_store(tmp_path):
    from flashtrain.store.engine import open_store
    from flashtrain.services.imports import import_file

    path = tmp_path / "siblings.md"
    path.write_text(SIBLING_DECK, encoding="utf-8")
    store = open_store(tmp_path / "sib.db")
    assert import_file(store, path).error is None
    return store


def drain_once(session) -> list:
    """Rate every card the session shows (5: out of today's queue at once), in order."""
    seen = []
    card = session.next_card()
    while card is not None and len(seen) < 20:
        seen.append(card)
        session.reveal()
        card = session.rate(5).next_card
    return seen


def test_siblings_wait_until_tomorrow_and_undo_brings_them_back(tmp_path, clock):
    from flashtrain.deck.writeback import note_key
    from flashtrain.study.service import StudyService
    from study_factories import UTC

    store = sibling_store(tmp_path)
    service = StudyService(store, clock=clock, tz=UTC)
    session, _ = make(service)
    seen = drain_once(session)
    notes = [note_key(s_card_key(store, c.card_id)) for c in seen]
    assert len(seen) == 3 and len(set(notes)) == 3  # one card per note today (5 cards in 3 notes)
    assert session.undo().card.card_id == seen[-1].card_id
    session.undo()
    first_of_cloze = seen[1]
    assert session.card.card_id == first_of_cloze.card_id
    session.reveal()
    session.rate(5)
    # the undone rating un-buried the cloze's other gap; rating it again buries it again
    remaining = drain_once_from(session)
    assert all(note_key(s_card_key(store, c.card_id)) != note_key(s_card_key(store, first_of_cloze.card_id))
               for c in remaining)
    clock.advance(days=1)
    tomorrow, _ = make(service)
    assert tomorrow.next_card() is not None  # the buried siblings are due... or new again tomorrow
    store.close()


def test_sibling_burying_can_be_turned_off(tmp_path, clock):
    from flashtrain.study.service import StudyService
    from study_factories import UTC

    store = sibling_store(tmp_path)
    service = StudyService(store, clock=clock, tz=UTC)
    service.save_setting("bury_siblings", False)
    session, _ = make(service)
    assert len(drain_once(session)) == 5
    store.close()


def s_card_key(store, card_id: int) -> str:
    with store.sessions() as s:
        return s.get(Card, card_id).key


def drain_once_from(session) -> list:
    seen = []
    card = session.card
    while card is not None and len(seen) < 20:
        seen.append(card)
        session.reveal()
        card = session.rate(5).next_card
    return seen
