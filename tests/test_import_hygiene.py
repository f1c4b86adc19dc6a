"""The headless core never loads Textual (checked in a fresh interpreter)."""

import subprocess
import sys

CORE = ["flashtrain.deck", "flashtrain.deck.importers", "flashtrain.store.engine", "flashtrain.store.sync",
        "flashtrain.services.imports",
        "flashtrain.cli", "flashtrain.scheduler", "flashtrain.snippets", "flashtrain.study"]


def test_core_modules_do_not_import_textual():
    code = ("import importlib, sys\n"
            f"for name in {CORE!r}:\n"
            "    try:\n        importlib.import_module(name)\n"
            "    except ModuleNotFoundError as e:\n"
            "        if e.name != name: raise\n"
            "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
            "assert not loaded, loaded\n"
            "assert 'sqlalchemy' in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_no_engine_is_created_at_import_time():
    code = ("import sqlalchemy.engine.create as c\nmade = []\norig = c.create_engine\n"
            "import sqlalchemy\nsqlalchemy.create_engine = lambda *a, **k: made.append(a) or orig(*a, **k)\n"
            "import flashtrain.store.engine, flashtrain.services.imports, flashtrain.cli\nassert made == [], made\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- one door to the store -------------------------------------------------------------------------

# sqlite3 is not listed: the Anki importer reads Anki's own collection files with it.
DATABASE_MODULES = ("sqlalchemy", "alembic", "psycopg")
DOOR = ("flashtrain/store/", "flashtrain/services/")
# Every module outside store/ and services/ now reaches the store through services (issue 11): the
# study service and its queue run services/study_queries.py and answer_queries.py. The list must be
# exact: nothing may join it.
NOT_YET_MOVED: set[str] = set()


def _database_imports(path, relative: str) -> list[str]:
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
        found += [f"{relative}:{node.lineno}: {name}" for name in names if name.split(".")[0] in DATABASE_MODULES]
    return found


def test_only_the_store_and_the_services_import_database_libraries():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders, importing = [], set()
    for path in sorted((root / "flashtrain").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(DOOR):
            continue
        hits = _database_imports(path, relative)
        if hits:
            importing.add(relative)
            if relative not in NOT_YET_MOVED:
                offenders += hits
    assert offenders == [], "call a function in flashtrain/services instead:\n" + "\n".join(offenders)
    assert importing == NOT_YET_MOVED, f"update NOT_YET_MOVED: {sorted(importing ^ NOT_YET_MOVED)}"


def test_the_store_never_imports_the_layers_above_it():
    """deck -> store -> services -> study -> TUI/CLI: the store imports (even lazily) none above it."""
    import ast
    from pathlib import Path

    above = ("flashtrain.services", "flashtrain.study", "flashtrain.tui", "flashtrain.cli", "flashtrain.bench",
             "flashtrain.snippets", "flashtrain.scheduler")
    root = Path(__file__).resolve().parent.parent
    found = []
    for path in sorted((root / "flashtrain" / "store").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.relative_to(root)}:{node.lineno}: {name}" for name in names if name.startswith(above)]
    assert found == []
