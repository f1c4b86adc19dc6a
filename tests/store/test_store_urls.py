"""--db / FLASHTRAIN_DB take a path or a URL; a URL never becomes a file; passwords never show."""

from __future__ import annotations

import json
import os
import sys

import pytest

from flashtrain.cli import main
from flashtrain.store.engine import open_store
from flashtrain.store.location import StoreLocationError, mask_password, store_location

SECRET = "s3cr3t-pw"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def in_empty_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_a_path_is_a_sqlite_file_and_a_sqlite_url_is_the_same_file(tmp_path):
    plain = store_location(str(tmp_path / "a.db"))
    url = store_location(f"sqlite:///{tmp_path / 'a.db'}")
    assert plain.dialect == url.dialect == "sqlite"
    assert plain.path == url.path == tmp_path / "a.db"
    open_store(f"sqlite:///{tmp_path / 'a.db'}").close()
    assert (tmp_path / "a.db").is_file()


@pytest.mark.parametrize("value", ["postgresql://u:pw@h/db", "postgres://u:pw@h/db", "postgresql+psycopg://u@h/db"])
def test_postgres_urls_use_psycopg(value):
    location = store_location(value)
    assert location.is_server and location.path is None
    assert location.url.drivername == "postgresql+psycopg"
    assert "pw" not in location.shown


@pytest.mark.parametrize("value", ["mysql://u:pw@h/db", "postgresql+psycopg2://u:pw@h/db", "postgresql://u:pw@h",
                                   "oracle:whatever", "sqlite+pysqlcipher:///x.db"])
def test_urls_flashtrain_cannot_use_are_refused_with_the_password_masked(value):
    with pytest.raises(StoreLocationError) as refused:
        store_location(value)
    assert "pw@" not in str(refused.value)


def test_mask_password_in_free_text():
    assert mask_password(f"could not connect to postgresql://ann:{SECRET}@db:5432/ft") == \
        "could not connect to postgresql://ann:***@db:5432/ft"
    assert mask_password("no url here") == "no url here"


def test_unreachable_server_is_one_masked_error_and_no_file(in_empty_folder, capsys):
    url = f"postgresql://ann:{SECRET}@127.0.0.1:1/ft"
    code, out, err = run(capsys, "--db", url, "decks")
    assert code == 1
    assert err.startswith("flashtrain: error: postgresql+psycopg://ann:***@127.0.0.1:1/ft: cannot open the store")
    assert SECRET not in out + err and "Traceback" not in err
    assert files_under(in_empty_folder) == []


def test_env_url_with_unsupported_scheme_is_a_usage_error_and_no_file(in_empty_folder, monkeypatch, capsys):
    monkeypatch.setenv("FLASHTRAIN_DB", f"mysql://ann:{SECRET}@127.0.0.1/ft")
    code, _, err = run(capsys, "decks")
    assert code == 2 and "unsupported store URL" in err and SECRET not in err
    assert files_under(in_empty_folder) == []


def test_locate_masks_the_password(in_empty_folder, capsys):
    url = f"postgresql+psycopg://ann:{SECRET}@db.example:5432/ft?sslmode=require"
    code, out, _ = run(capsys, "--db", url, "locate", "--json")
    data = json.loads(out)
    assert code == 0 and SECRET not in out
    assert data["db"] == "postgresql+psycopg://ann:***@db.example:5432/ft?sslmode=require"
    assert data["db_dialect"] == "postgresql" and data["db_source"] == "--db"
    code, out, _ = run(capsys, "--db", url, "locate")
    assert SECRET not in out and "ann:***@db.example" in out


def test_missing_driver_names_the_extra(in_empty_folder, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if psycopg were not installed
    code, _, err = run(capsys, "--db", f"postgresql://ann:{SECRET}@127.0.0.1/ft", "decks")
    assert code == 1
    assert "pip install 'flashtrain[postgres]'" in err and SECRET not in err
    assert files_under(in_empty_folder) == []


# -- against the test server: libpq's own sources of credentials and options -----------------------

@pytest.fixture
def server_db(pg_databases):
    return pg_databases.fresh("urls")


def test_password_from_pgpassword(pg_server, server_db, monkeypatch, capsys):
    monkeypatch.setenv("PGPASSWORD", pg_server.password)
    code, out, _ = run(capsys, "--db", pg_server.url("ft_urls", password=False), "decks", "--json")
    assert code == 0 and json.loads(out)["decks"]  # first use imported the bundled decks


def test_password_from_pgpass_file(pg_server, server_db, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    pgpass = home / ".pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_server.port}:ft_urls:flashtrain:{pg_server.password}\n")
    os.chmod(pgpass, 0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.delenv("PGPASSFILE", raising=False)
    code, _, err = run(capsys, "--db", pg_server.url("ft_urls", password=False), "decks")
    assert code == 0, err


def test_wrong_password_is_one_masked_error(pg_server, server_db, capsys):
    url = pg_server.url("ft_urls").replace(pg_server.password, SECRET)
    code, out, err = run(capsys, "--db", url, "decks")
    assert code == 1 and "password authentication failed" in err
    assert SECRET not in out + err and "Traceback" not in err


def test_sslmode_in_the_url_reaches_libpq(pg_server, server_db, capsys):
    code, _, _ = run(capsys, "--db", pg_server.url("ft_urls") + "?sslmode=disable", "decks")
    assert code == 0
    # the test server has no certificate: asking for SSL must fail, which shows the option arrived
    code, _, err = run(capsys, "--db", pg_server.url("ft_urls") + "?sslmode=require", "decks")
    assert code == 1 and "SSL" in err and pg_server.password not in err


def test_a_silent_server_cannot_hang_a_statement_for_long(pg_server, server_db):
    """connect timeout, TCP keepalives and tcp_user_timeout reach libpq; values in the URL win."""
    store = open_store(pg_server.url("ft_urls") + "?connect_timeout=3")
    connection = store.engine.raw_connection()
    try:
        used = connection.driver_connection.info.get_parameters()
    finally:
        connection.close()
        store.close()
    assert used["connect_timeout"] == "3"
    assert used["keepalives_idle"] == "10" and used["keepalives_count"] == "3"
    assert used["tcp_user_timeout"] == "30000"
