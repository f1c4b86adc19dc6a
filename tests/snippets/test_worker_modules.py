"""The snippets package is split by process: the app side (flashtrain/snippets/*.py) and the worker
package (flashtrain/snippets/worker/), which starts as one script (`python -I worker/main.py`) that
preloads only numpy, the standard library, protocol.py and its own modules into the children."""

import ast
import json
from pathlib import Path

import flashtrain.snippets.worker as worker_package
from flashtrain.snippets.grading import grade

SNIPPETS_DIR = Path(worker_package.__file__).parent  # the worker package's folder

REPORT_MODULES = """\
import sys, json
print("MODULES " + json.dumps({
    "app_side": sorted(m for m in sys.modules
                       if m.startswith(("markdown_it", "textual", "sqlalchemy", "flashtrain.snippets.grading",
                                        "flashtrain.snippets.library", "flashtrain.snippets.format",
                                        "flashtrain.snippets.runner", "flashtrain.snippets.demos"))),
    "wire_loaded": "flashtrain.snippets.worker.wire" in sys.modules,
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


def test_the_app_side_never_imports_the_worker_package():
    """Split by process: the app's modules reach the worker only through protocol.py and the runner."""
    app_side = [p for p in SNIPPETS_DIR.parent.glob("*.py")]
    for path in app_side:
        text = path.read_text()
        assert "snippets.worker" not in text.replace("snippets.worker package", ""), path.name


def test_the_protocol_and_the_worker_import_nothing_from_the_app_side():
    for path in [SNIPPETS_DIR.parent / "protocol.py", *SNIPPETS_DIR.glob("*.py")]:
        for module in _imported_modules(path):
            assert not module.startswith(("flashtrain.snippets.format", "flashtrain.snippets.library",
                                          "flashtrain.snippets.grading", "flashtrain.snippets.runner",
                                          "flashtrain.snippets.demos", "markdown_it", "textual", "sqlalchemy",
                                          "flashtrain.store", "flashtrain.study")), (path.name, module)


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


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
    assert "main" not in set().union(*graph.values()), "nothing imports the worker script's module"
