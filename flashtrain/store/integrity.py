"""Is the store file sound? A quick check on every open, a full one on request (`flashtrain store check`).

The quick check is SQLite's `PRAGMA quick_check` (every page and record readable, no out-of-order
rows; index contents are not compared with their tables) run under a time budget (0.25 s): on a very big
store it stops after `QUICK_CHECK_SECONDS` and the store is opened unverified rather than making
every start slow; the damage is then still caught by the first statement that reads it (faults.py
turns that into the same message). The full check adds index contents and foreign keys.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

QUICK_CHECK_SECONDS = 0.25  # a 30 MB store took 0.5-0.6 s on a loaded 2-core machine
PROBLEMS_SHOWN = 5


@dataclass
class CheckResult:
    ok: bool
    complete: bool = True  # False: the time budget ran out before the check finished
    problems: list[str] = field(default_factory=list)

    def summary(self, shown: int = 2) -> str:
        """The first problems on one line (SQLite's report has one per line and a banner)."""
        lines = [line.strip() for problem in self.problems for line in problem.splitlines()
                 if line.strip() and not line.startswith("***")]
        more = f" and {len(lines) - shown} more problem(s)" if len(lines) > shown else ""
        return "; ".join(lines[:shown]) + more


def _run(connection: sqlite3.Connection, pragma: str, budget: float | None) -> CheckResult:
    if budget is not None:
        deadline = time.monotonic() + budget
        connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        rows = [str(row[0]) for row in connection.execute(pragma).fetchall()]
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error):
            return CheckResult(ok=True, complete=False)
        return CheckResult(ok=False, problems=[str(error)])
    except sqlite3.DatabaseError as error:  # malformed header, not a database
        return CheckResult(ok=False, problems=[str(error)])
    finally:
        if budget is not None:
            connection.set_progress_handler(None, 0)
    if rows == ["ok"]:
        return CheckResult(ok=True)
    return CheckResult(ok=False, problems=rows)


def quick_check(engine: Engine, budget: float | None = QUICK_CHECK_SECONDS) -> CheckResult:
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        return _run(raw, f"PRAGMA quick_check({PROBLEMS_SHOWN + 1})", budget)


def full_check(engine: Engine) -> CheckResult:
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        result = _run(raw, "PRAGMA integrity_check(100)", None)
        if not result.ok:
            return result
        try:
            orphans = raw.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.DatabaseError as error:
            return CheckResult(ok=False, problems=[str(error)])
        problems = [f"{table} row {rowid} points to a missing {parent} row" for table, rowid, parent, _ in orphans]
        return CheckResult(ok=not problems, problems=problems)
