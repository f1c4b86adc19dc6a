"""Sets of realistic wrong answers, each labelled with the mistake it makes (a mutant's name), used
to measure how often the grader names a learner's mistake (`flashtrain bench diagnosis`, and the
tests in tests/snippets/wrong_answers/).

A set is a file `<snippet id>.answers`: blocks that each start with a line `### expect: NAME`
(NAME is the mutant whose hint should be shown) followed by the answer's source. The issue-13
exercises keep theirs as `WRONG = [(NAME, source), ...]` in tests/snippets/answers/<id>.py, read
here as a literal (never imported or run). Nothing here runs an answer: they are graded in the
sandboxed worker like any learner's answer.
"""

from __future__ import annotations

import ast
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


def read_literal_answers(path: Path) -> list[WrongAnswer]:
    """The `WRONG = [(NAME, source), ...]` list of a plain data file (read as a literal, not run)."""
    path = Path(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "WRONG" for t in node.targets):
            try:
                pairs = ast.literal_eval(node.value)
            except ValueError as error:
                raise ValueError(f"{path}:{node.lineno}: WRONG must be a literal list of (name, source)") from error
            items = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else []
            return [WrongAnswer(path.stem, name, code, str(path), getattr(item, "lineno", node.lineno))
                    for (name, code), item in zip(pairs, items or [node.value] * len(pairs))]
    return []


def answer_files(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("*.answers"))


def all_answers(folder: Path, literal_folder: Path | None = None) -> list[WrongAnswer]:
    """The `.answers` sets of `folder`, then the WRONG lists of `literal_folder`'s `.py` files."""
    found = [a for path in answer_files(folder) for a in read_answers(path)]
    if literal_folder is not None and Path(literal_folder).is_dir():
        found += [a for path in sorted(Path(literal_folder).glob("*.py")) for a in read_literal_answers(path)]
    return found
