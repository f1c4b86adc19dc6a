"""`flashtrain bench import --anki N`: cards/s and reviews/s importing an Anki package of N notes.

The package is generated with our own exporter (legacy layout, the one AnkiDroid and AnkiMobile
export too): N Basic-style notes with HTML, MathJax and tags, each with REVIEWS_PER_CARD reviews
spread over a year, so the figures cover reading, converting, inserting and replaying history.
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REVIEWS_PER_CARD = 10


def generate_package(n_notes: int, out: Path) -> int:
    from flashtrain.deck.anki.export import BASIC, ExportCard, ExportReview, write_apkg

    start = datetime(2025, 1, 1, 9, tzinfo=timezone.utc)
    cards = []
    for i in range(n_notes):
        reviews = []
        when = start + timedelta(minutes=i % 600)
        gap = timedelta(days=1)
        for r in range(REVIEWS_PER_CARD):
            rating = 1 if (i + r) % 9 == 0 else 4 if r % 3 else 5
            reviews.append(ExportReview(when, rating, 3000 + (i * 37 + r) % 9000, "review" if r else "new", None, gap))
            when += gap
            gap = gap * 2 if rating > 1 else timedelta(days=1)
        cards.append(ExportCard(deck=f"Bench::Part {i % 5}", key=f"id:bench-{i}", kind="basic", cloze_index=0,
                                question=f"What is quantity **{i}** with $x_{{{i % 7}}}$?",
                                answer=f"It is {i / 7:.3f}, see rule {i}.", tags=(f"topic-{i % 13}",),
                                reviews=reviews))
    write_apkg(cards, {}, out, start + timedelta(days=400), notetype_names={BASIC: "Basic"})
    return n_notes * REVIEWS_PER_CARD


def run(n_notes: int) -> dict:
    from flashtrain.store.engine import open_store
    from flashtrain.services.anki_import import import_anki_file

    with tempfile.TemporaryDirectory(prefix="flashtrain-bench-anki-") as tmp:
        package = Path(tmp) / "bench.apkg"
        n_reviews = generate_package(n_notes, package)
        store = open_store(Path(tmp) / "bench.db")
        started, cpu_started = time.perf_counter(), time.process_time()
        reports = import_anki_file(store, package)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        started = time.perf_counter()
        again = import_anki_file(store, package)
        again_seconds = time.perf_counter() - started
        store.close()
    added = sum(r.added for r in reports)
    reviews = sum(r.reviews_added for r in reports)
    if added != n_notes or reviews != n_reviews or [r.status for r in again] != ["unchanged"]:
        raise RuntimeError(f"benchmark import went wrong: {added} cards, {reviews} reviews "
                           f"(expected {n_notes}, {n_reviews})")
    return {"notes": n_notes, "reviews": n_reviews, "seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds, 3),
            "cards_per_second": round(n_notes / seconds), "reviews_per_second": round(n_reviews / seconds),
            "cards_per_cpu_second": round(n_notes / cpu_seconds),
            "reviews_per_cpu_second": round(n_reviews / cpu_seconds),
            "reimport_seconds": round(again_seconds, 3)}


def print_figures(figures: dict) -> None:
    print(f"Anki package of {figures['notes']:,} notes and {figures['reviews']:,} reviews "
          f"imported in {figures['seconds']:.3f} s")
    print(f"cards:   {figures['cards_per_second']:>9,} cards/s   (target >= 5,000)")
    print(f"reviews: {figures['reviews_per_second']:>9,} reviews/s (target >= 50,000)")
    # On a shared machine the wall clock includes waiting for a core; the process's own CPU time
    # (and the disk's commit) is what an idle machine would take.
    print(f"CPU time {figures['cpu_seconds']:.3f} s: {figures['cards_per_cpu_second']:,} cards/s, "
          f"{figures['reviews_per_cpu_second']:,} reviews/s per CPU second")
    print(f"re-import of the same package (unchanged, skipped): {figures['reimport_seconds']:.3f} s")
