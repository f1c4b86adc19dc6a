"""Fit the scheduler to this learner's own review log, keep the weights only if they help, and
bring every card's memory state in line with them.

Histories are the study and imported ratings per card (cram ratings never moved the schedule, so
they are left out). `fit_packed` holds out the latest 20 % of scored reviews and reports log loss /
RMSE(bins) on them before and after; when the fit is better there it is refitted on the whole
history, the weights are stored in the settings, and every card's state is recomputed by replaying
its history with them (services/recompute.py; the `reschedule_on_optimize` setting says whether due dates
move).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from flashtrain.scheduler.core import DEFAULT_WEIGHTS
from flashtrain.services.recompute import RecomputeProgress, RecomputeSummary, recompute_states
from flashtrain.services.review_arrays import load_review_columns
from flashtrain.services.settings import store_setting, study_settings


@dataclass(frozen=True)
class OptimizeOutcome:
    result: object  # flashtrain.scheduler.optimizer.FitResult
    saved: bool  # fitted weights stored in the settings
    started_from_defaults: bool  # the comparison baseline was the default weights
    recompute: RecomputeSummary | None = None  # card states replayed with the new weights (when saved)


def optimize(store, progress: Callable[[int, int, float], None] | None = None, min_reviews: int | None = None,
             tz=None, recompute_progress: RecomputeProgress | None = None) -> OptimizeOutcome:
    """Fit, compare on the held-out slice, store the weights and recompute states if better.
    Raises NotEnoughReviews."""
    from flashtrain.scheduler import optimizer  # scipy is loaded only when someone optimizes

    settings = study_settings(store)
    config = settings.scheduler_config(tz)
    columns = load_review_columns(store)
    need = optimizer.MIN_REVIEWS if min_reviews is None else min_reviews
    if not len(columns):  # nothing to pack: say "too few" rather than ask the optimizer
        raise optimizer.NotEnoughReviews(0, need)
    arrays = optimizer.pack(columns.card_id, columns.stamp, columns.rating, config)
    result = optimizer.fit_packed(arrays, config, progress, min_reviews=need)
    saved = not result.used_default
    summary = None
    if saved:
        store_setting(store, "weights", list(result.weights))
        new_config = replace(settings, weights=result.weights).scheduler_config(tz)
        summary = recompute_states(store, new_config, settings.reschedule_on_optimize, recompute_progress,
                                   columns=columns)
    return OptimizeOutcome(result=result, saved=saved, started_from_defaults=config.weights == DEFAULT_WEIGHTS,
                           recompute=summary)
