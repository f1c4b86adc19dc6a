"""`flashtrain bench store`: the figures behind issue 15's store care, on a throw-away SQLite store.

Builds a store with `bench study`'s generator (default 100,000 cards, 1,000,000 review rows), then:
- open: `open_store` on it (the quick check on open, bounded by integrity.QUICK_CHECK_SECONDS), and the
  quick check run to its end without a budget (what the budget saves);
- check: `flashtrain store check`'s full check (integrity_check + foreign keys);
- backup: one backup through SQLite's online backup API (what the daily and before-upgrade backups cost);
- lock wait: ratings (StudyService.rate, the study session's own write) made one after another while
  another process imports a Markdown deck of --import-cards new cards into the same store: how long a
  learner's rating waits for the import's write lock (issue 15: milliseconds, not seconds). Ratings
  before the import give the baseline.
Backups and the rating journal go to a temporary folder, never the user's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from flashtrain.cli import common

BASELINE_RATINGS = 50


def register(bench_sub: argparse._SubParsersAction) -> None:
    parser = bench_sub.add_parser("store", help="time the store's open check, full check, backup and lock waits")
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--import-cards", type=int, default=100_000,
                        help="cards in the deck imported while ratings are timed (0: skip the lock-wait figure)")
    common.add_json_option(parser)
    parser.set_defaults(handler=run)


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)


def _spread(waits: list[float]) -> dict:
    if not waits:
        return {"count": 0}
    ordered = sorted(waits)
    return {"count": len(ordered), "p50_ms": _ms(statistics.median(ordered)),
            "p95_ms": _ms(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]), "max_ms": _ms(ordered[-1])}


def _deck(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("---\nname: Imported during study\n---\n")
        for i in range(n):
            out.write(f"Q: Bench import question {i}?\nA: Bench import answer {i}.\n\n")


def _rate_until(service, card_ids: list[int], stop) -> tuple[list[float], int]:
    """Rate cards one after another until stop(ratings made) is true; returns each rating's wall
    time and how many went to the journal (the store did not take them within the wait)."""
    waits, journaled, i = [], 0, 0
    while not stop(len(waits)):
        card_id = card_ids[i % len(card_ids)]
        i += 1
        began = time.perf_counter()
        outcome = service.rate_detailed(card_id, 3)
        waits.append(time.perf_counter() - began)
        journaled += outcome.log_id == 0
    return waits, journaled


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="flashtrain-bench-store-") as tmp:
        folder = Path(tmp)
        saved_env = {k: os.environ.get(k) for k in ("XDG_DATA_HOME", "FLASHTRAIN_STATE_DIR")}
        os.environ["XDG_DATA_HOME"] = str(folder / "data")  # backups land here, not in the user's folder
        os.environ["FLASHTRAIN_STATE_DIR"] = str(folder / "state")  # and the journal, if any
        try:
            figures = _measure(args, folder)
        finally:
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    if args.json:
        common.print_json(figures)
        return 0
    print(f"store: {figures['cards']:,} cards, {figures['reviews']:,} review rows, {figures['size_mb']} MB "
          f"(built in {figures['build_seconds']} s)")
    print(f"open (quick check within its {figures['quick_check_budget_ms']:g} ms budget): {figures['open_ms']} ms; "
          f"check {'finished' if figures['quick_check_complete_on_open'] else 'stopped at the budget (opened unverified)'}")
    print(f"quick check to the end: {figures['quick_check_ms']} ms")
    print(f"full check (store check): {figures['full_check_ms']} ms")
    print(f"backup (online backup API): {figures['backup_ms']} ms")
    wait = figures.get("lock_wait")
    if wait:
        base, during = wait["baseline"], wait["during_import"]
        print(f"rating while idle: p50 {base.get('p50_ms')} ms, p95 {base.get('p95_ms')} ms, max {base.get('max_ms')} ms")
        print(f"rating during an import of {wait['import_cards']:,} cards ({wait['import_seconds']} s): "
              f"{during['count']} ratings, p50 {during.get('p50_ms')} ms, p95 {during.get('p95_ms')} ms, "
              f"max {during.get('max_ms')} ms; {wait['journaled']} kept in the journal")
    return 0


def _measure(args, folder: Path) -> dict:
    from flashtrain.bench.study_bench import populate
    from flashtrain.store.backup import make_backup
    from flashtrain.store.engine import open_store
    from flashtrain.store.integrity import QUICK_CHECK_SECONDS, full_check, quick_check

    path = folder / "bench.db"
    store = open_store(path)
    began = time.perf_counter()
    populate(store, args.cards, args.reviews, datetime.now(timezone.utc))
    build = time.perf_counter() - began
    store.close()
    figures = {"cards": args.cards, "reviews": args.reviews, "build_seconds": round(build, 1),
               "size_mb": round(path.stat().st_size / 1e6, 1), "quick_check_budget_ms": QUICK_CHECK_SECONDS * 1000}

    began = time.perf_counter()
    store = open_store(path)
    figures["open_ms"] = _ms(time.perf_counter() - began)
    try:
        figures["quick_check_complete_on_open"] = quick_check(store.engine).complete
        began = time.perf_counter()
        result = quick_check(store.engine, budget=None)
        figures["quick_check_ms"] = _ms(time.perf_counter() - began)
        began = time.perf_counter()
        full = full_check(store.engine)
        figures["full_check_ms"] = _ms(time.perf_counter() - began)
        figures["checks_ok"] = result.ok and full.ok
        began = time.perf_counter()
        make_backup(path, "bench")
        figures["backup_ms"] = _ms(time.perf_counter() - began)
        if args.import_cards > 0:
            figures["lock_wait"] = _lock_wait(args, folder, store, path)
    finally:
        store.close()
    return figures


def _lock_wait(args, folder: Path, store, path: Path) -> dict:
    from flashtrain.study.service import StudyService

    service = StudyService(store)
    card_ids = list(range(1, min(args.cards, 5000) + 1))
    baseline, _ = _rate_until(service, card_ids, lambda made: made >= BASELINE_RATINGS)
    deck = folder / "imported.md"
    _deck(deck, args.import_cards)
    began = time.perf_counter()
    importer = subprocess.Popen([sys.executable, "-m", "flashtrain", "--db", str(path), "import", str(deck)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    during, journaled = _rate_until(service, card_ids[BASELINE_RATINGS:] or card_ids,
                                    lambda made: importer.poll() is not None)
    seconds = time.perf_counter() - began
    error = importer.stderr.read()
    if importer.returncode != 0:
        raise common.UserError(f"the import during the lock-wait run failed: {error.strip()}")
    return {"import_cards": args.import_cards, "import_seconds": round(seconds, 1), "journaled": journaled,
            "baseline": _spread(baseline), "during_import": _spread(during)}
