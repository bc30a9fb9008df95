"""Split messages (AMQP groups) as the receiver bounds them: fields, limits and expiry.

The convention is in docs/endpoint.md ("Split messages"). What this module adds to it:

- ``groupSize`` must be a whole number from 1 to :data:`MAX_GROUP_PARTS` (a number no integer
  column holds would otherwise make the part fail on every delivery, for ever);
- a group may hold ``MOCKKPR_MAX_PAYLOAD_BYTES`` plus :data:`ENVELOPE_ALLOWANCE` (the MsgHead and
  CMS around the document); it is refused as soon as the bytes received, or the size its parts
  declare (``groupSize`` times a part that is not the last), pass that;
- one sender may have ``MOCKKPR_MAX_OPEN_GROUPS`` incomplete groups holding at most
  ``MOCKKPR_MAX_OPEN_GROUP_BYTES``;
- a group not complete ``MOCKKPR_GROUP_TIMEOUT`` seconds after its first part is dropped and its
  sender told.

Every refusal is one transport error about the *group* (``originalMessageId`` = the group-id),
and the group's stored parts are dropped; its later parts are accepted and discarded, but for
the last, which gets the same answer again (a group sent again ends with it).
"""

from __future__ import annotations

import re
from typing import Any

from mockkpr.journal.models import GroupLimits, StaleGroup
from mockkpr.service.messages import InboundMessage
from mockkpr.service.observations import PART_CONNECTION
from mockkpr.settings import Settings

#: The application property holding the number of parts (a string, like all of them).
GROUP_SIZE = "groupSize"
#: The most parts a group may have.
MAX_GROUP_PARTS = 100_000
#: Bytes a group may hold beyond the largest payload: the MsgHead and CMS around it.
ENVELOPE_ALLOWANCE = 1 << 20
#: ``JournalEntry.details`` key marking the entry of a refused or expired group: its later
#: parts are dropped. Its value says why (``refused`` or ``expired``).
GROUP_REFUSED = "group.refused"

_DIGITS = re.compile(r"[0-9]{1,10}")


def limits_of(settings: Settings) -> GroupLimits:
    """The bounds on stored groups that ``settings`` give."""
    return GroupLimits(max_bytes=settings.max_payload_bytes + ENVELOPE_ALLOWANCE,
                       max_open_groups=settings.max_open_groups,
                       max_open_bytes=settings.max_open_group_bytes)


def parse_group_size(text: str | None) -> int | None:
    """The number of parts ``groupSize`` gives, or None when it is not a whole number from 1
    to :data:`MAX_GROUP_PARTS` in ASCII digits."""
    if text is None or _DIGITS.fullmatch(text) is None:
        return None
    count = int(text)
    return count if 1 <= count <= MAX_GROUP_PARTS else None


def part_meta(inbound: InboundMessage) -> dict[str, Any]:
    """What is kept with a stored part: enough to answer for its group if it never completes."""
    return {
        "message_id": inbound.message_id or "",
        PART_CONNECTION: inbound.wire.get("wire.connection_id"),
        "subject": inbound.subject,
        "content_type": inbound.content_type,
        "user": inbound.user,
        "queue": inbound.queue,
        "application_properties": dict(inbound.application_properties),
    }


def refused_details(inbound: InboundMessage, why: str) -> dict[str, Any]:
    """The ``group.*`` details of the entry that answers for a refused group."""
    return {GROUP_REFUSED: why, "group.id": inbound.group_id,
            "group.part_message_id": inbound.message_id}


def expired_message(stale: StaleGroup) -> InboundMessage:
    """The group as one message, for the entry and the transport error of its expiry: the
    group-id as message-id, the properties of its first stored part."""
    meta = stale.meta
    properties = meta.get("application_properties") or {}
    return InboundMessage(
        message_id=stale.group_id, correlation_id=None, subject=meta.get("subject"), to=None,
        reply_to=None, content_type=meta.get("content_type"),
        application_properties={str(k): str(v) for k, v in properties.items()},
        body=b"", group_id=stale.group_id, user=meta.get("user"), queue=meta.get("queue") or "",
        wire={GROUP_REFUSED: "expired", "group.id": stale.group_id,
              "group.parts": stale.received, "group.size": stale.count,
              "group.bytes": stale.size})
