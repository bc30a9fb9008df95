"""The web view and the control API for submissions over KPR's HTTP API (issue 14): the
message page shows the route's facts, refIds link to their entries, the list finds an entry
by its refId, and a conformance run of the HTTP route links the messages it judged.

Submissions are made with the tests' own client (PyJWT assertions, httpx over TLS), not with
mockkpr's sender; the facts on the page are compared with what that client sent.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from mockkpr.conformance.cases import select
from mockkpr.conformance.drivers import InProcessDriver
from mockkpr.conformance.harness import Harness
from mockkpr.conformance.senders import reference_http_sender
from mockkpr.endpoint.app import Endpoint
from tests.kneik.support import HttpRoute, assertion, protected, submission, token_form

pytestmark = pytest.mark.integration


def _submit(route: HttpRoute, document: bytes, **header: Any) -> tuple[str, dict[str, Any]]:
    """Submit ``document`` as 12345; (the assertion sent, the API's answer)."""
    registry = route.registry
    endpoint = route.discovery()["token_endpoint"]
    sent = assertion(registry, "client-12345", endpoint)
    token = route.request_token(token_form(sent)).json()["access_token"]
    body = submission(protected(document, registry.party(12345), registry.party(131725)),
                      **header)
    answer = route.post(body, token).json()
    return sent, answer


def _page(route: HttpRoute, ref_id: str) -> tuple[dict[str, Any], str]:
    entry = route.entry(ref_id)
    page = httpx.get(f"{route.control}/messages/{entry['id']}")
    assert page.status_code == 200
    return entry, html.unescape(page.text)


def test_the_message_page_shows_the_http_routes_facts(route: HttpRoute,
                                                      event_message: bytes) -> None:
    sent, answer = _submit(route, event_message)
    ref_id = answer["refId"]
    entry, text = _page(route, ref_id)
    claims = jwt.decode(sent, options={"verify_signature": False})
    assert f"refId <a href=\"/api/messages/{ref_id}\"><code>{ref_id}</code></a>" in text
    assert "Received over HTTP" in text
    assert "Answered HTTP 200" in text
    assert "The API answered 200 (received) and KPR registers the whole message" in text
    section = text.split('id="http"')[1].split("</section>")[0]
    for expected in ("HTTP submission", "POST", "/messages", "client-12345",
                     "application/json", "client assertion alg", "RS256",
                     claims["aud"], "lifetime (exp - iat, s)", "60", "hdir:kneik/iplos/submit",
                     answer["messageId"], "131725", "IPLOS", "56.0.0"):
        assert expected in section, expected
    assert "has no MsgHead" in text
    assert "AMQP" not in text.split('id="amqp"')[1].split("</h2>")[0]
    assert entry["ref_id"] == ref_id
    assert entry["links"]["self"] == f"/api/messages/{ref_id}"
    assert entry["links"]["web"] == f"/messages/{entry['id']}"


def test_a_refused_submission_says_its_validation_code(route: HttpRoute,
                                                       event_message: bytes) -> None:
    _, answer = _submit(route, event_message, to_her_id=23456)
    assert answer["validationCode"] == 1010
    _, text = _page(route, answer["refId"])
    assert "The API answered <b>HTTP 400</b> with validationCode <b>1010</b>" in text
    assert "The API refused the submission with HTTP 400" in text
    assert "Answered HTTP 400" in text


def test_the_list_finds_an_entry_by_its_whole_ref_id(route: HttpRoute,
                                                     event_message: bytes) -> None:
    _, first = _submit(route, event_message)
    _, second = _submit(route, event_message)
    wanted = route.entry(second["refId"])["id"]
    other = route.entry(first["refId"])["id"]
    listed = httpx.get(f"{route.control}/", params={"q": second["refId"].upper()}).text
    assert f'href="/messages/{wanted}"' in listed
    assert f'href="/messages/{other}"' not in listed
    assert "over HTTP" in listed
    part = httpx.get(f"{route.control}/", params={"q": second["refId"][:8]}).text
    assert f'href="/messages/{wanted}"' not in part  # a refId is searched whole
    live = httpx.get(f"{route.control}/live/messages", params={"q": second["refId"]}).json()
    assert f'href="/messages/{wanted}"' in live["rows"]


def test_an_http_conformance_run_links_the_messages_it_judged(
        http_endpoint: Endpoint, route: HttpRoute, tmp_path: Path) -> None:
    harness = Harness(InProcessDriver(http_endpoint), reference_http_sender(), tmp_path,
                      timeout=10, sender_name="mockkpr send --http")
    certification = harness.certify(select(["KPR-CONF-104"], "http"))
    assert certification.exit_code == 0
    observed = certification.results[0].execution.observations
    assert observed is not None
    (message,) = observed.messages
    ref_id = message.details["http.ref_id"]
    page = httpx.get(f"{route.control}/conformance/{harness.run_id}").text
    assert f'href="/messages/{message.entry.id}"' in page
    assert f'href="/api/messages/{ref_id}"' in page
    assert "HTTP 200 · refId" in page
