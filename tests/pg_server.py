"""A throw-away PostgreSQL server for the tests: its own data folder in /tmp, 127.0.0.1, a free port.

Uses the server binaries of Debian's `postgresql` package (`.ci/run` installs them when missing);
`FLASHTRAIN_PG_BINDIR` points elsewhere. PostgreSQL refuses to run as root, so under root the server
runs as the `postgres` user that package creates. Password authentication (scram) is on, as on a
real server, so the tests of PGPASSWORD and ~/.pgpass mean something. Durability is switched off
(fsync, full-page writes): the data only has to outlive one test run.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = "flashtrain"


class NoPostgres(RuntimeError):
    pass


def find_bindir() -> Path:
    explicit = os.environ.get("FLASHTRAIN_PG_BINDIR")
    candidates = [explicit] if explicit else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if not explicit and shutil.which("pg_ctl"):
        candidates.append(str(Path(shutil.which("pg_ctl")).parent))
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise NoPostgres("the PostgreSQL tests need the server binaries: apt-get install -y postgresql "
                     "(or set FLASHTRAIN_PG_BINDIR); FLASHTRAIN_TEST_BACKENDS=sqlite runs the SQLite half only")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    folder: Path
    port: int
    password: str
    run_as: str | None
    options: str = ""

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    @classmethod
    def start(cls, durable: bool = False) -> PostgresServer:
        """`durable` keeps PostgreSQL's default fsync and commit settings (for benchmarks)."""
        bindir = find_bindir()
        run_as = "postgres" if os.geteuid() == 0 else None
        folder = Path(tempfile.mkdtemp(prefix="flashtrain-pg-"))
        server = cls(bindir, folder, _free_port(), secrets.token_hex(12), run_as)
        pwfile = folder / "pw"
        pwfile.write_text(server.password + "\n")
        if run_as:
            shutil.chown(folder, run_as)
            shutil.chown(pwfile, run_as)
        try:
            server._run("initdb", "-D", str(folder / "data"), "-U", USER, "--auth=scram-sha-256",
                        f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        except subprocess.CalledProcessError as error:
            raise NoPostgres(f"initdb failed: {error.stderr}") from error
        server.options = f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=400"
        if not durable:
            server.options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        options = server.options
        result = server._run("pg_ctl", "-D", str(folder / "data"), "-o", options, "-l", str(folder / "log"),
                             "-w", "-t", "60", "start", check=False)
        if result.returncode != 0:
            log = (folder / "log").read_text() if (folder / "log").exists() else ""
            raise NoPostgres(f"the test PostgreSQL server did not start: {result.stderr}\n{log}")
        server._watch(os.getpid())
        return server

    def _watch(self, owner: int) -> None:
        """A test run killed before its teardown must not leave a server behind: a small detached
        watcher stops the server and removes its folder once the owning process is gone."""
        stop = f"{self.bindir / 'pg_ctl'} -D {self.folder / 'data'} -m immediate -w stop"
        if self.run_as:
            stop = f"runuser -u {self.run_as} -- {stop}"
        script = (f"while kill -0 {owner} 2>/dev/null; do sleep 3; done; "
                  f"{stop} >/dev/null 2>&1; rm -rf {self.folder}")
        subprocess.Popen(["sh", "-c", script], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def url(self, database: str = "postgres", password: bool = True) -> str:
        secret = f":{self.password}" if password else ""
        return f"postgresql+psycopg://{USER}{secret}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=USER, password=self.password,
                             dbname="postgres", autocommit=True) as connection:
            connection.execute(sql)

    def create_database(self, name: str, template: str | None = None) -> str:
        clause = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        self.admin(f'CREATE DATABASE "{name}"{clause}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-o", self.options, "-l", str(self.folder / "log"),
                  "-w", "-t", "60", "start")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
