"""One endpoint with the HTTP route for the module's tests, reset before each test.

Its test PKI has the bad signing-certificate variants (1 expired, 3 wrong usage, 4 revoked,
5 unknown CA), a small body limit so that 413 is cheap to reach, and fixed HelseID client
ids (``client-12345``, ``client-23456``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockkpr.endpoint.app import Endpoint
from mockkpr.pki import PartySpec, Variant, create_test_pki
from mockkpr.settings import Settings
from tests.kneik.support import HttpRoute

ROOT = Path(__file__).parents[2]
PARTIES = (PartySpec(131725, "KPR Validering"), PartySpec(12345, "Testkommune"),
           PartySpec(23456, "Nabokommune"))
#: The route's body limit in these tests.
MAX_BODY = 256 << 10


@pytest.fixture(scope="session")
def http_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    """The endpoint (AMQP, control API and HTTP route on free ports)."""
    pki = tmp_path_factory.mktemp("http-pki")
    made = create_test_pki(pki, PARTIES, variants=list(Variant),
                           client_ids={12345: "client-12345", 23456: "client-23456"})
    settings = Settings(data_dir=tmp_path_factory.mktemp("http-data"), registry=made.registry_file,
                        amqps_port=0, control_port=0, http_port=0, scenario=None,
                        database_url=None, http_max_body_bytes=MAX_BODY)
    with Endpoint(settings) as endpoint:
        yield endpoint


@pytest.fixture
def route(http_endpoint: Endpoint) -> HttpRoute:
    """The HTTP route with an empty journal and no scenario armed."""
    http_endpoint.disarm()
    httpx.post(f"{http_endpoint.urls.control}/api/reset", json={}).raise_for_status()
    assert http_endpoint.urls.http is not None
    assert http_endpoint.registry is not None
    return HttpRoute(http_endpoint.urls.http, http_endpoint.urls.control,
                     http_endpoint.registry)


@pytest.fixture(scope="session")
def event_message() -> bytes:
    """A valid 56.0.0 event message, the first of its stream."""
    return (ROOT / "fixtures" / "valid" / "iplos-56.xml").read_bytes()
