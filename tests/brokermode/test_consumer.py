"""Broker mode end to end on a real RabbitMQ: mockkpr consumes KPR's queue in this process.

Senders and readers are real AMQP 1.0 clients on the broker (KprClient, raw proton); the
endpoint's processing, journal and control API are the same as in embedded mode.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import structlog
import structlog.testing

from mockkpr.brokermode.endpoint import BrokerEndpoint
from mockkpr.brokermode.processing import Processor
from mockkpr.client.sender import KprClient
from mockkpr.envelope import Status
from mockkpr.journal.models import MessageFilter, Outcome
from mockkpr.service.messages import InboundMessage
from mockkpr.service.results import ProcessResult
from mockkpr.settings import Settings
from tests.brokermode.conftest import DELIVERY_LIMIT, Broker, running, wait_until
from tests.brokermode.support import (
    answered_all,
    answers_by_request,
    attach,
    request,
    send_all,
)

pytestmark = [pytest.mark.broker, pytest.mark.integration]

ROOT = Path(__file__).parents[2]
DOCUMENT = (ROOT / "fixtures" / "valid" / "iplos-2019.xml").read_bytes()
KPR_QUEUE = "/exchange/NHNTESTServiceBus/131725_async"


def _client(broker: Broker) -> KprClient:
    return KprClient(broker.url(), broker.registry, 12345)


def _faulty(fault: str, action: Callable[[Processor, InboundMessage], ProcessResult],
            attempts: list[str]) -> Callable[[Processor], Processor]:
    """A wrapper that runs ``action`` for messages with property testFault=``fault``."""

    def wrap(process: Processor) -> Processor:
        def faulty(inbound: InboundMessage) -> ProcessResult:
            if inbound.prop("testFault") != fault:
                return process(inbound)
            attempts.append(inbound.message_id or "")
            return action(process, inbound)
        return faulty

    return wrap


def test_pilot_send_through_rabbitmq_gets_its_apprec(broker: Broker, settings: Settings) -> None:
    """KprClient, unchanged, sends to /exchange/NHNTESTServiceBus/131725_async and reads its
    AppRec from /amq/queue/12345_async; the journal and control API show the message."""
    with running(settings) as endpoint, _client(broker) as client:
        answer = client.send_and_wait(DOCUMENT, timeout=30)
        assert answer.kind == "apprec", answer.problem
        assert answer.status is Status.OK
        listed = httpx.get(f"{endpoint.control_url}/api/messages",
                           params={"sender": "12345"}).json()
        assert [(e["message_id"], e["outcome"]) for e in listed] == \
            [(answer.sent.message_id, "accepted")]
        journal = endpoint.journal
        assert journal is not None
        assert wait_until(lambda: journal.queued() == [], 10), "the answer stayed in the outbox"
    assert broker.depth("12345_async") == 0
    assert broker.depth("131725_async") == 0
    # a stopped endpoint leaves no consumer behind on RabbitMQ (see BrokerConsumer.on_stop)
    assert "131725_async" not in broker.node.ctl("list_consumers", "-q")


def test_missing_fields_are_answered_on_the_senders_error_queue(
        broker: Broker, settings: Settings) -> None:
    with running(settings), _client(broker) as client:
        sent = client.send_body(b"not even CMS", subject="KPR_IPL",
                                properties={"fromHerId": "12345"})
        answer = client.wait_answer(sent, timeout=30)
    assert answer.kind == "transport-error"
    assert answer.error_condition == "transport:invalid-field-value"
    assert answer.error_description == "One or more fields are missing"
    assert answer.error_data == ("toHerId", "applicationTimeStamp")
    assert answer.properties["originalMessageId"] == sent.message_id


def test_an_incomplete_group_expires_with_a_transport_error_in_broker_mode(
        broker: Broker, settings: Settings) -> None:
    """The maintenance loop drops a split message not complete in MOCKKPR_GROUP_TIMEOUT and
    publishes one transport error for the group through RabbitMQ."""
    quick = settings.model_copy(update={"group_timeout": 1.0})
    with running(quick), _client(broker) as client:
        client.split_bytes = 1024
        sent = client.prepare(client.protect(client.envelope(DOCUMENT)[0]), subject="KPR_IDE")
        assert sent.parts >= 2
        client.send_messages(list(sent.messages[:1]))
        answer = client.wait_answer(sent, timeout=30)
    assert answer.kind == "transport-error", answer
    assert answer.error_condition == "transport:invalid-field-value"
    assert answer.properties["originalMessageId"] == sent.message_id
    assert answer.error_data == ("group-sequence", "received=1", f"groupSize={sent.parts}")


def test_unexpected_failure_is_retried_then_dead_lettered_to_kprs_dl_queue(
        broker: Broker, settings: Settings) -> None:
    """A delivery whose processing fails is given back (released on RabbitMQ 3.x) after a
    pause, redelivered, and after the queue's delivery limit dead-lettered to 131725_dl;
    nothing is recorded for it, and the consumer goes on with other messages."""
    attempts: list[str] = []

    def crash(process: Processor, inbound: InboundMessage) -> ProcessResult:
        raise RuntimeError("injected failure")

    client = _client(broker)
    doomed = request(client, DOCUMENT, testFault="crash")
    fine = request(client, DOCUMENT)
    user, password = "mockkpr-131725", "test-131725"
    with running(settings, wrap=_faulty("crash", crash, attempts), retry_delay_s=0.05) \
            as endpoint:
        send_all(broker.url(), "mockkpr-12345", "test-12345", KPR_QUEUE, [doomed, fine],
                 broker.registry)
        outcome, dead = attach(broker.url(), user, password, "/amq/queue/131725_dl",
                               broker.registry, collect_s=30, enough=lambda m: len(m) >= 1)
        assert outcome == "attached"
        assert [m.id for m in dead] == [doomed.id]
        assert len(attempts) == DELIVERY_LIMIT + 1  # RabbitMQ: more than the limit, then DL
        assert set(attempts) == {doomed.id}
        journal = endpoint.journal
        assert journal is not None
        assert journal.find(str(doomed.id), "12345") is None
        assert wait_until(lambda: journal.find(str(fine.id), "12345") is not None, 10)
        assert endpoint.readiness()["broker_connection"]


def test_redelivery_of_an_answered_message_is_not_processed_or_answered_again(
        broker: Broker, settings: Settings) -> None:
    """The answer is recorded, then processing fails before the delivery is settled (as in a
    crash after recording): the redelivery finds the entry and is accepted without a second
    answer, and the recorded answer, left without an owner, is adopted and published once."""
    attempts: list[str] = []

    def record_then_crash(process: Processor, inbound: InboundMessage) -> ProcessResult:
        result = process(inbound)
        if len(attempts) == 1:
            raise RuntimeError("crash after recording")
        return result

    client = _client(broker)
    message = request(client, DOCUMENT, testFault="late")
    with running(settings, wrap=_faulty("late", record_then_crash, attempts),
                 retry_delay_s=0.05) as endpoint:
        send_all(broker.url(), "mockkpr-12345", "test-12345", KPR_QUEUE, [message],
                 broker.registry)
        _, answers = attach(broker.url(), "mockkpr-12345", "test-12345",
                            "/amq/queue/12345_async", broker.registry, collect_s=20,
                            enough=answered_all({str(message.id)}))
        # stay a little longer: a second answer would arrive now
        _, more = attach(broker.url(), "mockkpr-12345", "test-12345",
                         "/amq/queue/12345_async", broker.registry, collect_s=1.5)
        journal = endpoint.journal
        assert journal is not None
        entries = journal.list(MessageFilter(message_id=str(message.id)))
    assert attempts == [message.id]  # the redelivery never reached the receiver
    assert answers_by_request(answers) == {str(message.id): {str(answers[0].id)}}
    assert more == []
    assert [e.outcome for e in entries] == [Outcome.ACCEPTED]


def test_broker_restart_loses_nothing_and_answers_each_message_once(
        broker: Broker, settings: Settings) -> None:
    """RabbitMQ's application stops while deliveries are being processed and starts again:
    /readyz goes 503 then 200, every message is answered, none is processed twice, and each
    has one answer message-id (a repeat of the same answer would be tolerated)."""
    gate = threading.Event()
    started: list[str] = []

    def held(process: Processor, inbound: InboundMessage) -> ProcessResult:
        gate.wait(30)
        return process(inbound)

    client = _client(broker)
    batch = [request(client, DOCUMENT, testFault="held") for _ in range(12)]
    sent = {str(m.id) for m in batch}
    node = broker.node
    with running(settings, wrap=_faulty("held", held, started)) as endpoint:
        ready = f"{endpoint.control_url}/readyz"
        assert httpx.get(ready).status_code == 200
        send_all(broker.url(), "mockkpr-12345", "test-12345", KPR_QUEUE, batch,
                 broker.registry)
        assert wait_until(lambda: len(started) >= settings.workers, 10)
        node.stop_app()
        assert wait_until(lambda: httpx.get(ready).status_code == 503, 10)
        assert httpx.get(ready).json()["checks"]["broker_connection"] is False
        gate.set()  # the held workers record their answers while the broker is away
        node.start_app()
        assert wait_until(lambda: httpx.get(ready).status_code == 200, 30)
        _, answers = attach(broker.url(), "mockkpr-12345", "test-12345",
                            "/amq/queue/12345_async", broker.registry, collect_s=30,
                            enough=answered_all(sent))
        journal = endpoint.journal
        assert journal is not None
        entries = journal.list(MessageFilter(sender_her_id="12345"), limit=100)
        assert wait_until(lambda: journal.queued() == [], 10)
    by_request = answers_by_request(answers)
    assert set(by_request) == sent
    assert all(len(ids) == 1 for ids in by_request.values()), by_request
    assert sorted(e.message_id for e in entries) == sorted(sent)
    assert {e.outcome for e in entries} == {Outcome.ACCEPTED}



def test_an_account_that_may_not_read_kprs_queue_leaves_the_endpoint_not_ready(
        broker: Broker, settings: Settings) -> None:
    """Consuming as party 12345 (which may not read 131725_async): RabbitMQ 3.x ends the
    session; the endpoint logs RabbitMQ's reason, keeps trying with backoff and /readyz
    stays 503."""
    wrong = settings.model_copy(update={"broker": broker.url("mockkpr-12345", "test-12345")})
    refusal = ("ACCESS_REFUSED - access to queue '131725_async' in vhost '/' refused for user "
               "'mockkpr-12345'")

    with structlog.testing.capture_logs() as events, BrokerEndpoint(wrong) as endpoint:
        assert wait_until(lambda: any(
            event["event"] == "broker.session_closed"
            and refusal in str(event.get("description")) for event in list(events)), 10)
        ready = httpx.get(f"{endpoint.control_url}/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["broker_connection"] is False
        consumer = endpoint.consumer
        assert consumer is not None
        assert wait_until(lambda: consumer.connections >= 2, 10), "it should try again"
