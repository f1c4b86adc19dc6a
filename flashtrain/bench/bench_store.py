"""The generated SQLite stores `bench tui` and `bench study` run on, built by SQL and kept between runs.

A store of N cards and M reviews is generated inside SQLite (recursive CTEs, secondary indexes
dropped during the load and rebuilt after): 1M cards / 9.6M reviews take a minute or two, not the
quarter of an hour row-by-row inserts would. It is kept in the user cache folder under a name
that holds the sizes, the generator's version and the schema revision, so the next run (or the
other bench) reuses it; benches that rate copy it first.

What is in it (deterministic, from a hash of the card id, not random()): 100 decks; every tenth card
the reversed twin of the one before (siblings); 0.5 % suspended; 80 % of the cards studied, of
which 2 % are in a learning step due within the hour and the rest in review with stabilities of
1 to 200 days and about 14 % due today; the rest new, in import order; M review-log rows spread
over the studied cards.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

GENERATOR_VERSION = 1
N_DECKS = 100


def default_reviews(cards: int) -> int:
    """The issue's sizes: 10 reviews a card (100k / 1M), 9.6 at a million cards (1M / 9.6M)."""
    return cards * 96 // 10 if cards >= 1_000_000 else cards * 10


def cache_dir() -> Path:
    override = os.environ.get("FLASHTRAIN_BENCH_CACHE")
    if override:
        return Path(override)
    import platformdirs

    return platformdirs.user_cache_path("flashtrain", appauthor=False) / "bench"


def cached_store(cards: int, reviews: int, say=print) -> tuple[Path, float | None]:
    """The generated store of this size (built now if not cached); returns (path, seconds to build or None)."""
    from flashtrain.store.migrate import HEAD_REVISION

    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"store-{cards}-cards-{reviews}-reviews-g{GENERATOR_VERSION}-r{HEAD_REVISION}.db"
    if path.exists():
        return path, None
    say(f"generating a store of {cards:,} cards and {reviews:,} reviews in {folder} (kept for later runs)…")
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    for leftover in folder.glob(partial.name + "*"):
        leftover.unlink()
    build(partial, cards, reviews, datetime.now(timezone.utc))
    partial.rename(path)
    return path, time.perf_counter() - started


def copy_of(path: Path, folder: str | Path) -> Path:
    """A copy to rate on (the cached store stays as generated)."""
    target = Path(folder) / "bench.db"
    shutil.copyfile(path, target)
    return target


def build(path: Path, cards: int, reviews: int, now: datetime) -> None:
    """Schema through the real migrations, rows through SQL; the generated day is `now`'s."""
    from flashtrain.store.engine import open_store

    open_store(path).close()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        _fill(connection, cards, reviews, now)
    finally:
        connection.close()  # the last connection: the WAL is checkpointed into the file


def _fill(connection: sqlite3.Connection, cards: int, reviews: int, now: datetime) -> None:
    run = connection.execute
    run("PRAGMA journal_mode=OFF")  # a file being generated: no journal, no WAL (a crash leaves a .partial)
    run("PRAGMA synchronous=OFF")
    run("PRAGMA cache_size=-400000")  # 400 MB
    indexes = run("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                  " AND tbl_name IN ('cards', 'card_states', 'review_log') AND name NOT LIKE 'uq_%'").fetchall()
    for name, _ in indexes:
        run(f"DROP INDEX {name}")
    studied = int(cards * 0.8)
    per_card = max(reviews // max(studied, 1), 1)
    params = {"now": now.strftime("%Y-%m-%d %H:%M:%S"), "cards": cards, "studied": studied, "decks": N_DECKS,
              "per_card": per_card, "per_deck": max(cards // N_DECKS, 1)}
    # u(i, salt): a uniform number in [0, 1) from the card id, the same on every machine
    u = "((({i} * 2654435761 + {salt} * 40503) % 1000003) / 1000003.0)"
    stamp = "strftime('%Y-%m-%d %H:%M:%f', {moment}) || '000'"  # the stored text form, microseconds
    seq = "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n})"
    run("BEGIN")
    run(f"{seq.format(n=':decks')} INSERT INTO decks (id, name, description, tags, origin, trusted, created_at)"
        " SELECT i, printf('Bench deck %03d', i), 'generated', '[]', 'imported', 0, :now FROM seq", params)
    question = ("'Bench question ' || i || ': what is $\\beta_{' || (i % 7) || '}$ for rule ' || i || '?'"
                " || char(10) || char(10) || 'Consider the update $v_t = \\beta v_{t-1} + (1-\\beta)\\theta_t$.'")
    answer = ("'The answer is **' || printf('%.3f', i / 7.0) || '**.' || char(10) || char(10)"
              " || '```python' || char(10) || 'x = ' || i || char(10) || 'print(x ** 2)' || char(10) || '```'")
    twin = "i % 10 = 0"  # the reversed twin of card i - 1: same note key + '#r', same deck
    deck = "min((CASE WHEN " + twin + " THEN i - 1 ELSE i END - 1) / :per_deck, :decks - 1) + 1"
    run(f"{seq.format(n=':cards')} INSERT INTO cards (id, deck_id, source_id, source_line, key, kind, cloze_index,"
        " explicit_id, question, answer, tags, hints, snippet_id, content_hash, created_at, updated_at, retired_at,"
        " suspended, buried_until, flagged)"
        f" SELECT i, {deck}, NULL, i, CASE WHEN {twin} THEN 'q:bench' || (i - 1) || '#r' ELSE 'q:bench' || i END,"
        f" CASE WHEN {twin} THEN 'reversed' ELSE 'basic' END, 0, NULL, {question}, {answer},"
        " '[\"topic-' || (i % 13) || '\"]', '[]', NULL, 'h' || i, :now, :now, NULL, i % 200 = 7, NULL, 0 FROM seq",
        params)
    stability = f"exp({u.format(i='i', salt=1)} * 5.3)"  # 1 to 200 days
    last = stamp.format(moment=f"julianday(:now) - 0.5 - {u.format(i='i', salt=2)} * 60")
    learning = f"{u.format(i='i', salt=3)} < 0.02"
    due = stamp.format(moment=f"julianday(:now) + CASE WHEN {learning}"
                              f" THEN {u.format(i='i', salt=4)} / 24.0 - 0.01"
                              f" ELSE {u.format(i='i', salt=4)} * 61 - 8 END")
    run(f"{seq.format(n=':studied')} INSERT INTO card_states (card_id, phase, stability, difficulty, due,"
        " last_review, reps, lapses, step, last_rating)"
        f" SELECT i, CASE WHEN {learning} THEN 'learning' ELSE 'review' END, {stability},"
        f" 2 + 7 * {u.format(i='i', salt=5)}, {due}, {last}, :per_card, CAST({u.format(i='i', salt=6)} * 3 AS INTEGER),"
        f" 0, 3 + CAST({u.format(i='i', salt=7)} * 3 AS INTEGER) FROM seq", params)
    reviewed = stamp.format(moment=f"julianday(cs.last_review) - (:per_card - k.i) * (1 + 29 * {u.format(i='cs.card_id + k.i', salt=8)})")
    run(f"{seq.format(n=':per_card').replace('seq(i)', 'k(i)').replace('FROM seq', 'FROM k')}"
        " INSERT INTO review_log (card_id, reviewed_at, rating, elapsed_days, duration_ms, state_before,"
        " state_after, origin)"
        f" SELECT cs.card_id, {reviewed}, 1 + CAST({u.format(i='cs.card_id * 31 + k.i', salt=9)} * 5 AS INTEGER),"
        f" 30 * {u.format(i='cs.card_id + k.i', salt=10)}, 2000 + CAST({u.format(i='k.i + cs.card_id', salt=11)}"
        " * 18000 AS INTEGER), '{\"phase\": \"review\"}', '{\"phase\": \"review\"}', 'study'"
        " FROM card_states cs CROSS JOIN k ORDER BY cs.card_id, k.i", params)
    run("COMMIT")
    for _, sql in indexes:
        run(sql)
    run("ANALYZE")
    run("PRAGMA journal_mode=WAL")  # as the app keeps its stores

