"""`flashtrain snippets [show ID]` and `flashtrain check [ID --solution FILE]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flashtrain.cli import common
from flashtrain.cli.common import UserError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("snippets", help="list code snippets and the cards linked to them")
    common.add_json_option(p)
    p.set_defaults(handler=cmd_list)
    snip_sub = p.add_subparsers(dest="snippets_command", metavar="COMMAND", parser_class=type(p))
    show = snip_sub.add_parser("show", help="print a snippet's file, or its reference or starter code")
    show.add_argument("id", metavar="ID")
    which = show.add_mutually_exclusive_group()
    which.add_argument("--reference", action="store_true", help="only the reference implementation")
    which.add_argument("--starter", action="store_true", help="only the starter code")
    show.set_defaults(handler=cmd_show)

    p = sub.add_parser("check", help="grade a solution, or verify every snippet (exercises: reference and "
                                     "mutants; demonstrations: every claim holds)")
    p.add_argument("id", nargs="?", metavar="ID",
                   help="snippet id; without --solution, verify that snippet (default: verify all snippets)")
    p.add_argument("--solution", type=Path, metavar="FILE",
                   help="a Python file defining the function; for a demonstration, a program to run in place "
                        "of its own (e.g. with changed parameters)")
    p.add_argument("--trust", action="store_true", help="trust the deck this snippet comes from (recorded)")
    p.add_argument("--seed", type=int, help="seed for the random checks (default: fresh each run)")
    p.add_argument("--doctor", action="store_true",
                   help="print what this machine offers the code sandbox and which layers hold")
    common.add_json_option(p)
    p.set_defaults(handler=cmd_check)


def _library(args, store=None):
    from flashtrain.snippets.library import SnippetLibrary

    store = store if store is not None else common.open_store(args)
    return SnippetLibrary.from_store(store), store


def _source(library, snippet_id: str):
    from flashtrain.snippets.library import UnknownSnippetError

    try:
        return library.get(snippet_id)
    except UnknownSnippetError as error:
        raise UserError(f"{error} (see `flashtrain snippets`)", EXIT_USAGE) from error


def _trusting(args, library, store, source):
    """The library to run from: with --trust on an untrusted snippet, its decks are trusted
    (recorded in the store) and the library is read again."""
    from flashtrain.snippets.library import trust_decks

    if not (args.trust and not source.runnable):
        return library
    trust_decks(store, source.deck_ids)
    return _library(args, store)[0]


def _linked_cards(store) -> dict[str, list[dict]]:
    from flashtrain.services.decks import cards_linked_to_snippets

    return {snippet_id: [card.to_dict() for card in cards]
            for snippet_id, cards in cards_linked_to_snippets(store).items()}


def cmd_list(args: argparse.Namespace) -> int:
    library, store = _library(args)
    linked = _linked_cards(store)
    rows = []
    for sid in library.ids():
        source = library.get(sid)
        rows.append({"id": sid, "kind": source.snippet.kind, "title": source.snippet.title, "origin": source.origin,
                     "runnable": source.runnable, "path": source.snippet.path, "cards": linked.get(sid, [])})
    known = set(library.ids())
    unknown = [dict(card, snippet=sid) for sid, cards in sorted(linked.items()) if sid not in known for card in cards]
    if args.json:
        common.print_json({"snippets": rows, "errors": [str(e) for e in library.errors], "unknown_links": unknown})
    else:
        for row in rows:
            lock = "" if row["runnable"] else "  [untrusted]"
            kind = "  (demonstration)" if row["kind"] != "exercise" else ""
            print(f"{row['id']}  {row['title']}{kind}{lock}")
            for card in row["cards"]:
                print(f"    card {card['card_id']} ({card['deck']}): {card['question']}")
            if not row["cards"]:
                print("    (no cards link to it)")
        if unknown:
            print("Cards linking to a snippet that does not exist:")
            for card in unknown:
                print(f"    card {card['card_id']} ({card['deck']}, line {card['line']}): snippet {card['snippet']!r}")
        for error in library.errors:
            print(error, file=sys.stderr)
    return EXIT_FAILED if library.errors else EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from flashtrain.snippets.library import UnknownSnippetError

    library, _ = _library(args)
    try:
        snippet = library.get(args.id).snippet
    except UnknownSnippetError as error:
        raise UserError(str(error), EXIT_USAGE) from error
    if (args.reference or args.starter) and snippet.kind != "exercise":
        raise UserError(f"{snippet.id} is a demonstration: it has no starter or reference "
                        f"(flashtrain snippets show {snippet.id} prints its file)", EXIT_USAGE)
    if args.reference:
        text = snippet.reference
    elif args.starter:
        text = snippet.starter
    else:
        text = Path(snippet.path).read_text(encoding="utf-8")
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    if args.doctor:
        from flashtrain.cli.check_doctor import doctor

        return doctor(args)
    if args.id is None:
        if args.solution is not None:
            raise UserError("--solution needs a snippet ID", EXIT_USAGE)
        if args.trust:  # trusting every imported deck at once is too broad to do by accident
            raise UserError("--trust needs a snippet ID (it trusts the deck that snippet comes from)", EXIT_USAGE)
        return _verify_all(args)
    if args.solution is None:
        return _verify_all(args, only=args.id)
    return _grade_solution(args)


def _grade_solution(args: argparse.Namespace) -> int:
    from flashtrain.snippets.grading import grade
    from flashtrain.snippets.library import UntrustedSnippetError

    library, store = _library(args)
    source = _source(library, args.id)
    try:
        code = args.solution.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{args.solution}: no such file", EXIT_USAGE) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{args.solution}: cannot read: {error}", EXIT_USAGE) from None
    library = _trusting(args, library, store, source)
    if source.is_demonstration:
        return _run_demonstration(args, library, code, str(args.solution))
    try:
        result = grade(args.id, code, library=library, seed=args.seed)
    except UntrustedSnippetError as error:
        raise UserError(str(error)) from error
    if args.json:
        common.print_json(result.to_dict())
    else:
        _print_result(result, args.solution)
    return EXIT_OK if result.status == "pass" else EXIT_FAILED


def _print_result(result, solution: Path) -> None:
    """One line per check; a line that would repeat the previous one is said once (a syntax error
    fails every check the same way; a module-level print shows up in every check's output)."""
    marks = {"pass": "ok  ", "fail": "FAIL", "error": "ERR "}
    print(f"{result.snippet}: {result.status} ({result.passed}/{result.total} checks, "
          f"{result.duration_ms:.0f} ms)")
    checks = list(result.checks)
    messages = {c.message for c in checks}
    if len(checks) > 1 and len(messages) == 1 and all(c.status != "pass" for c in checks):
        statuses = {c.status for c in checks}
        mark = marks[checks[0].status] if len(statuses) == 1 else "FAIL"
        where = f"{solution}: " if result.message == checks[0].message else ""
        print(f"  {mark} every check ({len(checks)}): {where}{checks[0].message}")
        _print_output(checks[0])
        checks = []
    elif result.message and result.message not in messages:
        print(f"  {solution}: {result.message}")
    failed = [c for c in checks if c.status != "pass"]
    shared = len(failed) > 1 and all(c.output and c.output == failed[0].output for c in failed)
    for check in checks:
        print(f"  {marks[check.status]} {check.name}: {check.message}")
        if check.status != "pass" and not shared:
            _print_output(check)
    if shared:
        _print_output(failed[0], "output (the same in every failed check): ", indent=2)
    if result.hint:
        from flashtrain.mathtext import plain_math

        print(f"  hint: {plain_math(' '.join(result.hint.split()))}")  # $..$ as in the app


def _print_output(check, label: str = "output: ", indent: int = 7) -> None:
    if not check.output:
        return
    shown = check.output.rstrip()[:500]
    print(" " * indent + label + shown.replace("\n", "\n" + " " * (indent + len(label))) +
          (" [truncated]" if check.output_truncated else ""))


def _run_demonstration(args: argparse.Namespace, library, program: str | None, where: str) -> int:
    """`check DEMO_ID [--solution FILE]`: run the demonstration (or FILE as its program) and show
    its output and one ✓/✗ line per claim."""
    from flashtrain.snippets import demonstrations
    from flashtrain.snippets.library import UntrustedSnippetError

    try:
        demo = library.runnable_snippet(args.id)
    except UntrustedSnippetError as error:
        raise UserError(str(error)) from error
    result = demonstrations.run(demo, program)
    if args.json:
        common.print_json({"snippet": demo.id, "program": where, "status": result.status, "output": result.output,
                           "claims": [{"text": c.text, "holds": c.holds, "detail": c.detail, "line": c.line}
                                      for c in result.claims], "error": result.error,
                           "all_hold": result.all_hold, "seconds": result.seconds})
    else:
        print(f"{demo.id}: {demonstrations.summary(result)} ({result.seconds * 1000:.0f} ms, {where})")
        if result.output.strip():
            print(result.output.rstrip())
        if result.error:
            print(result.error.rstrip(), file=sys.stderr)
        for line in demonstrations.claim_lines(result):
            print(line)
    return EXIT_OK if result.all_hold else EXIT_FAILED


def _verify_demonstration(source, report: dict) -> None:
    from flashtrain.snippets import demonstrations

    result = demonstrations.run(source.snippet)
    report["problems"] = demonstrations.problems(source.snippet, result)
    report["status"] = "ok" if not report["problems"] else "fail"
    report["claims"] = len(result.claims)
    if report["problems"] and result.output.strip():
        report["output"] = result.output[-2000:]


def _verify_all(args: argparse.Namespace, only: str | None = None) -> int:
    """Every runnable snippet (or just `only`): the reference passes, and every mutant fails at
    least one check and is diagnosed as itself."""
    from flashtrain.snippets.grading import grade

    library, store = _library(args)
    ids = library.ids()
    if only is not None:
        ids = [only]
        library = _trusting(args, library, store, _source(library, only))
    reports, ok = [], not library.errors
    for error in library.errors:
        print(error, file=sys.stderr)
    for sid in ids:
        source = library.get(sid)
        if not source.runnable:
            why = source.why_not_runnable()
            if only is not None:
                why += f" (or verify it with: flashtrain check {sid} --trust)"
                ok = False  # the one snippet asked for was not verified
            reports.append({"snippet": sid, "status": "skipped", "problems": [why]})
            continue
        if source.is_demonstration:
            if only is not None and not args.json:
                return _run_demonstration(args, library, None, "its own program")
            report = {"snippet": sid, "kind": "demonstration"}
            _verify_demonstration(source, report)
            ok = ok and report["status"] == "ok"
            reports.append(report)
            continue
        snippet = source.snippet
        problems = []
        ref = grade(snippet, snippet.reference, seed=args.seed, diagnose=False)
        if ref.status != "pass":
            bad = [f"{c.name}: {c.message}" for c in ref.checks if c.status != "pass"]
            problems.append(f"reference {ref.status}: " + ("; ".join(bad) or ref.message))
        for mutant in snippet.mutants:
            # A mutant must fail, and a learner who writes it must get its own hint: diagnosis
            # runs the other mutants on the same inputs and must pick this one.
            res = grade(snippet, mutant.code, seed=args.seed)
            if res.status == "pass":
                problems.append(f"mutant {mutant.name} passes every check")
            elif res.status == "error" and not res.checks:
                problems.append(f"mutant {mutant.name}: {res.message}")
            elif res.hint_mutant != mutant.name:
                named = f"diagnosed as {res.hint_mutant}" if res.hint_mutant else "not diagnosed"
                problems.append(f"mutant {mutant.name} fails but is {named}: the checks do not tell them apart")
        ok = ok and not problems
        reports.append({"snippet": sid, "status": "ok" if not problems else "fail", "problems": problems,
                        "checks": ref.total, "mutants": len(snippet.mutants)})
    if args.json:
        common.print_json({"ok": ok, "snippets": reports})
    else:
        for r in reports:
            if r["status"] == "ok" and r.get("kind") == "demonstration":
                print(f"ok    {r['snippet']}: demonstration runs, {r['claims']} claims hold")
            elif r["status"] == "ok":
                print(f"ok    {r['snippet']}: reference passes {r['checks']} checks, "
                      f"{r['mutants']} mutants caught and named")
            else:
                print(f"{r['status'].upper():5} {r['snippet']}")
                for p in r["problems"]:
                    print(f"      {p}")
                if r.get("output"):
                    print("      output: " + r["output"].rstrip().replace("\n", "\n              "))
    return EXIT_OK if ok else EXIT_FAILED
