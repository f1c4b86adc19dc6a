"""One attempt, end to end (Grader.grade): the checks child draws the inputs and runs the
reference, one learner child per check runs the answer, the reference outputs come back only after
every learner child has ended, then the checks are judged and, for a wrong answer, the snippet's
mutants are run on the same inputs to find the hint that fits. After the reply, the next attempt's
checks child is started in advance (Grader.prefetch).
"""

from __future__ import annotations

import os
import time

from flashtrain.snippets.protocol import CheckResult, GradeReply, GradeRequest

from flashtrain.snippets.worker.attempt_children import AnswerRun, CodeRun, Prep, Spares, run_code
from flashtrain.snippets.worker.child_process import PRELOADED
from flashtrain.snippets.worker.children import IMPORT_ALLOWANCE
from flashtrain.snippets.worker.judging import LEVELS, agrees, judge_checks, likeness
from flashtrain.snippets.worker.sandbox import DEFAULT_MEMORY, layers_from


def snippet_dict(spec, key: str = "") -> dict:
    """The snippet as the grader reads it (never changed), made once per snippet key (equal keys:
    the same snippet, see SnippetSpec.key), so a warm check neither copies nor hashes it again."""
    if not key:
        return spec.as_dict()
    found = _DICTS.get(key)
    if found is None:
        found = _DICTS[key] = spec.as_dict()
        while len(_DICTS) > 64:
            _DICTS.pop(next(iter(_DICTS)))
    return found


_DICTS: dict[str, dict] = {}


class Grader:
    def __init__(self, tmp_root: str) -> None:
        self.tmp_root = tmp_root
        self._prefetched: tuple[tuple, Prep] | None = None  # the next attempt's checks child, parked
        self._spares: Spares | None = None  # and its learner children, parked until the code arrives

    def limits(self, snippet: dict, request: GradeRequest) -> dict:
        allowance = request.import_allowance
        return {"timeout": float(request.timeout or snippet.get("timeout") or 2.0),
                "import_allowance": IMPORT_ALLOWANCE if allowance is None else float(allowance),
                "memory": int(request.memory or DEFAULT_MEMORY),
                "network_namespace": request.network_namespace, "seccomp": request.seccomp,
                "landlock": request.landlock}

    @staticmethod
    def _key(request: GradeRequest, limits: dict) -> tuple:
        return request.snippet_key, tuple(sorted(limits.items()))

    def _take_prefetched(self, key: tuple) -> tuple[Prep | None, dict]:
        found, self._prefetched = self._prefetched, None
        spares, self._spares = self._spares, None
        if found is not None and found[0] == key and not found[1].child.ended:
            return found[1], spares.take() if spares is not None else {}
        if found is not None:
            found[1].close()
        if spares is not None:
            spares.close()
        return None, {}

    def drop_prefetched(self) -> None:
        if self._prefetched is not None:
            self._prefetched[1].close()
            self._prefetched = None
        if self._spares is not None:
            self._spares.close()
            self._spares = None

    def grade(self, request: GradeRequest) -> GradeReply:
        started, cpu_started = time.perf_counter(), time.process_time()
        snippet, code = snippet_dict(request.snippet, request.snippet_key), request.code
        name = snippet["id"]
        limits = self.limits(snippet, request)
        fixed_seed = request.seed is not None
        prep, spares = (None, {}) if fixed_seed else self._take_prefetched(self._key(request, limits))
        forks = 0
        if prep is None:  # not drawn in advance: the checks child runs alongside the learner's
            self.drop_prefetched()
            seed = int(request.seed) if fixed_seed else int.from_bytes(os.urandom(4), "big")
            prep = Prep(snippet, seed, limits, self.tmp_root, request.snippet_key)
            forks += 1
        seed = prep.seed
        cases = prep.inputs()
        if isinstance(cases, str) or not cases:
            prep.close()
            return self._snippet_error(name, cases or "the snippet's cases() produced no checks", started, seed)

        if not spares:  # none parked in advance: fork them all now, so that each child sets up its
            # sandbox while the one before it runs the answer, instead of one after the other
            spares = Spares(name, cases, limits, self.tmp_root, snippet["checks"]).take()
        run = AnswerRun(code, name, cases, limits, self.tmp_root, snippet["checks"], spares)
        run.run()
        forks += run.forks
        learner = run.results
        # Every learner child has ended: only now may the reference outputs enter this process.
        stat_outputs = {i: r["output"] for i, (c, r) in enumerate(zip(cases, learner))
                        if c["kind"] == "stat" and "output" in r}
        reference = prep.finish(stat_outputs)
        if isinstance(reference, str):
            return self._snippet_error(name, reference, started, seed)
        expected, stats = reference
        checks = judge_checks(snippet, cases, learner, expected, stats)

        passed = sum(c["status"] == "pass" for c in checks)
        load_failed = all(r.get("load_error") for r in learner)
        if passed == len(checks):
            status = "pass"
        elif load_failed or all(c["status"] == "error" for c in checks):
            status = "error"
        else:
            status = "fail"
        hint = mutant = None
        if status == "fail" and request.diagnose and snippet.get("mutants"):
            mutant = self._diagnose(snippet, cases, learner, checks, limits)
            if mutant:
                hint = next(m["hint"] for m in snippet["mutants"] if m["name"] == mutant)
        message = learner[0]["load_error"]["message"] if load_failed else ""
        if not message and run.slow_imports:
            slow = ", ".join(f"{m} {t:.1f} s" + (f" (in each of {n} checks)" if n > 1 else "")
                             for m, t, n in run.slow_imports)
            message = f"note: importing took {slow} of the grading time ({PRELOADED})"
        return GradeReply(snippet=name, status=status, checks=tuple(CheckResult.from_dict(c) for c in checks),
                          hint=hint, hint_mutant=mutant, passed=passed, total=len(checks), seed=seed,
                          message=message, sandbox=layers_from(run.sandbox) if run.sandbox else None,
                          forks=forks, duration_ms=(time.perf_counter() - started) * 1e3,
                          cpu_ms=(time.process_time() - cpu_started) * 1e3)

    def prefetch(self, request: GradeRequest) -> None:
        """After replying, start the next attempt's checks child for the same snippet (a re-check is
        the common next request): its inputs are drawn now and its reference runs while the learner
        edits. Its outputs stay in that child until the next attempt's learner child has ended."""
        if request.seed is not None or not request.prefetch:
            return
        snippet = snippet_dict(request.snippet, request.snippet_key)
        limits = self.limits(snippet, request)
        prep = Prep(snippet, int.from_bytes(os.urandom(4), "big"), limits, self.tmp_root, request.snippet_key)
        self._prefetched = (self._key(request, limits), prep)
        cases = prep.inputs()
        if isinstance(cases, list) and cases:
            self._spares = Spares(snippet["id"], cases, limits, self.tmp_root, snippet["checks"])

    def _snippet_error(self, name, message, started, seed) -> GradeReply:
        return GradeReply(snippet=name, status="error", seed=seed, message=message, snippet_error=True,
                          duration_ms=(time.perf_counter() - started) * 1e3)

    def _diagnose(self, snippet, cases, learner, checks, limits) -> str | None:
        """The mutant that behaves most like the learner's answer on these same inputs (see
        judging.likeness: exact, then close, statistical, partial; the first in the file wins a
        tie). Mutants are the snippet's own code, so their children may evaluate their own
        statistics. Two rounds keep this cheap: every mutant runs the first check the answer
        failed, and only those that agree there run the other checks."""
        first = next((i for i, c in enumerate(checks) if c["status"] != "pass"), 0)
        rest = [i for i in range(len(cases)) if i != first]
        results = {m["name"]: [None] * len(cases) for m in snippet["mutants"]}
        candidates = list(snippet["mutants"])
        for indices in ([first], rest):
            if not indices or not candidates:
                continue
            subset = [cases[i] for i in indices]
            runs = [CodeRun(m["code"], snippet["id"], subset, limits, self.tmp_root, stats_code=snippet["checks"])
                    for m in candidates]
            run_code(runs, concurrency=2)
            for m, run in zip(candidates, runs):
                for i, r in zip(indices, run.results):
                    results[m["name"]][i] = r
            if indices == [first]:
                candidates = [m for m in candidates
                              if agrees(snippet, cases[first], learner[first], results[m["name"]][first], checks[first])]
        best: tuple[int, str] | None = None
        for m in candidates:
            m_checks = judge_checks(snippet, cases, results[m["name"]], None, None)
            level = likeness(snippet, cases, learner, checks, results[m["name"]], m_checks)
            if level is not None and (best is None or LEVELS.index(level) < best[0]):
                best = (LEVELS.index(level), m["name"])
        return best[1] if best else None
