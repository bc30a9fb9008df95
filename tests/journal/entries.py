"""Synthetic journal entries and answers for the journal, control API and CLI tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from mockkpr.journal.models import AnswerRecord, JournalEntry, Outcome
from mockkpr.service.messages import CMS_CONTENT_TYPE, OutboundMessage

_serial = itertools.count(1)

REPORT: dict[str, Any] = {
    "source": "payload",
    "format": {"kind": "KPR_IPL", "generation": "2019", "namespace": "urn:x", "label": "IPLOS"},
    "identity_format": None,
    "year": 2024,
    "kommune": "0301",
    "verdict": {"accepted": False, "worst_consequence": 1},
    "rows": {"total": 3, "kept": 2, "dropped": 1, "blanked": 0},
    "totals": {"per_rule": {"TJ-TIMERUKE-RANGE": 1}, "per_service_type": {},
               "per_consequence": {"1": 1}},
    "findings": [{"rule_id": "TJ-TIMERUKE-RANGE", "consequence": 1, "location": "/IPLOS",
                  "line": 7, "value": "200", "expected": "0.01..168",
                  "message": {"no": "Timer per uke", "en": "Hours per week"},
                  "requirement": "KPR 3.2", "service_type": None}],
    "findings_truncated": False,
}


def make_answer(kind: str = "apprec", *, queue: str = "80001_async", body: bytes = b"apprec",
                sent_at: datetime | None = None) -> AnswerRecord:
    """An answer with a fresh message-id for ``queue``."""
    return AnswerRecord(
        kind=kind,
        message=OutboundMessage(
            queue=queue,
            message_id=f"answer-{next(_serial)}",
            subject="APPREC",
            content_type=CMS_CONTENT_TYPE,
            application_properties={"fromHerId": "90001", "toHerId": "80001"},
            body=body,
            correlation_id="corr-1",
            to=queue,
            reply_to=None,
        ),
        sent_at=sent_at or datetime.now(UTC),
    )


def make_entry(**overrides: Any) -> JournalEntry:
    """An answered (ACCEPTED) entry from sender 80001 with one AppRec, fields overridable."""
    serial = next(_serial)
    values: dict[str, Any] = {
        "message_id": f"msg-{serial}",
        "received_at": datetime.now(UTC),
        "queue": "90001_async",
        "user": "kommune-80001",
        "sender_her_id": "80001",
        "receiver_her_id": "90001",
        "subject": "KPR_IPL",
        "properties": {"message-id": f"msg-{serial}", "to": "90001_async", "reply-to": None},
        "application_properties": {"fromHerId": "80001", "toHerId": "90001"},
        "body_size": 1234,
        "outcome": Outcome.ACCEPTED,
        "payload": b"<IPLOS/>",
        "msghead": {"msg_id": f"MSGID-{serial}", "msg_type": "KPR_IPL"},
        "apprec_status": "1",
        "report": None,
        "answers": [make_answer()],
        "answered_at": datetime.now(UTC),
    }
    values.update(overrides)
    return JournalEntry(**values)
