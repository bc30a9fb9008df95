"""Transport error messages as NHN's receivers send them to the sender's ``_error`` queue.

Layout (profile §4): empty body, a new message-id, subject = the original message function,
``fromHerId``/``toHerId`` swapped, and the application properties ``originalMessageId``,
``receiverTimeStamp`` (``MM/dd/yyyy HH:mm:ss``, not ISO), ``errorCondition``,
``errorDescription`` and, when there is data, ``errorConditionData`` (items each ending
with ``;``). The content-type is ``text/plain`` although NHN's newest library omits it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from mockkpr.errors import TransportError
from mockkpr.service.messages import ERROR_CONTENT_TYPE, InboundMessage, OutboundMessage

MISSING_FIELDS = "transport:invalid-field-value"
MISSING_FIELDS_DESCRIPTION = "One or more fields are missing"
SPOOFING = "abuse:spoofing-attack"
UNSUPPORTED = "transport:unsupported-message"


def receiver_timestamp(now: datetime) -> str:
    """``receiverTimeStamp`` in the .NET invariant format NHN's receivers use."""
    return now.strftime("%m/%d/%Y %H:%M:%S")


def error_message(
    inbound: InboundMessage, error: TransportError, *, queue: str, now: datetime
) -> OutboundMessage:
    """The message for ``error`` about ``inbound``, to the sender's error ``queue``."""
    properties = {
        "fromHerId": inbound.prop("toHerId") or "",
        "toHerId": inbound.prop("fromHerId") or "",
        "originalMessageId": inbound.message_id or "",
        "receiverTimeStamp": receiver_timestamp(now),
        "errorCondition": error.condition,
        "errorDescription": error.description,
    }
    if error.data:
        properties["errorConditionData"] = "".join(f"{item};" for item in error.data)
    return OutboundMessage(
        queue=queue,
        message_id=str(uuid.uuid4()),
        subject=inbound.subject or "",
        content_type=ERROR_CONTENT_TYPE,
        application_properties=properties,
        body=b"",
        correlation_id=inbound.message_id,
        to=queue,
    )
