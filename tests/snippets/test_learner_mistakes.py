"""Realistic wrong answers written the way a learner would (not copies of the mutants) fail and get
the hint of the mistake they make."""

import pytest

from flashtrain.snippets.grading import grade
from flashtrain.snippets.library import SnippetLibrary

MISTAKES = {
    "ewa-weights-swapped": ("ewa", "weights-swapped", (
        "import numpy as np\n"
        "def ewa(theta, beta, bias_correction=True):\n"
        "    v = np.zeros(len(theta)); prev = 0.0\n"
        "    for i in range(len(theta)):\n"
        "        prev = (1 - beta) * prev + beta * theta[i]\n"
        "        v[i] = prev / (1 - beta ** (i + 1)) if bias_correction else prev\n"
        "    return v\n")),
    # Used to be diagnosed as `round` (the checks could not tell the two apart).
    "lr-scheduled-epoch-plus-one": ("lr_decay_scheduled", "epochs-from-one", (
        "import math\n"
        "def lr_decay_scheduled(alpha0, decay_rate, epoch, interval):\n"
        "    return alpha0 / (1 + decay_rate * math.floor((epoch + 1) / interval))\n")),
    "forward-two-layer-no-biases": ("forward_two_layer", "forgot-biases", (
        "import numpy as np\n"
        "def forward_two_layer(X, W1, b1, W2, b2):\n"
        "    Z1 = np.dot(W1, X)\n"
        "    A1 = Z1 * (Z1 > 0)\n"
        "    Z2 = np.dot(W2, A1)\n"
        "    A2 = 1 / (1 + np.exp(-Z2))\n"
        "    return A2, dict(Z1=Z1, A1=A1, Z2=Z2, A2=A2)\n")),
}


@pytest.mark.parametrize("key", sorted(MISTAKES))
def test_a_learner_mistake_fails_with_its_hint(runner, key):
    sid, mutant, code = MISTAKES[key]
    snippet = SnippetLibrary.bundled().get(sid).snippet
    result = grade(snippet, code, runner=runner)
    assert result.status == "fail"
    assert result.hint_mutant == mutant, [(c.name, c.message) for c in result.checks]
    assert result.hint == snippet.mutant(mutant).hint


def test_checking_the_untouched_starter_says_to_replace_the_placeholder(runner):
    snippet = SnippetLibrary.bundled().get("softmax").snippet
    result = grade(snippet, snippet.starter, runner=runner)
    assert result.status == "error"
    message = result.checks[0].message
    assert message.startswith("NotImplementedError (the starter's placeholder: replace `raise NotImplementedError`")
    assert "NotImplementedError:" not in message  # no colon followed by nothing


def test_an_exception_with_a_message_keeps_it(runner):
    snippet = SnippetLibrary.bundled().get("softmax").snippet
    result = grade(snippet, "def softmax(Z):\n    raise ValueError('bad shape')\n", runner=runner)
    assert result.checks[0].message == "ValueError: bad shape (line 2)"


def test_assert_only_statistic_reads_passed_not_an_empty_range():
    from flashtrain.snippets.worker.judging import _judge_stat

    check = {}
    _judge_stat({"lo": None, "hi": None}, {"value": [0.0]}, check)
    assert check["status"] == "pass" and check["message"] == "passed (its assertions held)"
    bounded = {}
    _judge_stat({"lo": 0.2, "hi": 0.3}, {"value": [0.25]}, bounded)
    assert bounded["message"] == "0.25 within [0.2, 0.3]"
