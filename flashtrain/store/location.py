"""Where the store is: a file path or a SQLAlchemy URL, told apart before anything touches the disk.

`--db` and FLASHTRAIN_DB take either. Text that looks like a URL (`scheme://…`, or a known scheme
followed by `:`) is parsed as one and never becomes a file name; a path becomes `sqlite:///path`.
Passwords never leave this module unmasked except inside the URL handed to SQLAlchemy: `shown`
is what every message prints. PostgreSQL goes through psycopg 3, so libpq's own sources of
credentials and options (PGPASSWORD, ~/.pgpass, PGSSLMODE, `?sslmode=` in the URL) all work.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
# SQLAlchemy is imported where a URL is made: `looks_like_url` serves the study app's start-up path,
# which decides before SQLAlchemy is loaded whether --db names a plain SQLite file.

POSTGRES_EXTRA = "flashtrain[postgres]"
# How long opening a connection to a server may take before we say it is unreachable.
CONNECT_TIMEOUT_SECONDS = 10
# A server that vanishes without closing the connection (network gone, machine off) is noticed by
# TCP keepalives (10 s idle, then 3 probes 5 s apart) and by unacknowledged sends (30 s): no
# statement hangs for longer than about DEAD_SERVER_SECONDS. Values in the URL win.
DEAD_SERVER_SECONDS = 30
CONNECTION_OPTIONS = {"connect_timeout": CONNECT_TIMEOUT_SECONDS, "keepalives": 1, "keepalives_idle": 10,
                      "keepalives_interval": 5, "keepalives_count": 3,
                      "tcp_user_timeout": DEAD_SERVER_SECONDS * 1000}

_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_KNOWN_SCHEME = re.compile(r"^(sqlite|postgres|postgresql|mysql|mariadb|oracle|mssql)(\+[\w.]+)?:", re.I)
_PASSWORD_IN_TEXT = re.compile(r"(://[^:/@\s]*:)([^@\s]*)(@)")


class StoreLocationError(ValueError):
    """The --db / FLASHTRAIN_DB value cannot name a store; the message is safe to print."""


@dataclass(frozen=True)
class StoreLocation:
    url: URL
    path: Path | None  # the SQLite file, or None for a server (or an in-memory store)

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def is_server(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def shown(self) -> str:
        """What messages print: the file path, or the URL with its password masked."""
        if self.path is not None:
            return str(self.path)
        return self.url.render_as_string(hide_password=True)


def looks_like_url(value: str) -> bool:
    return bool(_URL_LIKE.match(value) or _KNOWN_SCHEME.match(value))


def mask_password(text: str) -> str:
    """Masks any `scheme://user:password@` in free text (driver errors sometimes echo the URL)."""
    return _PASSWORD_IN_TEXT.sub(r"\1***\3", text)


def store_location(value: str | Path) -> StoreLocation:
    """Parses a --db value: a SQLAlchemy URL (sqlite or postgresql) or a path to a SQLite file."""
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

    if str(value) == ":memory:":
        return StoreLocation(URL.create("sqlite", database=":memory:"), None)
    if isinstance(value, Path) or not looks_like_url(value):
        path = Path(value).expanduser()
        return StoreLocation(URL.create("sqlite", database=str(path)), path)
    try:
        url = make_url(value)
    except ArgumentError:
        raise StoreLocationError(f"{mask_password(value)}: not a valid store URL "
                                 "(expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE)") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.drivername != "sqlite":
            raise StoreLocationError(f"{_shown(url)}: use sqlite:///PATH (flashtrain uses Python's own sqlite3 driver)")
        database = url.database or ":memory:"
        path = Path(database).expanduser() if database != ":memory:" else None
        return StoreLocation(url.set(database=str(path) if path else database), path)
    if backend in ("postgresql", "postgres"):
        if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
            url = url.set(drivername="postgresql+psycopg")
        else:
            raise StoreLocationError(f"{_shown(url)}: flashtrain talks to PostgreSQL through psycopg 3; "
                                     "write the URL as postgresql+psycopg://USER@HOST/DATABASE")
        if not url.database:
            raise StoreLocationError(f"{_shown(url)}: the URL names no database (…/DATABASE at the end)")
        return StoreLocation(url, None)
    raise StoreLocationError(f"{_shown(url)}: unsupported store URL; flashtrain stores live in SQLite "
                             "(a path or sqlite:///PATH) or PostgreSQL (postgresql+psycopg://…)")


def require_driver(location: StoreLocation) -> None:
    """A clear message, naming the extra to install, when the PostgreSQL driver is missing."""
    if location.is_server and importlib.util.find_spec("psycopg") is None:
        raise StoreLocationError(
            f"{location.shown}: PostgreSQL support is not installed; install it with "
            f"pip install '{POSTGRES_EXTRA}' (it adds the psycopg driver)")


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)
