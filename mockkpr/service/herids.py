"""HER-ids as senders write them, made canonical once, where a message enters.

A HER-id is a number; application properties carry it as text, and ``012345`` and ``12345``
name the same party. Every front door turns ``fromHerId`` and ``toHerId`` into their canonical
text (no leading zeros) when it builds an :class:`~mockkpr.service.messages.InboundMessage`,
so authorisation, duplicate detection, the journal and the answers all see one form. Only
ASCII digits count: ``str.isdigit`` would also take other scripts' digits, which ``int`` then
reads as the same number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: The application properties holding HER-ids.
HER_ID_PROPERTIES = ("fromHerId", "toHerId")
_DIGITS = re.compile(r"[0-9]{1,18}")


def her_id_value(text: str | None) -> int | None:
    """The HER-id ``text`` names, or None when it is not one (empty, signs, spaces, letters,
    non-ASCII digits, more than 18 digits)."""
    if text is None or _DIGITS.fullmatch(text) is None:
        return None
    return int(text)


def canonical_her_ids(properties: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``properties`` with each HER-id property in canonical form, and the values as sent of
    those that changed (empty when none did). Values that are not HER-ids stay as they are."""
    canonical = dict(properties)
    as_sent: dict[str, str] = {}
    for name in HER_ID_PROPERTIES:
        text = canonical.get(name)
        value = her_id_value(text)
        if text is not None and value is not None and str(value) != text:
            canonical[name] = str(value)
            as_sent[name] = text
    return canonical, as_sent
