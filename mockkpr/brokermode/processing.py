"""Processing one delivery in broker mode: claims around the receiver, answers to the outbox.

RabbitMQ gives each message to one consumer, but a message comes again when the consumer's
connection was lost before its ``accepted`` arrived (a crash, a broker restart), and then
possibly to another process. The shared journal and the claims of
:mod:`mockkpr.brokermode.coordination` make such a redelivery harmless:

- already answered (the journal has an entry for this sender and message-id) and
  **redelivered** (RabbitMQ says ``first-acquirer = false``): accepted without a new answer —
  the first answers are in the outbox, which delivers them at least once;
- already answered and **not** redelivered: the sender sent the same message-id again; the
  receiver's own duplicate rule applies (the same answers are sent again, as in embedded mode);
- being processed by a live process: wait for it (its claim), then as above;
- claimed by a process that stopped heartbeating: taken over and processed.

Parts of a split message take a claim on their group for the time they are stored, so that two
processes storing the last two parts cannot both miss the complete group.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from mockkpr.brokermode.coordination import Claim, ClaimKey, ClaimState, Coordinator
from mockkpr.brokermode.outbox import Outbox
from mockkpr.journal.store import Journal
from mockkpr.log import get_logger
from mockkpr.service.messages import InboundMessage
from mockkpr.service.results import ProcessResult, Settle

log = get_logger(__name__)

Processor = Callable[[InboundMessage], ProcessResult]
#: First and longest pause between claim attempts while another process holds a claim.
POLL_FIRST_S = 0.02
POLL_MAX_S = 0.5


class BrokerProcessor:
    """``processor(inbound) -> ProcessResult`` for the consumer's worker threads.

    ``process`` is the receiver's :meth:`~mockkpr.service.pipeline.Receiver.process` (or a
    wrapper of it). ``max_wait_s`` bounds the wait for another process's claim; after it the
    delivery is given back (RETRY) to come again later.
    """

    def __init__(self, process: Processor, journal: Journal, coordinator: Coordinator,
                 outbox: Outbox, *, max_wait_s: float) -> None:
        self.process = process
        self.journal = journal
        self.coordinator = coordinator
        self.outbox = outbox
        self.max_wait_s = max_wait_s
        self._held: set[ClaimKey] = set()
        self._held_lock = threading.Lock()

    def __call__(self, inbound: InboundMessage) -> ProcessResult:
        sender = inbound.prop("fromHerId")
        message_id = inbound.message_id
        if not sender or not message_id:  # cannot be told apart from others: just process
            return self._publish(self._run(inbound))
        redelivered = inbound.delivery_count > 0
        key = (sender, message_id)
        # Only a redelivery needs the journal before the claim: a first delivery that was
        # answered before goes through the claim (DONE, or OWNED when the claim was pruned)
        # to the receiver's duplicate rule, as it would here. (One transaction less.)
        if redelivered and self.journal.find(message_id, sender) is not None:
            return self._answered(inbound, redelivered)
        claim = self._acquire(key)
        if claim.state is ClaimState.BUSY:
            log.info("broker.still_claimed", message_id=message_id, owner=claim.owner)
            return ProcessResult(Settle.RETRY, description=f"message {message_id} is being "
                                 f"processed by {claim.owner}")
        if claim.state is ClaimState.DONE:
            if self.journal.find(message_id, sender) is not None:
                return self._answered(inbound, redelivered)
            if not self.coordinator.take_over(key, claim):  # answered, then pruned or reset
                return ProcessResult(Settle.RETRY, description="claim changed hands")
        return self._owned(key, inbound, redelivered, recheck=claim.taken_over)

    # ------------------------------------------------------------------ cases
    def _answered(self, inbound: InboundMessage, redelivered: bool) -> ProcessResult:
        if redelivered:
            log.info("broker.redelivery_already_answered", message_id=inbound.message_id,
                     sender=inbound.prop("fromHerId"))
            return ProcessResult(Settle.ACCEPT)
        # the sender sent it again: the receiver's duplicate rule
        return self._publish(self._run(inbound))

    def _owned(self, key: ClaimKey, inbound: InboundMessage, redelivered: bool, *,
               recheck: bool) -> ProcessResult:
        try:
            # A dead owner may have recorded the answer before it could mark the claim done.
            if recheck and self.journal.find(key[1], key[0]) is not None:
                result = self._answered(inbound, redelivered)
                self._let_go(key, release=False)
                return result
            result = self._run(inbound)
        except BaseException:
            self._let_go(key, release=True)
            raise
        if result.settle is Settle.RETRY:
            self._let_go(key, release=True)
            return result
        self._let_go(key, release=False, outbox=[item.id for item in result.queued])
        self.outbox.add(result.queued)
        return result

    def _publish(self, result: ProcessResult) -> ProcessResult:
        """Take the result's answers for this process's outbox."""
        if result.queued:
            self.coordinator.own_outbox(item.id for item in result.queued)
            self.outbox.add(result.queued)
        return result

    def _run(self, inbound: InboundMessage) -> ProcessResult:
        """The receiver, under the group's lock for parts (the caller takes the answers)."""
        group_key = None
        if inbound.group_id is not None:
            group_key = (inbound.prop("fromHerId") or "", f"group:{inbound.group_id}")
            if self._acquire(group_key).state is not ClaimState.OWNED:
                return ProcessResult(Settle.RETRY, description="the message group is locked")
        try:
            return self.process(inbound)
        finally:
            if group_key is not None:
                self._let_go(group_key, release=True)

    # ------------------------------------------------------------------ claims
    def _acquire(self, key: ClaimKey) -> Claim:
        """Claim ``key``, waiting up to ``max_wait_s`` while a live process holds it.

        Within this process a key is held by one thread at a time (``_held``), so a
        redelivery that arrives while this process still works on the first delivery waits
        for it like one that arrives at another process. An OWNED key stays held until
        :meth:`_let_go`.
        """
        deadline = time.monotonic() + self.max_wait_s
        pause = POLL_FIRST_S
        while True:
            with self._held_lock:
                here = key in self._held
                self._held.add(key)
            if here:
                claim = Claim(ClaimState.BUSY, self.coordinator.instance_id, datetime.now(UTC))
            else:
                try:
                    claim = self.coordinator.claim(key)
                except BaseException:
                    self._unhold(key)
                    raise
                if claim.state is ClaimState.OWNED:
                    return claim
                self._unhold(key)
            if claim.state is ClaimState.DONE or time.monotonic() >= deadline:
                return claim
            time.sleep(pause)
            pause = min(pause * 2, POLL_MAX_S)

    def _let_go(self, key: ClaimKey, *, release: bool, outbox: list[int] | None = None) -> None:
        """Mark ``key`` done (answered; taking ``outbox``) or release it (unanswered, or a
        lock), then unhold it."""
        try:
            if release:
                self.coordinator.release(key)
            else:
                self.coordinator.finish(key, outbox or [])
        finally:
            self._unhold(key)

    def _unhold(self, key: ClaimKey) -> None:
        with self._held_lock:
            self._held.discard(key)
