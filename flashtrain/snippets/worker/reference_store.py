"""Where the worker keeps each snippet's reference: in memory no forked child can read.

A learner's child is forked from the worker, so it starts with a copy of everything the worker
holds: had the worker kept the reference as a Python string (in its snippet store, a cache, a
request), an answer could have found it (through sys.modules or gc, or by reading its own memory
byte by byte) and called it instead of solving the exercise. So the reference never becomes an
object here: the app sends its bytes after the request's frame (protocol.GradeRequest
.reference_bytes), the worker reads them straight into a private anonymous mapping marked
MADV_WIPEONFORK (a forked child sees zeros there; where the kernel lacks it, MADV_DONTFORK: the
child has no such pages at all), and hands them on, from that mapping, over the go pipe of the
attempt's checks child, the one child that runs the reference.

Self-contained (stdlib only).
"""

from __future__ import annotations

import mmap

from flashtrain.snippets.protocol import read_into

MADV_WIPEONFORK, MADV_DONTFORK = 18, 10
MAX_REFERENCES = 64


class UnreadableInChildren:
    """One reference's bytes, in a mapping that is wiped (or absent) in every forked child."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._map = mmap.mmap(-1, max(size, 1), flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        try:
            self._map.madvise(MADV_WIPEONFORK)
        except OSError:
            self._map.madvise(MADV_DONTFORK)

    def view(self) -> memoryview:
        return memoryview(self._map)[:self.size]

    def close(self) -> None:
        self._map.close()


_STORE: dict[str, UnreadableInChildren] = {}


def receive(key: str, fd: int, size: int) -> bool:
    """Read a reference of `size` bytes that follows a request on `fd` into the store under `key`
    (the snippet's key); False when the pipe closed before it all came."""
    held = UnreadableInChildren(size)
    if not read_into(fd, held.view()):
        held.close()
        return False
    keep(key, held)
    return True


def keep_text(key: str, text: str) -> None:
    """A reference that arrived inside the request (a client not splitting it off): kept all the
    same (that client's request object did hold it, so this is only as good as that)."""
    data = text.encode()
    held = UnreadableInChildren(len(data))
    held.view()[:] = data
    keep(key, held)


def keep(key: str, held: UnreadableInChildren) -> None:
    old = _STORE.pop(key, None)
    if old is not None:
        old.close()
    _STORE[key] = held
    while len(_STORE) > MAX_REFERENCES:
        _STORE.pop(next(iter(_STORE))).close()


def view(key: str) -> memoryview | None:
    held = _STORE.get(key)
    return held.view() if held is not None else None


__all__ = ["receive", "keep_text", "view", "UnreadableInChildren"]
