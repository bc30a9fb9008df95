"""The HTTP submission API end to end: real TLS, real tokens, real CMS, the journal behind it.

Expectations come from the API's public description (kpr-http-api.md: the answer bodies,
PascalCase and camelCase names, the paths) and from RFC 6750 (401/403 with
``WWW-Authenticate``); the codes are those docs/http-api.md lists.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from mockkpr.client import KprClient
from mockkpr.endpoint.app import Endpoint
from tests.kneik.conftest import MAX_BODY, ROOT
from tests.kneik.support import HttpRoute, protected, submission

pytestmark = pytest.mark.integration

GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _sign_token(endpoint: Endpoint, **claims: object) -> str:
    """An access token signed with the server's own key (to test the verifier's checks)."""
    assert endpoint.http is not None
    helseid = endpoint.http.helseid
    key = jwt.PyJWK(helseid.key.as_dict(private=True)).key
    now = int(time.time())
    body = {"iss": "https://localhost/helseid", "aud": "hdir:kneik", "client_id": "client-12345",
            "scope": ["hdir:kneik/iplos/submit"], "jti": uuid.uuid4().hex, "iat": now,
            "nbf": now, "exp": now + 300, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm="RS256",
                      headers={"kid": helseid.key.kid})


# ------------------------------------------------------------------ received
@pytest.mark.parametrize("pascal", [False, True], ids=["camelCase", "PascalCase"])
@pytest.mark.parametrize("path", ["/messages", "/message/process"])
def test_a_valid_message_is_received_with_a_ref_id_that_names_its_journal_entry(
        route: HttpRoute, event_message: bytes, pascal: bool, path: str) -> None:
    registry = route.registry
    payload = protected(event_message, registry.party(12345), registry.party(131725))
    body = submission(payload, pascal=pascal)
    response = route.post(body, route.token(), path=path)
    assert response.status_code == 200, response.text
    answer = response.json()
    header = body["MessageHeader" if pascal else "messageHeader"]
    assert answer["messageId"] == header["MessageId" if pascal else "messageId"]
    assert GUID.fullmatch(answer["refId"])
    entry = route.entry(answer["refId"])
    assert entry["outcome"] == "accepted"
    assert entry["sender_her_id"] == "12345"
    assert entry["receiver_her_id"] == "131725"
    assert entry["subject"] == "KPR_IPL"
    assert entry["user"] == "client-12345"
    assert entry["details"]["http.ref_id"] == answer["refId"]
    assert entry["details"]["http.path"] == path
    assert entry["details"]["cms.cipher"] == "aes-256-cbc"
    assert entry["answers"] == []  # the HTTP answer was the answer: nothing is queued
    assert entry["report"]["findings"] == []


def test_a_message_sent_either_way_has_the_same_findings(
        route: HttpRoute, http_endpoint: Endpoint) -> None:
    """The same defective document by AMQP (from 23456) and by HTTP (from 12345)."""
    document = (ROOT / "fixtures/rules/EV-EPOST/no-at-sign.xml").read_bytes()
    registry = route.registry
    response = route.post(submission(protected(document, registry.party(12345),
                                               registry.party(131725))), route.token())
    assert response.status_code == 200
    by_http = route.entry(response.json()["refId"])
    with KprClient(f"{http_endpoint.urls.amqps}/NS", registry, 23456) as client:
        client.send_and_wait(document, timeout=30)
    listed = httpx.get(f"{route.control}/api/messages", params={"sender": "23456"}).json()
    by_amqp = route.entry(listed[0]["message_id"])

    def findings(entry: dict[str, object]) -> list[tuple[str, str, str]]:
        report = entry["report"]
        assert isinstance(report, dict)
        return [(f["rule_id"], f["location"], f["value"]) for f in report["findings"]]

    expected = [("EV-EPOST", "/Melding/Kontaktperson[1]/@meldEpost1",
                 "kari.testesen.sagene.example")]  # fixtures/rules/EV-EPOST/no-at-sign.yaml
    assert findings(by_http) == findings(by_amqp) == expected
    assert by_http["outcome"] == by_amqp["outcome"]
    assert route.count() == 2


def _at_once(route: HttpRoute, body: dict[str, object], token: str,
             copies: int = 4) -> list[httpx.Response]:
    """``copies`` posts of ``body`` from as many threads at once."""
    answers: list[httpx.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(route.post(body, token)))
               for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_a_repeated_message_id_gets_the_same_answer_and_makes_one_entry(
        route: HttpRoute, event_message: bytes) -> None:
    registry = route.registry
    body = submission(protected(event_message, registry.party(12345), registry.party(131725)))
    token = route.token()
    first = route.post(body, token)
    answers = _at_once(route, body, token)
    assert first.status_code == 200
    assert [a.json() for a in answers] == [first.json()] * 4
    assert route.count() == 1


def test_concurrent_copies_of_a_new_message_make_one_entry(
        route: HttpRoute, event_message: bytes) -> None:
    registry = route.registry
    body = submission(protected(event_message, registry.party(12345), registry.party(131725)))
    answers = _at_once(route, body, route.token())
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["refId"] for a in answers}) == 1
    assert route.count() == 1


# ------------------------------------------------------------------ tokens
def test_without_a_token_the_answer_is_401_with_a_bearer_challenge(
        route: HttpRoute, event_message: bytes) -> None:
    response = route.post(submission(b"x"), None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    other_scheme = route.post(submission(b"x"), None, headers={"Authorization": "Basic eDp5"})
    assert other_scheme.status_code == 401
    assert route.count() == 0


@pytest.mark.parametrize(("claims", "why"), [
    ({"exp": int(time.time()) - 10}, "The token expired"),
    ({"aud": "hdir:other"}, "aud"),
    ({"aud": None}, "aud"),
    ({"client_id": "nobody"}, "unknown client"),
    ({"iss": "https://localhost/elsewhere"}, "issuer"),
    ({"nbf": int(time.time()) + 600}, "not valid"),
], ids=["expired", "wrong-aud", "no-aud", "unknown-client", "wrong-issuer", "not-yet-valid"])
def test_a_bad_access_token_is_401_invalid_token(
        route: HttpRoute, http_endpoint: Endpoint, claims: dict[str, object], why: str) -> None:
    response = route.post(submission(b"x"), _sign_token(http_endpoint, **claims))
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"')
    assert why in response.json()["error_description"]
    assert route.count() == 0


def test_a_forged_token_is_401(route: HttpRoute, http_endpoint: Endpoint) -> None:
    genuine = _sign_token(http_endpoint)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = jwt.decode(genuine, options={"verify_signature": False})
    forged = jwt.encode(claims, other, algorithm="RS256",
                        headers={"kid": jwt.get_unverified_header(genuine)["kid"]})
    unsigned = jwt.encode(claims, None, algorithm="none")
    header, payload, _ = genuine.split(".")
    for token in (forged, unsigned, f"{header}.{payload}.AAAA", "not-a-jwt"):
        response = route.post(submission(b"x"), token)
        assert response.status_code == 401, token
        assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert route.count() == 0


def test_a_token_without_the_scope_is_403_insufficient_scope(
        route: HttpRoute, http_endpoint: Endpoint, event_message: bytes) -> None:
    registry = route.registry
    body = submission(protected(event_message, registry.party(12345), registry.party(131725)))
    no_submit = route.post(body, _sign_token(http_endpoint, scope=["openid"]))
    assert no_submit.status_code == 403
    assert 'error="insufficient_scope"' in no_submit.headers["WWW-Authenticate"]
    hst_only = route.post(body, _sign_token(http_endpoint, scope="hdir:kneik/hst/submit"))
    assert hst_only.status_code == 403
    assert 'scope="hdir:kneik/iplos/submit"' in hst_only.headers["WWW-Authenticate"]
    assert route.count() == 0


def test_a_client_may_submit_only_as_its_own_partys_her_ids(
        route: HttpRoute, event_message: bytes) -> None:
    registry = route.registry
    body = submission(protected(event_message, registry.party(12345), registry.party(131725)))
    response = route.post(body, route.token("client-23456"))
    assert response.status_code == 403
    assert "may not submit as fromHerId 12345" in response.json()["error_description"]
    # its party's variant children are its own (parent 12345, inherited client)
    variant = submission(protected(event_message, registry.party(123451),
                                   registry.party(131725)), from_her_id=123451)
    assert route.post(variant, route.token("client-12345")).status_code == 400  # expired cert
    assert route.count() == 1


# ------------------------------------------------------------------ the request itself
def test_a_body_over_the_limit_is_413_and_not_read(route: HttpRoute) -> None:
    token = route.token()
    big = b'{"payload": "' + b"A" * MAX_BODY + b'"}'
    assert route.post(big, token).status_code == 413

    def chunks() -> object:  # no Content-Length: the limit holds while reading
        for _ in range(MAX_BODY // 4096 + 2):
            yield b"A" * 4096

    response = httpx.post(route.base + "/messages", content=chunks(),  # type: ignore[arg-type]
                          headers={"Authorization": f"Bearer {token}",
                                   "Content-Type": "application/json"}, verify=route.ca)
    assert response.status_code == 413
    assert route.count() == 0


def test_a_body_that_is_not_json_typed_is_415(route: HttpRoute) -> None:
    response = route.post(b"{}", route.token(), headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert route.count() == 0


def _raw(header: str = "", payload: str = '""', **fields: str) -> bytes:
    """A body with the valid header's fields changed (``fields``: JSON texts) and ``header``
    added verbatim after them."""
    values = {"fromHerId": "12345", "toHerId": "131725", "messageType": '"IPLOS"',
              "messageVersion": '"56.0.0"',
              "messageId": '"6f1c2a3b-1d2e-4f50-8a9b-0c1d2e3f4a5b"', **fields}
    members = ", ".join(f'"{name}": {value}' for name, value in values.items())
    return f'{{"messageHeader": {{{members}{header}}}, "payload": {payload}}}'.encode()


@pytest.mark.parametrize(("body", "code", "text"), [
    (b"{not json", 1001, "not JSON"),
    (b"\xff\xfe{}", 1001, "not JSON"),
    (b"[1, 2]", 1002, "not a JSON object"),
    (b'{"messageHeader": "x", "payload": ""}', 1002, "messageHeader is not a JSON object"),
    (b'{"payload": ""}', 1003, "messageHeader"),
    (b'{"messageHeader": {"fromHerId": 12345}, "payload": ""}', 1003, "toHerId"),
    (_raw(fromHerId='"12345"'), 1004, "fromHerId is not an integer"),
    (_raw(', "FromHerId": 12345'), 1005, "more than once"),
    (_raw(messageId='"91b970e-ae6c-4316-99d2-1f034dd5c74f"'), 1006, "not a GUID"),
    (_raw(messageType='"KPR"'), 1007, "not IPLOS or HST"),
    (_raw(messageType='"HST"'), 1008, "not checked by mockkpr"),
    (_raw(messageVersion='"65.0.0"'), 1009, "not 56.0.0"),
    (_raw(payload='"not base64!"'), 2001, "not base64"),
], ids=["not-json", "not-utf8", "array", "header-not-object", "no-header", "missing-fields",
        "her-id-as-text", "twice", "bad-guid", "unknown-type", "hst", "version", "not-base64"])
def test_a_malformed_body_is_400_with_its_code_and_recorded(
        route: HttpRoute, http_endpoint: Endpoint, body: bytes, code: int, text: str) -> None:
    token = _sign_token(http_endpoint, scope=["hdir:kneik/iplos/submit", "hdir:kneik/hst/submit"])
    entry = route.refused(route.post(body, token), code, text)
    assert entry["sender_her_id"] in ("12345", None)
    assert route.count() == 1


def test_hst_needs_its_own_scope(route: HttpRoute) -> None:
    response = route.post(_raw(messageType='"HST"'), route.token())
    assert response.status_code == 403
    assert 'scope="hdir:kneik/hst/submit"' in response.headers["WWW-Authenticate"]


def test_a_leading_byte_order_mark_is_read(route: HttpRoute, event_message: bytes) -> None:
    import json

    registry = route.registry
    body = submission(protected(event_message, registry.party(12345), registry.party(131725)),
                      pascal=True)
    response = route.post(b"\xef\xbb\xbf" + json.dumps(body).encode(), route.token())
    assert response.status_code == 200, response.text


def test_a_receiver_her_id_that_is_not_this_register_is_400(
        route: HttpRoute, event_message: bytes) -> None:
    registry = route.registry
    payload = protected(event_message, registry.party(12345), registry.party(131725))
    response = route.post(submission(payload, to_her_id=8139520), route.token())
    assert response.status_code == 400
    assert response.json()["validationCode"] == 1010
    assert "toHerId=8139520" in response.json()["validationMessage"]


def test_an_unexpected_failure_is_500_with_error_code_and_nothing_recorded(
        route: HttpRoute, http_endpoint: Endpoint, event_message: bytes,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert http_endpoint.journal is not None

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(http_endpoint.journal, "record_answered", broken)
    registry = route.registry
    body = submission(protected(event_message, registry.party(12345), registry.party(131725)))
    response = route.post(body, route.token())
    monkeypatch.undo()
    assert response.status_code == 500
    answer = response.json()
    assert answer["errorCode"] == 1002
    assert answer["errorMessage"] == "Teknisk feil på løsning. Prøv igjen senere."
    assert GUID.fullmatch(answer["refId"])
    assert route.count() == 0
    again = route.post(body, route.token())  # the same message again: processed now
    assert again.status_code == 200
    assert route.count() == 1


def test_other_methods_and_paths_are_not_served(route: HttpRoute) -> None:
    assert httpx.get(route.base + "/messages", verify=route.ca).status_code == 405
    assert httpx.get(route.base + "/docs", verify=route.ca).status_code == 404
    assert httpx.get(route.base + "/api/messages", verify=route.ca).status_code == 404


def test_the_listener_speaks_tls_only(route: HttpRoute, tmp_path: Path) -> None:
    plain = route.base.replace("https://", "http://")
    with pytest.raises(httpx.HTTPError):
        httpx.get(plain + "/helseid/.well-known/openid-configuration", timeout=5)
