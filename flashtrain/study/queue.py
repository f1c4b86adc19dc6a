"""Which card comes next, fast on 100,000 cards: per-day candidate lists, validated on every pick.

Order in the default ("due") queue, first match wins:
1. learning/relearning cards whose step is due now (soonest first) - short steps must be kept;
2. review cards due this study day, most at risk first (lowest predicted recall R);
3. new cards, in import order, while today's new-card budget lasts;
4. "learn ahead": the soonest learning/relearning card due later today (or within the hour).
   A learner who has just pressed 1 on the last card therefore sees it again at once instead of
   waiting on an empty screen for its one-minute step; the early review is logged at its real time,
   so the scheduler sees the real (shorter) elapsed time.

Why lists: predicted recall R = (1 + F t / S) ** -decay counts t in whole study days, so the order
of the due cards cannot change within a study day. `SpecQueue` therefore ranks the day's due
reviews once in SQL (the first REVIEW_PAGE of them, read from a covering index; more when those run
out), lists only as many new cards as can still be introduced today, and every pick only checks the
next few candidates against the store with a primary-key query. All SQL is in
services/study_queries.py, which runs it on a plain sqlite3 connection where the store is SQLite. Cards the
service itself rates, undoes, suspends or buries are updated in place; anything else (another
process, a deck import) is caught by the validation on pick, by a fingerprint (newest review-log
and card ids) and by rebuilding at least every REBUILD_AFTER seconds.

Drill modes ("cram", "lapsed") ignore due dates: every matching card once per session, weakest
first (new cards count as R = 0); a card rated 1 comes back after the others. Their ratings are
logged with origin "cram" and do not change the schedule (see service.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timedelta

from flashtrain.scheduler.core import MemoryState, decay_factor
from flashtrain.services import study_queries as sq
from flashtrain.services.study_db import Db, sql_time

MODES = ("due", "cram", "lapsed", "code")
DRILL_MODES = ("cram", "lapsed")  # these do not move due dates
LEARN_AHEAD = timedelta(hours=1)


@dataclass(frozen=True)
class CardFacts:
    """What decides whether a card belongs to a QueueSpec."""

    deck_id: int
    tags: tuple[str, ...] = ()
    deck_tags: tuple[str, ...] = ()
    snippet_id: str | None = None


@dataclass(frozen=True)
class QueueSpec:
    deck_ids: tuple[int, ...] | None = None
    tag: str | None = None
    mode: str = "due"  # due | cram | lapsed | code
    new_limit: int | None = None  # None = the daily setting

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.deck_ids is not None:
            object.__setattr__(self, "deck_ids", tuple(int(d) for d in self.deck_ids))

    def matches(self, card: CardFacts) -> bool:
        """Whether a card belongs to this queue's decks, tag and mode (flags and state aside)."""
        if self.deck_ids is not None and card.deck_id not in self.deck_ids:
            return False
        if self.tag and self.tag not in card.tags and self.tag not in card.deck_tags:
            return False
        return self.mode != "code" or card.snippet_id is not None

    @property
    def changes_schedule(self) -> bool:
        return self.mode not in DRILL_MODES

    @property
    def origin(self) -> str:
        """The review-log origin to pass to StudyService.rate for cards from this queue."""
        return "study" if self.changes_schedule else "cram"


@dataclass(frozen=True)
class Clock:
    """The moments one queue decision needs, computed once per call."""

    now: datetime
    day_start: datetime  # start of the current study day (UTC)
    day_end: datetime  # start of the next study day (UTC)
    day_shift: float  # (local UTC offset - day start hour) in days: julianday + shift -> study day

    @property
    def learn_ahead_until(self) -> datetime:
        return max(self.day_end, self.now + LEARN_AHEAD)

    def params(self) -> dict:
        """The bound values the queue's SQL uses (a fresh dict: callers add their own)."""
        return dict(self._params)

    @cached_property
    def _params(self) -> dict:
        return {"now": sql_time(self.now), "day_start": sql_time(self.day_start), "day_end": sql_time(self.day_end),
                "ahead": sql_time(self.learn_ahead_until), "shift": self.day_shift}


REBUILD_AFTER = 30 * 60  # seconds; a backstop for changes made outside this service
BATCH = 48  # candidates validated per query
REVIEW_PAGE = 128  # due reviews ranked at first; 4 times as many each time they run out
NEW_SLACK = 16  # new cards listed beyond today's budget (some may be suspended elsewhere meanwhile)


class SpecQueue:
    """Candidate lists for one QueueSpec on one study day (see the module docstring)."""

    def __init__(self, spec: QueueSpec, key: tuple, print_: tuple, weights: tuple[float, ...] = ()) -> None:
        self.spec, self.key, self.fingerprint, self.weights = spec, key, print_, weights
        self.built = time.monotonic()
        self.stale = False
        self.review: list[int] = []
        self.review_index: dict[int, int] = {}
        self.review_cursor = 0  # everything before it was found ineligible
        self.review_complete = True  # False: only the first len(review) due reviews are listed
        self.review_listed = False  # ranked on the first pick that needs a review
        self.new: list[int] | None = None  # listed on first need, as many as today's budget allows
        self.new_index: dict[int, int] = {}
        self.new_ok: set[int] = set()  # listed and eligible as far as this service knows
        self.new_cursor = 0
        self.new_complete = True

    def usable(self, key: tuple, print_: tuple) -> bool:
        return (not self.stale and key == self.key and print_ == self.fingerprint
                and time.monotonic() - self.built < REBUILD_AFTER)

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def build(cls, db: Db, spec: QueueSpec, clock: Clock, weights: tuple[float, ...], key: tuple,
              print_: tuple) -> SpecQueue:
        queue = cls(spec, key, print_, weights)
        if spec.changes_schedule:
            pass  # learning cards are picked from the index; reviews and new cards are listed on first need
        else:
            queue._set_reviews(sq.drill_cards(db, spec, clock, weights, decay_factor(weights)), complete=True)
        return queue

    def _list_reviews(self, db: Db, clock: Clock, limit: int) -> None:
        ranked = sq.ranked_reviews(db, self.spec, clock, self.weights, decay_factor(self.weights), limit)
        self._set_reviews(ranked, complete=len(ranked) < limit)

    def _set_reviews(self, ids: list[int], complete: bool) -> None:
        self.review_listed = True
        self.review, self.review_cursor, self.review_complete = ids, 0, complete
        self.review_index = {c: i for i, c in enumerate(ids)}

    def _list_new(self, db: Db, clock: Clock, want: int) -> None:
        rows = sq.new_cards(db, self.spec, clock, want)
        self.new = [card_id for card_id, _ in rows]
        self.new_index = {c: i for i, c in enumerate(self.new)}
        self.new_ok = {card_id for card_id, eligible in rows if eligible}
        self.new_cursor, self.new_complete = 0, len(self.new) < want

    def _enough_new(self, db: Db, clock: Clock, exclude, budget: int) -> None:
        """List new cards until `budget` of them may be shown (or there are no more)."""
        want = max(budget, 0) + len(exclude) + NEW_SLACK
        if self.new is None:
            self._list_new(db, clock, want)
        while not self.new_complete and len(self.new_ok - set(exclude)) < budget:
            self._list_new(db, clock, max(want, len(self.new) * 4))

    # -- picking ----------------------------------------------------------------------------
    @staticmethod
    def _scan(items: list[int], cursor: int, confirm, exclude) -> tuple[int | None, int, set[int], set[int]]:
        """First candidate from `cursor` that the store confirms; returns (id, new cursor, valid, invalid).

        `confirm(ids)` returns {id: eligible} for the ids whose *state* still qualifies. The cursor
        only moves past cards whose state no longer qualifies (rated; undo moves it back), never past
        suspended or buried ones, which may come back at any time.
        """
        seen_valid: set[int] = set()
        seen_invalid: set[int] = set()
        prefix = True
        position = cursor
        while position < len(items):
            batch = items[position:position + BATCH]
            flags = confirm(batch)
            for offset, card_id in enumerate(batch):
                if card_id not in flags:
                    seen_invalid.add(card_id)
                    if prefix:
                        cursor = position + offset + 1
                    continue
                prefix = False
                if not flags[card_id]:
                    seen_invalid.add(card_id)
                    continue
                seen_valid.add(card_id)
                if card_id not in exclude:
                    return card_id, cursor, seen_valid, seen_invalid
            position += BATCH
        return None, cursor, seen_valid, seen_invalid

    def pick_review(self, db: Db, clock: Clock, exclude) -> int | None:
        if not self.review_listed:
            self._list_reviews(db, clock, REVIEW_PAGE)
        while True:
            card_id, self.review_cursor, _, _ = self._scan(
                self.review, self.review_cursor, lambda ids: sq.confirm_reviews(db, ids, clock), exclude)
            if card_id is not None or self.review_complete:
                return card_id
            self._list_reviews(db, clock, max(len(self.review), REVIEW_PAGE) * 4)  # the listed ones ran out

    def pick_new(self, db: Db, clock: Clock, exclude, budget: int) -> int | None:
        """The first new card, `budget` being how many may still be introduced today (> 0)."""
        self._enough_new(db, clock, exclude, budget)
        while True:
            card_id, self.new_cursor, valid, invalid = self._scan(
                self.new, self.new_cursor, lambda ids: sq.confirm_new(db, ids, clock), exclude)
            self.new_ok = (self.new_ok | valid) - invalid
            if card_id is not None or self.new_complete:
                return card_id
            self._list_new(db, clock, len(self.new) * 4)

    def count_new(self, db: Db, clock: Clock, exclude, budget: int) -> int:
        """New cards this queue may still show today: at most `budget`."""
        if budget <= 0:
            return 0
        self._enough_new(db, clock, exclude, budget)
        return min(budget, len(self.new_ok - set(exclude)))

    def pick_learning(self, db: Db, clock: Clock, exclude, ahead: bool) -> int | None:
        return sq.first_learning(db, self.spec, clock, exclude, ahead)

    def count_learning(self, db: Db, clock: Clock, exclude) -> int:
        return sq.count_learning(db, self.spec, clock, exclude)

    def count_reviews(self, db: Db, clock: Clock, exclude) -> int:
        return sq.count_due_reviews(db, self.spec, clock, exclude)

    def pick_drill(self, db: Db, clock: Clock, items: list[int], exclude) -> int | None:
        """First of `items` still in the drill (drill lists keep no cursor: 'done' changes both ways)."""
        lapsed = self.spec.mode == "lapsed"
        return self._scan(items, 0, lambda ids: sq.confirm_drill(db, ids, clock, lapsed), exclude)[0]

    def drill_remaining(self, done: set[int]) -> int:
        return sum(1 for c in self.review if c not in done)

    # -- keeping up with this service's own changes ------------------------------------------
    def card_held(self, card_id: int) -> None:
        """A card was buried (a sibling of one just rated): no longer counted among today's new cards."""
        self.new_ok.discard(card_id)

    def card_changed(self, card_id: int, state: MemoryState, eligible: bool, clock: Clock, facts: CardFacts) -> None:
        """A card's state or flags changed through the service: file it where it now belongs.

        A card the lists do not hold makes them stale (rebuilt on the next pick) only when it may
        now belong before the end of a list: eligible, and inside what the list covers."""
        if not self.spec.changes_schedule or not self.spec.matches(facts):
            return
        self.new_ok.discard(card_id)
        if state.phase in ("learning", "relearning"):
            return  # learning cards are picked from the index, not from a list
        if state.phase == "review" and state.due is not None and state.due < clock.day_end:
            if card_id in self.review_index:
                self.review_cursor = min(self.review_cursor, self.review_index[card_id])
            elif eligible and self.review_listed:
                self.stale = True  # e.g. undo of a rating made before this list was built
        elif state == MemoryState() and self.new is not None:
            if card_id in self.new_index:
                if eligible:
                    self.new_ok.add(card_id)
                self.new_cursor = min(self.new_cursor, self.new_index[card_id])
            elif self.new_complete or (self.new and card_id < self.new[-1]):
                self.stale = True  # e.g. undo of a first rating made before this list was built
