"""The reference sender under the packaged fault scenarios, against a real endpoint.

Each test arms a scenario (a packaged one from mockkpr/faults/library where one exists), sends
with KprClient and checks both sides: the answer and exit code the sender arrives at, and what
the endpoint's journal saw (the message processed exactly once, the fault fired).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mockkpr.cli import main
from mockkpr.client.connection import RetryPolicy
from mockkpr.client.sender import Answer, KprClient, exit_code
from mockkpr.endpoint.app import Endpoint
from mockkpr.envelope import Status
from mockkpr.faults import Scenario
from mockkpr.journal.models import JournalEntry, MessageFilter, Outcome
from mockkpr.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
DOCUMENT_FILE = ROOT / "fixtures" / "valid" / "iplos-2019.xml"
# An annual file can be sent again and again (a 56.0.0 stream would break its own chain).
DOCUMENT = DOCUMENT_FILE.read_bytes()
FAST = RetryPolicy(backoff=0.05, backoff_max=0.2)


def scenario(*faults: dict[str, Any]) -> Scenario:
    return Scenario.model_validate({"name": "test", "faults": list(faults)})


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("robust"), amqps_port=0,
                        amqp_port=0, control_port=0)
    with Endpoint(settings) as running:
        yield running


def url(endpoint: Endpoint) -> str:
    return endpoint.urls.amqps + "/NHNTESTServiceBus"


@pytest.fixture
def client(endpoint: Endpoint) -> Iterator[KprClient]:
    assert endpoint.registry is not None
    with KprClient(url(endpoint), endpoint.registry, 12345, retry=FAST) as connected:
        yield connected


def entries(endpoint: Endpoint, answer: Answer) -> list[JournalEntry]:
    assert endpoint.journal is not None
    return endpoint.journal.list(MessageFilter(message_id=answer.sent.message_id),
                                 newest_first=False)


def fired(endpoint: Endpoint) -> list[str]:
    return [f.kind for f in endpoint.faults.firings()]


# ------------------------------------------------------------------ sent again, answered once
def test_dropped_connection_reconnects_and_sends_the_same_message(
        endpoint: Endpoint, client: KprClient) -> None:
    with endpoint.armed("retry-after-dropped-connection"):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
        endpoint.check()
        assert fired(endpoint) == ["drop-connection"]
    assert (answer.kind, answer.status) == ("apprec", Status.OK)
    assert [e.outcome for e in entries(endpoint, answer)] == [Outcome.ACCEPTED]
    assert client.bus.connections == 2


@pytest.mark.parametrize("fault", [
    {"kind": "detach-link", "condition": "amqp:precondition-failed"},
    {"kind": "close-session"},
    {"kind": "close-connection", "condition": "amqp:connection:forced"},
])
def test_ended_link_session_or_connection_sends_again(
        endpoint: Endpoint, client: KprClient, fault: dict[str, Any]) -> None:
    with endpoint.armed(scenario(fault)):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
        assert fired(endpoint) == [fault["kind"]]
    assert answer.status is Status.OK
    assert [e.outcome for e in entries(endpoint, answer)] == [Outcome.ACCEPTED]


@pytest.mark.parametrize("fault", [{"kind": "release"}, {"kind": "modify"}])
def test_released_or_modified_is_sent_again(endpoint: Endpoint, client: KprClient,
                                            fault: dict[str, Any]) -> None:
    with endpoint.armed(scenario(fault)):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
        assert fired(endpoint) == [fault["kind"]]
    assert answer.status is Status.OK
    assert [e.outcome for e in entries(endpoint, answer)] == [Outcome.ACCEPTED]


def test_internal_error_rejection_is_sent_again(endpoint: Endpoint, client: KprClient) -> None:
    with endpoint.armed("resend-after-reject"):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
        endpoint.check()
    assert answer.status is Status.OK
    assert [e.outcome for e in entries(endpoint, answer)] == [Outcome.ACCEPTED]


def test_a_lost_part_is_sent_again_and_the_group_completes(endpoint: Endpoint) -> None:
    assert endpoint.registry is not None
    drop_second = scenario({"kind": "drop-connection", "when": {"nth": 2}})
    with KprClient(url(endpoint), endpoint.registry, 12345, split_bytes=4096,
                   retry=FAST) as client, endpoint.armed(drop_second):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
        assert fired(endpoint) == ["drop-connection"]
    assert answer.status is Status.OK
    [entry] = entries(endpoint, answer)
    assert entry.details["group.parts"] == answer.sent.parts > 2
    first, *others = entry.details["group.connection_ids"]
    assert first != others[0]  # part 2 came again on the new connection, the rest after it
    assert set(others) == {others[0]}


def test_an_ok_apprec_before_the_settlement_ends_the_send(endpoint: Endpoint,
                                                         client: KprClient) -> None:
    """stop-after-ok-apprec: the AppRec comes at once, the disposition 2 s later."""
    with endpoint.armed("stop-after-ok-apprec"):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
        endpoint.check()  # one message, no duplicate
    assert answer.status is Status.OK
    assert answer.elapsed < 2  # it did not wait for the withheld disposition


@pytest.mark.slow
def test_credit_starvation_is_waited_out(endpoint: Endpoint, client: KprClient) -> None:
    with endpoint.armed("credit-starvation"):
        client.close()  # the scenario starves a link attached from now on
        client.connect()
        answer = client.send_and_wait(DOCUMENT, timeout=20)
        endpoint.check()
    assert answer.status is Status.OK


def test_no_credit_until_the_timeout_is_undelivered(endpoint: Endpoint,
                                                   client: KprClient) -> None:
    with endpoint.armed(scenario({"kind": "starve-credit"})):
        client.close()
        client.connect()
        answer = client.send_and_wait(DOCUMENT, timeout=1.5)
    assert answer.kind == "undelivered"
    assert answer.problem == ("no outcome for the delivery before the timeout (no credit or "
                              "no disposition from the bus)")
    assert exit_code(answer) == 2


# ------------------------------------------------------------------ reported, not sent again
def test_rejected_delivery_is_reported_with_its_condition(endpoint: Endpoint,
                                                         client: KprClient) -> None:
    fault = {"kind": "reject", "condition": "amqp:not-allowed",
             "error_description": "mockkpr test: not from you"}
    with endpoint.armed(scenario(fault)):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
        assert fired(endpoint) == ["reject"]
    assert answer.kind == "refused"
    assert (answer.error_condition, answer.error_description) == (
        "amqp:not-allowed", "mockkpr test: not from you")
    assert answer.problem == ("the delivery was rejected with amqp:not-allowed: mockkpr test: "
                              "not from you")
    assert exit_code(answer) == 2
    assert entries(endpoint, answer) == []


def test_transient_rejections_are_retried_a_bounded_number_of_times(
        endpoint: Endpoint, client: KprClient) -> None:
    with endpoint.armed(scenario({"kind": "reject", "times": "always"})):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
        assert fired(endpoint) == ["reject"] * FAST.transfers
    assert answer.kind == "refused"
    assert answer.problem == (
        f"the message was not taken in {FAST.transfers} deliveries (last: rejected with "
        "amqp:internal-error: mockkpr fault: rejected)")


def test_without_retries_a_dropped_connection_is_undelivered(endpoint: Endpoint) -> None:
    assert endpoint.registry is not None
    once = RetryPolicy(transfers=1, connects=1)
    with KprClient(url(endpoint), endpoint.registry, 12345, retry=once) as client, \
            endpoint.armed("retry-after-dropped-connection"):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
    assert answer.kind == "undelivered"
    assert answer.problem is not None
    assert answer.problem.startswith("the message was not taken in 1 deliveries (last: "
                                     "connection lost: ")
    assert entries(endpoint, answer) == []


# ------------------------------------------------------------------ the AppRec
def test_late_apprec_within_the_timeout_is_ok(endpoint: Endpoint, client: KprClient) -> None:
    with endpoint.armed("late-apprec"):
        clock = threading.Timer(1.0, endpoint.clock.advance, (timedelta(days=2, minutes=1),))
        clock.start()
        try:
            answer = client.send_and_wait(DOCUMENT, timeout=20)
        finally:
            clock.cancel()
        endpoint.check()
    assert answer.status is Status.OK
    assert exit_code(answer) == 0


def test_missing_apprec_gives_up_at_the_timeout(endpoint: Endpoint, client: KprClient) -> None:
    with endpoint.armed("missing-apprec"):
        answer = client.send_and_wait(DOCUMENT, timeout=2)
        endpoint.check()
    assert answer.kind == "none"
    assert exit_code(answer) == 2
    assert [e.outcome for e in entries(endpoint, answer)] == [Outcome.ACCEPTED]


def test_forged_apprec_is_not_trusted(endpoint: Endpoint, client: KprClient) -> None:
    with endpoint.armed("forged-apprec"):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
        endpoint.check()
    assert answer.kind == "invalid-apprec"
    assert answer.problem == ("transport:invalid-certificate: Message is not signed by the "
                              "sender's certificate")
    assert exit_code(answer) == 2


@pytest.mark.parametrize("status", [2, 3])
def test_apprec_status_2_or_3_exits_1(endpoint: Endpoint, client: KprClient,
                                      status: int) -> None:
    fault = {"kind": "apprec-status", "status": status, "errors": [{"code": "X99"}]}
    with endpoint.armed("rejected-apprec" if status == 2 else scenario(fault)):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
    assert answer.status is Status(str(status))
    assert exit_code(answer) == 1


def test_the_sender_accepts_its_apprec_delivery(endpoint: Endpoint, client: KprClient) -> None:
    answer = client.send_and_wait(DOCUMENT, timeout=20)
    client.close()  # the disposition frame is surely out once the connection is closed
    assert endpoint.journal is not None
    deadline = time.monotonic() + 10
    while True:
        [entry] = entries(endpoint, answer)
        if entry.answers[0].disposition is not None or time.monotonic() > deadline:
            break
        endpoint.journal.wait(MessageFilter(after_id=entry.id), 0.1)  # wakes on a change
    assert [(a.kind, a.disposition) for a in entry.answers] == [("apprec", "accepted")]


# ------------------------------------------------------------------ mockkpr send
def run_send(endpoint: Endpoint, *extra: str) -> Any:
    assert endpoint.registry is not None
    return CliRunner().invoke(main, [
        "send", str(DOCUMENT_FILE), "--from", "12345", "--url", url(endpoint),
        "--registry", str(endpoint.registry.path), *extra])


def test_mockkpr_send_names_the_rejection(endpoint: Endpoint) -> None:
    fault = {"kind": "reject", "condition": "amqp:unauthorized-access",
             "error_description": "mockkpr test"}
    with endpoint.armed(scenario(fault)):
        result = run_send(endpoint, "--timeout", "20")
    assert result.exit_code == 2
    assert ("The service bus refused the message: the delivery was rejected with "
            "amqp:unauthorized-access: mockkpr test") in result.output.splitlines()


def test_mockkpr_send_survives_a_dropped_connection(endpoint: Endpoint) -> None:
    with endpoint.armed("retry-after-dropped-connection"):
        result = run_send(endpoint, "--timeout", "30", "--json")
        endpoint.check()
    assert result.exit_code == 0, result.output
    assert '"status": "1"' in result.output
