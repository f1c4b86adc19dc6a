"""Where a card teaches a numerically stable form, an unstable answer fails (and is named) whatever
shift it uses instead; correct stable answers pass however they are written; float32 inputs are
compared with a tolerance fitting float32, and the message says so."""

import numpy as np
import pytest

from flashtrain.snippets.grading import grade
from flashtrain.snippets.worker.judging import PRECISION_FLOORS, tolerances
from flashtrain.snippets.library import SnippetLibrary

UNSTABLE_SOFTMAX = {
    "min": "Z - Z.min(axis=0, keepdims=True)",
    "mean": "Z - Z.mean(axis=0, keepdims=True)",
    "first row": "Z - Z[0]",
    "median": "Z - np.median(Z, axis=0, keepdims=True)",
}


@pytest.mark.parametrize("shift", sorted(UNSTABLE_SOFTMAX))
def test_softmax_shifted_by_anything_but_the_column_max_fails_on_a_wide_column(runner, shift):
    code = ("import numpy as np\n"
            "def softmax(Z):\n"
            f"    e = np.exp({UNSTABLE_SOFTMAX[shift]})\n"
            "    return e / e.sum(axis=0, keepdims=True)\n")
    snippet = SnippetLibrary.bundled().get("softmax").snippet
    result = grade(snippet, code, runner=runner)
    assert result.status == "fail"
    wide = next(c for c in result.checks if c.name.startswith("a column spanning 3000"))
    assert wide.status == "fail" and "overflow" in wide.message
    assert result.hint_mutant == "shift-not-max"


def test_silencing_the_overflow_warning_does_not_hide_an_unstable_softmax(runner):
    code = ("import numpy as np\n"
            "def softmax(Z):\n"
            "    with np.errstate(all='ignore'):\n"
            "        e = np.exp(Z - Z.mean(axis=0))\n"
            "        return e / e.sum(axis=0)\n")
    result = grade(SnippetLibrary.bundled().get("softmax").snippet, code, runner=runner)
    wide = next(c for c in result.checks if c.name.startswith("a column spanning 3000"))
    assert result.status == "fail" and wide.status == "fail" and "nan" in wide.message


STABLE = {
    "softmax": [
        # log-sum-exp form
        "import numpy as np\n"
        "def softmax(Z):\n"
        "    m = Z.max(axis=0)\n"
        "    lse = m + np.log(np.exp(Z - m).sum(axis=0))\n"
        "    return np.exp(Z - lse)\n",
        # computed in float64 whatever the input's dtype
        "import numpy as np\n"
        "def softmax(Z):\n"
        "    Z = np.asarray(Z, dtype=np.float64)\n"
        "    e = np.exp(Z - np.max(Z, axis=0))\n"
        "    return e / np.sum(e, axis=0)\n",
        # column by column, in the input's own precision
        "import numpy as np\n"
        "def softmax(Z):\n"
        "    out = np.empty_like(Z)\n"
        "    for j in range(Z.shape[1]):\n"
        "        e = np.exp(Z[:, j] - Z[:, j].max())\n"
        "        out[:, j] = e / e.sum()\n"
        "    return out\n",
    ],
    "sigmoid": [
        "import numpy as np\n"
        "def sigmoid(Z):\n"
        "    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(Z, dtype=float)))\n",
        "import numpy as np\n"
        "def sigmoid(Z):\n"
        "    Z = np.asarray(Z, dtype=float)\n"
        "    e = np.exp(-np.abs(Z))\n"
        "    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))\n",
        "import numpy as np\n"
        "def sigmoid(Z):\n"
        "    return np.exp(-np.logaddexp(0.0, -np.asarray(Z, dtype=float)))\n",
        # float32 in, float32 out (computed in float32)
        "import numpy as np\n"
        "def sigmoid(Z):\n"
        "    Z = Z if Z.dtype.kind == 'f' else Z.astype(float)\n"
        "    out = np.empty_like(Z)\n"
        "    pos = Z >= 0\n"
        "    out[pos] = 1 / (1 + np.exp(-Z[pos]))\n"
        "    e = np.exp(Z[~pos])\n"
        "    out[~pos] = e / (1 + e)\n"
        "    return out\n",
    ],
}


@pytest.mark.parametrize("sid, k", [(sid, k) for sid, codes in STABLE.items() for k in range(len(codes))])
def test_a_correct_stable_answer_passes_however_it_is_written(runner, sid, k):
    result = grade(SnippetLibrary.bundled().get(sid).snippet, STABLE[sid][k], runner=runner)
    assert result.status == "pass", [(c.name, c.message) for c in result.checks if c.status != "pass"]
    float32 = next(c for c in result.checks if "float32" in c.name)
    assert "float32 inputs: a tolerance fitting float32 precision" in float32.message
    assert float32.rtol == PRECISION_FLOORS["float32"][0]


def test_tolerances_fit_the_lowest_input_precision():
    snippet = {"rtol": 1e-6, "atol": 1e-9}
    f32 = np.ones((2, 2), dtype=np.float32)
    assert tolerances(snippet, {"args": {"Z": np.ones(3)}}) == (1e-6, 1e-9, None)
    assert tolerances(snippet, {"args": {"Z": f32, "b": np.ones(2)}}) == (1e-5, 1e-6, "float32")
    assert tolerances(snippet, {"args": {"ws": [np.ones(2), np.float32(1.0)]}})[2] == "float32"
    assert tolerances(snippet, {"args": {"Z": np.ones(2, dtype=np.float16), "W": f32}})[2] == "float16"
    assert tolerances(snippet, {"args": {"n": np.arange(3)}})[2] is None  # integers are exact
    # A looser tolerance the snippet already asks for is kept, and then needs no mention.
    assert tolerances({"rtol": 1e-3, "atol": 1e-3}, {"args": {"Z": f32}}) == (1e-3, 1e-3, None)


def test_a_float32_mismatch_says_which_tolerance_it_used(runner):
    code = ("import numpy as np\n"
            "def softmax(Z):\n"
            "    e = np.exp(Z - Z.max(axis=0, keepdims=True))\n"
            "    return e / e.sum(axis=0, keepdims=True) * (1 + 1e-3)\n")
    result = grade(SnippetLibrary.bundled().get("softmax").snippet, code, runner=runner)
    float32 = next(c for c in result.checks if "float32" in c.name)
    assert float32.status == "fail"
    assert "(compared within rtol=1e-05, atol=1e-06 (float32 inputs: a tolerance fitting float32 precision))" \
        in float32.message
    other = next(c for c in result.checks if c.name.startswith("3 classes"))
    assert other.status == "fail" and "float32" not in other.message
