"""What the 56.0.0 rules remember from one notification to the next.

The event message is a stream: notifications chain to the previous one, carry increasing running
numbers, correct (M) or annul (C) an earlier N, and end, pause or change services started
earlier. The rules that judge this keep their memory in one :class:`EventHistory`, stored in the
context under :data:`HISTORY_KEY`. Each field is read and written by exactly one rule, which
reads it before it records the current notification, so the rules do not depend on their order.

**Each message is judged on its own**: the history starts empty, as if the message were the first
the kommune ever sent. Its first notification must then chain to the all-zero GUID, and every
reference, ending or pause must find its start in the same message. A caller that keeps earlier
messages of the kommune (a journal) can put a filled :class:`EventHistory` into
``ctx.state[HISTORY_KEY]`` before the document is judged; the rules then continue from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.registry import Context

HISTORY_KEY = "EV-HISTORY"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
"""``notifikasjonForrigeGUID`` of the very first notification (iplos-format.md §2)."""

# The schema's Guid type: 8-4-4-4-12 hex digits, bare or in braces.
_GUID = re.compile(r"([0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12})|"
                   r"\{([0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12})\}")


@dataclass
class EventHistory:
    """The notifications before the current one, as far as the rules need them.

    GUIDs are kept as :func:`guid_key` values (lower case, no braces).
    """

    last_guid: str | None = None
    """GUID of the previous notification; None before the first (EV-CHAIN)."""
    last_lopenr: int | None = None
    """Running number of the previous notification (EV-LOPENR-ORDER)."""
    guids: set[str] = field(default_factory=set)
    """Every notification GUID seen (EV-GUID-DUPLICATE)."""
    status_by_guid: dict[str, str] = field(default_factory=dict)
    """Notification GUID -> statusNotifikasjon (EV-REF-TARGET)."""
    events_by_guid: dict[str, list[tuple[str, str, str | None]]] = field(default_factory=dict)
    """Notification GUID -> its events as (event kind, tjenesteID, midlertidigStoppID)
    (EV-START-MISSING, to undo a start or pause that a C annuls)."""
    started: set[str] = field(default_factory=set)
    """tjenesteIDs with a (not annulled) TjenesteStart (EV-START-MISSING)."""
    paused: set[str] = field(default_factory=set)
    """midlertidigStoppIDs with a (not annulled) MidlertidigStoppFra (EV-START-MISSING)."""
    fid_by_brukernr: dict[str, str] = field(default_factory=dict)
    """brukerNr -> the fid it was first seen with (EV-BRUKERNR-UNIQUE)."""
    brukernr_by_fid: dict[str, str] = field(default_factory=dict)
    """fid -> the brukerNr it was first seen with (EV-BRUKERNR-UNIQUE)."""


def history(ctx: Context) -> EventHistory:
    """The document's event history (an empty one unless a caller supplied one)."""
    state: EventHistory = ctx.rule_state(HISTORY_KEY, EventHistory)
    return state


def guid_key(text: str | None) -> str | None:
    """A GUID as compared by the rules (lower case, braces dropped); None when malformed."""
    if text is None:
        return None
    match = _GUID.fullmatch(text)
    if match is None:
        return None
    return (match.group(1) or match.group(2)).lower()


def notification_of(event: Row) -> Row | None:
    """The Notifikasjon row an event belongs to."""
    parent = event.parent
    return parent if parent is not None and parent.kind == "Notifikasjon" else None
