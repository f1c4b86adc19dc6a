"""Values crossing between the worker and its children: raw array blobs and JSON, never pickle."""

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


@pytest.mark.parametrize("value", [
    np.arange(6.0).reshape(2, 3), np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.arange(10)[::3],
    np.zeros((0, 3)), np.zeros((2, 0, 4), dtype=np.int8), np.array(5), np.float32(3.5), np.arange(4, dtype=">i4"),
    np.array(["ab", "c"]), np.array([1 + 2j]), np.array([True, False]), np.datetime64("2020-01-02"),
])
def test_arrays_cross_with_dtype_shape_and_values(value):
    back, _ = _roundtrip(value)
    assert type(back) is type(value) and back.dtype == value.dtype and np.shape(back) == np.shape(value)
    assert np.array_equal(back, value)
    if isinstance(back, np.ndarray):
        back[...] = back  # writable, and not a view of the frame it came in
        assert back.flags.owndata or back.base is not None and back.base.flags.owndata


def _blob(descr, shape, data: bytes) -> bytes:
    import json
    import struct
    head = json.dumps([descr, shape]).encode()
    return struct.pack(">H", len(head)) + head + data


@pytest.mark.parametrize("blob, why", [
    (_blob("|O", [1], b"x" * 8), "objects"), (_blob("<f8,|O", [1], b"x" * 16), "objects"),
    (_blob("<f8", [-1], b""), "malformed"), (_blob("<f8", [True], b"x" * 8), "malformed"),
    (_blob("<f8", [2], b"x" * 8), "does not match"), (_blob("<f8", [10 ** 12], b""), "does not match"),
    (_blob("V0", [5], b""), "empty items"),
])
def test_a_malformed_or_object_array_from_a_child_is_refused(blob, why):
    """What a child sends is untrusted: an array never holds Python objects, and its description
    must match its bytes."""
    with pytest.raises(ValueError, match=why):
        wire.decode({"$nd": 0}, [blob])


def test_the_small_array_comparison_is_the_ufunc_one():
    """compare() tells a matching small array in Python floats: the same float64 operations in
    the same order as _close, so the verdict is identical, nan/inf/-0/huge/int values included."""
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, 1.0, 1 + 1e-6, 1 - 1e-7, np.nan, np.inf, -np.inf, 1e308, -1e308, 1e-300, 5e-324, 2.0 ** 53 + 2]
    for _ in range(3000):
        n = int(rng.integers(1, 6))
        e = rng.choice(special, n) * (rng.random(n) if rng.random() < 0.3 else 1)
        a = e.copy()
        changed = rng.random(n) < 0.5
        a[changed] = rng.choice(special, int(changed.sum()))
        if rng.random() < 0.3:
            a = a + rng.normal(0, 1e-9, n)
        rtol, atol = float(rng.choice([0, 1e-6, 1e-5])), float(rng.choice([0, 1e-9, 1e-6]))
        with np.errstate(all="ignore"):
            assert compare_module._small_all_close(e, a, rtol, atol) == bool(compare_module._close(e, a, rtol, atol).all())
    for dtype in (np.int64, np.uint64, np.int8, np.float32, np.float16, bool):
        e = rng.normal(0, 100, (3, 4)).astype(dtype)
        for a in (e.copy(), e + (np.ones_like(e) if dtype is not bool else ~e)):
            with np.errstate(all="ignore"):
                want = bool(compare_module._close(e.astype(float), a.astype(float), 1e-6, 1e-9).all())
            assert compare_module._small_all_close(e, a, 1e-6, 1e-9) == want, dtype
