"""Fit the scheduler to this learner's own review log and keep the weights only if they help.

Histories are the study and imported ratings per card (drill/cram ratings never moved the schedule,
so they are left out). The scheduler helper's `fit_weights` holds out the latest 20 % of scored
reviews and reports log loss / RMSE(bins) on them before and after; the fitted weights are stored in
the settings only when the held-out log loss improved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import text

from flashtrain.scheduler.core import DEFAULT_WEIGHTS
from flashtrain.study.settings import load_settings, save_setting


@dataclass(frozen=True)
class OptimizeOutcome:
    result: object  # flashtrain.scheduler.optimizer.FitResult
    saved: bool  # fitted weights stored in the settings
    started_from_defaults: bool  # the comparison baseline was the default weights


def load_histories(store) -> list[list[tuple[datetime, int]]]:
    """(UTC time, rating) per card, oldest first, from the study and imported log rows."""
    by_card: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    with store.engine.connect() as connection:  # plain rows: a million ORM objects would be slow
        rows = connection.execute(text(
            "SELECT card_id, reviewed_at, rating FROM review_log WHERE origin != 'cram' ORDER BY card_id, reviewed_at"))
        for card_id, when, rating in rows:
            stamp = datetime.fromisoformat(when) if isinstance(when, str) else when
            by_card[card_id].append((stamp.replace(tzinfo=timezone.utc), int(rating)))
    return list(by_card.values())


def optimize(store, progress: Callable[[int, int, float], None] | None = None, min_reviews: int | None = None,
             tz=None) -> OptimizeOutcome:
    """Fit, compare on the held-out slice, store the weights if better. Raises NotEnoughReviews."""
    from flashtrain.scheduler import optimizer  # scipy is loaded only when someone optimizes

    with store.sessions.begin() as s:
        settings = load_settings(s)
    config = settings.scheduler_config(tz)
    options = {} if min_reviews is None else {"min_reviews": min_reviews}
    histories = load_histories(store)
    if not histories:  # nothing to pack: say "too few" rather than ask the optimizer
        raise optimizer.NotEnoughReviews(0, optimizer.MIN_REVIEWS if min_reviews is None else min_reviews)
    result = optimizer.fit_weights(histories, config, progress, **options)
    saved = not result.used_default
    if saved:
        with store.sessions.begin() as s:
            save_setting(s, "weights", list(result.weights))
    return OptimizeOutcome(result=result, saved=saved, started_from_defaults=config.weights == DEFAULT_WEIGHTS)
