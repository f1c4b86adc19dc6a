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
- A rating, undo, attempt, setting or suspend/bury/flag waits while another process holds the store's
  write lock (faults.retry_while_busy). If the store cannot take one at all (disk full,
  read-only, server gone), it goes to the journal (journal.py), the card leaves this session's
  queue as if it had been stored, `take_notices()` hands the UI one line saying so, and the next
  open of the store (or the next rating that is stored) writes it in.
- Two sessions on one store keep every rating: the card's row is read under the write lock and
  its state is written with one upsert; undo takes back this session's own last rating.
- Siblings (a reversed twin, the other gaps of a cloze note) are buried the same way once one of them
  is rated in normal study (setting bury_siblings, on by default; see services/siblings.py); undo un-buries them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Callable

from sqlalchemy import delete, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from flashtrain.deck.markdown_format import cloze_sides
from flashtrain.scheduler import core
from flashtrain.scheduler.core import MemoryState, ReviewRecord, SchedulerConfig
from flashtrain.store.dialect import day_number_sql, dialect_of
from flashtrain.store.faults import StoreUnavailable, retry_while_busy
from flashtrain.store.models import Attempt, Card, CardState, Deck, ReviewLog, Setting, SourceFile, utcnow
from flashtrain.store.upsert import upsert
from flashtrain.study import journal
from flashtrain.study import queue as q
from flashtrain.services import kept_writes, siblings
from flashtrain.study.queue import QueueSpec
from flashtrain.services.settings import change_setting, load_settings
from flashtrain.study.settings import StudySettings

__all__ = ["DeckSummary", "StudyCard", "QueueSpec", "RateOutcome", "StoreUnavailable", "StudyService", "card_sides",
           "state_from_row", "write_state"]

LEECH_TAG = "leech"
PLAIN_TEXT_FORMATS = frozenset({"alternating", "brainscape", "csv", "notes"})
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
    source_format: str | None = None  # the importer's format name ("markdown", "brainscape", ...)

    @property
    def plain_text(self) -> bool:
        """Imported from plain text: shown with its own lines and numbering, not reflowed as Markdown."""
        return self.source_format in PLAIN_TEXT_FORMATS


@dataclass(frozen=True)
class NewBudget:
    """Today's new cards in a queue: "20 new today, 178 waiting"."""

    limit: int  # new cards per study day (the setting, or the session's own limit)
    introduced: int  # new cards first rated today (all decks: the limit is per learner, as in Anki)
    waiting: int  # never-reviewed cards in this queue (not suspended or buried)

    @property
    def left(self) -> int:
        """New cards this queue may still show today."""
        return min(max(self.limit - self.introduced, 0), self.waiting)


@dataclass(frozen=True)
class Today:
    """This study day across all decks (cram ratings left out): for the end-of-session summary."""

    reviews: int  # ratings in normal study today
    review_phase: int  # ... of cards that were in review (not new or learning)
    recalled: int  # ... of which rated 2 or more
    streak: int  # consecutive study days with a rating, ending today

    @property
    def retention(self) -> float | None:
        return self.recalled / self.review_phase if self.review_phase else None


@dataclass(frozen=True)
class RateOutcome:
    record: ReviewRecord
    log_id: int  # 0 when the rating went to the journal
    origin: str
    leech: bool = False  # this rating made the card a leech: tagged and suspended
    journal_path: Path | None = None  # set when the store could not take it: kept here until it can


def card_sides(kind: str, question: str, answer: str, cloze_index: int) -> tuple[str, str]:
    if kind == "cloze":  # the answer of a cloze card is extra shown on its back (Anki's Back Extra)
        front, back = cloze_sides(question, cloze_index)
        return front, back + "\n\n" + answer if answer.strip() else back
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


STATE_FIELDS = ("phase", "stability", "difficulty", "due", "last_review", "reps", "lapses", "step", "last_rating")


def write_state(s: Session, card_id: int, state: MemoryState) -> None:
    """Make the CardState row mirror `state` (a fresh state means no row), in one statement.

    An upsert, not read-then-insert: another process may have created the row meanwhile."""
    loaded = s.identity_map.get(s.identity_key(CardState, card_id))
    if loaded is not None:
        s.expunge(loaded)  # the statement below bypasses the ORM: a later get() must read the row anew
    if is_fresh(state):
        s.execute(delete(CardState).where(CardState.card_id == card_id))
        return
    upsert(s, CardState.__table__, {"card_id": card_id, **{name: getattr(state, name) for name in STATE_FIELDS}},
           ["card_id"])


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
        # What undo takes back first: this service's own ratings, ("store", log id, card) or
        # ("journal", entry id, card); after a restart the newest rating in the store.
        self._undo_stack: list[tuple[str, int | str, int]] = []
        self._pending: dict[int, MemoryState] = {}  # cards rated into the journal: out of this session's queue
        self._set_aside: set[int] = set()  # cards suspended/buried into the journal: out of the queue too
        self._seen: dict[int, MemoryState] = {}  # state of cards shown, for rating with the store unreadable
        self._last_context: tuple[StudySettings, SchedulerConfig] | None = None
        self._notices: list[str] = []

    # -- context ----------------------------------------------------------------------------
    def now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the study clock must return timezone-aware datetimes")
        return now.astimezone(timezone.utc)

    def _context(self, s: Session) -> tuple[StudySettings, SchedulerConfig]:
        settings = load_settings(s)
        config = self._config_loader(s) if self._config_loader else settings.scheduler_config(self.tz)
        self._last_context = (settings, config)
        return settings, config

    def take_notices(self) -> list[str]:
        """One-line messages the UI should show (e.g. a rating kept in the journal); cleared on read."""
        notices, self._notices = self._notices, []
        return notices

    def _clock_for(self, config: SchedulerConfig, now: datetime) -> q.Clock:
        day = core.study_day(now, config)
        local = now.astimezone(config.tz) if config.tz is not None else now.astimezone()
        shift = local.utcoffset().total_seconds() / 86400.0 - config.day_start_hour / 24.0
        return q.Clock(now=now, day_start=core.day_boundary(day, config),
                       day_end=core.day_boundary(day + timedelta(days=1), config), day_shift=shift)

    def settings(self) -> StudySettings:
        with self.store.sessions.begin() as s:
            return load_settings(s)

    def save_setting(self, name: str, value) -> object:
        """Validate and store one setting (study.settings.SETTINGS); returns the value it now has.
        A store that cannot take it keeps it in the journal, with a notice (services/settings.py)."""
        change = change_setting(self.store, name, value)
        if change.notice:
            self._notices.append(change.notice)
        return change.value

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
        if self._pending or self._set_aside:
            exclude = set(exclude) | set(self._pending) | self._set_aside
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
        exclude = set(exclude) | set(self._pending) | self._set_aside
        with self.store.sessions.begin() as s:
            settings, config = self._context(s)
            clock = self._clock_for(config, self.now())
            queue = self._queue(s, spec, clock, config)
            if not spec.changes_schedule:
                return queue.drill_remaining({c for c, r in self._drilled.items() if r != 1} | exclude)
            new = min(max(self._new_left(s, spec, settings, clock), 0), len(queue.new_ok - exclude))
            return len(queue.review_ok - exclude) + queue.count_learning(s, clock, exclude) + new

    def new_budget(self, spec: QueueSpec = QueueSpec()) -> NewBudget:
        with self.store.sessions.begin() as s:
            settings, config = self._context(s)
            clock = self._clock_for(config, self.now())
            queue = self._queue(s, spec, clock, config)
            limit = settings.new_per_day if spec.new_limit is None else spec.new_limit
            return NewBudget(limit=limit, introduced=q.new_introduced_today(s, clock), waiting=len(queue.new_ok))

    def next_due(self, spec: QueueSpec = QueueSpec()) -> datetime | None:
        """When the next card of this queue that has been studied falls due (after now), if any."""
        with self.store.sessions.begin() as s:
            params = {"now": q.sql_time(self.now())}
            where = q.card_filter(spec, params, dialect_of(s))
            value = q.run(s, "SELECT MIN(cs.due) FROM card_states cs JOIN cards c ON c.id = cs.card_id"
                             f" WHERE {where} AND cs.phase != 'new' AND cs.due > :now", params).scalar_one()
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)

    def today(self) -> Today:
        from flashtrain.services.stats import DayClock, reviews_per_day, streaks
        from flashtrain.store.dialect import json_field_sql

        with self.store.sessions.begin() as s:
            settings, config = self._context(s)
            now = self.now()
            clock = self._clock_for(config, now)
            phase = json_field_sql(dialect_of(s), "state_before", "phase")
            reviews, review_phase, recalled = q.run(s, (
                "SELECT COUNT(*),"
                f" COALESCE(SUM(CASE WHEN {phase} = 'review' THEN 1 ELSE 0 END), 0),"
                f" COALESCE(SUM(CASE WHEN {phase} = 'review' AND rating >= 2 THEN 1 ELSE 0 END), 0)"
                " FROM review_log WHERE reviewed_at >= :day_start AND origin = 'study'"), clock.params()).one()
            day_clock = DayClock.make(now, settings.day_start_hour, self.tz)
            today = day_clock.day(now)
            days = reviews_per_day(s, day_clock, today - timedelta(days=400))
        return Today(int(reviews), int(review_phase), int(recalled), streaks(set(days), today)[0])

    def stabilities(self) -> list[float]:
        """The memory stability (days) of every studied, active card: what a workload estimate needs."""
        with self.store.sessions.begin() as s:
            rows = s.execute(select(CardState.stability).join(Card, Card.id == CardState.card_id)
                             .where(Card.retired_at.is_(None), Card.suspended.is_(False),
                                    CardState.phase != "new", CardState.stability.is_not(None))).scalars()
            return [float(x) for x in rows]

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
        row = s.execute(select(Card, Deck.name, SourceFile.path, SourceFile.format).join(Deck, Deck.id == Card.deck_id)
                        .outerjoin(SourceFile, SourceFile.id == Card.source_id).where(Card.id == card_id)).first()
        if row is None:
            raise KeyError(f"no card with id {card_id}")
        card, deck_name, source_path, source_format = row
        front, back = card_sides(card.kind, card.question, card.answer, card.cloze_index)
        state = state_from_row(s.get(CardState, card.id))
        if len(self._seen) > 256:
            self._seen.clear()
        self._seen[card.id] = state
        return StudyCard(card_id=card.id, deck_id=card.deck_id, deck_name=deck_name, kind=card.kind,
                         cloze_index=card.cloze_index, question=card.question, answer=card.answer,
                         front=front, back=back, tags=tuple(card.tags or ()), hints=tuple(card.hints or ()),
                         snippet_id=card.snippet_id, state=state,
                         flagged=bool(card.flagged), source_path=source_path, source_line=card.source_line,
                         suspended=bool(card.suspended), source_format=source_format)

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
        reviewed_at = self.now()
        try:
            outcome = retry_while_busy(lambda: self._store_rating(card_id, rating, duration_ms, origin, reviewed_at),
                                       where=self.store.shown)
        except StoreUnavailable as trouble:
            outcome = self._journal_rating(card_id, rating, duration_ms, origin, reviewed_at, trouble)
        else:
            self._undo_stack.append(("store", outcome.log_id, card_id))
            if self._pending:  # the store takes writes again: save what the journal kept meanwhile
                self.replay_journal()
        if origin == "cram":
            self._drill_undo.append((card_id, self._drilled.get(card_id)))
            self._drilled.pop(card_id, None)  # re-insert so dict order is "last seen"
            self._drilled[card_id] = rating
        return outcome

    def _store_rating(self, card_id: int, rating: int, duration_ms: int | None, origin: str,
                      reviewed_at: datetime, replaying: bool = False) -> RateOutcome | None:
        """One rating as one unit of work; None when replaying a rating the log already holds."""
        with self.store.write() as s:
            settings, config = self._context(s)
            card = s.get(Card, card_id, with_for_update=True)  # PostgreSQL: one rater of a card at a time
            if card is None or (card.retired_at is not None and not replaying):
                raise KeyError(f"no studyable card with id {card_id}")
            if replaying and s.scalar(select(ReviewLog.id).where(
                    ReviewLog.card_id == card_id, ReviewLog.reviewed_at == reviewed_at, ReviewLog.rating == rating)):
                return None
            before = state_from_row(s.get(CardState, card_id))
            print_before = q.fingerprint(s) if self._queues else None
            if origin == "study" and before.last_review is not None and reviewed_at < before.last_review \
                    and self._state_is_logged(s, card_id, before):
                # Pressed before a rating another machine (or the journal) stored first: the card's
                # state must be its log replayed in time order, not this rating applied on top.
                log, before, after, record = self._store_late_rating(s, card_id, rating, duration_ms,
                                                                     reviewed_at, config)
            else:
                after, record = core.review(before, rating, reviewed_at, config)
                if origin == "cram":  # logged, but the schedule stays as it was
                    interval = max(before.due - record.reviewed_at, timedelta(0)) if before.due else timedelta(0)
                    record = replace(record, state_after=before, interval=interval)
                else:
                    write_state(s, card_id, after)
                log = ReviewLog(card_id=card_id, reviewed_at=record.reviewed_at, rating=rating,
                                elapsed_days=record.elapsed_days, duration_ms=duration_ms,
                                state_before=record.state_before.to_dict(),
                                state_after=record.state_after.to_dict(), origin=origin)
                s.add(log)
                s.flush()
            leech = origin == "study" and is_leech_event(before, after, settings.leech_threshold)
            if leech:
                self._make_leech(s, card, log.id)
            buried = []
            if origin == "study" and settings.bury_siblings:
                buried = siblings.bury_siblings(s, card, self._clock_for(config, self.now()).day_end, log.id)
            if print_before is not None:
                for changed_id in (card_id, *buried):
                    self._card_changed(s, changed_id, print_before)
        return RateOutcome(record=record, log_id=log.id, origin=origin, leech=leech)

    @staticmethod
    def _state_is_logged(s: Session, card_id: int, state: MemoryState) -> bool:
        """The state comes from the log (not carried over from another tool without one), so a replay
        of the log rebuilds it."""
        return s.scalar(select(ReviewLog.id).where(ReviewLog.card_id == card_id, ReviewLog.origin != "cram",
                                                   ReviewLog.reviewed_at == state.last_review).limit(1)) is not None

    @staticmethod
    def _store_late_rating(s: Session, card_id: int, rating: int, duration_ms: int | None, reviewed_at: datetime,
                           config: SchedulerConfig) -> tuple[ReviewLog, MemoryState, MemoryState, ReviewRecord]:
        """Log a rating older than the card's last review and replay the card's whole log in time order
        (services/history.replay_card). Returns the log row, this rating's before/after and its record."""
        from flashtrain.services.history import replay_card

        log = ReviewLog(card_id=card_id, reviewed_at=reviewed_at, rating=rating, duration_ms=duration_ms,
                        origin="study")
        s.add(log)
        s.flush()
        replay_card(s, card_id, list(s.scalars(select(ReviewLog).where(ReviewLog.card_id == card_id))), config)
        s.flush()
        before = MemoryState.from_dict(log.state_before or {})
        after = MemoryState.from_dict(log.state_after or {})
        return log, before, after, core.review(before, rating, reviewed_at, config)[1]

    def _journal_rating(self, card_id: int, rating: int, duration_ms: int | None, origin: str,
                        reviewed_at: datetime, trouble: StoreUnavailable) -> RateOutcome:
        """The store refused the rating: keep it in the journal and go on as if it were stored."""
        before = self._pending.get(card_id) or self._readable_state(card_id)
        settings, config = self._last_context or (StudySettings(), StudySettings().scheduler_config(self.tz))
        after, record = core.review(before, rating, reviewed_at, config)
        if origin == "cram":
            interval = max(before.due - record.reviewed_at, timedelta(0)) if before.due else timedelta(0)
            record = replace(record, state_after=before, interval=interval)
        entry = journal.new_entry("rating", store=self.store.identity, card_id=card_id, rating=int(rating),
                                  reviewed_at=reviewed_at.isoformat(), duration_ms=duration_ms, origin=origin)
        path = journal.append(self.store, entry)  # raises StoreUnavailable if even that fails
        if origin == "study":
            self._pending[card_id] = after
        self._undo_stack.append(("journal", entry["id"], card_id))
        self._notices.append(f"{trouble}; your rating is kept in {path} and will be saved when the store can "
                             "take it (next time flashtrain opens it)")
        return RateOutcome(record=record, log_id=0, origin=origin, journal_path=path)

    def _readable_state(self, card_id: int) -> MemoryState:
        try:
            with self.store.sessions() as s:
                return state_from_row(s.get(CardState, card_id))
        except SQLAlchemyError:  # the store cannot even be read: the state shown with the card
            return self._seen.get(card_id, MemoryState())

    def replay_journal(self) -> tuple[int, int]:
        """Write the journal's ratings and attempts into the store. Returns (saved, not saved).

        An entry already in the store (replayed before a crash) counts as saved and is not added
        twice; an entry for a card the store no longer has stays in the journal."""
        saved: set[str] = set()
        failed = 0
        for _path, entry in journal.entries(self.store):
            try:
                if entry.get("kind") == "rating":
                    when = datetime.fromisoformat(entry["reviewed_at"])
                    retry_while_busy(lambda: self._store_rating(int(entry["card_id"]), int(entry["rating"]),
                                                                entry.get("duration_ms"), entry.get("origin", "study"),
                                                                when, replaying=True))
                    self._pending.pop(int(entry["card_id"]), None)
                elif entry.get("kind") == "attempt":
                    when = datetime.fromisoformat(entry["created_at"])
                    retry_while_busy(lambda: self._store_attempt(entry.get("card_id"), entry["snippet_id"],
                                                                 entry["code"], entry.get("result") or {}, when,
                                                                 replaying=True))
                else:  # settings, suspend/bury/flag, card edits (services/kept_writes.py)
                    kept_writes.replay(self.store, entry)
            except StoreUnavailable:
                break  # still cannot write: everything stays for next time
            except (KeyError, ValueError, TypeError):
                failed += 1
                continue
            saved.add(entry["id"])
        journal.remove(self.store, saved)
        self._undo_stack = [item for item in self._undo_stack if not (item[0] == "journal" and item[1] in saved)]
        return len(saved), failed

    def _make_leech(self, s: Session, card: Card, log_id: int) -> None:
        tags = list(card.tags or [])
        memo = {"tag_added": LEECH_TAG not in tags, "was_suspended": bool(card.suspended)}
        if memo["tag_added"]:
            card.tags = tags + [LEECH_TAG]
        card.suspended = True
        # One settings row per leech event, so undo can delete exactly what this rating added.
        s.add(Setting(key=f"{LEECH_UNDO_PREFIX}{log_id}", value=memo, updated_at=utcnow()))

    def undo_last(self) -> int | None:
        """Undo this service's last rating (else the newest in the store): its log row goes, the card's
        state and leech changes are restored. Returns the card, or None if there is nothing to undo.

        Works across restarts because it reads the log. Imported history is not undone (the
        newest row being an imported one ends the undo chain). A rating kept in the journal is
        taken out of it. Raises StoreUnavailable if the store cannot take the undo now."""
        if self._undo_stack and self._undo_stack[-1][0] == "journal":
            _, entry_id, card_id = self._undo_stack.pop()
            journal.remove(self.store, {str(entry_id)})
            self._pending.pop(card_id, None)
            if card_id in self._drilled:
                self._undo_drill(card_id)
            return card_id
        log_id = self._undo_stack[-1][1] if self._undo_stack else None
        undone = retry_while_busy(lambda: self._undo_in_store(log_id), where=self.store.shown)
        if self._undo_stack:
            self._undo_stack.pop()
        if undone is None:
            return None
        card_id, origin = undone
        if origin == "cram":
            self._undo_drill(card_id)
        return card_id

    def _undo_in_store(self, log_id: int | None) -> tuple[int, str] | None:
        with self.store.write() as s:
            if log_id is None:
                log = s.scalars(select(ReviewLog).order_by(ReviewLog.id.desc()).limit(1)).first()
            else:
                log = s.get(ReviewLog, log_id)
            if log is None or log.origin == "imported":
                return None
            card_id, origin = log.card_id, log.origin
            later = (ReviewLog.id > log.id) | (ReviewLog.reviewed_at > log.reviewed_at)  # stored or pressed later
            if s.scalar(select(ReviewLog.id).where(ReviewLog.card_id == card_id, ReviewLog.id != log.id, later)
                        .limit(1)):
                # Rated again since, in another session: restoring the state before this rating
                # would wipe out that later one.
                self._notices.append(f"card {card_id} was rated again in another session since; undo that one first")
                return None
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
            unburied = siblings.unbury_for_log(s, log.id)
            s.delete(log)
            s.flush()
            if print_before is not None:
                for changed_id in (card_id, *unburied):
                    self._card_changed(s, changed_id, print_before)
        return card_id, origin

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
        try:
            retry_while_busy(lambda: self._update_card_now(card_id, values), where=self.store.shown)
        except StoreUnavailable as trouble:  # kept in the journal, written on the next open
            kept = kept_writes.keep(self.store, "card_flags", f"change to card {card_id}", trouble,
                                    **kept_writes.card_flags_entry(card_id, values))
            self._notices.append(kept.notice)
            if values.get("suspended") or values.get("buried_until"):
                self._set_aside.add(card_id)  # out of this session's queue, as if stored

    def _update_card_now(self, card_id: int, values: dict) -> None:
        with self.store.write() as s:
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
        """Keep a graded answer; like a rating it waits out a busy store and goes to the journal
        if the store cannot take it."""
        created_at = self.now()
        try:
            retry_while_busy(lambda: self._store_attempt(card_id, snippet_id, code, result_dict, created_at),
                             where=self.store.shown)
        except StoreUnavailable as trouble:
            entry = journal.new_entry("attempt", store=self.store.identity, card_id=card_id, snippet_id=snippet_id,
                                      code=code, result=dict(result_dict or {}), created_at=created_at.isoformat())
            path = journal.append(self.store, entry)
            self._notices.append(f"{trouble}; your attempt is kept in {path} and will be saved when the store "
                                 "can take it")

    def _store_attempt(self, card_id: int | None, snippet_id: str, code: str, result_dict: dict,
                       created_at: datetime, replaying: bool = False) -> None:
        result = dict(result_dict or {})
        status = str(result.get("status", "error"))
        if status not in ("pass", "fail", "error"):
            status = "error"
        with self.store.write() as s:
            if replaying and s.scalar(select(Attempt.id).where(Attempt.snippet_id == snippet_id,
                                                                Attempt.created_at == created_at)):
                return
            s.add(Attempt(card_id=card_id, snippet_id=snippet_id, created_at=created_at, status=status,
                          passed=int(result.get("passed", 0) or 0), total=int(result.get("total", 0) or 0),
                          duration_ms=int(result.get("duration_ms", 0) or 0), code=code, result=result))


REVIEW, LEARNING = "review", ("learning", "relearning")


def _count(condition: str) -> str:
    """Rows meeting `condition` (PostgreSQL cannot SUM a boolean as SQLite does)."""
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"
