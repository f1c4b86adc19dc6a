"""Where flashtrain keeps its data: platformdirs by default, FLASHTRAIN_DB or --db (a path or URL) to override."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "flashtrain"


def _linux_user_path(variable: str, default: str) -> Path | None:
    """platformdirs' answer on Linux (an absolute XDG variable, else the folder under an absolute
    HOME) without importing it: its import costs more than an unchanged-file import's whole query.
    None for anything else (another system, Android, no usable HOME): ask platformdirs."""
    if sys.platform != "linux" or "ANDROID_DATA" in os.environ:
        return None
    xdg = os.environ.get(variable, "")
    if os.path.isabs(xdg):
        return Path(xdg) / APP_NAME
    home = os.environ.get("HOME", "")
    if os.path.isabs(home):
        return Path(home.rstrip("/") + "/" + default) / APP_NAME
    return None


def data_dir() -> Path:
    known = _linux_user_path("XDG_DATA_HOME", ".local/share")
    if known is not None:
        return known
    import platformdirs

    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def default_db_path() -> Path:
    return data_dir() / "flashtrain.db"


def resolve_db(cli_value: str | None = None) -> str | Path:
    """--db wins, then FLASHTRAIN_DB, then the user data dir: a path or a store URL, as given
    (flashtrain.store.location tells them apart; a URL must never be treated as a path here)."""
    if cli_value:
        return cli_value
    env = os.environ.get("FLASHTRAIN_DB")
    if env:
        return env
    return default_db_path()


def bundled_cards_dir() -> Path:
    """The decks that ship with flashtrain: inside the wheel, or cards/ beside the source tree."""
    from importlib import resources  # not at import: every command loads this module

    packaged = Path(str(resources.files("flashtrain"))) / "bundled_cards"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "cards"


def state_dir() -> Path:
    """Where flashtrain keeps what is not the store itself: the rating journal (see study/journal.py)."""
    override = os.environ.get("FLASHTRAIN_STATE_DIR")
    if override:
        return Path(override).expanduser()
    known = _linux_user_path("XDG_STATE_HOME", ".local/state")
    if known is not None:
        return known
    import platformdirs

    return platformdirs.user_state_path(APP_NAME, appauthor=False)
