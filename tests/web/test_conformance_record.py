"""A conformance harness records each case it judged at the endpoint it judged against, and
the endpoint's conformance pages show the run, its verdicts and the messages judged."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mockkpr.conformance.cases import select
from mockkpr.conformance.drivers import ControlDriver, InProcessDriver
from mockkpr.conformance.harness import Harness
from mockkpr.conformance.senders import SendOutcome, SendTask, reference_sender
from mockkpr.endpoint.app import Endpoint, registry_path

pytestmark = pytest.mark.integration


def test_a_certification_is_recorded_with_the_messages_each_case_judged(
        endpoint: Endpoint, tmp_path: Path) -> None:
    harness = Harness(InProcessDriver(endpoint), reference_sender(), tmp_path, timeout=10,
                      sender_name="the reference sender")
    certification = harness.certify(select(["KPR-CONF-015", "KPR-CONF-016"]))
    assert certification.run_id == harness.run_id
    control = endpoint.urls.control
    runs = httpx.get(f"{control}/api/conformance/runs").json()
    run = next(r for r in runs if r["id"] == harness.run_id)
    assert run["sender"] == "the reference sender"
    wanted: dict[str, int] = {}
    for result in certification.results:
        wanted[result.status.value] = wanted.get(result.status.value, 0) + 1
    assert run["counts"] == wanted
    page = httpx.get(f"{control}/conformance/{harness.run_id}")
    assert page.status_code == 200
    text = page.text
    for result in certification.results:
        assert f'id="{result.case.id}"' in text
    observed = certification.results[0].execution.observations
    assert observed is not None
    assert observed.messages
    for message in observed.messages:  # the last run's messages are still in the journal
        assert f'href="/messages/{message.entry.id}"' in text
    listing = httpx.get(f"{control}/conformance").text
    assert f"/conformance/{harness.run_id}" in listing


def test_a_control_driver_records_too_and_an_old_endpoint_is_left_be(
        endpoint: Endpoint, tmp_path: Path) -> None:
    def idle(task: SendTask) -> SendOutcome:
        return SendOutcome(0, "sent (not really)", "", 0.0)

    driver = ControlDriver(f"{endpoint.urls.amqps}/NHNTESTServiceBus", endpoint.urls.control,
                           registry_path(endpoint.settings))
    harness = Harness(driver, idle, tmp_path, timeout=5, mode="pytest")
    result = harness.judge(select(["KPR-CONF-015"])[0])
    found = httpx.get(f"{endpoint.urls.control}/conformance/{harness.run_id}")
    assert found.status_code == 200
    assert "KPR-CONF-015" in found.text
    assert result.status.value in found.text
    # an endpoint without the route (404) changes nothing
    driver.api.url = endpoint.urls.control + "/nowhere"
    driver.record_case({"id": "x"}, {"id": "y"})


def test_a_malformed_record_is_refused_with_422(endpoint: Endpoint) -> None:
    response = httpx.post(f"{endpoint.urls.control}/api/conformance/cases",
                          json={"run": {"id": "../../etc"}, "case": {}})
    assert response.status_code == 422
    # a body that is not JSON never reaches the route: state changes need JSON (issue 18)
    form = httpx.post(f"{endpoint.urls.control}/api/conformance/cases",
                      content=b"run=1", headers={"content-type": "text/plain"})
    assert form.status_code == 415
    assert form.json()["detail"] == (
        "a state change needs Content-Type: application/json (got text/plain)")
