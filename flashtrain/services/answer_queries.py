"""The answer path's writes and undo's reads, written once (see services/study_db.py for the `Db`):
a state upsert, a log row, leech and sibling memos, card flags, attempts."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from flashtrain.services.study_db import Db, aware_time, db_of, json_text, json_value, sql_time, time_or_none
from flashtrain.services.study_queries import STATE_COLUMNS


def settings_rows(db: Db, keys: Iterable[str]) -> list[tuple[str, Any]]:
    """(key, value) of the named settings that are stored."""
    return [(key, json_value(value)) for key, value in db.rows(
        "SELECT key, value FROM settings WHERE key IN (SELECT value FROM json_each(:keys)) ORDER BY key"
        if db.dialect == "sqlite" else
        "SELECT key, value FROM settings WHERE key = ANY(:keys) ORDER BY key",
        {"keys": json_text(list(keys)) if db.dialect == "sqlite" else list(keys)})]


def write_state(db: Db, card_id: int, state: dict | None) -> None:
    """Make the card's state row hold `state` (None: no row, i.e. new), in one statement: an upsert,
    so a row another process created meanwhile is updated, not duplicated."""
    if state is None:
        db.rows("DELETE FROM card_states WHERE card_id = :id", {"id": card_id})
        return
    values = {name: state[name] for name in STATE_COLUMNS}
    values["due"], values["last_review"] = time_or_none(values["due"]), time_or_none(values["last_review"])
    columns = ", ".join(STATE_COLUMNS)
    db.rows(f"INSERT INTO card_states (card_id, {columns}) VALUES (:card_id, {', '.join(':' + n for n in STATE_COLUMNS)})"
            f" ON CONFLICT (card_id) DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in STATE_COLUMNS)}",
            values | {"card_id": card_id})


def add_review(db: Db, card_id: int, reviewed_at: datetime, rating: int, elapsed_days: float | None,
               duration_ms: int | None, state_before: dict, state_after: dict, origin: str) -> int:
    """Appends one rating to the review log; returns its id."""
    return db.insert(
        "INSERT INTO review_log (card_id, reviewed_at, rating, elapsed_days, duration_ms, state_before, state_after,"
        " origin) VALUES (:card_id, :reviewed_at, :rating, :elapsed_days, :duration_ms, :state_before, :state_after,"
        " :origin)",
        {"card_id": card_id, "reviewed_at": sql_time(reviewed_at), "rating": int(rating),
         "elapsed_days": elapsed_days, "duration_ms": duration_ms, "state_before": json_text(state_before),
         "state_after": json_text(state_after), "origin": origin})


def review_logged(db: Db, card_id: int, reviewed_at: datetime, rating: int) -> bool:
    """Whether the log already holds this rating (a journal entry replayed twice)."""
    return bool(db.rows("SELECT 1 FROM review_log WHERE card_id = :card_id AND reviewed_at = :at AND rating = :rating",
                        {"card_id": card_id, "at": sql_time(reviewed_at), "rating": int(rating)}))


def put_setting(db: Db, key: str, value: Any) -> None:
    """Adds one settings row (a memo keyed by a log id: leech, buried siblings)."""
    db.rows("INSERT INTO settings (key, value, updated_at) VALUES (:key, :value, :at)",
            {"key": key, "value": json_text(value), "at": sql_time(datetime.now(timezone.utc))})


def note_cards(db: Db, deck_id: int, card_id: int, base: str,
               own_key: str | None = None) -> list[tuple[int, str, datetime | None]]:
    """(id, key, buried_until) of the deck's other active cards whose key is `base` or starts with
    `base#`: the candidates for a note's siblings (uq_cards_deck_id_key serves the range).
    `own_key`, the studied card's key, narrows the search where the note's keys are known."""
    params = {"deck": deck_id, "id": card_id, "base": base}
    if db.dialect == "sqlite":  # binary collation: '#' < '$' is the byte order
        params |= {"low": base + "#", "high": base + "$"}
        match = "(c.key = :base OR (c.key >= :low AND c.key < :high))"
    elif own_key in (base, base + "#r"):
        # A basic note's cards are `base` and its reversed twin `base#r` (deck.model.Card.key): two
        # exact lookups in the unique index. PostgreSQL cannot serve `LIKE 'base#%'` from that index
        # under a non-C collation and scanned the deck's keys instead (~15 ms at 100k cards).
        params["reversed"] = base + "#r"
        match = "c.key IN (:base, :reversed)"
    else:  # the gaps of a cloze note, `base#c1` …
        params["pattern"] = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "#%"
        match = "(c.key = :base OR c.key LIKE :pattern ESCAPE '\\')"
    return [(r[0], r[1], aware_time(r[2])) for r in db.rows(
        "SELECT c.id, c.key, c.buried_until FROM cards c WHERE c.deck_id = :deck AND c.id != :id"
        f" AND c.retired_at IS NULL AND {match}", params)]


def bury_cards(db: Db, ids: list[int], until: datetime) -> None:
    db.rows("UPDATE cards SET buried_until = :until WHERE id IN :ids", {"until": sql_time(until), "ids": ids})


def write_state_in_session(session, card_id: int, state: dict | None) -> None:
    """`write_state` inside a SQLAlchemy session that may hold the row as an ORM object (history import)."""
    from flashtrain.store.models import CardState

    loaded = session.identity_map.get(session.identity_key(CardState, card_id))
    if loaded is not None:
        session.expunge(loaded)  # the statement bypasses the ORM: a later get() must read the row anew
    write_state(db_of(session), card_id, state)


def set_card_flags(db: Db, card_id: int, **values) -> bool:
    """Sets some of suspended, buried_until, flagged, tags on one card; False if there is no such card."""
    allowed = {"suspended", "buried_until", "flagged", "tags"}
    if not values or set(values) - allowed:
        raise ValueError(f"only {sorted(allowed)} are set here, got {sorted(values)}")
    params = {"id": card_id}
    for name, value in values.items():
        if name == "buried_until":
            value = time_or_none(value)
        elif name == "tags":
            value = json_text(list(value))
        else:
            value = bool(value)
        params[name] = value
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    if not db.rows("SELECT 1 FROM cards WHERE id = :id", {"id": card_id}):
        return False
    db.rows(f"UPDATE cards SET {assignments} WHERE id = :id", params)
    return True


def take_setting(db: Db, key: str) -> Any | None:
    """Reads and deletes one settings row (a memo an undo consumes); None if there is none."""
    rows = db.rows("SELECT value FROM settings WHERE key = :key", {"key": key})
    if not rows:
        return None
    db.rows("DELETE FROM settings WHERE key = :key", {"key": key})
    return json_value(rows[0][0]) or {}


def review_for_undo(db: Db, log_id: int | None) -> dict | None:
    """Review-log row `log_id` (None: the newest one) with what undo needs."""
    where = "WHERE id = :id" if log_id is not None else "ORDER BY id DESC LIMIT 1"
    rows = db.rows(f"SELECT id, card_id, origin, state_before, reviewed_at FROM review_log {where}", {"id": log_id})
    if not rows:
        return None
    return {"id": rows[0][0], "card_id": rows[0][1], "origin": rows[0][2], "state_before": json_value(rows[0][3]),
            "reviewed_at": aware_time(rows[0][4])}


def rated_since(db: Db, card_id: int, log_id: int, reviewed_at) -> bool:
    """Whether the card has a rating stored after log row `log_id`, or pressed after it."""
    return bool(db.rows("SELECT 1 FROM review_log WHERE card_id = :card_id AND id != :id"
                        " AND (id > :id OR reviewed_at > :at) LIMIT 1",
                        {"card_id": card_id, "id": log_id, "at": sql_time(reviewed_at)}))


def delete_review(db: Db, log_id: int) -> None:
    db.rows("DELETE FROM review_log WHERE id = :id", {"id": log_id})


def attempt_logged(db: Db, snippet_id: str, created_at: datetime) -> bool:
    return bool(db.rows("SELECT 1 FROM attempts WHERE snippet_id = :snippet AND created_at = :at",
                        {"snippet": snippet_id, "at": sql_time(created_at)}))


def add_attempt(db: Db, *, card_id: int | None, snippet_id: str, created_at: datetime, status: str, passed: int,
                total: int, duration_ms: int, code: str, result: dict) -> int:
    return db.insert(
        "INSERT INTO attempts (card_id, snippet_id, created_at, status, passed, total, duration_ms, code, result)"
        " VALUES (:card_id, :snippet_id, :created_at, :status, :passed, :total, :duration_ms, :code, :result)",
        {"card_id": card_id, "snippet_id": snippet_id, "created_at": sql_time(created_at), "status": status,
         "passed": passed, "total": total, "duration_ms": duration_ms, "code": code, "result": json_text(result)})


def state_is_logged(db: Db, card_id: int, last_review: datetime) -> bool:
    """The card's state comes from its log (not carried over from another tool without one), so a
    replay of the log rebuilds it."""
    return bool(db.rows("SELECT 1 FROM review_log WHERE card_id = :card_id AND origin != 'cram'"
                        " AND reviewed_at = :at LIMIT 1", {"card_id": card_id, "at": sql_time(last_review)}))


def store_late_rating(session, card_id: int, rating: int, duration_ms: int | None, reviewed_at: datetime, config):
    """Log a rating older than the card's last review and replay the card's whole log in time order
    (services/history.replay_card), in `session`. Returns (log id, this rating's state before, after, record)."""
    from sqlalchemy import select

    from flashtrain.scheduler import core
    from flashtrain.scheduler.core import MemoryState
    from flashtrain.services.history import replay_card
    from flashtrain.store.models import ReviewLog

    log = ReviewLog(card_id=card_id, reviewed_at=reviewed_at, rating=rating, duration_ms=duration_ms, origin="study")
    session.add(log)
    session.flush()
    replay_card(session, card_id, list(session.scalars(select(ReviewLog).where(ReviewLog.card_id == card_id))),
                config)
    session.flush()
    before = MemoryState.from_dict(log.state_before or {})
    after = MemoryState.from_dict(log.state_after or {})
    return log.id, before, after, core.review(before, rating, reviewed_at, config)[1]
