"""`flashtrain optimize`, `flashtrain history import|export` and `flashtrain settings`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from flashtrain.cli import common


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("optimize", help="fit the scheduler to your own review history")
    common.add_json_option(p)
    p.add_argument("--min-reviews", type=int, default=None, metavar="N",
                   help="fewest scored reviews to attempt a fit (default: the optimizer's minimum)")
    p.set_defaults(handler=cmd_optimize)

    p = sub.add_parser("simulate", help="what each desired retention costs and buys, simulated on your own cards")
    p.add_argument("--retention", default="0.70..0.97", metavar="R|LOW..HIGH|R,R,...",
                   help="retentions to simulate: one value, a range (steps of 0.03) or a list (default: 0.70..0.97)")
    p.add_argument("--days", type=int, default=365, help="days to simulate (default: 365)")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same figures")
    common.add_json_option(p)
    p.set_defaults(handler=cmd_simulate)

    history = sub.add_parser("history", help="import or export review history as CSV")
    history_sub = history.add_subparsers(dest="history_command", metavar="ACTION", required=True,
                                         parser_class=type(history))
    p = history_sub.add_parser("export", help="write card_id,review_time,rating,duration_ms,deck,question,store_id "
                                              "and the FSRS columns review_rating,review_state,review_duration")
    p.add_argument("--out", metavar="FILE", help="output file (default: standard output)")
    p.set_defaults(handler=cmd_history_export)
    p = history_sub.add_parser("import", help="add review history from a CSV (card_id, review_time, rating)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--scale", choices=("confidence", "anki"), default=None,
                   help="ratings 1-5 (confidence) or Anki's 1-4 (Again, Hard, Good, Easy); needed when every "
                        "rating is 1-4 and the file is not from `history export`")
    p.add_argument("--deck", metavar="NAME", help="match cards in this deck only")
    p.add_argument("--map", metavar="FILE", dest="mapping",
                   help="CSV with card_id and question columns: which of our cards another tool's card_id means")
    common.add_json_option(p)
    p.set_defaults(handler=cmd_history_import)

    p = sub.add_parser("settings", help="show or change study settings (retention, new cards per day, ...)")
    p.add_argument("name", nargs="?", help="setting to show or change")
    p.add_argument("value", nargs="?", help="new value (JSON or plain); 'default' resets it")
    common.add_json_option(p)
    p.set_defaults(handler=cmd_settings)


# -- optimize -----------------------------------------------------------------------------------
class _Progress:
    """Progress on stderr, only once the command has run for a second, at most twice a second."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def _show(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if now - self.started < 1.0 or (now - self.last < 0.5 and not force):
            return
        self.last = now
        self.shown = True
        end = "\r" if sys.stderr.isatty() else "\n"
        print(f"{text:<72}", end=end, file=sys.stderr, flush=True)

    def __call__(self, iteration: int, total: int, loss: float) -> None:
        self._show(f"optimizing: iteration {iteration}/{total} (at most), training loss {loss:.4f}")

    def recompute(self, stage: str, done: int, total: int) -> None:
        width = 24
        filled = int(width * done / total) if total else width
        self._show(f"updating cards: {stage:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
                   force=done == total)

    def finish(self) -> None:
        if self.shown and sys.stderr.isatty():
            print(file=sys.stderr)


def cmd_optimize(args: argparse.Namespace) -> int:
    from flashtrain.scheduler.optimizer import NotEnoughReviews
    from flashtrain.study.optimize import optimize

    store = common.open_store(args)
    progress = _Progress()
    try:
        outcome = optimize(store, progress=progress, min_reviews=args.min_reviews,
                           recompute_progress=progress.recompute)
    except NotEnoughReviews as error:
        raise common.UserError(f"{error}. Keep studying and run `flashtrain optimize` again later.") from None
    finally:
        progress.finish()
        store.close()
    result, recompute = outcome.result, outcome.recompute
    baseline = "default weights" if outcome.started_from_defaults else "current weights"
    if args.json:
        common.print_json({"reviews": result.n_reviews, "scored": result.n_scored, "train": result.n_train,
                           "test": result.n_test, "before": result.before, "after": result.after,
                           "baseline": baseline, "saved": outcome.saved,
                           "refitted_on_all": result.refitted_on_all,
                           "weights": list(result.weights), "seconds": round(result.seconds, 3),
                           "recompute": None if recompute is None else {
                               "cards": recompute.cards, "memory_updated": recompute.memory_updated,
                               "rescheduled": recompute.rescheduled, "reschedule": recompute.reschedule,
                               "seconds": round(recompute.seconds, 3)}})
        return common.EXIT_OK
    if outcome.saved:
        verdict = (f"changed: better on the held-out reviews, refitted on all {result.n_scored} scored "
                   "reviews and saved")
    else:
        verdict = f"kept: the fit was not better on the held-out reviews, so the {baseline} stay"
    rows = [
        ("reviews used", f"{result.n_reviews} ({result.n_scored} scored: {result.n_train} to fit, "
                         f"{result.n_test} later ones held out)"),
        ("", f"{baseline:>16}   fitted"),
        ("held-out log loss", f"{result.before['logloss']:>16.4f}   {result.after['logloss']:.4f}"),
        ("held-out RMSE(bins)", f"{result.before['rmse_bins']:>16.4f}   {result.after['rmse_bins']:.4f}"),
        ("parameters", verdict),
    ]
    if recompute is not None:
        rows.append(("card states", f"{recompute.cards} cards replayed with the new weights, "
                                    f"{recompute.memory_updated} updated, {recompute.rescheduled} due dates moved "
                                    f"(reschedule_on_optimize = {recompute.reschedule})"))
    else:
        rows.append(("card states", "unchanged (the weights did not change)"))
    seconds = result.seconds + (recompute.seconds if recompute else 0.0)
    rows.append(("time", f"{seconds:.1f} s"))
    for label, value in rows:
        print(f"{label:<21}{value}")
    return common.EXIT_OK


# -- simulate -----------------------------------------------------------------------------------
def parse_retentions(text: str) -> tuple[float, ...]:
    """'0.9', '0.70..0.97' (steps of 0.03, both ends included) or '0.8,0.85,0.9'."""
    try:
        if ".." in text:
            low, high = (float(part) for part in text.split("..", 1))
            count = int(round((high - low) / 0.03))
            values = [round(low + 0.03 * i, 2) for i in range(count + 1) if low + 0.03 * i <= high + 1e-9]
            if not values or values[-1] != round(high, 2):
                values.append(round(high, 2))
        else:
            values = [float(part) for part in text.split(",")]
    except ValueError:
        raise common.UserError(f"--retention: {text!r} is not a number, a range LOW..HIGH or a list") from None
    bad = [v for v in values if not 0.5 <= v <= 0.99]
    if bad or not values:
        raise common.UserError(f"--retention: values must be between 0.50 and 0.99, got {text!r}")
    return tuple(sorted(set(values)))


def cmd_simulate(args: argparse.Namespace) -> int:
    from flashtrain.study.workload import forecast

    retentions = parse_retentions(args.retention)
    if not 1 <= args.days <= 3650:
        raise common.UserError("--days must be between 1 and 3650")
    store = common.open_store(args)
    try:
        started = time.perf_counter()
        result = forecast(store, retentions, args.days, args.seed)
        seconds = time.perf_counter() - started
    finally:
        store.close()
    inputs, sweep = result.inputs, result.sweep
    rows = [{"retention": r.retention, "reviews_per_day": round(r.reviews_per_day, 1),
             "minutes_per_day": round(r.minutes_per_day, 1), "remembered": round(r.remembered, 1),
             "minutes_per_remembered": round(r.minutes_per_remembered, 3)} for r in sweep.results]
    if args.json:
        common.print_json({"days": args.days, "seed": args.seed, "studied": inputs.studied,
                           "new": inputs.new_cards, "new_per_day": inputs.new_per_day,
                           "seconds_per_answer": inputs.seconds, "from_log": list(result.from_log),
                           "results": rows, "best_retention": sweep.best.retention,
                           "seconds": round(seconds, 2)})
        return common.EXIT_OK
    habits = ", ".join(result.from_log) if result.from_log else "none yet"
    print(f"Simulated {args.days} days of your {inputs.studied + inputs.new_cards} cards ({inputs.studied} studied, "
          f"{inputs.new_cards} new at {inputs.new_per_day} a day) with your scheduler weights.")
    print(f"From your review log: {habits}; defaults for the rest. Seed {args.seed}.")
    print(f"{'retention':>9}  {'reviews/day':>11}  {'minutes/day':>11}  {'remembered':>10}  {'min per card':>12}")
    for row in rows:
        mark = "  <- least time per card remembered" if row["retention"] == sweep.best.retention else ""
        print(f"{row['retention']:>9.2f}  {row['reviews_per_day']:>11.1f}  {row['minutes_per_day']:>11.1f}  "
              f"{row['remembered']:>10.0f}  {row['minutes_per_remembered']:>12.3f}{mark}")
    best = sweep.best
    if best.retention not in retentions:
        print(f"{best.retention:>9.2f}  {best.reviews_per_day:>11.1f}  {best.minutes_per_day:>11.1f}  "
              f"{best.remembered:>10.0f}  {best.minutes_per_remembered:>12.3f}  <- least time per card remembered")
    print(f"Least study time per card remembered at {best.retention:.2f} desired retention "
          f"(set it with `flashtrain settings desired_retention {best.retention:.2f}`). {seconds:.1f} s.")
    return common.EXIT_OK


# -- history ------------------------------------------------------------------------------------
def cmd_history_export(args: argparse.Namespace) -> int:
    from flashtrain.services.history import export_history

    store = common.open_store(args)
    try:
        if not args.out:
            count = export_history(store, sys.stdout)
        else:
            count = _export_to_file(store, Path(args.out), export_history)
            print(f"Wrote {count} reviews to {args.out}.", file=sys.stderr)
    finally:
        store.close()
    return common.EXIT_OK


def _export_to_file(store, out: Path, export) -> int:
    """Write to a temporary file beside the target, then rename: never a half-written file."""
    folder = out.parent if str(out.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{out.name}.", dir=folder)
    except OSError as error:
        raise common.UserError(f"{out}: cannot write: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            count = export(store, stream)
        os.replace(temp, out)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count


def cmd_history_import(args: argparse.Namespace) -> int:
    from flashtrain.services.history import import_history
    from flashtrain.study.history import HistoryError

    if not Path(args.file).is_file():
        raise common.UserError(f"{args.file}: no such file")
    store = common.open_store(args)
    try:
        summary = import_history(store, args.file, scale=args.scale, deck_name=args.deck, mapping_path=args.mapping)
    except HistoryError as error:  # path:line: error: ..., as compilers print it; nothing was written
        print(error, file=sys.stderr)
        return common.EXIT_REJECTED
    finally:
        store.close()
    nothing_matched = bool(summary.rows) and summary.unknown == summary.rows
    if args.json:
        common.print_json(summary.to_dict())
        return common.EXIT_REJECTED if nothing_matched else common.EXIT_OK
    print(f"{args.file}: imported {summary.imported} reviews for {summary.cards_rebuilt} cards "
          f"({summary.rows} rows read, {summary.duplicates} already present).")
    if summary.unknown:
        lines = ", ".join(str(n) for n in summary.unknown_lines)
        more = ", ..." if summary.unknown > len(summary.unknown_lines) else ""
        print(f"{args.file}: skipped {summary.unknown} rows whose card is not in the store (lines {lines}{more}).")
    if nothing_matched:
        # Nothing matched: most likely another tool's card ids. Say how rows find their cards.
        print(f"{args.file}: error: no row matched a card. Rows are matched by a 'question' column (the card's "
              "question as flashtrain shows it), else by flashtrain's own card id; import the deck first, then "
              "add a question column to the CSV.", file=sys.stderr)
        return common.EXIT_REJECTED
    return common.EXIT_OK


# -- settings -----------------------------------------------------------------------------------
def cmd_settings(args: argparse.Namespace) -> int:
    from flashtrain.services.settings import change_setting, study_settings
    from flashtrain.study.settings import SETTINGS, SettingError

    if args.name and args.name not in SETTINGS:
        raise common.UserError(f"unknown setting {args.name!r}; known: {', '.join(SETTINGS)}")
    store = common.open_store(args, bundled=False)
    try:
        if args.value is not None:
            value = None if args.value == "default" else _parse_value(args.value)
            try:
                change = change_setting(store, args.name, value)
            except SettingError as error:
                raise common.UserError(str(error)) from None
            if not change.stored:  # kept in the journal: written the next time the store can take it
                print(f"flashtrain: {change.notice}", file=sys.stderr)
                return common.EXIT_REJECTED
        current = study_settings(store)
    finally:
        store.close()
    names = [args.name] if args.name else list(SETTINGS)
    values = {name: getattr(current, name) for name in names}
    if args.json:
        common.print_json({k: list(v) if isinstance(v, tuple) else v for k, v in values.items()})
        return common.EXIT_OK
    for name, value in values.items():
        shown = "defaults" if name == "weights" and value is None else (
            "fitted (" + ", ".join(f"{w:.4g}" for w in value) + ")" if name == "weights" else value)
        print(f"{name:<18} {shown}    # {SETTINGS[name].help}")
    return common.EXIT_OK


def _parse_value(raw: str):
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw
