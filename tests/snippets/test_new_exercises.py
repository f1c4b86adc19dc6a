"""Issue 13's exercises against answers they have never seen: several independent correct answers
per exercise (loops, vectorised, einsum, other formulas) must pass, and realistic wrong answers must
fail with the hint of the mistake they make. The answers live in tests/snippets/answers/<id>.py."""

from __future__ import annotations

import runpy
from functools import cache
from pathlib import Path

import pytest

from flashtrain.snippets.grading import grade
from flashtrain.snippets.library import SnippetLibrary

ANSWERS = Path(__file__).with_name("answers")
IDS = sorted(p.stem for p in ANSWERS.glob("*.py"))


@cache
def _answers(sid: str) -> dict:
    """CORRECT (sources) and WRONG ((mutant, source) pairs) of one exercise (plain data files)."""
    return runpy.run_path(str(ANSWERS / f"{sid}.py"))


CORRECT = [(sid, k) for sid in IDS for k in range(len(_answers(sid)["CORRECT"]))]
WRONG = [(sid, k) for sid in IDS for k in range(len(_answers(sid)["WRONG"]))]


@pytest.mark.parametrize("sid, k", CORRECT, ids=[f"{s}-{k}" for s, k in CORRECT])
def test_an_independent_correct_answer_passes(runner, sid, k):
    snippet = SnippetLibrary.bundled().get(sid).snippet
    result = grade(snippet, _answers(sid)["CORRECT"][k], runner=runner, diagnose=False)
    assert result.status == "pass", [(c.name, c.message) for c in result.checks if c.status != "pass"]


@pytest.mark.parametrize("sid, k", WRONG, ids=[f"{s}-{k}" for s, k in WRONG])
def test_a_realistic_wrong_answer_fails_with_its_hint(runner, sid, k):
    mutant, code = _answers(sid)["WRONG"][k]
    snippet = SnippetLibrary.bundled().get(sid).snippet
    result = grade(snippet, code, runner=runner)
    assert result.status == "fail", [(c.name, c.message) for c in result.checks]
    assert result.hint_mutant == mutant, [(c.name, c.message) for c in result.checks if c.status != "pass"]
    assert result.hint == snippet.mutant(mutant).hint


def test_every_answered_exercise_exists_and_has_both_kinds():
    bundled = set(SnippetLibrary.bundled().ids())
    for sid in IDS:
        assert sid in bundled, sid
        assert len(_answers(sid)["CORRECT"]) >= 2 and _answers(sid)["WRONG"], sid


ISSUE_13_EXERCISES = (
    "relu_backward", "sigmoid_backward", "linear_backward", "softmax_cross_entropy", "dropout_backward",
    "l_layer_forward", "adamw_update", "cosine_lr", "layernorm_forward", "zero_pad", "conv_forward",
    "pool_forward", "rnn_cell_forward", "lstm_cell_forward", "scaled_dot_product_attention",
    "positional_encoding", "cosine_similarity", "clip_by_global_norm", "gradient_check",
)


def test_every_new_exercise_has_independent_answers_and_a_card():
    from flashtrain.deck.markdown_format import parse_markdown_deck

    cards_dir = Path(__file__).resolve().parents[2] / "cards"
    linked = {card.snippet for path in cards_dir.glob("*.md") if path.name != "README.md"
              for card in parse_markdown_deck(path.read_text(encoding="utf-8"), path).cards}
    assert sorted(set(ISSUE_13_EXERCISES) - linked) == []
    assert sorted(set(ISSUE_13_EXERCISES) - set(IDS)) == []
