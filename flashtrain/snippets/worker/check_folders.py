"""The worker's check folders: one per worker (`<tmp>/flashtrain-checks-<pid>-<start>-<random>`),
holding a fresh empty directory for every child. A killed worker cannot clean up after itself, so
the next worker removes the folders of workers that are gone when it starts.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time

TMP_PREFIX = "flashtrain-checks-"
# <prefix><worker pid>-<its start time in clock ticks since boot>-<random>: the start time tells a
# live owner from a process that merely got the same pid later.
_TMP_NAME = re.compile(r"^flashtrain-checks-(\d+)-(\d+)-[a-z0-9_]+$")
LEGACY_TMP_AGE = 24 * 3600.0  # folders named without a pid (older workers): removed when idle this long


def _process_start(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]  # field 22, starttime
    except (OSError, IndexError):
        return None


def _owner_alive(pid: int, start: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, another user's
    now = _process_start(pid)
    return now is None or start == "0" or now == start


def make_tmp_root(parent: str | None) -> str:
    start = _process_start(os.getpid()) or "0"
    return tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-{start}-", dir=parent)


def remove_stale_tmp(parent: str | None, also_owned_by: tuple[int, ...] = ()) -> list[str]:
    """Remove the check folders of workers that are gone (killed workers cannot clean up): only
    this user's directories (or those of `also_owned_by`: the uid a worker started as root drops
    to owns its folder) named after a worker pid that no longer runs (or is now another process),
    plus unnamed legacy ones idle for LEGACY_TMP_AGE. Returns the paths removed."""
    parent = parent or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(TMP_PREFIX):
            continue
        path = os.path.join(parent, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid not in (os.getuid(), *also_owned_by):
            continue
        named = _TMP_NAME.match(name)
        if named:
            pid = int(named.group(1))
            if pid == os.getpid() or _owner_alive(pid, named.group(2)):
                continue
        elif time.time() - info.st_mtime < LEGACY_TMP_AGE:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def fast_tmp_parent() -> str | None:
    """Children get a fresh empty directory each; on a disk /tmp that costs ~4 ms, on tmpfs ~0."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None
