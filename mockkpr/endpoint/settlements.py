"""The broker's writes after a delivery, made on a writer thread instead of the reactor's.

When a sender settles an answer, the embedded broker removes it from the durable queue (or
requeues or dead-letters it) and records the disposition. Made on the reactor thread, each
write waited for the journal's write lock behind the workers' commits while no frame was read
or written. :class:`DeferredQueueWrites` queues those changes in order and a writer thread
applies what has gathered in one transaction (:meth:`Journal.apply_changes`).

What changes: after a crash, an answer the sender had already accepted may still be in the
queue table and is delivered again at the next start (at-least-once, as when the crash comes
between the delivery and its disposition). A new message to a queue (:meth:`enqueue`) is
written at once, as before: its queue id is needed to deliver it.
"""

from __future__ import annotations

import queue as queue_module
import threading
from datetime import UTC, datetime

from mockkpr.endpoint.queues import QueueBackend
from mockkpr.journal.models import QueueChange
from mockkpr.log import get_logger
from mockkpr.service.messages import OutboundMessage

log = get_logger(__name__)

#: Changes applied in one transaction at most.
BATCH = 512


class DeferredQueueWrites:
    """A :class:`~mockkpr.endpoint.queues.QueueBackend` whose writes after a delivery happen
    on a writer thread, in the order they were made; :meth:`close` applies what is left."""

    def __init__(self, backend: QueueBackend) -> None:
        self.backend = backend
        self._changes: queue_module.SimpleQueue[QueueChange | None] = queue_module.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="mockkpr-queue-writes",
                                        daemon=True)
        self._thread.start()

    # -- QueueBackend -------------------------------------------------------------------------
    def enqueue(self, queue: str, message: OutboundMessage) -> int:
        return self.backend.enqueue(queue, message)

    def remove_queued(self, queued_id: int) -> bool:
        self._put(QueueChange("remove", queued_id=queued_id))
        return True

    def requeue(self, queued_id: int, delivery_count: int) -> bool:
        self._put(QueueChange("requeue", queued_id=queued_id, delivery_count=delivery_count))
        return True

    def move_queued(self, queued_id: int, queue: str) -> bool:
        self._put(QueueChange("move", queued_id=queued_id, queue=queue))
        return True

    def set_answer_disposition(self, message_id: str, disposition: str | None) -> bool:
        self._put(QueueChange("disposition", message_id=message_id, disposition=disposition,
                              at=datetime.now(UTC)))
        return True

    # -- the writer -----------------------------------------------------------------------------
    def _put(self, change: QueueChange) -> None:
        self._changes.put(change)

    def close(self, timeout: float = 10) -> None:
        """Apply what is queued and stop the writer."""
        if self._thread.is_alive():
            self._changes.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._changes.get()
            batch = [] if first is None else [first]
            stopping = first is None
            while len(batch) < BATCH and not stopping:
                try:
                    change = self._changes.get_nowait()
                except queue_module.Empty:
                    break
                if change is None:
                    stopping = True
                else:
                    batch.append(change)
            self._apply(batch)

    def _apply(self, batch: list[QueueChange]) -> None:
        if not batch:
            return
        try:
            apply_changes = getattr(self.backend, "apply_changes", None)
            if apply_changes is not None:
                apply_changes(batch)
                return
            for change in batch:
                if change.kind == "remove":
                    self.backend.remove_queued(change.queued_id)
                elif change.kind == "requeue":
                    self.backend.requeue(change.queued_id, change.delivery_count)
                elif change.kind == "move":
                    self.backend.move_queued(change.queued_id, change.queue)
                else:
                    self.backend.set_answer_disposition(change.message_id, change.disposition)
        except Exception:  # the rows stay as they were: the answers are delivered again
            log.exception("queue_writes.failed", changes=len(batch))
