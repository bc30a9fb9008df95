"""Values the journal stores and returns (the contract between endpoint, journal and API)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from mockkpr.errors import InputError
from mockkpr.service.messages import OutboundMessage

#: ``details`` key of an HTTP submission's reference id (the API's ``refId``): it names the
#: journal entry, and a duplicate is answered with the earlier submission's one.
REF_ID = "http.ref_id"
_WHOLE_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def whole_guid(text: str) -> bool:
    """Whether ``text`` (lower case) is a whole GUID, as refIds are: the list's search then
    also looks for the entry with that refId."""
    return _WHOLE_GUID.fullmatch(text) is not None


class Outcome(StrEnum):
    """What became of an inbound message."""

    PENDING = "pending"  # recorded, not yet answered (processing or waiting for parts)
    ACCEPTED = "accepted"  # AppRec status 1
    PARTIAL = "partial"  # AppRec status 3 (OK, errors in a part)
    REJECTED = "rejected"  # AppRec status 2
    TRANSPORT_ERROR = "transport-error"  # an error message on the sender's _error queue
    UNANSWERABLE = "unanswerable"  # no fromHerId or no known sender: nothing could be sent
    NO_RECEIPT_REQUESTED = "no-receipt"  # MsgHead Ack = N: validated, no AppRec sent
    DUPLICATE = "duplicate"  # same message-id again: the earlier answer was sent again
    REFUSED = "refused"  # the delivery was rejected (the account may not send as fromHerId)


@dataclass(frozen=True)
class AnswerRecord:
    """One message the endpoint sent in answer (AppRec, transport error, feedback)."""

    kind: str  # "apprec" | "transport-error" | "feedback"
    message: OutboundMessage
    sent_at: datetime
    #: Held in its queue until the endpoint's clock reaches this (a late AppRec fault); the
    #: journal keeps it on the queued message, not on the answer.
    not_before: datetime | None = None
    #: How the sender settled its delivery of this answer: ``accepted``, ``rejected``,
    #: ``released`` or ``modified``; None before that (or when it settled without an outcome,
    #: ``settled_at`` then set). Recorded by the endpoint (:meth:`Journal.set_answer_disposition`).
    disposition: str | None = None
    settled_at: datetime | None = None


@dataclass
class JournalEntry:
    """One inbound message with everything learnt about it.

    ``properties`` holds the AMQP properties (message-id, correlation-id, to, reply-to,
    subject, content-type, group-id, group-sequence) and ``application_properties`` the
    application properties, all as strings. ``report`` is the validator's JSON report
    (``docs/report-schema.json``, one item of ``reports``) when the payload was validated.

    ``msghead`` and ``report`` must be JSON-serialisable (strings, numbers, booleans, lists,
    dicts; dates as ISO strings). ``msghead["msg_id"]`` (the MsgHead ``MsgInfo/MsgId``), when
    present, is indexed so that an entry can be found by it as well as by the AMQP message-id.
    Datetimes are timezone-aware; the journal stores them in UTC and returns them in UTC.

    ``details`` holds what the endpoint observed, as flat dotted keys with JSON values:
    ``wire.*`` (how the message travelled), ``cms.*`` (its payload security) and ``group.*``
    (a reassembled split message); docs/observations.md lists them.

    ``envelope`` is the decrypted MsgHead with the document it carried left out
    (:func:`mockkpr.service.outline.envelope_outline`), once the MsgHead was read; like
    ``payload``, it is loaded only on request.
    """

    message_id: str
    received_at: datetime
    queue: str
    user: str | None
    sender_her_id: str | None
    receiver_her_id: str | None
    subject: str | None
    properties: dict[str, str | None]
    application_properties: dict[str, str]
    body_size: int
    outcome: Outcome = Outcome.PENDING
    payload: bytes | None = None
    msghead: dict[str, Any] | None = None
    apprec_status: str | None = None
    error_condition: str | None = None
    error_description: str | None = None
    error_data: tuple[str, ...] = ()
    report: dict[str, Any] | None = None
    answers: list[AnswerRecord] = field(default_factory=list)
    answered_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    envelope: bytes | None = None
    id: int | None = None

    @property
    def msg_id(self) -> str | None:
        """The MsgHead ``MsgInfo/MsgId``, when the envelope was read and carried one."""
        value = (self.msghead or {}).get("msg_id")
        return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class MessageFilter:
    """Which journal entries to list or wait for; None means "any"."""

    sender_her_id: str | None = None
    subject: str | None = None
    outcome: Outcome | None = None
    message_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_id: int | None = None
    #: AppRec status sent (``1``, ``2``, ``3``).
    apprec_status: str | None = None
    #: The start of the AMQP message-id or the MsgHead MsgId, in any case, or a whole refId.
    search: str | None = None

    def matches(self, entry: JournalEntry) -> bool:
        """True when ``entry`` passes every given criterion (used by waits)."""
        search = (self.search or "").lower()
        return (
            (self.apprec_status is None or entry.apprec_status == self.apprec_status)
            and (not search or entry.message_id.lower().startswith(search)
                 or (entry.msg_id or "").lower().startswith(search)
                 or (whole_guid(search) and entry.details.get(REF_ID) == search))
            and (self.sender_her_id is None or entry.sender_her_id == self.sender_her_id)
            and (self.subject is None or entry.subject == self.subject)
            and (self.outcome is None or entry.outcome == self.outcome)
            and (self.message_id is None or entry.message_id == self.message_id)
            and (self.since is None or entry.received_at >= self.since)
            and (self.until is None or entry.received_at <= self.until)
            and (self.after_id is None or (entry.id is not None and entry.id > self.after_id))
        )


@dataclass(frozen=True)
class QueuedMessage:
    """A message waiting in one of the endpoint's durable queues.

    ``queue`` is the queue it waits in now (a dead-letter queue after
    :meth:`~mockkpr.journal.store.Journal.move_queued`); ``message.queue`` stays the queue it was
    addressed to. ``delivery_count`` counts the deliveries that were not accepted.
    ``not_before``: not delivered before the endpoint's clock reaches it (None: at once).
    """

    id: int
    queue: str
    message: OutboundMessage
    delivery_count: int
    enqueued_at: datetime
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class QueueChange:
    """One change the endpoint makes to its durable queues after a delivery
    (:meth:`~mockkpr.journal.store.Journal.apply_changes` applies several in one transaction).

    ``kind``: ``remove`` (``queued_id`` delivered), ``requeue`` (``queued_id`` kept with
    ``delivery_count``), ``move`` (``queued_id`` to ``queue``, dead-lettering) or
    ``disposition`` (the answer with AMQP ``message_id`` settled as ``disposition`` ``at``).
    """

    kind: str
    queued_id: int = 0
    delivery_count: int = 0
    queue: str = ""
    message_id: str = ""
    disposition: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredIdentity:
    """An accepted identity message as ``Journal.identity_messages`` lists it: enough to pick
    the one an annual file is joined with (``details`` holds its pairing key)."""

    id: int
    message_id: str
    msg_id: str | None
    received_at: datetime
    details: dict[str, Any]


# -- split messages (Journal.add_part and friends) ------------------------------------------

@dataclass(frozen=True)
class GroupLimits:
    """Bounds on stored split messages: a group's bytes, and per sender the incomplete groups
    and their bytes (:mod:`mockkpr.journal._parts`)."""

    max_bytes: int
    max_open_groups: int
    max_open_bytes: int


@dataclass(frozen=True)
class CompleteGroup:
    """Every part of a group is stored: their metas in sequence order and their total size."""

    metas: list[dict[str, Any]]
    size: int


@dataclass(frozen=True)
class StaleGroup:
    """An incomplete group whose first part is older than asked (for expiry)."""

    group_id: str
    sender_key: str
    count: int
    received: int
    size: int
    first_received: datetime
    meta: dict[str, Any]


class GroupRefused(InputError):
    """A part that cannot be stored: ``items`` are the transport error's data items, the first
    one naming the field at fault (``groupSize``, ``group-sequence`` or ``group-id``)."""

    def __init__(self, message: str, items: tuple[str, ...]) -> None:
        super().__init__(message)
        self.items = items
