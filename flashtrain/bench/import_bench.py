"""`flashtrain bench import`: Markdown import as a user runs it, beside issue 14's and 15's goals.

Each figure times a real `flashtrain import` process (what a person waits for, start to exit) and
reads its peak memory and CPU time from the kernel (wait4), so a busy machine shows up as wall time
above CPU time instead of hiding in the figures:
- first import of a generated deck of N cards: cards/s (wall and per CPU second), peak RSS;
- `flashtrain import` of the unchanged file again (several runs: best and median);
- while the first import runs, another process takes the store's write lock every 50 ms, as a
  rating does (BEGIN IMMEDIATE), and the longest wait is printed (issue 15: a rating waits for one
  import batch, not for the whole import); then the same probe beside a child that only burns CPU,
  for the share of a wait that is the machine's load alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from flashtrain.cli import common

GOAL_CARDS_PER_SECOND = 25_000
GOAL_PEAK_MIB_AT_100K = 200
GOAL_UNCHANGED_SECONDS = 0.1
GOAL_RATING_WAIT_SECONDS = 1.0
CARDS_PER_FILE = 250_000  # a larger deck is written as several files in one folder
PROBE_EVERY = 0.05


def register(bench_sub: argparse._SubParsersAction) -> None:
    from flashtrain.bench.sizes import count

    parser = bench_sub.add_parser("import", help="time importing a generated Markdown deck (default 10,000 cards)")
    parser.add_argument("--cards", type=count, default=10_000, help="cards in the generated deck (10k, 100k, 1M)")
    parser.add_argument("--runs", type=int, default=5, help="runs of the unchanged re-import")
    parser.add_argument("--anki", type=int, metavar="N",
                        help="instead, time importing a generated Anki package of N notes with their reviews")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def generate_deck(n_cards: int, first: int = 0) -> str:
    """A realistic deck: math, lists, code fences, tags, hints and ids in a fixed mix."""
    parts = ["---\nname: Benchmark deck\ndescription: Generated for `flashtrain bench import`.\n"
             "tags: [bench]\n---\n"]
    for i in range(first, first + n_cards):
        answer = f"The value is $\\beta_{{{i % 7}}} = {i / 7:.4f}$ because of rule {i}."
        if i % 5 == 0:
            answer += f"\n\n- first point {i}\n- second point with $x^{{{i % 3}}}$"
        if i % 11 == 0:
            answer += f"\n\n```python\nx = {i}\nprint(x ** 2)\n```"
        fields = [f"tags: topic-{i % 13}, level-{i % 3}"]
        if i % 2 == 0:
            fields.append(f"id: bench-card-{i}")
        if i % 4 == 0:
            fields.append(f"hint: think about rule {i}")
        parts.append(f"Q: What is quantity number {i} in the generated benchmark deck?\nA: {answer}\n\n"
                     + "\n".join(fields) + "\n\n---\n")
    return "\n".join(parts)


def write_decks(folder: Path, n_cards: int) -> Path:
    """One file, or a folder of files of at most CARDS_PER_FILE cards; returns what to import."""
    if n_cards <= CARDS_PER_FILE:
        path = folder / "bench.md"
        path.write_text(generate_deck(n_cards), encoding="utf-8")
        return path
    decks = folder / "decks"
    decks.mkdir()
    for number, first in enumerate(range(0, n_cards, CARDS_PER_FILE)):
        text = generate_deck(min(CARDS_PER_FILE, n_cards - first), first).replace(
            "name: Benchmark deck", f"name: Benchmark deck {number + 1}")
        (decks / f"bench-{number + 1:02d}.md").write_text(text, encoding="utf-8")
    return decks


def _run_child(args: list[str], env: dict) -> dict:
    """Run a command; its wall time, and its CPU time and peak RSS as the kernel counted them (wait4)."""
    import subprocess
    import threading

    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    outputs: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda name=name, stream=stream: outputs.__setitem__(name, stream.read()))
               for name, stream in (("out", child.stdout), ("err", child.stderr))]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    for reader in readers:
        reader.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024,
            "rc": child.returncode, "out": outputs["out"].decode(errors="replace"),
            "err": outputs["err"].decode(errors="replace")}


def start_lock_probe(db: Path):
    """A thread that takes the store's write lock every PROBE_EVERY seconds, as a rating would, and
    records how long each attempt waited; it writes nothing. Returns (stop event, thread, waits)."""
    import sqlite3
    import threading

    waits: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        while not db.exists() and not stop.is_set():
            time.sleep(PROBE_EVERY)
        connection = sqlite3.connect(db, timeout=120, isolation_level=None)
        try:
            while not stop.wait(PROBE_EVERY):
                start = time.perf_counter()
                try:
                    connection.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError:  # the store is being created or migrated
                    continue
                waits.append(time.perf_counter() - start)
                connection.execute("ROLLBACK")
        finally:
            connection.close()

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    return stop, thread, waits


def run(args: argparse.Namespace) -> int:
    if args.anki:
        from flashtrain.bench import anki_import_bench

        figures = anki_import_bench.run(args.anki)
        common.print_json(figures) if args.json else anki_import_bench.print_figures(figures)
        return 0
    import statistics
    import tempfile

    with tempfile.TemporaryDirectory(prefix="flashtrain-bench-") as tmp:
        folder = Path(tmp)
        target = write_decks(folder, args.cards)
        db = folder / "bench.db"
        env = dict(os.environ, FLASHTRAIN_DB=str(db), XDG_DATA_HOME=str(folder / "data"),
                   FLASHTRAIN_STATE_DIR=str(folder / "state"))
        # As installed by pip: modules compiled once (the set-up command writes the .pyc files).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = [sys.executable, "-m", "flashtrain", "import", str(target)]
        # The store and its bundled decks first, so the timed import is the deck's alone.
        prepared = _run_child([sys.executable, "-m", "flashtrain", "decks"], env)
        if prepared["rc"] != 0:
            print(f"benchmark set-up failed: {prepared['err']}")
            return 1
        stop, probe, waits = start_lock_probe(db)
        first = _run_child(command, env)
        stop.set()
        probe.join()
        # The same probe while a child only burns CPU: what a busy machine alone adds to a wait.
        stop, probe, control = start_lock_probe(db)
        _run_child([sys.executable, "-c", f"import time\nend = time.process_time() + {min(first['cpu'], 5.0)!r}\n"
                    "while time.process_time() < end: pass"], env)
        stop.set()
        probe.join()
        again = [_run_child(command, env) for _ in range(max(1, args.runs))]
    failed = [r for r in [first, *again] if r["rc"] != 0]
    if failed or "(file unchanged, skipped)" not in again[0]["out"]:
        print(f"benchmark import went wrong: {(failed or again)[0]['err'] or again[0]['out']}")
        return 1
    unchanged = sorted(r["wall"] for r in again)
    figures = {
        "cards": args.cards,
        "files": 1 if args.cards <= CARDS_PER_FILE else -(-args.cards // CARDS_PER_FILE),
        "first_import_seconds": round(first["wall"], 3),
        "first_import_cpu_seconds": round(first["cpu"], 3),
        "first_import_cards_per_second": round(args.cards / first["wall"]),
        "first_import_cards_per_cpu_second": round(args.cards / first["cpu"]),
        "first_import_peak_rss_mib": round(first["peak_mib"], 1),
        "unchanged_import_seconds_best": round(unchanged[0], 4),
        "unchanged_import_seconds_median": round(statistics.median(unchanged), 4),
        "unchanged_import_cpu_seconds_best": round(min(r["cpu"] for r in again), 4),
        "rating_lock_waits": len(waits),
        "rating_lock_wait_max_seconds": round(max(waits, default=0.0), 3),
        "rating_lock_wait_p95_seconds": round(_percentile(waits, 0.95), 3),
        "control_lock_waits": len(control),
        "control_lock_wait_max_seconds": round(max(control, default=0.0), 3),
    }
    if args.json:
        common.print_json(figures)
    else:
        print_figures(figures)
    return 0


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def print_figures(f: dict) -> None:
    def mark(ok: bool) -> str:
        return "meets goal" if ok else "MISSES goal"

    files = f" in {f['files']} files" if f["files"] > 1 else ""
    print(f"Markdown import of {f['cards']:,} generated cards{files} (`flashtrain import`, process start to exit)")
    print(f"  first import:        {f['first_import_cards_per_second']:>9,} cards/s wall  "
          f"({f['first_import_seconds']:.2f} s; goal >= {GOAL_CARDS_PER_SECOND:,}: "
          f"{mark(f['first_import_cards_per_second'] >= GOAL_CARDS_PER_SECOND)})")
    print(f"                       {f['first_import_cards_per_cpu_second']:>9,} cards per CPU second "
          f"({f['first_import_cpu_seconds']:.2f} s CPU; wall above CPU = a busy machine)")
    peak_goal = f"goal <= {GOAL_PEAK_MIB_AT_100K} MiB at 100,000 cards"
    at_goal_size = f["cards"] <= 100_000 and f["files"] == 1
    verdict = mark(f["first_import_peak_rss_mib"] <= GOAL_PEAK_MIB_AT_100K) if at_goal_size else "goal is for 100k"
    print(f"  peak memory (RSS):   {f['first_import_peak_rss_mib']:>9.1f} MiB  ({peak_goal}: {verdict})")
    print(f"  unchanged re-import: {f['unchanged_import_seconds_best']:>9.3f} s best, "
          f"{f['unchanged_import_seconds_median']:.3f} s median, {f['unchanged_import_cpu_seconds_best']:.3f} s CPU "
          f"(goal <= {GOAL_UNCHANGED_SECONDS} s: {mark(f['unchanged_import_seconds_best'] <= GOAL_UNCHANGED_SECONDS)})")
    print(f"  a rating's wait for the write lock during the first import: "
          f"{f['rating_lock_wait_max_seconds']:.3f} s longest, {f['rating_lock_wait_p95_seconds']:.3f} s p95 "
          f"over {f['rating_lock_waits']} tries (goal well under {GOAL_RATING_WAIT_SECONDS:.0f} s: "
          f"{mark(f['rating_lock_wait_max_seconds'] < GOAL_RATING_WAIT_SECONDS)})")
    print(f"  the same probe while a child only burns CPU (no import): {f['control_lock_wait_max_seconds']:.3f} s "
          f"longest over {f['control_lock_waits']} tries (what the machine's load alone adds)")
