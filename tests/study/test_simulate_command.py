"""`flashtrain simulate`: the learner's own cards, habits and settings, per desired retention."""

from __future__ import annotations

import json
import random

import pytest
from study_factories import FakeClock, add_deck

from flashtrain.cli import main
from flashtrain.store.engine import open_store
from flashtrain.study.service import StudyService
from flashtrain.services.settings import save_setting
from flashtrain.study.workload import load_inputs

UTC = __import__("datetime").timezone.utc


@pytest.fixture
def studied(tmp_path):
    """60 cards studied for 30 days with known answer times, 40 never seen, 7 new cards a day."""
    path = tmp_path / "w.db"
    store = open_store(path)
    ids = add_deck(store, "W", 100)
    with store.sessions.begin() as s:
        save_setting(s, "new_per_day", 7)
    rng = random.Random(2)
    clock = FakeClock()
    service = StudyService(store, clock=clock, tz=UTC)
    for card_id in ids[:60]:
        service.rate(card_id, rng.choice([1, 4, 5]), duration_ms=12_000)  # first day: 12 s per card
    for _ in range(30):
        clock.advance(days=1)
        for card_id in ids[:60]:
            card = service.card(card_id)
            if card.state.due <= clock.now:
                rating = rng.choice([1, 3, 4, 4, 5])
                service.rate(card_id, rating, duration_ms=4_000 if rating > 1 else 9_000)
    return path, store, clock


def test_inputs_come_from_the_store_and_the_log(studied):
    path, store, clock = studied
    inputs, used = load_inputs(store, now=clock.now, tz=UTC)
    store.close()
    assert inputs.studied == 60 and inputs.new_cards == 40 and inputs.new_per_day == 7
    assert (inputs.last_day <= 0).all()
    assert inputs.seconds["pass"] == pytest.approx(4.0)
    assert inputs.seconds["learn"] == pytest.approx(12.0)
    assert inputs.seconds["fail"] >= 9.0  # the lapse and any relearning on that day
    assert {"first grades", "success grades", "pass time", "learn time"} <= set(used)
    assert inputs.first_grades[1] < 0.05 and inputs.first_grades[2] < 0.05  # never a first 2 or 3


def test_simulate_prints_a_row_per_retention_and_the_best(studied, capsys):
    path, store, _ = studied
    store.close()
    assert main(["--db", str(path), "simulate", "--retention", "0.80..0.95", "--days", "90"]) == 0
    out = capsys.readouterr().out
    assert "100 cards (60 studied, 40 new at 7 a day)" in out
    rows = [line for line in out.splitlines() if line.strip()[:4] in ("0.80", "0.83", "0.86", "0.89", "0.92", "0.95")]
    assert len(rows) == 6
    assert "least time per card remembered" in out and "desired_retention" in out
    assert main(["--db", str(path), "simulate", "--retention", "0.8,0.9", "--days", "90", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert [r["retention"] for r in first["results"]] == [0.8, 0.9]
    assert first["results"][0]["reviews_per_day"] < first["results"][1]["reviews_per_day"]
    assert main(["--db", str(path), "simulate", "--retention", "0.8,0.9", "--days", "90", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"] == first["results"]  # deterministic


@pytest.mark.parametrize("args, message", [(["--retention", "high"], "--retention"),
                                           (["--retention", "0.2..0.5"], "between 0.50 and 0.99"),
                                           (["--days", "0"], "--days")])
def test_bad_options_exit_1_with_a_message(tmp_path, capsys, args, message):
    assert main(["--db", str(tmp_path / "x.db"), "simulate", *args]) == 1
    assert message in capsys.readouterr().err
