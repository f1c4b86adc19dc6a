"""`flashtrain bench recompute`: time replaying every card's history after `optimize` stores weights.

Builds a throw-away store with `bench study`'s generator (default 100,000 cards, 1,000,000 review
rows), then times `recompute_states` with weights different from the defaults, as `optimize` runs it.
Goal (issue 12): 100k cards / 1M reviews in 10 s or less.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from flashtrain.cli import common

GOAL_SECONDS = 10.0


def register(bench_sub: argparse._SubParsersAction) -> None:
    parser = bench_sub.add_parser("recompute", help="time recomputing every card's state after optimizing")
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--reschedule", choices=("changed", "all", "none"), default="changed")
    common.add_json_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from flashtrain.bench.study_bench import populate
    from flashtrain.scheduler.core import DEFAULT_WEIGHTS, SchedulerConfig
    from flashtrain.store.engine import open_store
    from flashtrain.services.recompute import recompute_states

    weights = list(DEFAULT_WEIGHTS)
    weights[8], weights[20] = 2.0, 0.25
    with tempfile.TemporaryDirectory(prefix="flashtrain-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        store = open_store(path)
        began = time.perf_counter()
        populate(store, args.cards, args.reviews, datetime.now(timezone.utc))
        build = time.perf_counter() - began
        try:
            cpu = time.process_time()
            summary = recompute_states(store, SchedulerConfig(weights=tuple(weights)), args.reschedule)
            cpu = time.process_time() - cpu
        finally:
            store.close()
    figures = {"cards": args.cards, "reviews": args.reviews, "build_seconds": round(build, 1),
               "seconds": round(summary.seconds, 2), "cpu_seconds": round(cpu, 2), "cards_replayed": summary.cards,
               "memory_updated": summary.memory_updated, "rescheduled": summary.rescheduled,
               "goal_seconds": GOAL_SECONDS}
    if args.json:
        common.print_json(figures)
        return 0
    print(f"{args.cards:,} cards, {args.reviews:,} review rows (built in {figures['build_seconds']} s)")
    print(f"recompute after optimize: {figures['seconds']} s wall, {figures['cpu_seconds']} s CPU "
          f"(goal ≤ {GOAL_SECONDS:g} s); {summary.cards:,} cards replayed, {summary.memory_updated:,} updated, "
          f"{summary.rescheduled:,} due dates moved ({args.reschedule})")
    return 0
