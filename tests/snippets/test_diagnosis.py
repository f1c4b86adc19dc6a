"""How a wrong answer is matched to a mutant (judging.likeness): a statistical check names a
mistake only when the same assertion fails in the same way for both, never because both failed
some assertion; weaker kinds of agreement only break ties."""

import dataclasses

import numpy as np

from flashtrain.snippets.grading import grade
from flashtrain.snippets.worker.judging import judge_checks, likeness
from flashtrain.snippets.library import SnippetLibrary

SNIPPET = {"rtol": 1e-6, "atol": 1e-9}


def _stat_case(lo=None, hi=None):
    return {"name": "share", "kind": "stat", "lo": lo, "hi": hi, "args": {}}


def _run(output):
    return {"output": output, "mutated": [], "warnings": [], "ms": 1.0, "stdout": "", "stdout_truncated": False}


def _likeness(case, mine_stat, theirs_stat, mine_out=np.ones(3), theirs_out=np.zeros(3)):
    mine, theirs = [_run(mine_out)], [_run(theirs_out)]
    checks = judge_checks(SNIPPET, [case], mine, None, {0: mine_stat})
    m_checks = judge_checks(SNIPPET, [case], theirs, None, {0: theirs_stat})
    return likeness(SNIPPET, [case], mine, checks, theirs, m_checks)


def test_two_different_failed_assertions_do_not_name_a_mistake():
    shape = {"assert": "expected shape (20000,), got ()", "at": 5}
    bounds = {"assert": "values must lie in [0.0001, 1]; got min 1.3, max 9.8e3", "at": 8}
    assert _likeness(_stat_case(), shape, bounds) is None


def test_the_same_assertion_failing_the_same_way_names_it_whatever_numbers_it_quotes():
    mine = {"assert": "values must lie in [0.0001, 1]; got min 1.3, max 9.8e3", "at": 8}
    theirs = {"assert": "values must lie in [0.0001, 1]; got min 1.0002, max 9.99e3", "at": 8}
    assert _likeness(_stat_case(), mine, theirs) == "statistical"
    elsewhere = dict(theirs, at=12)  # the same words from another assertion
    assert _likeness(_stat_case(), mine, elsewhere) is None


def test_a_statistic_outside_its_bounds_matches_only_on_the_same_side():
    case = _stat_case(lo=0.2, hi=0.3)
    assert _likeness(case, {"value": [0.31]}, {"value": [0.32]}) == "statistical"
    assert _likeness(case, {"value": [0.31]}, {"value": [0.19]}) is None  # both fail, opposite sides
    assert _likeness(case, {"value": [0.25]}, {"value": [0.31]}) is None  # one passes
    per_value = _stat_case(lo=[0.2, 0.2], hi=[0.3, 0.3])
    assert _likeness(per_value, {"value": [0.31, 0.25]}, {"value": [0.25, 0.31]}) is None


def test_a_mutant_is_never_named_only_for_checks_the_answer_passes():
    case = {"name": "values", "kind": "case", "args": {}}
    mine, theirs = [_run(np.ones(2))], [_run(np.ones(2))]
    passed = [{"name": "values", "status": "pass", "values_match": True}]
    assert likeness(SNIPPET, [case], mine, passed, theirs, [{"status": "pass"}]) is None
    failed = [{"name": "values", "status": "fail", "values_match": False}]
    assert likeness(SNIPPET, [case], mine, failed, theirs, [{"status": "pass"}]) == "exact"


def test_a_scalar_instead_of_an_array_is_not_named_as_another_sampling_mistake(runner):
    # Before: every statistic of both answers failed (a shape assertion for this answer, a range
    # assertion for the mutant), and that was enough to name `exponents-as-bounds`.
    snippet = SnippetLibrary.bundled().get("sample_log_uniform").snippet
    without = dataclasses.replace(snippet, mutants=tuple(m for m in snippet.mutants if m.name != "ignores-size"))
    code = ("import numpy as np\n"
            "def sample_log_uniform(low, high, size, rng):\n"
            "    return 10 ** rng.uniform(np.log10(low), np.log10(high))\n")
    result = grade(without, code, runner=runner)
    assert result.status == "fail" and result.hint_mutant is None
    assert grade(snippet, code, runner=runner).hint_mutant == "ignores-size"


def test_an_answer_that_changes_its_argument_for_some_inputs_only_is_still_the_in_place_mistake():
    # `dA[D == 0] = 0` changes dA only when the mask drops a unit; the snippet's in-place mutant
    # (`dA *= D`) always does. A check whose mask keeps every unit used to rule the mutant out.
    case = {"name": "values", "kind": "case", "args": {}}
    learner = [dict(_run(np.ones(2)), mutated=["dA"]), _run(np.ones(2))]
    mutant = [dict(_run(np.ones(2)), mutated=["dA"]), dict(_run(np.ones(2)), mutated=["dA"])]
    checks = [{"name": "values", "status": "fail", "values_match": True},
              {"name": "values", "status": "pass", "values_match": True}]
    m_checks = [{"status": "fail"}, {"status": "fail"}]
    assert likeness(SNIPPET, [case, case], learner, checks, mutant, m_checks) == "partial"
    other_values = [mutant[0], dict(_run(np.zeros(2)), mutated=["dA"])]
    assert likeness(SNIPPET, [case, case], learner, checks, other_values, m_checks) is None
    # Weak evidence alone never names the mutant: some failed check must agree fully.
    only_partial = [dict(learner[0], mutated=[]), learner[1]]
    assert likeness(SNIPPET, [case, case], only_partial, checks, mutant, m_checks) is None


# Two fixed checks instead of the bundled snippet's random ones (which now always drop a unit and
# keep one, see test_random_draws.py): one mask drops units, the other keeps every unit.
EVERY_UNIT_KEPT = """\
def cases(rng):
    dA = np.array([[0.5, -1.0, 2.0], [1.5, 0.7, -2.2]])
    yield Case("some units dropped", dict(dA=dA, D=np.array([[True, False, True], [False, True, True]]),
                                          keep_prob=0.8))
    yield Case("every unit kept", dict(dA=dA.T.copy(), D=np.ones((3, 2), dtype=bool), keep_prob=0.5))
"""


def test_dropout_in_place_on_a_mask_keeping_every_unit_gets_the_in_place_hint(runner):
    # The answer changes dA only where the mask drops a unit, so it passes the second check
    # unchanged, where the snippet's in-place mutant (`dA *= D`) still writes to dA.
    snippet = dataclasses.replace(SnippetLibrary.bundled().get("dropout_backward").snippet,
                                  checks=EVERY_UNIT_KEPT)
    code = ("def dropout_backward(dA, D, keep_prob):\n"
            "    dA[D == 0] = 0\n"
            "    return dA / keep_prob\n")
    result = grade(snippet, code, runner=runner)
    assert [c.status for c in result.checks] == ["fail", "pass"], [(c.name, c.message) for c in result.checks]
    assert result.hint_mutant == "in-place"
