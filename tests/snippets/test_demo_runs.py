"""Demonstrations run in the real sandboxed worker: every bundled one runs and its claims hold (also
with other seeds, since the learner is invited to change them); false claims, crashes and timeouts
are reported as ✗ lines with file:line; `flashtrain check` runs them."""

import json
import re

import pytest

from flashtrain.cli import main
from flashtrain.snippets import demonstrations
from flashtrain.snippets.demo_format import demo_files, load_demonstration_file, parse_demonstration
from flashtrain.snippets.library import bundled_snippets_dir

FILES = demo_files(bundled_snippets_dir())
SEEDED = [p for p in FILES if any(param.name == "seed" for param in load_demonstration_file(p).params)]

TOY = '''---
id: demo_toy
kind: demonstration
title: Toy
---

A toy.

```python params
x = 3       # a number
```

```python demo
print("x is", x)
plot.bars(["x", "2x"], [x, 2 * x])
claim("x is positive", x > 0, detail=f"x = {x}")
claim("x is even", x % 2 == 0)
```
'''


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bundled_demonstration_runs_and_every_claim_holds(path, runner):
    demo = load_demonstration_file(path)
    result = demonstrations.run(demo, runner=runner)
    assert demonstrations.problems(demo, result) == [], result.output[-3000:]
    assert result.all_hold and len(result.claims) >= 1


@pytest.mark.parametrize("path", SEEDED, ids=lambda p: p.stem)
def test_claims_hold_for_other_seeds_too(path, runner):
    """The Try lists invite changing the seed: a claim must not depend on a lucky draw."""
    demo = load_demonstration_file(path)
    for seed in (11,):
        params = re.sub(r"(?m)^seed = .*$", f"seed = {seed}", demo.params_code)
        result = demonstrations.run(demo, demo.program(params), runner=runner)
        assert result.all_hold, (seed, demonstrations.claim_lines(result), result.error)


def test_a_false_claim_is_a_cross_with_its_file_line(runner):
    demo = parse_demonstration(TOY, "cards/snippets/demo_toy.md")
    result = demonstrations.run(demo, runner=runner)
    assert result.status == "ok" and not result.all_hold
    assert demonstrations.claim_lines(result) == ["✓ x is positive — x = 3", "✗ x is even"]
    assert "x is 3" in result.output and "█" in result.output  # printed output and the text plot
    assert demonstrations.problems(demo, result) == ["cards/snippets/demo_toy.md:17: claim does not hold: x is even"]
    assert demonstrations.summary(result) == "1 of 2 claims hold"


def test_a_changed_parameter_changes_the_verdict(runner):
    demo = parse_demonstration(TOY, "demo_toy.md")
    result = demonstrations.run(demo, demo.program("x = 4\n"), runner=runner)
    assert result.all_hold and "x is 4" in result.output


def test_claims_made_before_a_crash_are_kept(runner):
    demo = parse_demonstration(TOY, "demo_toy.md")
    program = demo.program() + "raise ValueError('boom')\n"
    result = demonstrations.run(demo, program, runner=runner)
    assert result.status == "error" and "boom" in (result.error or "")
    assert len(result.claims) == 2 and not result.all_hold
    assert demonstrations.summary(result).startswith("the program failed; 1 of 2 claims held")
    assert any("did not run to the end" in p for p in demonstrations.problems(demo, result))


def test_a_program_that_runs_forever_is_stopped(runner):
    demo = parse_demonstration(TOY.replace("---\n\nA toy", "timeout: 1\n---\n\nA toy"), "demo_toy.md")
    result = demonstrations.run(demo, demo.program() + "while True:\n    pass\n", runner=runner)
    assert result.status in ("timeout", "killed") and len(result.claims) == 2
    assert not result.all_hold


def test_check_runs_a_demonstration_and_a_changed_program(tmp_path, capsys):
    db = ["--db", str(tmp_path / "store.db")]
    assert main(db + ["check", "demo_ewa_window"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("demo_ewa_window: 3 of 3 claims hold") and "✓ beta = 0.98 averages" in out
    program = tmp_path / "program.py"
    program.write_text(load_demonstration_file(bundled_snippets_dir() / "demo_ewa_window.md").program("beta = 0.5\n"))
    assert main(db + ["check", "demo_ewa_window", "--solution", str(program), "--json"]) in (0, 1)
    data = json.loads(capsys.readouterr().out)
    assert data["snippet"] == "demo_ewa_window" and data["status"] == "ok" and "window 1 / (1 - beta) = 2.0" in data["output"]


def test_show_refuses_starter_of_a_demonstration(tmp_path, capsys):
    db = ["--db", str(tmp_path / "store.db")]
    assert main(db + ["snippets", "show", "demo_ewa_window", "--starter"]) == 2
    assert "is a demonstration" in capsys.readouterr().err
    assert main(db + ["snippets", "show", "demo_ewa_window"]) == 0
    assert "kind: demonstration" in capsys.readouterr().out
