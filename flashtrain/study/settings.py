"""Typed study settings and the SchedulerConfig built from them: what each setting is and takes.

Each setting has a key, a default and a validator; a stored value that fails validation (hand-edited
database, older version) falls back to the default instead of breaking the study session. Reading
and writing them in the store is `flashtrain.services.settings`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Callable

from flashtrain.scheduler.core import (
    DEFAULT_WEIGHTS, FSRS6_WEIGHT_COUNT, N_WEIGHTS, WEIGHT_BOUNDS, SchedulerConfig, full_weights,
)


class SettingError(ValueError):
    """A value that a setting does not accept; the message names the setting."""


def _retention(value: Any) -> float:
    value = float(value)
    if not 0.70 <= value <= 0.99:
        raise SettingError(f"desired_retention must be between 0.70 and 0.99, got {value}")
    return value


def _whole_number(name: str, text: str) -> int:
    """A whole number typed as text ("20"): the app's form and the CLI both hand over strings."""
    return int(text.strip())  # a ValueError: save_setting says "NAME cannot be 'TEXT' (what it takes)"


def _non_negative_int(name: str, upper: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, str):
            value = _whole_number(name, value)
        if isinstance(value, bool) or int(value) != value or not 0 <= int(value) <= upper:
            raise SettingError(f"{name} must be a whole number 0..{upper}, got {value!r}")
        return int(value)
    return check


def _positive_int(name: str) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, str):
            value = _whole_number(name, value)
        if isinstance(value, bool) or int(value) != value or int(value) < 1:
            raise SettingError(f"{name} must be a whole number of at least 1, got {value!r}")
        return int(value)
    return check


def _weights(value: Any) -> tuple[float, ...] | None:
    if value is None:
        return None
    weights = full_weights(float(w) for w in value)  # an FSRS-6 set (21) is read with w21 = 0
    if len(weights) != N_WEIGHTS or not all(math.isfinite(w) for w in weights):
        raise SettingError(f"weights must be {N_WEIGHTS} finite numbers (or FSRS-6's {FSRS6_WEIGHT_COUNT})")
    for i, (w, (lo, hi)) in enumerate(zip(weights, WEIGHT_BOUNDS)):
        if not lo - 1e-9 <= w <= hi + 1e-9:
            raise SettingError(f"weight w{i} = {w} is outside [{lo}, {hi}]")
    return weights


def _reschedule(value: Any) -> str:
    if value not in ("changed", "all", "none"):
        raise SettingError(f"reschedule_on_optimize must be 'changed', 'all' or 'none', got {value!r}")
    return value


def _boolean(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise SettingError(f"{name} must be true or false (on/off, yes/no), got {value!r}")
    return check


def _theme(value: Any) -> str:
    name = str(value).strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", name):
        raise SettingError(f"theme must be a theme name such as textual-dark, got {value!r}")
    return name


@dataclass(frozen=True)
class SettingDef:
    key: str
    default: Any
    parse: Callable[[Any], Any]
    help: str


SETTINGS: dict[str, SettingDef] = {d.key: d for d in (
    SettingDef("desired_retention", 0.9, _retention, "probability of recall the intervals aim for"),
    SettingDef("new_per_day", 20, _non_negative_int("new_per_day", 10_000), "new cards introduced per study day"),
    SettingDef("day_start_hour", 4, _non_negative_int("day_start_hour", 23), "local hour at which a study day starts"),
    SettingDef("leech_threshold", 8, _positive_int("leech_threshold"), "lapses that make a card a leech"),
    SettingDef("bury_siblings", True, _boolean("bury_siblings"),
               "a card's siblings (reversed card, other cloze gaps of its note) wait until the next day"),
    SettingDef("theme", "textual-dark", _theme, "the app's colour theme"),
    SettingDef("weights", None, _weights, "fitted scheduler weights (None = defaults)"),
    SettingDef("reschedule_on_optimize", "changed", _reschedule,
               "after optimize: move due dates of 'changed' intervals (beyond the fuzz), 'all', or 'none'"),
    SettingDef("backups_to_keep", 10, _positive_int("backups_to_keep"), "automatic store backups kept (newest)"),
)}

SETTING_PREFIX = "study."  # keys in the table are namespaced; other areas may keep their own


@dataclass(frozen=True)
class StudySettings:
    desired_retention: float = 0.9
    new_per_day: int = 20
    day_start_hour: int = 4
    leech_threshold: int = 8
    bury_siblings: bool = True
    theme: str = "textual-dark"
    weights: tuple[float, ...] | None = None
    reschedule_on_optimize: str = "changed"
    backups_to_keep: int = 10

    def scheduler_config(self, tz: tzinfo | None = None) -> SchedulerConfig:
        return SchedulerConfig(weights=self.weights or DEFAULT_WEIGHTS, desired_retention=self.desired_retention,
                               day_start_hour=self.day_start_hour, tz=tz)


def setting_named(name: str) -> SettingDef:
    if name not in SETTINGS:
        raise SettingError(f"unknown setting {name!r}; known: {', '.join(SETTINGS)}")
    return SETTINGS[name]


def parse_setting(name: str, value: Any) -> Any:
    """The value `name` takes for `value` (validated), or SettingError naming the setting and what it takes."""
    setting_named(name)
    try:
        return SETTINGS[name].parse(value)
    except SettingError:
        raise
    except (TypeError, ValueError) as error:  # e.g. float('abc'): say which setting and what it takes
        raise SettingError(f"{name} cannot be {value!r} ({SETTINGS[name].help})") from error


def parse_settings(rows) -> StudySettings:
    """The settings from stored (key, value) rows (keys with SETTING_PREFIX); a value that fails
    validation (hand-edited database, older version) keeps its default instead of stopping study."""
    values: dict[str, Any] = {}
    for key, raw in rows:
        name = key[len(SETTING_PREFIX):]
        if name not in SETTINGS:
            continue
        try:
            values[name] = SETTINGS[name].parse(raw)
        except (SettingError, TypeError, ValueError):
            continue
    return StudySettings(**values)
