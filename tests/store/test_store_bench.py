"""`flashtrain bench store` and `bench recompute` run end to end on small stores and print every
figure (the figures themselves are timings: they are read by people, never asserted)."""

from __future__ import annotations

import json

from flashtrain.cli import main


def test_bench_store_prints_check_backup_and_lock_wait_figures(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    assert main(["bench", "store", "--cards", "60", "--reviews", "300", "--import-cards", "30", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["cards"] == 60 and figures["checks_ok"] is True
    for name in ("open_ms", "quick_check_ms", "full_check_ms", "backup_ms"):
        assert figures[name] >= 0
    wait = figures["lock_wait"]
    assert wait["import_cards"] == 30 and wait["baseline"]["count"] == 50 and wait["journaled"] == 0
    assert wait["during_import"]["count"] >= 0
    assert not (tmp_path / "user-data" / "flashtrain").exists()  # the bench's backup went to its own folder


def test_bench_recompute_runs(capsys):
    assert main(["bench", "recompute", "--cards", "60", "--reviews", "300", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cards_replayed"] > 0
