"""Values crossing between the worker and its children: .npy blobs and JSON, never pickle."""

import textwrap

import numpy as np
import pytest

from flashtrain.snippets.worker import compare as compare_module
from flashtrain.snippets.worker import wire
from flashtrain.snippets.format import parse_snippet
from flashtrain.snippets.grading import grade


def _roundtrip(value):
    blobs = []
    header, blobs = wire.unpack(wire.pack({"v": wire.encode(value, blobs)}, blobs))
    return wire.decode(header["v"], blobs), blobs


def test_a_long_list_of_numpy_scalars_travels_as_one_array():
    value = list(np.arange(15000.0))
    back, blobs = _roundtrip(value)
    assert len(blobs) == 1
    assert type(back) is list and len(back) == 15000
    assert all(type(v) is np.float64 for v in back[:50]) and back[1234] == 1234.0


@pytest.mark.parametrize("value", [
    tuple(range(10)), [True, False] * 5, [0.5, float("nan"), float("inf")] * 3, [np.int32(3)] * 9,
    (np.float32(1.5),) * 9, [1, 2.0] * 5, [2 ** 70] * 9, ["a"] * 9, [np.float64(1)] * 3,
])
def test_sequences_keep_container_and_element_types(value):
    back, _ = _roundtrip(value)
    assert type(back) is type(value) and len(back) == len(value)
    assert [type(v) for v in back] == [type(v) for v in value]
    assert np.array_equal(np.array(back, dtype=object).astype(str), np.array(value, dtype=object).astype(str))


def test_vectorised_comparison_reports_like_element_by_element():
    expected = list(np.arange(20.0))
    actual = [float(v) for v in expected]
    assert compare_module.compare(expected, actual, 1e-6, 1e-9) is None
    actual[13] += 1
    diff = compare_module.compare(expected, actual, 1e-6, 1e-9)
    assert diff["message"].startswith("result[13]: expected 13, got 14")
    assert "got ndarray" in compare_module.compare(expected, np.arange(20.0), 1e-6, 1e-9)["message"]


LIST_SNIPPET = parse_snippet(textwrap.dedent('''\
    ---
    id: cumulative
    timeout: 0.75
    ---

    ## Hints

    1. np.cumsum.

    ```python starter
    def cumulative(x):
        """x: 1-D array. Returns the running sums as a list."""
    ```

    ```python reference
    import numpy as np

    def cumulative(x):
        return list(np.cumsum(x))
    ```

    ```python checks
    def cases(rng):
        yield Case("60,000 values", dict(x=np.arange(60000.0)))
        yield Case("short", dict(x=np.array([1.0, 2.0, 3.0])))
        yield Case("random", dict(x=rng.normal(size=500)))
    ```

    ```python mutant array
    import numpy as np

    def cumulative(x):
        return np.cumsum(x)
    ```

    Hint: Return a list.
    '''))


def test_a_long_list_answer_is_graded_within_the_time_limit(runner):
    result = grade(LIST_SNIPPET, LIST_SNIPPET.reference, runner=runner, seed=3, diagnose=False)
    assert result.status == "pass", result.to_dict()
    wrong = grade(LIST_SNIPPET, LIST_SNIPPET.mutant("array").code, runner=runner, seed=3, diagnose=False)
    assert wrong.status == "fail" and "got ndarray" in wrong.checks[0].message


def test_max_difference_is_measured_over_the_mismatched_values_only():
    """A nan among otherwise matching values must not read 'max |Δ| = 0' (a contradiction)."""
    expected = np.array([[0.25, 0.5], [0.75, 1.0]])
    actual = expected.copy()
    actual[0, 1] = np.nan
    message = compare_module.compare(expected, actual, 1e-6, 1e-9)["message"]
    assert "1 of 4 values differ, a nan or inf" in message and "max |Δ| = 0" not in message
    actual[1, 0] = 0.5
    diff = compare_module.compare(expected, actual, 1e-6, 1e-9)
    assert "max |Δ| = 0.25 (1 more nan or inf)" in diff["message"]
    assert diff["max_abs_diff"] == pytest.approx(0.25)
