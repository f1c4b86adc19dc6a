"""Every snippet file in cards/snippets: the reference passes, every mutant fails, and a learner
who writes a mutant gets that mutant's hint. Parametrised over whatever files exist."""

import pytest

from flashtrain.snippets.format import load_snippet_file, snippet_files
from flashtrain.snippets.grading import grade
from flashtrain.snippets.library import bundled_snippets_dir

FILES = snippet_files(bundled_snippets_dir())
MUTANTS = [(path, m.name) for path in FILES for m in load_snippet_file(path).mutants]


def test_there_are_snippets():
    assert len(FILES) >= 3


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_snippet_file_is_well_formed(path):
    s = load_snippet_file(path)
    assert s.hints, "ordered hints"
    assert s.mutants, "at least one known-wrong variant"
    assert f"def {s.id}(" in s.starter and '"""' in s.starter, "starter with a docstring"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_reference_passes_its_checks(path, runner):
    s = load_snippet_file(path)
    result = grade(s, s.reference, runner=runner, diagnose=False)
    assert result.status == "pass", [c.message for c in result.checks if c.status != "pass"] or result.message
    assert result.total >= 3


@pytest.mark.parametrize("path, mutant", MUTANTS, ids=lambda v: getattr(v, "stem", v))
def test_mutant_fails_and_gets_its_hint(path, mutant, runner):
    s = load_snippet_file(path)
    m = s.mutant(mutant)
    result = grade(s, m.code, runner=runner)
    assert result.status == "fail", f"mutant {mutant} is not caught"
    assert result.hint_mutant == mutant, f"diagnosed as {result.hint_mutant}: the checks do not separate them"
    assert result.hint == m.hint
