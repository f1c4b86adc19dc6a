"""`flashtrain bench checks`: latency of grading a code answer, measured from the app's side.

- cold first check: start a fresh worker (python + numpy import) and grade one full attempt;
- warm check: a snippet reduced to its first check, graded on the running worker (one learner child
  + comparison; the checks child that draws the inputs and runs the reference is started in advance
  while the learner "types", --pause-ms, as in real use);
- warm attempt: the full snippet (all its checks) graded the same way.

Beside the wall-clock figures, the warm check's CPU time in the app and in the worker (as the
worker reports it): figures a busy machine disturbs less.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time

from flashtrain.cli import common

# Issue 9's goals: a warm check's median, and the first check of a freshly started worker.
WARM_TARGET_MS = 5
COLD_TARGET_MS = 400


def register(bench_sub: argparse._SubParsersAction) -> None:
    p = bench_sub.add_parser("checks", help="latency of a warm check and of a cold first check")
    p.add_argument("--snippet", default="batchnorm_forward", help="snippet to grade (default: batchnorm_forward)")
    p.add_argument("--repeat", type=int, default=40, help="warm repetitions (default 40)")
    p.add_argument("--cold", type=int, default=5, help="cold starts to time (default 5)")
    p.add_argument("--pause-ms", type=float, default=100.0, help="think time between warm checks (default 100)")
    common.add_json_option(p)
    p.set_defaults(handler=cmd_bench)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _single_case(snippet):
    """The snippet with only its first check kept: one child for the learner, one for reference."""
    checks = snippet.checks + (
        "\n\n_all_cases = cases\n\ndef cases(rng):\n    for item in _all_cases(rng):\n"
        "        yield item\n        return\n")
    return dataclasses.replace(snippet, checks=checks)


def cmd_bench(args: argparse.Namespace) -> int:
    from flashtrain.snippets.grading import grade
    from flashtrain.snippets.library import SnippetLibrary
    from flashtrain.snippets.runner import Runner, worker_environment

    snippet = SnippetLibrary.bundled().get(args.snippet).snippet
    one = _single_case(snippet)
    cold, bare = [], []
    for _ in range(args.cold):
        # what this machine needs right now just to start Python and import numpy (the floor of a
        # cold check): on a loaded machine it says how much of the cold figure is the machine's
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", "import numpy"], check=True, env=worker_environment())
        bare.append((time.perf_counter() - t0) * 1e3)
        runner = Runner()
        t0 = time.perf_counter()
        result = grade(snippet, snippet.reference, runner=runner, diagnose=False)
        cold.append((time.perf_counter() - t0) * 1e3)
        runner.close()
        if result.status != "pass":
            raise common.UserError(f"bench: the reference of {snippet.id} did not pass: {result.message}")
    runner = Runner()
    runner.start()
    grade(snippet, snippet.reference, runner=runner)  # settle
    warm_attempt, warm_check, app_cpu, worker_cpu = [], [], [], []
    # A learner re-checks after editing, never within milliseconds; the pause lets the worker draw
    # the next attempt's inputs in advance, as it does in real use (see Grader.prefetch).
    for sample, subject in ((warm_attempt, snippet), (warm_check, one)):
        grade(subject, subject.reference, runner=runner)
        for _ in range(args.repeat):
            time.sleep(args.pause_ms / 1000)
            t0, cpu0 = time.perf_counter(), time.process_time()
            last = grade(subject, subject.reference, runner=runner, diagnose=False)
            sample.append((time.perf_counter() - t0) * 1e3)
            if subject is one:
                app_cpu.append((time.process_time() - cpu0) * 1e3)
                worker_cpu.append(last.cpu_ms)
        if subject is snippet:
            r = last  # the figures report the full attempt's checks and sandbox
    runner.close()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    figures = {
        "snippet": snippet.id, "checks_per_attempt": r.total, "repeat": args.repeat, "pause_ms": args.pause_ms,
        "warm_check_best_ms": round(min(warm_check), 1), "warm_check_p50_ms": round(_pct(warm_check, 0.5), 1), "warm_check_p95_ms": round(_pct(warm_check, 0.95), 1),
        # CPU time (less sensitive to a busy machine than the wall clock): the app's, and the worker's
        # own as it reports it; the learner child's is not counted
        "warm_check_app_cpu_p50_ms": round(_pct(app_cpu, 0.5), 2),
        "warm_check_worker_cpu_p50_ms": round(_pct(worker_cpu, 0.5), 2),
        "warm_attempt_p50_ms": round(_pct(warm_attempt, 0.5), 1),
        "warm_attempt_p95_ms": round(_pct(warm_attempt, 0.95), 1),
        "cold_first_check_ms": round(statistics.median(cold), 1) if cold else None,
        "cold_first_check_max_ms": round(max(cold), 1) if cold else None,
        "bare_python_numpy_start_ms": round(statistics.median(bare), 1) if bare else None,
        "sandbox": r.sandbox.held() if r.sandbox else [], "load_average_1min": load,
        "targets": {"warm_p50_ms": WARM_TARGET_MS, "cold_first_ms": COLD_TARGET_MS},
    }
    if args.json:
        common.print_json(figures)
    else:
        print(f"snippet {snippet.id}: {r.total} checks per attempt, {args.repeat} warm repetitions "
              f"({args.pause_ms:g} ms apart), "
              f"{args.cold} cold starts (1-min load average {load:.2f})")
        print(f"warm check   (1 check: learner child + compare, reference run in advance): "
              f"best {figures['warm_check_best_ms']} ms, p50 {figures['warm_check_p50_ms']} ms, p95 {figures['warm_check_p95_ms']} ms   (target p50 <= {WARM_TARGET_MS:g} ms)")
        print(f"             CPU time p50: app {figures['warm_check_app_cpu_p50_ms']} ms, worker "
              f"{figures['warm_check_worker_cpu_p50_ms']} ms (the learner child's own not counted)")
        print(f"warm attempt ({r.total} checks): p50 {figures['warm_attempt_p50_ms']} ms, "
              f"p95 {figures['warm_attempt_p95_ms']} ms")
        if cold:
            print(f"cold first check (worker start + full attempt): median {figures['cold_first_check_ms']} ms, "
                  f"max {figures['cold_first_check_max_ms']} ms   (target <= {COLD_TARGET_MS:g} ms; "
                  f"a bare `python -c 'import numpy'` takes {figures['bare_python_numpy_start_ms']} ms here now)")
        print(f"sandbox layers that held: {', '.join(figures['sandbox']) or 'none'}")
    return 0
