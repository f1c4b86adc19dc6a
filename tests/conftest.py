"""Shared fixtures. Every test gets its own store path, so no test touches a real user's data."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from flashtrain.store.engine import open_store

# CI runs the same examples every time (a red CI is then always reproducible); locally, hypothesis
# explores new examples on every run and remembers failures.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def isolated_db(tmp_path, monkeypatch):
    """FLASHTRAIN_DB points into the test's temp dir, so a forgotten --db can't reach real data."""
    path = tmp_path / "flashtrain-test.db"
    monkeypatch.setenv("FLASHTRAIN_DB", str(path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("FLASHTRAIN_DEBUG", "1")  # a bug in a command raises in tests instead of exit 1
    return path


@pytest.fixture
def store(tmp_path):
    """A fresh, migrated, empty store (the bundled decks are NOT imported)."""
    opened = open_store(tmp_path / "store.db")
    yield opened
    opened.close()
