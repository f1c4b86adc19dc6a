"""Study settings in the store's `settings` table: read them, change one.

What each setting is and takes lives in `flashtrain.study.settings` (pure); this module is where
they meet the store. `load_settings` / `save_setting` work inside a unit of work another service
already holds; screens and commands call `study_settings` and `change_setting`, which open their own.
A changed setting is a learner's work: it waits while another process holds the write lock and, when
the store cannot take it (disk full, read-only, server gone), is kept in the journal and written on
the next open (services/kept_writes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from flashtrain.store.models import Setting, utcnow
from flashtrain.study.settings import (SETTING_PREFIX, SETTINGS, StudySettings, parse_setting, parse_settings,
                                       setting_named)


def load_settings(session: Session) -> StudySettings:
    rows = session.execute(select(Setting.key, Setting.value)
                           .where(Setting.key.in_([SETTING_PREFIX + k for k in SETTINGS]))).all()
    return parse_settings(rows)


def save_setting(session: Session, name: str, value: Any, changed_at: datetime | None = None) -> Any:
    """Validate and store one setting (None resets it to its default). Returns the value it now has.

    With `changed_at` (a journaled change written late) a value changed in the store after that
    moment is left alone: the later change wins."""
    default = setting_named(name).default
    parsed = None if value is None else parse_setting(name, value)
    key = SETTING_PREFIX + name
    row = session.get(Setting, key)
    if changed_at is not None and row is not None and row.updated_at is not None and row.updated_at > changed_at:
        return getattr(load_settings(session), name)
    if value is None:
        session.execute(delete(Setting).where(Setting.key == key))
        return default
    stored = _as_stored(parsed)
    when = changed_at or utcnow()
    if row is None:
        session.add(Setting(key=key, value=stored, updated_at=when))
    else:
        row.value = stored
        row.updated_at = when
    return parsed


def _as_stored(parsed: Any) -> Any:
    """A parsed value as the JSON column holds it (tuples such as learning steps as lists)."""
    return list(parsed) if isinstance(parsed, tuple) else parsed


def study_settings(store) -> StudySettings:
    """The learner's settings (defaults for any not set or unreadable)."""
    with store.sessions() as session:
        return load_settings(session)


def store_setting(store, name: str, value: Any) -> Any:
    """Store one setting now (waiting out a busy store), or raise StoreUnavailable: for a change that
    must not be half-done, such as fitted weights whose card states are recomputed right after."""
    from flashtrain.store.faults import retry_while_busy

    def unit() -> Any:
        with store.write() as session:
            return save_setting(session, name, value)

    return retry_while_busy(unit, where=store.shown)


@dataclass(frozen=True)
class SettingChange:
    name: str
    value: Any  # the value the setting has now (or will have, once the journal is written)
    kept_in: Path | None = None  # the journal file, when the store could not take the change
    notice: str | None = None  # one line for the learner when it was kept in the journal

    @property
    def stored(self) -> bool:
        return self.kept_in is None


def change_setting(store, name: str, value: Any) -> SettingChange:
    """Validate (SettingError, nothing written) and store one setting; None resets it to its default.

    Waits out a busy store; a store that cannot take it keeps it in the journal (see kept_writes)."""
    from flashtrain.services.kept_writes import write_or_keep

    parsed = setting_named(name).default if value is None else parse_setting(name, value)
    changed_at = utcnow()
    plain = None if value is None else _as_stored(parsed)

    def work(session: Session) -> Any:
        return save_setting(session, name, plain, changed_at)

    outcome = write_or_keep(store, work, "setting", "setting", name=name, value=plain,
                            changed_at=changed_at.isoformat())
    if outcome.kept_in is not None:
        return SettingChange(name, parsed, outcome.kept_in, outcome.notice)
    return SettingChange(name, outcome.result)


def replay_setting(session: Session, entry: dict) -> None:
    """Write a journaled setting change (kept_writes.replay)."""
    save_setting(session, entry["name"], entry.get("value"), datetime.fromisoformat(entry["changed_at"]))
