"""The headless study service the TUI and plain mode drive: queue, rate, undo, bury, suspend, leeches.

Every public method is one unit of work in its own transaction; a rating is committed before
`rate` returns. The review log holds each rating with the state before and after, which is what
makes undo exact and restart-proof (undo reads the log, not memory) and lets the optimizer refit.

Rules worth knowing (see queue.py for the order of the queue):
- A card without a CardState row is new; undoing its first rating deletes the row again.
- Drill ratings (queue modes "cram" and "lapsed", rate(..., origin="cram")) are logged with
  origin "cram" and state_before == state_after: they never move a due date, so cramming before an
  exam cannot wreck the long-term schedule. They are left out of refits and history export.
- Leech: when a lapse brings a card to `leech_threshold` lapses (and every half threshold after
  that, as Anki does), the card gets the tag "leech" and is suspended; `RateOutcome.leech` tells the
  UI so the learner sees it. Undo reverses both (one small settings row per leech event, keyed by log id).
- Bury hides a card until the next study day starts (day_start_hour local, default 4 am).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Callable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from flashtrain.deck.markdown_format import cloze_sides
from flashtrain.scheduler import core
from flashtrain.scheduler.core import MemoryState, ReviewRecord, SchedulerConfig
from flashtrain.store.dialect import day_number_sql, dialect_of
from flashtrain.store.models import Attempt, Card, CardState, Deck, ReviewLog, Setting, SourceFile, utcnow
from flashtrain.study import queue as q
from flashtrain.study.queue import QueueSpec
from flashtrain.study.settings import StudySettings, load_settings

__all__ = ["DeckSummary", "StudyCard", "QueueSpec", "RateOutcome", "StudyService", "card_sides",
           "state_from_row", "write_state"]

LEECH_TAG = "leech"
LEECH_UNDO_PREFIX = "study.leech_undo."  # + log id -> {"tag_added": bool, "was_suspended": bool}


@dataclass(frozen=True)
class DeckSummary:
    deck_id: int
    name: str
    due: int  # review cards due this study day
    learning: int  # learning/relearning cards due today (or within the hour)
    new: int  # never-reviewed cards (not suspended or buried); the daily limit is not applied here
    total: int  # non-retired cards
    retention: float | None  # mean predicted recall now over reviewed cards; None if none reviewed


@dataclass(frozen=True)
class StudyCard:
    card_id: int
    deck_id: int
    deck_name: str
    kind: str
    cloze_index: int
    question: str
    answer: str
    front: str  # Markdown to display: cloze and reversed already resolved
    back: str
    tags: tuple[str, ...]
    hints: tuple[str, ...]
    snippet_id: str | None
    state: MemoryState
    flagged: bool
    source_path: str | None
    source_line: int
    suspended: bool = False


@dataclass(frozen=True)
class RateOutcome:
    record: ReviewRecord
    log_id: int
    origin: str
    leech: bool = False  # this rating made the card a leech: tagged and suspended


def card_sides(kind: str, question: str, answer: str, cloze_index: int) -> tuple[str, str]:
    if kind == "cloze":
        return cloze_sides(question, cloze_index)
    if kind == "reversed":
        return answer, question
    return question, answer


def state_from_row(row: CardState | None) -> MemoryState:
    if row is None:
        return MemoryState()
    return MemoryState(phase=row.phase, stability=row.stability, difficulty=row.difficulty, due=row.due,
                       last_review=row.last_review, reps=row.reps, lapses=row.lapses, step=row.step,
                       last_rating=row.last_rating)


def is_fresh(state: MemoryState) -> bool:
    """A state that the store represents by the absence of a CardState row."""
    return state == MemoryState()


def write_state(s: Session, card_id: int, state: MemoryState) -> None:
    """Make the CardState row mirror `state` (a fresh state means no row)."""
    row = s.get(CardState, card_id)
    if is_fresh(state):
        if row is not None:
            s.delete(row)
        return
    if row is None:
        row = CardState(card_id=card_id)
        s.add(row)
    for name in ("phase", "stability", "difficulty", "due", "last_review", "reps", "lapses", "step", "last_rating"):
        setattr(row, name, getattr(state, name))


def is_leech_event(before: MemoryState, after: MemoryState, threshold: int) -> bool:
    if after.lapses <= before.lapses or after.lapses < threshold:
        return False
    return (after.lapses - threshold) % max(threshold // 2, 1) == 0


class StudyService:
    def __init__(self, store, config_loader: Callable[[Session], SchedulerConfig] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc), tz: tzinfo | None = None):
        self.store = store
        self.tz = tz  # None: the machine's local zone decides where a study day starts
        self._config_loader = config_loader
        self._clock = clock
        # Drill sessions live in memory: card -> its last drill rating in this service's lifetime.
        self._drilled: dict[int, int] = {}
        self._drill_undo: list[tuple[int, int | None]] = []
        self._queues: dict[QueueSpec, q.SpecQueue] = {}  # see queue.py: per-day candidate lists

    # -- context ----------------------------------------------------------------------------
    def now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the study clock must return timezone-aware datetimes")
        return now.astimezone(timezone.utc)

    def _context(self, s: Session) -> tuple[StudySettings, SchedulerConfig]:
        settings = load_settings(s)
        config = self._config_loader(s) if self._config_loader else settings.scheduler_config(self.tz)
        return settings, config

    def _clock_for(self, config: SchedulerConfig, now: datetime) -> q.Clock:
        day = core.study_day(now, config)
        local = now.astimezone(config.tz) if config.tz is not None else now.astimezone()
        shift = local.utcoffset().total_seconds() / 86400.0 - config.day_start_hour / 24.0
        return q.Clock(now=now, day_start=core.day_boundary(day, config),
                       day_end=core.day_boundary(day + timedelta(days=1), config), day_shift=shift)

    def settings(self) -> StudySettings:
        with self.store.sessions.begin() as s:
            return load_settings(s)

    def scheduler_config(self) -> SchedulerConfig:
        with self.store.sessions.begin() as s:
            return self._context(s)[1]

    # -- overview ---------------------------------------------------------------------------
    def deck_summaries(self) -> list[DeckSummary]:
        """Counts per deck in one grouped query; R = (1 + F t/S)^-decay with t in study days, in SQL."""
        with self.store.sessions.begin() as s:
            _, config = self._context(s)
            clock = self._clock_for(config, self.now())
            params = clock.params() | {"F": core.decay_factor(config.weights), "decay": config.weights[20]}
            names = dict(s.execute(select(Deck.id, Deck.name)).all())
            dialect = dialect_of(s)
            eligible = "c.suspended = FALSE AND (c.buried_until IS NULL OR c.buried_until <= :now)"
            days = (f"{day_number_sql(dialect, ':now', ':shift')}"
                    f" - {day_number_sql(dialect, 'cs.last_review', ':shift')}")
            elapsed = f"(CASE WHEN {days} > 0 THEN {days} ELSE 0 END)"
            rows = s.execute(text(
                "SELECT c.deck_id,"
                f" {_count(f'cs.phase = {REVIEW!r} AND cs.due < :day_end AND {eligible}')},"
                f" {_count(f'cs.phase IN {LEARNING!r} AND cs.due <= :ahead AND {eligible}')},"
                f" {_count(f'cs.card_id IS NULL AND {eligible}')},"
                " COUNT(*),"
                f" SUM(CASE WHEN cs.stability > 0 AND cs.last_review IS NOT NULL"
                f"     THEN pow(1.0 + :F * {elapsed} / cs.stability, -:decay) END),"
                f" {_count('cs.stability > 0 AND cs.last_review IS NOT NULL')}"
                " FROM cards c LEFT JOIN card_states cs ON cs.card_id = c.id"
                " WHERE c.retired_at IS NULL GROUP BY c.deck_id"), params).all()
        summaries = [DeckSummary(deck_id=r[0], name=names[r[0]], due=int(r[1] or 0), learning=int(r[2] or 0),
                                 new=int(r[3] or 0), total=int(r[4]),
                                 retention=float(r[5]) / r[6] if r[6] else None)
                     for r in rows if r[4]]
        return sorted(summaries, key=lambda d: d.name)

    # -- queue ------------------------------------------------------------------------------
    def next_card(self, spec: QueueSpec = QueueSpec(), exclude: set[int] = frozenset()) -> StudyCard | None:
        with self.store.sessions.begin() as s:
            settings, config = self._context(s)
            clock = self._clock_for(config, self.now())
            queue = self._queue(s, spec, clock, config)
            card_id = (self._next_due(s, queue, clock, settings, exclude) if spec.changes_schedule
                       else self._next_drill(s, queue, clock, exclude))
            return None if card_id is None else self._study_card(s, card_id)

    def _queue(self, s: Session, spec: QueueSpec, clock: q.Clock, config: SchedulerConfig) -> q.SpecQueue:
        key = (core.study_day(clock.now, config), config.weights, config.day_start_hour, clock.day_shift)
        print_ = q.fingerprint(s)
        queue = self._queues.get(spec)
        if queue is None or not queue.usable(key, print_):
            queue = q.SpecQueue.build(s, spec, clock, config.weights, key, print_)
            self._queues[spec] = queue
        return queue

    def _next_due(self, s, queue: q.SpecQueue, clock, settings, exclude) -> int | None:
        card_id = queue.pick_learning(s, clock, exclude, ahead=False)
        if card_id is None:
            card_id = queue.pick_review(s, clock, exclude)
        if card_id is None and self._new_left(s, queue.spec, settings, clock) > 0:
            card_id = queue.pick_new(s, clock, exclude)
        if card_id is None:
            card_id = queue.pick_learning(s, clock, exclude, ahead=True)
        return card_id

    def _next_drill(self, s, queue: q.SpecQueue, clock, exclude) -> int | None:
        card_id = queue.pick_drill(s, clock, [c for c in queue.review if c not in self._drilled], exclude)
        if card_id is None:  # everything seen once: cards last rated 1 come back, longest-waiting first
            again = [c for c, rating in self._drilled.items() if rating == 1]
            card_id = queue.pick_drill(s, clock, again, exclude)
        return card_id

    def _new_left(self, s: Session, spec: QueueSpec, settings: StudySettings, clock: q.Clock) -> int:
        limit = settings.new_per_day if spec.new_limit is None else spec.new_limit
        return limit - q.new_introduced_today(s, clock)

    def remaining(self, spec: QueueSpec = QueueSpec(), exclude: set[int] = frozenset()) -> int:
        """Cards left in this queue now (learning cards due today included)."""
        exclude = set(exclude)
        with self.store.sessions.begin() as s:
            settings, config = self._context(s)
            clock = self._clock_for(config, self.now())
            queue = self._queue(s, spec, clock, config)
            if not spec.changes_schedule:
                return queue.drill_remaining({c for c, r in self._drilled.items() if r != 1} | exclude)
            new = min(max(self._new_left(s, spec, settings, clock), 0), len(queue.new_ok - exclude))
            return len(queue.review_ok - exclude) + queue.count_learning(s, clock, exclude) + new

    def _card_changed(self, s: Session, card_id: int, print_before: tuple) -> None:
        """Tell the cached queues about a change this service made (state or flags of one card)."""
        if not self._queues:
            return
        _, config = self._context(s)
        clock = self._clock_for(config, self.now())
        card = s.get(Card, card_id)
        state = state_from_row(s.get(CardState, card_id))
        eligible = (card.retired_at is None and not card.suspended
                    and (card.buried_until is None or card.buried_until <= clock.now))
        deck_tags = s.scalar(select(Deck.tags).where(Deck.id == card.deck_id)) or []
        facts = q.CardFacts(deck_id=card.deck_id, tags=tuple(card.tags or ()), deck_tags=tuple(deck_tags),
                            snippet_id=card.snippet_id)
        print_after = q.fingerprint(s)
        for queue in self._queues.values():
            queue.card_changed(card_id, state, eligible, clock, facts)
            if queue.fingerprint == print_before:
                queue.fingerprint = print_after

    def card(self, card_id: int) -> StudyCard:
        with self.store.sessions.begin() as s:
            return self._study_card(s, card_id)

    def _study_card(self, s: Session, card_id: int) -> StudyCard:
        row = s.execute(select(Card, Deck.name, SourceFile.path).join(Deck, Deck.id == Card.deck_id)
                        .outerjoin(SourceFile, SourceFile.id == Card.source_id).where(Card.id == card_id)).first()
        if row is None:
            raise KeyError(f"no card with id {card_id}")
        card, deck_name, source_path = row
        front, back = card_sides(card.kind, card.question, card.answer, card.cloze_index)
        return StudyCard(card_id=card.id, deck_id=card.deck_id, deck_name=deck_name, kind=card.kind,
                         cloze_index=card.cloze_index, question=card.question, answer=card.answer,
                         front=front, back=back, tags=tuple(card.tags or ()), hints=tuple(card.hints or ()),
                         snippet_id=card.snippet_id, state=state_from_row(s.get(CardState, card.id)),
                         flagged=bool(card.flagged), source_path=source_path, source_line=card.source_line,
                         suspended=bool(card.suspended))

    def preview(self, card_id: int) -> dict[int, timedelta]:
        with self.store.sessions.begin() as s:
            _, config = self._context(s)
            return core.preview(state_from_row(s.get(CardState, card_id)), self.now(), config)

    # -- rating and undo --------------------------------------------------------------------
    def rate(self, card_id: int, rating: int, duration_ms: int | None = None, origin: str = "study") -> ReviewRecord:
        return self.rate_detailed(card_id, rating, duration_ms, origin).record

    def rate_detailed(self, card_id: int, rating: int, duration_ms: int | None = None,
                      origin: str = "study") -> RateOutcome:
        if origin not in ("study", "cram"):
            raise ValueError(f"origin must be 'study' or 'cram', got {origin!r}")
        with self.store.sessions.begin() as s:
            settings, config = self._context(s)
            card = s.get(Card, card_id)
            if card is None or card.retired_at is not None:
                raise KeyError(f"no studyable card with id {card_id}")
            before = state_from_row(s.get(CardState, card_id))
            print_before = q.fingerprint(s) if self._queues else None
            after, record = core.review(before, rating, self.now(), config)
            if origin == "cram":  # logged, but the schedule stays as it was
                interval = max(before.due - record.reviewed_at, timedelta(0)) if before.due else timedelta(0)
                record = replace(record, state_after=before, interval=interval)
            else:
                write_state(s, card_id, after)
            log = ReviewLog(card_id=card_id, reviewed_at=record.reviewed_at, rating=rating,
                            elapsed_days=record.elapsed_days, duration_ms=duration_ms,
                            state_before=record.state_before.to_dict(), state_after=record.state_after.to_dict(),
                            origin=origin)
            s.add(log)
            s.flush()
            leech = origin == "study" and is_leech_event(before, after, settings.leech_threshold)
            if leech:
                self._make_leech(s, card, log.id)
            if print_before is not None:
                self._card_changed(s, card_id, print_before)
        if origin == "cram":
            self._drill_undo.append((card_id, self._drilled.get(card_id)))
            self._drilled.pop(card_id, None)  # re-insert so dict order is "last seen"
            self._drilled[card_id] = rating
        return RateOutcome(record=record, log_id=log.id, origin=origin, leech=leech)

    def _make_leech(self, s: Session, card: Card, log_id: int) -> None:
        tags = list(card.tags or [])
        memo = {"tag_added": LEECH_TAG not in tags, "was_suspended": bool(card.suspended)}
        if memo["tag_added"]:
            card.tags = tags + [LEECH_TAG]
        card.suspended = True
        # One settings row per leech event, so undo can delete exactly what this rating added.
        s.add(Setting(key=f"{LEECH_UNDO_PREFIX}{log_id}", value=memo, updated_at=utcnow()))

    def undo_last(self) -> int | None:
        """Undo the newest rating: its log row goes, the card's state and leech changes are restored.

        Works across restarts because it reads the log. Imported history is not undone (the
        newest row being an imported one ends the undo chain).
        """
        with self.store.sessions.begin() as s:
            log = s.scalars(select(ReviewLog).order_by(ReviewLog.id.desc()).limit(1)).first()
            if log is None or log.origin == "imported":
                return None
            card_id, origin = log.card_id, log.origin
            print_before = q.fingerprint(s) if self._queues else None
            if origin == "study":
                write_state(s, card_id, MemoryState.from_dict(log.state_before or {}))
                memo_row = s.get(Setting, f"{LEECH_UNDO_PREFIX}{log.id}")
                if memo_row is not None:
                    memo = memo_row.value or {}
                    card = s.get(Card, card_id)
                    if memo.get("tag_added"):
                        card.tags = [t for t in (card.tags or []) if t != LEECH_TAG]
                    card.suspended = bool(memo.get("was_suspended"))
                    s.delete(memo_row)
            s.delete(log)
            s.flush()
            if print_before is not None:
                self._card_changed(s, card_id, print_before)
        if origin == "cram":
            self._undo_drill(card_id)
        return card_id

    def _undo_drill(self, card_id: int) -> None:
        for i in range(len(self._drill_undo) - 1, -1, -1):
            if self._drill_undo[i][0] == card_id:
                _, previous = self._drill_undo.pop(i)
                if previous is None:
                    self._drilled.pop(card_id, None)
                else:
                    self._drilled[card_id] = previous
                return

    # -- card flags -------------------------------------------------------------------------
    def _update_card(self, card_id: int, **values) -> None:
        with self.store.sessions.begin() as s:
            card = s.get(Card, card_id)
            if card is None:
                raise KeyError(f"no card with id {card_id}")
            print_before = q.fingerprint(s) if self._queues else None
            for name, value in values.items():
                setattr(card, name, value)
            s.flush()
            if print_before is not None:
                self._card_changed(s, card_id, print_before)

    def suspend(self, card_id: int, on: bool = True) -> None:
        self._update_card(card_id, suspended=bool(on))

    def bury(self, card_id: int) -> datetime:
        """Hide the card until the next study day starts; returns that moment (UTC)."""
        config = self.scheduler_config()
        until = self._clock_for(config, self.now()).day_end
        self._update_card(card_id, buried_until=until)
        return until

    def unbury(self, card_id: int) -> None:
        self._update_card(card_id, buried_until=None)

    def flag(self, card_id: int, on: bool = True) -> None:
        self._update_card(card_id, flagged=bool(on))

    def record_attempt(self, card_id: int | None, snippet_id: str, code: str, result_dict: dict) -> None:
        result = dict(result_dict or {})
        status = str(result.get("status", "error"))
        if status not in ("pass", "fail", "error"):
            status = "error"
        with self.store.sessions.begin() as s:
            s.add(Attempt(card_id=card_id, snippet_id=snippet_id, created_at=self.now(), status=status,
                          passed=int(result.get("passed", 0) or 0), total=int(result.get("total", 0) or 0),
                          duration_ms=int(result.get("duration_ms", 0) or 0), code=code, result=result))


REVIEW, LEARNING = "review", ("learning", "relearning")


def _count(condition: str) -> str:
    """Rows meeting `condition` (PostgreSQL cannot SUM a boolean as SQLite does)."""
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"
