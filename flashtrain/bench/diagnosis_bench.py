"""`flashtrain bench diagnosis`: how often a wrong answer gets the hint of the mistake it makes.

Grades every realistic wrong answer of a folder of `.answers` files (see bench/wrong_answers.py;
default: the repository's tests/snippets/wrong_answers, plus the WRONG lists of the issue-13
exercises in tests/snippets/answers) with diagnosis on, and prints, per snippet
and overall, the share of answers that fail AND are named as the mistake they make. Answers that
pass, or are named as another mistake, or not named at all, are listed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from flashtrain.cli import common

DEFAULT_ANSWERS = Path(__file__).resolve().parents[2] / "tests" / "snippets" / "wrong_answers"
EXERCISE_ANSWERS = DEFAULT_ANSWERS.parent / "answers"


def register(bench_sub: argparse._SubParsersAction) -> None:
    p = bench_sub.add_parser("diagnosis", help="share of realistic wrong answers whose mistake is named")
    p.add_argument("--answers", type=Path, default=DEFAULT_ANSWERS, metavar="DIR",
                   help="folder of <snippet>.answers files (default: the repository's tests/snippets/wrong_answers)")
    p.add_argument("--snippet", action="append", metavar="ID", help="only this snippet (repeatable)")
    p.add_argument("--seed", type=int, default=None, help="seed for the random checks (default: fresh)")
    common.add_json_option(p)
    p.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from flashtrain.bench.wrong_answers import all_answers
    from flashtrain.snippets.grading import grade
    from flashtrain.snippets.library import SnippetLibrary

    if not args.answers.is_dir():
        raise common.UserError(f"{args.answers}: no such folder of .answers files")
    try:
        answers = all_answers(args.answers, EXERCISE_ANSWERS if args.answers == DEFAULT_ANSWERS else None)
    except (OSError, UnicodeDecodeError, ValueError, SyntaxError) as error:
        raise common.UserError(str(error)) from error
    if args.snippet:
        answers = [a for a in answers if a.snippet in set(args.snippet)]
    library = SnippetLibrary.bundled()
    started = time.perf_counter()
    per_snippet: dict[str, list[int]] = {}
    misses = []
    for answer in answers:
        snippet = library.get(answer.snippet).snippet
        result = grade(snippet, answer.code, seed=args.seed)
        named = result.status == "fail" and result.hint_mutant == answer.expect
        tally = per_snippet.setdefault(answer.snippet, [0, 0])
        tally[0] += named
        tally[1] += 1
        if not named:
            got = "passed" if result.status == "pass" else (
                f"{result.status}, named {result.hint_mutant}" if result.hint_mutant else f"{result.status}, not named")
            misses.append({"answer": answer.label, "expect": answer.expect, "got": got})
    named = sum(t[0] for t in per_snippet.values())
    total = sum(t[1] for t in per_snippet.values())
    figures = {"named": named, "total": total, "share": round(named / total, 4) if total else None,
               "per_snippet": {k: {"named": v[0], "total": v[1]} for k, v in sorted(per_snippet.items())},
               "misses": misses, "seconds": round(time.perf_counter() - started, 1)}
    if args.json:
        common.print_json(figures)
        return 0
    for sid, (ok, n) in sorted(per_snippet.items()):
        print(f"{sid:24} {ok:3}/{n:<3}")
    for miss in misses:
        print(f"  not named: {miss['answer']} (expected {miss['expect']}; {miss['got']})")
    share = f"{100 * named / total:.1f} %" if total else "-"
    print(f"named {named} of {total} wrong answers ({share}) in {figures['seconds']} s")
    return 0
