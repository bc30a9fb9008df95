"""Manual mode: a person makes the sender act, following instructions that cannot be misread.

For senders that cannot be driven by a command. For every send the harness prints the exact
file, HER-ids, URL and files to use, then waits - with a stated limit, never "press Enter to
go on" - until the message arrives, and asks what the sender reported (again with a limit).
Nothing arriving in time fails the send; no answer in time leaves it unjudged.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import TextIO

from mockkpr.conformance.drivers import Driver
from mockkpr.conformance.harness import NoAction
from mockkpr.conformance.judge import EXIT_ACCEPTED, EXIT_FAILED, EXIT_REJECTED
from mockkpr.conformance.senders import SendOutcome, SendTask
from mockkpr.errors import MockKprError

#: Default seconds to wait for the message to arrive, and for the operator's answer once the
#: sender's own receipt timeout has passed.
ARRIVAL_TIMEOUT = 300.0
ANSWER_TIMEOUT = 90.0
ANSWERS = {"a": EXIT_ACCEPTED, "r": EXIT_REJECTED, "f": EXIT_FAILED}

Ask = Callable[[float], str | None]


class NoAnswer(MockKprError):
    """The operator gave no answer in time (the send cannot be judged)."""


class LineReader:
    """Lines from a stream with a timeout: one reader thread feeds a queue."""

    def __init__(self, stream: TextIO) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._closed = False
        thread = threading.Thread(target=self._read, args=(stream,), daemon=True,
                                  name="mockkpr-manual-input")
        thread.start()

    def _read(self, stream: TextIO) -> None:
        while True:
            line = stream.readline()
            if not line:
                self._lines.put(None)
                return
            self._lines.put(line)

    def __call__(self, timeout: float) -> str | None:
        """The next line (stripped), or None after ``timeout`` seconds or at end of input."""
        if self._closed:
            return None
        try:
            line = self._lines.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None
        if line is None:
            self._closed = True
            return None
        return line.strip()


class ManualSender:
    """A :data:`~mockkpr.conformance.senders.Sender` that is a person at a console."""

    def __init__(self, driver: Driver, out: Callable[[str], None], ask: Ask, *,
                 arrival_timeout: float = ARRIVAL_TIMEOUT,
                 answer_timeout: float = ANSWER_TIMEOUT) -> None:
        self.driver = driver
        self.out = out
        self.ask = ask
        self.arrival_timeout = arrival_timeout
        self.answer_timeout = answer_timeout

    def limit(self, receipt_timeout: float) -> float:
        """The longest a send can take in manual mode (for the harness's own limit)."""
        return self.arrival_timeout + receipt_timeout + self.answer_timeout

    def __call__(self, task: SendTask) -> SendOutcome:
        started = time.monotonic()
        known = self.driver.messages()
        after = known[-1].entry.id if known else None
        queue_name = self.driver.registry.party(task.to_her_id).queues.asynchronous
        self.out(f"    Send the file      {task.file}\n"
                 f"    as HER-id          {task.from_her_id} (its keys and SASL account are "
                 f"in {task.registry})\n"
                 f"    to HER-id          {task.to_her_id}, queue {queue_name}\n"
                 f"    through            {task.url} (test CA: "
                 f"{self.driver.registry.ca_path})\n"
                 f"    and let the sender wait up to {task.timeout:g} s for the receipt.\n"
                 f"    Waiting up to {self.arrival_timeout:g} s for the message to arrive...")
        arrived = self.driver.wait_message(str(task.from_her_id), after, self.arrival_timeout)
        if arrived is None:
            text = (f"no message from {task.from_her_id} arrived on {queue_name} within "
                    f"{self.arrival_timeout:g} s")
            self.out(f"    Timed out: {text}.")
            raise NoAction(f"manual mode: {text}")
        self.out(f"    Arrived: {arrived.label} at {arrived.entry.received_at:%H:%M:%S} "
                 f"(the endpoint's answer: {arrived.entry.outcome.value}).")
        wait = task.timeout + self.answer_timeout  # the sender's wait, then time to answer
        deadline = time.monotonic() + wait
        self.out("    What did your sender report? Type A (accepted: AppRec OK), R (rejected: "
                 "AppRec status 2 or 3) or F (failed: a transport error, no receipt, or a "
                 f"receipt it did not trust), then Enter. Waiting up to {wait:g} s...")
        while (left := deadline - time.monotonic()) > 0:
            answer = self.ask(left)
            if answer is None and deadline - time.monotonic() > 0.05:
                self.out("    The input ended without an answer A, R or F.")
                raise NoAnswer("manual mode: the input ended without an answer from the "
                               "operator")
            if answer is None:
                break
            code = ANSWERS.get(answer[:1].lower())
            if code is not None:
                return SendOutcome(code, f"operator answered {answer!r}", "",
                                   time.monotonic() - started)
            self.out(f"    {answer!r} is not A, R or F; try again.")
        self.out(f"    Timed out: no answer A, R or F within {wait:g} s.")
        raise NoAnswer(f"manual mode: no answer from the operator within {wait:g} s")
