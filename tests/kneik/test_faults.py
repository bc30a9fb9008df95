"""Faults and scenarios on the HTTP route: what a sender must cope with, and the journal."""

from __future__ import annotations

import time

import httpx
import pytest

from mockkpr.endpoint.app import Endpoint
from mockkpr.errors import ConfigError
from mockkpr.faults import parse_scenario
from tests.kneik.support import HttpRoute, assertion, protected, submission, token_form

pytestmark = pytest.mark.integration


def _body(route: HttpRoute, document: bytes) -> dict[str, object]:
    registry = route.registry
    return submission(protected(document, registry.party(12345), registry.party(131725)))


def test_a_500_with_an_error_code_records_nothing_and_a_resend_is_received(
        route: HttpRoute, http_endpoint: Endpoint, event_message: bytes) -> None:
    scenario = """
name: http-500
faults:
  - id: down
    kind: http-error
    error_code: 1234
    error_message: Teknisk feil
expect:
  - {fault: down, count: 1}
  - {match: {subject: KPR_IPL, outcome: accepted}, count: 1}
"""
    body = _body(route, event_message)
    token = route.token()
    with http_endpoint.armed(scenario):
        first = route.post(body, token)
        assert first.status_code == 500
        assert first.json()["errorCode"] == 1234
        assert first.json()["errorMessage"] == "Teknisk feil"
        assert route.count() == 0
        assert route.post(body, token).status_code == 200
        http_endpoint.check()


@pytest.mark.parametrize(("status", "retry_after", "header"),
                         [(429, None, "1"), (503, 7, "7"), (503, None, "1"), (502, None, None)])
def test_busy_answers_carry_retry_after(
        route: HttpRoute, http_endpoint: Endpoint, event_message: bytes, status: int,
        retry_after: int | None, header: str | None) -> None:
    extra = f"\n    retry_after: {retry_after}" if retry_after is not None else ""
    scenario = f"""
name: busy
faults:
  - kind: http-error
    status: {status}{extra}
"""
    with http_endpoint.armed(scenario):
        response = route.post(_body(route, event_message), route.token())
    assert response.status_code == status
    assert response.headers.get("Retry-After") == header
    assert set(response.json()) == {"errorCode", "errorMessage", "refId"}
    assert route.count() == 0


def test_an_answer_lost_after_processing_is_given_again_for_the_same_message_id(
        route: HttpRoute, http_endpoint: Endpoint, event_message: bytes) -> None:
    scenario = """
name: lost-answer
faults:
  - {kind: http-error, after_processing: true}
"""
    body = _body(route, event_message)
    token = route.token()
    with http_endpoint.armed(scenario):
        lost = route.post(body, token)
        assert lost.status_code == 500
        entry = route.entry(lost.json()["refId"])
        assert entry["outcome"] == "accepted"
        assert entry["details"]["http.status"] == 500
        again = route.post(body, token)
    assert again.status_code == 200
    assert again.json()["refId"] == lost.json()["refId"]
    assert route.count() == 1


def test_a_slow_answer_outlasts_the_senders_timeout_but_the_message_was_received(
        route: HttpRoute, http_endpoint: Endpoint, event_message: bytes) -> None:
    scenario = """
name: slow
faults:
  - {kind: slow-response, seconds: 1.5, after_processing: true}
"""
    body = _body(route, event_message)
    token = route.token()
    with http_endpoint.armed(scenario):
        with pytest.raises(httpx.ReadTimeout):
            route.post(body, token, timeout=0.5)
        deadline = time.monotonic() + 10
        while route.count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert route.count() == 1
        again = route.post(body, token)
    assert again.status_code == 200
    assert route.count() == 1


def test_a_slow_answer_before_processing_delays_it(
        route: HttpRoute, http_endpoint: Endpoint, event_message: bytes) -> None:
    scenario = """
name: slow-first
faults:
  - {kind: slow-response, seconds: 0.4}
"""
    with http_endpoint.armed(scenario):
        started = time.monotonic()
        response = route.post(_body(route, event_message), route.token())
        waited = time.monotonic() - started
    assert response.status_code == 200
    assert waited >= 0.4


def test_a_token_that_expires_mid_run_is_401_until_a_new_one_is_fetched(
        route: HttpRoute, http_endpoint: Endpoint, event_message: bytes) -> None:
    scenario = """
name: token-expires
faults:
  - {kind: expire-token, when: {nth: 2}}
"""
    token = route.token()
    with http_endpoint.armed(scenario):
        assert route.post(_body(route, event_message), token).status_code == 200
        body = _body(route, event_message)
        expired = route.post(body, token)
        assert expired.status_code == 401
        assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
        assert route.post(body, token).status_code == 401  # stays expired
        assert route.post(body, route.token()).status_code == 200
    assert route.count() == 2


def test_the_token_endpoint_can_be_down(route: HttpRoute, http_endpoint: Endpoint) -> None:
    scenario = """
name: helseid-down
faults:
  - {kind: token-endpoint-down, retry_after: 3, when: {sender: 12345}}
"""
    endpoint = route.discovery()["token_endpoint"]
    with http_endpoint.armed(scenario):
        down = route.request_token(token_form(assertion(route.registry, "client-12345",
                                                        endpoint)))
        assert down.status_code == 503
        assert down.headers["Retry-After"] == "3"
        assert down.json()["error"] == "temporarily_unavailable"
        other = route.request_token(token_form(assertion(route.registry, "client-23456",
                                                         endpoint)))
        assert other.status_code == 200  # another sender's request
        assert route.request_token(token_form(assertion(route.registry, "client-12345",
                                                        endpoint))).status_code == 200


def test_selectors_pick_the_submissions_a_fault_applies_to(
        route: HttpRoute, http_endpoint: Endpoint, event_message: bytes) -> None:
    body = _body(route, event_message)
    header = body["messageHeader"]
    assert isinstance(header, dict)
    scenario = f"""
name: picky
faults:
  - kind: http-error
    when: {{message_id: {header["messageId"]}, subject: KPR_IPL}}
    times: always
"""
    with http_endpoint.armed(scenario):
        assert route.post(_body(route, event_message), route.token()).status_code == 200
        assert route.post(body, route.token()).status_code == 500
        assert route.post(body, route.token()).status_code == 500


def test_a_token_fault_cannot_select_by_message() -> None:
    with pytest.raises(ConfigError, match="only the client"):
        parse_scenario("""
name: impossible
faults:
  - {kind: token-endpoint-down, when: {message_id: x}}
""")


def test_a_400_fault_refuses_with_a_validation_code_and_records_nothing(
        route: HttpRoute, http_endpoint: Endpoint, event_message: bytes) -> None:
    scenario = """
name: refuse
faults:
  - {kind: http-error, status: 400, error_code: 1234, error_message: Feil signeringssertifikat}
"""
    body = _body(route, event_message)
    with http_endpoint.armed(scenario):
        refused = route.post(body, route.token())
        assert refused.status_code == 400
        answer = refused.json()
        assert answer["validationCode"] == 1234
        assert answer["validationMessage"] == "Feil signeringssertifikat"
        assert set(answer) == {"validationCode", "validationMessage", "refId"}
        assert route.count() == 0
        assert route.post(body, route.token()).status_code == 200


def test_a_400_fault_cannot_come_after_processing() -> None:
    with pytest.raises(ConfigError, match="status 400 refuses the submission"):
        parse_scenario("""
name: impossible
faults:
  - {kind: http-error, status: 400, after_processing: true}
""")
