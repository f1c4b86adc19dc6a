"""flashtrain.services.stats against a temporary store with known reviews and attempts."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from flashtrain.services.stats import DayClock, collect, streaks
from flashtrain.store.models import Card

from tui_fixtures import NOW, add_attempts, add_reviews

pytestmark = pytest.mark.both_dialects  # these tests also run on PostgreSQL (tests/conftest.py)

UTC = timezone.utc


def card_ids(store):
    with store.sessions() as s:
        return {c.question: c.id for c in s.scalars(select(Card))}


def test_stats_with_data(filled_store):
    ids = card_ids(filled_store)
    adam, bias, dropout = ids["What does $\\beta_1$ control in Adam?"], ids["Why bias correction?"], \
        ids["What does dropout do?"]
    rows = []
    for days_ago in (0, 1, 2, 4):  # streak of 3 ending today, a gap, then one more day
        rows.append((adam, NOW - timedelta(days=days_ago), 4, 3.0, 10_000, "review"))
    rows.append((bias, NOW - timedelta(hours=1), 1, 3.5, 5_000, "review"))  # a lapse, 1-7 day range
    rows.append((dropout, NOW - timedelta(days=1), 5, 40.0, 2_000, "review"))  # 1-3 months range
    rows.append((dropout, NOW - timedelta(days=1), 3, 0.01, 1_000, "learning"))  # learning: not in retention
    add_reviews(filled_store, rows)
    # a cram session: logged as such, and left out of the heatmap, the counts, the streak and retention
    add_reviews(filled_store, [(adam, NOW - timedelta(days=d, minutes=5), 1, 0.5, 3_000, "review") for d in (0, 3, 3)],
                origin="cram")
    add_attempts(filled_store, [(None, "ewa", "pass"), (None, "ewa", "fail"), (None, "adam_update", "pass")])
    stats = collect(filled_store, now=NOW, day_start_hour=0, tz=UTC)

    assert stats.today == date(2026, 3, 10)
    assert stats.heatmap[date(2026, 3, 10)] == 2
    assert stats.heatmap[date(2026, 3, 9)] == 3
    assert stats.streak == 3 and stats.longest_streak == 3
    assert date(2026, 3, 7) not in stats.heatmap  # only crammed that day
    assert stats.reviews_total == 7 and stats.reviews_today == 2
    assert stats.cram_total == 3
    assert stats.time_total_ms == 10_000 * 4 + 5_000 + 2_000 + 1_000 + 3 * 3_000  # time spent is time spent
    assert stats.time_today_ms == 15_000 + 3_000

    by_label = {r.label: r for r in stats.retention}
    assert (by_label["1-7 days"].reviews, by_label["1-7 days"].recalled) == (5, 4)
    assert by_label["1-3 months"].retention == 1.0
    assert by_label["< 1 day"].reviews == 0

    mastery = {m.deck_name: m for m in stats.mastery}
    # Optimizers: 6 active cards; last ratings 4 (adam), 4 (suspended card) -> 2 mastered
    assert (mastery["Optimizers"].cards, mastery["Optimizers"].mastered) == (6, 2)
    assert mastery["Regularization"].share == 1.0

    # forecast: overdue cards count today; the bias card is due in 3 days; dropout in 20
    assert stats.forecast[0] == 2  # adam (-1d) and the leech (-2d); the suspended card is left out
    assert stats.forecast[3] == 1 and stats.forecast[20] == 1 and sum(stats.forecast) == 4

    rates = {s.snippet_id: s for s in stats.snippets}
    assert rates["ewa"].pass_rate == 0.5 and rates["adam_update"].attempts == 1


def test_empty_store_has_zero_stats(store_target):
    from flashtrain.store.engine import open_store

    store = open_store(store_target("e"))
    stats = collect(store, now=NOW)
    assert stats.heatmap == {} and stats.streak == 0 and sum(stats.forecast) == 0 and stats.snippets == []
    store.close()


def test_streak_survives_today_without_reviews():
    today = date(2026, 3, 10)
    days = {today - timedelta(days=1), today - timedelta(days=2), today - timedelta(days=5)}
    assert streaks(days, today) == (2, 2)
    assert streaks(set(), today) == (0, 0)


def test_day_clock_respects_day_start():
    clock = DayClock.make(datetime(2026, 3, 10, 12, tzinfo=UTC), day_start_hour=4, tz=UTC)
    assert clock.day(datetime(2026, 3, 10, 3, 59, tzinfo=UTC)) == date(2026, 3, 9)
    assert clock.day(datetime(2026, 3, 10, 4, 0, tzinfo=UTC)) == date(2026, 3, 10)
