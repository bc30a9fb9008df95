"""The one place where AMQP messages become mockkpr values and back (profile §3).

Inbound: any standards-compliant client's message, tolerant of what real senders vary in
(ids as UUIDs, strings, binaries or numbers; a data section or an ``amqp-value`` body;
non-string application property values). Outbound: exactly what NHN's senders put on the
wire — one data section, string application properties, no ``durable`` flag.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from proton import Message

from mockkpr.proton_message import content_type as _content_type
from mockkpr.service.herids import canonical_her_ids
from mockkpr.service.messages import BodyKind, InboundMessage, OutboundMessage


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))  # proton's ulong, uint, ... print as "uint(12345)"
    if isinstance(value, float):
        return str(float(value))
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.hex()
    return str(value)


def _body(message: Message) -> tuple[bytes, BodyKind]:
    body = message.body
    if isinstance(body, memoryview | bytes | bytearray):
        # proton hands out views into a reused buffer: copy now (amqp-engineering.md).
        data = bytes(body)
        return data, BodyKind.DATA if message.inferred else BodyKind.VALUE_BINARY
    if isinstance(body, str):
        return body.encode("utf-8"), BodyKind.VALUE_STRING
    if body is None:
        return b"", BodyKind.DATA if message.inferred else BodyKind.OTHER
    return (_text(body) or "").encode("utf-8"), BodyKind.OTHER


def _properties(message: Message) -> dict[str, str]:
    """Application properties as strings (NHN's are strings; others are tolerated)."""
    raw: dict[Any, Any] = dict(message.properties or {})
    return {str(key): _text(value) or "" for key, value in raw.items()}


def to_inbound(
    message: Message, *, queue: str, user: str | None, delivery_count: int = 0,
    wire: dict[str, Any] | None = None,
) -> InboundMessage:
    """An AMQP message received on ``queue`` from a connection of ``user``.

    ``wire``: how it travelled (:func:`mockkpr.endpoint.wire.observe`).
    """
    body, kind = _body(message)
    properties, as_sent = canonical_her_ids(_properties(message))  # HER-ids: one form inside
    observed = dict(wire or {})
    if as_sent:
        observed["wire.her_ids_as_sent"] = as_sent
    sequence = message.group_sequence
    return InboundMessage(
        message_id=_text(message.id),
        correlation_id=_text(message.correlation_id),
        subject=message.subject,
        to=message.address,
        reply_to=message.reply_to,
        content_type=_content_type(message),
        application_properties=properties,
        body=body,
        body_kind=kind,
        group_id=message.group_id,
        group_sequence=int(sequence) if sequence is not None and message.group_id else None,
        user=user,
        queue=queue,
        received_at=datetime.now(UTC),
        delivery_count=delivery_count,
        wire=observed,
    )


def to_amqp(message: OutboundMessage, *, delivery_count: int = 0) -> Message:
    """The AMQP message for an outbound AppRec, transport error or feedback document."""
    amqp = Message(
        id=message.message_id,
        correlation_id=message.correlation_id,
        subject=message.subject,
        content_type=message.content_type,
        address=message.to,
        reply_to=message.reply_to,
        properties=dict(message.application_properties),
        body=message.body,
        inferred=True,  # a data section, as NHN's senders and other SDKs use
    )
    amqp.delivery_count = delivery_count
    amqp.first_acquirer = delivery_count == 0
    return amqp


def from_amqp(message: Message) -> OutboundMessage:
    """An AMQP message read by a client, as the value the endpoint sent (tests, client)."""
    body, _ = _body(message)
    return OutboundMessage(
        queue=message.address or "",
        message_id=_text(message.id) or str(uuid.uuid4()),
        subject=message.subject or "",
        content_type=_content_type(message) or "",
        application_properties=_properties(message),
        body=body,
        correlation_id=_text(message.correlation_id),
        to=message.address,
        reply_to=message.reply_to,
    )
