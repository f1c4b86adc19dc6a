"""Small pure formatting helpers shared by the screens (no Textual imports)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flashtrain.timetext import interval_text


def short_interval(delta: timedelta) -> str:
    """'<1m', '10m', '3h', '4d', '2.5mo', '1.3y': how long until a card comes back."""
    return interval_text(delta, short=True)


def relative_due(due: datetime | None, now: datetime) -> str:
    """'new', 'now', 'in 3d', '2d ago' for a browse table cell."""
    if due is None:
        return "new"
    delta = due - now
    if abs(delta.total_seconds()) < 60:
        return "now"
    if delta.total_seconds() > 0:
        return f"in {short_interval(delta)}"
    return f"{short_interval(-delta)} ago"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def duration_text(ms: int | float) -> str:
    seconds = int(ms // 1000)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"
