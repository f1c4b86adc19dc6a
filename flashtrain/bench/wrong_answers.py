"""Sets of realistic wrong answers, each labelled with the mistake it makes (a mutant's name), used
to measure how often the grader names a learner's mistake (`flashtrain bench diagnosis`, and the
tests in tests/snippets/wrong_answers/).

A set is a file `<snippet id>.answers`: blocks that each start with a line `### expect: NAME`
(NAME is the mutant whose hint should be shown) followed by the answer's source. Nothing here runs
the code: the answers are graded in the sandboxed worker like any learner's answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_HEADER = re.compile(r"^### expect: *([a-z0-9][a-z0-9-]*) *$")


@dataclass(frozen=True)
class WrongAnswer:
    snippet: str
    expect: str  # the mutant whose hint names this mistake
    code: str
    path: str
    line: int  # of its `### expect:` header

    @property
    def label(self) -> str:
        return f"{self.snippet}:{self.line}:{self.expect}"


def read_answers(path: Path) -> list[WrongAnswer]:
    """The answers in one `.answers` file; a block without a header is a ValueError naming the line."""
    path = Path(path)
    found: list[WrongAnswer] = []
    current: tuple[str, int] | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            found.append(WrongAnswer(path.stem, current[0], "\n".join(body).strip() + "\n", str(path), current[1]))

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            close()
            current, body = (match.group(1), number), []
        elif current is None and line.strip():
            raise ValueError(f"{path}:{number}: expected a '### expect: NAME' line first")
        else:
            body.append(line)
    close()
    return found


def answer_files(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("*.answers"))


def all_answers(folder: Path) -> list[WrongAnswer]:
    return [a for path in answer_files(folder) for a in read_answers(path)]
