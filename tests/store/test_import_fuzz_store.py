"""Fuzz through the shared import entry point into a real store: every format and history import.

Whatever the file holds, import_file returns a report (never raises), a rejected file names
itself with `path:...: error:`, and a rejected file leaves the store exactly as it was; history
import raises only HistoryError and then leaves the store unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flashtrain.deck.importers import FORMATS
from flashtrain.services.imports import import_file
from flashtrain.services.history import import_history
from flashtrain.study.history import HistoryError

from faultlab import deck_text, fingerprint

SHAPED = st.sampled_from([
    "", "Q: what?", "A: this", "C: {{c1::gap}}", "C: {{c1::a}} {{c2::b}}", "id: x1", "tags: a b", "hint: h",
    "snippet: nope", "reversed: yes", "---", "name: Fuzz", "# Heading", "```", "~~~", "<!--", "-->", "$$",
    "a\tb", "a,b", '"a,b",c', "#separator:tab", "#html:true", "Cloze\t{{c1::x}}\t", "1", "Q", "A",
    "\x0c", "\u2028", "\r", "\x00", "\ufeff", "é" * 3,
])
text = st.one_of(st.text(max_size=400), st.lists(st.one_of(SHAPED, st.text(max_size=30)), max_size=30).map("\n".join))

TIMES = st.sampled_from(["2024-03-29T20:32:32Z", "2024-03-29T20:32:32+05:00", "0001-01-01T00:00:00Z",
                         "9999-12-31T23:59:59-05:00", "2100-01-01T00:00:00Z", "1969-12-31T00:00:00Z", "nope", "",
                         "2024-02-30T00:00:00Z", "2024-03-29"])
CELLS = st.one_of(st.sampled_from(["1", "2", "3", "4", "5", "0", "6", "²", "-1", "1.5", "", "1" * 30, '"']),
                  st.text(max_size=8))
history_rows = st.lists(st.tuples(CELLS, TIMES, CELLS, CELLS), max_size=8).map(
    lambda rows: "card_id,review_time,rating,duration_ms\n" + "".join(",".join(r) + "\n" for r in rows))
history_text = st.one_of(history_rows, st.text(max_size=200))


@pytest.fixture
def seeded(store, tmp_path):
    deck = tmp_path / "seed.md"
    deck.write_text(deck_text(5, "Seed deck"))
    assert import_file(store, deck).status == "imported"
    return store


FORMATS_TRIED = [None, *FORMATS]  # None: the format is detected, as `flashtrain import` does


@pytest.mark.parametrize("fmt", FORMATS_TRIED)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=text)
def test_a_rejected_file_leaves_the_store_unchanged(seeded, tmp_path, fmt, body):
    path = tmp_path / "fuzz.md"
    path.write_bytes(body.encode("utf-8", "surrogatepass"))
    before = fingerprint(seeded)
    report = import_file(seeded, path, fmt=fmt, dry_run=False)
    assert report.status in ("imported", "unchanged", "rejected")
    if report.status == "rejected":
        assert report.error.startswith(f"{path}") and ": error: " in report.error
        assert fingerprint(seeded) == before


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=history_text)
def test_history_import_raises_only_history_errors_and_then_changes_nothing(seeded, tmp_path, body):
    path = tmp_path / "fuzz.csv"
    path.write_text(body, encoding="utf-8")
    before = fingerprint(seeded)
    try:
        import_history(seeded, path)
    except HistoryError as error:
        assert str(error).startswith(f"{path}:") and ": error: " in str(error)
        assert fingerprint(seeded) == before
