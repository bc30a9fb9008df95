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

A worker that dies is replaced; the message it held is processed here instead. Each worker
has two pipes, so that the next message is waiting while it processes one; the broker's
worker threads (at least one per pipe) send and wait on them, with no other thread between.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from mockkpr.journal.store import Journal
from mockkpr.log import configure, get_logger
from mockkpr.registry import load_registry
from mockkpr.service.keyed import KeyedLocks, message_key
from mockkpr.service.messages import InboundMessage
from mockkpr.service.pipeline import Receiver, StreamElsewhere
from mockkpr.service.results import ProcessResult
from mockkpr.settings import Settings

log = get_logger(__name__)

#: How often a worker looks whether the endpoint that started it is still there.
PARENT_CHECK_S = 0.5


#: Messages a worker holds at once: while it processes one, the next is already in its pipe.
PIPES_PER_WORKER = 2
# What a worker sends back: ("result", ProcessResult | None) or ("error", Exception).
_Reply = tuple[str, Any]


def _worker_main(settings: Settings, registry_path: str, parent: int,
                 pipes: list[Connection]) -> None:
    """A worker process: a receiver without streams answering what comes on its pipes,
    until the endpoint closes them (or is gone)."""
    threading.Thread(target=_end_with_parent, args=(parent,), daemon=True,
                     name="mockkpr-parent-watch").start()
    configure(settings)
    registry = load_registry(Path(registry_path))
    receiver = Receiver(registry, Journal.from_settings(settings), settings, streams=False)
    open_pipes = list(pipes)
    while open_pipes:
        for pipe in wait(open_pipes):
            assert isinstance(pipe, Connection)
            try:
                inbound = pipe.recv()
            except (EOFError, OSError):  # the endpoint closed it: stopping
                open_pipes.remove(pipe)
                continue
            pipe.send(_answer(receiver, inbound))


def _answer(receiver: Receiver, inbound: InboundMessage) -> _Reply:
    try:
        return ("result", receiver.process(inbound))
    except StreamElsewhere:
        return ("result", None)
    except Exception as exc:  # as in the endpoint: the broker retries the delivery
        log.exception("worker.processing_failed", message_id=inbound.message_id)
        return ("error", RuntimeError(f"worker {os.getpid()}: {exc!r}"))


def _end_with_parent(parent: int) -> None:
    """End this worker when the endpoint ``parent`` is gone (killed: nobody waits for its
    answers), also when that happened before the worker started."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


class _Worker:
    """One worker process and the endpoint's ends of its pipes."""

    def __init__(self, settings: Settings, registry_path: Path) -> None:
        context = multiprocessing.get_context("spawn")
        pairs = [context.Pipe() for _ in range(PIPES_PER_WORKER)]
        self.pipes = [mine for mine, _ in pairs]
        self.process = context.Process(
            target=_worker_main, name="mockkpr-worker", daemon=True,
            args=(settings, str(registry_path), os.getpid(), [theirs for _, theirs in pairs]))
        self.process.start()
        self.answered = False  # a worker that ends before its first answer cannot start
        for _, theirs in pairs:
            theirs.close()  # the worker holds them now; EOF reaches it when ours close

    def close(self, timeout: float) -> None:
        for pipe in self.pipes:
            pipe.close()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)


class ReceiverPool:
    """``processes`` worker processes, each with a receiver, fed through pipes: each of the
    broker's threads that hands a message on takes a free pipe, sends the message and waits
    for the result on it. Workers are started with ``spawn``: the endpoint's threads are
    running by then, and a forked copy of them would be unsafe."""

    def __init__(self, settings: Settings, registry_path: Path, processes: int) -> None:
        self.settings = settings
        self.registry_path = registry_path
        self._lock = threading.Lock()
        self._free: queue.SimpleQueue[tuple[_Worker, Connection]] = queue.SimpleQueue()
        self._workers = [self._start() for _ in range(processes)]
        self._closed = False

    @property
    def threads(self) -> int:
        """Threads that can use the workers at once (one per pipe)."""
        return len(self._workers) * PIPES_PER_WORKER

    def _start(self) -> _Worker:
        worker = _Worker(self.settings, self.registry_path)
        for pipe in worker.pipes:
            self._free.put((worker, pipe))
        return worker

    def process(self, inbound: InboundMessage) -> ProcessResult | None:
        """The result of a worker, or None when the endpoint's own receiver must process it
        (an event message, or the worker died: it is replaced). A failure in the worker is
        raised here (the broker retries the delivery)."""
        if self._closed:
            return None
        worker, pipe = self._free.get()
        try:
            pipe.send(inbound)
            kind, value = pipe.recv()
        except (EOFError, OSError):
            self._replace(worker)
            return None
        worker.answered = True
        self._free.put((worker, pipe))
        if kind == "error":
            raise value
        assert value is None or isinstance(value, ProcessResult)
        return value

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed or worker not in self._workers:
                return
            self._workers.remove(worker)
            worker.close(timeout=1)
            if not worker.answered:  # it cannot start (registry, journal): not again
                log.error("worker.cannot_start", pid=worker.process.pid,
                          exitcode=worker.process.exitcode, workers_left=len(self._workers))
                self._closed = not self._workers
                return
            log.warning("worker.ended", pid=worker.process.pid,
                        exitcode=worker.process.exitcode)
            self._workers.append(self._start())
        # the dead worker's other pipes are in the free queue: they fail and are dropped

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        with self._lock:
            return [w.process.pid for w in self._workers
                    if w.process.pid is not None and w.process.is_alive()]

    def close(self, timeout: float = 10) -> None:
        """Stop the workers (after the messages they hold)."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.close(timeout)


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
        self._in_progress = KeyedLocks()

    def __call__(self, inbound: InboundMessage) -> ProcessResult:
        # Copies of one message go one at a time, whichever process takes them: each
        # receiver serialises only its own, and the second copy must find the first's record.
        with self._in_progress.hold(message_key(inbound)):
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
