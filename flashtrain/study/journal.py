"""The journal: a learner's work that the store could not take, kept until it can.

Ratings and attempts (study/service.py), and settings, suspend/bury/flag, card edits and deletions
(services/kept_writes.py). When the store refuses a write (disk full, read-only, locked for longer
than we wait, server gone) the change is appended here instead - one JSON object per line, flushed and fsynced -
and the session goes on. The next time the store opens, `StudyService.replay_journal` writes every
entry in (skipping any already there, so a crash during replay cannot add a rating twice) and the
journal file is removed.

The journal lives in the user state folder (a different disk from the store when the store's disk
is full or read-only), else next to the store; both places are read on replay.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path


def journal_paths(store) -> list[Path]:
    """Where this store's journal may be, in the order we try to write it."""
    digest = hashlib.sha256(store.identity.encode()).hexdigest()[:12]
    name = store.path.stem if store.path is not None else store.identity.rsplit("/", 1)[-1]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:40] or "store"
    from flashtrain.paths import state_dir

    paths = [state_dir() / "journal" / f"{stem}-{digest}.jsonl"]
    if store.path is not None:
        paths.append(Path(f"{store.path}.journal.jsonl"))
    return paths


def new_entry(kind: str, **fields) -> dict:
    import uuid  # not on the start-up path, which only looks for a journal

    return {"id": uuid.uuid4().hex, "kind": kind, **fields}


def append(store, entry: dict) -> Path:
    """Keep `entry` durably; returns the file it went to. Raises StoreUnavailable if nowhere takes it."""
    line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
    errors = []
    for path in journal_paths(store):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as out:
                out.write(line)
                out.flush()
                os.fsync(out.fileno())
            return path
        except OSError as error:
            errors.append(f"{path}: {error.strerror or error}")
    from flashtrain.store.faults import StoreUnavailable  # not at import: `journal_paths` is on quick paths

    raise StoreUnavailable("io", "could not keep the change anywhere: " + "; ".join(errors))


def entries(store) -> list[tuple[Path, dict]]:
    """Every readable entry of this store's journal files, oldest first within each file."""
    found = []
    for path in journal_paths(store):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash while it was written: nothing to replay
            if isinstance(entry, dict) and "id" in entry:
                found.append((path, entry))
    return found


def remove(store, ids: set[str]) -> None:
    """Drop the entries with these ids (saved into the store, or undone); empty files go."""
    for path in journal_paths(store):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        kept = []
        for line in lines:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not (isinstance(entry, dict) and entry.get("id") in ids):
                kept.append(line)
        try:
            if kept:
                temporary = path.with_name(path.name + ".tmp")
                temporary.write_text("".join(k + "\n" for k in kept), encoding="utf-8")
                os.replace(temporary, path)
            else:
                path.unlink()
        except OSError:
            pass  # kept entries are skipped as duplicates on the next replay
