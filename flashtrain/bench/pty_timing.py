"""Time a command on a pseudo-terminal until a text appears on it, as a learner would see it.

The command runs on a pty of the given size (TERM=xterm-256color); everything it writes is read
as it comes, escape sequences removed, and the clock stops when the text is there. A second
moment is kept too: when the text appears after the application has switched mouse reporting on
(Textual does when it starts), i.e. drawn by the app itself rather than by the start-up paint.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import time
from dataclasses import dataclass

_ESCAPES = re.compile(rb"\x1b\[[0-9;?<=>!]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78DEHMNOZc]")
APP_STARTED = b"\x1b[?1000h"  # mouse reporting on: the Textual app drives the terminal from here


@dataclass(frozen=True)
class PaintTiming:
    first_text: float | None  # seconds from spawn to the text on the terminal
    app_text: float | None  # ... to the text drawn by the app (after APP_STARTED)
    output: bytes
    first_cpu: float | None = None  # CPU seconds the process had used when the text was seen (Linux)
    app_cpu: float | None = None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a running process so far (Linux /proc; None elsewhere). On a busy
    machine wall time mostly measures the wait for a core; this is what the start-up itself costs."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def visible(raw: bytes) -> str:
    return _ESCAPES.sub(b"", raw).decode("utf-8", errors="replace")


def time_until_text(argv: list[str], text: str, env: dict, size: tuple[int, int] = (80, 24),
                    timeout: float = 120.0, quit_keys: bytes = b"\x11") -> PaintTiming:
    """Run `argv` on a pty of `size` (columns, rows) until `text` is drawn by the app (or timeout)."""
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    env = dict(env, TERM="xterm-256color", COLUMNS=str(size[0]), LINES=str(size[1]))
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                               close_fds=True)
    os.close(slave)
    wanted = text.encode()
    raw = b""
    first = app = first_cpu = app_cpu = None
    deadline = started + timeout
    try:
        while app is None and time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            now = time.perf_counter()
            raw += chunk
            if first is None and wanted in visible(raw).encode():
                first, first_cpu = now - started, cpu_seconds(process.pid)
            app_at = raw.find(APP_STARTED)
            if app_at >= 0 and wanted in visible(raw[app_at:]).encode():
                app, app_cpu = now - started, cpu_seconds(process.pid)
        try:
            os.write(master, quit_keys)
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(master)
    return PaintTiming(first, app, raw, first_cpu, app_cpu)
