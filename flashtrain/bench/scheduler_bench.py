"""`flashtrain bench scheduler`: how well the memory model predicts recall on a real review log.

Protocol (srs-benchmark, see shared/reference/scheduler-benchmark.md): label 0 for rating 1, else 1;
a card's first review and same-study-day reviews are never scored but are inputs; the scored reviews,
in time order, go through a 5-fold TimeSeriesSplit (fit on the past, predict the next block); pooled
log loss, RMSE(bins) and AUC over all test blocks.

`--synthetic N` instead simulates N reviews from known weights and times `fit_weights` on them.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flashtrain.cli import common

N_SPLITS = 5


def register(bench_sub: argparse._SubParsersAction) -> None:
    parser = bench_sub.add_parser("scheduler", help="memory-model prediction benchmark on a review log")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--revlog", metavar="FILE.csv", help="CSV with card_id, review_time, rating")
    source.add_argument("--synthetic", metavar="N", type=int,
                        help="simulate N reviews and time fitting the weights on them")
    parser.add_argument("--scale", choices=("confidence", "anki"), default="confidence",
                        help="ratings 1-5 (confidence) or Anki 1-4 mapped to 1, 2, 4, 5 (default: confidence)")
    parser.add_argument("--tz", default="UTC", help="time zone of the learner's day boundary (default: UTC)")
    parser.add_argument("--day-start-hour", type=int, default=4, help="hour a study day starts (default: 4)")
    common.add_json_option(parser)
    parser.set_defaults(handler=run)


# ---- input -----------------------------------------------------------------------------------

def read_revlog(path: Path, scale: str) -> list[list[tuple[datetime, int]]]:
    """Histories per card; raises UserError 'file:line: what' on the first bad row."""
    from flashtrain.scheduler.core import RATING_SCALES

    mapping = RATING_SCALES[scale]
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise common.UserError(f"{path}: cannot read: {error.strerror or error}") from error
    cards: dict[str, list[tuple[datetime, int]]] = {}
    with handle:
        reader = csv.reader(handle)
        try:
            header = [name.strip().lower() for name in next(reader)]
        except StopIteration:
            raise common.UserError(f"{path}:1: empty file, expected a header") from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise common.UserError(f"{path}:1: unreadable header: {error}") from None
        rating_name = "rating" if "rating" in header else "review_rating"
        missing = [name for name in ("card_id", "review_time", rating_name) if name not in header]
        if missing:
            raise common.UserError(f"{path}:1: missing column(s) {', '.join(missing)} "
                                   f"(need card_id, review_time and rating or review_rating)")
        at = {name: header.index(name) for name in ("card_id", "review_time", rating_name)}
        line = 1
        try:
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) < len(header):
                    raise common.UserError(f"{path}:{line}: expected {len(header)} fields, got {len(row)}")
                card_id = row[at["card_id"]].strip()
                if not card_id:
                    raise common.UserError(f"{path}:{line}: empty card_id")
                when = _parse_time(row[at["review_time"]], path, line)
                cards.setdefault(card_id, []).append((when, _parse_rating(row[at[rating_name]], mapping,
                                                                          scale, path, line)))
        except (csv.Error, UnicodeDecodeError) as error:
            raise common.UserError(f"{path}:{line + 1}: unreadable row: {error}") from None
    if not cards:
        raise common.UserError(f"{path}: no reviews")
    return list(cards.values())


def _parse_time(text: str, path: Path, line: int) -> datetime:
    value = text.strip()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise common.UserError(f"{path}:{line}: review_time {value!r} is not an ISO-8601 time") from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise common.UserError(f"{path}:{line}: review_time {value!r} has no time zone")
    return when.astimezone(timezone.utc)


def _parse_rating(text: str, mapping: dict[int, int], scale: str, path: Path, line: int) -> int:
    value = text.strip()
    try:
        rating = int(value)
    except ValueError:
        rating = None
    if rating not in mapping:
        allowed = "1-4" if scale == "anki" else "1-5"
        raise common.UserError(f"{path}:{line}: rating {value!r} is not an integer {allowed} (--scale {scale})")
    return mapping[rating]


# ---- protocol --------------------------------------------------------------------------------

def time_series_folds(n: int, n_splits: int = N_SPLITS) -> list[tuple[int, int]]:
    """(test_start, test_end) index ranges, as sklearn's TimeSeriesSplit(n_splits) (train = [0, start))."""
    test_size = n // (n_splits + 1)
    if test_size == 0:
        return []
    first = n - n_splits * test_size
    return [(first + i * test_size, first + (i + 1) * test_size) for i in range(n_splits)]


def grade_calibration(arrays, predictions, mask) -> list[dict]:
    """Per grade of the previous review: how many scored reviews followed it, the mean predicted
    recall and the recall observed (a well-calibrated model has the two close for every grade)."""
    import numpy as np

    previous = np.zeros_like(arrays.grade)
    previous[1:] = arrays.grade[:-1]
    rows = []
    for grade in range(1, 6):
        cells = mask & (previous == grade)
        n = int(cells.sum())
        rows.append({"grade": grade, "n": n,
                     "predicted": float(predictions[cells].mean()) if n else None,
                     "observed": float(arrays.label[cells].mean()) if n else None})
    return rows


def run_benchmark(histories, config, progress=None, calibration: list | None = None) -> list[dict]:
    import numpy as np

    from flashtrain.scheduler import baselines, optimizer
    from flashtrain.scheduler.core import DEFAULT_WEIGHTS

    arrays = optimizer.prepare(histories, config)
    rows, cols = np.nonzero(arrays.scored)
    order = np.lexsort((cols, arrays.time[rows, cols]))
    rows, cols = rows[order], cols[order]
    folds = time_series_folds(len(rows))
    if not folds:
        raise common.UserError(f"too few scored reviews for a {N_SPLITS}-fold split: {len(rows)}")

    def mask_of(start: int, end: int) -> np.ndarray:
        mask = np.zeros(arrays.grade.shape, dtype=bool)
        mask[rows[start:end], cols[start:end]] = True
        return mask

    test_all = mask_of(folds[0][0], folds[-1][1])
    results = []

    def add(name: str, predictions: np.ndarray, seconds: float) -> None:
        scores = optimizer.evaluate(arrays, predictions, test_all)
        results.append({"name": name, "logloss": scores["logloss"], "rmse_bins": scores["rmse_bins"],
                        "auc": scores["auc"], "n": scores["n"], "fit_seconds": round(seconds, 3)})
        if progress:
            progress(name)

    def per_fold(fit, predict) -> tuple[np.ndarray, float]:
        out = np.full(arrays.grade.shape, np.nan)
        seconds = 0.0
        for start, end in folds:
            began = time.process_time()  # CPU seconds: the figure the issue sets a goal for
            params = fit(mask_of(0, start))
            seconds += time.process_time() - began
            test = mask_of(start, end)
            out[test] = predict(params)[test]
        return out, seconds

    add("flashtrain-default", optimizer.predict(arrays, DEFAULT_WEIGHTS), 0.0)
    # each fold starts from the previous fold's weights, as the app starts from the learner's current
    # ones (they were fitted on reviews before this fold's test block, so nothing leaks)
    latest = [DEFAULT_WEIGHTS]

    def fit_from_latest(train):
        latest[0] = optimizer.fit_arrays(arrays, train, latest[0])
        return latest[0]

    fitted, seconds = per_fold(fit_from_latest, lambda w: optimizer.predict(arrays, w))
    add("flashtrain-fitted", fitted, seconds)
    if calibration is not None:
        calibration.extend(grade_calibration(arrays, fitted, test_all))
    try:
        fsrs_predictions = baselines.fsrs6_default(arrays)
    except ModuleNotFoundError as error:
        if error.name != "fsrs":
            raise
        print("note: the optional `fsrs` package is not installed (pip install 'flashtrain[bench]'); "
              "skipping fsrs6-default", file=sys.stderr)
    else:
        add("fsrs6-default", fsrs_predictions, 0.0)
    try:
        fsrs_fitted, seconds = per_fold(lambda train: baselines.fsrs6_rs_fit(arrays, train),
                                        lambda params: baselines.fsrs6_rs_predict(arrays, params))
    except ModuleNotFoundError as error:
        if error.name != "fsrs_rs_python":
            raise
        print("note: the optional `fsrs-rs-python` package is not installed (pip install 'flashtrain[bench]'); "
              "skipping fsrs6-fitted", file=sys.stderr)
    else:
        add("fsrs6-fitted", fsrs_fitted, seconds)
    add("sm2", baselines.sm2(arrays), 0.0)
    hlr, seconds = per_fold(lambda train: baselines.hlr_fit(arrays, train),
                            lambda theta: baselines.hlr_predict(arrays, theta))
    add("hlr", hlr, seconds)
    add("leitner", baselines.leitner(arrays), 0.0)
    avg, seconds = per_fold(lambda train: train, lambda train: baselines.avg(arrays, train))
    add("avg", avg, seconds)
    return results


def run_synthetic(n_reviews: int, config) -> dict:
    from flashtrain.scheduler import optimizer
    from flashtrain.scheduler.core import DEFAULT_WEIGHTS, SchedulerConfig
    from flashtrain.scheduler.simulate import simulate_histories

    if n_reviews < 1:
        raise common.UserError("--synthetic needs a positive number of reviews")
    truth = list(DEFAULT_WEIGHTS)
    truth[0], truth[1], truth[2], truth[3], truth[8], truth[11], truth[20] = 0.5, 2.0, 4.0, 12.0, 1.5, 2.0, 0.3
    began = time.perf_counter()
    histories = simulate_histories(truth, n_reviews, seed=1)
    simulate_seconds = time.perf_counter() - began
    try:
        result = optimizer.fit_weights(histories, SchedulerConfig(tz=config.tz, day_start_hour=config.day_start_hour))
    except optimizer.NotEnoughReviews as error:
        raise common.UserError(str(error)) from None
    return {"reviews": result.n_reviews, "scored": result.n_scored, "fit_seconds": round(result.seconds, 2),
            "simulate_seconds": round(simulate_seconds, 2), "before": result.before, "after": result.after,
            "used_default": result.used_default}


# ---- command ---------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    from flashtrain.scheduler.core import SchedulerConfig

    try:
        tz = ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise common.UserError(f"--tz: unknown time zone {args.tz!r}") from None
    if not 0 <= args.day_start_hour <= 23:
        raise common.UserError("--day-start-hour must be 0..23")
    config = SchedulerConfig(tz=tz, day_start_hour=args.day_start_hour)

    if args.synthetic is not None:
        summary = run_synthetic(args.synthetic, config)
        if args.json:
            common.print_json(summary)
        else:
            print(f"fitted {summary['reviews']} simulated reviews ({summary['scored']} scored) "
                  f"in {summary['fit_seconds']:.2f} s")
            print(f"held-out log loss {summary['before']['logloss']:.4f} -> {summary['after']['logloss']:.4f}, "
                  f"RMSE(bins) {summary['before']['rmse_bins']:.4f} -> {summary['after']['rmse_bins']:.4f}")
        return 0

    path = Path(args.revlog)
    histories = read_revlog(path, args.scale)
    calibration: list[dict] = []
    results = run_benchmark(histories, config, calibration=calibration)
    if args.json:
        common.print_json({"models": results, "calibration_by_previous_grade": calibration})
        return 0
    n_reviews = sum(len(h) for h in histories)
    print(f"{path.name}: {n_reviews} reviews, {len(histories)} cards, scale {args.scale}, "
          f"{N_SPLITS}-fold time-series split")
    print(f"{'model':<20}{'log loss':>10}{'RMSE(bins)':>12}{'AUC':>8}{'n':>8}{'fit CPU s':>10}")
    for row in results:
        print(f"{row['name']:<20}{row['logloss']:>10.4f}{row['rmse_bins']:>12.4f}{row['auc']:>8.4f}"
              f"{row['n']:>8}{row['fit_seconds']:>10.2f}")
    loss = {row["name"]: row["logloss"] for row in results}
    if "fsrs6-fitted" in loss:
        gain = 100.0 * (1.0 - loss["flashtrain-fitted"] / loss["fsrs6-fitted"])
        print(f"flashtrain-fitted log loss is {gain:.2f} % below fsrs6-fitted (goal: at least 1 %)")
    print("\nflashtrain-fitted calibration by the grade of the previous review (test blocks):")
    print(f"{'grade':<8}{'n':>8}{'predicted':>11}{'observed':>10}")
    for row in calibration:
        if row["n"]:
            print(f"{row['grade']:<8}{row['n']:>8}{row['predicted']:>11.3f}{row['observed']:>10.3f}")
        else:
            print(f"{row['grade']:<8}{0:>8}{'-':>11}{'-':>10}")
    return 0
