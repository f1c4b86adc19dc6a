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
