"""Link addresses as NHN's senders and RabbitMQ use them (profile §1), reduced to a queue name.

Accepted forms (``{q}`` is a queue's short name such as ``131725_async``):

=============================  ============================================================
``/exchange/{ns}/{q}``         RabbitMQ v1 target: exchange ``ns``, routing key = queue name
``/amq/queue/{q}``             RabbitMQ v1 source
``/queue/{q}``                 RabbitMQ v1 queue (source or target)
``/queues/{q}``                RabbitMQ 4 (v2) queue
``/exchanges/{ns}/{q}``        RabbitMQ 4 (v2) target: exchange and routing key
``{q}``                        a plain queue name
=============================  ============================================================

Percent-encoding (v2 addresses) is decoded. Anything else is not an address of this endpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_QUEUE = r"[A-Za-z0-9_.\-]+"
_FORMS = [
    re.compile(rf"^/exchange/(?P<ns>[^/]+)/(?P<q>{_QUEUE})$"),
    re.compile(rf"^/exchanges/(?P<ns>[^/]+)/(?P<q>{_QUEUE})$"),
    re.compile(rf"^/amq/queue/(?P<q>{_QUEUE})$"),
    re.compile(rf"^/queues?/(?P<q>{_QUEUE})$"),
    re.compile(rf"^(?P<q>{_QUEUE})$"),
]


@dataclass(frozen=True)
class Address:
    """A parsed link address: the queue it names and, for exchange forms, the exchange."""

    queue: str
    exchange: str | None = None


def parse_address(text: str | None) -> Address | None:
    """The queue an address names, or None when it is not one of the accepted forms."""
    if not text:
        return None
    for form in _FORMS:
        match = form.match(text)
        if match is not None:
            groups = match.groupdict()
            exchange = unquote(groups["ns"]) if groups.get("ns") else None
            return Address(unquote(groups["q"]), exchange)
    return None
