"""A throw-away PostgreSQL cluster from the local ``initdb``/``pg_ctl`` (as ``postgres`` when
run as root), reachable on a Unix socket only, fsync off: the data is thrown away."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path


@dataclass(frozen=True)
class PostgresCluster:
    """A running throw-away cluster reachable on a Unix socket in ``socket_dir``."""

    socket_dir: Path
    port: int
    data: Path

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


def unavailable() -> str | None:
    """None when a cluster can be started here, else the reason it cannot."""
    if _pg_bin("initdb") is None or _pg_bin("pg_ctl") is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed " \
               "(scripts/setup.d/30-postgresql.sh installs them)"
    if find_spec("psycopg") is None:
        return "the psycopg driver is not installed (pip install 'psycopg[binary]')"
    return None


def start_cluster() -> PostgresCluster:
    """Start a cluster in a new temporary directory."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    assert initdb is not None
    assert pg_ctl is not None
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
    return PostgresCluster(base, port, data)


def stop_cluster(cluster: PostgresCluster) -> None:
    """Stop the cluster at once and remove its files."""
    pg_ctl = _pg_bin("pg_ctl")
    assert pg_ctl is not None
    subprocess.run(_as_postgres_user([pg_ctl, "-D", str(cluster.data), "-m", "immediate",
                                      "stop"]), check=False, capture_output=True)
    shutil.rmtree(cluster.socket_dir, ignore_errors=True)
