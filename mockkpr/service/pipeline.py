"""The KPR receiver: checks an inbound message in the profile's order and decides the answer.

Order (nhn-amqp-profile.md §4): account may send as ``fromHerId`` → duplicate → split parts →
header fields → CMS (decrypt, signer, signature, certificates) → MsgHead XML → spoofing →
supported function → the IPLOS validation → AppRec. Each message is recorded in the journal
with its answers in one transaction before the delivery is settled.

A payload-only submission (the HTTP route, :mod:`mockkpr.service.submissions`) takes the same
path without MsgHead and without answers: duplicate → receiver → sender → CMS → a 56.0.0
document → the validation; :meth:`Receiver.process_payload`.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from mockkpr.cms import CmsError, RevocationStatusUnknown, envelope, protect, sign, unprotect
from mockkpr.envelope import (
    EnvelopeError,
    MsgHeadInfo,
    Organisation,
    OriginalMsg,
    ReceiptOutcome,
    Status,
    build_apprec,
    parse_msghead,
    receipt_outcome,
    sender_her_ids,
)
from mockkpr.errors import TransportError
from mockkpr.faults.answers import AnswerHook, AnswerStage, ApprecChange
from mockkpr.iplos import DocumentKind, Generation, Report, sniff_format, validate
from mockkpr.iplos.pairing import PairKey, pair_key
from mockkpr.iplos.render import report_json
from mockkpr.iplos.rules.event_history import EventHistory
from mockkpr.iplos.validate import ParsedDocument
from mockkpr.journal.models import (
    AnswerRecord,
    CompleteGroup,
    GroupLimits,
    GroupRefused,
    JournalEntry,
    Outcome,
    StaleGroup,
    StoredIdentity,
)
from mockkpr.log import get_logger
from mockkpr.registry import Party, Registry
from mockkpr.service.groups import (
    GROUP_REFUSED,
    GROUP_SIZE,
    MAX_GROUP_PARTS,
    expired_message,
    limits_of,
    parse_group_size,
    part_meta,
    refused_details,
)
from mockkpr.service.herids import her_id_value
from mockkpr.service.keyed import KeyedLocks, message_key
from mockkpr.service.messages import (
    CMS_CONTENT_TYPE,
    PLAIN_CONTENT_TYPES,
    InboundMessage,
    OutboundMessage,
)
from mockkpr.service.observations import cms_details, group_details
from mockkpr.service.outline import envelope_outline
from mockkpr.service.results import ProcessResult, QueuedMessage, Settle
from mockkpr.service.submissions import NOT_EVENT_MESSAGE, REF_ID, AnswerDetails, Submitted
from mockkpr.service.transport_errors import (
    APPLICATION_TIMESTAMP as APPLICATION_TIMESTAMP,  # re-exported: the reference sender uses it
)
from mockkpr.service.transport_errors import (
    ENQUEUED_TIME,
    MISSING_FIELDS,
    MISSING_FIELDS_DESCRIPTION,
    SPOOFING,
    UNSUPPORTED,
    error_message,
)
from mockkpr.settings import Settings

log = get_logger(__name__)

REQUIRED_FIELDS = (("toHerId", "toHerId"), ("fromHerId", "fromHerId"), ("subject", "Label"),
                   ("applicationTimeStamp", "applicationTimeStamp"),
                   ("content-type", "ContentType"))
#: The description of a part that breaks mockkpr's split convention (docs/endpoint.md).
SPLIT_CONVENTION = ("A part of a split message (group-id set) lacks {}: mockkpr's own split "
                    "convention needs the application property groupSize (the number of parts, "
                    "a string) and group-sequence 0..n-1 on every part (NHN's library never "
                    "splits; `mockkpr docs endpoint`, Split messages)")
_OUTCOME_OF = {Status.OK: Outcome.ACCEPTED, Status.AVVIST: Outcome.REJECTED,
               Status.OK_FEIL_I_DELMELDING: Outcome.PARTIAL}
#: The entry detail holding an identity message's pairing key (kommune, year, bydel).
IDENTITY_KEY = "identity.pairing"
#: A document to validate: its bytes, or its bytes with the MsgHead's parse of it.
Document = bytes | ParsedDocument


class JournalPort(Protocol):
    """What the receiver needs of the journal."""

    def record_answered(self, entry: JournalEntry, *,
                        completes: tuple[str, str | None] | None = None
                        ) -> list[QueuedMessage]: ...

    def find(self, message_id: str, sender_her_id: str | None) -> JournalEntry | None: ...

    def add_part(self, group_id: str, sender_her_id: str | None, sequence: int, count: int,
                 body: bytes, meta: dict[str, Any], *,
                 limits: GroupLimits | None = None) -> CompleteGroup | None: ...

    def assemble(self, group_id: str, sender_her_id: str | None) -> bytes: ...

    def stale_groups(self, before: datetime, *, limit: int = 100) -> list[StaleGroup]: ...

    def expire_group(self, entry: JournalEntry, group_id: str, sender_her_id: str | None
                     ) -> list[QueuedMessage] | None: ...

    def identity_messages(self, sender_her_id: str) -> Iterator[StoredIdentity]: ...

    def payload_of(self, entry_id: int) -> bytes | None: ...

    def event_payloads(self, sender_her_id: str) -> Iterator[bytes]: ...


class StreamElsewhere(Exception):
    """A receiver without event streams (a worker process, :mod:`mockkpr.service.pool`) met
    a 56.0.0 event message; nothing was recorded, the endpoint's own receiver judges it."""


class _Answered(Exception):
    """Processing stops here with a transport error (raised inside :meth:`Receiver.process`)."""

    def __init__(self, error: TransportError) -> None:
        super().__init__(error.condition)
        self.error = error


@dataclass
class _Work:
    """What is known about one message as processing goes on."""

    inbound: InboundMessage
    entry: JournalEntry
    sender: Party | None = None
    msghead: MsgHeadInfo | None = None
    receipt: ReceiptOutcome | None = None  # the AppRec's verdict, once decided


class Receiver:
    """The KPR validation endpoint's behaviour for messages on its queue."""

    def __init__(
        self,
        registry: Registry,
        journal: JournalPort,
        settings: Settings,
        clock: Callable[[], datetime] | None = None,
        faults: AnswerHook | None = None,
        *,
        streams: bool = True,
    ) -> None:
        self.registry = registry
        # whether 56.0.0 event streams are judged here (False: StreamElsewhere, a worker)
        self.streams = streams
        self.journal = journal
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self.faults = faults  # register-level fault injection (mockkpr.faults.answers)
        self.kpr = registry.party(settings.kpr_her_id)
        self.group_limits = limits_of(settings)
        self._histories: dict[str, EventHistory] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        # (sender, message-id) of the messages being decided: copies wait for the first
        self._in_progress = KeyedLocks()

    # ------------------------------------------------------------------ entry point
    def process(self, inbound: InboundMessage) -> ProcessResult:
        """Decide and record the answer to one inbound message."""
        sender_id = inbound.prop("fromHerId")
        if sender_id is not None and inbound.user is not None:
            refused = self._authorise(inbound.user, sender_id, inbound)
            if refused is not None:
                return refused
        with self._in_progress.hold(message_key(inbound)):
            return self._process(inbound, sender_id)

    def _process(self, inbound: InboundMessage, sender_id: str | None) -> ProcessResult:
        """:meth:`process` once no copy of the message is being decided."""
        if inbound.message_id and sender_id:
            earlier = self.journal.find(inbound.message_id, sender_id)
            if earlier is not None and REF_ID not in earlier.details:  # HTTP ids are apart
                return self._duplicate(inbound, earlier)
        group: tuple[str, str | None] | None = None
        if inbound.group_id is not None:
            whole = self._reassemble(inbound)
            if isinstance(whole, ProcessResult):
                return whole
            group = (inbound.group_id, sender_id)
            inbound = whole
            # a whole group sent again (its parts have new message-ids): same as a duplicate
            earlier = self.journal.find(inbound.message_id or "", sender_id) \
                if sender_id else None
            if earlier is not None:
                return self._duplicate(inbound, earlier, completes=group)
        work = _Work(inbound, self._entry(inbound))
        try:
            outcome = self._handle(work)
        except _Answered as answered:
            outcome = self._transport_error(work, answered.error)
        except RevocationStatusUnknown as exc:
            log.warning("message.retry_later", message_id=inbound.message_id, reason=str(exc))
            return ProcessResult(Settle.RETRY, description=str(exc))
        work.entry.outcome = outcome
        if self.faults is not None:
            self.faults.on_answer(self._answer_stage(work))
        work.entry.answered_at = self.clock()
        queued = self.journal.record_answered(work.entry, completes=group)
        log.info("message.processed", message_id=inbound.message_id, sender=sender_id,
                 subject=inbound.subject, outcome=outcome.value, answers=len(queued))
        return ProcessResult(Settle.ACCEPT, entry_id=work.entry.id, queued=tuple(queued))

    # ------------------------------------------------------------------ before processing
    def _authorise(self, user: str, sender_id: str, inbound: InboundMessage
                   ) -> ProcessResult | None:
        """A user may send only as the HER-ids of its own account (issue: authorisation).

        A refused delivery is journaled too (outcome ``refused``, no answer sent), so that the
        journal shows what the endpoint told the sender."""
        allowed = self.registry.her_ids_of(user)
        if her_id_value(sender_id) not in allowed:
            log.info("message.refused", user=user, from_her_id=sender_id)
            refused = ProcessResult(
                Settle.REJECT, condition="amqp:unauthorized-access",
                description=f"user {user} may not send as fromHerId {sender_id}")
            entry = self._entry(inbound)
            entry.outcome = Outcome.REFUSED
            entry.error_condition, entry.error_description = refused.condition, \
                refused.description
            entry.answered_at = self.clock()
            self.journal.record_answered(entry)
            return refused
        return None

    def _duplicate(self, inbound: InboundMessage, earlier: JournalEntry, *,
                   completes: tuple[str, str | None] | None = None) -> ProcessResult:
        """The same message-id again: send the same answers again, process nothing."""
        entry = self._entry(inbound)
        entry.outcome = Outcome.DUPLICATE
        entry.answers = [replace(a, sent_at=self.clock(), disposition=None, settled_at=None)
                         for a in earlier.answers]
        entry.report = earlier.report
        entry.apprec_status = earlier.apprec_status
        entry.answered_at = self.clock()
        queued = self.journal.record_answered(entry, completes=completes)
        log.info("message.duplicate", message_id=inbound.message_id, earlier=earlier.id)
        return ProcessResult(Settle.ACCEPT, entry_id=entry.id, queued=tuple(queued))

    def _reassemble(self, inbound: InboundMessage) -> InboundMessage | ProcessResult:
        """Store one part of a split message; the whole message once every part is in.

        Convention (docs/endpoint.md): every part carries the same ``group-id`` (the logical
        message-id), ``group-sequence`` 0..n-1 and the application property ``groupSize`` = n;
        the parts' bodies concatenated in sequence order are the protected message. A part
        that does not fit its group, or passes a bound (:mod:`mockkpr.service.groups`), is
        answered with one transport error for the group, whose stored parts are dropped; its
        later parts are dropped unanswered, but for the last one (a group sent again ends with
        it), which gets the same answer again as a duplicate. The parts stay stored until the
        whole message's answer is recorded (``completes``), so an unexpected failure or a
        crash in between loses none of them.
        """
        group_id = inbound.group_id
        assert group_id is not None
        sender_id = inbound.prop("fromHerId")
        size_text = inbound.prop(GROUP_SIZE)
        count = parse_group_size(size_text)
        sequence = inbound.group_sequence
        earlier = self.journal.find(group_id, sender_id) if sender_id else None
        if earlier is not None and earlier.details.get(GROUP_REFUSED):
            if count is not None and sequence == count - 1:
                # the last part: a group sent again ends with it, so its sender hears again
                return self._duplicate(replace(inbound, message_id=group_id), earlier)
            log.info("message.part_dropped", group_id=group_id, part=inbound.message_id,
                     reason=f"its group was {earlier.details[GROUP_REFUSED]}")
            return ProcessResult(Settle.ACCEPT)
        if size_text is None or sequence is None:
            missing = tuple(n for n, there in ((GROUP_SIZE, size_text is not None),
                                               ("group-sequence", sequence is not None))
                            if not there)
            return self._refuse_part(inbound, TransportError(
                MISSING_FIELDS, SPLIT_CONVENTION.format(" and ".join(missing)), missing))
        if count is None:
            return self._refuse_part(inbound, TransportError(
                MISSING_FIELDS, f"groupSize {size_text[:40]!r} is not a whole number from 1 to "
                f"{MAX_GROUP_PARTS}", (GROUP_SIZE,)))
        try:
            complete = self.journal.add_part(group_id, sender_id, sequence, count, inbound.body,
                                             part_meta(inbound), limits=self.group_limits)
        except GroupRefused as exc:
            return self._refuse_part(inbound, TransportError(MISSING_FIELDS, str(exc),
                                                             exc.items))
        if complete is None:
            return ProcessResult(Settle.HOLD)
        whole = self.journal.assemble(group_id, sender_id)
        return replace(inbound, message_id=group_id, body=whole, group_id=None,
                       group_sequence=None,
                       wire={**inbound.wire, **group_details(group_id, complete.metas)})

    def _refuse_part(self, inbound: InboundMessage, error: TransportError) -> ProcessResult:
        """Answer for the group a part cannot belong to (its group-id as the original
        message-id), and drop the group's stored parts in the same transaction."""
        assert inbound.group_id is not None
        log.info("message.group_refused", group_id=inbound.group_id, part=inbound.message_id,
                 reason=error.description)
        group = replace(inbound, message_id=inbound.group_id,
                        wire={**inbound.wire, **refused_details(inbound, "refused")})
        # the error is about the group, which never travelled as one message: no body comes
        # back (as for an expired group), not the refused part's bytes
        work = _Work(replace(group, body=b""), self._entry(group))
        work.entry.outcome = self._transport_error(work, error)
        work.entry.answered_at = self.clock()
        queued = self.journal.record_answered(
            work.entry, completes=(inbound.group_id, inbound.prop("fromHerId")))
        return ProcessResult(Settle.ACCEPT, entry_id=work.entry.id, queued=tuple(queued))

    def expire_groups(self, *, now: datetime | None = None) -> list[QueuedMessage]:
        """Drop the groups not complete ``MOCKKPR_GROUP_TIMEOUT`` after their first part, each
        answered with a transport error for the group; the answers queued."""
        timeout = self.settings.group_timeout
        before = (now or datetime.now(UTC)) - timedelta(seconds=timeout)
        queued: list[QueuedMessage] = []
        for stale in self._stale(before):
            inbound = expired_message(stale)
            work = _Work(inbound, self._entry(inbound))
            work.entry.outcome = self._transport_error(work, TransportError(
                MISSING_FIELDS, f"split message group {stale.group_id!r}: {stale.received} of "
                f"{stale.count} parts came within {timeout:g} s; the group was dropped",
                ("group-sequence", f"received={stale.received}", f"groupSize={stale.count}")))
            work.entry.answered_at = self.clock()
            answered = self.journal.expire_group(work.entry, stale.group_id,
                                                 stale.sender_key or None)
            if answered is not None:
                log.info("message.group_expired", group_id=stale.group_id,
                         sender=stale.sender_key, parts=stale.received, of=stale.count)
                queued.extend(answered)
        return queued

    def _stale(self, before: datetime, batch: int = 100, most: int = 10_000
               ) -> Iterator[StaleGroup]:
        """The groups to expire, a batch at a time (at most ``most`` in one run)."""
        done = 0
        while done < most:
            found = self.journal.stale_groups(before, limit=batch)
            yield from found
            done += len(found)
            if len(found) < batch:
                return

    def _entry(self, inbound: InboundMessage) -> JournalEntry:
        return JournalEntry(
            message_id=inbound.message_id or "",
            received_at=inbound.received_at,
            queue=inbound.queue,
            user=inbound.user,
            sender_her_id=inbound.prop("fromHerId"),
            receiver_her_id=inbound.prop("toHerId"),
            subject=inbound.subject,
            properties={
                "message-id": inbound.message_id, "correlation-id": inbound.correlation_id,
                "to": inbound.to, "reply-to": inbound.reply_to, "subject": inbound.subject,
                "content-type": inbound.content_type, "group-id": inbound.group_id,
                "body-kind": inbound.body_kind.value,
            },
            application_properties=dict(inbound.application_properties),
            body_size=len(inbound.body),
            details=dict(inbound.wire),
        )

    # ------------------------------------------------------------------ the checks
    def _handle(self, work: _Work) -> Outcome:
        inbound = work.inbound
        self._check_headers(inbound)
        work.sender = self._sender(inbound)
        payload = self._open(work)
        work.entry.payload = payload  # the decrypted MsgHead, until its content is known
        work.msghead = self._msghead(payload)
        work.entry.payload = work.msghead.payload  # the IPLOS or identity document itself
        work.entry.envelope = envelope_outline(payload, work.msghead.payload,
                                               work.msghead.payload_line)
        work.entry.msghead = _msghead_summary(work.msghead)
        self._check_spoofing(inbound, work.msghead)
        wanted = DocumentKind.IDENTITY if work.msghead.msg_type == "KPR_IDE" \
            else DocumentKind.IPLOS
        # the envelope's parse of the document, when the validator can judge that instead
        document = work.msghead.document or work.msghead.payload
        report = self._validate(work, document, wanted, work.msghead.msg_type)
        return self._answer(work, report)

    def _check_headers(self, inbound: InboundMessage) -> None:
        missing = []
        for name, label in REQUIRED_FIELDS:
            if name == "subject":
                present = bool(inbound.subject)
            elif name == "content-type":
                present = bool(inbound.content_type)
            else:
                present = inbound.prop(name) is not None
            if not present:
                missing.append(label)
        if missing:
            raise _Answered(TransportError(MISSING_FIELDS, MISSING_FIELDS_DESCRIPTION,
                                           tuple(missing)))
        self._check_receiver(inbound)

    def _check_receiver(self, inbound: InboundMessage) -> None:
        to_her_id = inbound.prop("toHerId")
        if to_her_id != str(self.kpr.her_id):
            raise _Answered(TransportError(
                MISSING_FIELDS, "toHerId is not this receiver",
                (f"toHerId={to_her_id}", f"expected={self.kpr.her_id}")))

    def _sender(self, inbound: InboundMessage) -> Party:
        sender_id = inbound.prop("fromHerId") or ""
        her_id = her_id_value(sender_id)
        party = self.registry.find(her_id) if her_id is not None else None
        if party is None:
            raise _Answered(TransportError("transport:missing-certificate",
                                           "Sender is not in the address register",
                                           (f"fromHerId={sender_id}",)))
        return party

    def _open(self, work: _Work) -> bytes:
        inbound = work.inbound
        content_type = (inbound.content_type or "").strip()
        if content_type.split(";")[0].strip().lower() in PLAIN_CONTENT_TYPES:
            if not self.settings.accept_unencrypted:
                raise _Answered(TransportError(UNSUPPORTED, "Unencrypted messages are not "
                                               "accepted by this receiver", (content_type,)))
            return inbound.body
        if _normalise(content_type) != _normalise(CMS_CONTENT_TYPE):
            raise _Answered(TransportError(UNSUPPORTED, "Unsupported content-type",
                                           (content_type,)))
        assert work.sender is not None
        try:
            result = unprotect(
                inbound.body, own_keys=self.kpr.own_keys(),
                expected_signer=work.sender.signing_certificate,
                ca_certs=[self.registry.ca_certificate], crls=[self.registry.crl],
                now=self.clock(), allow_3des=self.settings.allow_3des,
                allow_sha1=self.settings.allow_sha1)
        except CmsError as exc:
            raise _Answered(exc) from None
        work.entry.details.update(cms_details(result))
        if result.deviations:  # recorded in the entry's details (cms.deviations) as well
            log.info("message.cms_deviations", message_id=inbound.message_id,
                     deviations=list(result.deviations))
        return result.payload

    def _msghead(self, payload: bytes) -> MsgHeadInfo:
        try:
            return parse_msghead(payload)
        except EnvelopeError as exc:
            raise _Answered(exc) from None

    def _check_spoofing(self, inbound: InboundMessage, info: MsgHeadInfo) -> None:
        sender_id = inbound.prop("fromHerId") or ""
        if her_id_value(sender_id) not in sender_her_ids(info):
            raise _Answered(TransportError(
                SPOOFING, "fromHerId does not match the sender in the MsgHead",
                (f"fromHerId={sender_id}",
                 "MsgHead=" + ",".join(str(h) for h in sorted(sender_her_ids(info))))))

    def _validate(self, work: _Work, payload: Document, wanted: DocumentKind,
                  label: str) -> Report:
        fmt = sniff_format(payload)
        if fmt is not None and fmt.kind is not wanted:
            raise _Answered(TransportError(
                UNSUPPORTED, f"{label} does not carry this document",
                (f"document={fmt.label}",)))
        name = work.inbound.message_id or "message"
        if fmt is not None and fmt.generation is Generation.EVENT_56 and work.sender is not None:
            report = self._validate_event(payload, str(work.sender.her_id), name)
        elif wanted is DocumentKind.IPLOS and fmt is not None and fmt.generation and \
                fmt.generation.is_annual and work.sender is not None:
            report = self._validate_annual(payload, str(work.sender.her_id), name)
        else:
            report = validate(payload, settings=self.settings, name=name)
            key = pair_key(payload) if fmt is not None and wanted is DocumentKind.IDENTITY \
                else None
            if key is not None:  # what an annual file of the sender will be paired on
                work.entry.details[IDENTITY_KEY] = key.as_json()
        work.entry.report = report_json(report)
        return report

    def _validate_annual(self, payload: Document, sender: str, name: str) -> Report:
        """An annual file, joined with the sender's newest accepted identity message for the
        same kommune, year and bydel (:mod:`mockkpr.iplos.pairing`); the report says which
        one, or that there was none (IDE-NONE, every person without identity)."""
        key = pair_key(payload)
        if key is None:  # the header is unreadable: its own rules say so; nothing to join
            return validate(payload, settings=self.settings, name=name)
        used = self._identity_for(sender, key)
        identity = self.journal.payload_of(used.id) if used else None
        if identity is None:
            used = None
        report = validate(payload, identity=identity, settings=self.settings, name=name,
                          identity_required=True)
        report.identity_source = {
            "joined": used is not None, **key.as_json(),
            "journal_id": used.id if used else None,
            "message_id": used.message_id if used else None,
            "msg_id": used.msg_id if used else None,
            "received_at": used.received_at.isoformat() if used else None,
        }
        return report

    def _identity_for(self, sender: str, key: PairKey) -> StoredIdentity | None:
        """The newest identity message of ``sender`` whose header matches ``key``."""
        for candidate in self.journal.identity_messages(sender):
            found = PairKey.from_json(candidate.details.get(IDENTITY_KEY))
            if found is None:  # journalled before keys were kept: read its header
                stored = self.journal.payload_of(candidate.id)
                found = pair_key(stored) if stored is not None else None
            if found is not None and key.matches(found):
                return candidate
        return None

    # ------------------------------------------------------------------ event streams
    def _validate_event(self, payload: Document, sender: str, name: str) -> Report:
        """A 56.0.0 message continues the sender's event stream (chaining, running numbers,
        starts before ends). An accepted message extends the stream; a rejected one does not,
        as KPR discards it. Messages of one sender are judged one at a time."""
        if not self.streams:
            raise StreamElsewhere(sender)
        with self._lock_for(sender):
            base = self._histories.get(sender)
            if base is None:
                base = self._histories[sender] = self._replay(sender)
            trial = copy.deepcopy(base)
            report = validate(payload, settings=self.settings, name=name, history=trial)
            if report.accepted:
                self._histories[sender] = trial
        return report

    def _replay(self, sender: str) -> EventHistory:
        """The sender's stream so far, rebuilt from the journal (after a start or a reset)."""
        history = EventHistory()
        for earlier in self.journal.event_payloads(sender):
            trial = copy.deepcopy(history)
            if validate(earlier, settings=self.settings, history=trial).accepted:
                history = trial
        return history

    def _lock_for(self, sender: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(sender, threading.Lock())

    def forget_streams(self) -> None:
        """Drop the remembered event streams (the journal was reset)."""
        with self._locks_guard:
            self._histories.clear()

    # ------------------------------------------------------------------ payload-only submissions
    def process_payload(self, inbound: InboundMessage, *, refused: TransportError | None = None,
                        answer_details: AnswerDetails | None = None) -> Submitted:
        """Decide and record a submission whose body is the protected document, no MsgHead.

        The front door has authenticated the sender and put the header's HER-ids in the
        ``fromHerId``/``toHerId`` properties and its reference id in ``wire`` (``REF_ID``);
        ``refused`` is a problem it found in the request itself, recorded as such. A repeated
        message-id of a received submission from the same sender is a duplicate: the earlier
        entry is returned and nothing recorded. The checks are the service bus's, in its order
        (receiver, sender, CMS), then the payload must be a 56.0.0 message, which is validated
        as part of the sender's event stream. The verdict is recorded with ``answer_details``'s
        keys in one transaction; no answer is queued.
        """
        sender_id = inbound.prop("fromHerId")
        message_id = inbound.message_id or ""
        with self._in_progress.hold(message_key(inbound)):
            if refused is None and message_id and sender_id:
                earlier = self.journal.find(message_id, sender_id)
                if earlier is not None and REF_ID in earlier.details \
                        and earlier.outcome is not Outcome.TRANSPORT_ERROR:
                    log.info("submission.duplicate", message_id=message_id, earlier=earlier.id)
                    return Submitted(earlier, duplicate=True)
            work = _Work(inbound, self._entry(inbound))
            error: TransportError | None = None
            try:
                if refused is not None:
                    raise _Answered(refused)
                work.entry.outcome = self._handle_payload(work)
            except _Answered as answered:
                error = answered.error
                work.entry.outcome = Outcome.TRANSPORT_ERROR
                work.entry.error_condition = error.condition
                work.entry.error_description = error.description
                work.entry.error_data = error.data
            except RevocationStatusUnknown as exc:
                log.warning("submission.retry_later", message_id=message_id, reason=str(exc))
                return Submitted(None, retry=str(exc))
            if answer_details is not None:
                work.entry.details.update(answer_details(error))
            work.entry.answered_at = self.clock()
            self.journal.record_answered(work.entry)
        log.info("submission.processed", message_id=message_id, sender=sender_id,
                 outcome=work.entry.outcome.value,
                 condition=error.condition if error is not None else None)
        return Submitted(work.entry, error=error)

    def _handle_payload(self, work: _Work) -> Outcome:
        self._check_receiver(work.inbound)
        work.sender = self._sender(work.inbound)
        payload = self._open(work)
        work.entry.payload = payload
        fmt = sniff_format(payload)
        if fmt is None or fmt.kind is not DocumentKind.IPLOS \
                or fmt.generation is not Generation.EVENT_56:
            raise _Answered(TransportError(
                UNSUPPORTED, NOT_EVENT_MESSAGE,
                (f"document={fmt.label}" if fmt is not None else "document=unknown",)))
        report = self._validate(work, payload, DocumentKind.IPLOS, "IPLOS")
        return _OUTCOME_OF[receipt_outcome(report).status]

    # ------------------------------------------------------------------ answers
    def _answer(self, work: _Work, report: Report) -> Outcome:
        assert work.msghead is not None
        assert work.sender is not None
        outcome = receipt_outcome(report)
        work.receipt = outcome
        work.entry.apprec_status = outcome.status.value
        result = _OUTCOME_OF[outcome.status]
        if work.msghead.ack is False:
            return Outcome.NO_RECEIPT_REQUESTED
        work.entry.answers.append(
            AnswerRecord("apprec", self._apprec_message(work, outcome), self.clock()))
        return result

    def _apprec_message(self, work: _Work, outcome: ReceiptOutcome,
                        change: ApprecChange | None = None) -> OutboundMessage:
        assert work.msghead is not None
        assert work.sender is not None
        change = change or ApprecChange()
        now = self.clock()
        kpr_org = Organisation(self.kpr.name, self.kpr.her_id)
        original = OriginalMsg.from_msghead(work.msghead)
        if change.original_msg_id is not None:
            original = replace(original, msg_id=change.original_msg_id)
        apprec = build_apprec(
            change.outcome or outcome, version=self.settings.apprec_version, sender=kpr_org,
            receiver=work.msghead.sender, original=original,
            gen_date=now, apprec_id=str(uuid.uuid4()))
        signing = change.signer or self.kpr.signing
        assert signing is not None, "the KPR party must hold its signing key"
        recipient = change.recipient or work.sender.encryption_certificate
        if change.rewrite_signed is None:
            body = protect(apprec, signer_cert=signing.certificate, signer_key=signing.key,
                           recipient_cert=recipient)
        else:  # a forged AppRec (fault injection): the signed AppRec changed, then encrypted
            signed = sign(apprec, signer_cert=signing.certificate, signer_key=signing.key)
            body = envelope(change.rewrite_signed(signed), recipient_cert=recipient)
        queue = work.sender.queues.asynchronous
        return OutboundMessage(
            queue=queue, message_id=str(uuid.uuid4()), subject="APPREC",
            content_type=CMS_CONTENT_TYPE,
            application_properties={
                "fromHerId": str(self.kpr.her_id), "toHerId": str(work.sender.her_id),
                "applicationTimeStamp": now.strftime(APPLICATION_TIMESTAMP),
                "enqueuedTimeUtc": now.strftime(ENQUEUED_TIME),
            },
            body=body, correlation_id=change.correlation_id or work.inbound.message_id, to=queue,
            reply_to=self.kpr.queues.asynchronous, document=apprec)

    def _answer_stage(self, work: _Work) -> AnswerStage:
        """The answers as the fault hook may change them (mockkpr.faults.answers)."""
        receipt = work.receipt

        def rebuild(change: ApprecChange) -> OutboundMessage:
            assert receipt is not None
            return self._apprec_message(work, receipt, change)

        her_id = her_id_value(work.inbound.prop("fromHerId"))
        sender = work.sender or (self.registry.find(her_id) if her_id is not None else None)
        return AnswerStage(work.inbound, work.entry, self.clock(),
                           sender.queues.error if sender is not None else None,
                           rebuild if receipt is not None and work.sender is not None else None,
                           her_ids=(self.kpr.her_id, sender.her_id) if sender else None,
                           max_error_body=self.settings.max_message_bytes)

    def _transport_error(self, work: _Work, error: TransportError) -> Outcome:
        inbound = work.inbound
        work.entry.error_condition = error.condition
        work.entry.error_description = error.description
        work.entry.error_data = error.data
        her_id = her_id_value(inbound.prop("fromHerId"))
        party = self.registry.find(her_id) if her_id is not None else None
        if party is None:
            log.info("message.unanswerable", message_id=inbound.message_id,
                     condition=error.condition)
            return Outcome.UNANSWERABLE
        message = error_message(inbound, error, queue=party.queues.error, now=self.clock(),
                                reporter=self.kpr.her_id, sender=party.her_id,
                                max_body=self.settings.max_message_bytes)
        work.entry.answers.append(AnswerRecord("transport-error", message, self.clock()))
        log.info("message.transport_error", message_id=inbound.message_id,
                 condition=error.condition, description=error.description)
        return Outcome.TRANSPORT_ERROR


def _normalise(content_type: str) -> str:
    return "".join(content_type.lower().split())


def _msghead_summary(info: MsgHeadInfo) -> dict[str, Any]:
    return {
        "msg_type": info.msg_type, "msg_id": info.msg_id, "gen_date": info.gen_date_text,
        "mig_version": info.mig_version, "ack": info.ack,
        "sender": {"name": info.sender.name, "her_ids": list(info.sender.her_ids)},
        "receiver": {"name": info.receiver.name, "her_ids": list(info.receiver.her_ids)},
        "container": info.container,
    }
