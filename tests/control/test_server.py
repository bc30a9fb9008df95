"""ControlServer: port 0, a port in use, stopping with long polls running, URLs."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockkpr.control.app import create_app
from mockkpr.control.metrics import Metrics
from mockkpr.control.server import ControlServer
from mockkpr.control.urls import control_url
from mockkpr.errors import EndpointError
from mockkpr.journal.store import Journal

pytestmark = pytest.mark.integration


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(f"sqlite:///{tmp_path / 'j.sqlite3'}") as opened:
        yield opened


def _app(journal: Journal) -> ControlServer:
    return ControlServer(create_app(journal, dict, metrics=Metrics()), "127.0.0.1", 0)


def test_port_zero_binds_a_free_port_and_stops(journal: Journal) -> None:
    server = _app(journal)
    with pytest.raises(EndpointError, match="the control API is not started"):
        _ = server.url
    server.start()
    try:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        with pytest.raises(EndpointError, match="already started"):
            server.start()
        url = server.url
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/healthz")


def test_port_in_use_fails_at_start(journal: Journal) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        server = ControlServer(create_app(journal, dict, metrics=Metrics()), "127.0.0.1", port)
        with pytest.raises(EndpointError,
                           match=f"control API cannot listen on 127.0.0.1:{port}: "
                                 "Address already in use"):
            server.start()


def test_stop_ends_running_long_polls(journal: Journal) -> None:
    """A client in a 300 s long poll gets 503 when the server stops, not a hang."""
    server = _app(journal)
    server.start()
    results: list[httpx.Response] = []
    poll = threading.Thread(target=lambda: results.append(httpx.get(
        f"{server.url}/api/wait", params={"timeout": 300}, timeout=60)))
    poll.start()
    try:
        poll.join(0.5)
        assert poll.is_alive()  # still waiting
    finally:
        server.stop()
    poll.join(30)
    assert not poll.is_alive()
    assert results[0].status_code == 503
    assert results[0].json() == {"detail": "the control API is stopping"}


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("0.0.0.0", 8080, "http://127.0.0.1:8080"),  # noqa: S104
        ("::", 8080, "http://[::1]:8080"),
        ("::1", 81, "http://[::1]:81"),
        ("kpr.test", 80, "http://kpr.test:80"),
    ],
)
def test_control_url(host: str, port: int, url: str) -> None:
    assert control_url(host, port) == url


def test_the_listening_socket_sends_without_delay(journal: Journal) -> None:
    """TCP_NODELAY, inherited by accepted connections: no 40 ms wait for a delayed ACK
    between a response's headers and its body (benchmarks/web_pages.py measures it)."""
    with _app(journal) as server:
        sock = server._socket
        assert sock is not None
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert httpx.get(f"{server.url}/healthz").status_code == 200
