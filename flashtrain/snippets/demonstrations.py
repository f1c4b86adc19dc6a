"""Running a demonstration as the CLI and the study app see it: one program (the demo's parameters,
possibly edited, then its experiment) run once in the sandboxed worker (demos.run_demo), and the
result turned into ✓/✗ lines. One place for what "a demonstration holds" means and how a run reads.

Headless: no Textual; the app's side only (the program itself never runs in this process).
"""

from __future__ import annotations

from flashtrain.snippets.demo_format import Demonstration

HOLDS, FAILS = "✓", "✗"
DEFAULT_WIDTH = 60


def run(demo: Demonstration, program: str | None = None, *, width: int = DEFAULT_WIDTH, runner=None):
    """Run `program` (default: the demo's own) in the sandbox; returns demos.DemoRun."""
    from flashtrain.snippets.demos import run_demo

    return run_demo(demo.program() if program is None else program, timeout=demo.timeout, width=width,
                    runner=runner, id=demo.id)


def problems(demo: Demonstration, result) -> list[str]:
    """Why a run of the demo's own program does not show its card's claim (empty: it does)."""
    found = []
    if result.status != "ok":
        found.append(f"did not run to the end ({result.status}): {result.error or 'no message'}")
    if not result.claims:
        found.append("made no claim")
    for claim in result.claims:
        if not claim.holds:
            where = demo.file_line(claim.line) if claim.line else 0
            found.append(f"{demo.path}:{where}: claim does not hold: {claim.text}"
                         + (f" ({claim.detail})" if claim.detail else ""))
    return found


def claim_lines(result) -> list[str]:
    """One line per claim, ✓ or ✗ first, the measured detail after a dash."""
    return [f"{HOLDS if c.holds else FAILS} {c.text}" + (f" — {c.detail}" if c.detail else "") for c in result.claims]


def summary(result) -> str:
    """A one-line verdict: how many claims held, or why the program stopped."""
    held = sum(1 for c in result.claims if c.holds)
    total = len(result.claims)
    if result.status == "ok":
        return f"{held} of {total} claims hold" if total else "the program made no claim"
    reason = {"timeout": "ran out of time", "killed": "was stopped (a limit was hit)"}.get(result.status, "failed")
    return f"the program {reason}; {held} of {total} claims held before that"
