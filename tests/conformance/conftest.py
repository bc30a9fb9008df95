"""Fixtures of the conformance suite's tests: one endpoint per module, the test PKI, Node."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockkpr.endpoint.app import DEFAULT_PARTIES, DEFAULT_PASSWORDS, Endpoint
from mockkpr.pki import create_test_pki
from mockkpr.registry import Registry, load_registry
from mockkpr.settings import Settings


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """The default test parties (KPR 131725, senders 12345 and 23456) with keys."""
    made = create_test_pki(tmp_path_factory.mktemp("pki"), DEFAULT_PARTIES,
                           passwords=DEFAULT_PASSWORDS)
    return load_registry(made.registry_file)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    """A real endpoint for the module (TLS listener, control API, test PKI)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("endpoint"), amqps_port=0,
                        control_port=0, scenario=None, registry=None, database_url=None)
    with Endpoint(settings) as running:
        yield running


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "work"


# --- an independent sender: Node's rhea and the openssl command ---------------------------
NODE_DIR = Path("/tmp/mockkpr-node")  # npm's cache, shared with tests/endpoint
NODE_PACKAGES = ("rhea", "yaml")


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """A node_modules directory holding rhea and yaml (installed with npm on first use)."""
    if shutil.which("node") is None or shutil.which("npm") is None \
            or shutil.which("openssl") is None:
        pytest.skip("node, npm and openssl are needed for the independent sender")
    missing = [p for p in NODE_PACKAGES if not (NODE_DIR / "node_modules" / p).is_dir()]
    if missing:
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", *missing], cwd=NODE_DIR,
                       check=True, capture_output=True, timeout=180)
    return NODE_DIR / "node_modules"
