"""Receivers in worker processes, so that processing uses every core (``MOCKKPR_PROCESSES``).

One interpreter runs one thread at a time: with the endpoint's threads alone, decrypting,
validating and answering share one core with the AMQP reactor. With ``MOCKKPR_PROCESSES=N``
the endpoint starts N worker processes, each with its own :class:`Receiver` over the same
registry and journal database, and the broker's worker threads hand each message to one of
them (:class:`Dispatch`). A worker decides and records the answer exactly as the endpoint's
own receiver does and returns the :class:`ProcessResult`; the delivery is settled only after
that, so a message is still accepted only once its record is durable.

What stays in the endpoint's own process, on its own receiver:

- 56.0.0 event messages: a sender's event stream (:class:`~mockkpr.iplos.rules.event_history.
  EventHistory`) is kept in memory and judged one message at a time. A worker that opens
  such a message stops before recording anything (:class:`StreamElsewhere`) and the message
  is processed again here, with the one stream the endpoint keeps (and the HTTP route shares);
- parts of split messages, and the housekeeping that expires them;
- every message while a scenario is armed or the clock is moved (fault injection and the
  scenario clock live in this process).

A worker that dies is replaced; the message it held is processed here instead.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from mockkpr.journal.store import Journal
from mockkpr.log import configure, get_logger
from mockkpr.registry import load_registry
from mockkpr.service.messages import InboundMessage
from mockkpr.service.pipeline import Receiver, StreamElsewhere
from mockkpr.service.results import ProcessResult
from mockkpr.settings import Settings

log = get_logger(__name__)

#: How often a worker looks whether the endpoint that started it is still there.
PARENT_CHECK_S = 0.5


# the receiver of this worker process (set by _start_worker)
_receiver: Receiver | None = None


def _start_worker(settings: Settings, registry_path: str, parent: int) -> None:
    """Worker process start: logging, registry, journal and a receiver without streams."""
    global _receiver
    threading.Thread(target=_end_with_parent, args=(parent,), daemon=True,
                     name="mockkpr-parent-watch").start()
    configure(settings)
    registry = load_registry(Path(registry_path))
    _receiver = Receiver(registry, Journal.from_settings(settings), settings, streams=False)


def _end_with_parent(parent: int) -> None:
    """End this worker when the endpoint ``parent`` is gone (killed: nobody waits for its
    answers), also when that happened before the worker started."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def _process(inbound: InboundMessage) -> ProcessResult | None:
    """Process one message in the worker; None when the endpoint's receiver must."""
    assert _receiver is not None, "worker not started"
    try:
        return _receiver.process(inbound)
    except StreamElsewhere:
        return None


def _pid() -> int:
    return os.getpid()


class ReceiverPool:
    """``processes`` worker processes, each with a receiver (started with ``spawn``: the
    endpoint's threads are running by then, and a forked copy of them would be unsafe)."""

    def __init__(self, settings: Settings, registry_path: Path, processes: int) -> None:
        self.settings = settings
        self.registry_path = registry_path
        self.processes = processes
        self._pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker,
                                   initargs=(self.settings, str(self.registry_path),
                                             os.getpid()))
        for _ in range(self.processes):  # start them now, not with the first messages
            pool.submit(_pid)
        return pool

    def process(self, inbound: InboundMessage) -> ProcessResult | None:
        """The result of a worker, or None when the endpoint's own receiver must process it
        (an event message, or the worker died: the pool is replaced)."""
        pool = self._pool
        try:
            return pool.submit(_process, inbound).result()
        except BrokenProcessPool:
            log.warning("workers.broken", message_id=inbound.message_id)
            if self._pool is pool:
                self._pool = self._new()
                pool.shutdown(wait=False, cancel_futures=True)
            return None

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        return [process.pid for process in getattr(self._pool, "_processes", {}).values()
                if process.pid is not None]

    def close(self) -> None:
        """Stop the workers (after the messages they hold)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class Dispatch:
    """The processor the broker calls: a worker process when one may take the message (see
    the module documentation), else the endpoint's own ``process``. ``local`` says which
    messages stay here; ``changed`` is told about entries the workers recorded (the journal
    wakes its waiters)."""

    def __init__(self, process: Callable[[InboundMessage], ProcessResult],
                 pool: ReceiverPool, local: Callable[[InboundMessage], bool],
                 changed: Callable[[], None]) -> None:
        self.own, self.pool, self.local, self.changed = process, pool, local, changed
        self.by_workers = 0  # messages a worker answered
        self.here = 0  # messages this process answered (as the module documentation says)

    def __call__(self, inbound: InboundMessage) -> ProcessResult:
        if not self.local(inbound):
            result = self.pool.process(inbound)
            if result is not None:
                self.by_workers += 1
                self.changed()
                return result
        self.here += 1
        return self.own(inbound)

    def worker_pids(self) -> list[int]:
        """The process ids of the workers (for tests and diagnostics)."""
        return self.pool.pids()
