"""`flashtrain bench tui`: time to the first card and rating -> next card latency on a big store.

Builds a store with 100,000 cards and 1,000,000 reviews (bulk sqlite executemany), then starts a
fresh Python process that opens it and runs the study app headless at 80x24. The first-card time
runs from just before that process is spawned (interpreter start and imports included) to the
frame that shows the first card. Then it rates cards (reveal, then a number key through Textual's
key handling) and times each rating to the first frame drawn after the next card's text is in place
(Textual's Markdown parses and mounts the text after its update call; the clock runs until then).
It also reads the process's resident memory after 50 and after 500 ratings: memory should stay flat.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

# random, sqlite3, statistics, subprocess and tempfile are imported where used: the timed child
# process imports this module, and `flashtrain study` would not pay for them.

CHILD_MARK = "FLASHTRAIN_TUI_BENCH "
THINK_SECONDS = 0.3
RSS_EARLY, RSS_LATE = 50, 500  # ratings after which resident memory is read


def register(bench_sub: argparse._SubParsersAction) -> None:
    parser = bench_sub.add_parser("tui", help="time the study app's first card and rating latency on a big store")
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--ratings", type=int, default=RSS_LATE, help="ratings to time (memory is read after "
                        f"{RSS_EARLY} and {RSS_LATE})")
    parser.add_argument("--keep", metavar="PATH", help="build (or reuse) the store at PATH instead of a temp dir")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


# -- building the store -------------------------------------------------------------------------------
def _ts(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def build_store(path: Path, n_cards: int, n_reviews: int, seed: int = 7) -> None:
    """Schema via the real migrations, rows via executemany (the ORM would take minutes)."""
    import random
    import sqlite3

    from flashtrain.store.engine import open_store

    open_store(path).close()
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    n_decks = 100
    per_deck = max(n_cards // n_decks, 1)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    created = _ts(now - timedelta(days=800))
    with conn:
        conn.executemany(
            "INSERT INTO decks (id, name, description, tags, origin, trusted, created_at) VALUES (?,?,?,?,?,?,?)",
            [(d + 1, f"Bench deck {d + 1:03d}", "generated", "[]", "imported", 0, created) for d in range(n_decks)])
        cards = []
        for i in range(n_cards):
            deck = min(i // per_deck, n_decks - 1) + 1
            question = (f"Bench question {i}: what is $\\beta_{{{i % 7}}}$ for rule {i}?\n\n"
                        f"Consider the update $v_t = \\beta v_{{t-1}} + (1-\\beta)\\theta_t$.")
            answer = f"The answer is **{i / 7:.3f}**.\n\n```python\nx = {i}\nprint(x ** 2)\n```"
            cards.append((i + 1, deck, None, 0, f"q:bench{i}", "basic", 0, None, question, answer,
                          json.dumps([f"topic-{i % 13}"]), "[]", None, f"h{i}", created, created, None, 0, None, 0))
        conn.executemany(
            "INSERT INTO cards (id, deck_id, source_id, source_line, key, kind, cloze_index, explicit_id, question,"
            " answer, tags, hints, snippet_id, content_hash, created_at, updated_at, retired_at, suspended,"
            " buried_until, flagged) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", cards)
        del cards
        reviewed = int(n_cards * 0.8)
        per_card = max(n_reviews // max(reviewed, 1), 1)
        states, logs = [], []
        log_id = 0
        for card in range(1, reviewed + 1):
            last = now - timedelta(days=rng.uniform(0.5, 60))
            stability = rng.uniform(1, 200)
            due = last + timedelta(days=stability * rng.uniform(0.5, 1.5))
            lapses = rng.choice((0, 0, 0, 1, 2))
            states.append((card, "review", stability, rng.uniform(2, 9), _ts(due), _ts(last), per_card, lapses, 0,
                           rng.choice((3, 4, 4, 5))))
            moment = last - timedelta(days=per_card * 20)
            for _ in range(per_card):
                moment += timedelta(days=rng.uniform(1, 30))
                log_id += 1
                logs.append((log_id, card, _ts(min(moment, last)), rng.choice((1, 3, 4, 4, 4, 5)),
                             rng.uniform(0, 30), rng.randint(2000, 20000), '{"phase": "review"}', "{}", "study"))
            if len(logs) >= 200_000:
                conn.executemany("INSERT INTO review_log (id, card_id, reviewed_at, rating, elapsed_days, duration_ms,"
                                 " state_before, state_after, origin) VALUES (?,?,?,?,?,?,?,?,?)", logs)
                logs = []
        if logs:
            conn.executemany("INSERT INTO review_log (id, card_id, reviewed_at, rating, elapsed_days, duration_ms,"
                             " state_before, state_after, origin) VALUES (?,?,?,?,?,?,?,?,?)", logs)
        conn.executemany("INSERT INTO card_states (card_id, phase, stability, difficulty, due, last_review, reps,"
                         " lapses, step, last_rating) VALUES (?,?,?,?,?,?,?,?,?,?)", states)
    conn.execute("ANALYZE")
    conn.close()


# -- the child process -------------------------------------------------------------------------------
def rss_mib() -> float:
    """Resident memory of this process now (Linux /proc; elsewhere the peak, from getrusage)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def child_main(db_path: str, ratings: int) -> None:
    """Runs in the spawned process: open the store, show the first card, then time ratings."""
    import asyncio

    from flashtrain.cli import build_parser
    from flashtrain.cli.study import prepare_session

    # the path of `flashtrain --db PATH study`, minus the terminal check (the app runs headless here)
    first_card_wall: list[float] = []
    sessions: list = []
    session_screens: list = []
    rss: dict[int, float] = {}
    args = build_parser().parse_args(["--db", db_path, "study"])
    store, spec, service, first = prepare_session(args)
    from flashtrain.tui.app import FlashtrainApp

    app = FlashtrainApp(store, service, start=spec, first_card=first,
                        on_first_card=lambda _t: first_card_wall.append(time.time()))

    async def drive() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            while not first_card_wall:
                await asyncio.sleep(0.001)
            screen = app.screen
            sessions.append(screen.session)
            session_screens.append(screen)
            for _ in range(ratings):
                if screen.card is None:
                    break
                # think time: a learner reads the card (here 0.6 s; people take seconds); meanwhile the
                # app fetches the next card in the background
                await asyncio.sleep(THINK_SECONDS)
                await pilot.press("space")
                count = len(app.latencies)
                await pilot.press("3")
                while len(app.latencies) == count:
                    await asyncio.sleep(0.0005)
                if len(app.latencies) in (RSS_EARLY, RSS_LATE):
                    rss[len(app.latencies)] = rss_mib()

    asyncio.run(drive())
    store.close()
    session = sessions[0]
    print(CHILD_MARK + json.dumps({"first_card_wall": first_card_wall[0], "latencies": app.latencies,
                                   "cpu": session_screens[0].rate_cpu,
                                   "hits": session.fetch_ahead_hits, "rss": rss,
                                   "corrections": session.fetch_ahead_corrections}), flush=True)


def _compile_package() -> None:
    """Byte-compile flashtrain first, as `pip install` does: with PYTHONDONTWRITEBYTECODE set (as in
    some sandboxes and containers) every run would otherwise compile ~50 modules from source, which
    an installed flashtrain never does."""
    import compileall

    import flashtrain

    compileall.compile_dir(str(Path(flashtrain.__file__).parent), quiet=1)


def _rss(data: dict, ratings: int) -> float | None:
    value = (data.get("rss") or {}).get(str(ratings))
    return None if value is None else round(float(value), 1)


def _percentile(seconds: list[float] | None, q: float) -> float | None:
    if not seconds:
        return None
    ordered = sorted(seconds)
    return round(ordered[int(q * (len(ordered) - 1))] * 1000, 1)


def run(args: argparse.Namespace) -> int:
    import os
    import statistics
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="flashtrain-tui-bench-") as tmp:
        db = Path(args.keep) if args.keep else Path(tmp) / "bench.db"
        build_seconds = None
        if not db.exists():
            start = time.perf_counter()
            build_store(db, args.cards, args.reviews)
            build_seconds = time.perf_counter() - start
        _compile_package()
        env = dict(os.environ)
        code = f"from flashtrain.bench.tui_bench import child_main; child_main({str(db)!r}, {args.ratings})"
        spawn_wall = time.time()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=900)
        lines = [line for line in done.stdout.splitlines() if line.startswith(CHILD_MARK)]
        if done.returncode != 0 or not lines:
            print(f"benchmark child failed (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
            return 1
        data = json.loads(lines[-1][len(CHILD_MARK):])
    latencies_ms = sorted(x * 1000 for x in data["latencies"])
    first_card = data["first_card_wall"] - spawn_wall
    figures = {
        "cards": args.cards, "reviews": args.reviews,
        "store_build_seconds": None if build_seconds is None else round(build_seconds, 1),
        "first_card_seconds": round(first_card, 3),
        "ratings_timed": len(latencies_ms),
        "answered_from_prefetch": data.get("hits"), "prefetch_corrected": data.get("corrections"),
        "rating_to_next_card_ms_p50": round(statistics.median(latencies_ms), 1) if latencies_ms else None,
        "rating_to_next_card_ms_p95": round(latencies_ms[int(0.95 * (len(latencies_ms) - 1))], 1)
        if latencies_ms else None,
        "ui_thread_cpu_ms_p50": _percentile(data.get("cpu"), 0.5),
        "ui_thread_cpu_ms_p95": _percentile(data.get("cpu"), 0.95),
        "rss_mib_after_50": _rss(data, RSS_EARLY), "rss_mib_after_500": _rss(data, RSS_LATE),
        "targets": {"first_card_seconds": 1.0, "rating_to_next_card_ms_p95": 30, "rss_growth_mib_50_to_500": 10},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        built = "" if build_seconds is None else f" (built in {build_seconds:.1f} s)"
        print(f"store: {args.cards:,} cards, {args.reviews:,} reviews{built}")
        print(f"first card on screen: {first_card:.3f} s from process start (target <= 1.0 s)")
        print(f"rating -> next card: p50 {figures['rating_to_next_card_ms_p50']} ms, "
              f"p95 {figures['rating_to_next_card_ms_p95']} ms over {len(latencies_ms)} ratings "
              "(target p95 <= 30 ms; timed until the new card's text is painted)")
        print(f"  of which the app's own work (UI-thread CPU time: no wait for a busy machine, the frame or the disk): "
              f"p50 {figures['ui_thread_cpu_ms_p50']} ms, p95 {figures['ui_thread_cpu_ms_p95']} ms")
        early, late = figures["rss_mib_after_50"], figures["rss_mib_after_500"]
        if early is not None and late is not None:
            print(f"memory (RSS): {early:.1f} MiB after {RSS_EARLY} ratings, {late:.1f} MiB after {RSS_LATE} "
                  f"(growth {late - early:+.1f} MiB; target within 10 MiB)")
        else:
            print(f"memory (RSS): {early if early is None else f'{early:.1f} MiB'} after {RSS_EARLY} ratings; "
                  f"run with --ratings {RSS_LATE} or more for the figure after {RSS_LATE}")
        print(f"  {data.get('hits')} of them shown from the card fetched while the previous one was on screen; "
              f"{data.get('corrections')} corrected afterwards because the queue had changed")
    return 0
