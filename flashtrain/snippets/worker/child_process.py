"""The worker's side of one forked child: fork, pipes, frames, deadlines, and how it ended.

A child has two pipes to the worker: frames (fd 3 in the child) and its stdout+stderr (fds 1 and 2),
plus, for the attempt's checks child, a "go" pipe (fd 4) it waits on. The worker never blocks on a
child: `pump` serves all pipes with select() and kills a child (its whole process group) at its
wall-clock deadline, when it prints or returns too much, or when its frames are garbled. The time a
child spends importing modules that are not preloaded is charged to an import allowance, not to the
check (see Child._on_notice).
"""

from __future__ import annotations

import math
import os
import select
import shutil
import signal
import struct
import tempfile
import time

from flashtrain.snippets.worker.sandbox import CONFINEMENT, enter_child
from flashtrain.snippets.worker.wire import OUTPUT_SEPARATOR, frame_length, unpack

OUTPUT_KEEP = 2000  # characters of captured stdout/stderr kept per check
OUTPUT_KILL = 4 << 20  # a child printing more than this is killed
RESULT_MAX = 128 << 20  # bytes of returned values
PRELOADED = "only numpy and the standard library are preloaded in the checker"


class Child:
    """One forked child as the worker sees it: the frames it sent (each with the output printed
    before it), the deadline of what it is doing now, and how it ended."""

    def __init__(self, body, limits: dict, tmp_root: str, go_pipe: bool = False, keep: int = OUTPUT_KEEP) -> None:
        self.keep = keep  # characters of output kept per frame
        # With a private root each child mounts its own tmpfs (sandbox.py); else a fresh host folder.
        self.cwd = None if CONFINEMENT.private_root else tempfile.mkdtemp(prefix="c", dir=tmp_root)
        result_r, result_w = os.pipe()
        output_r, output_w = os.pipe()
        go_r, go_w = os.pipe() if go_pipe else (None, None)
        pid = os.fork()
        if pid == 0:
            enter_child(body, limits, self.cwd, result_w, output_w, go_r)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        os.close(result_w)
        os.close(output_w)
        if go_r is not None:
            os.close(go_r)
        os.set_blocking(output_r, False)
        self.pid, self.output_r, self.go_w = pid, output_r, go_w
        self.open_fds = {result_r, output_r}
        self.buffer = bytearray()
        self.output = bytearray()
        self.output_total = 0
        self.output_pending = b""
        self.segments: list[tuple[str, bool]] = []
        self.frames: list[dict] = []
        self.on_frame = None  # callable(child, frame): the owner reacts (e.g. sets the next deadline)
        self.on_loaded = None  # callable(child, header): a learner's file loaded (a notice, not a frame)
        self.done_when = lambda child: False  # the owner's "I have what I need" test
        self.ended = False
        self.problem: str | None = None
        self.segment_start = time.perf_counter()
        self.budget = float(limits["timeout"])
        self.deadline: float | None = self.segment_start + self.budget
        self.import_allowance = float(limits.get("import_allowance", 0.0))
        self.importing: tuple[str, float] | None = None  # module, start: an import under way
        self.imports: list[tuple[str, float]] = []  # (module, seconds) of finished imports

    def set_deadline(self, seconds: float | None) -> None:
        now = time.perf_counter()
        self.budget = seconds if seconds is not None else self.budget
        self.deadline = None if seconds is None else now + seconds

    def go(self, *parts: bytes | memoryview, last: bool = True) -> None:
        """Hand a child parked in wait_go() its next frame (given in parts, written one after the
        other) and let it continue; after the `last` one the pipe is closed (closing it without
        data means give up). The child is reading, so the blocking writes end."""
        if self.go_w is None:
            return
        try:
            for part in parts:
                view = memoryview(part)
                while view:
                    view = view[os.write(self.go_w, view):]
        except OSError:
            last = True
        if last:
            os.close(self.go_w)
            self.go_w = None

    def on_readable(self, fd: int) -> None:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.open_fds.discard(fd)
            os.close(fd)
            return
        if fd == self.output_r:
            self._keep_output(chunk)
            if self.output_total > OUTPUT_KILL:
                self.end("output_limit")
            return
        self.buffer += chunk
        if len(self.buffer) > RESULT_MAX:
            self.end("result_limit")
            return
        self._take_frames()

    def _keep_output(self, chunk: bytes) -> None:
        """Split the output stream into per-frame segments at OUTPUT_SEPARATOR."""
        parts = (self.output_pending + chunk).split(OUTPUT_SEPARATOR)
        for part in parts[:-1]:
            self._append_output(part)
            self.segments.append(self._close_segment())
        last = parts[-1]
        keep = next((k for k in range(min(len(OUTPUT_SEPARATOR) - 1, len(last)), 0, -1)
                     if OUTPUT_SEPARATOR.startswith(last[-k:])), 0)  # maybe a separator cut in two
        self.output_pending = last[len(last) - keep:] if keep else b""
        self._append_output(last[:len(last) - keep])

    def _append_output(self, data: bytes) -> None:
        self.output_total += len(data)
        if len(self.output) < self.keep * 4:
            self.output += data[:self.keep * 4 - len(self.output)]

    def _close_segment(self) -> tuple[str, bool]:
        text = self.output.decode("utf-8", "replace")
        truncated = self.output_total > len(self.output) or len(text) > self.keep
        self.output, self.output_total = bytearray(), 0
        return text[:self.keep], truncated

    def _drain_output(self) -> None:
        while self.output_r in self.open_fds:
            try:
                chunk = os.read(self.output_r, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:
                self.open_fds.discard(self.output_r)
                os.close(self.output_r)
                return
            self._keep_output(chunk)

    def _take_output(self) -> tuple[str, bool]:
        """The output printed before the next frame (or, at the end, since the last one)."""
        if self.segments:
            return self.segments.pop(0)
        self._append_output(self.output_pending)
        self.output_pending = b""
        return self._close_segment()

    def _take_frames(self) -> None:
        while not self.ended:
            n = frame_length(self.buffer)
            if n is None:
                return
            data = bytes(self.buffer[:n])
            del self.buffer[:n]
            try:
                header, blobs = unpack(data)
            except (ValueError, struct.error, UnicodeDecodeError):
                self.end("garbled")
                return
            if "notice" in header:
                self._on_notice(header)
                continue
            self._drain_output()  # printed (and separated) before the frame was sent: in the pipe now
            text, truncated = self._take_output()
            now = time.perf_counter()
            frame = {"header": header, "blobs": blobs, "output": text, "output_truncated": truncated,
                     "ms": (now - self.segment_start) * 1e3}
            self.segment_start = now
            self.frames.append(frame)
            if self.on_frame is not None:
                self.on_frame(self, frame)

    def _on_notice(self, header: dict) -> None:
        """A learner's file loaded (the owner moves the deadline), or an import started or ended:
        reserve the remaining import allowance on the deadline while it runs, and give back what it
        did not use."""
        now = time.perf_counter()
        if header.get("notice") == "loaded":
            if self.on_loaded is not None:
                self.on_loaded(self, header)
            return
        if header.get("notice") == "import" and self.importing is None:
            self.importing = (str(header.get("module"))[:100], now)
            if self.deadline is not None:
                self.deadline += self.import_allowance
        elif header.get("notice") == "imported" and self.importing is not None:
            module, started = self.importing
            used = min(now - started, self.import_allowance)
            if self.deadline is not None:
                self.deadline -= self.import_allowance - used
            self.import_allowance -= used
            self.imports.append((module, now - started))
            self.importing = None

    def end(self, reason: str | None = None, complete: bool = False) -> None:
        """Kill what is left of the child's process group. A child that delivered everything is
        reaped after the reply (tearing down its memory takes milliseconds); any other is reaped
        now, because its exit status explains what happened to the step it was on."""
        if self.ended:
            return
        self.ended = True
        for kill in (os.killpg, os.kill):  # its group (what it left), and itself by pid: a child that
            try:                           # moved to another group must not outlive its deadline
                kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        status = 0
        if complete:
            _TO_REAP.append((self.pid, self.cwd))
        else:
            _, status = os.waitpid(self.pid, 0)
            self._drain_output()
            if self.cwd:
                shutil.rmtree(self.cwd, ignore_errors=True)
        for fd in list(self.open_fds):
            os.close(fd)
        self.open_fds.clear()
        if self.go_w is not None:
            os.close(self.go_w)
            self.go_w = None
        self.tail_output = self._take_output()  # printed during the step that did not finish
        self.tail_ms = (time.perf_counter() - self.segment_start) * 1e3
        if not complete:
            self.problem = self._problem(reason, status)

    def _problem(self, reason, status) -> str:
        t = self.budget
        if self.importing is not None:
            module = self.importing[0]
            seconds = time.perf_counter() - self.importing[1]
            what = "killed" if reason != "timeout" else f"stopped after {seconds:.1f} s"
            return (f"import of {module} took too long ({what}): {PRELOADED}; importing other "
                    f"packages is slow in the sandbox, so solve the exercise with numpy")
        if reason == "timeout":
            return f"timed out after {t:g} s (wall clock)"
        if reason == "output_limit":
            return f"printed more than {OUTPUT_KILL >> 20} MiB of output; stopped"
        if reason == "result_limit":
            return f"returned more than {RESULT_MAX >> 20} MiB of data; stopped"
        if reason == "garbled":
            return "the result could not be read back (the code wrote to the result channel?)"
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGXCPU:
                return f"CPU time limit exceeded ({max(1, math.ceil(t))} s)"
            if sig == signal.SIGKILL:
                return "killed (CPU or memory limit)"
            if sig == signal.SIGSEGV:
                return "crashed (segmentation fault; possibly the memory limit)"
            return f"killed by signal {signal.Signals(sig).name}"
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        if code == 0:
            return "the process exited before returning a result (os._exit?)"
        if code == 71:
            return "the result could not be sent back"
        return f"the process exited (code {code}) before returning a result"


_TO_REAP: list[tuple[int, str]] = []


def reap_finished() -> None:
    """Reap children that already delivered their result (called after the reply is sent)."""
    while _TO_REAP:
        pid, cwd = _TO_REAP.pop()
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        if cwd:
            shutil.rmtree(cwd, ignore_errors=True)


class AppGone(SystemExit):
    """The app closed its end of the protocol while children ran: stop everything now."""


APP_PIPE: list[int] = []  # the app's request pipe, watched while children run (set by main)


def pump(children: list[Child], wait_all: bool = True, until=None) -> None:
    """Serve the children's pipes until each (or, with wait_all=False, any) is done or ended, or
    until `until()` holds. A hang-up on the app's pipe (it exited or was killed) ends the worker at
    once (AppGone), so stopping the app stops a check that is still running."""
    def settled(c: Child) -> bool:
        return c.ended or c.done_when(c)

    while True:
        live = [c for c in children if not settled(c)]
        if not live or (not wait_all and len(live) < len(children)) or (until is not None and until()):
            return
        fd_owner = {fd: c for c in live for fd in c.open_fds}
        now = time.perf_counter()
        deadlines = [c.deadline for c in live if c.deadline is not None]
        timeout = max(0.0, min(deadlines) - now) if deadlines else None
        if fd_owner:
            poller = select.poll()
            for fd in fd_owner:
                poller.register(fd, select.POLLIN)
            for fd in APP_PIPE:
                poller.register(fd, 0)  # only hang-up: a next request may already be waiting there
            events = poller.poll(None if timeout is None else math.ceil(timeout * 1000))
            if any(fd in APP_PIPE for fd, _ in events):
                raise AppGone(0)
            for fd, _ in events:
                owner = fd_owner[fd]
                if not owner.ended and fd in owner.open_fds:
                    owner.on_readable(fd)
        now = time.perf_counter()
        for c in live:
            if c.ended or c.done_when(c):
                continue
            if not c.open_fds:
                c.end()
            elif c.deadline is not None and now >= c.deadline:
                c.end("timeout")
