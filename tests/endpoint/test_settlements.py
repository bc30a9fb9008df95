"""The broker's writes after a delivery, on a writer thread (mockkpr.endpoint.settlements)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from mockkpr.endpoint.settlements import DeferredQueueWrites
from mockkpr.journal.models import MessageFilter, QueueChange
from mockkpr.journal.store import Journal
from mockkpr.service.messages import OutboundMessage
from tests.journal.entries import make_entry


class Recorder:
    """A queue backend that records the calls (no apply_changes: one call per change)."""

    def __init__(self, fail_first: bool = False) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.fail_first = fail_first
        self.release = threading.Event()
        self.entered = threading.Event()

    def enqueue(self, queue: str, message: OutboundMessage) -> int:
        self.calls.append(("enqueue", queue))
        return 7

    def remove_queued(self, queued_id: int) -> bool:
        self.entered.set()
        self.release.wait(10)
        if self.fail_first:
            self.fail_first = False
            raise RuntimeError("database gone")
        self.calls.append(("remove", queued_id))
        return True

    def requeue(self, queued_id: int, delivery_count: int) -> bool:
        self.calls.append(("requeue", queued_id, delivery_count))
        return True

    def move_queued(self, queued_id: int, queue: str) -> bool:
        self.calls.append(("move", queued_id, queue))
        return True

    def set_answer_disposition(self, message_id: str, disposition: str | None) -> bool:
        self.calls.append(("disposition", message_id, disposition))
        return True


def test_changes_are_made_in_order_and_close_makes_the_rest() -> None:
    backend = Recorder()
    writes = DeferredQueueWrites(backend)
    message = OutboundMessage("q", "m", "APPREC", "text/plain", {}, b"x")
    assert writes.enqueue("q", message) == 7  # at once: its id is needed
    writes.remove_queued(1)  # the writer waits in here until released
    writes.requeue(2, 3)
    writes.move_queued(2, "q_dl")
    writes.set_answer_disposition("m", "accepted")
    assert backend.calls == [("enqueue", "q")]
    backend.release.set()
    writes.close()
    assert backend.calls == [("enqueue", "q"), ("remove", 1), ("requeue", 2, 3),
                             ("move", 2, "q_dl"), ("disposition", "m", "accepted")]


def test_a_failed_write_is_logged_and_the_writer_goes_on() -> None:
    backend = Recorder(fail_first=True)
    writes = DeferredQueueWrites(backend)
    writes.remove_queued(1)
    assert backend.entered.wait(10)  # the writer holds the first change alone
    writes.remove_queued(2)
    backend.release.set()
    writes.close()
    assert backend.calls == [("remove", 2)]


def test_the_journal_gets_them_in_one_batch(tmp_path: Path) -> None:
    with Journal(f"sqlite:///{tmp_path / 'j.sqlite3'}") as journal:
        entry = make_entry()
        [queued] = journal.record_answered(entry)
        batches: list[list[QueueChange]] = []
        apply = journal.apply_changes

        def spy(changes: Sequence[QueueChange]) -> None:
            batches.append(list(changes))
            apply(changes)

        journal.apply_changes = spy  # type: ignore[method-assign]
        writes = DeferredQueueWrites(journal)
        writes.set_answer_disposition(entry.answers[0].message.message_id, "accepted")
        writes.remove_queued(queued.id)
        writes.close()
        assert [c.kind for batch in batches for c in batch] == ["disposition", "remove"]
        assert journal.queued() == []
        [stored] = journal.list(MessageFilter())
        assert stored.answers[0].disposition == "accepted"
