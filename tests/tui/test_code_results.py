"""How a check result reads in the code panel (pure formatting, no app)."""

from flashtrain.snippets.protocol import GradeReply
from flashtrain.tui.widgets.code_panel import results_markdown


def _result(data: dict) -> GradeReply:
    return GradeReply.from_dict({"snippet": "s", **data})


def test_the_same_error_in_every_check_is_said_once():
    checks = [{"name": f"case {i}", "status": "error", "message": "line 5: unexpected indent"} for i in range(5)]
    text = results_markdown(_result({"status": "error", "checks": checks}))
    assert text.count("unexpected indent") == 1 and "every check (5)" in text


def test_different_failures_are_listed_per_check():
    checks = [{"name": "a", "status": "fail", "message": "off by one", "expected": "1", "actual": "2"},
              {"name": "b", "status": "pass", "message": "ok"}]
    text = results_markdown(_result({"status": "fail", "checks": checks}))
    assert "`a` off by one" in text and "expected: `1`" in text and "actual: `2`" in text and "`b`" in text


def test_a_syntax_error_is_not_repeated_by_the_results_own_message():
    """The grader puts a load error both in the result's message and in every check's."""
    checks = [{"name": f"case {i}", "status": "error", "message": "line 5: invalid syntax"} for i in range(5)]
    text = results_markdown(_result({"status": "error", "checks": checks, "message": "line 5: invalid syntax"}))
    assert text.count("invalid syntax") == 1


def test_a_result_message_without_checks_is_shown():
    text = results_markdown(_result({"status": "error", "checks": [], "message": "the checker failed: boom"}))
    assert "the checker failed: boom" in text


def test_check_messages_are_shown_as_the_grader_words_them():
    checks = [{"name": "case", "status": "pass", "message": "matches within rtol=1e-06, atol=1e-09", "kind": "case",
               "lo": None, "hi": None},
              {"name": "shapes", "status": "pass", "message": "passed (its assertions held)", "lo": None, "hi": None},
              {"name": "mean", "status": "pass", "message": "0.5 within [0.4, 0.6]", "lo": 0.4, "hi": 0.6}]
    text = results_markdown(_result({"status": "pass", "checks": checks}))
    assert "matches within rtol=1e-06, atol=1e-09" in text  # a value check is not reworded as an assertion
    assert "passed (its assertions held)" in text and "0.5 within [0.4, 0.6]" in text


def test_a_failing_assert_only_check_keeps_its_assertion_message():
    checks = [{"name": "shapes", "status": "fail", "message": "shape mismatch: (2,) vs (3,)", "lo": None, "hi": None}]
    assert "shape mismatch: (2,) vs (3,)" in results_markdown(_result({"status": "fail", "checks": checks}))
