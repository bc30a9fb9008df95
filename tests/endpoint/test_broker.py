"""The embedded broker on real AMQP connections: addresses, authorisation, credit, settlement.

The KPR processing is replaced by a small processor that answers each message with one
message on the sender's queue, so that these tests pin the broker's own behaviour; the full
pipeline is tested end to end in tests/endpoint/test_endpoint.py.
"""

from __future__ import annotations

import hmac
import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from proton import Condition, Delivery, Link, Message
from proton.handlers import MessagingHandler
from proton.reactor import Container, DurableSubscription

from mockkpr.endpoint import sasl
from mockkpr.endpoint.broker import BrokerOptions, EmbeddedBroker
from mockkpr.endpoint.queues import QueueInfo, Topology
from mockkpr.endpoint.server import AmqpServer, Listen
from mockkpr.service.messages import InboundMessage, OutboundMessage
from mockkpr.service.results import ProcessResult, QueuedMessage, Settle

pytestmark = pytest.mark.integration

USERS = {"oslo": "oslo-secret", "bergen": "bergen-secret"}


class MemoryBackend:
    """The durable queue table, in memory (the journal's is tested on its own)."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.rows: dict[int, tuple[str, OutboundMessage, int]] = {}
        self.dispositions: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()

    def enqueue(self, queue: str, message: OutboundMessage) -> int:
        with self.lock:
            queued_id = next(self.ids)
            self.rows[queued_id] = (queue, message, 0)
            return queued_id

    def remove_queued(self, queued_id: int) -> bool:
        return self.rows.pop(queued_id, None) is not None

    def requeue(self, queued_id: int, delivery_count: int) -> bool:
        queue, message, _ = self.rows[queued_id]
        self.rows[queued_id] = (queue, message, delivery_count)
        return True

    def move_queued(self, queued_id: int, queue: str) -> bool:
        _, message, count = self.rows[queued_id]
        self.rows[queued_id] = (queue, message, count)
        return True

    def set_answer_disposition(self, message_id: str, disposition: str | None) -> bool:
        self.dispositions.append((message_id, disposition))
        return True


def _topology() -> Topology:
    queues = {"131725_async": QueueInfo("131725_async", "131725", frozenset({"kpr"}),
                                        processed=True)}
    for her, user in (("12345", "oslo"), ("23456", "bergen")):
        for kind in ("async", "error", "dl"):
            name = f"{her}_{kind}"
            queues[name] = QueueInfo(name, her, frozenset({user}),
                                     dead_letter=None if kind == "dl" else f"{her}_dl")
    return Topology(queues)


@dataclass
class Echo:
    """Answers every message with one on ``{fromHerId}_async``, or settles as told."""

    backend: MemoryBackend
    seen: list[InboundMessage] = field(default_factory=list)

    def __call__(self, inbound: InboundMessage) -> ProcessResult:
        self.seen.append(inbound)
        if inbound.prop("behaviour") == "retry":
            return ProcessResult(Settle.RETRY)
        if inbound.prop("behaviour") == "reject":
            return ProcessResult(Settle.REJECT, condition="amqp:unauthorized-access",
                                 description="fromHerId 99 is not yours")
        queue = f"{inbound.prop('fromHerId')}_async"
        answer = OutboundMessage(queue, f"answer-{inbound.message_id}", "APPREC", "text/plain",
                                 {"originalMessageId": inbound.message_id or ""}, b"receipt",
                                 correlation_id=inbound.message_id)
        queued_id = self.backend.enqueue(queue, answer)
        return ProcessResult(Settle.ACCEPT, queued=(
            QueuedMessage(queued_id, queue, answer, 0, datetime.now(UTC)),))


@dataclass
class Broker:
    server: AmqpServer
    backend: MemoryBackend
    echo: Echo

    @property
    def url(self) -> str:
        return f"amqp://127.0.0.1:{self.server.ports[0]}"


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    sasl.install_plain_authenticator(
        lambda u, p: u in USERS and hmac.compare_digest(USERS[u], p))
    backend = MemoryBackend()
    echo = Echo(backend)
    with ThreadPoolExecutor(2) as pool:
        handler = EmbeddedBroker(_topology(), backend, echo, pool,
                                 BrokerOptions(delivery_limit=3, max_message_bytes=64 << 10))
        server = AmqpServer(handler, [Listen("127.0.0.1", 0, None)])
        server.start()
        yield Broker(server, backend, echo)
        server.stop()
    sasl.uninstall_plain_authenticator()


# ------------------------------------------------------------------ a scripted proton client
@dataclass
class Script:
    """What a client does and what it saw."""

    user: str = "oslo"
    password: str = "oslo-secret"
    send_to: str | None = None
    messages: list[Message] = field(default_factory=list)
    receive_from: str | None = None
    receive: int = 0
    outcome_for_received: str = "accept"  # accept | release | modify | reject | none
    settle_first: bool = True
    outcomes: list[str] = field(default_factory=list)
    received: list[Message] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    delivery_counts: list[int] = field(default_factory=list)
    timeout: float = 8.0
    drain: bool = False  # receive whatever comes until `timeout`, without calling it an error


class _Client(MessagingHandler):
    def __init__(self, url: str, script: Script) -> None:
        super().__init__(prefetch=0, auto_accept=False)
        self.url = url
        self.script = script
        self.pending = len(script.messages)
        self.conn: Any = None

    def on_start(self, event: Any) -> None:
        self.conn = event.container.connect(self.url, user=self.script.user,
                                            password=self.script.password,
                                            allow_insecure_mechs=True, sasl_enabled=True,
                                            reconnect=False)
        if self.script.send_to is not None:
            event.container.create_sender(self.conn, self.script.send_to)
        if self.script.receive_from is not None:
            options = [] if self.script.settle_first else [_SecondMode()]
            receiver = event.container.create_receiver(
                self.conn, self.script.receive_from, options=options or None)
            receiver.flow(self.script.receive)
        event.container.schedule(self.script.timeout, self)

    def on_timer_task(self, event: Any) -> None:
        if not self.script.drain:
            self.script.errors.append("timeout")
        self.conn.close()

    def on_sendable(self, event: Any) -> None:
        while self.script.messages and event.sender.credit:
            event.sender.send(self.script.messages.pop(0))

    def _done(self) -> None:
        if self.script.drain:
            return
        if self.pending <= 0 and len(self.script.received) >= self.script.receive:
            self.conn.close()

    def on_accepted(self, event: Any) -> None:
        self.script.outcomes.append("accepted")
        self.pending -= 1
        self._done()

    def on_rejected(self, event: Any) -> None:
        cond = event.delivery.remote.condition
        self.script.outcomes.append(f"rejected:{cond.name if cond else ''}")
        self.pending -= 1
        self._done()

    def on_released(self, event: Any) -> None:
        remote = event.delivery.remote
        kind = "modified" if event.delivery.remote_state == Delivery.MODIFIED else "released"
        self.script.outcomes.append(f"{kind}:{'failed' if remote.failed else ''}")
        self.pending -= 1
        self._done()

    def on_message(self, event: Any) -> None:
        self.script.received.append(event.message)
        self.script.delivery_counts.append(event.message.delivery_count or 0)
        outcome = self.script.outcome_for_received
        delivery = event.delivery
        if outcome == "accept":
            delivery.update(Delivery.ACCEPTED)
        elif outcome == "release":
            delivery.update(Delivery.RELEASED)
        elif outcome == "modify":
            delivery.local.failed = True
            delivery.update(Delivery.MODIFIED)
        elif outcome == "reject":
            delivery.local.condition = Condition("amqp:not-allowed", "test")
            delivery.update(Delivery.REJECTED)
        if outcome != "none" and self.script.settle_first:
            delivery.settle()
        self._done()

    def on_link_error(self, event: Any) -> None:
        cond = event.link.remote_condition
        self.script.errors.append(cond.name if cond else "link-error")
        event.connection.close()

    def on_connection_error(self, event: Any) -> None:
        cond = event.connection.remote_condition
        self.script.errors.append(cond.name if cond else "connection-error")

    def on_transport_error(self, event: Any) -> None:
        cond = event.transport.condition
        self.script.errors.append(cond.name if cond else "transport-error")

    def on_connection_closed(self, event: Any) -> None:
        event.container.stop()

    def on_transport_closed(self, event: Any) -> None:
        event.container.stop()


class _SecondMode(DurableSubscription):
    """A link option asking for rcv-settle-mode second (the receiver settles after us)."""

    def apply(self, link: Any) -> None:
        link.rcv_settle_mode = Link.RCV_SECOND


def run(broker: Broker, script: Script) -> Script:
    Container(_Client(broker.url, script)).run()
    return script


def drain(broker: Broker, queue: str, user: str = "oslo") -> list[Message]:
    """Empty a queue (accepting everything) so that a test starts from nothing."""
    script = Script(user=user, password=USERS[user], receive_from=queue, receive=1000,
                    timeout=0.5, drain=True)
    return run(broker, script).received


def message(msg_id: str, **props: str) -> Message:
    return Message(id=msg_id, subject="KPR_IPL", body=b"payload", inferred=True,
                   properties={"fromHerId": "12345", **props})


# ------------------------------------------------------------------ tests
@pytest.mark.parametrize("address", ["/exchange/NHNTESTServiceBus/131725_async",
                                     "131725_async", "/queues/131725_async",
                                     "/exchanges/NHNTESTServiceBus/131725_async"])
def test_every_address_form_reaches_the_kpr_queue(broker: Broker, address: str) -> None:
    """NHN's v1 target, a plain queue name and RabbitMQ 4's v2 forms all work."""
    script = run(broker, Script(send_to=address, messages=[message(f"form-{address}")]))
    assert script.outcomes == ["accepted"], script.errors
    assert broker.echo.seen[-1].message_id == f"form-{address}"
    assert broker.echo.seen[-1].body == b"payload"
    assert broker.echo.seen[-1].user == "oslo"


def test_answer_is_received_from_the_own_queue_with_both_source_forms(broker: Broker) -> None:
    drain(broker, "12345_async")
    run(broker, Script(send_to="131725_async", messages=[message("q1"), message("q2")]))
    got = run(broker, Script(receive_from="/amq/queue/12345_async", receive=1))
    got2 = run(broker, Script(receive_from="/queues/12345_async", receive=1))
    assert [m.correlation_id for m in got.received + got2.received] == ["q1", "q2"]
    assert got.errors == got2.errors == []


def test_another_municipality_cannot_read_oslos_receipts(broker: Broker) -> None:
    script = run(broker, Script(user="bergen", password="bergen-secret",
                                receive_from="/amq/queue/12345_async", receive=1))
    assert "amqp:unauthorized-access" in script.errors


def test_unknown_address_is_refused_with_not_found(broker: Broker) -> None:
    script = run(broker, Script(send_to="/exchange/NHNTESTServiceBus/999_async",
                                messages=[message("x")]))
    assert "amqp:not-found" in script.errors


def test_wrong_password_is_refused(broker: Broker) -> None:
    script = run(broker, Script(password="wrong", send_to="131725_async",
                                messages=[message("x")]))
    assert "amqp:unauthorized-access" in script.errors


def test_processing_rejection_reaches_the_sender_with_its_condition(broker: Broker) -> None:
    script = run(broker, Script(send_to="131725_async",
                                messages=[message("rej", behaviour="reject")]))
    assert script.outcomes == ["rejected:amqp:unauthorized-access"]


def test_unexpected_failure_is_settled_modified_delivery_failed(broker: Broker) -> None:
    script = run(broker, Script(send_to="131725_async",
                                messages=[message("retry", behaviour="retry")]))
    assert script.outcomes == ["modified:failed"]


def test_oversized_message_is_rejected_and_the_server_keeps_serving(broker: Broker) -> None:
    big = Message(id="big", subject="KPR_IPL", body=b"x" * (100 << 10), inferred=True,
                  properties={"fromHerId": "12345"})
    script = run(broker, Script(send_to="131725_async", messages=[big]))
    assert script.outcomes == ["rejected:amqp:link:message-size-exceeded"] or \
        "amqp:link:message-size-exceeded" in script.errors
    after = run(broker, Script(send_to="131725_async", messages=[message("after-big")]))
    assert after.outcomes == ["accepted"]


def test_released_and_modified_answers_are_redelivered_then_dead_lettered(
        broker: Broker) -> None:
    """Released does not count as an attempt; modified(failed) does, up to the limit (3)."""
    run(broker, Script(user="bergen", password="bergen-secret", send_to="131725_async",
                       messages=[Message(id="dl", subject="KPR_IPL", body=b"p", inferred=True,
                                         properties={"fromHerId": "23456"})]))
    released = run(broker, Script(user="bergen", password="bergen-secret",
                                  receive_from="23456_async", receive=1,
                                  outcome_for_received="release"))
    assert released.delivery_counts == [0]
    counts = []
    for _ in range(3):
        got = run(broker, Script(user="bergen", password="bergen-secret",
                                 receive_from="23456_async", receive=1,
                                 outcome_for_received="modify"))
        counts += got.delivery_counts
    assert counts == [0, 1, 2]
    dead = run(broker, Script(user="bergen", password="bergen-secret",
                              receive_from="23456_dl", receive=1))
    assert [m.correlation_id for m in dead.received] == ["dl"]
    assert dead.delivery_counts == [3]
    # every settlement of the answer is reported for the journal, the last by the dl reader
    assert [d for m, d in broker.backend.dispositions if m == "answer-dl"] == [
        "released", "modified", "modified", "modified", "accepted"]


def test_receiver_with_rcv_settle_mode_second_gets_the_message_once(broker: Broker) -> None:
    drain(broker, "12345_async")
    run(broker, Script(send_to="131725_async", messages=[message("second")]))
    got = run(broker, Script(receive_from="12345_async", receive=1, settle_first=False))
    assert [m.correlation_id for m in got.received] == ["second"]
    assert drain(broker, "12345_async") == []
