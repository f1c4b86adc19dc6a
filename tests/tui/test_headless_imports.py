"""The headless modules the TUI relies on never import Textual (checked in a fresh interpreter)."""

import subprocess
import sys

import pytest

HEADLESS = ["flashtrain.mathtext", "flashtrain.services.browse", "flashtrain.services.stats", "flashtrain.services.card_edit",
            "flashtrain.deck.writeback", "flashtrain.tui.format", "flashtrain.tui.grading_hint"]


@pytest.mark.parametrize("module", HEADLESS)
def test_module_does_not_import_textual(module):
    code = f"import sys, {module}; sys.exit(1 if any(m.split('.')[0] == 'textual' for m in sys.modules) else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_every_module_outside_the_tui_imports_without_textual():
    """Walks the whole package (new modules included): only flashtrain.tui may load Textual."""
    code = ("import importlib, pkgutil, sys, flashtrain\n"
            "names = [m.name for m in pkgutil.walk_packages(flashtrain.__path__, 'flashtrain.')\n"
            "         if not m.name.startswith('flashtrain.tui') and '.migrations.' not in m.name\n"
            "         and not m.name.endswith('__main__')]\n"
            "assert 'flashtrain.study.session' in names\n"
            "for name in names:\n"
            "    importlib.import_module(name)\n"
            "    loaded = [m for m in sys.modules if m.split('.')[0] == 'textual']\n"
            "    assert not loaded, (name, loaded[:3])\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_study_screen_does_not_import_the_app():
    """The app imports the study screen; the screen gets typed collaborators (no import cycle)."""
    code = ("import sys, flashtrain.tui.screens.study, flashtrain.tui.widgets.code_panel\n"
            "sys.exit(1 if 'flashtrain.tui.app' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
