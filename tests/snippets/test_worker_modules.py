"""The worker is split into modules under flashtrain/snippets/, yet it still starts as one script
(`python -I worker.py`) that preloads only numpy, the standard library and its own modules into the
children, and the names the old single-file worker had stay importable from it."""

import ast
import json
from pathlib import Path

from flashtrain.snippets import worker
from flashtrain.snippets.grading import grade

SNIPPETS_DIR = Path(worker.__file__).parent

REPORT_MODULES = """\
import sys, json
print("MODULES " + json.dumps({
    "app_side": sorted(m for m in sys.modules
                       if m.startswith(("markdown_it", "textual", "sqlalchemy", "flashtrain.snippets.grading",
                                        "flashtrain.snippets.library", "flashtrain.snippets.format",
                                        "flashtrain.snippets.runner", "flashtrain.snippets.worker"))),
    "wire_loaded": "flashtrain.snippets.wire" in sys.modules,
    "builtins_is_module": type(__builtins__).__name__ == "module",
}))
def scale_rows(X, f):
    return X * f
"""


def test_children_see_no_app_side_modules(scale_snippet, runner):
    result = grade(scale_snippet, REPORT_MODULES, runner=runner, seed=1, diagnose=False)
    assert result.status == "pass", result.to_dict()
    line = next(part for part in result.checks[0].output.splitlines() if part.startswith("MODULES "))
    report = json.loads(line.removeprefix("MODULES "))
    assert report["app_side"] == [], "the worker ran a package __init__ or imported the app's side"
    assert report["wire_loaded"], "the worker's own modules are loaded before the fork"
    assert report["builtins_is_module"], "the answer's __builtins__ is the builtins module, as before"


OLD_PUBLIC_NAMES = [
    "OUTPUT_KEEP", "OUTPUT_KILL", "RESULT_MAX", "DEFAULT_MEMORY", "FUNC_FILE", "IMPORT_ALLOWANCE", "PRELOADED",
    "SLOW_IMPORT", "OUTPUT_SEPARATOR", "Rng", "Case", "Stat", "Determinism", "with_other_seeds", "rng_seeds",
    "Unencodable", "encode", "SEQUENCE_MIN", "number_sequence", "decode", "materialize", "array_digests", "pack",
    "unpack", "sandbox", "reseed_global_rngs", "IN_CHILD", "send", "wait_go", "case_calls", "MAX_WARNINGS",
    "call_case", "stat_value", "child_run", "decode_cases", "child_prepare", "Child", "reap_finished",
    "frame_length", "pump", "CodeRun", "run_code", "Prep", "describe", "preview", "compare", "warning_message",
    "within", "Grader", "probe", "TMP_PREFIX", "LEGACY_TMP_AGE", "make_tmp_root", "remove_stale_tmp", "warm_up",
    "main",
]


def test_the_old_public_names_are_still_importable_from_worker():
    missing = [name for name in OLD_PUBLIC_NAMES if not hasattr(worker, name)]
    assert missing == []
    assert worker.IN_CHILD is False  # read from sandbox.py, where the flag lives


def _sibling_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("flashtrain.snippets."):
                found.add(node.module.rpartition(".")[2])
            elif node.module == "flashtrain.snippets":
                found.update(alias.name for alias in node.names)
    return found


def test_the_worker_modules_import_each_other_without_cycles():
    graph = {p.stem: _sibling_imports(p) for p in SNIPPETS_DIR.glob("*.py") if p.stem != "__init__"}
    done, path = set(), []

    def visit(module):
        assert module not in path, f"import cycle: {' -> '.join(path + [module])}"
        if module in done:
            return
        path.append(module)
        for dep in graph.get(module, ()):
            visit(dep)
        path.pop()
        done.add(module)

    for module in graph:
        visit(module)
    assert "worker" not in set().union(*graph.values()), "nothing imports the worker script's module"
