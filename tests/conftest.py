"""Shared fixtures. Every test gets its own store, so no test touches a real user's data.

Modules marked `pytestmark = pytest.mark.both_dialects` run every test twice: on SQLite (a file
in the test's temp folder) and on PostgreSQL (a server the tests start on 127.0.0.1, see
pg_server.py). `FLASHTRAIN_TEST_BACKENDS=sqlite` runs the SQLite half only, on a machine without
the server binaries.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from flashtrain.store.engine import open_store

# CI runs the same examples every time (a red CI is then always reproducible); locally, hypothesis
# explores new examples on every run and remembers failures.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

BACKENDS = tuple(os.environ.get("FLASHTRAIN_TEST_BACKENDS", "sqlite,postgresql").split(","))


def pytest_configure(config):
    config.addinivalue_line("markers", "both_dialects: run the module's tests on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_dialects"):
        metafunc.parametrize("db_backend", BACKENDS, indirect=True)


@pytest.fixture
def db_backend(request):
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def pg_server():
    from pg_server import PostgresServer

    server = PostgresServer.start()
    yield server
    server.remove()


class PgDatabases:
    """Named databases on the test server, made once per run and emptied for every test that asks."""

    def __init__(self, server) -> None:
        self.server = server
        self.made: set[str] = set()

    def fresh(self, name: str, blank: bool = False) -> str:
        """URL of database `name`: no rows in any table (or, if `blank`, no tables at all)."""
        import psycopg

        database = f"ft_{name}"
        if database not in self.made:
            self.server.drop_database(database)
            self.server.create_database(database)
            self.made.add(database)
            return self.server.url(database)
        with psycopg.connect(self.server.url(database).replace("+psycopg", ""), autocommit=True) as connection:
            # A previous test's engine may still hold connections; they are not this test's.
            connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            if blank:
                connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            else:
                tables = [row[0] for row in connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != 'alembic_version'")]
                if tables:
                    connection.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        return self.server.url(database)


@pytest.fixture(scope="session")
def pg_databases(pg_server):
    return PgDatabases(pg_server)


@pytest.fixture
def store_target(db_backend, tmp_path, request):
    """`store_target(name)`: where an empty store called `name` lives for this test (path or URL)."""

    def target(name: str, blank: bool = False):
        if db_backend == "sqlite":
            return tmp_path / f"{name}.db"
        return request.getfixturevalue("pg_databases").fresh(name, blank)

    return target


@pytest.fixture(autouse=True)
def isolated_db(store_target, tmp_path, monkeypatch):
    """FLASHTRAIN_DB points into the test's temp dir (or its own database), so a forgotten --db can't
    reach real data."""
    where = store_target("flashtrain-test")
    monkeypatch.setenv("FLASHTRAIN_DB", str(where))
    for kind in ("DATA", "STATE", "CONFIG", "CACHE"):  # journals, backups, settings: never the real ones
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / f"xdg-{kind.lower()}"))
    monkeypatch.setenv("FLASHTRAIN_DEBUG", "1")  # a bug in a command raises in tests instead of exit 1
    return where


@pytest.fixture
def store(store_target):
    """A fresh, migrated, empty store (the bundled decks are NOT imported)."""
    opened = open_store(store_target("store"))
    yield opened
    opened.close()
