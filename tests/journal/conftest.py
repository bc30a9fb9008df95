"""Fixtures for the journal's tests: a fresh database per test, SQLite and PostgreSQL.

``journal_url`` (and so ``journal``) runs each test twice: on a SQLite file and on a fresh
database in a throw-away PostgreSQL cluster that the session starts from the local
``initdb``/``pg_ctl`` (as user ``postgres`` when run as root). Without PostgreSQL binaries or
the ``psycopg`` driver the PostgreSQL runs are skipped, saying why.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import pytest
import sqlalchemy as sa

from mockkpr.journal.store import Journal

_databases = itertools.count(1)


@dataclass(frozen=True)
class PostgresCluster:
    """A running throw-away cluster reachable on a Unix socket in ``socket_dir``."""

    socket_dir: Path
    port: int

    def url(self, database: str) -> str:
        return (f"postgresql+psycopg://mockkpr@/{database}"
                f"?host={self.socket_dir}&port={self.port}")


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if isinstance(found, list):
        return found[-1] if found else None
    return found


def _as_postgres_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Start a PostgreSQL cluster for the session (fsync off: the data is thrown away)."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if find_spec("psycopg") is None:
        pytest.skip("the psycopg driver is not installed (pip install 'psycopg[binary]')")
    base = Path(tempfile.mkdtemp(prefix="mockkpr-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data = base / "data"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run(_as_postgres_user([initdb, "-D", str(data), "-A", "trust", "-U", "mockkpr",
                                      "--no-sync"]), check=True, capture_output=True)
    options = f"-k {base} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=200"
    subprocess.run(_as_postgres_user([pg_ctl, "-D", str(data), "-o", options, "-l",
                                      str(base / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield PostgresCluster(base, port)
    finally:
        subprocess.run(_as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                       check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh, empty database in the session's cluster, dropped after the test."""
    name = f"journal_{os.getpid()}_{next(_databases)}"
    admin = sa.create_engine(postgres_cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_cluster.url(name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh journal database: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def journal(journal_url: str) -> Iterator[Journal]:
    """An open journal on a fresh database, closed after the test."""
    with Journal(journal_url) as opened:
        yield opened
