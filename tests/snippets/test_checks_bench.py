"""`flashtrain bench checks` prints issue 9's figures and targets (the figures themselves are not
asserted: they depend on the machine's load)."""

import json

from flashtrain.cli import main


def test_the_checks_bench_reports_every_figure_and_issue_9s_targets(capsys, tmp_path):
    assert main(["bench", "checks", "--cold", "1", "--repeat", "2", "--pause-ms", "1", "--json",
                 "--db", str(tmp_path / "store.db")]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["targets"] == {"warm_p50_ms": 5, "cold_first_ms": 400}
    for key in ("warm_check_best_ms", "warm_check_p50_ms", "warm_check_p95_ms", "warm_attempt_p50_ms",
                "cold_first_check_ms", "bare_python_numpy_start_ms"):
        assert figures[key] > 0, key
    assert figures["warm_check_best_ms"] <= figures["warm_check_p50_ms"] <= figures["warm_check_p95_ms"]
    assert figures["warm_check_app_cpu_p50_ms"] > 0 and figures["warm_check_worker_cpu_p50_ms"] > 0
    assert "seccomp" in figures["sandbox"] and "root=private" in figures["sandbox"]


def test_the_checks_bench_prints_the_targets_it_measures_against(capsys, tmp_path):
    assert main(["bench", "checks", "--cold", "0", "--repeat", "1", "--pause-ms", "1",
                 "--db", str(tmp_path / "store.db")]) == 0
    text = capsys.readouterr().out
    assert "target p50 <= 5 ms" in text and "20 ms" not in text
