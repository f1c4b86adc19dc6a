"""`flashtrain bench import`: first-import and unchanged re-import speed of a 10,000-card deck."""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from flashtrain.cli import common


def register(bench_sub: argparse._SubParsersAction) -> None:
    parser = bench_sub.add_parser("import", help="time importing a generated 10,000-card deck")
    parser.add_argument("--cards", type=int, default=10_000, help="cards in the generated deck")
    parser.add_argument("--anki", type=int, metavar="N",
                        help="instead, time importing a generated Anki package of N notes with their reviews")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def generate_deck(n_cards: int) -> str:
    """A realistic deck: math, lists, code fences, tags, hints and ids in a fixed mix."""
    parts = ["---\nname: Benchmark deck\ndescription: Generated for `flashtrain bench import`.\n"
             "tags: [bench]\n---\n"]
    for i in range(n_cards):
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


def run(args: argparse.Namespace) -> int:
    if args.anki:
        from flashtrain.bench import anki_import_bench

        figures = anki_import_bench.run(args.anki)
        common.print_json(figures) if args.json else anki_import_bench.print_figures(figures)
        return 0
    from flashtrain.store.engine import open_store
    from flashtrain.services.imports import import_file

    with tempfile.TemporaryDirectory(prefix="flashtrain-bench-") as tmp:
        deck_path = Path(tmp) / "bench.md"
        deck_path.write_text(generate_deck(args.cards), encoding="utf-8")
        store = open_store(Path(tmp) / "bench.db")
        start = time.perf_counter()
        first = import_file(store, deck_path)
        first_seconds = time.perf_counter() - start
        start = time.perf_counter()
        again = import_file(store, deck_path)
        again_seconds = time.perf_counter() - start
        store.close()
    if first.status != "imported" or first.added != args.cards or again.status != "unchanged":
        print(f"benchmark import went wrong: {first.to_dict()} / {again.to_dict()}")
        return 1
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "cards": args.cards,
        "first_import_seconds": round(first_seconds, 3),
        "first_import_cards_per_second": round(args.cards / first_seconds),
        "unchanged_reimport_seconds": round(again_seconds, 4),
        "unchanged_reimport_cards_per_second": round(args.cards / again_seconds),
        "peak_rss_mib": round(peak_mib, 1),
    }
    if args.json:
        common.print_json(figures)
    else:
        print(f"first import:        {figures['first_import_cards_per_second']:>9,} cards/s "
              f"({first_seconds:.3f} s for {args.cards:,} cards; target >= 5,000 cards/s)")
        print(f"unchanged re-import: {figures['unchanged_reimport_cards_per_second']:>9,} cards/s "
              f"({again_seconds:.4f} s; target < 0.3 s)")
        print(f"peak memory (RSS):   {peak_mib:>9.1f} MiB")
    return 0
