"""The endpoint under abuse: it keeps serving everyone else and loses no accepted message.

Many simultaneous connections, a wrong-password storm, a client that disconnects or aborts
mid-transfer, a message over the size limit, unknown addresses and garbage bytes on both
ports, each while a well-behaved sender keeps getting its AppRecs.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from proton import Message
from proton.handlers import MessagingHandler
from proton.reactor import Container
from proton.utils import BlockingConnection, LinkDetached

from mockkpr.client import DeliveryFailed, KprClient, SentMessage
from mockkpr.endpoint import tls
from mockkpr.envelope import Status
from mockkpr.pki import GeneratedPki
from tests.endpoint.crowd import Crowd, Visitor
from tests.endpoint.support import BERGEN, KPR, OSLO, Running, fixture, running_endpoint

pytestmark = pytest.mark.integration

IDENTITY = fixture("valid/kpr-ide-1.xml")
MAX_MESSAGE_BYTES = 256 << 10


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory,
            endpoint_pki: GeneratedPki) -> Iterator[Running]:
    # the wrong-password storm would otherwise throttle every later login from loopback
    # (tests/endpoint/test_hostile.py tests the throttle)
    with running_endpoint(tmp_path_factory.mktemp("robust"), endpoint_pki.registry_file,
                          max_message_bytes=MAX_MESSAGE_BYTES, workers=2,
                          login_failures_per_minute=0) as found:
        yield found


@pytest.fixture(scope="module")
def oslo(running: Running) -> Iterator[KprClient]:
    with running.client(OSLO) as client:
        yield client


def account(running: Running, her_id: int = OSLO) -> tuple[str, str]:
    sasl = running.registry.party(her_id).sasl
    assert sasl is not None
    return sasl.user, sasl.password


def still_serving(client: KprClient) -> None:
    """The well-behaved sender still gets a verified AppRec."""
    answer = client.send_and_wait(IDENTITY, timeout=30)
    assert answer.kind == "apprec", answer
    assert answer.status is Status.OK


def protected_messages(client: KprClient, count: int) -> list[Message]:
    """``count`` protected identity messages, each with its own message-id and MsgId."""
    messages = []
    for _ in range(count):
        xml, _, function = client.envelope(IDENTITY)
        _, [message] = client.messages_for(client.protect(xml), subject=function)
        messages.append(message)
    return messages


# ------------------------------------------------------------------ many at once
@pytest.mark.slow
def test_200_simultaneous_connections_each_sending_one_message(
        running: Running, oslo: KprClient) -> None:
    """As 23456, so that 12345's connection (the well-behaved sender) takes none of the
    answers: consumers of one queue get its messages in turn."""
    user, password = account(running, BERGEN)
    messages = protected_messages(running.client(BERGEN), 200)
    visitors = [Visitor(user, password, [message]) for message in messages]
    crowd = Crowd(running.endpoint.urls.amqps,
                  visitors, ssl_domain=tls.client_domain(running.registry.ca_path),
                  receive_from=f"/amq/queue/{BERGEN}_async", expected=200).run()
    assert not crowd.timed_out
    assert [v.outcomes for v in visitors] == [["accepted"]] * 200
    assert sorted(str(a.correlation_id) for a in crowd.answers) == sorted(
        str(m.id) for m in messages)
    assert {a.subject for a in crowd.answers} == {"APPREC"}
    for message in messages[::50]:
        assert running.entry(str(message.id))["outcome"] == "accepted"
    still_serving(oslo)


@pytest.mark.slow
def test_wrong_password_storm_while_a_good_client_keeps_working(
        running: Running, oslo: KprClient) -> None:
    user, _ = account(running)
    visitors = [Visitor(user, f"wrong-{i}") for i in range(300)]
    storm = Crowd(running.endpoint.urls.amqps, visitors,
                  ssl_domain=tls.client_domain(running.registry.ca_path))
    thread = threading.Thread(target=storm.run)
    thread.start()
    served = 0
    while thread.is_alive() or served < 3:
        still_serving(oslo)
        served += 1
    thread.join()
    assert not storm.timed_out
    assert {(v.opened, v.condition) for v in visitors} == {(False, "amqp:unauthorized-access")}
    assert served >= 3


# ------------------------------------------------------------------ broken transfers
class _Streamer(MessagingHandler):
    """Sends half of a message's encoded bytes as an unfinished delivery, then aborts it (or
    leaves it hanging) and, when aborting, sends a whole message on the same link."""

    def __init__(self, url: str, user: str, password: str, message: Message,
                 follow_up: Message | None) -> None:
        super().__init__(auto_settle=True)
        self.url, self.user, self.password = url, user, password
        self.message, self.follow_up = message, follow_up
        self.started = False
        self.outcomes: list[str] = []
        self.streamed = threading.Event()

    def on_start(self, event: Any) -> None:
        self.connection = event.container.connect(
            self.url, user=self.user, password=self.password, allowed_mechs="PLAIN",
            allow_insecure_mechs=True, reconnect=False)
        event.container.create_sender(self.connection, f"{KPR}_async")
        event.container.schedule(30, self)

    def on_sendable(self, event: Any) -> None:
        if self.started:
            return
        self.started = True
        encoded = self.message.encode()
        delivery = event.sender.delivery(b"\x00\xffpartial")  # a binary tag, too
        event.sender.stream(encoded[: len(encoded) // 2])
        if self.follow_up is None:
            self.streamed.set()  # left hanging: the test kills the connection
            return
        delivery.abort()
        event.sender.send(self.follow_up)

    def on_accepted(self, event: Any) -> None:
        self.outcomes.append("accepted")
        event.connection.close()

    def on_rejected(self, event: Any) -> None:
        self.outcomes.append("rejected")
        event.connection.close()

    def on_timer_task(self, event: Any) -> None:
        self.outcomes.append("timeout")
        event.container.stop()

    def on_connection_closed(self, event: Any) -> None:
        event.container.stop()


def test_aborted_delivery_is_dropped_and_the_link_goes_on(running: Running,
                                                          oslo: KprClient) -> None:
    user, password = account(running)
    aborted, follow_up = protected_messages(oslo, 2)
    streamer = _Streamer(running.endpoint.urls.amqp or "", user, password, aborted, follow_up)
    Container(streamer).run()
    assert streamer.outcomes == ["accepted"]
    assert running.wait_entry(str(follow_up.id))["outcome"] == "accepted"
    assert running.http.get(f"/api/messages/{aborted.id!s}").status_code == 404
    answer = oslo.wait_answer(_sent(follow_up))
    assert answer.kind == "apprec"


PARTIAL_SENDER = """
import sys, time
from proton import Message
from proton.reactor import Container
sys.path.insert(0, sys.argv[1])
from tests.endpoint.test_robustness import _Streamer
message = Message(id="hanging", body=b"x" * 200000, inferred=True)
streamer = _Streamer(sys.argv[2], sys.argv[3], sys.argv[4], message, None)
container = Container(streamer)
container.start()
while not streamer.streamed.is_set():
    if not container.process():  # stopped: refused, or the 30 s timer
        print("failed", streamer.outcomes, flush=True)
        sys.exit(1)
for _ in range(20):  # let the bytes go out
    container.timeout = 0.05
    container.process()
print("streamed", flush=True)
time.sleep(60)
"""


def test_client_killed_mid_transfer_does_not_disturb_the_endpoint(
        running: Running, oslo: KprClient) -> None:
    user, password = account(running)
    process = subprocess.Popen(
        [sys.executable, "-c", PARTIAL_SENDER, str(Path(__file__).parents[2]),
         running.endpoint.urls.amqp or "", user, password],
        stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "streamed"
        process.kill()  # SIGKILL: the TCP connection ends in the middle of the transfer
        process.wait(10)
        still_serving(oslo)
    finally:
        process.kill()
    assert running.http.get("/api/messages/hanging").status_code == 404


def test_message_over_the_size_limit_is_rejected_and_the_next_is_fine(
        running: Running, oslo: KprClient) -> None:
    xml, _, _ = oslo.envelope(IDENTITY)
    body = oslo.protect(xml) + b"\x00" * MAX_MESSAGE_BYTES  # one message, no split
    oslo.split_bytes = len(body)
    try:
        with pytest.raises(DeliveryFailed) as refused:
            oslo.send_body(body, subject="KPR_IDE")
    finally:
        oslo.split_bytes = 1 << 20
    assert (refused.value.outcome, refused.value.condition) == (
        "rejected", "amqp:link:message-size-exceeded")
    still_serving(oslo)


def test_unknown_addresses_are_not_found_and_the_connection_goes_on(running: Running) -> None:
    user, password = account(running)
    connection = BlockingConnection(running.endpoint.urls.amqp, user=user, password=password,
                                    allowed_mechs="PLAIN", allow_insecure_mechs=True,
                                    timeout=10)
    try:
        for address in ("/exchange/NHNTESTServiceBus/99999_async", "/topic/nothing"):
            with pytest.raises(LinkDetached, match="amqp:not-found"):
                connection.create_sender(address)
        with pytest.raises(LinkDetached, match="amqp:not-found"):
            connection.create_receiver("/amq/queue/99999_async")
        receiver = connection.create_receiver(f"/amq/queue/{OSLO}_dl")  # the same connection
        receiver.close()  # type: ignore[no-untyped-call]
    finally:
        connection.close()


# ------------------------------------------------------------------ garbage on the ports
GARBAGE = [
    b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"AMQP\x00\x01\x00\x00" + bytes(range(256)) * 4,  # AMQP 1.0 header, then nonsense
    bytes(range(255, -1, -1)) * 16,
]


def _read_until_closed(sock: socket.socket | ssl.SSLSocket) -> bytes:
    received = b""
    sock.settimeout(10)
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except (ConnectionResetError, ssl.SSLError):
        pass
    return received


@pytest.mark.parametrize("garbage", GARBAGE, ids=["http", "amqp-nonsense", "bytes"])
def test_garbage_on_the_plain_port_is_closed_and_others_are_served(
        running: Running, oslo: KprClient, garbage: bytes) -> None:
    port = int((running.endpoint.urls.amqp or "").rsplit(":", 1)[1])
    with socket.create_connection(("localhost", port), timeout=10) as sock:
        sock.sendall(garbage)
        reply = _read_until_closed(sock)
    # the server answers with its own protocol header (SASL) before giving up, or just closes
    assert reply == b"" or reply.startswith(b"AMQP")
    still_serving(oslo)


@pytest.mark.parametrize("handshake", [True, False], ids=["after-tls", "instead-of-tls"])
def test_garbage_on_the_tls_port_is_closed_and_others_are_served(
        running: Running, oslo: KprClient, handshake: bool) -> None:
    port = int(running.endpoint.urls.amqps.rsplit(":", 1)[1])
    with socket.create_connection(("localhost", port), timeout=10) as raw:
        if handshake:
            context = ssl.create_default_context(cafile=str(running.registry.ca_path))
            with context.wrap_socket(raw, server_hostname="localhost") as sock:
                sock.sendall(GARBAGE[2])
                _read_until_closed(sock)
        else:
            raw.sendall(GARBAGE[0] + GARBAGE[2])
            _read_until_closed(raw)
    still_serving(oslo)


@pytest.mark.parametrize(("tls_port", "sent"), [
    (True, b""),  # connects, says nothing
    (False, b""),
    (False, b"AMQP\x03\x01\x00\x00\x00\x00\x00\xff\x02\x01\x00\x00"),  # half a SASL frame
], ids=["silent-tls", "silent-plain", "half-frame"])
def test_stalled_connection_is_closed_after_the_handshake_timeout(
        tmp_path: Path, endpoint_pki: GeneratedPki, tls_port: bool, sent: bytes) -> None:
    """A socket that stalls before its login is hung up on; a real client is served."""
    with running_endpoint(tmp_path, endpoint_pki.registry_file,
                          handshake_timeout=0.5) as quick:
        url = quick.endpoint.urls.amqps if tls_port else quick.endpoint.urls.amqp or ""
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("localhost", port), timeout=10) as sock, \
                quick.client(OSLO) as client:
            sock.sendall(sent)
            still_serving(client)
            reply = _read_until_closed(sock)  # closed by the server, not timed out here
        assert reply == b"" or reply.startswith(b"AMQP")


def _sent(message: Message) -> SentMessage:
    return SentMessage(str(message.id), "", "KPR_IDE", 1, 0, time.monotonic())


# ------------------------------------------------------------------ kill -9 during a load run
class _Pump(MessagingHandler):
    """Sends every message pipelined (credit permitting) and notes which were accepted."""

    def __init__(self, url: str, user: str, password: str, messages: list[Message]) -> None:
        super().__init__(auto_settle=True)
        self.url, self.user, self.password = url, user, password
        self.pending = list(messages)
        self.accepted: list[str] = []
        self.other: list[str] = []
        self.enough = threading.Event()
        self.kill_after = 0

    def on_start(self, event: Any) -> None:
        connection = event.container.connect(
            self.url, user=self.user, password=self.password, allowed_mechs="PLAIN",
            allow_insecure_mechs=True, reconnect=False)
        event.container.create_sender(connection, f"/exchange/NHNTESTServiceBus/{KPR}_async")

    def on_sendable(self, event: Any) -> None:
        while self.pending and event.sender.credit:
            message = self.pending.pop(0)
            event.sender.send(message, tag=str(message.id))

    def on_accepted(self, event: Any) -> None:
        self.accepted.append(event.delivery.tag)
        if len(self.accepted) >= self.kill_after:
            self.enough.set()
        if not self.pending and len(self.accepted) + len(self.other) == self.total:
            event.connection.close()

    def on_rejected(self, event: Any) -> None:
        self.other.append(event.delivery.tag)

    on_released = on_rejected

    def on_transport_closed(self, event: Any) -> None:
        self.enough.set()
        event.container.stop()

    def run(self, kill_after: int) -> None:
        self.kill_after, self.total = kill_after, len(self.pending)
        Container(self).run()


@dataclass
class Served:
    """A ``mockkpr serve`` process and the URLs it printed."""

    process: subprocess.Popen[bytes]
    amqp: str
    control: str


def serve(data_dir: Path, registry: Path, log: Path, processes: int = 0) -> Served:
    """Start ``python -m mockkpr serve`` on free ports and wait until it says where it listens
    (with ``processes`` worker processes, MOCKKPR_PROCESSES)."""
    command = [sys.executable, "-m", "mockkpr", "serve", "--data-dir", str(data_dir),
               "--registry", str(registry), "--port", "0", "--amqp-port", "0",
               "--control-port", "0"]
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=output,
                                   env={**os.environ, "MOCKKPR_LOG_LEVEL": "WARNING",
                                        "MOCKKPR_PROCESSES": str(processes),
                                        "PYTHONPATH": str(Path(__file__).parents[2])})
    deadline = time.monotonic() + 60
    start = log.stat().st_size if log.exists() else 0
    amqp = control = None
    while (amqp is None or control is None) and time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"mockkpr serve ended: {log.read_text()[-2000:]}")
        text = log.read_text()[start:]
        if found := re.search(r"and (amqp://\S+)", text):
            amqp = found.group(1)
        if found := re.search(r"control API (http://\S+)", text):
            control = found.group(1)
        time.sleep(0.05)
    assert amqp is not None, log.read_text()[-2000:]
    assert control is not None, log.read_text()[-2000:]
    return Served(process, amqp, control)


@pytest.mark.slow
@pytest.mark.parametrize("processes", [0, 2], ids=["in-process", "2-processes"])
def test_kill_9_during_a_load_run_loses_no_accepted_message(
        tmp_path: Path, endpoint_pki: GeneratedPki, running: Running, processes: int) -> None:
    """Every delivery the server accepted before SIGKILL is in the journal with its AppRec,
    and the AppRecs still queued are delivered after the restart; resending the rest (same
    message-ids) gets every message answered. With worker processes too (they record the
    answers; the endpoint settles after them)."""
    user, password = account(running, BERGEN)
    messages = protected_messages(running.client(BERGEN), 300)
    log = tmp_path / "serve.log"
    first = serve(tmp_path / "data", endpoint_pki.registry_file, log, processes)
    pump = _Pump(first.amqp, user, password, messages)
    thread = threading.Thread(target=pump.run, args=(40,))
    try:
        thread.start()
        assert pump.enough.wait(60), "no deliveries were accepted"
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
        thread.join(30)
    finally:
        first.process.kill()
    accepted = list(pump.accepted)
    assert 40 <= len(accepted) < len(messages), "the kill came after the load run"

    second = serve(tmp_path / "data", endpoint_pki.registry_file, log, processes)
    try:
        with httpx.Client(base_url=second.control, timeout=30) as http:
            for message_id in accepted:
                entry = http.get(f"/api/messages/{message_id}").json()
                assert entry["outcome"] == "accepted", entry
                assert [a["kind"] for a in entry["answers"]] == ["apprec"]
            # the sender sends again what it has no settlement for, as NHN's senders do
            resend = [m for m in messages if str(m.id) not in set(accepted)]
            again = _Pump(second.amqp, user, password, resend)
            again.run(len(resend))
            assert sorted(again.accepted) == sorted(str(m.id) for m in resend)
            answered = _receive_answers(second.amqp, user, password, len(messages))
            assert set(answered) == {str(m.id) for m in messages}
            outcomes = [e["outcome"] for e in http.get(
                "/api/messages", params={"sender": str(BERGEN), "limit": 1000}).json()]
            assert outcomes.count("accepted") == len(messages)  # each validated once
            assert set(outcomes) <= {"accepted", "duplicate"}
            print(f"\nkill -9 after {len(accepted)} accepted deliveries; after the restart "
                  f"{outcomes.count('duplicate')} resent messages had been recorded before "
                  "the kill (answered as duplicates)")
    finally:
        second.process.terminate()
        second.process.wait(30)
    assert second.process.returncode == 0, log.read_text()[-2000:]


def _receive_answers(url: str, user: str, password: str, count: int) -> list[str]:
    """The correlation-ids of the AppRecs on 23456's queue, until ``count`` distinct ones."""
    connection = BlockingConnection(url, user=user, password=password, allowed_mechs="PLAIN",
                                    allow_insecure_mechs=True, timeout=30)
    seen: set[str] = set()
    try:
        receiver = connection.create_receiver(f"/amq/queue/{BERGEN}_async", credit=100)
        while len(seen) < count:
            message = receiver.receive(timeout=30)
            receiver.accept()
            seen.add(str(message.correlation_id))
    finally:
        connection.close()
    return sorted(seen)
