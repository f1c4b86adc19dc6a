"""Tools for fault trials: a small file system that fills up, a read-only mount, a lock held by
another process, and a `flashtrain study --plain` session driven line by line like a person would.

Mounting needs root (CI runs as root in a container with CAP_SYS_ADMIN); where it is not allowed
the callers fall back to an equivalent (a file-size limit for a full disk, file modes for a
read-only store when not root).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

READ_TIMEOUT = 300  # seconds; generous, only stops a hung test (never a timing assertion)


def fingerprint(store) -> str:
    """Every row of every table, in order: equal fingerprints mean an unchanged store."""
    import hashlib

    raw = store.engine.raw_connection()
    try:
        return hashlib.sha256("\n".join(raw.driver_connection.iterdump()).encode()).hexdigest()
    finally:
        raw.close()


def deck_text(n: int, name: str = "Fault deck") -> str:
    cards = "\n".join(f"Q: Fault question number {i}?\nA: Answer {i}.\n" for i in range(n))
    return f"---\nname: {name}\n---\n{cards}"


def _try(command: list[str]) -> str | None:
    result = subprocess.run(command, capture_output=True, text=True)
    return None if result.returncode == 0 else result.stderr


def mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    return os.geteuid() == 0 and _try(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)]) is None


def umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(folder: Path) -> Path:
    """Write a filler file until the file system refuses (ENOSPC). Returns the filler."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as out:
        for size in (1 << 20, 4096, 512, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError:
                continue
    return filler


@contextmanager
def read_only_view(folder: Path, view: Path):
    """`view` shows `folder` through a read-only bind mount; remount(rw) makes it writable again."""
    view.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or _try(["mount", "--bind", str(folder), str(view)]) is not None:
        raise RuntimeError("cannot bind-mount")
    try:
        error = _try(["mount", "-o", "remount,ro,bind", str(view)])
        if error is not None:
            raise RuntimeError(error)
        yield lambda: _try(["mount", "-o", "remount,rw,bind", str(view)])
    finally:
        umount(view)


def env(**extra: str) -> dict[str, str]:
    base = dict(os.environ)
    base.pop("FLASHTRAIN_DEBUG", None)  # users see the one-line messages, not tracebacks
    base.update(extra)
    return base


def run_cli(args: list[str], environment: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flashtrain", *args], input=stdin, capture_output=True,
                          text=True, env=environment, timeout=READ_TIMEOUT)


class PlainSession:
    """`flashtrain study --plain` in a child process; `until` reads its output up to a text."""

    def __init__(self, db: Path, environment: dict[str, str], *extra: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "flashtrain", "--db", str(db), "study", "--plain",
                                         *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=environment, bufsize=0)
        self.seen = ""

    def until(self, *texts: str) -> str:
        deadline = time.monotonic() + READ_TIMEOUT
        start = len(self.seen)
        text = " or ".join(texts)
        while not any(t in self.seen[start:] for t in texts):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {text!r} in {self.seen[-2000:]!r}")
            char = self.process.stdout.read(1)
            if not char:
                raise EOFError(f"session ended before {text!r}: {self.seen[-2000:]!r} "
                               f"{self.process.stderr.read().decode(errors='replace')}")
            self.seen += char.decode("utf-8", errors="replace")
        return self.seen[start:]

    def send(self, line: str) -> None:
        self.process.stdin.write((line + "\n").encode())
        self.process.stdin.flush()

    def rate(self, rating: int) -> str:
        """Reveal the card on screen (its prompt already read) and rate it; returns what was printed."""
        self.send("")
        self.until("Rate 1-5")
        mark = len(self.seen)
        self.send(str(rating))
        self.until("show answer", "Nothing more to study")
        return self.seen[mark:]

    def finish(self) -> tuple[int, str, str]:
        self.process.stdin.close()
        out = self.process.stdout.read().decode(errors="replace")
        err = self.process.stderr.read().decode(errors="replace")
        code = self.process.wait(timeout=READ_TIMEOUT)
        return code, self.seen + out, err


LOCK_HOLDER = textwrap.dedent("""
    import sqlite3, sys, time
    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    sys.stdin.readline()  # hold the write lock until told (or until the test ends)
    connection.execute("COMMIT")
""")


@contextmanager
def lock_held(db: Path):
    """Another process holds the store's write lock until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        if holder.poll() is None:
            holder.stdin.write("\n")
            holder.stdin.flush()
        holder.wait(timeout=READ_TIMEOUT)
