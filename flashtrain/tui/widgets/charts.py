"""Text charts for the stats screen (pure functions returning markup; colours come from the theme)."""

from __future__ import annotations

from datetime import date, timedelta

SHADES = " ░▒▓█"
BARS = " ▁▂▃▄▅▆▇█"
WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")


def heatmap_lines(counts: dict[date, int], today: date, weeks: int) -> list[str]:
    """GitHub-style calendar: one column per week, one row per weekday, shade by review count."""
    last_monday = today - timedelta(days=today.weekday())
    first_monday = last_monday - timedelta(weeks=weeks - 1)
    top = max(counts.values(), default=0)
    lines = []
    month_row = [" "] * weeks
    for week in range(weeks):
        monday = first_monday + timedelta(weeks=week)
        if monday.day <= 7 and week + 3 <= weeks:
            label = monday.strftime("%b")
            for i, ch in enumerate(label):
                if week + i < weeks:
                    month_row[week + i] = ch
    lines.append("    " + "".join(month_row))
    for weekday in range(7):
        cells = []
        for week in range(weeks):
            day = first_monday + timedelta(weeks=week, days=weekday)
            if day > today:
                cells.append(" ")
                continue
            n = counts.get(day, 0)
            if n == 0:
                cells.append("[dim]·[/dim]")
            else:
                level = 1 + min(int(3 * n / top), 3) if top else 1
                cells.append(SHADES[min(level, 4)])
        lines.append(f"{WEEKDAYS[weekday]:<4}" + "".join(cells))
    lines.append("    less " + " ".join(SHADES[1:]) + " more")
    return lines


def bar_chart_lines(values: list[int], height: int = 5) -> list[str]:
    """Vertical bars, one column per value (two characters wide), with a scale on the left."""
    top = max(values, default=0)
    if top == 0:
        return ["(nothing due)"]
    rows = []
    for level in range(height, 0, -1):
        row = []
        for v in values:
            filled = v / top * height
            if filled >= level:
                row.append("█")
            elif filled > level - 1:
                row.append(BARS[max(1, int((filled - (level - 1)) * 8))])
            else:
                row.append(" ")
        label = str(top) if level == height else ""
        rows.append(f"{label:>5} " + " ".join(row))
    ticks = "".join(f"{i:<2}" if i % 5 == 0 else "  " for i in range(len(values)))
    rows.append("      " + ticks.rstrip())
    return rows


def meter(share: float, width: int = 20) -> str:
    filled = round(max(0.0, min(share, 1.0)) * width)
    return "█" * filled + "[dim]" + "░" * (width - filled) + "[/dim]"
