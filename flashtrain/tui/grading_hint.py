"""Which rating a code check suggests. The learner always confirms with a number key."""

from __future__ import annotations


def adjust_suggestion(base: int, passed: bool, attempts: int, reference_seen: bool) -> int:
    """The snippets package suggests from the checks passed and hints used; the study screen also
    knows whether the reference was looked at (then it was not recalled: at most 2) and how many
    attempts it took (a pass after a failed attempt is at most 4)."""
    if reference_seen:
        return min(base, 2)
    if passed and attempts > 1:
        return min(base, 4)
    return base
