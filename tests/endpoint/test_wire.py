"""What the endpoint records about how a message travelled (``JournalEntry.details``).

Each fact is produced by a real client on a real connection: the reference sender over TLS, a
raw proton sender over plain TCP that varies one thing at a time (sections, header, AMQP types,
delivery tag, settlement), and Node's rhea, a client proton did not write.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from proton import Data, Message, symbol, ulong
from proton.handlers import MessagingHandler
from proton.reactor import AtMostOnce, Container

from mockkpr.client.sender import KprClient
from mockkpr.endpoint.app import Endpoint
from mockkpr.endpoint.wire import sections
from mockkpr.journal.models import JournalEntry, MessageFilter, Outcome
from mockkpr.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
DOCUMENT = (ROOT / "fixtures" / "valid" / "iplos-2019.xml").read_bytes()
KPR_TARGET = "/exchange/NHNTESTServiceBus/131725_async"
JS_SENDER = Path(__file__).parent / "js" / "send_message.js"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("wire"), amqps_port=0, amqp_port=0,
                        control_port=0)
    with Endpoint(settings) as running:
        yield running


def entry_for(endpoint: Endpoint, message_id: str, timeout: float = 20) -> JournalEntry:
    assert endpoint.journal is not None
    entry = endpoint.journal.wait(MessageFilter(message_id=message_id), timeout)
    assert entry is not None, f"no journal entry for {message_id}"
    return entry


# ------------------------------------------------------------------ a raw proton sender
@dataclass
class Raw:
    """One transfer: a message (or its encoded bytes) with a chosen delivery tag."""

    message: Message | None = None
    encoded: bytes | None = None
    tag: bytes | None = None


@dataclass
class Sent:
    outcomes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _RawSender(MessagingHandler):
    def __init__(self, url: str, items: list[Raw], seen: Sent, presettled: bool) -> None:
        super().__init__(auto_settle=True)
        self.url, self.items, self.seen, self.presettled = url, items, seen, presettled
        self.pending = len(items)
        self.conn: Any = None

    def on_start(self, event: Any) -> None:
        self.conn = event.container.connect(
            self.url, user="mockkpr-12345", password="test-12345", allowed_mechs="PLAIN",
            allow_insecure_mechs=True, reconnect=False)
        event.container.create_sender(self.conn, KPR_TARGET, name="raw-sender-link",
                                      options=AtMostOnce() if self.presettled else None)
        self.timer = event.container.schedule(10, self)

    def on_timer_task(self, event: Any) -> None:
        self.seen.errors.append("timeout")
        self.conn.close()

    def on_sendable(self, event: Any) -> None:
        sender = event.sender
        while self.items and sender.credit:
            item = self.items.pop(0)
            encoded = item.encoded if item.encoded is not None else item.message.encode()
            tag = item.tag if item.tag is not None else str(uuid.uuid4()).encode()
            delivery = sender.delivery(tag)
            sender.stream(encoded)
            sender.advance()
            if self.presettled:
                delivery.settle()
                self._done("sent")

    def _done(self, outcome: str) -> None:
        self.seen.outcomes.append(outcome)
        self.pending -= 1
        if self.pending <= 0:
            self.timer.cancel()
            self.conn.close()

    def on_accepted(self, event: Any) -> None:
        self._done("accepted")

    def on_rejected(self, event: Any) -> None:
        self._done("rejected")

    def on_link_error(self, event: Any) -> None:
        self.seen.errors.append(str(event.link.remote_condition))
        self.conn.close()

    def on_connection_closed(self, event: Any) -> None:
        event.container.stop()

    def on_disconnected(self, event: Any) -> None:
        event.container.stop()


def raw_send(endpoint: Endpoint, *items: Raw, presettled: bool = False) -> Sent:
    seen = Sent()
    assert endpoint.urls.amqp is not None
    Container(_RawSender(endpoint.urls.amqp, list(items), seen, presettled)).run()
    return seen


def kpr_message(message_id: Any = None, **changes: Any) -> Message:
    """A message with NHN's header fields (its body is no CMS: a transport error follows)."""
    properties = {"fromHerId": "12345", "toHerId": "131725",
                  "applicationTimeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    properties.update(changes.pop("properties", {}))
    values: dict[str, Any] = {
        "id": message_id or str(uuid.uuid4()), "subject": "KPR_IPL", "body": b"not CMS",
        "inferred": True, "properties": properties,
        "content_type": "application/pkcs7-mime; smime-type=signed-and-enveloped-data"}
    values.update(changes)
    return Message(**values)


def data_section(body: bytes) -> bytes:
    data = Data()
    data.put_described()
    data.enter()
    data.put_ulong(0x75)
    data.put_binary(body)
    data.exit()
    return data.encode()


# ------------------------------------------------------------------ the reference sender
@pytest.fixture(scope="module")
def reference_entry(endpoint: Endpoint) -> JournalEntry:
    """One document from the reference sender over TLS, split into parts."""
    assert endpoint.registry is not None
    with KprClient(endpoint.urls.amqps + "/NHNTESTServiceBus", endpoint.registry, 12345,
                   split_bytes=4096) as client:
        answer = client.send_and_wait(DOCUMENT, timeout=20)
    assert answer.kind == "apprec"
    return entry_for(endpoint, answer.sent.message_id)


def test_reference_sender_connection_facts(reference_entry: JournalEntry) -> None:
    details = reference_entry.details
    assert details["wire.target"] == KPR_TARGET
    assert details["wire.user"] == "mockkpr-12345"
    assert details["wire.tls_protocol"] in ("TLSv1.2", "TLSv1.3")
    assert details["wire.sasl_mechanism"] == "PLAIN"
    assert details["wire.container_id"].startswith("mockkpr-send-")
    assert isinstance(details["wire.connection_id"], int)
    assert isinstance(details["wire.link_name"], str)
    assert details["wire.link_name"]


def test_reference_sender_message_facts(reference_entry: JournalEntry) -> None:
    details = reference_entry.details
    assert details["wire.sections"] == ["header", "properties", "application-properties",
                                        "data"]
    assert details["wire.body_sections"] == ["data"]
    assert details["wire.data_sections"] == 1
    assert (details["wire.durable"], details["wire.ttl"]) == (False, None)
    assert details["wire.message_id_type"] == "string"
    assert set(details["wire.property_types"].values()) == {"string"}
    assert {"fromHerId", "toHerId", "applicationTimeStamp", "groupSize"} <= set(
        details["wire.property_types"])
    assert details["wire.presettled"] is False
    assert details["wire.delivery_tag_binary"] is False


def test_reference_sender_cms_facts(reference_entry: JournalEntry) -> None:
    details = reference_entry.details
    assert details["cms.cipher"] == "aes-256-cbc"
    assert details["cms.digest"] == "sha256"
    assert details["cms.signed_attributes"] is False
    assert details["cms.embedded_root"] is False
    assert details["cms.embedded_chain"] == [
        "2.5.4.5=12345,CN=Testkommune Saksbehandling,O=Testkommune Saksbehandling,C=NO"]
    assert details["cms.recipient_id"] == "issuer-serial"
    assert details["cms.signer_id"] == "issuer-serial"
    assert details["cms.recipients"] == 1
    assert details["cms.deviations"] == []


def test_reference_sender_group_facts(reference_entry: JournalEntry) -> None:
    details = reference_entry.details
    parts = details["group.parts"]
    assert parts == -(-reference_entry.body_size // 4096)  # every 4096 bytes one part
    assert details["group.id"] == reference_entry.message_id
    assert len(set(details["group.part_message_ids"])) == parts
    assert details["group.connection_ids"] == [details["wire.connection_id"]] * parts


def test_answer_disposition_is_recorded_when_the_sender_accepts(
        endpoint: Endpoint, reference_entry: JournalEntry) -> None:
    assert endpoint.journal is not None
    [answer] = endpoint.journal.get(reference_entry.id or 0).answers  # type: ignore[union-attr]
    assert answer.disposition == "accepted"
    assert answer.settled_at is not None
    assert answer.settled_at >= answer.sent_at


def _openssl(*args: str | Path, data: bytes) -> bytes:
    done = subprocess.run(["openssl", "cms", *map(str, args)], input=data,
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_cms_facts_of_a_sender_that_is_not_the_profile(endpoint: Endpoint) -> None:
    """openssl with its defaults: signed attributes, key identifiers, the root embedded,
    AES-128 and a second recipient (the sender itself): tolerated, and every fact recorded."""
    assert endpoint.registry is not None
    pki = endpoint.registry.path.parent
    sender, kpr = pki / "parties" / "12345", pki / "parties" / "131725"
    with KprClient(endpoint.urls.amqps + "/NHNTESTServiceBus", endpoint.registry,
                   12345) as client:
        xml, msg_id, function = client.envelope(DOCUMENT)
        signed = _openssl(
            "-sign", "-binary", "-outform", "DER", "-nodetach", "-md", "sha256", "-keyid",
            "-signer", sender / "signing-cert.pem", "-inkey",
            sender / "signing-key.UNENCRYPTED.pem", "-certfile", endpoint.registry.ca_path,
            data=xml)
        body = _openssl("-encrypt", "-binary", "-outform", "DER", "-aes128", "-keyid",
                        kpr / "encryption-cert.pem", sender / "encryption-cert.pem",
                        data=signed)
        sent = client.send_body(body, subject=function, msg_id=msg_id)
        answer = client.wait_answer(sent, timeout=20)
    assert answer.status is not None
    details = entry_for(endpoint, sent.message_id).details
    assert details["cms.cipher"] == "aes-128-cbc"
    assert details["cms.signed_attributes"] is True
    assert details["cms.embedded_root"] is True
    assert len(details["cms.embedded_chain"]) == 2
    assert (details["cms.recipient_id"], details["cms.signer_id"]) == (
        "subject-key-identifier", "subject-key-identifier")
    assert details["cms.recipients"] == 2
    assert "signed attributes present (the profile signs the content directly)" in \
        details["cms.deviations"]


# ------------------------------------------------------------------ one change at a time
def test_plain_tcp_has_no_tls_protocol_and_counts_connections(endpoint: Endpoint) -> None:
    first, second = kpr_message(), kpr_message()
    raw_send(endpoint, Raw(first))
    raw_send(endpoint, Raw(second))
    one, two = entry_for(endpoint, str(first.id)), entry_for(endpoint, str(second.id))
    assert one.details["wire.tls_protocol"] is None
    assert one.details["wire.sasl_mechanism"] == "PLAIN"
    assert one.details["wire.link_name"] == "raw-sender-link"
    assert two.details["wire.connection_id"] > one.details["wire.connection_id"]
    assert "cms.cipher" not in one.details  # not CMS: a transport error, no cms facts
    assert one.outcome is Outcome.TRANSPORT_ERROR


def test_amqp_value_body(endpoint: Endpoint) -> None:
    sent = kpr_message(inferred=False)  # binary body without inferred: an amqp-value
    raw_send(endpoint, Raw(sent))
    details = entry_for(endpoint, str(sent.id)).details
    assert details["wire.body_sections"] == ["amqp-value"]
    assert details["wire.data_sections"] == 0


def test_every_data_section_is_counted(endpoint: Endpoint) -> None:
    sent = kpr_message()
    raw_send(endpoint, Raw(encoded=sent.encode() + data_section(b"second section")))
    details = entry_for(endpoint, str(sent.id)).details
    assert details["wire.body_sections"] == ["data", "data"]
    assert details["wire.data_sections"] == 2


def test_header_durable_and_ttl(endpoint: Endpoint) -> None:
    sent = kpr_message(durable=True, ttl=4.5)  # proton's ttl is in seconds
    raw_send(endpoint, Raw(sent))
    details = entry_for(endpoint, str(sent.id)).details
    assert (details["wire.durable"], details["wire.ttl"]) == (True, 4500)


@pytest.mark.parametrize(("message_id", "expected"), [
    (uuid.uuid4(), "uuid"), (ulong(4711), "ulong"), (b"\xff\xfe-binary-id", "binary")])
def test_message_id_types(endpoint: Endpoint, message_id: Any, expected: str) -> None:
    raw_send(endpoint, Raw(kpr_message(message_id)))
    text = (message_id.hex() if isinstance(message_id, bytes)
            else str(int(message_id)) if isinstance(message_id, int) else str(message_id))
    assert entry_for(endpoint, text).details["wire.message_id_type"] == expected


def test_application_property_types(endpoint: Endpoint) -> None:
    sent = kpr_message(properties={"fromHerId": 12345, "toHerId": symbol("131725"),
                                   "flag": True})
    raw_send(endpoint, Raw(sent))
    entry = entry_for(endpoint, str(sent.id))
    types = entry.details["wire.property_types"]
    assert types == {"fromHerId": "long", "toHerId": "symbol", "flag": "bool",
                     "applicationTimeStamp": "string"}
    assert entry.application_properties["fromHerId"] == "12345"  # tolerated all the same


def test_binary_delivery_tag(endpoint: Endpoint) -> None:
    sent = kpr_message()
    raw_send(endpoint, Raw(sent, tag=uuid.uuid4().bytes[:8] + b"\xff\xfe\x80\x81"))
    assert entry_for(endpoint, str(sent.id)).details["wire.delivery_tag_binary"] is True


def test_presettled_delivery(endpoint: Endpoint) -> None:
    sent = kpr_message()
    raw_send(endpoint, Raw(sent), presettled=True)
    assert entry_for(endpoint, str(sent.id)).details["wire.presettled"] is True


def test_sections_of_garbage_stop_where_reading_stops() -> None:
    assert sections(b"").kinds == []
    found = sections(kpr_message().encode() + b"\xff\xff")
    assert found.kinds[-1] == "data"


def test_control_api_shows_details_and_dispositions(
        endpoint: Endpoint, reference_entry: JournalEntry) -> None:
    import httpx

    body = httpx.get(f"{endpoint.urls.control}/api/messages/{reference_entry.message_id}"
                     ).json()
    assert body["details"]["wire.target"] == KPR_TARGET
    assert body["details"]["cms.cipher"] == "aes-256-cbc"
    assert body["answers"][0]["disposition"] == "accepted"
    assert body["answers"][0]["settled_at"] is not None


# ------------------------------------------------------------------ Node's rhea
def test_rhea_sender_facts(endpoint: Endpoint, rhea_dir: Path) -> None:
    assert endpoint.registry is not None
    port = endpoint.urls.amqps.rsplit(":", 1)[1]
    message_id = str(uuid.uuid4())
    completed = subprocess.run(
        ["node", str(JS_SENDER), "localhost", port, str(endpoint.registry.ca_path),
         "mockkpr-12345", "test-12345", KPR_TARGET, message_id],
        env={**os.environ, "NODE_PATH": str(rhea_dir / "node_modules")},
        capture_output=True, text=True, timeout=60, check=False)
    assert json.loads(completed.stdout) == {"result": "accepted"}, completed.stderr
    details = entry_for(endpoint, message_id).details
    assert details["wire.container_id"] == "mockkpr-rhea-wire"
    assert details["wire.link_name"] == "rhea-sender-link"
    assert details["wire.target"] == KPR_TARGET
    assert details["wire.tls_protocol"] in ("TLSv1.2", "TLSv1.3")
    assert details["wire.body_sections"] == ["data"]
    assert details["wire.message_id_type"] == "string"
    assert details["wire.property_types"]["toHerId"] == "string"
    assert details["wire.property_types"]["fromHerId"] != "string"  # a JS number
    entry = entry_for(endpoint, message_id)
    assert entry.application_properties["fromHerId"] == "12345"  # tolerated: read as text
    assert entry.outcome is Outcome.TRANSPORT_ERROR  # got as far as the (missing) CMS
