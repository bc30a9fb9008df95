"""The embedded endpoint's queues: topology, messages waiting, consumers and their deliveries.

Queues are durable: every message waiting in one is also in the journal's queue table, and
this module only mirrors that table in memory for fast dispatch. It knows nothing of the
reactor beyond the proton link and delivery objects it hands messages to.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mockkpr.journal.models import QueuedMessage
from mockkpr.service.messages import OutboundMessage


@dataclass(frozen=True)
class QueueInfo:
    """One queue of the topology: who may read and write it and where its dead letters go.

    ``processed`` marks the receiver's own queue (KPR's ``_async``): messages sent there are
    validated and answered instead of stored, and every account may send to it. Any other
    queue is written by the endpoint itself (answers) and by the accounts in ``writers`` only
    (the registry's ``may_send_to``).
    """

    name: str
    owner_her_id: str
    readers: frozenset[str]
    dead_letter: str | None = None
    processed: bool = False
    writers: frozenset[str] = frozenset()

    def may_write(self, user: str | None) -> bool:
        """Whether the account ``user`` may put a message on this queue."""
        return self.processed or (user is not None and user in self.writers)


@dataclass(frozen=True)
class Topology:
    """All queues of the endpoint, from the address registry."""

    queues: dict[str, QueueInfo]

    def get(self, name: str) -> QueueInfo | None:
        return self.queues.get(name)


class QueueBackend(Protocol):
    """The durable side of the queues (the journal implements it)."""

    def enqueue(self, queue: str, message: OutboundMessage) -> int: ...

    def remove_queued(self, queued_id: int) -> bool: ...

    def requeue(self, queued_id: int, delivery_count: int) -> bool: ...

    def move_queued(self, queued_id: int, queue: str) -> bool: ...

    def set_answer_disposition(self, message_id: str, disposition: str | None) -> bool: ...


@dataclass
class Queue:
    """Messages ready for delivery and the consumer links attached to one queue."""

    info: QueueInfo
    ready: deque[QueuedMessage] = field(default_factory=deque)
    consumers: list[Any] = field(default_factory=list)  # proton Sender links
    next_consumer: int = 0

    def add_consumer(self, link: Any) -> None:
        if not any(link == c for c in self.consumers):
            self.consumers.append(link)

    def remove_consumer(self, link: Any) -> None:
        self.consumers = [c for c in self.consumers if c != link]

    def consumers_with_credit(self) -> Iterable[Any]:
        """Consumers in round-robin order that can take a message now."""
        count = len(self.consumers)
        for offset in range(count):
            link = self.consumers[(self.next_consumer + offset) % count]
            if link.credit > 0:
                self.next_consumer = (self.next_consumer + offset + 1) % count
                yield link
                return
