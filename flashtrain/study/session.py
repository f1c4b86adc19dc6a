"""One study session, headless: what is on screen, reveal, hints, rate, undo, fetch-ahead, counts.

The Textual study screen and `flashtrain study --plain` both drive a `StudySession` and only
render what it returns; neither talks to the study service for the session's own steps. The
session holds what only the session knows: the card being answered, whether its answer shows, the
hints given, the code the learner wrote for each rated card (an undo brings it back), the card
fetched ahead while the learner thinks, and the counts the learner sees.

Threads: `fetch_ahead` and `count_remaining` only query (they run in worker threads while the
learner reads); everything that changes the session runs on the caller's (UI) thread.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable

from flashtrain.study.progress import SessionProgress
from flashtrain.study.queue import QueueSpec
from flashtrain.study.service import NewBudget, RateOutcome, StudyCard, StudyService, Today

MAX_DURATION_MS = 5 * 60 * 1000  # a card left on screen over lunch is not a 2-hour answer


@dataclass(frozen=True)
class Rated:
    """What a rating did, and which card the session shows next."""

    outcome: RateOutcome
    next_card: StudyCard | None
    from_fetch_ahead: bool  # the next card is the one fetched while the rated one was on screen

    @property
    def leech(self) -> bool:
        return self.outcome.leech

    @property
    def interval(self) -> timedelta:
        return self.outcome.record.interval

    @property
    def lapses(self) -> int:
        return self.outcome.record.state_after.lapses


@dataclass(frozen=True)
class Undone:
    """The rating taken back: its card is on screen again, with the code it was rated with."""

    card: StudyCard
    code: str | None


@dataclass(frozen=True)
class AheadTicket:
    """Which card a fetch-ahead started for; a stale ticket's result is dropped."""

    card_id: int
    serial: int
    verify: bool


@dataclass(frozen=True)
class Ahead:
    """A fetch-ahead's result: the card after the one on screen, or (verify) a different card the
    queue now says comes first."""

    ticket: AheadTicket
    following: StudyCard | None = None
    changed: bool = False  # verify found another card first: show `instead` in place of the guess
    instead: StudyCard | None = None
    failed: bool = False


@dataclass
class Tally:
    """What this session did, for its summary (a cram session's ratings are counted apart)."""

    by_rating: Counter = field(default_factory=Counter)
    new_seen: int = 0
    answer_ms: int = 0


class StudySession:
    def __init__(self, service: StudyService, spec: QueueSpec = QueueSpec(), *,
                 monotonic: Callable[[], float] = time.perf_counter) -> None:
        self.service = service
        self.spec = spec
        self._monotonic = monotonic
        self.card: StudyCard | None = None
        self.revealed = False
        self.hints_shown = 0
        self.extra_hints: tuple[str, ...] = ()  # the linked snippet's hints, after the card's own
        self.shown_at = monotonic()
        self.progress = SessionProgress(spec.changes_schedule)
        self.codes: dict[int, str] = {}  # card -> the learner's code when it was rated
        self.tally = Tally()
        self._rated: list[tuple[int, int, bool, int]] = []  # (card, rating, was new, ms) for undo of the tally
        self._ahead: tuple[int, StudyCard | None] | None = None  # (card on screen, the card after it)
        self._serial = 0
        self.fetch_ahead_hits = 0
        self.fetch_ahead_corrections = 0

    # -- the card on screen -------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.card is None

    def show(self, card: StudyCard | None) -> StudyCard | None:
        """Put `card` on screen (None: the session has nothing more now)."""
        self.card = card
        self.revealed = False
        self.hints_shown = 0
        self.extra_hints = ()
        self._ahead = None
        self._serial += 1
        self.shown_at = self._monotonic()
        return card

    def next_card(self) -> StudyCard | None:
        """Ask the queue for the next card and show it."""
        return self.show(self.service.next_card(self.spec))

    def now(self) -> datetime:
        return self.service.now()

    # -- reveal and hints ---------------------------------------------------------------------------
    def reveal(self) -> dict[int, timedelta] | None:
        """Show the answer; returns when each rating would bring the card back (None in a drill:
        nothing is rescheduled)."""
        if self.card is None:
            return None
        self.revealed = True
        return self.preview()

    def preview(self) -> dict[int, timedelta] | None:
        if self.card is None or not self.spec.changes_schedule:
            return None
        return self.service.preview(self.card.card_id)

    def hints(self) -> tuple[str, ...]:
        """The card's hints, then the linked snippet's (without repeats), given one at a time."""
        if self.card is None:
            return ()
        return tuple(dict.fromkeys((*self.card.hints, *self.extra_hints)))

    def has_hint(self) -> bool:
        return self.hints_shown < len(self.hints())

    def next_hint(self) -> str | None:
        hints = self.hints()
        if self.hints_shown >= len(hints):
            return None
        self.hints_shown += 1
        return hints[self.hints_shown - 1]

    def hints_given(self) -> tuple[str, ...]:
        return self.hints()[: self.hints_shown]

    # -- rating and undo ----------------------------------------------------------------------------
    def rate(self, rating: int, *, code: str | None = None) -> Rated:
        """Rate the card on screen (committed before this returns) and show the next one."""
        if self.card is None:
            raise RuntimeError("no card to rate")
        card = self.card
        duration = min(int((self._monotonic() - self.shown_at) * 1000), MAX_DURATION_MS)
        if code is not None:
            self.codes[card.card_id] = code
        outcome = self.service.rate_detailed(card.card_id, int(rating), duration_ms=duration, origin=self.spec.origin)
        after = outcome.record.state_after
        self.progress.rated(card.card_id, int(rating), after.phase, after.due)
        was_new = card.state.phase == "new"
        self.tally.by_rating[int(rating)] += 1
        self.tally.new_seen += was_new
        self.tally.answer_ms += duration
        self._rated.append((card.card_id, int(rating), was_new, duration))
        guess = self._ahead[1] if self._ahead and self._ahead[0] == card.card_id else None
        if guess is not None and (after.due is None or after.due > self.service.now()):
            self.fetch_ahead_hits += 1
            self.show(guess)  # checked against the queue by the next fetch-ahead (verify=True)
            return Rated(outcome, guess, from_fetch_ahead=True)
        return Rated(outcome, self.next_card(), from_fetch_ahead=False)

    def undo(self) -> Undone | None:
        """Take back the newest rating (this session's or, after a restart, an earlier one) and show
        its card again, with the code the learner had written."""
        card_id = self.service.undo_last()
        if card_id is None:
            return None
        self.progress.undone(card_id)
        for i in range(len(self._rated) - 1, -1, -1):
            if self._rated[i][0] == card_id:
                _, rating, was_new, ms = self._rated.pop(i)
                self.tally.by_rating[rating] -= 1
                self.tally.new_seen -= was_new
                self.tally.answer_ms -= ms
                break
        card = self.show(self.service.card(card_id))
        return Undone(card, self.codes.get(card_id))

    # -- setting a card aside -----------------------------------------------------------------------
    def suspend(self) -> StudyCard | None:
        """Suspend the card on screen; returns the next card (shown)."""
        return self._set_aside(lambda card_id: self.service.suspend(card_id, True))

    def bury(self) -> StudyCard | None:
        """Bury the card on screen until the next study day; returns the next card (shown)."""
        return self._set_aside(self.service.bury)

    def _set_aside(self, take_out: Callable[[int], object]) -> StudyCard | None:
        if self.card is None:
            return None
        take_out(self.card.card_id)
        self.progress.removed(self.card.card_id)
        return self.next_card()

    def toggle_flag(self) -> bool:
        """Flag the card on screen or remove its flag; returns the new flag."""
        if self.card is None:
            return False
        on = not self.card.flagged
        self.service.flag(self.card.card_id, on)
        self.card = replace(self.card, flagged=on)  # no read: the store may be unreadable (the flag is journaled)
        return on

    def reload(self) -> StudyCard | None:
        """The card on screen read again (after an edit); keeps the reveal and hints as they were."""
        if self.card is not None:
            self.card = self.service.card(self.card.card_id)
        return self.card

    # -- fetching the next card ahead ---------------------------------------------------------------
    def ahead_ticket(self, verify: bool) -> AheadTicket | None:
        """Start a fetch-ahead for the card on screen (verify: also check that the queue still puts
        it first, as after showing a guessed card)."""
        self._serial += 1
        self._ahead = None
        if self.card is None:
            return None
        return AheadTicket(self.card.card_id, self._serial, verify)

    def fetch_ahead(self, ticket: AheadTicket) -> Ahead:
        """Worker thread: the card after `ticket.card_id` (queries only; changes nothing)."""
        try:
            if ticket.verify:
                expected = self.service.next_card(self.spec)
                if expected is None or expected.card_id != ticket.card_id:
                    return Ahead(ticket, changed=True, instead=expected)
            return Ahead(ticket, following=self.service.next_card(self.spec, exclude={ticket.card_id}))
        except Exception:  # e.g. the store is busy: the rating path then queries on its own
            return Ahead(ticket, failed=True)

    def accept_ahead(self, ahead: Ahead) -> bool:
        """UI thread: keep a fetch-ahead's result. True when the card on screen was replaced (the
        queue changed while the learner looked at a guessed card: say a learning card fell due);
        `card` is then the one to show (None: nothing left)."""
        ticket = ahead.ticket
        current = self.card is not None and self.card.card_id == ticket.card_id
        if ticket.serial != self._serial or not current or ahead.failed:
            return False
        if ahead.changed:
            if self.revealed:  # already being answered: it stays
                return False
            self.fetch_ahead_corrections += 1
            self.show(ahead.instead)
            return True
        self._ahead = (ticket.card_id, ahead.following)
        return False

    # -- counts -------------------------------------------------------------------------------------
    def count_remaining(self) -> int:
        """Worker thread: what is left in this session's queue now (one query over the collection)."""
        return self.service.remaining(self.spec)

    def counted(self, total: int | None) -> None:
        self.progress.counted(total)

    @property
    def done(self) -> int:
        return self.progress.done


# -- the end of a session ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionSummary:
    """What a finished (or left) session did, and what comes next; built off the UI thread."""

    by_rating: dict[int, int]
    answer_ms: int
    new_learned: int
    cram: bool
    today: Today | None
    next_due: datetime | None
    budget: NewBudget | None

    @property
    def rated(self) -> int:
        return sum(self.by_rating.values())


def summarize(session: StudySession) -> SessionSummary:
    """Worker thread: the session's tally plus today's figures from the store."""
    service, spec = session.service, session.spec
    return SessionSummary(by_rating={r: n for r, n in sorted(session.tally.by_rating.items()) if n},
                          answer_ms=session.tally.answer_ms, new_learned=session.tally.new_seen,
                          cram=not spec.changes_schedule, today=service.today(),
                          next_due=service.next_due(spec),
                          budget=service.new_budget(spec) if spec.changes_schedule else None)


def empty_reason(summary: SessionSummary, spec: QueueSpec) -> str:
    """Why a session has nothing to show, in the learner's terms."""
    if summary.cram:
        what = {"cram": "every card of the chosen decks or tag", "lapsed": "the cards you have forgotten before"}
        return (f"Cram goes once through {what.get(spec.mode, 'the chosen cards')}, weakest first, and changes "
                "no schedule. This selection has no cards (suspended, buried and retired cards are left out).")
    budget = summary.budget
    if budget is not None and budget.waiting and budget.limit == 0:
        return f"Nothing is due; {budget.waiting} new cards wait, but new cards per day is 0 in Settings (new cards are off)."
    if budget is not None and budget.waiting and budget.left == 0:
        return (f"Nothing is due, and today's {budget.limit} new cards are done: {budget.waiting} new cards wait "
                "for tomorrow. Raise “new cards per day” in Settings to see more today.")
    return "Nothing is due here right now."


def summary_lines(summary: SessionSummary, spec: QueueSpec, now: datetime) -> list[str]:
    """The summary as plain lines (the app adds markup; plain mode prints them)."""
    from flashtrain.scheduler.core import RATING_LABELS
    from flashtrain.timetext import interval_text

    lines: list[str] = []
    if summary.rated:
        minutes = summary.answer_ms / 60000
        took = f"{minutes:.0f} min" if minutes >= 1 else f"{summary.answer_ms / 1000:.0f} s"
        kind = "crammed" if summary.cram else "reviewed"
        lines.append(f"You {kind} {summary.rated} card{'s' if summary.rated != 1 else ''} in {took}"
                     + (f", {summary.new_learned} of them new." if summary.new_learned else "."))
        lines.append("  ".join(f"{r} {RATING_LABELS[r]}: {n}" for r, n in summary.by_rating.items()))
    else:
        lines.append(empty_reason(summary, spec))
    today = summary.today
    if today is not None and not summary.cram:
        retention = "–" if today.retention is None else f"{today.retention * 100:.0f}%"
        lines.append(f"Today: {today.reviews} rating{'s' if today.reviews != 1 else ''}, retention {retention} "
                     f"(reviews recalled) · streak {today.streak} day{'s' if today.streak != 1 else ''}")
    if summary.budget is not None:
        b = summary.budget
        lines.append(f"New cards: {b.introduced} of {b.limit} today, {b.waiting} waiting")
    if summary.next_due is not None and not summary.cram:
        lines.append(f"Next card due in {interval_text(max(summary.next_due - now, timedelta(0)))}")
    if summary.cram:
        lines.append("Cram ratings are logged as cram: no card was rescheduled and retention counts leave them out.")
    return lines
