"""A throwaway PostgreSQL server for the tests (fixtures imported by tests/conftest.py).

The server is Debian's ``postgresql`` package (``initdb``, ``pg_ctl`` and ``postgres`` under
``/usr/lib/postgresql/<version>/bin``, else on ``$PATH``): ``initdb`` into a temporary
folder, listening on a Unix socket in that folder only (no TCP port), trust authentication
for the user ``kpi``, no fsync (a crash loses nothing a test needs). It is started the first
time a test asks for it and stopped, its folder removed, at the end of the session. Each
test gets a database of its own (:meth:`PostgresServer.new_url`).

``initdb`` refuses to run as root: as root the server runs as the ``postgres`` user that
the package creates (``runuser``), and its folder is given to that user.

Where PostgreSQL is not installed the tests that need it are skipped with the reason, except
under CI (``$CI`` set), where that is a failure: ``.ci/run`` installs it.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

USER = "kpi"  # the database user the tests connect as (trust authentication, socket only)
RUN_AS = "postgres"  # the system user the server runs as when the tests run as root


def find_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: the newest Debian version, or PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


class PostgresServer:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="kpipg-", dir="/tmp"))  # short: socket path
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam(RUN_AS)
            except KeyError:
                raise RuntimeError(f"running as root and there is no '{RUN_AS}' user to run "
                                   "PostgreSQL as (initdb refuses root)") from None
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", RUN_AS, "--"]
        self._names = itertools.count(1)

    def _run(self, *argv: str) -> None:
        cmd = [*self.as_user, *argv]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n"
                               f"{done.stderr}\n{log}")

    def start(self) -> PostgresServer:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", USER,
                  "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        options = (f"-c listen_addresses='' -c unix_socket_directories={self.root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=100")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@/{database}?host={self.root}"

    def new_url(self) -> str:
        """A new, empty database of its own: the SQLAlchemy URL of a store on it."""
        import psycopg

        name = f"kpi_test_{next(self._names)}"
        with psycopg.connect(host=str(self.root), user=USER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _absent(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is needed under CI ($CI is set) and {reason}: .ci/run "
                    "installs the postgresql package")
    pytest.skip(f"PostgreSQL tests need Debian's postgresql package and psycopg: {reason}")


@pytest.fixture(scope="session")
def postgres():
    """The session's throwaway PostgreSQL server (skipped where absent, outside CI)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _absent("psycopg is not installed")
    bindir = find_bin()
    if bindir is None:
        _absent("no initdb under /usr/lib/postgresql/*/bin or on PATH")
    server = PostgresServer(bindir)
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        server.stop()
        _absent(f"the server did not start: {e}")
    yield server
    server.stop()


def store_url(request, tmp_path: Path) -> str:
    """The store a test parametrised over ``backend`` (``sqlite`` or ``postgresql``) uses:
    a SQLite file in ``tmp_path``, or a new database on the session's server."""
    if request.param == "sqlite":
        return str(tmp_path / "kpi.sqlite")
    return request.getfixturevalue("postgres").new_url()


BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql")]
