"""Transport error messages as NHN's parties send them to the sender's ``_error`` queue.

Layout (nhn-amqp-profile.md §4 and §8; docs/receipts.md has the field table):

- a new message-id (a UUID); ``correlation-id`` = the original message-id;
- ``subject`` = the original message function (``UNKNOWN`` when the original had none: NHN's
  listener refuses a message without one, on the error queue too);
- application properties, all strings: ``fromHerId`` = the receiver that reports (KPR) and
  ``toHerId`` = the original sender, both integer text as NHN parses them; ``applicationTimeStamp``
  (``yyyy-MM-ddTHH:mm:ssZ``, UTC) and ``enqueuedTimeUtc``, since NHN's listener runs its header
  check on the error queue as well; ``originalMessageId``, ``receiverTimeStamp`` (UTC in .NET's
  invariant ``MM/dd/yyyy HH:mm:ss``), ``errorCondition``, ``errorDescription`` and, when there is
  data, ``errorConditionData`` (items each ending with ``;``);
- the original message's body and content type, as NHN's parties have sent them: NHN's listener
  does not open a CMS body on the error queue, and parses a ``text/plain`` or
  ``application/soap+xml`` body as XML. Where the original's content type is missing, or is one
  of those two with a body that is not XML, the content type is ``application/octet-stream``
  (the listener would otherwise fail on the body, or refuse the missing content type).
  An original larger than ``max_body`` (``MOCKKPR_MAX_MESSAGE_BYTES``), which only a
  reassembled split message can be, is not returned: the error must itself fit on the
  sender's link, and a hostile group of a gigabyte must not be stored and held again as its
  answer. Such an error has an empty body (with a CMS content type the listener does not open
  it; a plain one becomes ``application/octet-stream``).

A message without a usable ``fromHerId`` cannot be answered at all: NHN's library then sends no
error either ("FromHerId is missing. No idea where to send the error"). The receiver records it
as unanswerable.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from lxml import etree

from mockkpr.errors import TransportError
from mockkpr.service.messages import InboundMessage, OutboundMessage

MISSING_FIELDS = "transport:invalid-field-value"
MISSING_FIELDS_DESCRIPTION = "One or more fields are missing"
SPOOFING = "abuse:spoofing-attack"
UNSUPPORTED = "transport:unsupported-message"

#: The subject of an error about a message that had none.
UNKNOWN_FUNCTION = "UNKNOWN"
#: The content type of an original body NHN's listener could not read as its own type says.
OPAQUE_CONTENT_TYPE = "application/octet-stream"
# The content types NHN's listener reads as unprotected XML (compared whole, ignoring case).
_PLAIN = frozenset({"text/plain", "application/soap+xml"})
APPLICATION_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"
ENQUEUED_TIME = "%Y-%m-%dT%H:%M:%S"
#: The largest original body returned by default: ``MOCKKPR_MAX_MESSAGE_BYTES``'s default.
DEFAULT_MAX_BODY = 20 << 20


def receiver_timestamp(now: datetime) -> str:
    """``receiverTimeStamp``: UTC in the .NET invariant format NHN's receivers use."""
    return _utc(now).strftime("%m/%d/%Y %H:%M:%S")


def error_message(
    inbound: InboundMessage, error: TransportError, *, queue: str, now: datetime,
    reporter: int, sender: int, max_body: int = DEFAULT_MAX_BODY,
) -> OutboundMessage:
    """The message for ``error`` about ``inbound``, to the sender's error ``queue``.

    ``reporter`` is the HER-id of the party that reports (KPR), ``sender`` the original
    sender's HER-id as the address register knows it; an original body over ``max_body``
    bytes is left out (module docstring).
    """
    body = inbound.body if len(inbound.body) <= max_body else b""
    utc = _utc(now)
    properties = {
        "fromHerId": str(reporter),
        "toHerId": str(sender),
        "applicationTimeStamp": utc.strftime(APPLICATION_TIMESTAMP),
        "enqueuedTimeUtc": utc.strftime(ENQUEUED_TIME),
        "originalMessageId": inbound.message_id or "",
        "receiverTimeStamp": receiver_timestamp(utc),
        "errorCondition": error.condition,
        "errorDescription": error.description,
    }
    if error.data:
        properties["errorConditionData"] = "".join(f"{item};" for item in error.data)
    return OutboundMessage(
        queue=queue,
        message_id=str(uuid.uuid4()),
        subject=inbound.subject or UNKNOWN_FUNCTION,
        content_type=returned_content_type(inbound.content_type, body),
        application_properties=properties,
        body=body,
        correlation_id=inbound.message_id,
        to=queue,
    )


def returned_content_type(content_type: str | None, body: bytes) -> str:
    """The content type the original body is returned with (module docstring)."""
    if not content_type:
        return OPAQUE_CONTENT_TYPE
    if content_type.lower() in _PLAIN and not _is_xml(body):
        return OPAQUE_CONTENT_TYPE
    return content_type


def _is_xml(body: bytes) -> bool:
    """True when ``body`` is a well-formed XML document without a DOCTYPE."""
    try:
        root = etree.fromstring(body, etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False))
    except (etree.XMLSyntaxError, ValueError):
        return False
    return root is not None and root.getroottree().docinfo.internalDTD is None


def _utc(now: datetime) -> datetime:
    return now.astimezone(UTC) if now.tzinfo is not None else now
