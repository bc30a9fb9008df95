"""Session-wide services shared by several test packages: PostgreSQL, RabbitMQ, npm's jose.

Each starts once per session when a test asks for it, and is skipped (saying why) only when
its tools are not installed; CI installs them (scripts/setup.d).
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mockkpr.endpoint.app import DEFAULT_PARTIES, DEFAULT_PASSWORDS
from mockkpr.pki import create_test_pki
from mockkpr.registry import Registry, load_registry
from tests.services import postgres, rabbitmq
from tests.services.postgres import PostgresCluster
from tests.services.rabbitmq import RabbitNode

_databases = itertools.count(1)
JOSE_DIR = Path("/tmp/mockkpr-node-jose")  # npm's copy of jose, shared by test runs


@pytest.fixture(scope="session")
def jose_dir() -> Path:
    """A directory whose node_modules holds npm's jose (installed on first use): the JOSE
    library of the Node clients that test the HTTP route (not the server's joserfc)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed (scripts/setup.d/10-base.sh installs them)")
    if not (JOSE_DIR / "node_modules" / "jose").is_dir():
        JOSE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "jose@6"], cwd=JOSE_DIR,
                       check=True, capture_output=True, timeout=180)
    return JOSE_DIR


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster for the session (fsync off: the data is thrown away)."""
    reason = postgres.unavailable()
    if reason is not None:
        pytest.skip(reason)
    cluster = postgres.start_cluster()
    try:
        yield cluster
    finally:
        postgres.stop_cluster(cluster)


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


@pytest.fixture(scope="session")
def session_registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """The default parties' test PKI (README's "Default parties"), made once per session."""
    directory = tmp_path_factory.mktemp("session-pki")
    create_test_pki(directory, DEFAULT_PARTIES, passwords=DEFAULT_PASSWORDS)
    return load_registry(directory / "registry.yaml")


@pytest.fixture(scope="session")
def rabbitmq_node(tmp_path_factory: pytest.TempPathFactory,
                  session_registry: Registry) -> Iterator[RabbitNode]:
    """A private RabbitMQ 3.x node (AMQP 1.0 plugin, management API) for the session.

    Its TLS certificate is the session registry's, for ``localhost``.
    """
    reason = rabbitmq.available()
    if reason is not None:
        pytest.skip(reason)
    tls = session_registry.tls
    assert tls is not None
    node = RabbitNode.start(Path(tmp_path_factory.mktemp("rabbitmq")),
                            tls=(tls.certificate, tls.key, session_registry.ca_path))
    try:
        yield node
    finally:
        node.stop()
