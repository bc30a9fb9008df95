"""Register-level faults: the receiver's answer changed in the AppRec's own dialect.

The receiver (:class:`mockkpr.service.pipeline.Receiver`) decides its answers, then hands an
:class:`AnswerStage` to :meth:`AnswerFaults.on_answer` before the journal records and queues
them. A fault then rewrites ``stage.entry.answers`` (and the entry's outcome, so that the
journal says what the sender got):

=================== ==================================================================
apprec-status       the AppRec rebuilt with the chosen status (8258) and errors (8221)
late-apprec         the AppRec queued with ``not_before`` = now + delay (endpoint clock)
no-apprec           the AppRec left out
duplicate-apprec    the AppRec queued ``copies`` times
forged-apprec       signed with an expired, revoked or unknown-CA certificate in KPR's name
                    or with another party's valid one, KPR's signature over a changed
                    AppRec, or encrypted to a key the sender does not hold
orphan-apprec       ``OriginalMsgId`` (and the correlation-id) pointing at nothing
transport-error     a transport error message on the sender's ``_error`` queue instead
=================== ==================================================================

This module knows nothing of AMQP: the AppRec is rebuilt through the receiver's own builder
(``stage.rebuild``) with an :class:`ApprecChange`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from cryptography import x509

from mockkpr.envelope import ReceiptOutcome, Status
from mockkpr.envelope.apprec import ReceiptError
from mockkpr.errors import ConfigError, TransportError
from mockkpr.faults import model as m
from mockkpr.faults.forged import (
    CHANGED_CONTENT,
    OTHER_PARTY,
    SIGNER_FILES,
    WRONG_KEY,
    WRONG_RECIPIENT,
    ForgedKeys,
    changed_content,
)
from mockkpr.faults.plan import APPREC, ERROR_QUEUE, Facts, FaultPlan
from mockkpr.journal.models import AnswerRecord, JournalEntry, Outcome
from mockkpr.registry import KeyPair
from mockkpr.service.messages import InboundMessage, OutboundMessage
from mockkpr.service.transport_errors import DEFAULT_MAX_BODY, error_message

APPREC_KIND = "apprec"
ERROR_KIND = "transport-error"
_OUTCOME_OF_STATUS = {"1": Outcome.ACCEPTED, "2": Outcome.REJECTED, "3": Outcome.PARTIAL}


@dataclass(frozen=True)
class ApprecChange:
    """What to build differently in an AppRec; None keeps the receiver's own choice."""

    outcome: ReceiptOutcome | None = None
    original_msg_id: str | None = None
    correlation_id: str | None = None
    signer: KeyPair | None = None
    recipient: x509.Certificate | None = None
    #: Rewrites the signed AppRec (DER SignedData) before it is encrypted: a forgery.
    rewrite_signed: Callable[[bytes], bytes] | None = None


Rebuild = Callable[[ApprecChange], OutboundMessage]


@dataclass
class AnswerStage:
    """The receiver's answer to one message, open for change.

    ``rebuild`` builds the AppRec again with a change (None when no AppRec is due);
    ``error_queue`` is the sender's ``_error`` queue and ``her_ids`` the receiver's and the
    sender's HER-id (both None when the sender is unknown); ``max_error_body`` is the largest
    original body a transport error returns (``MOCKKPR_MAX_MESSAGE_BYTES``).
    """

    inbound: InboundMessage
    entry: JournalEntry
    now: datetime
    error_queue: str | None
    rebuild: Rebuild | None
    her_ids: tuple[int, int] | None = None
    max_error_body: int = DEFAULT_MAX_BODY


class AnswerHook(Protocol):
    """What the receiver calls before it records its answers."""

    def on_answer(self, stage: AnswerStage) -> None: ...


class AnswerFaults:
    """Applies the armed scenario's register-level faults to the receiver's answers."""

    def __init__(self, plan: FaultPlan, forged: ForgedKeys | None) -> None:
        self.plan = plan
        self.forged = forged
        plan.checks.append(self.check)

    def check(self, scenario: m.Scenario) -> None:
        """Refuse a scenario whose forged AppRecs this endpoint cannot make."""
        for fault in scenario.faults:
            if isinstance(fault, m.ForgedApprec):
                if self.forged is None:
                    raise ConfigError(f"forged-apprec {fault.problem}: no registry to take "
                                   "forged certificates from")
                self.forged.check(fault.problem)

    def on_answer(self, stage: AnswerStage) -> None:
        """Let the first fault that fires for this answer change it."""
        if not self.plan.wants(m.Stage.ANSWER):
            return
        entry = stage.entry
        can = set()
        if stage.rebuild is not None and _apprecs(entry):
            can.add(APPREC)
        if stage.error_queue is not None:
            can.add(ERROR_QUEUE)
        facts = Facts(subject=stage.inbound.subject,
                      senders=frozenset({entry.sender_her_id} if entry.sender_her_id else ()),
                      message_id=stage.inbound.message_id, answers=frozenset(can))
        chosen = self.plan.select(m.Stage.ANSWER, facts)
        if chosen is not None:
            self.apply(chosen[1], stage)

    def apply(self, fault: m.Fault, stage: AnswerStage) -> None:
        """Change ``stage``'s answers as ``fault`` says."""
        entry = stage.entry
        if isinstance(fault, m.TransportErrorAnswer):
            self._transport_error(fault, stage)
            return
        rebuild = stage.rebuild
        assert rebuild is not None, "AppRec faults are only selected when an AppRec is due"
        if isinstance(fault, m.ApprecStatus):
            outcome = ReceiptOutcome(Status(fault.status), tuple(
                ReceiptError(e.code, e.text or e.code.text, e.location) for e in fault.errors))
            _replace_apprecs(entry, lambda _: rebuild(ApprecChange(outcome=outcome)))
            entry.apprec_status = fault.status
            entry.outcome = _OUTCOME_OF_STATUS[fault.status]
        elif isinstance(fault, m.LateApprec):
            due = stage.now + fault.delay
            entry.answers = [replace(a, sent_at=due, not_before=due) if a.kind == APPREC_KIND
                             else a for a in entry.answers]
        elif isinstance(fault, m.NoApprec):
            entry.answers = [a for a in entry.answers if a.kind != APPREC_KIND]
        elif isinstance(fault, m.DuplicateApprec):
            entry.answers = [copy for a in entry.answers for copy in _copies(a, fault)]
        elif isinstance(fault, m.ForgedApprec):
            recipient = entry.sender_her_id
            change = self._forgery(fault.problem, int(recipient) if recipient and
                                   recipient.isdigit() else None)
            _replace_apprecs(entry, lambda _: rebuild(change))
        elif isinstance(fault, m.OrphanApprec):
            orphan = fault.original_msg_id or str(uuid.uuid4())
            correlation = None if fault.keep_correlation_id else str(uuid.uuid4())
            _replace_apprecs(entry, lambda _: rebuild(
                ApprecChange(original_msg_id=orphan, correlation_id=correlation)))

    def _forgery(self, problem: str, recipient: int | None) -> ApprecChange:
        if self.forged is None:
            raise ConfigError(f"forged-apprec {problem}: no forged certificates")
        if problem == WRONG_KEY:
            return ApprecChange(recipient=self.forged.wrong_recipient())
        if problem == WRONG_RECIPIENT:
            return ApprecChange(recipient=self.forged.other_recipient(recipient))
        if problem == OTHER_PARTY:
            return ApprecChange(signer=self.forged.other_party(recipient))
        if problem == CHANGED_CONTENT:
            return ApprecChange(rewrite_signed=changed_content)
        assert problem in SIGNER_FILES
        return ApprecChange(signer=self.forged.signer(problem))

    def _transport_error(self, fault: m.TransportErrorAnswer, stage: AnswerStage) -> None:
        assert stage.error_queue is not None
        assert stage.her_ids is not None
        entry = stage.entry
        error = TransportError(fault.condition, fault.error_description, fault.data)
        reporter, sender = stage.her_ids
        message = error_message(stage.inbound, error, queue=stage.error_queue, now=stage.now,
                                reporter=reporter, sender=sender,
                                max_body=stage.max_error_body)
        kept = [a for a in entry.answers if fault.keep_apprec or a.kind != APPREC_KIND]
        entry.answers = [*kept, AnswerRecord(ERROR_KIND, message, stage.now)]
        entry.error_condition = error.condition
        entry.error_description = error.description
        entry.error_data = error.data
        if not fault.keep_apprec:
            entry.outcome = Outcome.TRANSPORT_ERROR


def _apprecs(entry: JournalEntry) -> list[AnswerRecord]:
    return [a for a in entry.answers if a.kind == APPREC_KIND]


def _replace_apprecs(entry: JournalEntry,
                     build: Callable[[AnswerRecord], OutboundMessage]) -> None:
    entry.answers = [replace(a, message=build(a)) if a.kind == APPREC_KIND else a
                     for a in entry.answers]


def _copies(answer: AnswerRecord, fault: m.DuplicateApprec) -> list[AnswerRecord]:
    if answer.kind != APPREC_KIND:
        return [answer]
    copies = [answer]
    for _ in range(fault.copies - 1):
        message = answer.message
        if fault.new_message_id:
            message = replace(message, message_id=str(uuid.uuid4()))
        copies.append(replace(answer, message=message))
    return copies
