"""`flashtrain bench study`: next-card / rate / undo latency on a large generated collection.

Builds a throw-away store (default 100,000 cards, 1,000,000 review-log rows, a third of the reviewed
cards due) with bulk SQL, then drives StudyService exactly as a session does and reports the
median and 95th-percentile milliseconds per call.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flashtrain.cli import common


def register(bench_sub: argparse._SubParsersAction) -> None:
    parser = bench_sub.add_parser("study", help="time next card, rate and undo on a large collection")
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=300, help="cards studied while timing")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def populate(path: Path, n_cards: int, n_reviews: int, now: datetime, seed: int = 7) -> None:
    """Bulk rows straight through sqlite3 (the ORM would take minutes for a million rows)."""
    rng = random.Random(seed)
    connection = sqlite3.connect(path)
    with connection:
        n_decks = 10
        connection.executemany("INSERT INTO decks (id, name, description, tags, origin, trusted, created_at)"
                               " VALUES (?, ?, '', '[]', 'imported', 0, ?)",
                               [(d + 1, f"Deck {d}", _stamp(now)) for d in range(n_decks)])
        connection.executemany(
            "INSERT INTO cards (id, deck_id, source_line, key, kind, cloze_index, question, answer, tags, hints,"
            " content_hash, created_at, updated_at, suspended, flagged)"
            " VALUES (?, ?, ?, ?, 'basic', 0, ?, ?, ?, '[]', 'x', ?, ?, 0, 0)",
            [(i, i % n_decks + 1, i, f"k{i}", f"Question {i}?", f"Answer {i}.", json.dumps([f"t{i % 50}"]),
              _stamp(now), _stamp(now)) for i in range(1, n_cards + 1)])
        reviewed = int(n_cards * 0.9)
        states = []
        for i in range(1, reviewed + 1):
            stability = rng.lognormvariate(2.5, 1.2)
            last = now - timedelta(days=rng.uniform(0.5, 3 * stability + 1))
            if rng.random() < 0.33:
                due = now - timedelta(days=rng.uniform(0, 20))
            else:
                due = now + timedelta(days=rng.uniform(1, 60))
            phase = "learning" if rng.random() < 0.02 else "review"
            if phase == "learning":
                due = now + timedelta(minutes=rng.uniform(-30, 60))
            states.append((i, phase, stability, rng.uniform(2, 9), _stamp(due), _stamp(last),
                           rng.randint(1, 20), rng.randint(0, 3), 0, rng.randint(1, 5)))
        connection.executemany("INSERT INTO card_states (card_id, phase, stability, difficulty, due, last_review,"
                               " reps, lapses, step, last_rating) VALUES (?,?,?,?,?,?,?,?,?,?)", states)
        start = now - timedelta(days=700)
        batch = []
        for k in range(n_reviews):
            when = start + timedelta(days=700 * k / n_reviews)
            batch.append((rng.randint(1, reviewed), _stamp(when), rng.choice((1, 3, 4, 4, 5)), 1.5, 4000,
                          '{"phase": "review"}', '{"phase": "review"}', "study"))
            if len(batch) == 50_000:
                connection.executemany("INSERT INTO review_log (card_id, reviewed_at, rating, elapsed_days,"
                                       " duration_ms, state_before, state_after, origin) VALUES (?,?,?,?,?,?,?,?)",
                                       batch)
                batch = []
        if batch:
            connection.executemany("INSERT INTO review_log (card_id, reviewed_at, rating, elapsed_days,"
                                   " duration_ms, state_before, state_after, origin) VALUES (?,?,?,?,?,?,?,?)", batch)
    connection.execute("ANALYZE")
    connection.close()


def _ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2)}


def run(args: argparse.Namespace) -> int:
    from flashtrain.store.engine import open_store
    from flashtrain.study.service import QueueSpec, StudyService

    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory(prefix="flashtrain-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        open_store(path).close()  # schema via the normal migrations
        started = time.perf_counter()
        populate(path, args.cards, args.reviews, now)
        build_seconds = time.perf_counter() - started
        store = open_store(path)
        clock_now = [now]
        service = StudyService(store, clock=lambda: clock_now[0])
        rng = random.Random(1)
        timings: dict[str, list[float]] = {"next_card": [], "rate": [], "undo": [], "next_card_deck": [],
                                           "next_card_cram": [], "remaining": []}

        def timed(name, fn, *a, **kw):
            t0 = time.perf_counter()
            value = fn(*a, **kw)
            timings[name].append(time.perf_counter() - t0)
            return value

        spec = QueueSpec()
        deck_spec = QueueSpec(deck_ids=(3,))
        cram = QueueSpec(mode="cram", deck_ids=(4,))
        for step in range(args.steps):
            clock_now[0] += timedelta(seconds=8)
            card = timed("next_card", service.next_card, spec)
            if card is None:
                break
            timed("rate", service.rate, card.card_id, rng.choice((1, 3, 4, 5)), 4000)
            if step % 10 == 0:
                timed("undo", service.undo_last)
                timed("next_card_deck", service.next_card, deck_spec)
                cram_card = timed("next_card_cram", service.next_card, cram)
                if cram_card is not None:
                    service.rate(cram_card.card_id, 4, origin="cram")
                timed("remaining", service.remaining, spec)
        t0 = time.perf_counter()
        summaries = service.deck_summaries()
        summary_seconds = time.perf_counter() - t0
        due_total = sum(d.due for d in summaries)
        store.close()
    figures = {"cards": args.cards, "reviews": args.reviews, "due_reviews_at_start": due_total,
               "build_seconds": round(build_seconds, 1), "deck_summaries_ms": round(summary_seconds * 1000, 1)}
    figures |= {name: _ms(samples) for name, samples in timings.items() if samples}
    if args.json:
        common.print_json(figures)
        return 0
    print(f"{args.cards:,} cards, {args.reviews:,} review rows, {due_total:,} reviews due; "
          f"built in {figures['build_seconds']} s")
    print(f"{'call':<16}{'median ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name in timings:
        if name in figures:
            f = figures[name]
            print(f"{name:<16}{f['median_ms']:>10}{f['p95_ms']:>10}{f['max_ms']:>10}")
    print(f"deck_summaries: {figures['deck_summaries_ms']} ms")
    return 0
