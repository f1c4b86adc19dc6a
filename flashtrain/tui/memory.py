"""Garbage-collector tuning for the app: pauses off the rating path, memory still returned.

Start-up leaves hundreds of thousands of long-lived objects (Textual, SQLAlchemy); with the default
thresholds full collections re-scan them every few ratings and pause for 50-100 ms. They are frozen
(moved out of the collector's view) once the first screen is up; young collections run while the
learner reads (`collect_young_garbage`), and a full collection runs every FULL_EVERY cards at that
same quiet moment, so cycles that survive into the oldest generation (old widgets and their
watchers) are freed instead of piling up.
"""

from __future__ import annotations

import gc

FULL_EVERY = 25  # cards between full collections (each ~10-30 ms, run while the learner reads)

_quiet_moments = 0


def tune_gc() -> None:
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    gc.enable()  # `flashtrain study` pauses collection for start-up (cli.study.pause_gc_for_startup)


def collect_young_garbage() -> None:
    """Call while the learner reads a card: a young collection, and now and then a full one."""
    global _quiet_moments
    _quiet_moments += 1
    gc.collect(2 if _quiet_moments % FULL_EVERY == 0 else 1)
