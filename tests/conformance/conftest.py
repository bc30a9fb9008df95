"""Fixtures of the conformance suite's tests: one endpoint per module, the test PKI."""

from __future__ import annotations

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
