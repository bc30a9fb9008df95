"""Observations, sends and whole certifications made by hand, for tests without an endpoint."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mockkpr.conformance.cases import by_id
from mockkpr.conformance.harness import CaseResult, Certification, Execution
from mockkpr.conformance.judge import Context, Document, Observations, Received, SendRecord
from mockkpr.conformance.model import Check, Role, case_status
from mockkpr.conformance.runs import BASELINE
from mockkpr.conformance.senders import SendOutcome, SendTask
from mockkpr.journal.models import AnswerRecord, JournalEntry, Outcome
from mockkpr.registry import Registry
from mockkpr.service.messages import CMS_CONTENT_TYPE, OutboundMessage

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
IPLOS = (b'<IPLOS xmlns="http://www.npr.no/xmlstds/iplos/2019" versjon="3.7"><INNHINFO/>'
         b"</IPLOS>")
GOOD_DETAILS: dict[str, Any] = {
    "wire.tls_protocol": "TLSv1.3", "wire.sasl_mechanism": "PLAIN",
    "wire.target": "/exchange/NHNTESTServiceBus/131725_async", "wire.body_sections": ["data"],
    "wire.message_id_type": "str", "wire.durable": None, "wire.ttl": None,
    "wire.property_types": {"fromHerId": "str", "toHerId": "str",
                            "applicationTimeStamp": "str"},
    "wire.container_id": "c-1", "wire.connection_id": 7,
    "cms.cipher": "aes-256-cbc", "cms.digest": "sha256", "cms.signed_attributes": False,
    "cms.embedded_root": False, "cms.recipient_id": "issuer-serial", "cms.recipients": 1,
    "cms.signer_id": "issuer-serial",
}


def message(subject: str = "KPR_IPL", *, details: dict[str, Any] | None = None,
            dispositions: tuple[str | None, ...] | None = ("accepted",),
            **changes: Any) -> Received:
    """A well-formed accepted message from 12345 (with its AppRec), changed as given."""
    message_id = str(uuid.uuid4())
    apprec = OutboundMessage("12345_async", str(uuid.uuid4()), "APPREC", CMS_CONTENT_TYPE, {},
                             b"cms", correlation_id=message_id)
    entry = JournalEntry(
        message_id=message_id, received_at=NOW, queue="131725_async", user="mockkpr-12345",
        sender_her_id="12345", receiver_her_id="131725", subject=subject,
        properties={"message-id": message_id, "correlation-id": message_id,
                    "to": "131725_async", "reply-to": "12345_async", "subject": subject,
                    "content-type": CMS_CONTENT_TYPE, "group-id": None, "body-kind": "data"},
        application_properties={"fromHerId": "12345", "toHerId": "131725",
                                "applicationTimeStamp": "2026-01-10T11:59:58Z"},
        body_size=4000, outcome=Outcome.ACCEPTED, payload=IPLOS, apprec_status="1",
        msghead={"msg_type": subject, "msg_id": "m", "mig_version": "v1.2 2006-05-24",
                 "ack": True, "sender": {"name": "Testkommune", "her_ids": [12345]},
                 "receiver": {"name": "KPR", "her_ids": [131725]}},
        report={"format": {"generation": "2019"}, "verdict": {"accepted": True},
                "findings": []},
        answers=[AnswerRecord("apprec", apprec, NOW)], id=1)
    entry = replace(entry, **changes)
    return Received(entry, GOOD_DETAILS if details is None else details, dispositions)


def observe(context: Context, *messages: Received, sends: tuple[SendRecord, ...] = (),
            run: Any = BASELINE) -> Observations:
    return Observations(run, context, tuple(messages), sends)


def send(tmp_path: Path, outcome: SendOutcome | None, *, role: Role = Role.IPLOS,
         failure: str | None = None, content: bytes = IPLOS) -> SendRecord:
    path = tmp_path / f"{role.value}.xml"
    path.write_bytes(content)
    document = Document(role, path.name, path, "KPR_IPL" if role is Role.IPLOS else "KPR_IDE",
                        "0" * 64, len(content))
    task = SendTask(path, "amqps://localhost:5671/NHNTESTServiceBus", tmp_path / "r.yaml",
                    12345, 131725, 3.0, tmp_path)
    return SendRecord(BASELINE.sends[-1], document, task, outcome, 1.0, failure=failure)


def only(checks: list[Any]) -> Any:
    assert len(checks) == 1, checks
    return checks[0]




NASTY_OUTPUT = "<script>alert('x')</script> & \x07bell \u00e6\u00f8\u00e5"


def certification(registry: Registry, tmp_path: Path) -> Certification:
    """A certification with a pass, a failed shall-case, a warning and an unjudged case, the
    sender's output holding markup and a control character."""
    context = Context(registry, 12345, 131725, "NHNTESTServiceBus")
    identity = send(tmp_path, SendOutcome(0, NASTY_OUTPUT, "stderr text", 0.4),
                    role=Role.IDENTITY)
    iplos = send(tmp_path, SendOutcome(0, "ok", "", 0.6))
    ide = message("KPR_IDE", payload=identity.document.path.read_bytes())
    ipl = message(details={}, payload=IPLOS)
    obs = Observations(BASELINE, context, (ide, ipl), (identity, iplos))
    started = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    execution = Execution(BASELINE, started, seed=7, seconds=1.25, observations=obs,
                          log=["12:00:00.000 run baseline", "12:00:01.250 observed 2"])
    results = []
    for case_id, checks in (
            ("KPR-CONF-015", [Check("content-type", True, "x", "x")]),
            ("KPR-CONF-031", [Check("content encryption", False, "aes-256-cbc",
                                    "KPR_IPL 1234: <aes-128-cbc>", hint="use AES-256")]),
            ("KPR-CONF-012", [Check("correlation-id", False, "equal", "different")]),
            ("KPR-CONF-001", [Check("TLS version", None, "TLSv1.2 or TLSv1.3",
                                    "the endpoint recorded no wire.tls_protocol")])):
        case = by_id()[case_id]
        results.append(CaseResult(case, case_status(case.level, checks), tuple(checks),
                                  execution))
    return Certification(results, {"baseline": execution}, started,
                         started + timedelta(seconds=2), 7, "our-sender {file}", "in-process",
                         "command")
