"""The app's side of the grading worker: starts `worker.py` as a separate process (never forks the
app itself, which may be a threaded Textual process), sends it requests, restarts it if it dies.

Thread-safe: one request at a time under a lock, so the TUI may grade from a worker thread.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from flashtrain.snippets.protocol import (ErrorReply, GradeRequest, PingReply, PingRequest, ProtocolError,
                                          decode_body, encode_frame, frame_size, with_reference_attached)

WORKER_MAIN = Path(__file__).with_name("worker") / "main.py"
DEFAULT_REQUEST_TIMEOUT = 120.0


class WorkerError(RuntimeError):
    """The worker could not answer (died, hung or replied garbage); it is restarted on next use."""


class Runner:
    def __init__(self, start_timeout: float = 30.0, worker_args: tuple[str, ...] = ()) -> None:
        self.worker_args = tuple(worker_args)  # e.g. ("--keep-root",): see worker/main.py
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self.start_timeout = start_timeout
        self.starts = 0  # how many times a worker process was started (restarts included)
        self._sent_snippets: set[str] = set()  # keys of snippets the running worker holds

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker now (e.g. in the background when the app opens); idempotent."""
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self._stop_locked()
        log = os.environ.get("FLASHTRAIN_WORKER_LOG")
        stderr = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - lives with the worker
        self._proc = subprocess.Popen([sys.executable, "-I", str(WORKER_MAIN), *self.worker_args],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                      env=worker_environment(), close_fds=True, start_new_session=True,
                                      cwd="/")
        if log:
            stderr.close()
        self.starts += 1
        reply = self._exchange(PingRequest(), self.start_timeout)
        if not isinstance(reply, PingReply):
            self._stop_locked()
            raise WorkerError(f"the check worker did not start: {reply}")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def close(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        proc, self._proc = self._proc, None
        self._sent_snippets.clear()
        if proc is None:
            return
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()

    # -- requests --------------------------------------------------------------------------------
    def request(self, message, timeout: float = DEFAULT_REQUEST_TIMEOUT, retry: bool = True):
        """Send one request (a protocol dataclass) and return the typed reply; if the worker has
        died, restart it and try once more. An ErrorReply is returned as it is."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    self._ensure_started()
                    return self._send(message, timeout)
                except WorkerError:
                    self._stop_locked()
                    if attempt == 2 or not retry:
                        raise
        raise AssertionError("unreachable")

    def _send(self, message, timeout: float):
        """Send each snippet to a worker once: later requests name it by its key."""
        if not isinstance(message, GradeRequest) or message.snippet is None:
            return self._exchange(message, timeout)
        key = message.snippet_key or message.snippet.key()
        if key in self._sent_snippets:
            reply = self._exchange(dataclasses.replace(message, snippet=None, snippet_key=key), timeout)
            if not (isinstance(reply, ErrorReply) and reply.unknown_snippet):
                return reply
        framed, reference = with_reference_attached(dataclasses.replace(message, snippet_key=key))
        reply = self._exchange(framed, timeout, attachment=reference)
        self._sent_snippets.add(key)
        return reply

    def _exchange(self, message, timeout: float, attachment: bytes = b""):
        proc = self._proc
        assert proc is not None
        try:
            proc.stdin.write(encode_frame(message) + attachment)
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as error:
            raise WorkerError(f"the check worker is gone ({error})") from error
        deadline = time.monotonic() + timeout
        try:
            n = frame_size(self._read(proc, 4, deadline))
            return decode_body(self._read(proc, n, deadline))
        except ProtocolError as error:
            proc.kill()
            raise WorkerError(f"the check worker replied garbage: {error}") from error

    def _read(self, proc: subprocess.Popen, n: int, deadline: float) -> bytes:
        fd = proc.stdout.fileno()
        buf = bytearray()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                proc.kill()
                raise WorkerError("the check worker did not answer in time; restarted")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                raise WorkerError(f"the check worker exited (code {proc.poll()})")
            buf += chunk
        return bytes(buf)


# What the worker (and so every child) inherits: nothing of the app's environment but locale and
# thread counts; no FLASHTRAIN_* (e.g. the store's path), no HOME.
_KEPT = ("LANG", "LC_ALL", "LC_CTYPE", "TZ")


def worker_environment() -> dict[str, str]:
    env = {k: os.environ[k] for k in _KEPT if k in os.environ}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
               PATH="/usr/bin:/bin", HOME="/nonexistent")
    return env


_shared: Runner | None = None
_shared_lock = threading.Lock()


def shared_runner() -> Runner:
    """The process-wide runner the CLI and TUI use (started lazily, stopped at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Runner()
            atexit.register(_shared.close)
        return _shared
