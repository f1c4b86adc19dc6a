"""How long until a card comes back, in words (shared by the app and plain mode; no Textual)."""

from __future__ import annotations

import math
from datetime import timedelta

_LONG = {"m": " min", "h": " h", "d": " days", "mo": " mo", "y": " y"}


def interval_text(delta: timedelta, short: bool = False) -> str:
    """'<1 min', '10 min', '5 h', '2 days', '4 mo', '1.2 y' (short: '<1m', '10m', '5h', '2d', ...).

    Day-scale waits count the study days the card skips: due times sit on the day boundary, so a
    two-day interval rated at 2 am (26 h) or at noon (40 h) both read "2 days".
    """
    seconds = delta.total_seconds()
    if seconds < 60:
        number, unit = None, "m"
    elif seconds < 3600:
        number, unit = str(round(seconds / 60)), "m"
    elif seconds < 20 * 3600:
        number, unit = str(round(seconds / 3600)), "h"
    else:
        days = math.ceil(seconds / 86400 - 1e-9)
        if days < 31:
            number, unit = str(days), "d"
        elif days < 365:
            months = days / 30.44
            number, unit = (f"{months:.1f}" if months < 10 else str(round(months))), "mo"
        else:
            number, unit = f"{days / 365.25:.1f}", "y"
    if number is None:
        return "<1m" if short else "<1 min"
    if short:
        return number + unit
    if unit == "d" and number == "1":
        return "1 day"
    return number + _LONG[unit]


def preview_texts(waits: dict[int, timedelta], short: bool = False) -> dict[int, str]:
    """The rating bar's intervals: `interval_text` for each rating, except that two neighbouring
    ratings never read the same. The scheduler gives them different due days (scheduler.core,
    "Adjacent ratings"); where rounding to months or years would hide that ("1.3mo" twice), both
    are written in days."""
    texts = {rating: interval_text(wait, short) for rating, wait in waits.items()}
    ratings = sorted(waits)
    for lower, higher in zip(ratings, ratings[1:]):
        if texts[lower] == texts[higher] and waits[lower] != waits[higher]:
            for rating in (lower, higher):
                days = math.ceil(waits[rating].total_seconds() / 86400 - 1e-9)
                texts[rating] = f"{days}d" if short else f"{days} days"
    return texts
