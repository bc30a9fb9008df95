"""The fake HelseID as a client sees it: discovery, JWKS, client credentials with
``private_key_jwt`` (RFC 7523), errors per RFC 6749 §5.2.

Client assertions are built, and issued tokens verified, with PyJWT; the server uses joserfc.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.kneik.support import (
    ASSERTION_TYPE,
    SCOPE,
    HttpRoute,
    assertion,
    protected,
    submission,
    token_form,
)

pytestmark = pytest.mark.integration


def test_the_discovery_document_names_the_endpoints_under_its_issuer(route: HttpRoute) -> None:
    document = route.discovery()
    issuer = route.base + "/helseid"
    assert document["issuer"] == issuer
    assert document["token_endpoint"] == issuer + "/connect/token"
    assert document["jwks_uri"].startswith(issuer + "/")
    assert "private_key_jwt" in document["token_endpoint_auth_methods_supported"]
    assert "client_credentials" in document["grant_types_supported"]
    assert SCOPE in document["scopes_supported"]


def test_an_issued_token_verifies_with_the_published_keys(route: HttpRoute) -> None:
    document = route.discovery()
    response = route.request_token(token_form(
        assertion(route.registry, "client-12345", document["token_endpoint"])))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.json()
    assert answer["token_type"] == "Bearer"
    assert answer["scope"] == SCOPE
    keys = jwt.PyJWKSet.from_dict(httpx.get(document["jwks_uri"], verify=route.ca).json())
    header = jwt.get_unverified_header(answer["access_token"])
    key = next(k for k in keys.keys if k.key_id == header["kid"])
    claims = jwt.decode(answer["access_token"], key.key, algorithms=["RS256"],
                        audience="hdir:kneik", issuer=document["issuer"])
    assert claims["client_id"] == "client-12345"
    assert claims["scope"] == [SCOPE]
    assert 0 < claims["exp"] - time.time() <= answer["expires_in"]


def test_the_scope_may_be_asked_as_a_form_parameter_too(route: HttpRoute) -> None:
    endpoint = route.discovery()["token_endpoint"]
    form = token_form(assertion(route.registry, "client-12345", endpoint, scope=None),
                      scope=SCOPE, client_id="client-12345")
    response = route.request_token(form)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == SCOPE


def test_the_issuer_is_also_accepted_as_the_assertions_audience(route: HttpRoute) -> None:
    document = route.discovery()
    response = route.request_token(token_form(
        assertion(route.registry, "client-12345", document["issuer"])))
    assert response.status_code == 200


def _refused(route: HttpRoute, form: dict[str, str], error: str, text: str) -> None:
    response = route.request_token(form)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error
    assert text in body["error_description"]


def test_a_replayed_assertion_is_refused(route: HttpRoute) -> None:
    endpoint = route.discovery()["token_endpoint"]
    once = assertion(route.registry, "client-12345", endpoint)
    assert route.request_token(token_form(once)).status_code == 200
    _refused(route, token_form(once), "invalid_client", "used before")


@pytest.mark.parametrize(("claims", "text"), [
    ({"aud": "https://helseid-sts.test.nhn.no/connect/token"}, "aud"),
    ({"exp": int(time.time()) - 120, "iat": int(time.time()) - 180}, "expired"),
    ({"jti": None}, "jti"),
    ({"iss": "client-23456"}, "iss"),
    ({"exp": int(time.time()) + 3600}, "must expire within"),
], ids=["wrong-aud", "expired", "no-jti", "iss-not-sub", "too-long"])
def test_a_bad_assertion_is_invalid_client(
        route: HttpRoute, claims: dict[str, object], text: str) -> None:
    endpoint = route.discovery()["token_endpoint"]
    _refused(route, token_form(assertion(route.registry, "client-12345", endpoint, **claims)),
             "invalid_client", text)


def test_an_assertion_signed_with_another_key_is_invalid_client(route: HttpRoute) -> None:
    endpoint = route.discovery()["token_endpoint"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _refused(route, token_form(assertion(route.registry, "client-12345", endpoint, key=other)),
             "invalid_client", "signature")


def test_an_unsigned_or_hmac_assertion_is_invalid_client(route: HttpRoute) -> None:
    endpoint = route.discovery()["token_endpoint"]
    now = int(time.time())
    claims = {"iss": "client-12345", "sub": "client-12345", "aud": endpoint,
              "jti": uuid.uuid4().hex, "iat": now, "exp": now + 60}
    unsigned = jwt.encode(claims, None, algorithm="none")
    _refused(route, token_form(unsigned), "invalid_client", "not valid")
    hmac = jwt.encode(claims, "a shared secret of enough length for HS256", algorithm="HS256")
    _refused(route, token_form(hmac), "invalid_client", "not valid")


def test_an_unknown_client_and_a_differing_client_id_are_invalid_client(
        route: HttpRoute) -> None:
    endpoint = route.discovery()["token_endpoint"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _refused(route, token_form(assertion(route.registry, "nobody", endpoint, key=other)),
             "invalid_client", "unknown client")
    form = token_form(assertion(route.registry, "client-12345", endpoint),
                      client_id="client-23456")
    _refused(route, form, "invalid_client", "differs")


def test_a_scope_the_client_does_not_have_is_invalid_scope(route: HttpRoute) -> None:
    endpoint = route.discovery()["token_endpoint"]
    form = token_form(assertion(route.registry, "client-12345", endpoint,
                                scope="hdir:kneik/hst/submit"))
    _refused(route, form, "invalid_scope", "hdir:kneik/hst/submit")


def test_malformed_token_requests_get_their_oauth_errors(route: HttpRoute) -> None:
    endpoint = route.discovery()["token_endpoint"]
    good = assertion(route.registry, "client-12345", endpoint)
    _refused(route, {"client_assertion_type": ASSERTION_TYPE, "client_assertion": good},
             "invalid_request", "grant_type")
    _refused(route, token_form(good, grant_type="password"), "unsupported_grant_type",
             "password")
    _refused(route, {"grant_type": "client_credentials", "client_id": "client-12345",
                     "client_secret": "x"}, "invalid_client", "private_key_jwt")
    _refused(route, token_form("not.a.jwt"), "invalid_client", "not a JWT")
    as_json = httpx.post(endpoint, json=token_form(good), verify=route.ca)
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
    twice = httpx.post(endpoint, content=b"grant_type=client_credentials&grant_type=x",
                       headers={"Content-Type": "application/x-www-form-urlencoded"},
                       verify=route.ca)
    assert twice.status_code == 400
    assert "more than once" in twice.json()["error_description"]


def test_the_journal_records_what_helseid_saw_of_the_tokens_assertion(
        route: HttpRoute, event_message: bytes) -> None:
    """The assertion is built with PyJWT (the server uses joserfc); what the entry says of
    it is compared with what was sent, not with mockkpr's own client."""
    endpoint = route.discovery()["token_endpoint"]
    sent = assertion(route.registry, "client-12345", endpoint, exp=int(time.time()) + 45,
                     iat=int(time.time()) - 5)
    answer = route.request_token(token_form(sent, scope=SCOPE))
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    registry = route.registry
    body = submission(protected(event_message, registry.party(12345), registry.party(131725)))
    ref_id = route.post(body, token).json()["refId"]
    details = route.entry(ref_id)["details"]
    header = jwt.get_unverified_header(sent)
    claims = jwt.decode(sent, options={"verify_signature": False})
    access = jwt.decode(token, options={"verify_signature": False})
    assert details["helseid.assertion_alg"] == header["alg"] == "RS256"
    assert details["helseid.assertion_kid"] == header.get("kid")
    assert details["helseid.assertion_audience"] == claims["aud"] == endpoint
    assert details["helseid.token_endpoint"] == endpoint
    assert details["helseid.assertion_lifetime_s"] == claims["exp"] - claims["iat"] == 50
    assert details["helseid.assertion_claims"] == sorted(claims)
    assert details["helseid.assertion_scope"] == [SCOPE]
    assert details["helseid.scope_parameter"] == SCOPE
    assert details["helseid.token_id"] == access["jti"]
    assert details["helseid.token_scope"] == access["scope"] == [SCOPE]
    issued = datetime.fromisoformat(details["helseid.token_issued_at"]).timestamp()
    assert issued == access["iat"]
    assert details["http.client_id"] == "client-12345"
