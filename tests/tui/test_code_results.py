"""How a check result reads in the code panel (pure formatting, no app)."""

from flashtrain.tui.widgets.code_panel import results_markdown


def test_the_same_error_in_every_check_is_said_once():
    checks = [{"name": f"case {i}", "status": "error", "message": "line 5: unexpected indent"} for i in range(5)]
    text = results_markdown({"status": "error", "checks": checks})
    assert text.count("unexpected indent") == 1 and "every check (5)" in text


def test_different_failures_are_listed_per_check():
    checks = [{"name": "a", "status": "fail", "message": "off by one", "expected": "1", "actual": "2"},
              {"name": "b", "status": "pass", "message": "ok"}]
    text = results_markdown({"status": "fail", "checks": checks})
    assert "`a` off by one" in text and "expected: `1`" in text and "actual: `2`" in text and "`b`" in text
