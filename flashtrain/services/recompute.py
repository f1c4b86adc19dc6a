"""Recompute every card's memory state by replaying its review history with new weights.

After `flashtrain optimize` stores new weights, the stability and difficulty the store holds for
each card were computed with the old ones. As Anki does, the whole log is replayed with the new
weights (vectorised: `scheduler.replay`), and each card's state takes the replayed stability
and difficulty. Whether due dates move too is the learner's `reschedule_on_optimize` setting:

- "changed" (default): a review card gets the due date its new interval gives only when that
  interval differs from the current one by more than the fuzz range around it, so a refit does not
  shuffle every due date by a day;
- "all": every review card is rescheduled from its last review with the new interval;
- "none": only the memory states change, due dates stay.

Cards in (re)learning keep their step and due time; cards whose state has no history behind it
(states carried over from another tool without a log) are left as they are. The replay reads the
study and imported rows of the log (cram ratings never moved a schedule). Undo keeps working: the
next rating stores the recomputed state as its "before" state.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Callable

import numpy as np
from sqlalchemy import bindparam, update

from flashtrain.scheduler import optimizer
from flashtrain.scheduler.core import SchedulerConfig, day_boundary
from flashtrain.scheduler.replay import replay
from flashtrain.services.review_arrays import ReviewColumns, load_review_columns, plain_rows, epoch_sql
from flashtrain.store.models import CardState

RESCHEDULE_CHOICES = ("changed", "all", "none")
WRITE_BATCH = 5000
# (stage, done, total): stages are "reading", "replaying" and "writing"
RecomputeProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RecomputeSummary:
    cards: int  # cards with a state and a history (replayed)
    memory_updated: int  # of those, cards whose stability or difficulty changed
    rescheduled: int  # due dates moved
    reschedule: str  # the policy used
    seconds: float


def _fuzz_delta(days: np.ndarray) -> np.ndarray:
    """Half-width of the fuzz range around an interval (core._FUZZ_RANGES; 0 below 2.5 days)."""
    from flashtrain.scheduler.core import _FUZZ_RANGES

    delta = np.ones_like(days, dtype=float)
    for start, end, factor in _FUZZ_RANGES:
        delta += factor * np.clip(np.minimum(days, end) - start, 0.0, None)
    return np.where(days < 2.5, 0.0, delta)


def recompute_states(store, config: SchedulerConfig, reschedule: str = "changed",
                     progress: RecomputeProgress | None = None,
                     columns: ReviewColumns | None = None) -> RecomputeSummary:
    """Replay the log with `config.weights` and store the resulting states (see the module doc)."""
    if reschedule not in RESCHEDULE_CHOICES:
        raise ValueError(f"reschedule must be one of {RESCHEDULE_CHOICES}, got {reschedule!r}")
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    report("reading", 0, 1)
    columns = load_review_columns(store) if columns is None else columns
    states = plain_rows(store, f"SELECT card_id, CASE WHEN phase = 'review' THEN 1 ELSE 0 END, stability, "
                                f"difficulty, {epoch_sql(store, 'due')}, {epoch_sql(store, 'last_review')} "
                                "FROM card_states WHERE last_review IS NOT NULL")
    report("reading", 1, 1)
    if not len(columns) or not states:
        return RecomputeSummary(0, 0, 0, reschedule, time.perf_counter() - started)

    report("replaying", 0, len(columns))
    # without fuzz: the "changed" policy below allows for it (and fuzz would replay one by one)
    replayed_log = replay(columns.card_id, np.round(columns.stamp * 1e6).astype(np.int64), columns.rating,
                          dataclasses.replace(config, fuzz=False))
    last = np.flatnonzero(np.append(columns.card_id[1:] != columns.card_id[:-1], True))  # by card, then time
    stability, difficulty = replayed_log.stability[last], replayed_log.difficulty[last]
    # each card's interval from its last review, by the scheduler's own rules ("barely" is tomorrow,
    # adjacent ratings a day apart, never sooner than a step)
    replayed_days = (optimizer.study_day_numbers(replayed_log.due_us[last] / 1e6, config)
                     - optimizer.study_day_numbers(replayed_log.reviewed_us[last] / 1e6, config))
    replayed = dict(zip(columns.card_id[last].tolist(), range(last.size)))
    report("replaying", len(columns), len(columns))

    table = np.array([row for row in states if row[0] in replayed], dtype=float).reshape(-1, 6)
    if not table.size:
        return RecomputeSummary(0, 0, 0, reschedule, time.perf_counter() - started)
    ids = table[:, 0].astype(np.int64)
    in_review = table[:, 1] == 1
    old_s, old_d = table[:, 2], table[:, 3]
    due_stamp, last_stamp = np.round(table[:, 4], 3), np.round(table[:, 5], 3)  # see load_review_columns
    at = np.array([replayed[c] for c in ids.tolist()], dtype=np.int64)
    new_s, new_d = stability[at], difficulty[at]
    changed_memory = ~(np.isclose(new_s, old_s) & np.isclose(new_d, old_d))

    last_day = optimizer.study_day_numbers(last_stamp, config)
    due_stamp = np.where(np.isnan(due_stamp), last_stamp, due_stamp)
    old_days = optimizer.study_day_numbers(due_stamp, config) - last_day
    new_days = replayed_days[at]
    move = in_review & (new_days != old_days)
    if reschedule == "changed":
        move &= np.abs(new_days - old_days) > _fuzz_delta(old_days.astype(float))
    elif reschedule == "none":
        move[:] = False
    new_due_day = last_day + new_days
    boundaries = {ordinal: day_boundary(date.fromordinal(ordinal), config)
                  for ordinal in np.unique(new_due_day[move]).tolist()}
    write = np.flatnonzero(changed_memory | move)
    report("writing", 0, int(write.size))
    _write_states(store, ids[write], new_s[write], new_d[write], move[write], new_due_day[write], boundaries,
                  lambda done: report("writing", done, int(write.size)))
    return RecomputeSummary(cards=int(ids.size), memory_updated=int(changed_memory.sum()),
                            rescheduled=int(move.sum()), reschedule=reschedule,
                            seconds=time.perf_counter() - started)


def _write_states(store, ids, stability, difficulty, move, due_day, boundaries: dict[int, datetime],
                  progress: Callable[[int], None]) -> None:
    """Store the new memory (and, where `move`, the new due time) in one transaction. Rows whose due
    time stays are written without touching `due`, so its indexes are left alone."""
    table = CardState.__table__
    sqlite = store.engine.dialect.name == "sqlite"
    memory_only = (update(table).where(table.c.card_id == bindparam("cid"))
                   .values(stability=bindparam("s"), difficulty=bindparam("d")))
    with_due = memory_only.values(due=bindparam("due", type_=table.c.due.type))
    if sqlite:  # plain executemany with the text the UTCDateTime column stores: no per-row binding work
        boundaries = {day: moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
                      for day, moment in boundaries.items()}
    rows = [(int(c), float(s), float(d), boundaries[int(day)] if m else None)
            for c, s, d, m, day in zip(ids.tolist(), stability.tolist(), difficulty.tolist(), move.tolist(),
                                       due_day.tolist())]
    done = 0
    with store.engine.begin() as connection:  # all states change, or none
        for first in range(0, len(rows), WRITE_BATCH):
            batch = rows[first:first + WRITE_BATCH]
            keep = [(s, d, c) for c, s, d, due in batch if due is None]
            moved = [(s, d, due, c) for c, s, d, due in batch if due is not None]
            if sqlite:
                if keep:
                    connection.exec_driver_sql(
                        "UPDATE card_states SET stability = ?, difficulty = ? WHERE card_id = ?", keep)
                if moved:
                    connection.exec_driver_sql(
                        "UPDATE card_states SET stability = ?, difficulty = ?, due = ? WHERE card_id = ?", moved)
            else:
                if keep:
                    connection.execute(memory_only, [{"s": s, "d": d, "cid": c} for s, d, c in keep])
                if moved:
                    connection.execute(with_due, [{"s": s, "d": d, "due": due, "cid": c} for s, d, due, c in moved])
            done += len(batch)
            progress(done)


__all__ = ["RESCHEDULE_CHOICES", "RecomputeProgress", "RecomputeSummary", "recompute_states"]
