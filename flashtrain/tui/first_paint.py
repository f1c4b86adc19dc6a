"""The first card on the terminal before Textual is loaded (standard library only).

`flashtrain study` on the fast path (study/quickstart.py) has the first card some 50 ms after the
process starts; importing Textual and starting the app takes several times that. So the card's
question is written at once, laid out where the study screen shows it (title row, study bar, the
text two columns in), on the alternate screen the app then draws over with the same card. Keys
typed meanwhile are not echoed and wait in the terminal's buffer for the app.

`restore()` puts the terminal back if the app never took it over (it failed to start).
"""

from __future__ import annotations

import os
import re
import sys
import textwrap

_MARKUP = re.compile(r"(\*\*|__|`+|^#+\s*|^>\s?)", re.MULTILINE)
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>$])")
_saved_mode: list | None = None


def plain_text(markdown: str) -> str:
    """The card's Markdown as plain text for the moment before the app renders it: maths in Unicode
    by the app's own renderer (mathtext), emphasis and code marks left out."""
    from flashtrain.mathtext import render_math

    return _ESCAPED.sub(r"\1", _MARKUP.sub("", render_math(markdown))).strip()


def paint_first_card(front: str, caption: str, mode_title: str = "Study", out=None) -> bool:
    """Write the card on the alternate screen; False (nothing written) if this is no terminal."""
    out = out or sys.stdout
    try:
        width, height = os.get_terminal_size(out.fileno())
    except (OSError, ValueError):
        return False
    _quiet_keys(out.fileno())
    lines = []
    for paragraph in plain_text(front).split("\n"):
        lines += textwrap.wrap(paragraph, max(width - 4, 10)) or [""]
    body = lines[:max(height - 7, 1)]  # the rows of the study screen's card pane
    title = "flashtrain"
    frame = ["\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J",
             f"\x1b[1;1H\x1b[7m{title.center(width)[:width]}\x1b[0m",
             f"\x1b[2;2H\x1b[1m{mode_title}\x1b[0m  \x1b[2m{caption[:max(width - len(mode_title) - 6, 0)]}\x1b[0m"]
    for row, line in enumerate(body, start=3):
        frame.append(f"\x1b[{row};3H{line}")
    # where the study screen's bar shows its keys (the middle row of the 3 above the footer's margin)
    frame.append(f"\x1b[{max(height - 3, 1)};{max((width - 8) // 2, 1)}H\x1b[2mloading…\x1b[0m")
    out.write("".join(frame))
    out.flush()
    return True


def _quiet_keys(fd: int) -> None:
    """No echo of keys typed before the app starts (they stay buffered for it)."""
    global _saved_mode
    try:
        import termios

        mode = termios.tcgetattr(fd)
        quiet = list(mode)
        quiet[3] &= ~(termios.ECHO | termios.ICANON)
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
        _saved_mode = mode
    except (ImportError, OSError, ValueError):
        _saved_mode = None


def restore(out=None, left_screen: bool = True) -> None:
    """The terminal mode as it was before `paint_first_card` (and the main screen, unless the app left it)."""
    global _saved_mode
    out = out or sys.stdout
    if _saved_mode is not None:
        try:
            import termios

            termios.tcsetattr(out.fileno(), termios.TCSANOW, _saved_mode)
        except (OSError, ValueError):
            pass
        _saved_mode = None
    if not left_screen:
        out.write("\x1b[?25h\x1b[?1049l")
        out.flush()
