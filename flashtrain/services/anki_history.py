"""An Anki package's review history into the store: new review rows, replayed states, carried schedules.

A review matches a stored one of the same card at the same millisecond, or with the same Anki ease
within a second (our export moves a review by a few ms when two would share Anki's revlog id), so a
review that exists on both sides counts once. Every touched card's history - stored and new reviews,
oldest first - is replayed in one vectorised pass (`scheduler.replay`, the same states as
`core.review` one by one); cram rows never move a schedule, so they take the state of the moment.
Rows are written as plain executemany with their JSON already serialised: one `json.dumps` and
one SQLAlchemy bind per value was most of an import's time.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from itertools import repeat
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import insert, select

from flashtrain.deck.anki.convert import ReviewColumns, Reviews
from flashtrain.deck.anki.export import RATING_TO_EASE
from flashtrain.scheduler.core import PHASES, SchedulerConfig
from flashtrain.scheduler.replay import ReplayedStates, replay, to_us
from flashtrain.store.models import CardState, ReviewLog

SAME_REVIEW_MS = 1000
BATCH = 500


def _near(known: list[tuple[int, int | None]], stamp: int, ease: int | None) -> bool:
    """Is a stored review of this card this review? (see the module doc)"""
    index = bisect.bisect_left(known, (stamp - SAME_REVIEW_MS,))
    while index < len(known) and known[index][0] <= stamp + SAME_REVIEW_MS:
        if known[index][0] == stamp or known[index][1] == ease:
            return True
        index += 1
    return False


def apply_reviews(session, touched, reports, plan, config: SchedulerConfig, added: frozenset[int] = frozenset()) -> None:
    """Store the new reviews of the touched (store id, ImportedCard) pairs and their cards' states.
    `added`: ids of cards this import inserted (nothing of theirs is stored yet, so nothing is looked up)."""
    deck_of_card = {id(card): name for name, deck in plan.decks.items() for card in deck.cards}
    with_reviews = [(card_id, card) for card_id, card in touched if card.reviews]
    stored = _stored_reviews(session, [card_id for card_id, _ in with_reviews if card_id not in added])
    events = _Events()
    for card_id, card in with_reviews:
        report = reports[deck_of_card[id(card)]]
        rows = stored.get(card_id, ())
        fresh = card.reviews.indices()  # every review is new, unless:
        if rows or card.reviews.repeats_a_time:
            fresh = _fresh_reviews(card.reviews, rows)
            report.reviews_duplicate += len(card.reviews) - len(fresh)
        if fresh:
            report.reviews_added += len(fresh)
            events.add_card(card_id, rows, fresh, plan.reviews)
    if events.card:
        replayed = replay(*events.columns(plan.reviews), config)
        _write_reviews(session, events, replayed, plan.reviews)
        _write_states(session, replayed, added)
    _schedules_without_history(session, touched, plan, config)


def _fresh_reviews(reviews: Reviews, rows) -> list[int]:
    """The reviews of a card (their indices in the review columns) that are neither stored (`rows`)
    nor earlier in the package at the same ms."""
    known = sorted((to_us(row.reviewed_at) // 1000, RATING_TO_EASE.get(row.rating)) for row in rows)
    in_package: set[int] = set()
    fresh = []
    for index, review in zip(reviews.indices(), reviews):
        stamp = review.stamp_ms
        if stamp in in_package or (known and _near(known, stamp, RATING_TO_EASE.get(review.rating))):
            continue
        in_package.add(stamp)
        fresh.append(index)
    return fresh


def _stored_reviews(session, card_ids: list[int]) -> dict[int, list]:
    stored: dict[int, list] = defaultdict(list)
    for start in range(0, len(card_ids), BATCH):
        for row in session.execute(select(ReviewLog.card_id, ReviewLog.id, ReviewLog.reviewed_at, ReviewLog.rating,
                                          ReviewLog.origin).where(ReviewLog.card_id.in_(card_ids[start:start + BATCH]))):
            stored[row.card_id].append(row)
    return stored


class _Events:
    """The reviews to replay, card by card in time order (a stored review before a new one at the
    same moment), and what each becomes: a new row, or a stored row whose states are rewritten.
    A new review is its index in the package's review columns, so a card whose reviews are all new
    adds them without a Python step per review."""

    def __init__(self) -> None:
        self.card: list[int] = []  # the store's card id of each event
        self.source: list[int] = []  # per event: its index in the review columns, or -1 for a stored review
        self.stored: list[tuple[int, int, int]] = []  # stored events in order: (time µs, rating, review_log id)
        self.cram: list[tuple[int, int, int]] = []  # (review_log id, its time µs, index of the state then or -1)

    def add_card(self, card_id: int, rows, fresh, columns: ReviewColumns) -> None:
        if not rows:  # the replay puts them in time order (ties as the package lists them)
            self.card += [card_id] * len(fresh)
            self.source += fresh
            return
        stamps = columns.stamp_ms  # (a rare path: a card with stored history)
        items = [(to_us(row.reviewed_at), 0, row) for row in rows] + [(int(stamps[i]) * 1000, 1, i) for i in fresh]
        items.sort(key=lambda item: (item[0], item[1]))
        last = -1
        for stamp, is_new, item in items:
            if not is_new and item.origin == "cram":  # drills never moved the schedule
                self.cram.append((item.id, stamp, last))
                continue
            last = len(self.card)
            self.card.append(card_id)
            if is_new:
                self.source.append(item)
            else:
                self.source.append(-1)
                self.stored.append((stamp, item.rating, item.id))

    def columns(self, columns: ReviewColumns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(card, time µs, rating) of every event, for the replay."""
        source = np.array(self.source, dtype=np.int64)
        new = source >= 0
        stamp_us = np.empty(source.size, dtype=np.int64)
        rating = np.empty(source.size, dtype=np.int64)
        stamp_us[new] = columns.stamp_ms[source[new]] * 1000
        rating[new] = columns.rating[source[new]]
        if self.stored:
            stored = np.array(self.stored, dtype=np.int64).reshape(-1, 3)
            stamp_us[~new], rating[~new] = stored[:, 0], stored[:, 1]
        return np.array(self.card, dtype=np.int64), stamp_us, rating


# MemoryState().to_dict() as json.dumps writes it: the state before a card's first review
_NEW_STATE_JSON = '{"phase": "new", "stability": null, "difficulty": null, "due": null, "last_review": null, ' \
                  '"reps": 0, "lapses": 0, "step": 0, "last_rating": null}'
_STATE_JSON = ('{"phase": "%s", "stability": %r, "difficulty": %r, "due": "%s+00:00", "last_review": "%s+00:00", '
               '"reps": %d, "lapses": %d, "step": %d, "last_rating": %d}')


def _utc_texts(us: np.ndarray) -> list[str]:
    """ISO texts of UTC times in µs, always with microseconds: 2025-01-01T09:00:00.000000."""
    return np.datetime_as_string(us.astype("datetime64[us]"), unit="us").tolist()


def _isoformat(texts: list[str]) -> list[str]:
    """datetime.isoformat() leaves out zero microseconds (MemoryState.to_dict writes that form)."""
    return [t[:-7] if t.endswith(".000000") else t for t in texts]


def _due_texts(due_us: np.ndarray) -> list[str]:
    """_isoformat texts of due times: formatted once per distinct time (due days repeat a lot)."""
    distinct, where = np.unique(due_us, return_inverse=True)
    texts = _isoformat(_utc_texts(distinct))
    return [texts[i] for i in where.tolist()]


def _write_reviews(session, events: _Events, replayed: ReplayedStates, columns: ReviewColumns) -> None:
    """Insert the new review rows and rewrite the states of the stored ones."""
    reviewed = _utc_texts(replayed.reviewed_us)
    after = [_STATE_JSON % row for row in zip(
        [PHASES[p] for p in replayed.phase.tolist()], replayed.stability.tolist(), replayed.difficulty.tolist(),
        _due_texts(replayed.due_us), _isoformat(reviewed), replayed.reps.tolist(),
        replayed.lapses.tolist(), replayed.step.tolist(), replayed.rating.tolist())]
    before = [_NEW_STATE_JSON if p < 0 else after[p] for p in replayed.previous.tolist()]
    elapsed = [None if e != e else e for e in replayed.elapsed_days.tolist()]  # nan: a card's first review
    when = _stored_times(session, reviewed)
    source = np.array(events.source, dtype=np.int64)
    new = np.flatnonzero(source >= 0)
    values = (events.card, when, elapsed, before, after)
    if new.size < source.size:  # some events are stored reviews: the new rows take the others' values
        values = tuple([column[i] for i in new.tolist()] for column in values)
    card, when_new, elapsed_new, before_new, after_new = values
    durations = [d or None for d in columns.duration_ms[source[new]].tolist()]
    new_rows = list(zip(card, when_new, replayed.rating[new].tolist(), elapsed_new, durations, before_new, after_new,
                        repeat("imported")))
    _executemany(session, "INSERT INTO review_log (card_id, reviewed_at, rating, elapsed_days, duration_ms, "
                          "state_before, state_after, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", new_rows)
    updates = [(elapsed[i], before[i], after[i], row_id)
               for i, (_, _, row_id) in zip(np.flatnonzero(source < 0).tolist(), events.stored)]
    for row_id, stamp, at in events.cram:
        state = _NEW_STATE_JSON if at < 0 else after[at]
        days = None if at < 0 else (stamp - int(replayed.reviewed_us[at])) / 1_000_000 / 86400.0
        updates.append((days, state, state, row_id))
    _executemany(session, "UPDATE review_log SET elapsed_days = ?, state_before = ?, state_after = ? WHERE id = ?",
                 updates)


def _stored_times(session, texts: list[str]) -> list:
    """UTC times as the store's datetime column holds them: SQLite keeps text (the format SQLAlchemy
    writes), PostgreSQL a timestamp without time zone."""
    if session.get_bind().dialect.name == "sqlite":
        return [t.replace("T", " ") for t in texts]
    return [datetime.fromisoformat(t) for t in texts]


def _executemany(session, sql: str, rows: list[tuple]) -> None:
    """One executemany straight to the driver (values already as the columns store them)."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    connection.exec_driver_sql(sql, rows)


def _write_states(session, replayed: ReplayedStates, added: frozenset[int]) -> None:
    """Each replayed card's state after its latest review replaces its stored state."""
    is_last = np.ones(len(replayed), dtype=bool)
    is_last[replayed.previous[replayed.previous >= 0]] = False
    last = np.flatnonzero(is_last)
    ids = replayed.card[last].tolist()
    stored = [card_id for card_id in ids if card_id not in added]
    for start in range(0, len(stored), BATCH):
        session.execute(CardState.__table__.delete().where(CardState.card_id.in_(stored[start:start + BATCH])))
    due = _stored_times(session, _utc_texts(replayed.due_us[last]))
    reviewed = _stored_times(session, _utc_texts(replayed.reviewed_us[last]))
    rows = list(zip(ids, [PHASES[p] for p in replayed.phase[last].tolist()],
                    replayed.stability[last].tolist(), replayed.difficulty[last].tolist(), due, reviewed,
                    replayed.reps[last].tolist(), replayed.lapses[last].tolist(), replayed.step[last].tolist(),
                    replayed.rating[last].tolist()))
    _executemany(session, "INSERT INTO card_states (card_id, phase, stability, difficulty, due, last_review, reps, "
                          "lapses, step, last_rating) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _schedules_without_history(session, touched, plan, config: SchedulerConfig) -> None:
    """A review card whose history Anki no longer has (revlog cleared, or imported into Anki with
    scheduling) keeps its due date and interval instead of becoming new."""
    from flashtrain.services.carried_schedules import state_from_schedule

    candidates = {card_id: card for card_id, card in touched
                  if not card.reviews and card.anki_state[0] in (2, 3) and card.anki_state[2] > 0}
    if not candidates:
        return
    ids = list(candidates)
    have_state: set[int] = set()
    for start in range(0, len(ids), BATCH):
        have_state.update(session.scalars(select(CardState.card_id).where(
            CardState.card_id.in_(ids[start:start + BATCH]))))
    rows = []
    for card_id, card in candidates.items():
        if card_id in have_state:
            continue
        _type, due_day, interval, lapses = card.anki_state
        due = (datetime.fromtimestamp(plan.created, timezone.utc) + timedelta(days=due_day)).date().isoformat()
        state = state_from_schedule(due, interval, (card.factor or 2500) / 1000.0, config)
        if state is not None:
            state["lapses"] = lapses
            rows.append(dict(card_id=card_id, **state))
    if rows:
        session.connection().execute(insert(CardState.__table__), rows)


__all__ = ["apply_reviews", "SAME_REVIEW_MS"]
