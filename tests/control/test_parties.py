"""GET /api/pki/ca.pem and GET /api/parties on a real server over a real test PKI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from mockkpr.control.app import create_app
from mockkpr.control.metrics import Metrics
from mockkpr.control.server import ControlServer
from mockkpr.endpoint.app import DEFAULT_PARTIES, DEFAULT_PASSWORDS, documented_passwords
from mockkpr.journal.store import Journal
from mockkpr.pki import Variant, create_test_pki
from mockkpr.registry import Registry, load_registry

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def default_registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """The PKI a first start creates: documented passwords, plus one variant party."""
    directory = tmp_path_factory.mktemp("pki-default")
    create_test_pki(directory, DEFAULT_PARTIES, passwords=DEFAULT_PASSWORDS,
                    variants=[Variant.EXPIRED])
    return load_registry(directory / "registry.yaml")


@pytest.fixture(scope="module")
def own_registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A registry a user made (`mockkpr pki init`): random passwords."""
    directory = tmp_path_factory.mktemp("pki-own")
    create_test_pki(directory, DEFAULT_PARTIES)
    return load_registry(directory / "registry.yaml")


def _client(tmp_path: Path, registry: Registry | None) -> Iterator[httpx.Client]:
    with Journal(f"sqlite:///{tmp_path / 'j.sqlite3'}") as journal, \
            ControlServer(create_app(journal, dict, metrics=Metrics(), registry=registry,
                                     documented_passwords=documented_passwords()),
                          "127.0.0.1", 0) as server, \
            httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def default_api(tmp_path: Path, default_registry: Registry) -> Iterator[httpx.Client]:
    yield from _client(tmp_path, default_registry)


def test_ca_certificate_is_the_registry_ca(default_api: httpx.Client,
                                           default_registry: Registry) -> None:
    response = default_api.get("/api/pki/ca.pem")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-pem-file"
    assert response.content == default_registry.ca_path.read_bytes()
    assert x509.load_pem_x509_certificate(response.content) == default_registry.ca_certificate


def test_default_parties_list_their_documented_credentials(default_api: httpx.Client) -> None:
    parties = default_api.get("/api/parties").json()
    by_id = {p["her_id"]: p for p in parties}
    assert [p["her_id"] for p in parties] == sorted(by_id)
    assert by_id[12345] == {
        "her_id": 12345, "name": "Testkommune Saksbehandling", "parent": None,
        "queues": {"async": "12345_async", "error": "12345_error", "dl": "12345_dl"},
        "user": "mockkpr-12345", "password": "test-12345", "keys": True}
    assert by_id[131725]["user"] == "mockkpr-131725"
    assert by_id[131725]["password"] is None  # KPR's own account: never served
    assert by_id[23456]["password"] == "test-23456"
    # the expired-certificate variant of 12345 shares its parent's account and queues
    variant = by_id[123451]
    assert (variant["parent"], variant["user"], variant["password"]) == (
        12345, "mockkpr-12345", "test-12345")
    assert variant["queues"]["async"] == "12345_async"


def test_configured_passwords_are_never_shown(tmp_path: Path, own_registry: Registry) -> None:
    for client in _client(tmp_path, own_registry):
        parties = client.get("/api/parties").json()
    assert {p["user"] for p in parties} == {
        "mockkpr-131725", "mockkpr-12345", "mockkpr-23456"}
    assert [p["password"] for p in parties] == [None, None, None]
    assert all(own_registry.accounts[p["user"]].password for p in parties)


def test_without_a_registry_the_routes_do_not_exist(tmp_path: Path) -> None:
    for client in _client(tmp_path, None):
        assert client.get("/api/pki/ca.pem").status_code == 404
        assert client.get("/api/parties").status_code == 404
