import json
import re

import pytest

from flashtrain.cli import main

ADAM_WRONG = """import numpy as np
def adam_update(w, dw, v, s, t, lr, beta1, beta2, eps):
    v = beta1 * v + (1 - beta1) * dw
    s = beta2 * s + (1 - beta2) * dw**2
    return w - lr * (v / (1 - beta1**t)) / np.sqrt(s / (1 - beta2**t) + eps), v, s
"""


@pytest.fixture
def db(tmp_path):
    return ["--db", str(tmp_path / "store.db")]


def _reference(capsys, db, sid):
    assert main(db + ["snippets", "show", sid, "--reference"]) == 0
    return capsys.readouterr().out


def test_check_solution_json_pass_and_fail(tmp_path, capsys, db):
    good = tmp_path / "good.py"
    good.write_text(_reference(capsys, db, "adam_update"))
    assert main(db + ["check", "adam_update", "--solution", str(good), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["snippet"] == "adam_update" and data["status"] == "pass" and data["hint"] is None
    assert isinstance(data["duration_ms"], float) and data["checks"]
    assert all({"name", "status", "message"} <= set(c) and c["status"] == "pass" for c in data["checks"])

    bad = tmp_path / "bad.py"
    bad.write_text(ADAM_WRONG)
    assert main(db + ["check", "adam_update", "--solution", str(bad), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "fail" and "inside" in data["hint"]


def test_check_text_output_and_error_status(tmp_path, capsys, db):
    broken = tmp_path / "broken.py"
    broken.write_text("def adam_update(:\n")
    assert main(db + ["check", "adam_update", "--solution", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "adam_update: error" in out and "SyntaxError" not in out.split("\n")[0]
    assert "line 1" in out


def test_usage_errors_exit_2(tmp_path, capsys, db):
    sol = tmp_path / "s.py"
    sol.write_text("x = 1\n")
    assert main(db + ["check", "no_such_snippet", "--solution", str(sol)]) == 2
    assert "unknown snippet" in capsys.readouterr().err
    assert main(db + ["check", "adam_update", "--solution", str(tmp_path / "missing.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(db + ["check", "no_such_snippet"]) == 2
    assert main(db + ["snippets", "show", "nope"]) == 2


def test_check_all_verifies_references_and_mutants(capsys, db):
    assert main(db + ["check", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True
    assert {"adam_update", "batchnorm_forward", "sample_log_uniform"} <= {r["snippet"] for r in data["snippets"]}
    assert all(r["status"] == "ok" for r in data["snippets"])


def test_check_one_snippet_verifies_its_reference_and_mutants(capsys, db):
    assert main(db + ["check", "random_mini_batches", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["snippet"] for r in data["snippets"]] == ["random_mini_batches"]
    assert data["ok"] is True and data["snippets"][0]["mutants"] >= 5


def test_snippets_list_and_show(capsys, db):
    assert main(db + ["snippets", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ids = {row["id"] for row in data["snippets"]}
    assert {"adam_update", "batchnorm_forward", "sample_log_uniform"} <= ids
    assert main(db + ["snippets", "show", "batchnorm_forward", "--starter"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("import numpy as np") and "raise NotImplementedError" in out


SNIPPET = """---
id: add_one
---

## Hints

1. Add one.

```python starter
def add_one(x):
    \"\"\"x: array. Returns x + 1.\"\"\"
```

```python reference
def add_one(x):
    return x + 1
```

```python checks
def cases(rng):
    yield Case("fixed", dict(x=np.arange(3.0)))
```

```python mutant plus-two
def add_one(x):
    return x + 2
```

Hint: One, not two.
"""


def _import_shared_deck(tmp_path, capsys, db):
    """An imported (so untrusted) deck whose card links to its own add_one snippet."""
    deck_dir = tmp_path / "shared-deck"
    (deck_dir / "snippets").mkdir(parents=True)
    (deck_dir / "snippets" / "add_one.md").write_text(SNIPPET)
    (deck_dir / "mine.md").write_text("---\nname: Mine\n---\n\nQ: Write add_one.\nA: x + 1\n\nsnippet: add_one\n")
    assert main(db + ["import", str(deck_dir / "mine.md")]) == 0
    capsys.readouterr()


def test_imported_deck_snippets_need_trust(tmp_path, capsys, db):
    _import_shared_deck(tmp_path, capsys, db)
    sol = tmp_path / "sol.py"
    sol.write_text("def add_one(x):\n    return x + 1\n")

    assert main(db + ["snippets", "--json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out)["snippets"] if r["id"] == "add_one")
    assert row["runnable"] is False and row["cards"] and row["cards"][0]["deck"] == "Mine"

    assert main(db + ["check", "add_one", "--solution", str(sol)]) == 1
    assert "trust" in capsys.readouterr().err
    assert main(db + ["check", "add_one", "--solution", str(sol), "--trust"]) == 0
    capsys.readouterr()
    assert main(db + ["check", "add_one", "--solution", str(sol)]) == 0  # trust was recorded


def test_verifying_one_untrusted_snippet_fails_until_trust_is_given(tmp_path, capsys, db):
    """`check ID` that checked nothing is not a success; `check ID --trust` trusts and verifies."""
    _import_shared_deck(tmp_path, capsys, db)

    assert main(db + ["check", "add_one"]) == 1
    out = capsys.readouterr().out
    assert "SKIPPED add_one" in out and "flashtrain check add_one --trust" in out
    assert main(db + ["check", "--trust"]) == 2  # trusting everything at once is refused
    capsys.readouterr()
    assert main(db + ["check", "add_one", "--trust"]) == 0
    assert "ok    add_one: reference passes 1 checks, 1 mutants caught and named" in capsys.readouterr().out
    assert main(db + ["check", "add_one"]) == 0  # trust was recorded


def test_check_doctor_reports_the_machine_and_the_layers(capsys):
    cli_main = main
    code = cli_main(["check", "--doctor"])
    out = capsys.readouterr().out
    assert "This machine:" in out and "landlock ABI" in out and "A probe child tried:" in out
    assert "✓ refused: read /etc/passwd" in out and "✓ refused: fork" in out
    assert code == (0 if "verdict: checks run isolated" in out else 1)
    cli_main(["check", "--doctor", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"ok", "machine", "layers", "blocked", "problems"}
    assert report["blocked"]["socket"] is True and report["layers"]["seccomp"] is True


def test_check_text_says_a_shared_failure_once_and_renders_math(tmp_path, capsys, db):
    broken = tmp_path / "broken.py"
    broken.write_text("def lr_decay(:\n")
    assert main(db + ["check", "lr_decay", "--solution", str(broken)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(set(lines)) == 2, lines  # the header, then the error once
    assert re.match(r"  ERR  every check \(\d+\): .*line 1", lines[1]), lines

    noisy = tmp_path / "noisy.py"
    noisy.write_text("print('loading my answer')\n"
                     "def lr_decay(alpha0, decay_rate, epoch):\n"
                     "    return alpha0 / (1 + decay_rate * (epoch + 1))\n")
    assert main(db + ["check", "lr_decay", "--solution", str(noisy), "--seed", "1"]) == 1
    out = capsys.readouterr().out
    assert out.count("loading my answer") == 1, out
    assert "output (the same in every failed check): loading my answer" in out
    # Numbers to a readable precision: 0.5 / 3 is shown as 0.1667, not 0.16666666666666666.
    assert "expected 0.1667, got 0.125" in out
    assert "0.16666666" not in out

    unbiased = tmp_path / "unbiased.py"  # a hint with math: shown as Unicode, as in the app
    unbiased.write_text("import numpy as np\n"
                        "def adam_update(w, dw, v, s, t, lr, beta1, beta2, eps):\n"
                        "    v = beta1 * v + (1 - beta1) * dw\n"
                        "    s = beta2 * s + (1 - beta2) * dw**2\n"
                        "    return w - lr * v / (np.sqrt(s) + eps), v, s\n")
    assert main(db + ["check", "adam_update", "--solution", str(unbiased)]) == 1
    hint = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  hint: ")]
    assert hint and "$" not in hint[0] and "β₁" in hint[0], hint


def test_json_values_are_rounded_for_reading(tmp_path, capsys, db):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def lr_decay(alpha0, decay_rate, epoch):\n    return 0.1 * 3 + 0 * alpha0 * epoch\n")
    assert main(db + ["check", "lr_decay", "--solution", str(wrong), "--json", "--seed", "1"]) == 1
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert checks[0]["actual"] == 0.3  # 0.1 * 3 is 0.30000000000000004 in float arithmetic
    assert checks[0]["expected"] == pytest.approx(0.5 / 3) and len(repr(checks[0]["expected"])) <= 11
