"""Realistic wrong answers (tests/snippets/wrong_answers/*.answers, written the way learners write
them, not copies of the mutants) fail and are named as the mistake they make. The same set is
measured by `flashtrain bench diagnosis`."""

from pathlib import Path

import pytest

from flashtrain.bench.wrong_answers import all_answers, read_answers
from flashtrain.snippets.grading import grade
from flashtrain.snippets.library import SnippetLibrary

FOLDER = Path(__file__).parent / "wrong_answers"
ANSWERS = all_answers(FOLDER)


def test_every_bundled_snippet_has_wrong_answers_naming_most_of_its_mutants():
    library = SnippetLibrary.bundled()
    covered: dict[str, set[str]] = {}
    for a in ANSWERS:
        covered.setdefault(a.snippet, set()).add(a.expect)
    for sid in library.ids():
        if sid not in covered:
            continue  # snippets added later by others may not have a set yet
        names = {m.name for m in library.get(sid).snippet.mutants}
        assert covered[sid] <= names, f"{sid}: answers expect unknown mutants {covered[sid] - names}"
        assert len(covered[sid]) >= len(names) - 1, f"{sid}: no wrong answer for {names - covered[sid]}"
    assert len(covered) >= 24 and len(ANSWERS) >= 150


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: a.label)
def test_a_realistic_wrong_answer_fails_and_is_named(answer, runner):
    snippet = SnippetLibrary.bundled().get(answer.snippet).snippet
    result = grade(snippet, answer.code, runner=runner)
    assert result.status == "fail", [(c.name, c.message) for c in result.checks]
    assert result.hint_mutant == answer.expect, [(c.name, c.status, c.message) for c in result.checks]
    assert result.hint == snippet.mutant(answer.expect).hint


def test_an_answers_file_without_a_header_names_its_line(tmp_path):
    path = tmp_path / "softmax.answers"
    path.write_text("\nimport numpy as np\n### expect: wrong-axis\ndef softmax(Z): ...\n")
    with pytest.raises(ValueError, match=r"softmax.answers:2: expected a '### expect: NAME' line first"):
        read_answers(path)
    path.write_text("### expect: wrong-axis\ndef softmax(Z):\n    return Z\n\n### expect: in-place\nx = 1\n")
    first, second = read_answers(path)
    assert (first.expect, first.line, first.code) == ("wrong-axis", 1, "def softmax(Z):\n    return Z\n")
    assert (second.expect, second.line) == ("in-place", 5)


def test_the_exercises_wrong_lists_are_read_as_literals_not_run(tmp_path):
    from flashtrain.bench.wrong_answers import read_literal_answers

    path = tmp_path / "zero_pad.py"
    path.write_text("import os\nos.remove('never')\nCORRECT = ['x']\nWRONG = [\n"
                    "    ('pads-every-axis', 'def zero_pad(X, pad):\\n    return X\\n'),\n]\n")
    (answer,) = read_literal_answers(path)
    assert (answer.snippet, answer.expect, answer.line) == ("zero_pad", "pads-every-axis", 5)
    assert answer.code.startswith("def zero_pad(X, pad):")
    path.write_text("WRONG = [(name, 'x') for name in 'ab']\n")
    with pytest.raises(ValueError, match=r"zero_pad.py:1: WRONG must be a literal"):
        read_literal_answers(path)
