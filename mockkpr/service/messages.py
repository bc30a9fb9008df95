"""Wire-neutral messages: what the endpoint received and what it sends (profile §3, §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

CMS_CONTENT_TYPE = "application/pkcs7-mime; smime-type=signed-and-enveloped-data"
PLAIN_CONTENT_TYPES = frozenset({"text/plain", "application/soap+xml"})


class BodyKind(StrEnum):
    """How the body travelled: one ``data`` section (the norm), or an ``amqp-value``."""

    DATA = "data"
    VALUE_STRING = "amqp-value-string"
    VALUE_BINARY = "amqp-value-binary"
    OTHER = "other"


@dataclass(frozen=True)
class InboundMessage:
    """A message as it arrived on the KPR queue. Application property values are strings.

    ``wire`` holds what the AMQP layer observed about how it travelled (link, connection, TLS,
    sections, AMQP types: :mod:`mockkpr.endpoint.wire`); empty when not received over AMQP.
    """

    message_id: str | None
    correlation_id: str | None
    subject: str | None
    to: str | None
    reply_to: str | None
    content_type: str | None
    application_properties: dict[str, str]
    body: bytes
    body_kind: BodyKind = BodyKind.DATA
    group_id: str | None = None
    group_sequence: int | None = None
    user: str | None = None
    queue: str = ""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    delivery_count: int = 0
    wire: dict[str, Any] = field(default_factory=dict)

    def prop(self, name: str) -> str | None:
        """An application property, or None when absent or blank."""
        value = self.application_properties.get(name)
        return value if value else None


@dataclass(frozen=True)
class OutboundMessage:
    """A message the endpoint sends: an AppRec, a transport error or a feedback document.

    ``queue`` is the short queue name (``12345_async``); the AMQP layer routes it.
    ``document`` is the answer's document before it was signed and encrypted into ``body``
    (the AppRec XML), kept for the journal; it never goes on the wire.
    """

    queue: str
    message_id: str
    subject: str
    content_type: str
    application_properties: dict[str, str]
    body: bytes
    correlation_id: str | None = None
    to: str | None = None
    reply_to: str | None = None
    document: bytes | None = field(default=None, repr=False)
