"""Alembic, driven programmatically: migrations ship inside the package and run on every open.

Opening an up-to-date store is on the app's start-up path, so that case reads the stored revision
with one query and never imports Alembic; `HEAD_REVISION` is kept equal to the newest migration
file by a test.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine
# SQLAlchemy is imported by the functions: study/quickstart.py compares HEAD_REVISION with a
# store's revision through sqlite3 before SQLAlchemy is loaded.

from flashtrain.store.revision import HEAD_REVISION  # noqa: F401 - kept here for its readers

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError):  # SQLite says the former, PostgreSQL the latter
            return None  # a new, empty store


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def upgrade_to_head(engine: Engine) -> None:
    if current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def upgrade_to(engine: Engine, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
