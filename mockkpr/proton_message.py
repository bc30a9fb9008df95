"""What proton's Python ``Message`` gets wrong on reading, put right once for both sides
(the endpoint's :mod:`mockkpr.endpoint.convert` and the client's :mod:`mockkpr.client.sender`)."""

from __future__ import annotations

import cproton
from proton import Message


def content_type(message: Message) -> str | None:
    """The content type, None when the message has none.

    proton's ``Message.content_type`` turns an absent content type into ``symbol('None')``,
    the text ``None``; the C accessor underneath tells absent from present.
    """
    value = cproton.pn_message_get_content_type(message._msg)
    return None if value is None else str(value)
