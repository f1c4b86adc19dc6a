"""The headless core never loads Textual (checked in a fresh interpreter)."""

import subprocess
import sys

CORE = ["flashtrain.deck", "flashtrain.deck.importers", "flashtrain.store.engine", "flashtrain.store.sync",
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
            "import flashtrain.store.engine, flashtrain.store.sync, flashtrain.cli\nassert made == [], made\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
