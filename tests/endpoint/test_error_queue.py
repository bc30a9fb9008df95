"""Transport errors on the wire, judged by what NHN's listener checks (issue 12, case 2).

Raw AMQP messages with one defect each go to the embedded endpoint; Node's rhea reads the
sender's ``_error`` queue and tests/nhn_listener.py (written from NHN's library, not from
mockkpr) decides whether an application built on Helsenorge.Messaging would get each error.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from proton import Message

from mockkpr.client import KprClient
from mockkpr.pki import GeneratedPki
from mockkpr.service.messages import CMS_CONTENT_TYPE
from tests.brokermode.support import send_all
from tests.endpoint.support import EXCHANGE, KPR, OSLO, Running, fixture, running_endpoint
from tests.nhn_listener import Received, listener_problems, read_queue

pytestmark = pytest.mark.integration

IDENTITY = fixture("valid/kpr-ide-1.xml")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
APPLICATION_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@dataclass
class Original:
    """One defective message and what its transport error must carry."""

    name: str
    condition: str
    content_type: str | None
    body: bytes
    subject: str | None = "KPR_IDE"
    properties: dict[str, Any] = field(default_factory=dict)
    returned_content_type: str | None = None  # None: the original's
    message_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def message(self) -> Message:
        return Message(id=self.message_id, correlation_id=self.message_id,
                       address=f"{KPR}_async", reply_to=f"{OSLO}_async", subject=self.subject,
                       content_type=self.content_type, properties=self.properties,
                       body=self.body, inferred=True)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory,
            endpoint_pki: GeneratedPki) -> Iterator[Running]:
    with running_endpoint(tmp_path_factory.mktemp("error-queue"), endpoint_pki.registry_file,
                          log_level="WARNING") as found:
        yield found


def originals(client: KprClient) -> list[Original]:
    """Defects at each stage the receiver checks, with the body and content type kept."""
    good = dict(client.properties())
    xml, _, _ = client.envelope(IDENTITY)
    cms = client.protect(xml)
    spoofed = client.protect(xml.replace(f"<Id>{OSLO}</Id>".encode(), b"<Id>23456</Id>"))
    without = {name: {k: v for k, v in good.items() if k != name} for name in good}
    return [
        Original("no toHerId", "transport:invalid-field-value", CMS_CONTENT_TYPE, cms,
                 properties=without["toHerId"]),
        Original("no subject", "transport:invalid-field-value", CMS_CONTENT_TYPE, cms,
                 subject=None, properties=good),
        Original("no timestamp, no content type", "transport:invalid-field-value", None,
                 b"\x00\x01 not CMS", properties=without["applicationTimeStamp"],
                 returned_content_type="application/octet-stream"),
        Original("fromHerId with a leading zero", "transport:invalid-field-value",
                 CMS_CONTENT_TYPE, cms,
                 properties={**without["applicationTimeStamp"], "fromHerId": f"0{OSLO}"}),
        Original("unencrypted MsgHead", "transport:unsupported-message", "text/plain", xml,
                 properties=good),
        Original("unencrypted non-XML", "transport:unsupported-message", "TEXT/PLAIN",
                 b"plain words", properties=good,
                 returned_content_type="application/octet-stream"),
        Original("empty SOAP body", "transport:unsupported-message", "application/soap+xml",
                 b"", properties=good, returned_content_type="application/octet-stream"),
        Original("garbage instead of CMS", "transport:invalid-certificate", CMS_CONTENT_TYPE,
                 b"\x30\x03garbage", properties=good),
        Original("spoofed MsgHead sender", "abuse:spoofing-attack", CMS_CONTENT_TYPE, spoofed,
                 properties=good),
    ]


def test_every_transport_error_passes_nhns_listener_checks(running: Running,
                                                           rhea_dir: Path) -> None:
    client = running.client(OSLO)
    cases = originals(client)
    unanswerable = Original("no fromHerId", "", CMS_CONTENT_TYPE, b"x",
                            properties={k: v for k, v in client.properties().items()
                                        if k != "fromHerId"})
    account = running.registry.party(OSLO).sasl
    assert account is not None
    send_all(running.url(), account.user, account.password, f"/exchange/{EXCHANGE}/{KPR}_async",
             [c.message() for c in [unanswerable, *cases]], running.registry)
    port = int(running.endpoint.urls.amqps.rsplit(":", 1)[1])
    received = read_queue(rhea_dir, host="localhost", port=port, ca=running.registry.ca_path,
                          user=account.user, password=account.password,
                          source=f"/amq/queue/{OSLO}_error", expect=len(cases))
    by_original = {m.prop("originalMessageId"): m for m in received}
    assert set(by_original) == {c.message_id for c in cases}  # none for the unanswerable one
    assert running.wait_entry(unanswerable.message_id)["outcome"] == "unanswerable"
    for case in cases:
        error = by_original[case.message_id]
        assert listener_problems(error) == [], case.name
        assert error.prop("errorCondition") == case.condition, case.name
        assert (error.prop("fromHerId"), error.prop("toHerId")) == (str(KPR), str(OSLO))
        assert all(kind == "string" for kind, _ in error.properties.values()), case.name
        assert APPLICATION_TIMESTAMP.fullmatch(error.prop("applicationTimeStamp"))
        stamp = datetime.strptime(error.prop("applicationTimeStamp"), "%Y-%m-%dT%H:%M:%SZ")
        assert abs((stamp.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()) < 120
        assert error.subject == (case.subject or "UNKNOWN"), case.name
        assert error.body == case.body, case.name
        assert error.body_section == "data"
        assert error.content_type == (case.returned_content_type or case.content_type), case.name
        assert UUID.fullmatch(error.message_id or "")
        assert error.message_id != case.message_id
        assert error.correlation_id == case.message_id


#: The largest message of the endpoint the split-message errors are sent to.
SMALL_LIMIT = 64 << 10


def _part(group_id: str, sequence: int, size: str, body: bytes, good: dict[str, str]
          ) -> Message:
    message_id = str(uuid.uuid4())
    return Message(id=message_id, correlation_id=message_id, address=f"{KPR}_async",
                   reply_to=f"{OSLO}_async", subject="KPR_IDE", content_type=CMS_CONTENT_TYPE,
                   properties={**good, "groupSize": size}, body=body, group_id=group_id,
                   group_sequence=sequence, inferred=True)


def test_errors_about_a_split_message_carry_no_body_and_pass_nhns_listener(
        tmp_path: Path, endpoint_pki: GeneratedPki, rhea_dir: Path) -> None:
    """The message an error about a group is about never travelled as one: a refused group
    and a reassembled one over MOCKKPR_MAX_MESSAGE_BYTES are answered without a body (it
    would not fit on the sender's link; a hostile gigabyte group must not be stored again),
    a single message of the same kind keeps its body; NHN's listener takes all three."""
    with running_endpoint(tmp_path, endpoint_pki.registry_file, log_level="WARNING",
                          max_message_bytes=SMALL_LIMIT) as small:
        client = small.client(OSLO)
        good = dict(client.properties())
        refused, whole = str(uuid.uuid4()), str(uuid.uuid4())
        garbage = b"\x30\x03" + bytes(range(256)) * 200  # 51 KiB, not CMS
        single = Original("garbage instead of CMS", "transport:invalid-certificate",
                          CMS_CONTENT_TYPE, garbage, properties=good)
        messages = [_part(refused, 0, "many", garbage, good),
                    *(_part(whole, n, "3", garbage, good) for n in range(3)),
                    single.message()]
        account = small.registry.party(OSLO).sasl
        assert account is not None
        send_all(small.url(), account.user, account.password,
                 f"/exchange/{EXCHANGE}/{KPR}_async", messages, small.registry)
        port = int(small.endpoint.urls.amqps.rsplit(":", 1)[1])
        received = read_queue(rhea_dir, host="localhost", port=port, ca=small.registry.ca_path,
                              user=account.user, password=account.password,
                              source=f"/amq/queue/{OSLO}_error", expect=3)
    by_original = {m.prop("originalMessageId"): m for m in received}
    assert set(by_original) == {refused, whole, single.message_id}
    expected = {refused: ("transport:invalid-field-value", b""),
                whole: ("transport:invalid-certificate", b""),
                single.message_id: ("transport:invalid-certificate", garbage)}
    for original, (condition, body) in expected.items():
        error = by_original[original]
        assert listener_problems(error) == [], original
        assert (error.prop("errorCondition"), error.body) == (condition, body), original
        assert error.content_type == CMS_CONTENT_TYPE
        assert error.correlation_id == original


def _received(**changes: Any) -> Received:
    values: dict[str, Any] = {
        "message_id": str(uuid.uuid4()), "message_id_type": "string", "correlation_id": None,
        "correlation_id_type": "undefined", "subject": "KPR_IPL",
        "content_type": CMS_CONTENT_TYPE, "body_section": "data", "body": b"",
        "properties": {name: ("string", value) for name, value in {
            "fromHerId": "131725", "toHerId": "12345",
            "applicationTimeStamp": "2024-05-01T12:00:00Z", "originalMessageId": "m",
            "receiverTimeStamp": "05/01/2024 12:00:00", "errorCondition": "c",
            "errorDescription": "d"}.items()}}
    values.update(changes)
    return Received(**values)


def test_the_checks_pass_nhns_own_error_layout() -> None:
    assert listener_problems(_received()) == []


def test_the_checks_refuse_the_layout_mockkpr_used_to_send() -> None:
    """text/plain with an empty body, no applicationTimeStamp, fromHerId "" (issue 12, 2)."""
    properties = dict(_received().properties)
    del properties["applicationTimeStamp"]
    properties["fromHerId"] = ("string", "")
    problems = listener_problems(_received(content_type="text/plain", properties=properties))
    assert problems == [
        "fromHerId '': int.Parse throws, the message is never handled",
        "header check: One or more fields are missing: applicationTimeStamp",
        "text/plain body is not XML: Could not deserialize payload",
    ]


@pytest.mark.parametrize(("changes", "problem"), [
    ({"subject": ""}, "header check: One or more fields are missing: Label"),
    ({"content_type": None}, "header check: One or more fields are missing: ContentType"),
    ({"message_id_type": "object"},
     "message-id of type object: UnexpectedMessageIdentifierTypeException"),
    ({"content_type": "application/soap+xml", "body_section": "value", "body": b"<a/>"},
     "application/soap+xml body in a value section: no stream to read"),
])
def test_the_checks_name_each_thing_nhns_listener_refuses(changes: dict[str, Any],
                                                          problem: str) -> None:
    assert listener_problems(_received(**changes)) == [problem]
