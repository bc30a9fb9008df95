"""The control API's JSON shapes (they document themselves in the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, Field

from mockkpr.journal.models import REF_ID, AnswerRecord, JournalEntry, Outcome


class AnswerOut(BaseModel):
    """One message sent in answer; the (encrypted) body is summarised by its size."""

    kind: str = Field(description="apprec, transport-error or feedback")
    sent_at: datetime
    queue: str = Field(description="The queue it was sent to, e.g. 80001_async.")
    message_id: str
    correlation_id: str | None
    subject: str
    content_type: str
    application_properties: dict[str, str]
    body_size: int
    disposition: str | None = Field(
        description="How the sender settled the delivery: accepted, rejected, released or "
        "modified; null before that.")
    settled_at: datetime | None

    @classmethod
    def of(cls, answer: AnswerRecord) -> AnswerOut:
        """The summary of ``answer``."""
        message = answer.message
        return cls(kind=answer.kind, sent_at=answer.sent_at, queue=message.queue,
                   message_id=message.message_id, correlation_id=message.correlation_id,
                   subject=message.subject, content_type=message.content_type,
                   application_properties=message.application_properties,
                   body_size=len(message.body), disposition=answer.disposition,
                   settled_at=answer.settled_at)


class EntryOut(BaseModel):
    """A journal entry without payload, envelope or report (``GET /api/messages``)."""

    id: int = Field(description="Journal id; ids only grow, use it as after_id.")
    message_id: str = Field(description="The AMQP message-id.")
    msg_id: str | None = Field(description="The MsgHead MsgInfo/MsgId, once read.")
    received_at: datetime
    queue: str
    user: str | None
    sender_her_id: str | None
    receiver_her_id: str | None
    subject: str | None
    outcome: Outcome
    apprec_status: str | None = Field(description="AppRec status sent: 1, 2 or 3.")
    error_condition: str | None
    error_description: str | None
    error_data: list[str]
    properties: dict[str, str | None]
    application_properties: dict[str, str]
    body_size: int
    answered_at: datetime | None
    answers: list[AnswerOut]
    ref_id: str | None = Field(description="The refId the HTTP API answered (null for a "
                               "message from the service bus); it names this entry.")
    links: dict[str, str] = Field(description="URLs of this entry (by refId for an HTTP "
                                  "submission), its feedback and payload, and its page in "
                                  "the web view.")

    @classmethod
    def fields_of(cls, entry: JournalEntry) -> dict[str, Any]:
        """The field values of ``entry`` shared by every entry shape."""
        assert entry.id is not None
        ref_id = entry.details.get(REF_ID)
        ref_id = ref_id if isinstance(ref_id, str) else None
        base = f"/api/messages/{quote(ref_id or entry.message_id, safe='')}"
        return {
            "id": entry.id, "message_id": entry.message_id, "msg_id": entry.msg_id,
            "received_at": entry.received_at, "queue": entry.queue, "user": entry.user,
            "sender_her_id": entry.sender_her_id, "receiver_her_id": entry.receiver_her_id,
            "subject": entry.subject, "outcome": entry.outcome,
            "apprec_status": entry.apprec_status, "error_condition": entry.error_condition,
            "error_description": entry.error_description, "error_data": list(entry.error_data),
            "properties": entry.properties,
            "application_properties": entry.application_properties,
            "body_size": entry.body_size, "answered_at": entry.answered_at,
            "answers": [AnswerOut.of(a) for a in entry.answers], "ref_id": ref_id,
            "links": {"self": base, "feedback": f"{base}/feedback", "payload": f"{base}/payload",
                      "web": f"/messages/{entry.id}"},
        }

    @classmethod
    def of(cls, entry: JournalEntry) -> EntryOut:
        """The summary of ``entry``."""
        return cls(**cls.fields_of(entry))


class EntryDetail(EntryOut):
    """A journal entry with envelope and validation report (``GET /api/messages/{id}``)."""

    msghead: dict[str, Any] | None = Field(description="What the MsgHead envelope said.")
    report: dict[str, Any] | None = Field(
        description="The validator's report (one item of the reports of "
        "`mockkpr docs report-schema.json`).")
    payload_size: int | None = Field(description="Bytes of the decrypted payload, if any.")
    details: dict[str, Any] = Field(
        description="What the endpoint observed: wire.*, cms.* and group.* keys "
        "(`mockkpr docs observations`).")

    @classmethod
    def of(cls, entry: JournalEntry) -> EntryDetail:
        """Everything about ``entry`` except the payload bytes."""
        return cls(**cls.fields_of(entry), msghead=entry.msghead, report=entry.report,
                   payload_size=None if entry.payload is None else len(entry.payload),
                   details=entry.details)


class Readiness(BaseModel):
    """``GET /readyz``: ready only when every check is true."""

    status: str = Field(description="ready or not ready")
    checks: dict[str, bool]


class Problem(BaseModel):
    """An error answer: what went wrong, in one sentence."""

    detail: str


class ResetOptions(BaseModel):
    """The body of ``POST /api/reset`` (``{}`` for the defaults)."""

    model_config = {"extra": "forbid"}

    drop_queued: bool = Field(
        False, description="Also drop the answers still owed to senders (queued AppRecs and "
        "transport errors); by default they are kept and delivered.")
