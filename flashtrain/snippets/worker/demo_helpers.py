"""The names a demonstration's program finds predefined (cards/snippets/README.md, "Demonstrations"):
`np`, `claim(text, holds, detail="")` and `plot`, a small text plotter that prints.

Runs inside the sandboxed child (worker side): standard library + numpy only, nothing from the app.
A claim never raises, so one false claim does not hide the next ones. The worker's demo child sets
`report` to get each claim as it is made (so claims made before a timeout or crash still arrive);
`collected()` gives all of them.
"""

from __future__ import annotations

import math
import sys

import numpy as np

PROGRAM_FILE = "<demo>"  # the filename the program is compiled under: claim lines are read from it
MAX_CLAIMS = 100
MAX_TEXT = 500
DEFAULT_WIDTH = 60
MARKERS = "•x+o*#"


_collected: list[dict] = []
report = None  # set by the worker's demo child: callable(dict) that sends one claim as it is made


def claim(text, holds, detail="") -> bool:
    """Record one assertion about the card's idea; never raises, the program goes on."""
    try:
        ok = bool(holds)
    except Exception as error:  # noqa: BLE001 - e.g. the truth value of an array is ambiguous
        ok, detail = False, f"{detail} (its truth value could not be taken: {type(error).__name__}: {error})".strip()
    entry = {"text": _short(text), "holds": ok, "detail": _short(detail), "line": _caller_line()}
    if len(_collected) < MAX_CLAIMS:
        _collected.append(entry)
        if report is not None:
            report(entry)
    return ok


def collected() -> list[dict]:
    """The claims of the program started by the latest namespace(), in the order made."""
    return list(_collected)


def namespace(width: int = DEFAULT_WIDTH) -> dict:
    """A fresh global namespace for one run of a program (and no claims recorded yet)."""
    _collected.clear()
    return {"__name__": "__demo__", "np": np, "claim": claim, "plot": Plot(width)}


def _short(value) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _caller_line() -> int | None:
    """The program line of the claim() call (the innermost frame of the program's own code)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename != PROGRAM_FILE:
        frame = frame.f_back
    return frame.f_lineno if frame is not None else None


class Plot:
    """Plots drawn with characters and printed, so a plot is part of the program's output."""

    def __init__(self, width: int = DEFAULT_WIDTH) -> None:
        self.width = max(30, min(int(width), 200))

    def bars(self, labels, values, title: str = "", fmt: str = "{:.3g}") -> None:
        """One horizontal bar per label, scaled to the largest |value|."""
        labels = [str(label) for label in labels]
        values = [float(v) for v in values]
        if title:
            print(title)
        if not values:
            return
        label_width = max(len(label) for label in labels)
        texts = [fmt.format(v) for v in values]
        room = max(5, self.width - label_width - max(len(t) for t in texts) - 4)
        top = max((abs(v) for v in values if math.isfinite(v)), default=0.0) or 1.0
        for label, value, text in zip(labels, values, texts):
            n = round(room * abs(value) / top) if math.isfinite(value) else 0
            print(f"{label.rjust(label_width)} │{'█' * n}{' ' * (room - n)} {text}")

    def hist(self, values, bins: int = 10, title: str = "", range=None) -> None:  # noqa: A002 - numpy's name
        """A histogram of `values` as horizontal bars (counts)."""
        counts, edges = np.histogram(np.asarray(values, dtype=float), bins=bins, range=range)
        labels = [f"[{edges[i]:.3g}, {edges[i + 1]:.3g})" for i in builtins_range(len(counts))]
        self.bars(labels, counts, title=title, fmt="{:.0f}")

    def lines(self, series, xs=None, title: str = "", height: int = 10, logy: bool = False) -> None:
        """One or more curves on a shared grid. `series` is a sequence of y values or a dict
        {label: ys}; `xs` (optional) labels the horizontal axis from its first to its last value."""
        if not isinstance(series, dict):
            series = {"": series}
        curves = {name: np.asarray(ys, dtype=float).ravel() for name, ys in series.items()}
        if title:
            print(title)
        finite = [ys[np.isfinite(ys)] for ys in curves.values()]
        if logy:
            finite = [f[f > 0] for f in finite]
        finite = [f for f in finite if f.size]
        if not finite:
            print("(nothing to plot)")
            return
        transform = np.log10 if logy else (lambda a: a)
        low = min(float(transform(f).min()) for f in finite)
        high = max(float(transform(f).max()) for f in finite)
        if high == low:
            high, low = high + 0.5, low - 0.5
        height = max(3, min(int(height), 40))
        axis_labels = [_number(10 ** v if logy else v) for v in (high, low)]
        label_width = max(len(a) for a in axis_labels)
        cols = max(10, self.width - label_width - 2)
        grid = [[" "] * cols for _ in builtins_range(height)]
        for k, ys in enumerate(curves.values()):
            mark = MARKERS[k % len(MARKERS)]
            n = len(ys)
            for i, y in enumerate(ys):
                if not math.isfinite(y) or (logy and y <= 0):
                    continue
                col = 0 if n == 1 else round(i * (cols - 1) / (n - 1))
                row = round((high - float(transform(y))) * (height - 1) / (high - low))
                grid[row][col] = mark
        for r, row in enumerate(grid):
            label = axis_labels[0] if r == 0 else axis_labels[1] if r == height - 1 else ""
            print(f"{label.rjust(label_width)} ┤{''.join(row)}")
        print(" " * label_width + " └" + "─" * cols)
        if xs is not None and len(xs):
            left, right = _number(xs[0]), _number(xs[-1])
            print(" " * (label_width + 2) + left + right.rjust(cols - len(left)))
        named = [(MARKERS[k % len(MARKERS)], name) for k, name in enumerate(curves) if name]
        if named:
            print(" " * (label_width + 2) + "   ".join(f"{m} {name}" for m, name in named))


builtins_range = range  # `hist` shadows `range` with numpy's argument name


def _number(value) -> str:
    value = float(value)
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.2g}"
