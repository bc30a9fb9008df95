"""Helpers for the tests that run the whole endpoint: start one, send, read the journal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mockkpr.client import KprClient
from mockkpr.endpoint.app import Endpoint
from mockkpr.registry import Registry
from mockkpr.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures"
KPR, OSLO, BERGEN, THIRD, FOURTH = 131725, 12345, 23456, 34567, 45678
EXCHANGE = "NHNTESTServiceBus"
RECEIVER_TIMESTAMP = re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d$")  # MM/dd/yyyy HH:mm:ss


def fixture(relative: str) -> bytes:
    """A file of the repository's ``fixtures`` directory."""
    return (FIXTURES / relative).read_bytes()


@dataclass
class Running:
    """A started :class:`Endpoint` with an HTTP client on its control API."""

    endpoint: Endpoint
    http: httpx.Client

    @property
    def registry(self) -> Registry:
        assert self.endpoint.registry is not None
        return self.endpoint.registry

    def url(self, *, tls: bool = True) -> str:
        urls = self.endpoint.urls
        base = urls.amqps if tls else urls.amqp
        assert base is not None
        return f"{base}/{EXCHANGE}"

    def client(self, her_id: int = OSLO, *, tls: bool = True, **options: Any) -> KprClient:
        """A reference sender; it connects in a ``with`` or on :meth:`KprClient.connect`."""
        return KprClient(self.url(tls=tls), self.registry, her_id, **options)

    def entry(self, message_id: str) -> dict[str, Any]:
        """The journal's entry for a message-id (``GET /api/messages/{id}``)."""
        response = self.http.get(f"/api/messages/{message_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def entries(self, message_id: str) -> list[dict[str, Any]]:
        """Every journal entry with this message-id, oldest first."""
        response = self.http.get("/api/messages", params={"message_id": message_id})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return sorted(found, key=lambda e: int(e["id"]))

    def wait_entry(self, message_id: str, timeout: float = 20) -> dict[str, Any]:
        """The entry once it is settled (``GET /api/wait``)."""
        response = self.http.get("/api/wait", params={"message_id": message_id,
                                                      "timeout": timeout})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@contextmanager
def running_endpoint(data_dir: Path, registry: Path, **settings: Any) -> Iterator[Running]:
    """An endpoint on free ports (TLS and plain) with its journal in ``data_dir``."""
    values: dict[str, Any] = {"data_dir": data_dir, "registry": registry, "amqps_port": 0,
                              "amqp_port": 0, "control_port": 0, **settings}
    with Endpoint(Settings(**values)) as endpoint, \
            httpx.Client(base_url=endpoint.urls.control, timeout=60) as http:
        yield Running(endpoint, http)
