"""Which card comes next: indexed SQL over cards/card_states, never a scan of the review log.

Order in the default ("due") queue, first match wins:
1. learning/relearning cards whose step is due now (soonest first) - short steps must be kept;
2. review cards due this study day, most at risk first (lowest predicted recall R);
3. new cards, in import order, while today's new-card budget lasts;
4. "learn ahead": the soonest learning/relearning card due later today (or within the hour).
   A learner who has just pressed 1 on the last card therefore sees it again at once instead of
   waiting on an empty screen for its one-minute step; the early review is logged at its real time,
   so the scheduler sees the real (shorter) elapsed time.

Predicted recall R = (1 + F t / S) ** -decay with t in whole study days is a decreasing function of
t / S alone (one decay for all cards), so SQL orders by t / S - computed from `last_review` with the
study-day boundary - and Python re-ranks a small top slice with the scheduler's own
`retrievability`, which keeps the answer exact while the work stays bounded.

Drill modes ("cram", "lapsed") ignore due dates: every matching card once per session, weakest
first (new cards count as R = 0); a card rated 1 comes back after the others. Their ratings are
logged with origin "cram" and do not change the schedule (see service.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

MODES = ("due", "cram", "lapsed", "code")
DRILL_MODES = ("cram", "lapsed")  # these do not move due dates
LEARN_AHEAD = timedelta(hours=1)
RERANK = 64  # candidates re-ranked exactly in Python


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


def card_filter(spec: QueueSpec, params: dict) -> str:
    """WHERE clause over `c` (cards) for the spec's decks and tag; eligibility included."""
    clauses = ["c.retired_at IS NULL", "c.suspended = 0", "(c.buried_until IS NULL OR c.buried_until <= :now)"]
    if spec.deck_ids is not None:
        params["deck_ids"] = json.dumps(list(spec.deck_ids))
        clauses.append("c.deck_id IN (SELECT value FROM json_each(:deck_ids))")
    if spec.tag:
        params["tag"] = spec.tag
        clauses.append("(EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value = :tag)"
                       " OR EXISTS (SELECT 1 FROM decks d2, json_each(d2.tags) WHERE d2.id = c.deck_id"
                       " AND value = :tag))")
    if spec.mode == "code":
        clauses.append("c.snippet_id IS NOT NULL")
    return " AND ".join(clauses)


def exclude_clause(exclude, params: dict, column: str = "c.id") -> str:
    if not exclude:
        return ""
    params["exclude"] = json.dumps(sorted(int(i) for i in exclude))
    return f" AND {column} NOT IN (SELECT value FROM json_each(:exclude))"


# t / S with t in whole study days: larger means lower predicted recall.
RISK_KEY = ("MAX(CAST(julianday(:now) + :shift + 0.5 AS INTEGER)"
            " - CAST(julianday(cs.last_review) + :shift + 0.5 AS INTEGER), 0) / cs.stability")


def due_learning(s: Session, spec: QueueSpec, clock: Clock, exclude, until: str) -> int | None:
    params = clock.params()
    where = card_filter(spec, params) + exclude_clause(exclude, params)
    row = s.execute(text(
        "SELECT cs.card_id FROM card_states cs JOIN cards c ON c.id = cs.card_id"
        f" WHERE cs.due <= :{until} AND cs.phase IN ('learning', 'relearning') AND {where}"
        " ORDER BY cs.due, cs.card_id LIMIT 1"), params).first()
    return None if row is None else row[0]


def due_review_candidates(s: Session, spec: QueueSpec, clock: Clock, exclude, limit: int = RERANK) -> list[int]:
    params = clock.params() | {"limit": limit}
    where = card_filter(spec, params) + exclude_clause(exclude, params)
    rows = s.execute(text(
        "SELECT cs.card_id FROM card_states cs JOIN cards c ON c.id = cs.card_id"
        f" WHERE cs.due < :day_end AND cs.phase = 'review' AND {where}"
        f" ORDER BY {RISK_KEY} DESC, cs.due, cs.card_id LIMIT :limit"), params).all()
    return [r[0] for r in rows]


def new_card(s: Session, spec: QueueSpec, clock: Clock, exclude) -> int | None:
    params = clock.params()
    where = card_filter(spec, params) + exclude_clause(exclude, params)
    row = s.execute(text(
        f"SELECT c.id FROM cards c WHERE {where}"
        " AND NOT EXISTS (SELECT 1 FROM card_states cs WHERE cs.card_id = c.id) ORDER BY c.id LIMIT 1"),
        params).first()
    return None if row is None else row[0]


def new_introduced_today(s: Session, clock: Clock) -> int:
    """New cards first rated (in normal study) since the start of this study day, all decks."""
    return s.execute(text(
        "SELECT COUNT(DISTINCT card_id) FROM review_log WHERE reviewed_at >= :day_start AND origin = 'study'"
        " AND json_extract(state_before, '$.phase') = 'new'"), clock.params()).scalar_one()


def count_due(s: Session, spec: QueueSpec, clock: Clock, exclude, new_left: int) -> int:
    params = clock.params() | {"new_left": max(new_left, 0)}
    where = card_filter(spec, params) + exclude_clause(exclude, params)
    scheduled = s.execute(text(
        "SELECT COUNT(*) FROM card_states cs JOIN cards c ON c.id = cs.card_id WHERE"
        " ((cs.phase = 'review' AND cs.due < :day_end)"
        "  OR (cs.phase IN ('learning', 'relearning') AND cs.due <= :ahead))"
        f" AND {where}"), params).scalar_one()
    new = s.execute(text(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM cards c WHERE {where}"
        " AND NOT EXISTS (SELECT 1 FROM card_states cs WHERE cs.card_id = c.id) LIMIT :new_left)"),
        params).scalar_one()
    return scheduled + new


def _drill_where(spec: QueueSpec, params: dict) -> str:
    where = card_filter(spec, params)
    if spec.mode == "lapsed":
        where += " AND (cs.last_rating = 1 OR cs.lapses > 0)"
    return where


def drill_candidates(s: Session, spec: QueueSpec, clock: Clock, exclude, limit: int = RERANK) -> list[int]:
    """Cards of a drill session, weakest first: never-reviewed cards, then by t / S."""
    params = clock.params() | {"limit": limit}
    where = _drill_where(spec, params) + exclude_clause(exclude, params)
    rows = s.execute(text(
        "SELECT c.id FROM cards c LEFT JOIN card_states cs ON cs.card_id = c.id"
        f" WHERE {where}"
        f" ORDER BY COALESCE({RISK_KEY}, 1e300) DESC, c.id LIMIT :limit"), params).all()
    return [r[0] for r in rows]


def drill_eligible(s: Session, spec: QueueSpec, clock: Clock, card_ids) -> set[int]:
    """Which of these cards still belong to the drill (not suspended, buried or retired since)."""
    if not card_ids:
        return set()
    params = clock.params() | {"ids": json.dumps(sorted(card_ids))}
    where = _drill_where(spec, params)
    rows = s.execute(text(
        "SELECT c.id FROM cards c LEFT JOIN card_states cs ON cs.card_id = c.id"
        f" WHERE c.id IN (SELECT value FROM json_each(:ids)) AND {where}"), params).all()
    return {r[0] for r in rows}


def count_drill(s: Session, spec: QueueSpec, clock: Clock, exclude) -> int:
    params = clock.params()
    where = _drill_where(spec, params) + exclude_clause(exclude, params)
    return s.execute(text(
        f"SELECT COUNT(*) FROM cards c LEFT JOIN card_states cs ON cs.card_id = c.id WHERE {where}"),
        params).scalar_one()
