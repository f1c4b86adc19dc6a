"""How values and frames travel between processes: JSON plus raw array blobs, never pickle.

Between the worker and its children only: a child reports with `pack`, a length-prefixed JSON
header followed by length-prefixed array blobs (dtype, shape, raw bytes), so arrays cross without
pickle (which could run code when loaded) and without a per-element JSON cost. (The app <-> worker messages and their one
framing are in ../protocol.py.)
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np

# Written to a child's output pipe before each frame: output and frames travel on separate pipes,
# so this is how the worker knows which check printed what.
OUTPUT_SEPARATOR = b"\x00\x1eflashtrain-frame\x1e\x00"


class Rng:
    """Argument placeholder: the function receives np.random.default_rng(seed), fresh per call."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def __repr__(self) -> str:
        return f"Rng({self.seed})"


class FunctionRef:
    """Argument placeholder for a function defined at the top level of the snippet's checks block
    (e.g. the cost function a gradient check is given): each child resolves it by name in its own
    run of the checks block, so no code object ever crosses between processes."""

    def __init__(self, name: str) -> None:
        self.name = str(name)

    def __repr__(self) -> str:
        return f"<function {self.name} of the checks>"


class Unencodable:
    """Stands in for a returned value that cannot cross (e.g. an object array): its description is
    what the comparison reports."""

    def __init__(self, description: str) -> None:
        self.description = description


def encode(value, blobs: list[bytes]):
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            return {"$bad": f"an ndarray of dtype object (shape {value.shape})"}
        return {"$nd": _array_blob(value, blobs)}
    if isinstance(value, np.generic):
        if isinstance(value, np.object_):
            return {"$bad": "a numpy object scalar"}
        return {"$np": _array_blob(np.asarray(value), blobs)}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, Rng):
        return {"$rng": value.seed}
    if isinstance(value, FunctionRef):
        return {"$fn": value.name}
    if isinstance(value, Unencodable):  # passed on (worker -> checks child) with its description
        return {"$bad": value.description}
    if isinstance(value, (tuple, list)):
        numbers = number_sequence(value)
        if numbers is not None:  # one array blob, not one per element (15,000 np.float64: ~1 s -> ~2 ms)
            array, python_type = numbers
            return {"$seq": type(value).__name__, "nd": _array_blob(array, blobs), "py": python_type}
        key = "$tuple" if isinstance(value, tuple) else "$list"
        return {key: [encode(v, blobs) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, (str, int)) for k in value):
            return {"$bad": "a dict with keys that are not str or int"}
        return {"$dict": [[k, encode(v, blobs)] for k, v in value.items()]}
    return {"$bad": f"an object of type {type(value).__name__}"}


SEQUENCE_MIN = 8  # shorter sequences stay element by element (cheap either way)
_PYTHON_NUMBERS = {bool: "bool", int: "int", float: "float"}


def number_sequence(value) -> tuple[np.ndarray, str | None] | None:
    """A list/tuple whose elements all have one exact type, a Python bool/int/float or one NumPy
    real scalar type, as (array, python type name or None); else None. Decoding gives back the same
    container of the same element type, so the "wrong return type" checks see what was returned."""
    if len(value) < SEQUENCE_MIN or type(value) not in (list, tuple):
        return None
    kinds = set(map(type, value))
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    python_type = _PYTHON_NUMBERS.get(kind)
    if python_type is None and not (issubclass(kind, (np.integer, np.floating, np.bool_))):
        return None
    try:
        if python_type is None:
            return np.array(value, dtype=value[0].dtype), None
        return np.array(value, dtype={"bool": np.bool_, "int": np.int64, "float": np.float64}[python_type]), \
            python_type
    except (OverflowError, ValueError, TypeError):  # e.g. a Python int beyond int64
        return None


def decode(obj, blobs: list[bytes]):
    if isinstance(obj, dict):
        if "$seq" in obj:
            array = _array_from(obj["nd"], blobs)
            items = array.tolist() if obj.get("py") else list(array)
            return tuple(items) if obj["$seq"] == "tuple" else items
        if "$nd" in obj:
            return _array_from(obj["$nd"], blobs)
        if "$np" in obj:
            return _array_from(obj["$np"], blobs)[()]
        if "$float" in obj:
            return float(obj["$float"])
        if "$rng" in obj:
            return Rng(obj["$rng"])
        if "$fn" in obj:
            return FunctionRef(obj["$fn"])
        if "$tuple" in obj:
            return tuple(decode(v, blobs) for v in obj["$tuple"])
        if "$list" in obj:
            return [decode(v, blobs) for v in obj["$list"]]
        if "$dict" in obj:
            return {k: decode(v, blobs) for k, v in obj["$dict"]}
        if "$bad" in obj:
            return Unencodable(obj["$bad"])
    return obj


# An array crosses as a blob of its raw bytes (C order) after a one-line description of its dtype
# and shape: `.npy` without the header's Python-literal parsing (np.load runs ast.literal_eval on
# every header), several times cheaper per array on a warm check. Never pickle: a dtype that holds
# objects is refused on both ends.
_BLOB_HEAD = struct.Struct(">H")


def _array_blob(array: np.ndarray, blobs: list[bytes]) -> int:
    array = np.asarray(array, order="C")
    head = json.dumps([array.dtype.str, list(array.shape)]).encode()
    blobs.append(_BLOB_HEAD.pack(len(head)) + head + array.tobytes())
    return len(blobs) - 1


def _array_from(index, blobs: list[bytes]) -> np.ndarray:
    """The array a blob describes (a fresh, writable one); ValueError for anything malformed."""
    blob = blobs[index]
    (n,) = _BLOB_HEAD.unpack_from(blob, 0)
    descr, shape = json.loads(blob[2:2 + n])
    if not isinstance(descr, str) or not isinstance(shape, list) or not all(
            type(d) is int and d >= 0 for d in shape):
        raise ValueError("a malformed array description")
    dtype = np.dtype(descr)
    if dtype.hasobject:
        raise ValueError("an array of Python objects cannot cross")
    count = math.prod(shape)
    data = memoryview(blob)[2 + n:]
    if len(data) != count * dtype.itemsize:
        raise ValueError("an array's data does not match its shape")
    if not count:
        return np.empty(shape, dtype)
    if not dtype.itemsize:
        raise ValueError("an array of empty items")
    return np.frombuffer(data, dtype, count).reshape(shape).copy()


def pack(header: dict, blobs: list[bytes]) -> bytes:
    return b"".join(pack_parts(header, blobs))


def pack_parts(header: dict, blobs: list) -> list:
    """A frame as the list of its pieces, the blobs themselves among them (bytes or memoryviews):
    written one after the other, a blob is never copied into a new object on the way."""
    head = json.dumps(header).encode()
    parts = [struct.pack(">I", len(head)), head, struct.pack(">I", len(blobs))]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    return parts


def unpack(data: bytes) -> tuple[dict, list[bytes]]:
    (n,) = struct.unpack_from(">I", data, 0)
    header = json.loads(data[4:4 + n])
    pos = 4 + n
    (count,) = struct.unpack_from(">I", data, pos)
    pos += 4
    blobs = []
    for _ in range(count):
        (size,) = struct.unpack_from(">Q", data, pos)
        pos += 8
        blobs.append(data[pos:pos + size])
        pos += size
    return header, blobs


def frame_length(data) -> int | None:
    """Length of the first complete frame in `data`, or None while it is incomplete."""
    if len(data) < 4:
        return None
    (n,) = struct.unpack_from(">I", data, 0)
    pos = 4 + n
    if len(data) < pos + 4:
        return None
    (count,) = struct.unpack_from(">I", data, pos)
    pos += 4
    for _ in range(count):
        if len(data) < pos + 8:
            return None
        (size,) = struct.unpack_from(">Q", data, pos)
        pos += 8 + size
    return pos if len(data) >= pos else None
