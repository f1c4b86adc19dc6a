"""Which rating a code check suggests (pure). The learner always confirms with a number key."""

from __future__ import annotations


def suggest_rating(passed_all: bool, passed: int, total: int, hints_used: int, attempts: int,
                   reference_seen: bool) -> int:
    """5 first-try pass without help; 4 pass without hints; 3 pass with hints; 2 after seeing the
    reference or with most checks passing; 1 otherwise."""
    if passed_all:
        if reference_seen:
            return 2
        if hints_used == 0:
            return 5 if attempts <= 1 else 4
        return 3
    if total and passed / total >= 0.5:
        return 2
    return 1
