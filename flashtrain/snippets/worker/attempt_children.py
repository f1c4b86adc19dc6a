"""The two kinds of child an attempt uses, as the worker drives them: the attempt's checks child
(Prep: draws the inputs, runs the reference, evaluates the statistics) and the learner's (or a
mutant's) code, one fresh child per check (CodeRun).

Why one learner child per check, forked from the worker (and not one child per attempt, nor a
loader child forking a grandchild per check from an already loaded answer): each check must start
from the same state, or module globals, mutable defaults and caches leak from one check into the
next. A loader that forks grandchildren cannot itself be under the fork ban (seccomp + RLIMIT_NPROC),
so the learner's module body, run there once, would run with process creation allowed; it would
also have to relay frames so that a grandchild killed mid-write cannot garble the stream. Forking
from the worker instead gives every check the full sandbox from its first instruction, reuses the
per-child wall-clock kill, and costs ~1 ms more per check than a bare fork (measured here: a
sandboxed child that reports one frame 2.9 ms, a bare fork+wait 1.7 ms; compiling a short answer
again per check costs ~0.1 ms). A crash, timeout or limit in one check ends only that check's child.

What keeps expected values out of the learner's process: the checks child runs the reference once
the worker has read the inputs and writes the outputs into its own frames pipe, which the worker
reads only after every learner child of the attempt has ended; until then they wait in that child
or in the kernel's pipe buffer, never in this process while a learner child is forked from it (a
child closes every descriptor but its own pipes). Comparison happens here, never in a child.
"""

from __future__ import annotations

import os
from collections import deque

from flashtrain.snippets.worker.check_cases import case_calls, decode_cases
from flashtrain.snippets.worker.child_process import Child, pump
from flashtrain.snippets.worker.children import call_case, child_prepare, child_run, prepare_calls, wait_go
from flashtrain.snippets.worker import reference_store
from flashtrain.snippets.worker.wire import decode, encode, pack, pack_parts, unpack

SLOW_IMPORT = 0.3  # seconds: an import this slow is mentioned in the result


class CodeRun:
    """A learner's answer (or a mutant) called on every check of an attempt, one fresh child per
    check (see the module docstring): no state survives from one check to the next. A check whose
    child dies or overruns gets the error and the next check runs in its own child; a failure while
    loading the file (syntax error, exception at module level, no such function) is the same for
    every check, so it is reported for all without forking again; after a second timeout the
    remaining checks are not run (an endless loop would otherwise cost every check its full time)."""

    MAX_TIMEOUTS = 2

    def __init__(self, code: str, name: str, cases: list, limits: dict, tmp_root: str,
                 stats_code: str | None = None, checks_code: str | None = None,
                 spares: dict[int, Child] | None = None, start: int = 0, stop: int | None = None) -> None:
        self.checks_code = checks_code  # resolves function arguments (see check_cases.function_refs)
        self.spares = spares or {}  # check index -> a child forked and sandboxed in advance (Spares)
        self.code, self.name, self.cases, self.limits, self.tmp_root = code, name, cases, limits, tmp_root
        self.stats_code = stats_code
        self.results: list[dict | None] = [None] * len(cases)
        self.next, self.stop = start, len(cases) if stop is None else stop  # the checks cases[start:stop]
        self.child: Child | None = None
        self.children: list[Child] = []
        self.forks = 0
        self.timeouts = 0
        self.sandbox = None
        self.loaded = False

    @property
    def finished(self) -> bool:
        return self.next >= self.stop

    def budget(self, case: dict) -> float:
        return self.limits["timeout"] * len(case_calls(case))

    def start_child(self) -> Child:
        start, timeout = self.next, self.limits["timeout"]
        spare = self.spares.pop(start, None)
        if spare is not None and not spare.ended:
            child = spare
            child.go(pack({"code": self.code}, []))  # the code is all it still needs
            child.set_deadline(timeout)  # loading the file, as for a child forked now
        else:
            if spare is not None:
                spare.end(complete=True)
            code, name, cases, stats_code, checks_code = (self.code, self.name, self.cases, self.stats_code,
                                                          self.checks_code)
            child = Child(lambda features: child_run(code, name, cases, start, timeout, stats_code, features,
                                                     stop=start + 1, checks_code=checks_code),
                          learner_limits(self.limits, self.cases[start]), self.tmp_root)
        child.on_frame, child.on_loaded = self._on_frame, self._on_loaded
        child.done_when = lambda c: self.next > start
        self.child, self.loaded = child, False
        self.children.append(child)
        self.forks += 1
        return child

    @property
    def slow_imports(self) -> list[tuple[str, float, int]]:
        """(module, slowest time, how many checks imported it) for imports of SLOW_IMPORT or more:
        every check's child imports afresh what the worker has not preloaded."""
        return _slow_imports_of(self.children)

    def _on_loaded(self, child: Child, header: dict) -> None:
        """The file loaded (children.child_run's notice): the check's own budget starts now."""
        if self.loaded:
            return
        self.sandbox = header.get("sandbox")
        self.loaded = True
        child.set_deadline(self.budget(self.cases[self.next]))

    def _on_frame(self, child: Child, frame: dict) -> None:
        header = frame["header"]
        if "load_error" in header:
            self.sandbox = header.get("sandbox")
            self.loaded = True
            error = header["load_error"]
            base = self._base(frame["output"], frame["output_truncated"], frame["ms"])
            self._end_all(dict(base, load_error=error, error=error["message"]))
            return
        if not self.loaded or header.get("index") != self.next:
            child.end("garbled")
            return
        # what the file printed while loading is part of this check's output (no frame between)
        base = self._base(frame["output"], frame["output_truncated"], header.get("ms", frame["ms"]))
        if "error" in header:
            result = dict(base, error=header["error"]["message"])
        else:
            result = dict(base, output=decode(header["output"], frame["blobs"]), mutated=header["mutated"],
                          aliased=header.get("aliased") or [],
                          warnings=header.get("warnings") or [])
            if "stat" in header:
                result["stat"] = header["stat"]
        self.results[self.next] = result
        self.next += 1

    @staticmethod
    def _base(text: str, truncated: bool, ms: float) -> dict:
        return {"stdout": text, "stdout_truncated": truncated, "ms": ms}

    def after_end(self) -> None:
        """The child ended before the last check: record why, then resume or give up."""
        child = self.child
        problem = child.problem or "the process ended early"
        text, truncated = child.tail_output
        base = self._base(text, truncated, child.tail_ms)
        if not self.loaded:  # died while loading: every check would die the same way
            self._end_all(dict(base, load_error={"message": problem}, error=problem))
            return
        self.results[self.next] = dict(base, error=problem)
        self.next += 1
        if problem.startswith(("timed out", "import of")):
            self.timeouts += 1
            if self.timeouts >= self.MAX_TIMEOUTS:
                self._end_all(self.not_run(self.timeouts))

    @classmethod
    def not_run(cls, timeouts: int) -> dict:
        """The result of a check left unrun because `timeouts` earlier checks timed out."""
        return dict(cls._base("", False, 0.0), error=f"not run: {timeouts} earlier checks timed out")

    def _end_all(self, result: dict) -> None:
        """Every check not yet run gets (a copy of) this result; the run is then finished."""
        for i in range(self.next, self.stop):
            self.results[i] = dict(result)
        self.next = self.stop


def _slow_imports_of(children) -> list[tuple[str, float, int]]:
    """(module, slowest time, how many of `children` imported it) for imports of SLOW_IMPORT or more."""
    found: dict[str, list] = {}
    for c in children:
        for m, t in c.imports:
            if t >= SLOW_IMPORT:
                entry = found.setdefault(m, [0.0, 0])
                entry[0], entry[1] = max(entry[0], t), entry[1] + 1
    return [(m, t, n) for m, (t, n) in found.items()]


def learner_limits(limits: dict, case: dict) -> dict:
    """A learner child's limits for one check: its CPU allowance covers loading, every call of
    the check and the import allowance."""
    timeout = limits["timeout"]
    return dict(limits, cpu=timeout * (1 + len(case_calls(case))) + 1 + limits.get("import_allowance", 0.0))


def _first_argument(**kwargs):
    return next(iter(kwargs.values()), None)


def _spare_body(name: str, cases: list, start: int, timeout: float, checks_code: str | None, features: dict) -> None:
    prepared = None
    try:  # a dry run of the check's own machinery (copying, digesting, encoding its arguments) while
        # parked: the memory it touches is copied from the worker now, not while the check is timed;
        # then the arguments the learner's function will get, made before its file is even loaded
        call_case(_first_argument, cases[start], [])
        prepared = prepare_calls(cases[start])
    except BaseException:  # noqa: BLE001 - e.g. a function argument not resolved yet: made at the call
        pass
    data = wait_go()
    if not data:
        return  # not needed after all (another snippet, the worker stopping)
    header, _ = unpack(data)
    child_run(header["code"], name, cases, start, timeout, None, features, stop=start + 1, checks_code=checks_code,
              prepared=prepared)


class AnswerRun:
    """A learner's answer on every check of an attempt: one CodeRun (one child) per check, up to
    PARALLEL of them at a time once the first child has loaded the file (each check's child still
    starts from the same state). What the sequential CodeRun does across checks holds across these
    runs: a file that does not load, or a second timeout, settles the checks not yet started without
    forking for them. PARALLEL is at most the CPUs this worker may use, and 2: each child's wall-clock
    limit is the snippet's timeout, so children must not queue for a CPU behind each other."""

    PARALLEL = max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))

    def __init__(self, code: str, name: str, cases: list, limits: dict, tmp_root: str, checks_code: str | None,
                 spares: dict[int, Child]) -> None:
        self.spares = spares
        self.runs = [CodeRun(code, name, cases, limits, tmp_root, checks_code=checks_code, spares=spares,
                             start=i, stop=i + 1) for i in range(len(cases))]

    def run(self) -> None:
        # the first check alone until its file has loaded (one that does not load costs one child),
        # and one at a time again after a timeout (a second one settles the rest, as in CodeRun)
        run_code(self.runs, concurrency=self._concurrency, instead=self._instead)
        for spare in self.spares.values():  # checks not run (e.g. the file did not load)
            spare.end(complete=True)

    def _concurrency(self) -> int:
        loaded = any(r.loaded for r in self.runs)
        return self.PARALLEL if loaded and not any(r.timeouts for r in self.runs) else 1

    def _instead(self, run: CodeRun) -> dict | None:
        done = [r.results[r.stop - 1] for r in self.runs if r.finished and r.results[r.stop - 1] is not None]
        load_error = next((r for r in done if r.get("load_error")), None)
        if load_error is not None:
            return dict(load_error)
        timeouts = sum(r.timeouts for r in self.runs)
        if timeouts >= CodeRun.MAX_TIMEOUTS:
            return CodeRun.not_run(timeouts)
        return None

    @property
    def results(self) -> list[dict]:
        return [run.results[i] for i, run in enumerate(self.runs)]

    @property
    def forks(self) -> int:
        return sum(run.forks for run in self.runs)

    @property
    def sandbox(self) -> dict | None:
        return next((run.sandbox for run in self.runs if run.sandbox), None)

    @property
    def slow_imports(self) -> list[tuple[str, float, int]]:
        return _slow_imports_of(c for run in self.runs for c in run.children)


class Spares:
    """Learner children forked and sandboxed in advance, one per check of the next attempt, parked
    until the answer arrives (the learner's pause pays for fork + sandbox, not the check). Forked
    only once the next attempt's inputs are drawn and while its reference outputs stay in the
    checks child, exactly like the children forked at grading time; each gets only the code."""

    MAX = 12

    def __init__(self, name: str, cases: list, limits: dict, tmp_root: str, checks_code: str | None) -> None:
        self.children: dict[int, Child] = {}
        timeout = limits["timeout"]
        for i, case in enumerate(cases[:self.MAX]):
            child = Child(lambda features, i=i: _spare_body(name, cases, i, timeout, checks_code, features),
                          learner_limits(limits, case), tmp_root, go_pipe=True)
            child.set_deadline(None)  # parked: no clock runs until the code arrives
            self.children[i] = child

    def take(self) -> dict[int, Child]:
        children, self.children = self.children, {}
        return children

    def close(self) -> None:
        for child in self.take().values():
            child.end(complete=True)


def run_code(runs: list[CodeRun], concurrency=1, instead=None) -> None:
    """Drive CodeRuns to completion, `concurrency` runs at a time (an int, or a callable giving the
    number now; each run's checks in order, one child per check). `instead(run)`: a result to give
    a run's checks without starting it (None: start it)."""
    limit = concurrency if callable(concurrency) else (lambda: concurrency)
    pending, active = deque(runs), []
    while pending or active:
        while pending and len(active) < limit():
            run = pending.popleft()
            given = instead(run) if instead is not None else None
            if given is not None:
                run._end_all(given)
            elif not run.finished:
                run.start_child()
                active.append(run)
        if not active:
            continue
        pump([r.child for r in active], wait_all=False, until=lambda: bool(pending) and len(active) < limit())
        for run in list(active):
            child = run.child
            if not child.ended and child.done_when(child):
                child.end(complete=True)  # its one check is done
            elif child.ended:
                run.after_end()
            else:
                continue
            if run.finished:
                active.remove(run)
            else:
                run.start_child()


class Prep:
    """The attempt's checks child (see child_prepare) as the worker drives it: its frames are the
    inputs, then the reference outputs (or ref_error), then, for checks with statistics, their values."""

    def __init__(self, snippet: dict, seed: int, limits: dict, tmp_root: str, reference_key: str) -> None:
        self.seed, self.limits, self.reference_key = seed, limits, reference_key
        timeout = limits["timeout"]
        checks, name = snippet["checks"], snippet["id"]
        self.child = Child(lambda features: child_prepare(checks, name, seed, features),
                           dict(limits, cpu=max(10.0, 20 * timeout), import_allowance=0.0), tmp_root, go_pipe=True)
        self.child.set_deadline(2 * timeout)  # drawing the inputs
        self.child.on_frame = self._on_frame
        self.cases: list | str | None = None
        self.has_stats = False

    def _on_frame(self, child: Child, frame: dict) -> None:
        if len(child.frames) == 1:
            child.set_deadline(None)  # parked until the first go

    def _reference_budget(self) -> float:
        n_compare = sum(1 for c in self.cases if c["kind"] == "case") if isinstance(self.cases, list) else 1
        return self.limits["timeout"] * max(1, n_compare)

    def _wait_frames(self, n: int) -> dict | None:
        self.child.done_when = lambda c: len(c.frames) >= n
        pump([self.child])
        return self.child.frames[n - 1] if len(self.child.frames) >= n else None

    def inputs(self) -> list | str:
        """The cases with decoded arguments, or why there are none. Once they are read, the child
        is told to run the reference (its outputs wait in the pipe until `finish` reads them)."""
        if self.cases is None:
            frame = self._wait_frames(1)
            if frame is None:
                self.cases = f"the snippet's checks could not be generated: {self.child.problem}"
            elif "load_error" in frame["header"]:
                self.cases = f"the snippet's checks could not be generated: {frame['header']['load_error']['message']}"
            else:
                self.cases = decode_cases(frame["header"]["cases"], frame["blobs"])
                self.has_stats = any(c["kind"] == "stat" for c in self.cases)
                # the reference, written from the store's memory (never a copy in this process)
                reference = reference_store.view(self.reference_key)
                if reference is None:
                    self.close()
                    self.cases = "the snippet's reference is no longer held by the checker; check again"
                    return self.cases
                self.child.go(*pack_parts({}, [reference]), last=not self.has_stats)
                self.child.set_deadline(self._reference_budget())
        return self.cases

    def finish(self, stat_outputs: dict[int, object]) -> tuple[dict, dict] | str:
        """Call only after every learner child of the attempt has ended: reads the reference
        outputs and, for statistics, hands the child the learner's outputs and reads the values."""
        if len(self.child.frames) < 2 and not self.child.ended:
            # the reference ran while the learner worked: whatever time it took then, it gets its
            # full budget from now on (a deadline that passed unread is not its fault)
            self.child.set_deadline(self._reference_budget())
        frame = self._wait_frames(2)
        if frame is None:
            return f"the snippet's reference failed: {self.child.problem}"
        if frame["header"].get("ref_error"):
            self.close()
            return frame["header"]["ref_error"]
        expected = {int(k): decode(v, frame["blobs"]) for k, v in frame["header"]["expected"].items()}
        stats = {}
        if self.has_stats:
            blobs: list[bytes] = []
            outputs = {str(i): encode(v, blobs) for i, v in stat_outputs.items()}
            self.child.set_deadline(2 * self.limits["timeout"])  # the statistics
            self.child.go(pack({"outputs": outputs}, blobs))
            frame = self._wait_frames(3)
            if frame is None:
                return f"the snippet's statistic functions failed to run: {self.child.problem}"
            stats = {int(k): v for k, v in frame["header"]["stats"].items()}
        self.child.end(complete=True)
        return expected, stats

    def close(self) -> None:
        if not self.child.ended:
            self.child.end(complete=True)
