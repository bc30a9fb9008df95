"""The answers waiting to be published to the broker, and their bookkeeping.

The journal records every answer in its ``queued`` table in the same transaction as the entry
(:meth:`~mockkpr.journal.store.Journal.record_answered`); in broker mode that table is the
outbox. :class:`Outbox` holds in memory the rows this process publishes: *ready* ones wait for
the consumer's reactor thread to send them, *in flight* ones wait for RabbitMQ's outcome. A row
is deleted (marked sent) only after RabbitMQ accepted it; a lost connection puts every in-flight
row back to ready, so an answer can reach its queue twice, always with the same message-id.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable

from mockkpr.brokermode.coordination import Coordinator
from mockkpr.journal.models import QueuedMessage
from mockkpr.journal.store import Journal
from mockkpr.log import get_logger

log = get_logger(__name__)


class Outbox:
    """Thread-safe: workers add, the reactor takes and reports outcomes, a thread flushes.

    ``notify`` is called (from any thread) whenever rows become ready, to wake the reactor.
    """

    def __init__(self, journal: Journal, coordinator: Coordinator,
                 notify: Callable[[], None] | None = None) -> None:
        self.journal = journal
        self.coordinator = coordinator
        self.notify = notify or (lambda: None)
        self._lock = threading.Lock()
        self._ready: deque[QueuedMessage] = deque()
        self._in_flight: dict[int, QueuedMessage] = {}
        self._confirmed: list[int] = []
        self.published = 0

    # ------------------------------------------------------------------ workers
    def add(self, items: Iterable[QueuedMessage]) -> None:
        """Rows this instance owns, to publish (ownership recorded by the caller)."""
        items = list(items)
        if not items:
            return
        with self._lock:
            known = set(self._in_flight) | {i.id for i in self._ready}
            self._ready.extend(i for i in items if i.id not in known)
        self.notify()

    def drop(self) -> None:
        """Forget the rows waiting to be published (a reset dropped them from the journal)."""
        with self._lock:
            self._ready.clear()

    def adopt_orphans(self) -> int:
        """Take over the rows of dead instances (and unowned old ones); how many."""
        ids = set(self.coordinator.adopt_orphans())
        if not ids:
            return 0
        rows = [row for row in self.journal.queued() if row.id in ids]
        self.add(rows)
        return len(rows)

    # ------------------------------------------------------------------ reactor thread
    def take(self) -> list[QueuedMessage]:
        """Every ready row, now in flight."""
        with self._lock:
            items = list(self._ready)
            self._ready.clear()
            for item in items:
                self._in_flight[item.id] = item
        return items

    def put_back(self, items: Iterable[QueuedMessage]) -> None:
        """Rows taken but not sent (no link or no credit yet): ready again, in front."""
        with self._lock:
            for item in reversed(list(items)):
                self._in_flight.pop(item.id, None)
                self._ready.appendleft(item)

    def confirmed(self, item: QueuedMessage) -> None:
        """RabbitMQ accepted ``item``: its row is deleted by the next :meth:`flush`."""
        with self._lock:
            self._in_flight.pop(item.id, None)
            self._confirmed.append(item.id)
            self.published += 1

    def failed(self, item: QueuedMessage) -> None:
        """RabbitMQ did not take ``item`` (rejected, released, link lost): publish it again."""
        with self._lock:
            if self._in_flight.pop(item.id, None) is not None:
                self._ready.append(item)

    def connection_lost(self) -> None:
        """Every in-flight row's outcome is unknown now: all are ready again."""
        with self._lock:
            items = list(self._in_flight.values())
            self._in_flight.clear()
            self._ready.extendleft(reversed(items))

    # ------------------------------------------------------------------ maintenance thread
    def flush(self) -> int:
        """Delete the confirmed rows from the journal's queue table; how many."""
        with self._lock:
            ids, self._confirmed = self._confirmed, []
        try:
            self.coordinator.published(ids)  # one transaction for the whole batch
        except Exception:
            with self._lock:
                self._confirmed[:0] = ids  # the database was away: next time
            raise
        return len(ids)

    def counts(self) -> dict[str, int]:
        """``ready``, ``in_flight`` and ``published`` (for logs and tests)."""
        with self._lock:
            return {"ready": len(self._ready), "in_flight": len(self._in_flight),
                    "published": self.published}
