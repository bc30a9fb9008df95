"""Link addresses on a real RabbitMQ, in the forms NHN's parties use (profile §1).

========  ==========================  ==================================================
form      source (receive from Q)     target (send to Q through exchange X)
========  ==========================  ==================================================
``v1``    ``/amq/queue/Q``            ``/exchange/X/Q`` (routing key = queue name)
``v2``    ``/queues/Q``               ``/exchanges/X/Q`` (RabbitMQ 4, percent-encoded)
========  ==========================  ==================================================

RabbitMQ 3.x's ``rabbitmq_amqp1_0`` plugin knows only ``v1``; RabbitMQ 4 speaks AMQP 1.0
natively and accepts both while its deprecated feature ``amqp_address_v1`` is permitted.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

AddressForm = Literal["v1", "v2"]


def _segment(name: str) -> str:
    return quote(name, safe="")


def source_address(queue: str, form: AddressForm = "v1") -> str:
    """The address a receiver link attaches to in order to consume ``queue``."""
    if form == "v2":
        return f"/queues/{_segment(queue)}"
    return f"/amq/queue/{queue}"


def target_address(exchange: str, queue: str, form: AddressForm = "v1") -> str:
    """The address a sender link attaches to in order to reach ``queue`` through ``exchange``.

    The queue is bound to the exchange with its own name as routing key (``broker setup``).
    """
    if form == "v2":
        return f"/exchanges/{_segment(exchange)}/{_segment(queue)}"
    return f"/exchange/{exchange}/{queue}"
