"""Automatic backups of a SQLite store, and bringing one back.

Like Anki's: a consistent copy made with SQLite's online backup API (safe while the store is in
use) before every migration, before a restore, and at most once a day when flashtrain opens the
store. Copies go to the user data folder, `backups/<store name>-<hash of its path>/`, named
`<UTC time>-<reason>.db`; the newest `backups_to_keep` (a setting, default 10) are kept.
PostgreSQL stores are backed up with the server's own tools (pg_dump); nothing here runs for them.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

DAILY = timedelta(days=1)
DEFAULT_KEEP = 10
_NAME = re.compile(r"^(\d{8}-\d{6})(?:-(\d+))?-([a-z][a-z0-9-]*)\.db$")


@dataclass(frozen=True)
class Backup:
    name: str
    path: Path
    made_at: datetime
    reason: str
    size: int


def backup_dir(store_path: Path) -> Path:
    from flashtrain.paths import data_dir

    resolved = str(Path(store_path).resolve())
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(store_path).stem)[:40] or "store"
    return data_dir() / "backups" / f"{slug}-{hashlib.sha256(resolved.encode()).hexdigest()[:10]}"


def list_backups(store_path: Path) -> list[Backup]:
    """This store's backups, newest first."""
    folder = backup_dir(store_path)
    found = []
    for path in folder.glob("*.db") if folder.is_dir() else ():
        match = _NAME.match(path.name)
        if not match:
            continue
        made_at = datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
        order = (match.group(1), int(match.group(2) or 1))
        found.append((order, Backup(path.name, path, made_at, match.group(3), path.stat().st_size)))
    return [b for _, b in sorted(found, key=lambda item: item[0], reverse=True)]


def make_backup(store_path: Path, reason: str, keep: int = DEFAULT_KEEP) -> Backup:
    """Copy the store through the online backup API; then keep only the newest `keep` backups."""
    folder = backup_dir(store_path)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    # Backups made in the same second are numbered after the highest number already used in that
    # second, whatever their reason: the newest sorts first even after older ones were pruned.
    n = 1 + max((_number_in(path.name, stamp) for path in folder.iterdir()), default=0)
    while True:  # reserve a name no other process is writing (two opens in the same second)
        name = f"{stamp}-{reason}.db" if n == 1 else f"{stamp}-{n}-{reason}.db"
        partial = folder / (name + ".partial")
        try:
            with open(partial, "x"):
                pass
        except FileExistsError:
            n += 1
            continue
        if (folder / name).exists():
            partial.unlink()
            n += 1
            continue
        break
    target = folder / name
    source = sqlite3.connect(f"file:{_uri_path(store_path)}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    os.replace(partial, target)  # a backup cut short by a crash never looks like a whole one
    made = Backup(name, target, now.replace(microsecond=0), reason, target.stat().st_size)
    prune(store_path, keep)
    return made


def _number_in(name: str, stamp: str) -> int:
    """The sequence number of a backup (or a backup being written) made in the second `stamp`; 0 if none."""
    match = _NAME.match(name.removesuffix(".partial"))
    if not match or match.group(1) != stamp:
        return 0
    return int(match.group(2) or 1)


def prune(store_path: Path, keep: int) -> list[Backup]:
    removed = []
    for old in list_backups(store_path)[max(keep, 1):]:
        old.path.unlink(missing_ok=True)
        removed.append(old)
    return removed


def daily_backup_due(store_path: Path, now: datetime | None = None) -> bool:
    backups = list_backups(store_path)
    now = now or datetime.now(timezone.utc)
    return not backups or now - backups[0].made_at >= DAILY


def find_backup(store_path: Path, name: str) -> Backup | None:
    return next((b for b in list_backups(store_path) if b.name == name or b.name == name + ".db"), None)


def copy_into(source_path: Path, store_path: Path) -> None:
    """Replace the store's contents with `source_path`'s, through the backup API (other
    connections see the new contents at their next transaction)."""
    source = sqlite3.connect(f"file:{_uri_path(source_path)}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(store_path, timeout=15)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def _uri_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(Path(path).resolve()))
