"""Imports of modules that are not preloaded: their time is not charged to the check (up to an
allowance), and an import that takes too long gets a message that says so."""

import importlib.util

import pytest

from flashtrain.snippets.grading import GradeResult, grade
from flashtrain.snippets.protocol import GradeRequest


def _grade(runner, snippet, code, **extra):
    request = GradeRequest(snippet=snippet.to_request(), code=code, seed=1, diagnose=False, **extra)
    reply = runner.request(request)
    assert isinstance(reply, GradeResult), reply
    return reply


def _plant(name, seconds):
    """Module-level code that writes a slow module into the child's own folder (the only place a
    child can write, and nothing outside its sandbox is visible) and puts that folder on sys.path."""
    return (f"import os, sys\nwith open({name + '.py'!r}, 'w') as f:\n"
            f"    f.write('import time\\ntime.sleep({seconds})\\n')\n"
            "sys.path.insert(0, os.getcwd())\n")


def _slow_module(tmp_path, name, seconds):
    return _plant(name, seconds) + f"import {name}\ndef scale_rows(X, f):\n    return X * f\n"


def test_an_import_that_never_finishes_is_named_in_the_message(scale_snippet, runner, tmp_path):
    result = _grade(runner, scale_snippet, _slow_module(tmp_path, "slowpkg_forever", 60), import_allowance=1.0)
    assert result.status == "error"
    assert "import of slowpkg_forever took too long" in result.message
    assert "only numpy and the standard library are preloaded" in result.message
    assert all(c.status == "error" for c in result.checks) and len(result.checks) == 2


def test_import_time_is_not_charged_to_the_check(scale_snippet, runner, tmp_path):
    # The snippet's limit is 0.75 s per check; the import alone takes 1 s.
    result = _grade(runner, scale_snippet, _slow_module(tmp_path, "slowpkg_once", 1.0), import_allowance=3.0)
    assert result.status == "pass", result.to_dict()
    assert "importing took slowpkg_once" in result.message


def test_an_import_inside_the_function_is_named_when_it_times_out(scale_snippet, runner, tmp_path):
    code = _plant("slowpkg_inner", 60) + "def scale_rows(X, f):\n    import slowpkg_inner\n    return X * f\n"
    result = _grade(runner, scale_snippet, code, import_allowance=0.5)
    assert "import of slowpkg_inner took too long" in result.checks[0].message


@pytest.mark.skipif(importlib.util.find_spec("scipy") is None, reason="scipy is not installed")
def test_scipy_works_in_the_sandbox(scale_snippet, runner):
    code = "import scipy.special\ndef scale_rows(X, f):\n    return X * f + 0 * scipy.special.expit(X)\n"
    result = grade(scale_snippet, code, runner=runner, seed=1, diagnose=False)
    assert result.status == "pass", result.to_dict()
