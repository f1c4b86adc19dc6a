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

from flashtrain.deck.note import cloze_sides
from flashtrain.scheduler import core
from flashtrain.scheduler.core import MemoryState, ReviewRecord, SchedulerConfig
from flashtrain.services import answer_queries as aq
from flashtrain.services import siblings
from flashtrain.services import study_db as sdb
from flashtrain.services import study_queries as sq
from flashtrain.store.faults import StoreUnavailable, is_database_error, retry_while_busy
from flashtrain.study import journal
from flashtrain.study import queue as q
from flashtrain.study.queue import QueueSpec
from flashtrain.study.settings import SETTING_PREFIX, SETTINGS, StudySettings, parse_settings

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


def state_from_row(row) -> MemoryState:
    """A MemoryState from a CardState row, or from the dict study_queries returns (None: new)."""
    if row is None:
        return MemoryState()
    if isinstance(row, dict):
        return MemoryState(**row)
    return MemoryState(**{name: getattr(row, name) for name in STATE_FIELDS})


def is_fresh(state: MemoryState) -> bool:
    """A state that the store represents by the absence of a CardState row."""
    return state == MemoryState()


STATE_FIELDS = sq.STATE_COLUMNS


def state_values(state: MemoryState) -> dict | None:
    """The state row's values (None for a fresh state: the store keeps no row for it)."""
    return None if is_fresh(state) else {name: getattr(state, name) for name in STATE_FIELDS}


def write_state(s, card_id: int, state: MemoryState) -> None:
    """Make the CardState row mirror `state` (a fresh state means no row), in one statement, in
    session `s` (for callers that hold one; the service writes through study_queries directly)."""
    aq.write_state_in_session(s, card_id, state_values(state))


def is_leech_event(before: MemoryState, after: MemoryState, threshold: int) -> bool:
    if after.lapses <= before.lapses or after.lapses < threshold:
        return False
    return (after.lapses - threshold) % max(threshold // 2, 1) == 0


SETTING_KEYS = tuple(SETTING_PREFIX + name for name in SETTINGS)


class _LateRating(Exception):
    """A rating pressed before the card's last stored one: redone in a unit of work with an ORM session."""


class StudyService:
    def __init__(self, store, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 tz: tzinfo | None = None):
        self.store = store
        self.tz = tz  # None: the machine's local zone decides where a study day starts
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
        self._settings_rows: list | None = None  # the stored settings _last_context was parsed from
        self._introduced: tuple[tuple, set[int]] | None = None  # ((day start, newest log id), cards introduced today)
        self._print: tuple | None = None  # the store's fingerprint read by the current unit of work
        self._day_bounds: tuple | None = None  # (study day key, its start, its end): see _clock_for
        self._notices: list[str] = []

    # -- context ----------------------------------------------------------------------------
    def now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the study clock must return timezone-aware datetimes")
        return now.astimezone(timezone.utc)

    def _context(self, db: sdb.Db) -> tuple[StudySettings, SchedulerConfig]:
        """Settings and scheduler config: read in every unit of work (a few primary-key rows, so a
        change made anywhere counts at once), parsed again only when a stored value changed."""
        rows = aq.settings_rows(db, SETTING_KEYS)
        if self._last_context is None or rows != self._settings_rows:
            settings = parse_settings(rows)
            self._last_context, self._settings_rows = (settings, settings.scheduler_config(self.tz)), rows
        return self._last_context

    def take_notices(self) -> list[str]:
        """One-line messages the UI should show (e.g. a rating kept in the journal); cleared on read."""
        notices, self._notices = self._notices, []
        return notices

    def _clock_for(self, config: SchedulerConfig, now: datetime) -> q.Clock:
        day = core.study_day(now, config)
        local = now.astimezone(config.tz) if config.tz is not None else now.astimezone()
        shift = local.utcoffset().total_seconds() / 86400.0 - config.day_start_hour / 24.0
        key = (day, shift, config.tz, config.day_start_hour)
        if self._day_bounds is None or self._day_bounds[0] != key:  # the same all day: computed once
            self._day_bounds = (key, core.day_boundary(day, config), core.day_boundary(day + timedelta(days=1), config))
        return q.Clock(now=now, day_start=self._day_bounds[1], day_end=self._day_bounds[2], day_shift=shift)

    def settings(self) -> StudySettings:
        with sdb.reading(self.store) as db:
            return self._context(db)[0]

    def save_setting(self, name: str, value) -> object:
        """Validate and store one setting (study.settings.SETTINGS); returns the value it now has.
        A store that cannot take it keeps it in the journal, with a notice (services/settings.py)."""
        from flashtrain.services.settings import change_setting  # SQLAlchemy: not on the start-up path

        change = change_setting(self.store, name, value)
        if change.notice:
            self._notices.append(change.notice)
        return change.value

    def scheduler_config(self) -> SchedulerConfig:
        with sdb.reading(self.store) as db:
            return self._context(db)[1]

    # -- overview ---------------------------------------------------------------------------
    def deck_summaries(self) -> list[DeckSummary]:
        """Counts per deck in one grouped query; R = (1 + F t/S)^-decay with t in study days, in SQL."""
        with sdb.reading(self.store) as db:
            _, config = self._context(db)
            clock = self._clock_for(config, self.now())
            rows = sq.deck_counts(db, clock, core.decay_factor(config.weights), config.weights[20])
        summaries = [DeckSummary(deck_id=r[0], name=r[7], due=int(r[1] or 0), learning=int(r[2] or 0),
                                 new=int(r[3] or 0), total=int(r[4]),
                                 retention=float(r[5]) / r[6] if r[6] else None)
                     for r in rows if r[4]]
        return sorted(summaries, key=lambda d: d.name)

    # -- queue ------------------------------------------------------------------------------
    def next_card(self, spec: QueueSpec = QueueSpec(), exclude: set[int] = frozenset()) -> StudyCard | None:
        if self._pending or self._set_aside:
            exclude = set(exclude) | set(self._pending) | self._set_aside
        with sdb.reading(self.store) as db:
            settings, config = self._context(db)
            clock = self._clock_for(config, self.now())
            queue = self._queue(db, spec, clock, config)
            card_id = (self._next_due(db, queue, clock, settings, exclude) if spec.changes_schedule
                       else self._next_drill(db, queue, clock, exclude))
            return None if card_id is None else self._study_card(db, card_id)

    def _queue(self, db: sdb.Db, spec: QueueSpec, clock: q.Clock, config: SchedulerConfig) -> q.SpecQueue:
        key = (core.study_day(clock.now, config), config.weights, config.day_start_hour, clock.day_shift)
        print_ = self._print = sq.fingerprint(db)
        queue = self._queues.get(spec)
        if queue is None or not queue.usable(key, print_):
            queue = self.adopt_queue(q.SpecQueue.build(db, spec, clock, config.weights, key, print_))
        return queue

    def adopt_queue(self, queue: q.SpecQueue) -> q.SpecQueue:
        """Use `queue` for its spec (also a queue built before this service existed: start-up)."""
        self._queues[queue.spec] = queue
        return queue

    def _next_due(self, db: sdb.Db, queue: q.SpecQueue, clock, settings, exclude) -> int | None:
        card_id = queue.pick_learning(db, clock, exclude, ahead=False)
        if card_id is None:
            card_id = queue.pick_review(db, clock, exclude)
        if card_id is None:
            left = self._new_left(db, queue.spec, settings, clock)
            if left > 0:
                card_id = queue.pick_new(db, clock, exclude, left)
        if card_id is None:
            card_id = queue.pick_learning(db, clock, exclude, ahead=True)
        return card_id

    def _next_drill(self, db: sdb.Db, queue: q.SpecQueue, clock, exclude) -> int | None:
        card_id = queue.pick_drill(db, clock, [c for c in queue.review if c not in self._drilled], exclude)
        if card_id is None:  # everything seen once: cards last rated 1 come back, longest-waiting first
            again = [c for c, rating in self._drilled.items() if rating == 1]
            card_id = queue.pick_drill(db, clock, again, exclude)
        return card_id

    def _introduced_today(self, db: sdb.Db, clock: q.Clock) -> int:
        """New cards introduced this study day; read again whenever anyone else wrote a review."""
        key = (clock.day_start, self._print[0] if self._print else sq.fingerprint(db)[0])
        if self._introduced is None or self._introduced[0] != key:
            self._introduced = (key, sq.introduced_today(db, clock))
        return len(self._introduced[1])

    def _note_own_review(self, newest_before: int | None, log_id: int, introduced: int | None) -> None:
        """This service logged review `log_id` (of a new card: `introduced`): keep today's set of
        introduced cards without a query, unless someone else logged a review since it was read."""
        if self._introduced is None:
            return
        (day_start, seen), cards = self._introduced
        if seen != newest_before:
            self._introduced = None
            return
        self._introduced = ((day_start, log_id), cards | {introduced} if introduced is not None else cards)

    def _new_left(self, db: sdb.Db, spec: QueueSpec, settings: StudySettings, clock: q.Clock) -> int:
        limit = settings.new_per_day if spec.new_limit is None else spec.new_limit
        if limit <= 0:
            return limit
        return limit - self._introduced_today(db, clock)

    def remaining(self, spec: QueueSpec = QueueSpec(), exclude: set[int] = frozenset()) -> int:
        """Cards left in this queue now (learning cards due today included)."""
        exclude = set(exclude) | set(self._pending) | self._set_aside
        with sdb.reading(self.store) as db:
            settings, config = self._context(db)
            clock = self._clock_for(config, self.now())
            queue = self._queue(db, spec, clock, config)
            if not spec.changes_schedule:
                return queue.drill_remaining({c for c, r in self._drilled.items() if r != 1} | exclude)
            new = queue.count_new(db, clock, exclude, self._new_left(db, spec, settings, clock))
            return queue.count_reviews(db, clock, exclude) + queue.count_learning(db, clock, exclude) + new

    def new_budget(self, spec: QueueSpec = QueueSpec()) -> NewBudget:
        with sdb.reading(self.store) as db:
            settings, config = self._context(db)
            clock = self._clock_for(config, self.now())
            limit = settings.new_per_day if spec.new_limit is None else spec.new_limit
            return NewBudget(limit=limit, introduced=len(sq.introduced_today(db, clock)),
                             waiting=sq.new_waiting(db, spec, clock))

    def next_due(self, spec: QueueSpec = QueueSpec()) -> datetime | None:
        """When the next card of this queue that has been studied falls due (after now), if any."""
        with sdb.reading(self.store) as db:
            return sq.next_due(db, spec, self.now())

    def today(self) -> Today:
        from flashtrain.services.stats import DayClock, reviews_per_day, streaks

        with self.store.sessions.begin() as s:
            db = sdb.db_of(s)
            settings, config = self._context(db)
            now = self.now()
            clock = self._clock_for(config, now)
            reviews, review_phase, recalled = sq.ratings_today(db, clock)
            day_clock = DayClock.make(now, settings.day_start_hour, self.tz)
            today = day_clock.day(now)
            days = reviews_per_day(s, day_clock, today - timedelta(days=400))
        return Today(int(reviews), int(review_phase), int(recalled), streaks(set(days), today)[0])

    def stabilities(self) -> list[float]:
        """The memory stability (days) of every studied, active card: what a workload estimate needs."""
        with sdb.reading(self.store) as db:
            return sq.active_stabilities(db)

    def _card_changed(self, db: sdb.Db, card_id: int, print_before: tuple, print_after: tuple | None = None) -> None:
        """Tell the cached queues about a change this service made (state or flags of one card)."""
        if not self._queues:
            return
        _, config = self._context(db)
        clock = self._clock_for(config, self.now())
        card = sq.card_for_rating(db, card_id)
        if card is None:
            return
        self._file_card(card, state_from_row(card["state"]), clock, print_before,
                        print_after or sq.fingerprint(db))

    def _file_card(self, card: dict, state: MemoryState, clock: q.Clock, print_before: tuple,
                   print_after: tuple) -> None:
        eligible = (card["retired_at"] is None and not card["suspended"]
                    and (card["buried_until"] is None or card["buried_until"] <= clock.now))
        facts = q.CardFacts(deck_id=card["deck_id"], tags=tuple(card["tags"]), deck_tags=tuple(card["deck_tags"]),
                            snippet_id=card["snippet_id"])
        for queue in self._queues.values():
            queue.card_changed(card["id"], state, eligible, clock, facts)
            if queue.fingerprint == print_before:
                queue.fingerprint = print_after

    def card(self, card_id: int) -> StudyCard:
        with sdb.reading(self.store) as db:
            return self._study_card(db, card_id)

    def _study_card(self, db: sdb.Db, card_id: int) -> StudyCard:
        row = sq.study_card_row(db, card_id)
        if row is None:
            raise KeyError(f"no card with id {card_id}")
        state = state_from_row(row["state"])
        if len(self._seen) > 256:
            self._seen.clear()
        self._seen[card_id] = state
        return study_card_from_row(row, state)

    def preview(self, card_id: int) -> dict[int, timedelta]:
        with sdb.reading(self.store) as db:
            _, config = self._context(db)
            return core.preview(state_from_row(sq.state_row(db, card_id)), self.now(), config)

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
        """One rating as one unit of work; None when replaying a rating the log already holds.

        Statements: the card with its state and the store's fingerprint (one query, under the
        write lock), the state upsert, the log insert, the siblings' lookup; more only for a
        leech or siblings to bury."""
        try:
            with sdb.writing(self.store) as db:
                return self._rate_in(db, None, card_id, rating, duration_ms, origin, reviewed_at, replaying)
        except _LateRating:  # rare: the log is replayed through the ORM (services/answer_queries.py)
            with self.store.write() as session:
                return self._rate_in(sdb.db_of(session), session, card_id, rating, duration_ms, origin,
                                     reviewed_at, replaying)

    def _rate_in(self, db: sdb.Db, session, card_id: int, rating: int, duration_ms: int | None, origin: str,
                 reviewed_at: datetime, replaying: bool) -> RateOutcome | None:
        """_store_rating's unit of work on `db`; `session` (the same transaction) only for a late rating."""
        settings, config = self._context(db)
        card = sq.card_for_rating(db, card_id, with_fingerprint=True)
        if card is None or (card["retired_at"] is not None and not replaying):
            raise KeyError(f"no studyable card with id {card_id}")
        if replaying and aq.review_logged(db, card_id, reviewed_at, rating):
            return None
        before = state_from_row(card["state"])
        print_before = card["fingerprint"]
        if origin == "study" and before.last_review is not None and reviewed_at < before.last_review \
                and aq.state_is_logged(db, card_id, before.last_review):
            # Pressed before a rating another machine (or the journal) stored first: the card's
            # state must be its log replayed in time order, not this rating applied on top.
            if session is None:
                raise _LateRating()
            log_id, before, after, record = aq.store_late_rating(session, card_id, rating, duration_ms,
                                                                 reviewed_at, config)
        else:
            after, record = core.review(before, rating, reviewed_at, config)
            if origin == "cram":  # logged, but the schedule stays as it was
                interval = max(before.due - record.reviewed_at, timedelta(0)) if before.due else timedelta(0)
                record = replace(record, state_after=before, interval=interval)
            else:
                aq.write_state(db, card_id, state_values(after))
            log_id = aq.add_review(db, card_id, record.reviewed_at, rating, record.elapsed_days, duration_ms,
                                   record.state_before.to_dict(), record.state_after.to_dict(), origin)
        leech = origin == "study" and is_leech_event(before, after, settings.leech_threshold)
        if leech:
            self._make_leech(db, card, log_id)
        clock = self._clock_for(config, self.now())
        buried = []
        if origin == "study" and settings.bury_siblings:
            buried = siblings.bury_siblings(db, card, clock.day_end, log_id)
        print_after = (log_id, print_before[1])
        self._note_own_review(print_before[0], log_id, card_id if origin == "study" and is_fresh(before) else None)
        if self._queues:
            self._file_card(card, after if origin != "cram" else before, clock, print_before, print_after)
            for sibling in buried:
                for queue in self._queues.values():
                    queue.card_held(sibling)
        return RateOutcome(record=record, log_id=log_id, origin=origin, leech=leech)

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
            with sdb.reading(self.store) as db:
                return state_from_row(sq.state_row(db, card_id))
        except Exception as error:  # the store cannot even be read: the state shown with the card
            if not is_database_error(error):
                raise
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
                    from flashtrain.services import kept_writes

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

    def _make_leech(self, db: sdb.Db, card: dict, log_id: int) -> None:
        tags = list(card["tags"] or [])
        memo = {"tag_added": LEECH_TAG not in tags, "was_suspended": bool(card["suspended"])}
        if memo["tag_added"]:
            tags.append(LEECH_TAG)
        aq.set_card_flags(db, card["id"], tags=tags, suspended=True)
        card["tags"], card["suspended"] = tags, True
        # One settings row per leech event, so undo can delete exactly what this rating added.
        aq.put_setting(db, f"{LEECH_UNDO_PREFIX}{log_id}", memo)

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
        with sdb.writing(self.store) as db:
            log = aq.review_for_undo(db, log_id)
            if log is None or log["origin"] == "imported":
                return None
            card_id, origin = log["card_id"], log["origin"]
            if aq.rated_since(db, card_id, log["id"], log["reviewed_at"]):  # stored or pressed later
                # Rated again since, in another session: restoring the state before this rating
                # would wipe out that later one.
                self._notices.append(f"card {card_id} was rated again in another session since; undo that one first")
                return None
            print_before = sq.fingerprint(db) if self._queues else None
            if origin == "study":
                before = MemoryState.from_dict(log["state_before"] or {})
                aq.write_state(db, card_id, state_values(before))
                memo = aq.take_setting(db, f"{LEECH_UNDO_PREFIX}{log['id']}")
                if memo is not None:
                    card = sq.card_for_rating(db, card_id)
                    tags = card["tags"]
                    if memo.get("tag_added"):
                        tags = [t for t in tags if t != LEECH_TAG]
                    aq.set_card_flags(db, card_id, tags=tags, suspended=bool(memo.get("was_suspended")))
            unburied = siblings.unbury_for_log(db, log["id"])
            aq.delete_review(db, log["id"])
            self._introduced = None  # counted again on the next pick
            if print_before is not None:
                for changed_id in (card_id, *unburied):
                    self._card_changed(db, changed_id, print_before)
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
            from flashtrain.services import kept_writes

            kept = kept_writes.keep(self.store, "card_flags", f"change to card {card_id}", trouble,
                                    **kept_writes.card_flags_entry(card_id, values))
            self._notices.append(kept.notice)
            if values.get("suspended") or values.get("buried_until"):
                self._set_aside.add(card_id)  # out of this session's queue, as if stored

    def _update_card_now(self, card_id: int, values: dict) -> None:
        with sdb.writing(self.store) as db:
            print_before = sq.fingerprint(db) if self._queues else None
            if not aq.set_card_flags(db, card_id, **values):
                raise KeyError(f"no card with id {card_id}")
            if print_before is not None:
                self._card_changed(db, card_id, print_before)

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
        with sdb.writing(self.store) as db:
            if replaying and aq.attempt_logged(db, snippet_id, created_at):
                return
            aq.add_attempt(db, card_id=card_id, snippet_id=snippet_id, created_at=created_at, status=status,
                           passed=int(result.get("passed", 0) or 0), total=int(result.get("total", 0) or 0),
                           duration_ms=int(result.get("duration_ms", 0) or 0), code=code, result=result)


def study_card_from_row(row: dict, state: MemoryState) -> StudyCard:
    """The StudyCard of a row from study_queries.study_card_row."""
    front, back = card_sides(row["kind"], row["question"], row["answer"], row["cloze_index"])
    return StudyCard(card_id=row["id"], deck_id=row["deck_id"], deck_name=row["deck_name"], kind=row["kind"],
                     cloze_index=row["cloze_index"], question=row["question"], answer=row["answer"],
                     front=front, back=back, tags=tuple(row["tags"]), hints=tuple(row["hints"]),
                     snippet_id=row["snippet_id"], state=state, flagged=row["flagged"],
                     source_path=row["source_path"], source_line=row["source_line"], suspended=row["suspended"],
                     source_format=row["source_format"])
