"""Every query of the study queue, written once, behind intention-named functions.

Each function takes a `Db` (services/study_db.py): plain sqlite3 where the store is SQLite, SQLAlchemy's
text() on PostgreSQL. The answer path's writes are in services/answer_queries.py.

Arguments named `spec` are study.queue.QueueSpec (deck_ids, tag, mode) and `clock` study.queue.Clock
(its `params()`): duck-typed here, as this layer sits below study/.
"""

from __future__ import annotations

from datetime import datetime

from flashtrain.services.study_db import Db, aware_time, json_value, scalar, sql_time
from flashtrain.store.dialect import day_number_sql, json_elements_sql, json_field_sql, stored_time

REVIEW, LEARNING_PHASES = "review", ("learning", "relearning")
ELIGIBLE = "(c.retired_at IS NULL AND c.suspended = FALSE AND (c.buried_until IS NULL OR c.buried_until <= :now))"
HELD = "(c.retired_at IS NOT NULL OR c.suspended = TRUE OR c.buried_until IS NOT NULL)"  # ix_cards_held's WHERE
STATE_COLUMNS = ("phase", "stability", "difficulty", "due", "last_review", "reps", "lapses", "step", "last_rating")
CARD_COLUMNS = ("id", "deck_id", "key", "kind", "cloze_index", "question", "answer", "tags", "hints", "snippet_id",
                "flagged", "source_line", "suspended", "retired_at", "buried_until")


# -- which cards a queue covers ---------------------------------------------------------------------------

def card_filter(spec, params: dict, dialect: str, eligibility: bool = True) -> str:
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


def covers_every_card(spec) -> bool:
    """The default queue: no deck, tag or mode filter (its reviews are ranked from the index alone)."""
    return spec.deck_ids is None and not spec.tag and spec.mode != "code"


def exclude_clause(exclude, params: dict, column: str = "c.id") -> str:
    if not exclude:
        return ""
    params["exclude"] = sorted(int(i) for i in exclude)
    return f" AND {column} NOT IN :exclude"


def recall_sql(dialect: str) -> str:
    """Predicted recall now of `cs`, R = (1 + F t / S) ** -decay, t in whole study days (0 for a
    card never reviewed). Needs :F, :decay, :now and :shift. The one definition of the queue's order."""
    days = f"({day_number_sql(dialect, ':now', ':shift')} - {day_number_sql(dialect, 'cs.last_review', ':shift')})"
    elapsed = f"(CASE WHEN {days} > 0 THEN {days} ELSE 0 END)"
    stability = "(CASE WHEN cs.stability = 0 THEN 1.0 ELSE cs.stability END)"
    return (f"(CASE WHEN cs.last_review IS NULL OR cs.stability IS NULL THEN 0.0"
            f" ELSE power(1.0 + :F * {elapsed} / {stability}, -:decay) END)")


# -- building a queue -------------------------------------------------------------------------------------

def fingerprint(db: Db) -> tuple:
    """Changes when reviews or cards are added by anyone (both are primary-key lookups)."""
    return tuple(db.rows("SELECT (SELECT MAX(id) FROM review_log), (SELECT MAX(id) FROM cards)")[0])


def ranked_reviews(db: Db, spec, clock, weights: tuple[float, ...], decay_factor: float, limit: int) -> list[int]:
    """The first `limit` review cards due this study day, lowest predicted recall first (then due
    time, then id). The default queue reads the covering index ix_card_states_queue alone: flags
    and retirement are checked when a card is picked, not for every due card."""
    params = clock.params() | {"F": decay_factor, "decay": weights[20], "limit": int(limit)}
    if covers_every_card(spec):
        source, where = "card_states cs", "TRUE"
    else:
        source = "card_states cs JOIN cards c ON c.id = cs.card_id"
        where = card_filter(spec, params, db.dialect, eligibility=False)
    return [r[0] for r in db.rows(
        f"SELECT cs.card_id FROM {source} WHERE cs.phase = 'review' AND cs.due < :day_end AND {where}"
        f" ORDER BY {recall_sql(db.dialect)}, cs.due, cs.card_id LIMIT :limit", params)]


def new_cards(db: Db, spec, clock, limit: int) -> list[tuple[int, bool]]:
    """(id, may be shown now) of the spec's first `limit` new cards (no state row), in import order.
    Suspended and buried cards are listed too, as they may come back before the day ends; the
    partial index ix_cards_active keeps the scan narrow."""
    params = clock.params() | {"limit": int(limit)}
    where = card_filter(spec, params, db.dialect, eligibility=False)
    if db.dialect == "sqlite":  # the planner probes card_states' primary key per card
        never_rated = "c.id NOT IN (SELECT card_id FROM card_states)"
    else:  # an anti-join: NOT IN would hash every state row first
        never_rated = "NOT EXISTS (SELECT 1 FROM card_states cs WHERE cs.card_id = c.id)"
    return [(r[0], bool(r[1])) for r in db.rows(
        f"SELECT c.id, {ELIGIBLE} FROM cards c WHERE {where} AND {never_rated} ORDER BY c.id LIMIT :limit", params)]


def drill_cards(db: Db, spec, clock, weights: tuple[float, ...], decay_factor: float) -> list[int]:
    """Every studyable card of a drill (cram, lapsed), weakest first (new cards count as R = 0)."""
    params = clock.params() | {"F": decay_factor, "decay": weights[20]}
    where = card_filter(spec, params, db.dialect)
    if spec.mode == "lapsed":
        where += " AND (cs.last_rating = 1 OR cs.lapses > 0)"
    return [r[0] for r in db.rows(
        "SELECT c.id FROM cards c LEFT JOIN card_states cs ON cs.card_id = c.id"
        f" WHERE {where} ORDER BY {recall_sql(db.dialect)}, c.id", params)]


# -- picking: the store confirms candidates -------------------------------------------------------------

def confirm_reviews(db: Db, ids: list[int], clock) -> dict[int, bool]:
    """Of `ids`, the cards still in review and due this study day -> whether they may be shown now.
    (The test sits in the SELECT, not the WHERE, so that planners look the ids up by key rather than
    scan the day's due cards.)"""
    return {r[0]: bool(r[1]) for r in db.rows(
        f"SELECT cs.card_id, CASE WHEN cs.phase = 'review' AND cs.due < :day_end THEN {ELIGIBLE} END"
        " FROM card_states cs JOIN cards c ON c.id = cs.card_id WHERE cs.card_id IN :ids",
        clock.params() | {"ids": ids}) if r[1] is not None}


def confirm_new(db: Db, ids: list[int], clock) -> dict[int, bool]:
    """Of `ids`, the cards still new -> whether they may be shown now."""
    return {r[0]: bool(r[1]) for r in db.rows(
        f"SELECT c.id, {ELIGIBLE} FROM cards c WHERE c.id IN :ids"
        " AND NOT EXISTS (SELECT 1 FROM card_states cs WHERE cs.card_id = c.id)", clock.params() | {"ids": ids})}


def confirm_drill(db: Db, ids: list[int], clock, lapsed: bool) -> dict[int, bool]:
    """Of `ids`, the cards still in the drill -> whether they may be shown now."""
    sql = (f"SELECT c.id, {ELIGIBLE} FROM cards c LEFT JOIN card_states cs ON cs.card_id = c.id"
           " WHERE c.id IN :ids")
    if lapsed:
        sql += " AND (cs.last_rating = 1 OR cs.lapses > 0)"
    return {r[0]: bool(r[1]) for r in db.rows(sql, clock.params() | {"ids": ids})}


def first_learning(db: Db, spec, clock, exclude, ahead: bool) -> int | None:
    """The spec's learning/relearning card due soonest, if due now (or, `ahead`, before the
    learn-ahead limit) and showable. Each phase is walked in due order on ix_card_states_queue,
    stopping at the first card that qualifies: no list of learning cards is needed."""
    params = clock.params() | {"until": clock.params()["ahead" if ahead else "now"]}
    where = card_filter(spec, params, db.dialect) + exclude_clause(exclude, params, "cs.card_id")
    one_phase = ("SELECT * FROM (SELECT cs.card_id, cs.due FROM card_states cs JOIN cards c ON c.id = cs.card_id"
                 f" WHERE cs.phase = '{{phase}}' AND cs.due <= :until AND {where} ORDER BY cs.due, cs.card_id LIMIT 1)"
                 " {alias}")
    rows = db.rows(f"{one_phase.format(phase='learning', alias='l')} UNION ALL"
                   f" {one_phase.format(phase='relearning', alias='r')}", params)
    return min(rows, key=lambda r: (stored_time(r[1]), r[0]))[0] if rows else None


def count_learning(db: Db, spec, clock, exclude) -> int:
    """The spec's showable learning/relearning cards due before the learn-ahead limit."""
    params = clock.params()
    return scalar(db, "SELECT COUNT(*) FROM card_states cs JOIN cards c ON c.id = cs.card_id"
                      " WHERE cs.phase IN ('learning', 'relearning') AND cs.due <= :ahead"
                      f" AND {card_filter(spec, params, db.dialect)}" + exclude_clause(exclude, params, "cs.card_id"),
                  params)


def count_due_reviews(db: Db, spec, clock, exclude) -> int:
    """Review cards of the spec due this study day that may be shown now. For the default queue:
    the due cards counted from the covering index, less the few held back (suspended, buried,
    retired: the partial index ix_cards_held)."""
    params = clock.params()
    due = "cs.phase = 'review' AND cs.due < :day_end" + exclude_clause(exclude, params, "cs.card_id")
    if not covers_every_card(spec):
        return scalar(db, "SELECT COUNT(*) FROM card_states cs JOIN cards c ON c.id = cs.card_id"
                          f" WHERE {due} AND {card_filter(spec, params, db.dialect)}", params)
    return scalar(db, f"SELECT (SELECT COUNT(*) FROM card_states cs WHERE {due})"
                      " - (SELECT COUNT(*) FROM cards c CROSS JOIN card_states cs"  # CROSS: SQLite starts from c
                      f" WHERE cs.card_id = c.id AND {HELD} AND {due} AND NOT {ELIGIBLE})", params)


def introduced_today(db: Db, clock) -> set[int]:
    """New cards first rated (in normal study) since the start of this study day, all decks: the
    daily new-card limit counts these."""
    phase = json_field_sql(db.dialect, "state_before", "phase")
    # no DISTINCT: SQLite would then walk the (card, time) index over the whole log instead of the
    # time index over today's rows
    return {r[0] for r in db.rows("SELECT card_id FROM review_log WHERE reviewed_at >= :day_start"
                                  f" AND origin = 'study' AND {phase} = 'new'", clock.params())}


def new_waiting(db: Db, spec, clock) -> int:
    """Every studyable new card of the spec (the daily limit aside)."""
    params = clock.params()
    return scalar(db, f"SELECT COUNT(*) FROM cards c WHERE {card_filter(spec, params, db.dialect)}"
                      " AND NOT EXISTS (SELECT 1 FROM card_states cs WHERE cs.card_id = c.id)", params)


# -- reading cards -----------------------------------------------------------------------------------------

def study_card_row(db: Db, card_id: int) -> dict | None:
    """One card as the study screen shows it: the card, its deck's name, its source and its state."""
    rows = db.rows(
        f"SELECT {', '.join('c.' + name for name in CARD_COLUMNS)}, d.name, sf.path, sf.format,"
        f" {', '.join('cs.' + name for name in STATE_COLUMNS)}, cs.card_id"
        " FROM cards c JOIN decks d ON d.id = c.deck_id LEFT JOIN source_files sf ON sf.id = c.source_id"
        " LEFT JOIN card_states cs ON cs.card_id = c.id WHERE c.id = :id", {"id": card_id})
    if not rows:
        return None
    return _card_dict(rows[0], extra=("deck_name", "source_path", "source_format"))


def card_for_rating(db: Db, card_id: int, with_fingerprint: bool = False) -> dict | None:
    """A card, its deck's tags and its state, in one query under the write lock (PostgreSQL: the
    card's row is locked; SQLite's BEGIN IMMEDIATE already holds the store). `with_fingerprint`
    adds the store's `fingerprint` as it is before this unit of work writes."""
    if db.dialect == "postgresql":
        # Lock first, read after: a row joined in the locking statement would come from the snapshot
        # taken before waiting for the lock (READ COMMITTED re-reads only the locked row itself), so a
        # rating stored meanwhile by another machine would be overwritten.
        db.rows("SELECT id FROM cards WHERE id = :id FOR UPDATE", {"id": card_id})
    newest = ", (SELECT MAX(id) FROM review_log), (SELECT MAX(id) FROM cards)" if with_fingerprint else ""
    rows = db.rows(
        f"SELECT {', '.join('c.' + name for name in CARD_COLUMNS)}, d.tags,"
        f" {', '.join('cs.' + name for name in STATE_COLUMNS)}, cs.card_id{newest}"
        " FROM cards c JOIN decks d ON d.id = c.deck_id LEFT JOIN card_states cs ON cs.card_id = c.id"
        " WHERE c.id = :id", {"id": card_id})
    if not rows:
        return None
    row = rows[0]
    if with_fingerprint:
        card = _card_dict(row[:-2], extra=("deck_tags",))
        card["fingerprint"] = tuple(row[-2:])
        return card
    return _card_dict(row, extra=("deck_tags",))


def _card_dict(row: tuple, extra: tuple[str, ...]) -> dict:
    n = len(CARD_COLUMNS) + len(extra)
    card = dict(zip(CARD_COLUMNS + extra, row[:n]))
    for name in ("tags", "hints", "deck_tags"):
        if name in card:
            card[name] = json_value(card[name]) or []
    for name in ("retired_at", "buried_until"):
        card[name] = aware_time(card[name])
    card["flagged"], card["suspended"] = bool(card["flagged"]), bool(card["suspended"])
    state = dict(zip(STATE_COLUMNS, row[n:n + len(STATE_COLUMNS)]))
    if row[-1] is None:
        card["state"] = None  # new: no state row
    else:
        state["due"], state["last_review"] = aware_time(state["due"]), aware_time(state["last_review"])
        card["state"] = state
    return card


def state_row(db: Db, card_id: int) -> dict | None:
    rows = db.rows(f"SELECT {', '.join(STATE_COLUMNS)} FROM card_states WHERE card_id = :id", {"id": card_id})
    if not rows:
        return None
    state = dict(zip(STATE_COLUMNS, rows[0]))
    state["due"], state["last_review"] = aware_time(state["due"]), aware_time(state["last_review"])
    return state


# -- overview ---------------------------------------------------------------------------------------------

def _count(condition: str) -> str:
    """Rows meeting `condition` (PostgreSQL cannot SUM a boolean as SQLite does)."""
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def deck_counts(db: Db, clock, decay_factor: float, decay: float) -> list[tuple]:
    """Per deck: (deck id, due reviews, learning due, new, active cards, summed recall, reviewed cards,
    deck name), in one grouped query (R = (1 + F t/S)^-decay, t in study days)."""
    params = clock.params() | {"F": decay_factor, "decay": decay}
    eligible = "c.suspended = FALSE AND (c.buried_until IS NULL OR c.buried_until <= :now)"
    days = (f"{day_number_sql(db.dialect, ':now', ':shift')}"
            f" - {day_number_sql(db.dialect, 'cs.last_review', ':shift')}")
    elapsed = f"(CASE WHEN {days} > 0 THEN {days} ELSE 0 END)"
    rows = db.rows(
        "SELECT c.deck_id,"
        f" {_count(f'cs.phase = {REVIEW!r} AND cs.due < :day_end AND {eligible}')},"
        f" {_count(f'cs.phase IN {LEARNING_PHASES!r} AND cs.due <= :ahead AND {eligible}')},"
        f" {_count(f'cs.card_id IS NULL AND {eligible}')},"
        " COUNT(*),"
        f" SUM(CASE WHEN cs.stability > 0 AND cs.last_review IS NOT NULL"
        f"     THEN pow(1.0 + :F * {elapsed} / cs.stability, -:decay) END),"
        f" {_count('cs.stability > 0 AND cs.last_review IS NOT NULL')}"
        " FROM cards c LEFT JOIN card_states cs ON cs.card_id = c.id"
        " WHERE c.retired_at IS NULL GROUP BY c.deck_id", params)
    names = dict(db.rows("SELECT id, name FROM decks"))
    return [(*row, names[row[0]]) for row in rows]


def next_due(db: Db, spec, now: datetime) -> datetime | None:
    """When the next studied card of the spec falls due after `now`, if any."""
    params = {"now": sql_time(now)}
    where = card_filter(spec, params, db.dialect)
    return aware_time(scalar(db, "SELECT MIN(cs.due) FROM card_states cs JOIN cards c ON c.id = cs.card_id"
                                 f" WHERE {where} AND cs.phase != 'new' AND cs.due > :now", params))


def ratings_today(db: Db, clock) -> tuple[int, int, int]:
    """Ratings in normal study this study day: all, of cards in review, of those recalled (2 or more)."""
    phase = json_field_sql(db.dialect, "state_before", "phase")
    row = db.rows("SELECT COUNT(*),"
                  f" COALESCE(SUM(CASE WHEN {phase} = 'review' THEN 1 ELSE 0 END), 0),"
                  f" COALESCE(SUM(CASE WHEN {phase} = 'review' AND rating >= 2 THEN 1 ELSE 0 END), 0)"
                  " FROM review_log WHERE reviewed_at >= :day_start AND origin = 'study'", clock.params())[0]
    return int(row[0]), int(row[1]), int(row[2])


def active_stabilities(db: Db) -> list[float]:
    """The memory stability (days) of every studied, active card."""
    return [float(r[0]) for r in db.rows(
        "SELECT cs.stability FROM card_states cs JOIN cards c ON c.id = cs.card_id"
        " WHERE c.retired_at IS NULL AND c.suspended = FALSE AND cs.phase != 'new' AND cs.stability IS NOT NULL")]

