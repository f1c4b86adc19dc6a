"""Random snippets accept any correct use of `rng` (other methods, other argument forms, float32
then cast): "uses rng" is a Determinism check, not a rebuilt copy of the reference's draw."""

import pytest

from flashtrain.snippets.grading import grade
from flashtrain.snippets.library import SnippetLibrary

ALTERNATIVES = {
    "dropout_forward": [
        "import numpy as np\ndef dropout_forward(A, keep_prob, rng):\n"
        "    D = (rng.random(A.shape[::-1], dtype=np.float32) < keep_prob).T\n"
        "    return np.where(D, A / keep_prob, 0.0), D.astype(np.int8)\n",
        "import numpy as np\ndef dropout_forward(A, keep_prob, rng):\n"
        "    D = rng.binomial(n=1, p=keep_prob, size=A.shape[::-1]).T == 1\n"
        "    return A * D / keep_prob, D\n",
    ],
    "he_init": [
        "import numpy as np\ndef he_init(n_in, n_out, rng):\n"
        "    W = rng.standard_normal((n_out, n_in), dtype=np.float32) * np.float32(np.sqrt(2 / n_in))\n"
        "    return W.astype(np.float64)\n",
        "import numpy as np\ndef he_init(n_in, n_out, rng):\n"
        "    u1, u2 = rng.random((2, n_out, n_in))\n"
        "    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2 * np.pi * u2) * np.sqrt(2.0 / n_in)\n",
    ],
    "xavier_init": [
        "import numpy as np\ndef xavier_init(n_in, n_out, rng):\n"
        "    return rng.normal(0.0, np.sqrt(1 / n_in), size=(n_out, n_in)).astype(np.float32)\n",
        "import numpy as np\ndef xavier_init(n_in, n_out, rng):\n"
        "    u1, u2 = rng.random((2, n_out, n_in))\n"
        "    return np.sqrt(-2.0 * np.log1p(-u1)) * np.sin(2 * np.pi * u2) / np.sqrt(n_in)\n",
    ],
    "sample_log_uniform": [
        "import numpy as np\ndef sample_log_uniform(low, high, size, rng):\n"
        "    return low * (high / low) ** rng.random(size)\n",
    ],
    "sample_beta": [
        "import numpy as np\ndef sample_beta(low, high, size, rng):\n"
        "    return 1 - np.exp(rng.uniform(np.log(1 - high), np.log(1 - low), size=size))\n",
    ],
}
CASES = [(sid, k) for sid, codes in ALTERNATIVES.items() for k in range(len(codes))]


@pytest.mark.parametrize("sid, k", CASES, ids=[f"{s}-{k}" for s, k in CASES])
def test_a_correct_answer_drawing_differently_passes(runner, sid, k):
    snippet = SnippetLibrary.bundled().get(sid).snippet
    result = grade(snippet, ALTERNATIVES[sid][k], runner=runner, diagnose=False)
    assert result.status == "pass", [(c.name, c.message) for c in result.checks if c.status != "pass"]


@pytest.mark.parametrize("sid", sorted(ALTERNATIVES))
def test_drawing_from_global_np_random_fails_the_determinism_check(runner, sid):
    snippet = SnippetLibrary.bundled().get(sid).snippet
    result = grade(snippet, snippet.mutant("global-np-random").code, runner=runner)
    failed = [c for c in result.checks if c.status != "pass"]
    assert [c.kind for c in failed] == ["determinism"], [(c.name, c.message) for c in failed]
    assert "gave different results" in failed[0].message
    assert result.hint_mutant == "global-np-random"


def test_a_statistic_on_a_value_that_cannot_cross_names_what_was_returned(runner):
    """A generator (instead of the list the starter asks for) is named as such, not as the internal
    placeholder 'Unencodable' the statistic would otherwise see."""
    snippet = SnippetLibrary.bundled().get("random_mini_batches").snippet
    code = ("def random_mini_batches(X, Y, batch_size, rng):\n"
            "    perm = rng.permutation(X.shape[1])\n"
            "    for i in range(0, X.shape[1], batch_size):\n"
            "        yield X[:, perm[i:i + batch_size]], Y[:, perm[i:i + batch_size]]\n")
    result = grade(snippet, code, runner=runner, diagnose=False)
    stats = [c for c in result.checks if c.kind == "stat"]
    assert stats and all(c.status == "fail" for c in stats)
    for check in stats:
        assert "Unencodable" not in check.message
        assert "the function returned an object of type generator" in check.message
