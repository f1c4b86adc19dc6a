"""Names a demonstration's program runs with (see /cards/snippets/README.md, demonstrations):
`np`, `claim(text, holds, detail="")` and `plot`. Runs inside the sandboxed demo child; stdlib +
numpy only. Each claim is sent to the worker as soon as it is made (`report`), so a program that
later times out or is killed still shows the claims it made before.
"""

from __future__ import annotations

import sys

import numpy as np

MAX_CLAIMS = 100
MAX_TEXT = 500
_collected: list[dict] = []
report = None  # set by the worker's demo child: callable(dict) that sends one claim


def claim(text, holds, detail="") -> bool:
    """Record one assertion about the card's claim; never raises, the program goes on."""
    try:
        ok = bool(holds)
    except Exception as error:  # noqa: BLE001 - e.g. the truth value of an array is ambiguous
        ok, detail = False, f"{detail} (its truth value could not be taken: {type(error).__name__}: {error})".strip()
    frame = sys._getframe(1)
    entry = {"text": str(text)[:MAX_TEXT], "holds": ok, "detail": str(detail)[:MAX_TEXT],
             "line": frame.f_lineno if frame.f_code.co_filename == "<demo>" else None}
    if len(_collected) < MAX_CLAIMS:
        _collected.append(entry)
        if report is not None:
            report(entry)
    return ok


def collected() -> list[dict]:
    return list(_collected)


class Plot:
    """A tiny text plotter that prints (a plot is just output). `demos` owns its drawing."""

    def __init__(self, width: int = 60) -> None:
        self.width = max(20, int(width))

    def bars(self, labels, values, title: str = "") -> None:
        values = [float(v) for v in values]
        top = max([abs(v) for v in values] + [1e-300])
        name_w = max((len(str(label)) for label in labels), default=0)
        if title:
            print(title)
        for label, v in zip(labels, values):
            n = int(round(abs(v) / top * (self.width - name_w - 12)))
            print(f"{str(label):>{name_w}} {'#' * n} {v:.4g}")

    def hist(self, values, bins: int = 10, title: str = "") -> None:
        counts, edges = np.histogram(np.asarray(values, dtype=float), bins=bins)
        self.bars([f"{edges[i]:.3g}" for i in range(len(counts))], counts, title)

    def lines(self, series: dict, xs=None, title: str = "", height: int = 10, logy: bool = False) -> None:
        if title:
            print(title)
        for label, ys in series.items():
            ys = np.asarray(ys, dtype=float)
            shown = np.log10(np.maximum(ys, 1e-300)) if logy else ys
            lo, hi = float(np.nanmin(shown)), float(np.nanmax(shown))
            marks = " .:-=+*#%@"
            step = max(1, len(ys) // (self.width - 2))
            row = "".join(marks[int((v - lo) / (hi - lo or 1) * (len(marks) - 1))] if np.isfinite(v) else "?"
                          for v in shown[::step])
            print(f"{label}: {row}  [{ys.min():.3g} .. {ys.max():.3g}]")


def namespace(width: int = 60) -> dict:
    _collected.clear()
    return {"__name__": "__demo__", "np": np, "claim": claim, "plot": Plot(width)}
