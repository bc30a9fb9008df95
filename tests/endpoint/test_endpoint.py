"""The whole KPR endpoint end to end: a real :class:`Endpoint` and the reference sender.

Each test sends like an EPJ's sender does (or breaks one thing on purpose) and asserts both
what the sender sees — the AppRec after its signature is verified, or the transport error's
exact application properties — and what the journal recorded, read over the control API.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from proton import Message
from proton.utils import BlockingConnection, LinkDetached

from mockkpr.client import Answer, DeliveryFailed, KprClient
from mockkpr.cms import protect, unprotect
from mockkpr.endpoint import tls
from mockkpr.endpoint.app import Endpoint
from mockkpr.envelope import Status, parse_apprec
from mockkpr.errors import EndpointError
from mockkpr.iplos import validate
from mockkpr.pki import GeneratedPki
from mockkpr.service.messages import CMS_CONTENT_TYPE
from mockkpr.settings import Settings
from tests.endpoint.support import (
    BERGEN,
    EXCHANGE,
    FOURTH,
    KPR,
    OSLO,
    RECEIVER_TIMESTAMP,
    THIRD,
    Running,
    fixture,
    running_endpoint,
)

pytestmark = pytest.mark.integration

IDENTITY = fixture("valid/kpr-ide-1.xml")
ANNUAL_2019 = fixture("valid/iplos-2019.xml")
EXPIRED_SIGNER, REVOKED_SIGNER, UNKNOWN_CA_SIGNER = OSLO * 10 + 1, OSLO * 10 + 4, OSLO * 10 + 5


@pytest.fixture(scope="module", params=[0, 2], ids=["in-process", "2-processes"])
def running(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            endpoint_pki: GeneratedPki) -> Iterator[Running]:
    """The endpoint, processing in its own process and with two worker processes
    (MOCKKPR_PROCESSES): every test of this module expects the same answers of both."""
    with running_endpoint(tmp_path_factory.mktemp("endpoint"), endpoint_pki.registry_file,
                          log_level="WARNING", processes=request.param) as found:
        yield found


@pytest.fixture(scope="module")
def oslo(running: Running) -> Iterator[KprClient]:
    """Sender 12345 over TLS with SASL PLAIN, kept connected like NHN's senders do."""
    with running.client(OSLO) as client:
        yield client


def answer_to(client: KprClient, body: bytes, *, subject: str = "KPR_IPL",
              properties: dict[str, str] | None = None, content_type: str = CMS_CONTENT_TYPE,
              msg_id: str = "") -> Answer:
    sent = client.send_body(body, subject=subject, msg_id=msg_id, properties=properties,
                            content_type=content_type)
    return client.wait_answer(sent, timeout=30)


def envelope_and_protect(client: KprClient, document: bytes, **options: Any) -> bytes:
    xml, _, _ = client.envelope(document, **options)
    return client.protect(xml)


def assert_transport_error(answer: Answer, condition: str, description: str,
                           data: str | None, *, subject: str = "KPR_IPL",
                           to_her_id: str = str(OSLO), content_type: str | None = None,
                           body: bytes | None = None) -> None:
    """The error message exactly as NHN's parties lay it out (profile §4, §8): KPR's and the
    sender's HER-ids as integer text, an applicationTimeStamp, the original body (unless
    ``body`` says otherwise: an error about a split message's group has none) and (unless
    ``content_type`` says otherwise) the original content type."""
    assert answer.kind == "transport-error", answer
    props = dict(answer.properties)
    timestamp = props.pop("receiverTimeStamp")
    assert RECEIVER_TIMESTAMP.match(timestamp), timestamp
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", props.pop("applicationTimeStamp"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", props.pop("enqueuedTimeUtc"))
    expected = {
        "fromHerId": str(KPR), "toHerId": to_her_id,
        "originalMessageId": answer.sent.message_id,
        "errorCondition": condition, "errorDescription": description,
    }
    if data is not None:
        expected["errorConditionData"] = data
    assert props == expected
    assert answer.wire is not None
    assert answer.wire.subject == subject
    original = answer.sent.messages
    assert answer.wire.body == (b"".join(bytes(m.body) for m in original) if body is None
                                else body)
    assert answer.wire.content_type == (content_type or original[0].content_type)
    assert answer.wire.correlation_id == answer.sent.message_id
    assert answer.wire.message_id not in (None, answer.sent.message_id)


def assert_journal_error(running: Running, answer: Answer, condition: str) -> dict[str, Any]:
    entry = running.entry(answer.sent.message_id)
    assert entry["outcome"] == "transport-error"
    assert entry["error_condition"] == condition
    assert entry["error_description"] == answer.error_description
    assert entry["error_data"] == list(answer.error_data)
    assert [(a["kind"], a["queue"], a["message_id"]) for a in entry["answers"]] == [
        ("transport-error", f"{OSLO}_error", answer.wire.message_id if answer.wire else None)]
    return entry


def assert_accepted_apprec(answer: Answer, status: Status = Status.OK, *,
                           receiver: int = OSLO) -> None:
    assert answer.kind == "apprec", answer
    assert answer.apprec is not None
    assert answer.status is status, answer.apprec.errors
    assert answer.apprec.sender.her_ids == (KPR,)
    assert answer.apprec.receiver.her_ids == (receiver,)
    assert answer.wire is not None
    assert answer.wire.subject == "APPREC"
    assert answer.wire.correlation_id == answer.sent.message_id
    assert answer.properties["fromHerId"] == str(KPR)
    assert answer.properties["toHerId"] == str(receiver)


@pytest.fixture
def event_sender(running: Running, request: pytest.FixtureRequest) -> Iterator[KprClient]:
    """A sender that has sent no 56.0.0 event message before (event messages continue the
    sender's stream: chaining and running numbers carry over from its earlier messages)."""
    her_id = request.param
    with running.client(her_id) as client:
        yield client


# ------------------------------------------------------------------ valid files
def test_valid_annual_2019_file_is_accepted_after_its_identity_message(
        running: Running, oslo: KprClient) -> None:
    identity = oslo.send_and_wait(IDENTITY)
    assert_accepted_apprec(identity)
    assert identity.apprec is not None
    assert identity.apprec.original.msg_type == "KPR_IDE"
    annual = oslo.send_and_wait(ANNUAL_2019)
    assert_accepted_apprec(annual)
    assert annual.apprec is not None
    assert annual.apprec.errors == ()
    assert annual.apprec.original.msg_id == annual.sent.msg_id
    assert annual.apprec.original.msg_type == "KPR_IPL"

    entry = running.entry(annual.sent.message_id)
    assert entry["outcome"] == "accepted"
    assert entry["apprec_status"] == "1"
    assert entry["msg_id"] == annual.sent.msg_id
    assert (entry["sender_her_id"], entry["receiver_her_id"]) == (str(OSLO), str(KPR))
    assert entry["user"] == f"mockkpr-{OSLO}"
    assert entry["report"]["format"]["generation"] == "2019"
    assert entry["report"]["identity_format"]["kind"] == "KPR_IDE"  # joined
    assert entry["report"]["identity"]["message_id"] == identity.sent.message_id  # this one
    assert entry["report"]["findings"] == []
    assert [a["kind"] for a in entry["answers"]] == ["apprec"]
    assert entry["answers"][0]["message_id"] == annual.wire.message_id if annual.wire else None
    payload = running.http.get(f"/api/messages/{annual.sent.message_id}/payload")
    assert payload.content.startswith(b'<IPLOS xmlns="http://www.npr.no/xmlstds/iplos/2019"')
    assert b"<iiKomnr>0301</iiKomnr>" in payload.content
    assert running.entry(identity.sent.message_id)["subject"] == "KPR_IDE"


def test_annual_file_is_joined_with_the_identity_message_sent_before_it(
        running: Running, oslo: KprClient) -> None:
    """Person 18 has no identity in the identity message: a row error only the join finds."""
    assert_accepted_apprec(oslo.send_and_wait(
        fixture("rules/PE-IDENT-MISSING/person-without-identity.ide.xml")))
    answer = oslo.send_and_wait(fixture("rules/PE-IDENT-MISSING/person-without-identity.xml"))
    assert_accepted_apprec(answer, Status.OK_FEIL_I_DELMELDING)
    assert answer.apprec is not None
    assert [(e.code, (e.detail or "").split(":")[0]) for e in answer.apprec.errors] == [
        ("E30", "/IPLOS/PERSON[@pePeID=18]")]
    assert "PE-IDENT-MISSING" in (answer.apprec.errors[0].detail or "")
    entry = running.entry(answer.sent.message_id)
    assert (entry["outcome"], entry["apprec_status"]) == ("partial", "3")
    assert [f["rule_id"] for f in entry["report"]["findings"]] == ["PE-IDENT-MISSING"]


def test_2018_file_is_accepted_after_its_identity_message(running: Running,
                                                          oslo: KprClient) -> None:
    assert_accepted_apprec(oslo.send_and_wait(fixture("valid/kpr-ide-1-2018.xml")))
    answer = oslo.send_and_wait(fixture("valid/iplos-2018.xml"))
    assert_accepted_apprec(answer)
    entry = running.entry(answer.sent.message_id)
    assert (entry["outcome"], entry["apprec_status"]) == ("accepted", "1")
    assert entry["report"]["format"]["generation"] == "2018"
    assert entry["report"]["identity_format"]["kind"] == "KPR_IDE"


@pytest.mark.parametrize("event_sender", [THIRD], indirect=True)
def test_56_event_message_is_accepted(running: Running, event_sender: KprClient) -> None:
    answer = event_sender.send_and_wait(fixture("valid/iplos-56.xml"))
    assert_accepted_apprec(answer, receiver=THIRD)
    entry = running.entry(answer.sent.message_id)
    assert (entry["outcome"], entry["apprec_status"]) == ("accepted", "1")
    assert entry["report"]["format"]["generation"] == "56"


@pytest.mark.parametrize("event_sender", [FOURTH], indirect=True)
def test_rejected_data_get_status_2_with_the_findings(running: Running,
                                                      event_sender: KprClient) -> None:
    answer = event_sender.send_and_wait(fixture("rules/EV-FID/missing.xml"))
    assert_accepted_apprec(answer, Status.AVVIST, receiver=FOURTH)
    assert answer.apprec is not None
    assert [e.code for e in answer.apprec.errors] == ["E30"]
    assert "EV-FID" in (answer.apprec.errors[0].detail or "")
    entry = running.entry(answer.sent.message_id)
    assert (entry["outcome"], entry["apprec_status"]) == ("rejected", "2")
    assert entry["report"]["verdict"]["accepted"] is False


@pytest.mark.parametrize("event_sender", [BERGEN], indirect=True)
def test_rejected_rows_get_status_3(running: Running, event_sender: KprClient) -> None:
    answer = event_sender.send_and_wait(fixture("rules/EV-TJENESTETYPE-CODE/no-code-10.xml"))
    assert_accepted_apprec(answer, Status.OK_FEIL_I_DELMELDING, receiver=BERGEN)
    assert answer.apprec is not None
    assert {e.code for e in answer.apprec.errors} == {"T99"}
    assert all("EV-TJENESTETYPE-CODE" in (e.detail or "") for e in answer.apprec.errors)
    entry = running.entry(answer.sent.message_id)
    assert (entry["outcome"], entry["apprec_status"]) == ("partial", "3")


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_apprec_version_follows_the_setting(tmp_path: Path, endpoint_pki: GeneratedPki,
                                            version: str) -> None:
    with running_endpoint(tmp_path, endpoint_pki.registry_file, apprec_version=version,
                          log_level="WARNING") as other, other.client(OSLO, tls=False) as client:
        answer = client.send_and_wait(IDENTITY)
    assert_accepted_apprec(answer)
    assert answer.apprec is not None
    assert answer.apprec.version == version
    assert answer.apprec.mig_version == {"1.0": "1.0 2004-11-21",
                                         "1.1": "v1.1 2012-02-15"}[version]


# ------------------------------------------------------------------ header fields (§4.1)
@pytest.mark.parametrize(("drop", "data"), [
    (("toHerId",), "toHerId;"),
    (("subject",), "Label;"),
    (("applicationTimeStamp",), "applicationTimeStamp;"),
    (("content-type",), "ContentType;"),
    (("toHerId", "subject"), "toHerId;Label;"),
])
def test_each_missing_header_field_is_named(running: Running, oslo: KprClient,
                                            drop: tuple[str, ...], data: str) -> None:
    body = envelope_and_protect(oslo, ANNUAL_2019)
    props = {k: v for k, v in oslo.properties().items() if k not in drop}
    answer = answer_to(oslo, body, properties=props,
                       subject="" if "subject" in drop else "KPR_IPL",
                       content_type="" if "content-type" in drop else CMS_CONTENT_TYPE)
    assert_transport_error(answer, "transport:invalid-field-value",
                           "One or more fields are missing", data,
                           subject="UNKNOWN" if "subject" in drop else "KPR_IPL",
                           content_type="application/octet-stream"
                           if "content-type" in drop else None)
    assert_journal_error(running, answer, "transport:invalid-field-value")


def test_missing_from_her_id_cannot_be_answered_but_is_journaled(
        running: Running, oslo: KprClient) -> None:
    body = envelope_and_protect(oslo, ANNUAL_2019)
    props = {k: v for k, v in oslo.properties().items() if k != "fromHerId"}
    sent = oslo.send_body(body, subject="KPR_IPL", properties=props)
    entry = running.wait_entry(sent.message_id)
    assert entry["outcome"] == "unanswerable"
    assert entry["error_condition"] == "transport:invalid-field-value"
    assert entry["error_data"] == ["fromHerId"]
    assert entry["answers"] == []
    assert oslo.wait_answer(sent, timeout=0.3).kind == "none"


def test_to_her_id_of_another_receiver_is_refused(running: Running, oslo: KprClient) -> None:
    props = {**oslo.properties(), "toHerId": str(BERGEN)}
    answer = answer_to(oslo, envelope_and_protect(oslo, ANNUAL_2019), properties=props)
    assert_transport_error(answer, "transport:invalid-field-value",
                           "toHerId is not this receiver", f"toHerId={BERGEN};expected={KPR};")
    assert_journal_error(running, answer, "transport:invalid-field-value")


# ------------------------------------------------------------------ content type and CMS (§4.2)
@pytest.mark.parametrize(("content_type", "description"), [
    ("text/plain", "Unencrypted messages are not accepted by this receiver"),
    ("application/soap+xml", "Unencrypted messages are not accepted by this receiver"),
    ("application/octet-stream", "Unsupported content-type"),
])
def test_unencrypted_or_unknown_content_type_is_refused(
        running: Running, oslo: KprClient, content_type: str, description: str) -> None:
    xml, _, _ = oslo.envelope(ANNUAL_2019)
    body = xml if content_type != "application/octet-stream" else oslo.protect(xml)
    answer = answer_to(oslo, body, content_type=content_type)
    assert_transport_error(answer, "transport:unsupported-message", description,
                           f"{content_type};")
    entry = assert_journal_error(running, answer, "transport:unsupported-message")
    assert entry["properties"]["content-type"] == content_type


def test_garbage_instead_of_cms_is_an_invalid_certificate(running: Running,
                                                          oslo: KprClient) -> None:
    answer = answer_to(oslo, b"\x30\x03garbage, not CMS at all")
    assert_transport_error(answer, "transport:invalid-certificate",
                           "Could not decrypt message: the payload is not a CMS structure", None)
    entry = assert_journal_error(running, answer, "transport:invalid-certificate")
    assert entry["msghead"] is None
    assert entry["report"] is None


def test_message_encrypted_to_the_wrong_key_is_an_invalid_certificate(
        running: Running, oslo: KprClient) -> None:
    xml, _, _ = oslo.envelope(ANNUAL_2019)
    signing = oslo.sender.signing
    assert signing is not None
    body = protect(xml, signer_cert=signing.certificate, signer_key=signing.key,
                   recipient_cert=running.registry.party(BERGEN).encryption_certificate)
    answer = answer_to(oslo, body)
    assert_transport_error(
        answer, "transport:invalid-certificate",
        "Could not decrypt message: not encrypted to the receiver's certificate", None)
    assert_journal_error(running, answer, "transport:invalid-certificate")


def test_message_signed_by_another_party_is_an_invalid_certificate(
        running: Running, oslo: KprClient) -> None:
    xml, _, _ = oslo.envelope(ANNUAL_2019)
    bergen = running.registry.party(BERGEN).signing
    assert bergen is not None
    body = protect(xml, signer_cert=bergen.certificate, signer_key=bergen.key,
                   recipient_cert=oslo.receiver.encryption_certificate)
    answer = answer_to(oslo, body)
    assert_transport_error(answer, "transport:invalid-certificate",
                           "Message is not signed by the sender's certificate", None)
    assert_journal_error(running, answer, "transport:invalid-certificate")


@pytest.mark.parametrize(("her_id", "condition", "description"), [
    (EXPIRED_SIGNER, "transport:expired-certificate", "Invalid end date"),
    (REVOKED_SIGNER, "transport:revoked-certificate", "Certificate has been revoked"),
    (UNKNOWN_CA_SIGNER, "transport:unverified-certificate",
     "Certificate is not issued by a trusted certificate authority"),
])
def test_bad_signing_certificates_get_their_condition(
        running: Running, oslo: KprClient, her_id: int, condition: str,
        description: str) -> None:
    """The variant parties share 12345's account and queues but sign with a bad certificate.

    12345's connection sends for them (its account may send as its children), so that the
    answer on the shared queues is not handed to a second consumer.
    """
    variant = running.client(her_id)  # never connected: it only wraps and signs
    body = envelope_and_protect(variant, ANNUAL_2019)
    props = {**oslo.properties(), "fromHerId": str(her_id)}
    answer = answer_to(oslo, body, properties=props)
    assert_transport_error(answer, condition, description, None, to_her_id=str(her_id))
    entry = running.entry(answer.sent.message_id)
    assert entry["outcome"] == "transport-error"
    assert entry["error_condition"] == condition
    assert entry["user"] == f"mockkpr-{OSLO}"


# ------------------------------------------------------------------ MsgHead, spoofing, function
MSGHEAD = b"<MsgHead xmlns='http://www.kith.no/xmlstds/msghead/2006-05-24'>"


@pytest.mark.parametrize(("payload", "data"), [
    (MSGHEAD + b"<MsgInfo>",  # T01: not well-formed
     "line 1: MsgHead is not well-formed XML: Premature end of data in tag MsgInfo line 1, "
     "line 1, column 73;"),
    (MSGHEAD + b"<Nope/></MsgHead>",  # T02: not valid
     "/MsgHead/Nope (line 1): Element 'Nope': This element is not expected. "
     "Expected is ( MsgInfo ).;"),
])
def test_broken_msghead_is_not_well_formed_xml(running: Running, oslo: KprClient,
                                               payload: bytes, data: str) -> None:
    answer = answer_to(oslo, oslo.protect(payload))
    assert_transport_error(answer, "transport:not-well-formed-xml",
                           "Could not deserialize payload", data)
    entry = assert_journal_error(running, answer, "transport:not-well-formed-xml")
    assert entry["msghead"] is None
    assert entry["payload_size"] == len(payload)  # decrypted and kept for inspection


def test_unsupported_message_function(running: Running, oslo: KprClient) -> None:
    body = envelope_and_protect(oslo, ANNUAL_2019, msg_type="KPR_FOO")
    answer = answer_to(oslo, body, subject="KPR_FOO")
    assert_transport_error(
        answer, "transport:unsupported-message",
        "message function 'KPR_FOO' is not supported; expected one of KPR_IDE, KPR_IPL",
        "/MsgHead/MsgInfo/Type/@V: message function 'KPR_FOO' is not supported, expected one "
        "of KPR_IDE, KPR_IPL;", subject="KPR_FOO")
    assert_journal_error(running, answer, "transport:unsupported-message")


def test_msghead_sender_other_than_from_her_id_is_a_spoofing_attack(
        running: Running, oslo: KprClient) -> None:
    bergen = KprClient(running.url(), running.registry, BERGEN)  # never connected
    xml, _, _ = bergen.envelope(ANNUAL_2019)
    answer = answer_to(oslo, oslo.protect(xml))
    assert_transport_error(answer, "abuse:spoofing-attack",
                           "fromHerId does not match the sender in the MsgHead",
                           f"fromHerId={OSLO};MsgHead={BERGEN};")
    entry = assert_journal_error(running, answer, "abuse:spoofing-attack")
    assert entry["msghead"]["sender"]["her_ids"] == [BERGEN]


def test_kpr_ipl_carrying_an_identity_document_is_unsupported(
        running: Running, oslo: KprClient) -> None:
    body = envelope_and_protect(oslo, IDENTITY, msg_type="KPR_IPL")
    answer = answer_to(oslo, body)
    assert_transport_error(answer, "transport:unsupported-message",
                           "KPR_IPL does not carry this document",
                           "document=identity message (KPR_IDE) 1.0;")
    entry = assert_journal_error(running, answer, "transport:unsupported-message")
    assert entry["report"] is None


# ------------------------------------------------------------------ receipts requested or not
def test_ack_n_is_validated_and_journaled_without_an_apprec(running: Running,
                                                            oslo: KprClient) -> None:
    sent = oslo.send_document(IDENTITY, ack=False)
    entry = running.wait_entry(sent.message_id)
    assert entry["outcome"] == "no-receipt"
    assert entry["apprec_status"] == "1"
    assert entry["report"]["verdict"]["accepted"] is True
    assert entry["answers"] == []
    # the entry is complete, so nothing can still be on its way
    assert oslo.wait_answer(sent, timeout=0.3).kind == "none"


def test_duplicate_message_id_gets_the_same_apprec_and_is_processed_once(
        running: Running, oslo: KprClient) -> None:
    xml, msg_id, _ = oslo.envelope(IDENTITY)
    message_id, messages = oslo.messages_for(oslo.protect(xml), subject="KPR_IDE")
    first = oslo.wait_answer(oslo.send_messages(messages, msg_id=msg_id))
    second = oslo.wait_answer(oslo.send_messages(messages, msg_id=msg_id))
    assert_accepted_apprec(first)
    assert_accepted_apprec(second)
    assert first.wire is not None
    assert second.wire is not None
    assert second.wire.message_id == first.wire.message_id
    assert first.apprec is not None
    assert second.apprec is not None
    assert second.apprec.apprec_id == first.apprec.apprec_id
    entries = running.entries(message_id)
    assert [e["outcome"] for e in entries] == ["accepted", "duplicate"]
    assert entries[1]["answers"][0]["message_id"] == first.wire.message_id
    detail = running.http.get("/api/messages", params={"message_id": message_id,
                                                       "outcome": "accepted"})
    assert len(detail.json()) == 1  # validated once


# ------------------------------------------------------------------ split messages
@pytest.mark.parametrize("order", ["in-order", "reversed"])
def test_split_message_is_reassembled_before_validation(
        running: Running, oslo: KprClient, order: str) -> None:
    group_id, msg_id, parts = split(oslo, IDENTITY)
    body = b"".join(p.body for p in parts if isinstance(p.body, bytes))
    assert len(parts) >= 3
    sizes = [p.properties.get("groupSize") if p.properties else None for p in parts]
    assert sizes == [str(len(parts))] * len(parts)
    sent = oslo.send_messages(parts if order == "in-order" else parts[::-1], msg_id=msg_id)
    assert (sent.message_id, sent.parts, sent.size) == (group_id, len(parts), len(body))
    answer = oslo.wait_answer(sent)
    assert_accepted_apprec(answer)
    assert answer.apprec is not None
    assert answer.apprec.original.msg_id == msg_id
    entry = running.entry(group_id)
    assert entry["outcome"] == "accepted"
    assert entry["body_size"] == len(body)
    assert len(running.entries(group_id)) == 1


def split(client: KprClient, document: bytes) -> tuple[str, str, list[Message]]:
    """(group-id, MsgId, parts) of ``document`` protected and cut into 1 KiB parts."""
    xml, msg_id, function = client.envelope(document)
    client.split_bytes = 1024
    try:
        group_id, parts = client.messages_for(client.protect(xml), subject=function)
    finally:
        client.split_bytes = 1 << 20
    return group_id, msg_id, parts


def test_split_group_with_inconsistent_group_size_is_answered(
        running: Running, oslo: KprClient) -> None:
    group_id, _msg_id, parts = split(oslo, IDENTITY)
    properties = parts[1].properties
    assert properties is not None
    properties["groupSize"] = str(len(parts) + 1)
    oslo.send_messages(parts[:1])
    sent = oslo.send_messages(parts[1:2])
    assert sent.message_id == group_id  # the group-id is what the error names
    answer = oslo.wait_answer(sent)
    assert_transport_error(
        answer, "transport:invalid-field-value",
        f"split message group '{group_id}': part 1 says the group has {len(parts) + 1} "
        f"parts, but part 0 said {len(parts)}", "groupSize;", subject="KPR_IDE", body=b"")
    entry = assert_journal_error(running, answer, "transport:invalid-field-value")
    assert entry["properties"]["group-id"] == group_id
    assert entry["details"]["group.part_message_id"] == str(parts[1].id)
    # the group is dead: its other parts are accepted and dropped, with no second answer...
    oslo.send_messages(parts[2:-1])
    assert oslo.wait_answer(sent, timeout=0.5).kind == "none"
    assert [e["outcome"] for e in running.entries(group_id)] == ["transport-error"]
    # ...but for its last part (a group sent again ends with it): the same answer again
    oslo.send_messages(parts[-1:])
    again = oslo.wait_answer(sent)
    assert again.kind == "transport-error"
    assert answer.wire is not None
    assert again.wire is not None
    assert again.wire.message_id == answer.wire.message_id
    assert [e["outcome"] for e in running.entries(group_id)] == ["transport-error", "duplicate"]


def test_part_without_group_size_is_answered(running: Running, oslo: KprClient) -> None:
    _, _, parts = split(oslo, IDENTITY)
    properties = parts[0].properties
    assert properties is not None
    del properties["groupSize"]
    sent = oslo.send_messages(parts[:1])
    answer = oslo.wait_answer(sent)  # about the group: its id is the original message-id
    assert_transport_error(
        answer, "transport:invalid-field-value",
        "A part of a split message (group-id set) lacks groupSize: mockkpr's own split "
        "convention needs the application property groupSize (the number of parts, a string) "
        "and group-sequence 0..n-1 on every part (NHN's library never splits; "
        "`mockkpr docs endpoint`, Split messages)", "groupSize;", subject="KPR_IDE", body=b"")


def test_failure_while_processing_the_last_part_loses_no_part(
        running: Running, oslo: KprClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected failure settles the last part modified(delivery-failed); the sender
    sends it again and the whole group is processed then, once."""
    group_id, msg_id, parts = split(oslo, IDENTITY)
    oslo.send_messages(parts[:-1])
    failures: list[str] = []

    def fail_once(*args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append("failed")
            raise RuntimeError("injected failure")
        return validate(*args, **kwargs)

    monkeypatch.setattr("mockkpr.service.pipeline.validate", fail_once)
    # modified(delivery-failed): the reference sender sends the part again by itself
    answer = oslo.wait_answer(oslo.send_messages(parts[-1:], msg_id=msg_id))
    assert_accepted_apprec(answer)
    assert failures == ["failed"]
    assert [e["outcome"] for e in running.entries(group_id)] == ["accepted"]


def test_whole_group_sent_again_is_a_duplicate(running: Running, oslo: KprClient) -> None:
    group_id, msg_id, parts = split(oslo, IDENTITY)
    first = oslo.wait_answer(oslo.send_messages(parts, msg_id=msg_id))
    for part in parts:  # a resend: new message-ids, same group
        part.id = str(uuid.uuid4())
    second = oslo.wait_answer(oslo.send_messages(parts, msg_id=msg_id))
    assert_accepted_apprec(first)
    assert_accepted_apprec(second)
    assert first.apprec is not None
    assert second.apprec is not None
    assert second.apprec.apprec_id == first.apprec.apprec_id
    assert [e["outcome"] for e in running.entries(group_id)] == ["accepted", "duplicate"]


# ------------------------------------------------------------------ authorisation
def test_sending_as_another_accounts_her_id_is_rejected_unauthorized(
        running: Running, oslo: KprClient) -> None:
    body = envelope_and_protect(oslo, ANNUAL_2019)
    props = {**oslo.properties(), "fromHerId": str(BERGEN)}
    message_id, messages = oslo.messages_for(body, subject="KPR_IPL", properties=props)
    with pytest.raises(DeliveryFailed) as refused:
        oslo.send_messages(messages)
    assert (refused.value.outcome, refused.value.condition) == (
        "rejected", "amqp:unauthorized-access")
    assert refused.value.description == f"user mockkpr-{OSLO} may not send as fromHerId {BERGEN}"
    # journaled as refused (what the endpoint told the sender), with no answer sent
    recorded = running.http.get(f"/api/messages/{message_id}").json()
    assert (recorded["outcome"], recorded["error_condition"], recorded["answers"]) == (
        "refused", "amqp:unauthorized-access", [])
    assert recorded["error_description"] == refused.value.description


def test_a_refused_message_id_is_no_earlier_answer_for_the_party_it_claimed(
        running: Running, oslo: KprClient) -> None:
    """Oslo's account sends as Bergen and is refused; Bergen's own message with that same
    message-id is processed, not answered as a duplicate of the refused delivery."""
    with running.client(BERGEN) as bergen:
        body = envelope_and_protect(bergen, ANNUAL_2019)
        message_id, messages = bergen.messages_for(body, subject="KPR_IPL")
        with pytest.raises(DeliveryFailed):
            oslo.send_messages(messages)
        bergen.send_messages(messages)
    assert [e["outcome"] for e in running.entries(message_id)] == ["refused", "accepted"]


def test_another_partys_queue_cannot_be_read(running: Running) -> None:
    account = running.registry.party(OSLO).sasl
    assert account is not None
    connection = BlockingConnection(
        running.endpoint.urls.amqps, ssl_domain=tls.client_domain(running.registry.ca_path),
        user=account.user, password=account.password, allowed_mechs="PLAIN", timeout=10)
    try:
        for queue in (f"{BERGEN}_async", f"{BERGEN}_error", f"{KPR}_async"):
            with pytest.raises(LinkDetached) as refused:
                connection.create_receiver(f"/amq/queue/{queue}")
            assert "amqp:unauthorized-access" in str(refused.value)
    finally:
        connection.close()


@pytest.mark.parametrize("address", [
    f"/exchange/{EXCHANGE}/{KPR}_async", f"{KPR}_async", f"/queues/{KPR}_async",
    f"/exchanges/{EXCHANGE}/{KPR}_async"])
def test_every_target_address_form_reaches_kpr(oslo: KprClient, address: str) -> None:
    xml, _msg_id, _ = oslo.envelope(IDENTITY)
    _, messages = oslo.messages_for(oslo.protect(xml), subject="KPR_IDE")
    assert_accepted_apprec(oslo.wait_answer(oslo.send_messages(messages, address=address)))


def test_unknown_target_address_is_not_found(oslo: KprClient) -> None:
    message = Message(id=str(uuid.uuid4()), body=b"x", inferred=True)
    with pytest.raises(EndpointError, match="amqp:not-found"):
        oslo.send_messages([message], address=f"/exchange/{EXCHANGE}/99999_async")


def test_apprec_rejected_by_its_consumer_goes_to_the_dead_letter_queue(
        running: Running) -> None:
    """The registry's _dl queue is wired: a rejected AppRec waits there, still intact."""
    third = running.client(THIRD)  # wraps and protects only; the AMQP is done by hand here
    xml, msg_id, function = third.envelope(IDENTITY)
    message_id, [message] = third.messages_for(third.protect(xml), subject=function)
    account = running.registry.party(THIRD).sasl
    assert account is not None
    connection = BlockingConnection(running.endpoint.urls.amqp, user=account.user,
                                    password=account.password, allowed_mechs="PLAIN",
                                    allow_insecure_mechs=True, timeout=20)
    try:
        connection.create_sender(f"{KPR}_async").send(message)
        receiver = connection.create_receiver(f"/amq/queue/{THIRD}_async")
        answer = receiver.receive(timeout=20)
        assert answer.correlation_id == message_id
        receiver.reject()
        dead = connection.create_receiver(f"/amq/queue/{THIRD}_dl").receive(timeout=20)
    finally:
        connection.close()
    assert dead.correlation_id == message_id
    assert dead.subject == "APPREC"
    body = dead.body
    assert isinstance(body, bytes | memoryview)
    third_party = running.registry.party(THIRD)
    opened = unprotect(bytes(body), own_keys=third_party.own_keys(),
                       expected_signer=running.registry.party(KPR).signing_certificate,
                       ca_certs=[running.registry.ca_certificate], crls=[running.registry.crl],
                       now=datetime.now(UTC))
    assert parse_apprec(opened.payload).original.msg_id == msg_id


def test_a_port_in_use_fails_start_and_leaves_nothing_running(tmp_path: Path) -> None:
    """The control port is taken: start() raises EndpointError naming it and stops the AMQP
    listener it had already started, so the same data directory can be used again at once."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        endpoint = Endpoint(Settings(data_dir=tmp_path, amqps_port=0, control_port=port))
        with pytest.raises(EndpointError, match=str(port)):
            endpoint.start()
    assert endpoint.journal is None
    assert endpoint.readiness()["amqp_listeners"] is False
    with Endpoint(Settings(data_dir=tmp_path, amqps_port=0, control_port=0)) as again:
        assert all(again.readiness().values())


def test_the_same_message_id_arriving_at_once_is_accepted_once(
        running: Running, oslo: KprClient) -> None:
    """A sender that resends before its first send was answered (a receipt timer shorter than
    the endpoint's work, a second connection after a stall) must not get its report registered
    twice: of copies arriving at once on several connections, processed by several workers,
    one is accepted and every other is a duplicate (profile: duplicates by message-id).

    Last in this module: the four answers go to whichever of the party's consumers has credit
    (the module's ``oslo`` too, as on a shared queue), which the tests after it would meet."""
    xml, msg_id, _ = oslo.envelope(IDENTITY)
    body = oslo.protect(xml)
    message_id = str(uuid.uuid4())
    copies = 4
    senders = [running.client(OSLO) for _ in range(copies)]
    barrier = threading.Barrier(copies)

    def send(client: KprClient) -> None:
        _, messages = client.messages_for(body, subject="KPR_IDE")  # proton's: one per thread
        for message in messages:
            message.id = message_id
        with client:
            client.connect()
            barrier.wait()
            client.send_messages(messages, msg_id=msg_id)

    threads = [threading.Thread(target=send, args=(c,)) for c in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    deadline = time.monotonic() + 30
    while len(entries := running.entries(message_id)) < copies and time.monotonic() < deadline:
        time.sleep(0.05)
    outcomes = sorted(e["outcome"] for e in entries)
    assert outcomes == ["accepted"] + ["duplicate"] * (copies - 1), [
        (e["outcome"], e.get("error_condition"), e.get("error_description")) for e in entries]
