"""Who may use the control API: Host, Origin, the token and JSON for state changes, against a
real server, with the requests a hostile web page or a DNS-rebinding page would make."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.responses import PlainTextResponse

from mockkpr.control.app import create_app
from mockkpr.control.metrics import Metrics
from mockkpr.control.security import PUBLIC_PATHS, AccessPolicy, allowed_hosts
from mockkpr.control.server import ControlServer
from mockkpr.control.tokens import TOKEN_FILE, is_loopback, resolve_token
from mockkpr.endpoint.app import Endpoint
from mockkpr.journal.store import Journal
from mockkpr.settings import Settings
from tests.journal.entries import make_entry

TOKEN = "synthetic-control-token-0123456789"


def serve(tmp_path: Path, access: AccessPolicy | None = None) -> Iterator[httpx.Client]:
    with Journal(f"sqlite:///{tmp_path / 'j.sqlite3'}") as journal, \
            ControlServer(create_app(journal, dict, metrics=Metrics(), access=access),
                          "127.0.0.1", 0) as server, \
            httpx.Client(base_url=server.url, timeout=30) as client:
        journal.record(make_entry())
        # a route added after the API was made (as the web pages are) is behind the checks too
        server.app.add_api_route("/late", lambda: PlainTextResponse("late"))
        yield client


@pytest.fixture
def open_api(tmp_path: Path) -> Iterator[httpx.Client]:
    """The API as on loopback: no token."""
    yield from serve(tmp_path)


@pytest.fixture
def token_api(tmp_path: Path) -> Iterator[httpx.Client]:
    """The API as beyond loopback: a token."""
    yield from serve(tmp_path, AccessPolicy(token=TOKEN))


def own_host(client: httpx.Client) -> str:
    return str(client.base_url.netloc.decode())


# ------------------------------------------------------------------ Host (DNS rebinding)
@pytest.mark.parametrize("path", ["/api/parties", "/api/messages", "/late", "/readyz"])
def test_a_foreign_host_header_is_refused(open_api: httpx.Client, path: str) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: its Host gives it away."""
    port = open_api.base_url.port
    response = open_api.get(path, headers={"Host": f"attacker.example:{port}"})
    assert (response.status_code, response.text) == (400, "Invalid host header")


def test_loopback_names_are_answered(open_api: httpx.Client) -> None:
    port = open_api.base_url.port
    for host in ("localhost", "127.0.0.1", "[::1]"):
        assert open_api.get("/api/messages", headers={"Host": f"{host}:{port}"}).status_code \
            == 200


def test_allowed_hosts_add_the_own_address_and_the_configured_names() -> None:
    assert allowed_hosts(Settings(control_host="0.0.0.0")) == (  # noqa: S104
        "localhost", "127.0.0.1", "[::1]")
    assert allowed_hosts(Settings(control_host="10.1.2.3", control_hosts=["MockKPR"])) == (
        "localhost", "127.0.0.1", "[::1]", "10.1.2.3", "mockkpr")
    assert allowed_hosts(Settings(control_host="fd00::5"))[-1] == "[fd00::5]"
    # the host certificates name for the CRL: senders fetch it by that name
    assert allowed_hosts(Settings(control_host="0.0.0.0",  # noqa: S104
                                  pki_url="http://mockkpr:8080/pki")) == (
        "localhost", "127.0.0.1", "[::1]", "mockkpr")


# ------------------------------------------------------------------ Origin and JSON (CSRF)
@pytest.mark.parametrize("origin", ["http://attacker.example", "null",
                                    "http://localhost:1"])
def test_a_web_page_of_another_origin_cannot_reset(open_api: httpx.Client,
                                                   origin: str) -> None:
    response = open_api.post("/api/reset", json={"drop_queued": True},
                             headers={"Origin": origin})
    assert response.status_code == 403
    assert response.json()["detail"] == (
        f"cross-origin request refused: Origin {origin!r} is not this control API's own")
    assert open_api.get("/api/messages").json() != []  # nothing was reset


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/x-www-form-urlencoded", b"drop_queued=true"),  # an HTML form
    ("text/plain", b'{"drop_queued": true}'),  # fetch(..., {mode: "no-cors"})
    ("multipart/form-data; boundary=x", b"--x--"),
    (None, b""),
])
def test_state_changes_need_json(open_api: httpx.Client, content_type: str | None,
                                 body: bytes) -> None:
    """The content types a page may send across origins without a preflight are refused."""
    headers = {"Content-Type": content_type} if content_type else {}
    response = open_api.post("/api/reset", content=body, headers=headers)
    assert response.status_code == 415
    assert response.json()["detail"].startswith(
        "a state change needs Content-Type: application/json (got ")
    assert open_api.get("/api/messages").json() != []


def test_the_own_origin_may_change_state_with_json(open_api: httpx.Client) -> None:
    origin = f"http://{own_host(open_api)}"
    response = open_api.post("/api/reset", json={}, headers={"Origin": origin})
    assert response.status_code == 200
    assert open_api.get("/api/messages").json() == []


def test_a_same_origin_browser_page_reads_without_more(open_api: httpx.Client) -> None:
    """A navigation or same-origin fetch of a read-only page needs nothing special."""
    page = open_api.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert open_api.get("/late", headers={"Origin": f"http://{own_host(open_api)}"}).text \
        == "late"


# ------------------------------------------------------------------ the token
@pytest.mark.parametrize("path", ["/api/messages", "/api/parties", "/metrics", "/", "/late",
                                  "/docs", "/openapi.json"])
def test_without_the_token_only_public_routes_answer(token_api: httpx.Client,
                                                      path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token"},
                    {"Authorization": f"Basic {TOKEN}"}, {"Cookie": "mockkpr_control_token=x"}):
        response = token_api.get(path, headers=headers)
        assert response.status_code == 401, (path, headers)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="mockkpr"'
        assert "needs its token" in response.json()["detail"]


def test_public_routes_need_no_token(token_api: httpx.Client) -> None:
    # probes, and the test CA's certificate and CRL (tests/pki/test_crl_distribution.py
    # fetches the CRL and CA a certificate names from an endpoint with a token)
    assert {"/healthz", "/readyz", "/api/pki/ca.pem", "/pki/ca.crl", "/pki/ca.crt"} \
        == PUBLIC_PATHS
    assert token_api.get("/healthz").status_code == 200
    assert token_api.get("/readyz").status_code == 200


def test_the_bearer_token_opens_every_route(token_api: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert token_api.get("/api/messages", headers=headers).status_code == 200
    assert token_api.post("/api/reset", json={}, headers=headers).status_code == 200
    refused = token_api.post("/api/reset", json={}, headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401


def test_a_browser_opens_the_token_once_and_keeps_it_in_a_strict_cookie(
        token_api: httpx.Client) -> None:
    first = token_api.get("/", params={"token": TOKEN})
    assert first.status_code == 200
    cookie = first.headers["set-cookie"]
    assert cookie == f"mockkpr_control_token={TOKEN}; Path=/; HttpOnly; SameSite=Strict"
    later = token_api.get("/api/messages")  # httpx keeps the cookie, as a browser would
    assert later.status_code == 200
    assert "set-cookie" not in later.headers


# ------------------------------------------------------------------ when a token is needed
def test_a_token_is_made_up_only_beyond_loopback(tmp_path: Path) -> None:
    assert resolve_token(Settings(data_dir=tmp_path)) == (None, "none")
    assert resolve_token(Settings(data_dir=tmp_path, control_token=TOKEN)) == (
        TOKEN, "environment")
    wide = Settings(data_dir=tmp_path, control_host="0.0.0.0")  # noqa: S104
    token, source = resolve_token(wide)
    assert source == "generated"
    assert token is not None
    assert len(token) >= 32
    assert (tmp_path / TOKEN_FILE).stat().st_mode & 0o777 == 0o600
    assert resolve_token(wide) == (token, "file")  # a restart on the same data keeps it
    hosts = ("localhost", "127.0.0.1", "::1", "127.0.0.2", "0.0.0.0", "10.0.0.1", "mockkpr")  # noqa: S104
    assert [is_loopback(h) for h in hosts] == [True, True, True, True, False, False, False]


def test_an_endpoint_listening_beyond_loopback_requires_its_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, amqps_port=0, control_port=0,
                        control_host="0.0.0.0")  # noqa: S104
    with Endpoint(settings) as endpoint:
        url = endpoint.urls.control
        token = endpoint.control_token
        assert token is not None
        assert endpoint.control_token_source == "generated"
        assert httpx.get(f"{url}/api/parties", timeout=10).status_code == 401
        parties = httpx.get(f"{url}/api/parties", timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
        assert parties.status_code == 200
        by_id = {p["her_id"]: p for p in parties.json()}
        assert by_id[131725]["password"] is None  # KPR's own password is never served
        assert by_id[12345]["password"] == "test-12345"
