"""Wording of waits: day-scale waits count the study days skipped (due times sit on day starts)."""

from datetime import timedelta

import pytest

from flashtrain.timetext import interval_text


@pytest.mark.parametrize("delta, long, short", [
    (timedelta(seconds=20), "<1 min", "<1m"),
    (timedelta(minutes=10), "10 min", "10m"),
    (timedelta(minutes=330), "6 h", "6h"),
    (timedelta(hours=16), "16 h", "16h"),
    (timedelta(hours=22), "1 day", "1d"),       # tomorrow at 4 am, seen from 6 am
    (timedelta(days=1, hours=2), "2 days", "2d"),  # a two-day interval rated at 2 am
    (timedelta(days=1, hours=16), "2 days", "2d"),  # ... or at noon
    (timedelta(days=7), "7 days", "7d"),
    (timedelta(days=90), "3.0 mo", "3.0mo"),
    (timedelta(days=800), "2.2 y", "2.2y"),
])
def test_interval_wording(delta, long, short):
    assert interval_text(delta) == long
    assert interval_text(delta, short=True) == short
