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
of the due cards cannot change within a study day. `SpecQueue` therefore sorts the day's due
reviews (and lists new cards and learning cards) once - numpy over one indexed query - and every
pick only checks the next few candidates against the store with a primary-key query. Cards the
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
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from flashtrain.scheduler.core import MemoryState, decay_factor
from flashtrain.store.dialect import bind_id_lists, dialect_of, json_elements_sql, json_field_sql, stored_time

MODES = ("due", "cram", "lapsed", "code")
DRILL_MODES = ("cram", "lapsed")  # these do not move due dates
LEARN_AHEAD = timedelta(hours=1)
RERANK = 64  # candidates re-ranked exactly in Python


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


def sql_time(moment: datetime) -> str:
    """The exact text the store's UTCDateTime column holds, so string comparison uses the index."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


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
        return {"now": sql_time(self.now), "day_start": sql_time(self.day_start), "day_end": sql_time(self.day_end),
                "ahead": sql_time(self.learn_ahead_until), "shift": self.day_shift}


def run(s: Session, sql: str, params: dict):
    """Executes hand-written SQL; a list parameter in `col IN :ids` is bound as one value."""
    sql, params = bind_id_lists(dialect_of(s), sql, params)
    return s.execute(text(sql), params)


def card_filter(spec: QueueSpec, params: dict, dialect: str, eligibility: bool = True) -> str:
    """WHERE clause over `c` (cards) for the spec's decks, tag and mode; optionally the flags too."""
    clauses = ["c.retired_at IS NULL"]
    if eligibility:
        clauses += ["c.suspended = FALSE", "(c.buried_until IS NULL OR c.buried_until <= :now)"]
    if spec.deck_ids is not None:
        params["deck_ids"] = list(spec.deck_ids)
        clauses.append("c.deck_id IN :deck_ids")
    if spec.tag:
        params["tag"] = spec.tag
        clauses.append(f"(EXISTS (SELECT 1 FROM {json_elements_sql(dialect, 'c.tags')} WHERE value = :tag)"
                       f" OR EXISTS (SELECT 1 FROM decks d2, {json_elements_sql(dialect, 'd2.tags')}"
                       " WHERE d2.id = c.deck_id AND value = :tag))")
    if spec.mode == "code":
        clauses.append("c.snippet_id IS NOT NULL")
    return " AND ".join(clauses)


def exclude_clause(exclude, params: dict, column: str = "c.id") -> str:
    if not exclude:
        return ""
    params["exclude"] = sorted(int(i) for i in exclude)
    return f" AND {column} NOT IN :exclude"


def new_introduced_today(s: Session, clock: Clock) -> int:
    """New cards first rated (in normal study) since the start of this study day, all decks."""
    phase = json_field_sql(dialect_of(s), "state_before", "phase")
    return s.execute(text(
        "SELECT COUNT(DISTINCT card_id) FROM review_log WHERE reviewed_at >= :day_start AND origin = 'study'"
        f" AND {phase} = 'new'"), clock.params()).scalar_one()


REBUILD_AFTER = 30 * 60  # seconds; a backstop for changes made outside this service
BATCH = 48  # candidates validated per query


def fingerprint(s: Session) -> tuple:
    """Changes when reviews or cards are added by anyone (both are primary-key lookups)."""
    return tuple(s.execute(text("SELECT (SELECT MAX(id) FROM review_log), (SELECT MAX(id) FROM cards)")).one())


def _study_day_numbers(stamps: list[str | None], clock: Clock) -> np.ndarray:
    """Study-day number of each stored UTC time (same convention as the scheduler's study_day)."""
    values = np.array([v if v is not None else "NaT" for v in stamps], dtype="datetime64[us]")
    seconds = values.astype("int64") / 1e6 + clock.day_shift * 86400.0
    return np.floor(seconds / 86400.0)


def _today_number(clock: Clock) -> float:
    return float(np.floor(clock.now.timestamp() / 86400.0 + clock.day_shift))


def recall_order(ids: list[int], last_reviews: list, stabilities: list, secondary: list, clock: Clock,
                 weights: tuple[float, ...]) -> tuple[list[int], np.ndarray]:
    """Ids sorted by predicted recall now, lowest first (never-reviewed cards count as 0)."""
    if not ids:
        return [], np.zeros(0)
    reviewed = np.array([lr is not None and st is not None for lr, st in zip(last_reviews, stabilities)])
    stability = np.array([st if st else 1.0 for st in stabilities], dtype=float)
    days = _study_day_numbers([lr if ok else None for lr, ok in zip(last_reviews, reviewed)], clock)
    elapsed = np.maximum(_today_number(clock) - np.where(reviewed, days, 0.0), 0.0)
    recall = np.where(reviewed, (1.0 + decay_factor(weights) * elapsed / stability) ** -weights[20], 0.0)
    order = np.lexsort((np.array(ids), np.array(secondary), recall))
    return [ids[i] for i in order], recall[order]


class SpecQueue:
    """Candidate lists for one QueueSpec on one study day (see the module docstring)."""

    def __init__(self, spec: QueueSpec, key: tuple, print_: tuple) -> None:
        self.spec, self.key, self.fingerprint = spec, key, print_
        self.built = time.monotonic()
        self.stale = False
        self.review: list[int] = []
        self.review_index: dict[int, int] = {}
        self.review_ok: set[int] = set()  # eligible as far as this service knows
        self.review_cursor = 0  # everything before it was found ineligible
        self.learning: set[int] = set()
        self.new: list[int] = []
        self.new_index: dict[int, int] = {}
        self.new_ok: set[int] = set()
        self.new_cursor = 0

    def usable(self, key: tuple, print_: tuple) -> bool:
        return (not self.stale and key == self.key and print_ == self.fingerprint
                and time.monotonic() - self.built < REBUILD_AFTER)

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def build(cls, s: Session, spec: QueueSpec, clock: Clock, weights: tuple[float, ...], key: tuple,
              print_: tuple) -> SpecQueue:
        queue = cls(spec, key, print_)
        params = clock.params() | {"horizon": sql_time(clock.day_end + LEARN_AHEAD)}
        where = card_filter(spec, params, dialect_of(s), eligibility=False)  # flags are checked on every pick
        if spec.changes_schedule:
            queue._build_due(s, clock, weights, where, params)
        else:
            queue._build_drill(s, clock, weights, where, params)
        return queue

    def _build_due(self, s: Session, clock: Clock, weights, where: str, params: dict) -> None:
        rows = [(r[0], r[1], stored_time(r[2]), stored_time(r[3]), r[4], r[5], stored_time(r[6])) for r in run(
            s, "SELECT cs.card_id, cs.phase, cs.due, cs.last_review, cs.stability, c.suspended, c.buried_until"
            " FROM card_states cs JOIN cards c ON c.id = cs.card_id"
            f" WHERE cs.due < :horizon AND {where}", params)]
        now, day_end = params["now"], params["day_end"]
        reviews = [r for r in rows if r[1] == "review" and r[2] < day_end]
        self.learning = {r[0] for r in rows if r[1] in ("learning", "relearning")}
        self.review, _ = recall_order([r[0] for r in reviews], [r[3] for r in reviews], [r[4] for r in reviews],
                                      [r[2] for r in reviews], clock, weights)
        self.review_index = {c: i for i, c in enumerate(self.review)}
        self.review_ok = {r[0] for r in reviews if not r[5] and (r[6] is None or r[6] <= now)}
        new_rows = [(r[0], r[1], stored_time(r[2])) for r in run(
            s, f"SELECT c.id, c.suspended, c.buried_until FROM cards c WHERE {where}"
            " AND NOT EXISTS (SELECT 1 FROM card_states cs WHERE cs.card_id = c.id) ORDER BY c.id", params)]
        self.new = [r[0] for r in new_rows]
        self.new_index = {c: i for i, c in enumerate(self.new)}
        self.new_ok = {r[0] for r in new_rows if not r[1] and (r[2] is None or r[2] <= now)}

    def _build_drill(self, s: Session, clock: Clock, weights, where: str, params: dict) -> None:
        where = card_filter(self.spec, params, dialect_of(s))  # suspended or buried cards stay out of this drill
        if self.spec.mode == "lapsed":
            where += " AND (cs.last_rating = 1 OR cs.lapses > 0)"
        rows = [(r[0], stored_time(r[1]), r[2]) for r in run(
            s, "SELECT c.id, cs.last_review, cs.stability FROM cards c LEFT JOIN card_states cs ON cs.card_id = c.id"
            f" WHERE {where}", params)]
        ids = [r[0] for r in rows]
        self.review, _ = recall_order(ids, [r[1] for r in rows], [r[2] for r in rows], ids, clock, weights)
        self.review_index = {c: i for i, c in enumerate(self.review)}

    # -- picking ----------------------------------------------------------------------------
    def _scan(self, s: Session, items: list[int], cursor: int, query: str, params: dict,
              exclude) -> tuple[int | None, int, set[int], set[int]]:
        """First candidate from `cursor` that the store confirms; returns (id, new cursor, valid, invalid).

        `query` returns (id, eligible) for the ids in :ids whose *state* still qualifies. The cursor
        only moves past cards whose state no longer qualifies (rated; undo moves it back), never past
        suspended or buried ones, which may come back at any time.
        """
        seen_valid: set[int] = set()
        seen_invalid: set[int] = set()
        prefix = True
        position = cursor
        while position < len(items):
            batch = items[position:position + BATCH]
            flags = {card_id: bool(ok) for card_id, ok in run(s, query, params | {"ids": batch})}
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

    def pick_review(self, s: Session, clock: Clock, exclude) -> int | None:
        query = (f"SELECT cs.card_id, {_eligible()} FROM card_states cs JOIN cards c ON c.id = cs.card_id"
                 " WHERE cs.card_id IN :ids AND cs.phase = 'review'"
                 " AND cs.due < :day_end")
        card_id, self.review_cursor, valid, invalid = self._scan(s, self.review, self.review_cursor, query,
                                                                 clock.params(), exclude)
        self.review_ok = (self.review_ok | valid) - invalid
        return card_id

    def pick_new(self, s: Session, clock: Clock, exclude) -> int | None:
        query = (f"SELECT c.id, {_eligible()} FROM cards c WHERE c.id IN :ids"
                 " AND NOT EXISTS (SELECT 1 FROM card_states cs WHERE cs.card_id = c.id)")
        card_id, self.new_cursor, valid, invalid = self._scan(s, self.new, self.new_cursor, query, clock.params(),
                                                              exclude)
        self.new_ok = (self.new_ok | valid) - invalid
        return card_id

    def pick_learning(self, s: Session, clock: Clock, exclude, ahead: bool) -> int | None:
        if not self.learning:
            return None
        params = clock.params() | {"ids": sorted(self.learning)}
        row = run(
            s, "SELECT cs.card_id FROM card_states cs JOIN cards c ON c.id = cs.card_id"
            " WHERE cs.card_id IN :ids AND cs.phase IN ('learning', 'relearning')"
            f" AND cs.due <= {':ahead' if ahead else ':now'} AND {_eligible()}"
            + exclude_clause(exclude, params, "cs.card_id") + " ORDER BY cs.due, cs.card_id LIMIT 1",
            params).first()
        return None if row is None else row[0]

    def count_learning(self, s: Session, clock: Clock, exclude) -> int:
        if not self.learning:
            return 0
        params = clock.params() | {"ids": sorted(self.learning)}
        return run(
            s, "SELECT COUNT(*) FROM card_states cs JOIN cards c ON c.id = cs.card_id"
            " WHERE cs.card_id IN :ids AND cs.phase IN ('learning', 'relearning')"
            f" AND cs.due <= :ahead AND {_eligible()}" + exclude_clause(exclude, params, "cs.card_id"),
            params).scalar_one()

    def pick_drill(self, s: Session, clock: Clock, items: list[int], exclude) -> int | None:
        """First of `items` still in the drill (drill lists keep no cursor: 'done' changes both ways)."""
        query = (f"SELECT c.id, {_eligible()} FROM cards c LEFT JOIN card_states cs ON cs.card_id = c.id"
                 " WHERE c.id IN :ids")
        if self.spec.mode == "lapsed":
            query += " AND (cs.last_rating = 1 OR cs.lapses > 0)"
        return self._scan(s, items, 0, query, clock.params(), exclude)[0]

    def drill_remaining(self, done: set[int]) -> int:
        return sum(1 for c in self.review if c not in done)

    # -- keeping up with this service's own changes ------------------------------------------
    def card_changed(self, card_id: int, state: MemoryState, eligible: bool, clock: Clock, facts: CardFacts) -> None:
        """A card's state or flags changed through the service: file it where it now belongs."""
        if not self.spec.changes_schedule or not self.spec.matches(facts):
            return
        self.review_ok.discard(card_id)
        self.new_ok.discard(card_id)
        if state.phase in ("learning", "relearning"):
            self.learning.add(card_id)
        elif state.phase == "review" and state.due is not None and state.due < clock.day_end:
            if card_id in self.review_index:
                if eligible:
                    self.review_ok.add(card_id)
                self.review_cursor = min(self.review_cursor, self.review_index[card_id])
            else:
                self.stale = True  # e.g. undo of a rating made before this list was built
        elif state == MemoryState():
            if card_id in self.new_index:
                if eligible:
                    self.new_ok.add(card_id)
                self.new_cursor = min(self.new_cursor, self.new_index[card_id])
            else:
                self.stale = True


def _eligible() -> str:
    return "(c.retired_at IS NULL AND c.suspended = FALSE AND (c.buried_until IS NULL OR c.buried_until <= :now))"
