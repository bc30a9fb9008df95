"""Prometheus metrics of the endpoint, in a registry of their own (never the global one).

The endpoint reports events (:meth:`Metrics.message_recorded`, :meth:`Metrics.answer_sent`,
:meth:`Metrics.transport_error`, :meth:`Metrics.set_queue_depth`); the control API refreshes the
journal-derived gauges from the database at every scrape (:meth:`Metrics.refresh`), so they are
right even after a restart.

Label values come from senders (subjects) and must not grow without bound: a value that is not
a short token (letters, digits, ``_ - : .``) or arrives after :data:`MAX_LABEL_VALUES` distinct
values of that label is counted as ``other``; a missing value is ``none``.
"""

from __future__ import annotations

import re
import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from mockkpr.journal.models import JournalEntry

#: Distinct values kept per label before further values are counted as ``other``.
MAX_LABEL_VALUES = 50
_TOKEN = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")


class Metrics:
    """The counters and gauges behind ``GET /metrics``."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._lock = threading.Lock()
        self._seen: dict[str, set[str]] = {}
        self._db_queues: set[str] = set()
        self._received = Counter(
            "messages_received", "Inbound messages recorded, by subject and outcome.",
            ["subject", "outcome"], registry=self.registry)
        self._answers = Counter(
            "answers_sent", "Messages sent in answer, by kind (apprec, transport-error, "
            "feedback).", ["kind"], registry=self.registry)
        self._transport_errors = Counter(
            "transport_errors", "Transport errors sent, by error condition.",
            ["condition"], registry=self.registry)
        self._queue_depth = Gauge(
            "queue_depth", "Messages waiting in a queue of the endpoint.", ["queue"],
            registry=self.registry)
        self._entries = Gauge(
            "journal_entries", "Entries in the journal.", registry=self.registry)

    def _label(self, name: str, value: str | None) -> str:
        if value is None or value == "":
            return "none"
        if not _TOKEN.fullmatch(value):
            return "other"
        with self._lock:
            seen = self._seen.setdefault(name, set())
            if value not in seen and len(seen) >= MAX_LABEL_VALUES:
                return "other"
            seen.add(value)
        return value

    def message_recorded(self, entry: JournalEntry) -> None:
        """Count an inbound message with its outcome (and its transport error, if any)."""
        self._received.labels(
            subject=self._label("subject", entry.subject), outcome=entry.outcome.value
        ).inc()
        if entry.error_condition:
            self.transport_error(entry.error_condition)

    def answer_sent(self, kind: str) -> None:
        """Count one answer handed to a consumer (``apprec``, ``transport-error``...)."""
        self._answers.labels(kind=self._label("kind", kind)).inc()

    def transport_error(self, condition: str) -> None:
        """Count one transport error with its condition (``transport:invalid-certificate``)."""
        self._transport_errors.labels(condition=self._label("condition", condition)).inc()

    def set_queue_depth(self, queue: str, n: int) -> None:
        """Set the number of messages waiting in ``queue``."""
        self._queue_depth.labels(queue=self._label("queue", queue)).set(n)

    def refresh(self, stats: dict[str, dict[str, int]]) -> None:
        """Set ``journal_entries`` and the durable queues' depths from ``Journal.stats()``.

        A durable queue that emptied since the last refresh is set to 0.
        """
        self._entries.set(sum(stats.get("entries", {}).values()))
        queues = stats.get("queued", {})
        with self._lock:
            emptied = self._db_queues - set(queues)
            self._db_queues = set(queues)
        for queue in emptied:
            self.set_queue_depth(queue, 0)
        for queue, n in queues.items():
            self.set_queue_depth(queue, n)

    def render(self) -> bytes:
        """The registry in Prometheus text exposition format (:attr:`content_type`)."""
        return generate_latest(self.registry)
