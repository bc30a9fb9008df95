"""Conversions between the journal's values and table rows, and filters as SQL conditions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from mockkpr.journal import tables as t
from mockkpr.journal.models import (
    REF_ID,
    AnswerRecord,
    JournalEntry,
    MessageFilter,
    Outcome,
    QueuedMessage,
    whole_guid,
)
from mockkpr.service.messages import OutboundMessage


def entry_values(entry: JournalEntry) -> dict[str, Any]:
    """The ``entries`` columns of ``entry`` (without ``id``)."""
    return {
        "message_id": entry.message_id,
        "msg_id": entry.msg_id,
        "received_at": entry.received_at,
        "queue": entry.queue,
        "user_name": entry.user,
        "sender_her_id": entry.sender_her_id,
        "receiver_her_id": entry.receiver_her_id,
        "subject": entry.subject,
        "properties": dict(entry.properties),
        "application_properties": dict(entry.application_properties),
        "body_size": entry.body_size,
        "outcome": entry.outcome.value,
        "payload": entry.payload,
        "msghead": entry.msghead,
        "apprec_status": entry.apprec_status,
        "error_condition": entry.error_condition,
        "error_description": entry.error_description,
        "error_data": list(entry.error_data),
        "report": entry.report,
        "answered_at": entry.answered_at,
        "details": dict(entry.details),
        "envelope": entry.envelope,
    }


def entry_from_row(row: sa.RowMapping, answers: list[AnswerRecord]) -> JournalEntry:
    """A :class:`JournalEntry` from an ``entries`` row; absent columns become None."""
    return JournalEntry(
        id=row["id"],
        message_id=row["message_id"],
        received_at=row["received_at"],
        queue=row["queue"],
        user=row["user_name"],
        sender_her_id=row["sender_her_id"],
        receiver_her_id=row["receiver_her_id"],
        subject=row["subject"],
        properties=dict(row["properties"]),
        application_properties=dict(row["application_properties"]),
        body_size=row["body_size"],
        outcome=Outcome(row["outcome"]),
        payload=row.get("payload"),
        msghead=row["msghead"],
        apprec_status=row["apprec_status"],
        error_condition=row["error_condition"],
        error_description=row["error_description"],
        error_data=tuple(row["error_data"]),
        report=row.get("report"),
        answers=answers,
        answered_at=row["answered_at"],
        details=dict(row["details"]),
        envelope=_bytes(row.get("envelope")),
    )


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def message_values(message: OutboundMessage) -> dict[str, Any]:
    """The message columns of ``message`` (shared by ``answers`` and ``queued``)."""
    return {
        "to_queue": message.queue,
        "message_id": message.message_id,
        "subject": message.subject,
        "content_type": message.content_type,
        "application_properties": dict(message.application_properties),
        "body": message.body,
        "correlation_id": message.correlation_id,
        "to_address": message.to,
        "reply_to": message.reply_to,
    }


def message_from_row(row: sa.RowMapping) -> OutboundMessage:
    """The :class:`OutboundMessage` held in an ``answers`` or ``queued`` row."""
    return OutboundMessage(
        queue=row["to_queue"],
        message_id=row["message_id"],
        subject=row["subject"],
        content_type=row["content_type"],
        application_properties=dict(row["application_properties"]),
        body=bytes(row["body"]),
        correlation_id=row["correlation_id"],
        to=row["to_address"],
        reply_to=row["reply_to"],
        document=_bytes(row.get("document")),
    )


def answer_values(entry_id: int, answer: AnswerRecord) -> dict[str, Any]:
    """An ``answers`` row for ``answer`` of entry ``entry_id``."""
    return {"entry_id": entry_id, "kind": answer.kind, "sent_at": answer.sent_at,
            "disposition": answer.disposition, "settled_at": answer.settled_at,
            "document": answer.message.document, **message_values(answer.message)}


def answer_from_row(row: sa.RowMapping) -> AnswerRecord:
    """The :class:`AnswerRecord` of an ``answers`` row."""
    return AnswerRecord(kind=row["kind"], message=message_from_row(row), sent_at=row["sent_at"],
                        disposition=row["disposition"], settled_at=row["settled_at"])


def queued_from_row(row: sa.RowMapping) -> QueuedMessage:
    """The :class:`QueuedMessage` of a ``queued`` row."""
    return QueuedMessage(
        id=row["id"],
        queue=row["queue"],
        message=message_from_row(row),
        delivery_count=row["delivery_count"],
        enqueued_at=row["enqueued_at"],
        not_before=row["not_before"],
    )


def conditions(flt: MessageFilter, *, settled_only: bool = False) -> list[sa.ColumnElement[bool]]:
    """SQL conditions on ``entries`` equivalent to :meth:`MessageFilter.matches`.

    With ``settled_only`` and no outcome in the filter, PENDING entries are left out (waits).
    """
    e = t.entries.c
    where: list[sa.ColumnElement[bool]] = []
    if flt.sender_her_id is not None:
        where.append(e.sender_her_id == flt.sender_her_id)
    if flt.subject is not None:
        where.append(e.subject == flt.subject)
    if flt.outcome is not None:
        where.append(e.outcome == flt.outcome.value)
    elif settled_only:
        where.append(e.outcome != Outcome.PENDING.value)
    if flt.message_id is not None:
        where.append(e.message_id == flt.message_id)
    if flt.since is not None:
        where.append(e.received_at >= flt.since)
    if flt.until is not None:
        where.append(e.received_at <= flt.until)
    if flt.after_id is not None:
        where.append(e.id > flt.after_id)
    if flt.apprec_status is not None:
        where.append(e.apprec_status == flt.apprec_status)
    if flt.search:
        search = flt.search.lower()
        found = [sa.func.lower(e.message_id).startswith(search, autoescape=True),
                 sa.func.lower(e.msg_id).startswith(search, autoescape=True)]
        if whole_guid(search):  # a refId is searched whole (it is not indexed)
            found.append(e.details[REF_ID].as_string() == search)
        where.append(sa.or_(*found))
    return where


def entry_columns(*, with_payload: bool, with_report: bool) -> list[sa.Column[Any]]:
    """The ``entries`` columns to select; the two big ones only on request."""
    skip: set[str] = set()
    if not with_payload:
        skip.update(("payload", "envelope"))
    if not with_report:
        skip.add("report")
    return [column for column in t.entries.c if column.name not in skip]


def group_answers(rows: Iterable[sa.RowMapping]) -> dict[int, list[AnswerRecord]]:
    """``answers`` rows (in id order) grouped by their entry id."""
    grouped: dict[int, list[AnswerRecord]] = {}
    for row in rows:
        grouped.setdefault(row["entry_id"], []).append(answer_from_row(row))
    return grouped
