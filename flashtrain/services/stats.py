"""Study statistics as plain data (headless): the Stats screen only draws what these return.

Days are study days: a day starts at `day_start_hour` local time, as the scheduler counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import case, func, select

from flashtrain.store.dialect import dialect_of, json_field, study_date_text
from flashtrain.store.models import Attempt, Card, CardState, Deck, ReviewLog

# Interval ranges for true retention, in days since the previous review (Anki shows similar buckets).
INTERVAL_RANGES: tuple[tuple[str, float, float], ...] = (
    ("< 1 day", 0.0, 1.0), ("1-7 days", 1.0, 7.0), ("1-4 weeks", 7.0, 30.0),
    ("1-3 months", 30.0, 90.0), ("3+ months", 90.0, float("inf")),
)


@dataclass(frozen=True)
class DayClock:
    """Maps UTC moments to study days with a fixed offset taken from `now` (DST shifts are ignored)."""

    shift_seconds: float  # utc offset minus the day start

    @classmethod
    def make(cls, now: datetime, day_start_hour: int = 4, tz=None) -> DayClock:
        local = now.astimezone(tz) if tz else now.astimezone()
        offset = local.utcoffset() or timedelta(0)
        return cls(offset.total_seconds() - day_start_hour * 3600)

    def day(self, moment: datetime) -> date:
        return (moment.astimezone(timezone.utc) + timedelta(seconds=self.shift_seconds)).date()

    def sql_day(self, column, dialect: str):
        """SQL for the study day of a stored (naive UTC) datetime column, as 'YYYY-MM-DD' text."""
        return study_date_text(dialect, column, self.shift_seconds)


@dataclass(frozen=True)
class RetentionRow:
    label: str
    reviews: int
    recalled: int

    @property
    def retention(self) -> float | None:
        return self.recalled / self.reviews if self.reviews else None


@dataclass(frozen=True)
class MasteryRow:
    deck_name: str
    cards: int
    mastered: int  # last rating 4 or 5

    @property
    def share(self) -> float:
        return self.mastered / self.cards if self.cards else 0.0


@dataclass(frozen=True)
class SnippetRow:
    snippet_id: str
    attempts: int
    passed: int

    @property
    def pass_rate(self) -> float:
        return self.passed / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class Stats:
    today: date
    heatmap: dict[date, int]  # reviews per study day over the window
    forecast: list[int]  # cards due on each of the next days; index 0 = today (includes overdue)
    retention: list[RetentionRow]
    mastery: list[MasteryRow]
    streak: int  # consecutive study days with a review, ending today (or yesterday if none yet today)
    longest_streak: int
    reviews_total: int  # reviews that scheduled something (cram drills are counted apart)
    time_total_ms: int
    time_today_ms: int
    time_week_ms: int
    reviews_today: int
    snippets: list[SnippetRow]
    cram_total: int = 0  # cram ratings: time spent, but not reviews (nothing was rescheduled)


NOT_CRAM = ReviewLog.origin != "cram"  # a cram drill reschedules nothing: not a review in the counts


def reviews_per_day(session, clock: DayClock, since: date) -> dict[date, int]:
    """Reviews per study day (cram ratings left out, as in retention)."""
    day = clock.sql_day(ReviewLog.reviewed_at, dialect_of(session))
    rows = session.execute(select(day, func.count()).where(NOT_CRAM).group_by(day)
                           .having(day >= since.isoformat())).all()
    return {date.fromisoformat(d): n for d, n in rows if d}


def due_forecast(session, clock: DayClock, today: date, days: int = 30) -> list[int]:
    active = (Card.retired_at.is_(None)) & (Card.suspended.is_(False))
    day = clock.sql_day(CardState.due, dialect_of(session))
    rows = session.execute(select(day, func.count()).join(Card, Card.id == CardState.card_id)
                           .where(active, CardState.due.is_not(None), CardState.phase != "new")
                           .group_by(day)).all()
    counts = [0] * days
    for d, n in rows:
        offset = (date.fromisoformat(d) - today).days
        if offset < days:
            counts[max(offset, 0)] += n
    return counts


def true_retention(session) -> list[RetentionRow]:
    """Share of reviews of cards in review (not learning) that were recalled (rating >= 2)."""
    phase = json_field(ReviewLog.state_before, "phase")
    columns = []
    for _label, lo, hi in INTERVAL_RANGES:  # one pass over the log: a count and a recalled sum per range
        in_range = ReviewLog.elapsed_days >= lo
        if hi != float("inf"):
            in_range &= ReviewLog.elapsed_days < hi
        columns += [func.coalesce(func.sum(case((in_range, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((in_range & (ReviewLog.rating >= 2), 1), else_=0)), 0)]
    sums = session.execute(select(*columns).where(phase == "review", ReviewLog.origin != "cram")).one()
    return [RetentionRow(label, sums[2 * i], sums[2 * i + 1]) for i, (label, _lo, _hi) in enumerate(INTERVAL_RANGES)]


def mastery(session) -> list[MasteryRow]:
    mastered = func.sum(case((CardState.last_rating >= 4, 1), else_=0))
    rows = session.execute(
        select(Deck.name, func.count(Card.id), func.coalesce(mastered, 0))
        .join(Card, Card.deck_id == Deck.id).outerjoin(CardState, CardState.card_id == Card.id)
        .where(Card.retired_at.is_(None)).group_by(Deck.id).order_by(Deck.name)).all()
    return [MasteryRow(name, cards, done) for name, cards, done in rows]


def streaks(days_with_reviews: set[date], today: date) -> tuple[int, int]:
    """(current, longest). The current streak survives a today with no review yet."""
    current = 0
    day = today if today in days_with_reviews else today - timedelta(days=1)
    while day in days_with_reviews:
        current += 1
        day -= timedelta(days=1)
    longest = run = 0
    previous = None
    for d in sorted(days_with_reviews):
        run = run + 1 if previous is not None and (d - previous).days == 1 else 1
        longest = max(longest, run)
        previous = d
    return current, longest


def snippet_pass_rates(session) -> list[SnippetRow]:
    rows = session.execute(
        select(Attempt.snippet_id, func.count(), func.sum(case((Attempt.status == "pass", 1), else_=0)))
        .group_by(Attempt.snippet_id).order_by(Attempt.snippet_id)).all()
    return [SnippetRow(sid, n, int(p or 0)) for sid, n, p in rows]


def collect(store, now: datetime | None = None, day_start_hour: int = 4, tz=None, heatmap_weeks: int = 26,
            forecast_days: int = 30) -> Stats:
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("stats need a UTC-aware 'now'")
    clock = DayClock.make(now, day_start_hour, tz)
    today = clock.day(now)
    since = today - timedelta(days=heatmap_weeks * 7 - 1)
    with store.sessions() as session:
        all_days = reviews_per_day(session, clock, date.min)
        heatmap = {d: n for d, n in all_days.items() if d >= since}
        current, longest = streaks(set(all_days), today)
        day = clock.sql_day(ReviewLog.reviewed_at, dialect_of(session))
        total_ms, reviews_total, cram_total = session.execute(
            select(func.coalesce(func.sum(ReviewLog.duration_ms), 0), func.count().filter(NOT_CRAM),
                   func.count().filter(ReviewLog.origin == "cram"))).one()
        today_ms = session.scalar(select(func.coalesce(func.sum(ReviewLog.duration_ms), 0))
                                  .where(day == today.isoformat()))
        week_ms = session.scalar(select(func.coalesce(func.sum(ReviewLog.duration_ms), 0))
                                 .where(day > (today - timedelta(days=7)).isoformat()))
        return Stats(today=today, heatmap=heatmap, forecast=due_forecast(session, clock, today, forecast_days),
                     retention=true_retention(session), mastery=mastery(session), streak=current,
                     longest_streak=longest, reviews_total=reviews_total, cram_total=cram_total,
                     time_total_ms=int(total_ms),
                     time_today_ms=int(today_ms), time_week_ms=int(week_ms),
                     reviews_today=all_days.get(today, 0), snippets=snippet_pass_rates(session))
