"""Scheduler: pure FSRS-6-based core (core.py), optimizer, metrics and baselines.

Importing this package loads only the pure core (no scipy, textual or sqlalchemy).
"""

from flashtrain.scheduler.core import (  # noqa: F401
    DEFAULT_WEIGHTS, RATING_LABELS, RATINGS, MemoryState, Rating, ReviewRecord, SchedulerConfig,
    preview, retrievability, review,
)
