"""The judges of the catalogue: one function per case, from observations to checks.

Each judge looks at one aspect and says, for every message, what it expected and what it saw.
The helpers live in :mod:`mockkpr.conformance.judge`; the catalogue (:mod:`.cases`) pairs each
judge with its case id, requirements and run.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from mockkpr.conformance.judge import (
    EXIT_ACCEPTED,
    EXIT_FAILED,
    EXIT_REJECTED,
    NOT_RECORDED_HINT,
    UUID_TEXT,
    Observations,
    Received,
    arrival,
    detail,
    each,
    each_detail,
    exit_code,
    expectations,
    no_transport_error,
    not_observed,
    nothing_arrived,
    same_document,
    shows,
    stopped_for,
)
from mockkpr.conformance.model import Check, Role
from mockkpr.conformance.runs import PART_LIMIT, TRANSPORT_ERROR_CONDITION
from mockkpr.conformance.stages import Stage, answer_text, stop_of
from mockkpr.endpoint.addresses import parse_address
from mockkpr.iplos import DocumentKind, sniff_format
from mockkpr.journal.models import Outcome
from mockkpr.service.messages import CMS_CONTENT_TYPE

TLS_VERSIONS = ("TLSv1.2", "TLSv1.3")
CERTIFICATE_CONDITIONS = ("transport:invalid-certificate", "transport:expired-certificate",
                          "transport:revoked-certificate", "transport:missing-certificate",
                          "transport:unverified-certificate")
MIG_VERSION = "v1.2 2006-05-24"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
#: How far applicationTimeStamp may be from the time the endpoint received the message.
CLOCK_TOLERANCE = timedelta(minutes=15)
ROW_CONSEQUENCES = (2, 5, 7)


def _msghead(m: Received) -> dict[str, Any]:
    return m.entry.msghead or {}


def _prop(m: Received, name: str) -> str | None:
    return m.entry.properties.get(name)


def _app(m: Received, name: str) -> str | None:
    return m.entry.application_properties.get(name)


# ------------------------------------------------------------------ connection
def tls(obs: Observations) -> list[Check]:
    return each_detail(obs, "TLS version", "wire.tls_protocol",
                       "TLSv1.2 or TLSv1.3", lambda v: v in TLS_VERSIONS)


def sasl(obs: Observations) -> list[Check]:
    account = obs.context.sender_account
    return [
        *each_detail(obs, "SASL mechanism", "wire.sasl_mechanism", "PLAIN",
                     lambda v: v == "PLAIN"),
        *each(obs, "SASL user", f"the account of {obs.context.from_her_id}: {account}",
              lambda m: m.entry.user == account, lambda m: m.entry.user),
    ]


def target(obs: Observations) -> list[Check]:
    queue, exchange = obs.context.receiver_queue, obs.context.exchange

    def good(value: Any) -> bool:
        address = parse_address(value if isinstance(value, str) else None)
        return address is not None and address.queue == queue and \
            address.exchange in (None, exchange)

    if not obs.originals():
        return [arrival(obs)]
    return [
        *each(obs, "queue", queue, lambda m: m.entry.queue == queue, lambda m: m.entry.queue),
        *each_detail(obs, "target address", "wire.target",
                     f"/exchange/{exchange}/{queue} (or {queue}, /queues/{queue}, "
                     f"/exchanges/{exchange}/{queue})", good),
    ]


def receipts_taken(obs: Observations) -> list[Check]:
    queue = obs.context.sender_queues.asynchronous
    everything = obs.originals()
    if not everything:
        return [nothing_arrived(obs, "AppRec settled", f"each AppRec taken from {queue}")]
    messages = [m for m in everything if any(a.kind == "apprec" for a in m.entry.answers)]
    if not messages:  # no AppRec was due: the endpoint stopped every message earlier
        stops = [(m, s) for m in everything if (s := stop_of(m.entry, dict(m.details)))]
        if stops:
            return [not_observed("AppRec settled", f"each AppRec taken from {queue}", stops)]
    if any(m.dispositions is None for m in messages):
        return [Check("AppRec settled", None, f"each AppRec taken from {queue}, settled "
                      "accepted", "the endpoint records no dispositions of its answers")]

    def settled(m: Received) -> list[str | None]:
        assert m.dispositions is not None
        return [d for a, d in zip(m.entry.answers, m.dispositions, strict=True)
                if a.kind == "apprec"]

    bad = [m for m in messages if not (settled(m) and all(d == "accepted" for d in settled(m)))]
    return [Check("AppRec settled", not bad, f"each AppRec taken from {queue} and settled "
                  "accepted", "; ".join(f"{m.label}: AppRec dispositions {settled(m)}"
                                         for m in bad or messages),
                  hint="read receipts from your own _async queue and accept them once handled"
                  if bad else "", evidence=tuple(m.entry.message_id for m in messages))]


def reuse(obs: Observations) -> list[Check]:
    """One connection per send: every message and every part of a split message the sender
    sent for one task came on one connection (``wire.connection_id``, ``group.connection_ids``),
    whatever container-id the client names in its ``open`` frames."""
    if not obs.originals():
        return [nothing_arrived(obs, "one connection per process", "one connection per send")]
    missing = [m.label for m in obs.originals() if "wire.connection_id" not in m.details]
    if missing:
        return [Check("one connection per process", None, "one connection per send",
                      "the endpoint recorded no wire.connection_id for " + ", ".join(missing),
                      hint=NOT_RECORDED_HINT)]
    lines, many = [], False
    groups = [(r.document.name, obs.arrived(r)) for r in obs.sends] or [
        ("the run", list(obs.messages))]
    for name, arrived in groups:
        connections: set[str] = set()
        for m in arrived:
            connections.add(str(m.details.get("wire.connection_id")))
            connections.update(str(c) for c in m.details.get("group.connection_ids") or ())
        connections.discard("None")
        many = many or len(connections) > 1
        lines.append(f"{name}: {len(connections)} connection(s)"
                     + (f" ({', '.join(sorted(connections))})" if len(connections) > 1 else ""))
    return [Check("one connection per process", not many,
                  "the messages and every part of a split message of one send share one "
                  "connection (wire.connection_id)", "; ".join(lines),
                  hint="keep one connection open and send every message and part on it"
                  if many else "")]


# ------------------------------------------------------------------ message properties
def body(obs: Observations) -> list[Check]:
    return [
        *each(obs, "body kind", "one data section", lambda m: _prop(m, "body-kind") == "data",
              lambda m: _prop(m, "body-kind")),
        *each_detail(obs, "body sections", "wire.body_sections", "['data'] (one data section)",
                     lambda v: list(v) == ["data"] if isinstance(v, list | tuple) else False),
    ]


def message_id(obs: Observations) -> list[Check]:
    messages = obs.originals()
    if not messages:
        return [nothing_arrived(obs, "message-id", "a UUID string, new for every message")]
    ids = [m.entry.message_id for m in messages]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    return [
        *each(obs, "message-id form", "a UUID string of 36 characters with dashes",
              lambda m: bool(UUID_TEXT.match(m.entry.message_id)), lambda m: m.entry.message_id),
        *each_detail(obs, "message-id type", "wire.message_id_type", "str (an AMQP string)",
                     lambda v: v in ("str", "string")),
        Check("message-id new for each message", not repeated and bool(ids),
              "a different message-id for every message", ", ".join(repeated) or
              f"{len(ids)} messages, {len(set(ids))} message-ids"),
    ]


def correlation(obs: Observations) -> list[Check]:
    return each(obs, "correlation-id", "equal to the message-id",
                lambda m: _prop(m, "correlation-id") == m.entry.message_id,
                lambda m: f"correlation-id {_prop(m, 'correlation-id')!r}")


def to_reply_to(obs: Observations) -> list[Check]:
    kpr, own = obs.context.receiver_queue, obs.context.sender_queues.asynchronous
    return [
        *each(obs, "to", kpr, lambda m: _prop(m, "to") == kpr, lambda m: _prop(m, "to")),
        *each(obs, "reply-to", own, lambda m: _prop(m, "reply-to") == own,
              lambda m: _prop(m, "reply-to")),
    ]


def _payload_kind(m: Received) -> str | None:
    if m.entry.payload is None:
        return None
    fmt = sniff_format(m.entry.payload)
    return fmt.kind.value if fmt is not None else None


def subject(obs: Observations) -> list[Check]:
    return each(obs, "subject", "KPR_IPL for IPLOS data, KPR_IDE for identity data",
                lambda m: m.entry.subject in {k.value for k in DocumentKind}
                and _payload_kind(m) == m.entry.subject,
                lambda m: f"subject {m.entry.subject!r}, payload "
                f"{_payload_kind(m) or '(not decrypted or unknown)'}",
                need=Stage.MSGHEAD, requirement="REQ-MSG-SUBJECT")


def content_type(obs: Observations) -> list[Check]:
    return each(obs, "content-type", CMS_CONTENT_TYPE,
                lambda m: _prop(m, "content-type") == CMS_CONTENT_TYPE,
                lambda m: repr(_prop(m, "content-type")))


def her_ids(obs: Observations) -> list[Check]:
    sender, receiver = str(obs.context.from_her_id), str(obs.context.to_her_id)
    return [
        *each(obs, "fromHerId", sender, lambda m: _app(m, "fromHerId") == sender,
              lambda m: repr(_app(m, "fromHerId"))),
        *each(obs, "toHerId", receiver, lambda m: _app(m, "toHerId") == receiver,
              lambda m: repr(_app(m, "toHerId"))),
    ]


def _stamp_near(m: Received) -> bool:
    text = _app(m, "applicationTimeStamp") or ""
    if not TIMESTAMP.match(text):
        return False
    stamp = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return abs(stamp - m.entry.received_at) <= CLOCK_TOLERANCE


def timestamp(obs: Observations) -> list[Check]:
    return [
        *each(obs, "applicationTimeStamp form", "yyyy-MM-ddTHH:mm:ssZ (UTC)",
              lambda m: bool(TIMESTAMP.match(_app(m, "applicationTimeStamp") or "")),
              lambda m: repr(_app(m, "applicationTimeStamp"))),
        *each(obs, "applicationTimeStamp time", "the time of sending, within 15 minutes of "
              "the endpoint's clock", _stamp_near,
              lambda m: f"{_app(m, 'applicationTimeStamp')} (received "
              f"{m.entry.received_at:%Y-%m-%dT%H:%M:%SZ})"),
    ]


def strings(obs: Observations) -> list[Check]:
    def all_strings(value: Any) -> bool:
        return isinstance(value, dict) and all(t in ("str", "string") for t in value.values())

    return each_detail(obs, "application property types", "wire.property_types",
                       "every value a string", all_strings,
                       hint="send fromHerId, toHerId and every other property as strings")


def durable(obs: Observations) -> list[Check]:
    return each_detail(obs, "durable", "wire.durable", "not set", lambda v: v in (None, False))


def separate(obs: Observations) -> list[Check]:
    if not obs.originals():
        return [nothing_arrived(obs, "separate messages", "a KPR_IDE and a KPR_IPL message")]
    return [arrival(obs, DocumentKind.IDENTITY.value), arrival(obs, DocumentKind.IPLOS.value)]


# ------------------------------------------------------------------ security
def signed(obs: Observations) -> list[Check]:
    sign = "REQ-SEC-SIGN"
    return [
        *no_transport_error(obs, "signature verified", stopped_for(sign),
                            "no transport error about the signature or its algorithms",
                            need=Stage.CMS, requirement=sign),
        *each_detail(obs, "digest", "cms.digest", "sha256", lambda v: v == "sha256",
                     need=Stage.CMS, requirement=sign),
    ]


def encrypted(obs: Observations) -> list[Check]:
    return each_detail(obs, "content encryption", "cms.cipher", "aes-256-cbc",
                       lambda v: v == "aes-256-cbc", need=Stage.CMS,
                       requirement="REQ-SEC-ENCRYPT")


def recipient(obs: Observations) -> list[Check]:
    return [
        *each_detail(obs, "recipients", "cms.recipients", "1", lambda v: v == 1,
                     need=Stage.CMS, requirement="REQ-SEC-RECIPIENT"),
        *each_detail(obs, "recipient identifier", "cms.recipient_id",
                     "issuer-serial (issuer and serial number)",
                     lambda v: v == "issuer-serial", need=Stage.CMS,
                     requirement="REQ-SEC-RECIPIENT"),
    ]


def signer(obs: Observations) -> list[Check]:
    expected = obs.context.registry.party(obs.context.from_her_id).signing_certificate
    subject_text = expected.subject.rfc4514_string()
    return [
        *no_transport_error(obs, "signer certificate accepted", stopped_for("REQ-SEC-SIGNER"),
                            "no transport error " + " or ".join(CERTIFICATE_CONDITIONS),
                            need=Stage.CMS, requirement="REQ-SEC-SIGNER"),
        *each_detail(obs, "signer certificate embedded", "cms.embedded_chain",
                     f"the registered signing certificate {subject_text}",
                     lambda v: isinstance(v, list) and subject_text in v, need=Stage.CMS,
                     requirement="REQ-SEC-SIGNER"),
    ]


def sign_details(obs: Observations) -> list[Check]:
    return [
        *each_detail(obs, "signer identifier", "cms.signer_id",
                     "issuer-serial (issuer and serial number)",
                     lambda v: v == "issuer-serial", need=Stage.CMS),
        *each_detail(obs, "signed attributes", "cms.signed_attributes", "none",
                     lambda v: v is False, need=Stage.CMS),
        *each_detail(obs, "root certificate embedded", "cms.embedded_root", "no",
                     lambda v: v is False, need=Stage.CMS),
    ]


# ------------------------------------------------------------------ envelope
def msghead(obs: Observations) -> list[Check]:
    return [
        *no_transport_error(obs, "MsgHead read", stopped_for("REQ-ENV-MSGHEAD"),
                            "no transport error transport:not-well-formed-xml",
                            need=Stage.MSGHEAD, requirement="REQ-ENV-MSGHEAD"),
        *each(obs, "MsgHead version", MIG_VERSION,
              lambda m: _msghead(m).get("mig_version") == MIG_VERSION,
              lambda m: _msghead(m).get("mig_version", "(no MsgHead read)"),
              need=Stage.MSGHEAD, requirement="REQ-ENV-MSGHEAD"),
    ]


def msg_type(obs: Observations) -> list[Check]:
    return each(obs, "MsgInfo/Type", "equal to the AMQP subject",
                lambda m: _msghead(m).get("msg_type") == m.entry.subject,
                lambda m: f"Type {_msghead(m).get('msg_type', '(no MsgHead read)')}, "
                f"subject {m.entry.subject}", need=Stage.MSGHEAD)


def _sender_ids(m: Received) -> list[int]:
    return list(_msghead(m).get("sender", {}).get("her_ids", []))


def msghead_sender(obs: Observations) -> list[Check]:
    her_id = obs.context.from_her_id
    checks = [
        *no_transport_error(obs, "no spoofing", stopped_for("REQ-ENV-SENDER"),
                            "no transport error abuse:spoofing-attack", need=Stage.MSGHEAD,
                            requirement="REQ-ENV-SENDER"),
        *each(obs, "sender HER-ids", f"fromHerId {her_id} among the MsgHead sender's HER-ids",
              lambda m: her_id in _sender_ids(m), lambda m: _sender_ids(m) or "(none read)",
              need=Stage.MSGHEAD),
    ]
    parent = obs.context.registry.party(her_id).parent
    if parent is not None:  # the register places the sender below an organisation
        checks += each(obs, "sender levels", f"level 1 {parent}, level 2 {her_id}",
                       lambda m: _sender_ids(m)[:2] == [parent, her_id],
                       lambda m: _sender_ids(m), need=Stage.MSGHEAD)
    return checks


def msghead_receiver(obs: Observations) -> list[Check]:
    kpr = obs.context.to_her_id

    def ids(m: Received) -> list[int]:
        return list(_msghead(m).get("receiver", {}).get("her_ids", []))

    return each(obs, "receiver HER-id", f"{kpr} (KPR)", lambda m: kpr in ids(m),
                lambda m: ids(m) or "(none read)", need=Stage.MSGHEAD)


def ack(obs: Observations) -> list[Check]:
    return each(obs, "Ack", "J (a receipt is wanted)", lambda m: _msghead(m).get("ack") is True,
                lambda m: {True: "J", False: "N", None: "(none)"}[_msghead(m).get("ack")],
                need=Stage.MSGHEAD)


def payload(obs: Observations) -> list[Check]:
    def ok(m: Received) -> bool:
        document = obs.document_of(m)
        return document is not None and same_document(m, document)[0]

    def value(m: Received) -> str:
        document = obs.document_of(m)
        return same_document(m, document)[1] if document else "no document has this subject"

    return each(obs, "the payload is the document", "one payload: the file given, unchanged",
                ok, value, hint="send the file as it is, in Document/RefDoc/Content",
                need=Stage.MSGHEAD)


# ------------------------------------------------------------------ payload
def _report(m: Received) -> dict[str, Any]:
    return m.entry.report or {}


def _findings(m: Received, consequences: tuple[int, ...]) -> list[str]:
    return [f"{f['rule_id']} at {f['location']}: {f['message']['en']}"
            for f in _report(m).get("findings", []) if f.get("consequence") in consequences]


def _verdict(m: Received) -> str:
    report = _report(m)
    if not report:
        return f"not validated (outcome {m.entry.outcome.value}" + (
            f", {m.entry.error_condition}" if m.entry.error_condition else "") + ")"
    if report.get("verdict", {}).get("accepted"):
        return "accepted"
    return "rejected: " + " | ".join(_findings(m, (1,))[:10])


def _accepted(m: Received) -> bool:
    return bool(_report(m).get("verdict", {}).get("accepted"))


def accepted(obs: Observations, generation: str) -> list[Check]:
    iplos = DocumentKind.IPLOS.value

    def gen(m: Received) -> str | None:
        fmt = _report(m).get("format") or {}
        return fmt.get("generation")

    return [
        *each(obs, "generation", f"IPLOS generation {generation}",
              lambda m: gen(m) == generation, lambda m: gen(m) or "(not recognised)",
              subject=iplos, need=Stage.VALIDATION, requirement="REQ-PAY-FORMAT"),
        *each(obs, "the register accepts the data", "no finding with consequence 1",
              _accepted, _verdict,
              hint="send the generated file unchanged; the list names each rule broken",
              need=Stage.VALIDATION, requirement="REQ-PAY-ACCEPTED"),
    ]


def rows(obs: Observations) -> list[Check]:
    return each(obs, "rows kept", "no finding with consequence 2, 5 or 7",
                lambda m: bool(_report(m)) and not _findings(m, ROW_CONSEQUENCES),
                lambda m: " | ".join(_findings(m, ROW_CONSEQUENCES)[:10]) or _verdict(m),
                need=Stage.VALIDATION, requirement="REQ-PAY-ROWS")


def synthetic(obs: Observations) -> list[Check]:
    def real(m: Received) -> list[str]:
        return [f"{f['rule_id']} at {f['location']}" for f in _report(m).get("findings", [])
                if str(f.get("rule_id", "")).endswith("-REAL-ID")]

    return each(obs, "synthetic national ids", "no national id that could be a real person's",
                lambda m: bool(_report(m)) and not real(m),
                lambda m: " | ".join(real(m)) or _verdict(m), need=Stage.VALIDATION)


def generation(value: str) -> Any:
    """The judge of a generation's run: recognised, accepted, carried unchanged."""
    def judge(obs: Observations) -> list[Check]:
        return [*accepted(obs, value), *payload(obs)]

    return judge


# ------------------------------------------------------------------ faults and receipts
def blocked_run(obs: Observations, role: Role, *, accepted: bool) -> Check | None:
    """Why the run's fault could not test the sender: what it sent for ``role`` was stopped
    by the endpoint before the fault's stage (``accepted``: the fault needs the message to be
    accepted in the end; else it needs an AppRec to be due). None when it could."""
    record = obs.send_of(role)
    if record is None:
        return None
    arrived = [m for m in obs.arrived(record) if m.entry.outcome is not Outcome.DUPLICATE]
    if not arrived:
        return None if accepted else nothing_arrived(
            obs, "the fault could be applied", "the message reached the answer", None)
    if accepted:
        good = [m for m in arrived if m.entry.outcome in (
            Outcome.ACCEPTED, Outcome.PENDING, Outcome.NO_RECEIPT_REQUESTED) or _accepted(m)]
    else:
        good = [m for m in arrived if m.entry.report is not None or m.entry.outcome in (
            Outcome.ACCEPTED, Outcome.PARTIAL, Outcome.REJECTED, Outcome.PENDING)]
    if good:
        return None
    stops = [(m, st) for m in arrived if (st := stop_of(m.entry, dict(m.details)))]
    if not stops:
        return None
    return not_observed("the fault could be applied", "the message passes the endpoint's "
                        "checks, so that the fault can test the sender", stops)


def outcome(expected: int, why: str, *, words: tuple[str, ...] = (), what: str = "",
            accepted: bool = False) -> Any:
    """A judge: the scenario's expectations hold, the sender exits ``expected`` (and its
    output names ``words``). Not judged when the endpoint stopped the message before the
    scenario's fault could act (``accepted``: the fault needs an accepted message)."""
    def judge(obs: Observations) -> list[Check]:
        stopped = blocked_run(obs, Role.IPLOS, accepted=accepted)
        if stopped is not None:
            return [stopped]
        checks = [*expectations(obs), exit_code(obs, Role.IPLOS, expected, why)]
        if words:
            checks.append(shows(obs, Role.IPLOS, words, what))
        return checks

    return judge


def _logical_id(m: Received) -> str:
    return str(m.entry.properties.get("group-id") or m.entry.message_id)


def same_id(obs: Observations) -> list[Check]:
    """KPR-CONF-069, on one run: every task the sender was given arrived under one
    message-id, however often it was sent (journal entries and the deliveries a fault took
    before they were processed - judged from what arrived, not from what the sender says)."""
    run, lines, bad = obs.run.name, [], False
    for record in obs.sends:
        arrived = obs.arrived(record)
        taken = [f for f in obs.firings_of(record) if f.message_id]
        ids: dict[str, list[str]] = {}
        for m in arrived:
            ids.setdefault(_logical_id(m), []).append(m.entry.outcome.value)
        for f in taken:  # a delivery the fault took before it was processed (journaled)
            if str(f.message_id) not in {m.entry.message_id for m in arrived}:
                ids.setdefault(str(f.message_id), []).append(
                    f"taken by fault {f.fault} ({f.kind})")
        deliveries = sum(len(v) for v in ids.values())
        if deliveries <= 1:
            continue
        bad = bad or len(ids) > 1
        lines.append(f"{record.document.name} sent {deliveries} times under {len(ids)} "
                     f"message-id(s): " + "; ".join(f"{i} ({', '.join(v)})"
                                                    for i, v in ids.items()))
    if not lines:
        return [Check(f"run {run}: the same message-id when sent again", True,
                      "every repeat under its message's id", "no document was sent more "
                      "than once in this run", evidence=tuple(m.entry.message_id
                                                               for m in obs.messages))]
    return [Check(f"run {run}: the same message-id when sent again", not bad,
                  "every repeat of a message under that message's message-id (a split "
                  "message: its group-id)", " | ".join(lines),
                  hint="keep the message-id when sending a message again: a new id makes KPR "
                  "register the report twice" if bad else "",
                  evidence=tuple(m.entry.message_id for m in obs.messages))]


def receipts_ok(obs: Observations) -> list[Check]:
    checks = []
    for role, what in ((Role.IDENTITY, "the identity file's"), (Role.IPLOS, "the IPLOS file's")):
        stopped = blocked_run(obs, role, accepted=True)
        record = obs.send_of(role)
        if record is not None and not [m for m in obs.arrived(record)]:
            stopped = nothing_arrived(obs, f"{what} AppRec recognised", "exit 0",
                                      record.document.subject)
        checks.append(stopped or exit_code(obs, role, EXIT_ACCEPTED, f"{what} AppRec is OK"))
    return checks


REJECTED = outcome(EXIT_REJECTED, "the AppRec has status 2", words=("T02", "E10"),
                   what="the AppRec's errors")
PARTIAL = outcome(EXIT_REJECTED, "the AppRec has status 3", words=("E31",),
                  what="the AppRec's errors")
UNTRUSTED = outcome(EXIT_FAILED, "the only AppRec cannot be trusted")
NOT_ANSWERED = outcome(EXIT_FAILED, "no AppRec answers the message before the timeout")
TRANSPORT = outcome(EXIT_FAILED, "a transport error answers the message",
                    words=(TRANSPORT_ERROR_CONDITION,), what="the transport error's condition")
ACCEPTED = outcome(EXIT_ACCEPTED, "the message is delivered in the end and its AppRec is OK",
                   accepted=True)


def _parts(obs: Observations) -> list[Received]:
    """Parts of a split IPLOS message the endpoint answered one by one (it refused them)."""
    return [m for m in obs.messages if m.entry.properties.get("group-id")
            and m.entry.subject == DocumentKind.IPLOS.value]


def _wholes(obs: Observations) -> list[Received]:
    """IPLOS messages that reached the endpoint whole (sent whole, or parts reassembled)."""
    return [m for m in obs.originals(DocumentKind.IPLOS.value)
            if not m.entry.properties.get("group-id")]


def large(obs: Observations) -> list[Check]:
    """KPR-CONF-080: the split, judged from the parts that arrived."""
    name = "split"
    expected = (f"parts of at most {PART_LIMIT} bytes (group-id, group-sequence, groupSize) "
                "that the endpoint reassembles")

    def parts(m: Received) -> int | None:
        value = detail(m, "group.parts")
        return value if isinstance(value, int) else None

    wholes, refused = _wholes(obs), _parts(obs)
    if not wholes and not refused:
        return [nothing_arrived(obs, name, expected, DocumentKind.IPLOS.value)]
    if refused:  # split, but the endpoint could not put the parts together
        groups = sorted({str(m.entry.properties.get("group-id")) for m in refused})
        first = refused[0].entry
        return [Check(name, False, expected,
                      f"{len(refused)} part(s) of group {', '.join(groups)} arrived "
                      f"({', '.join(str(m.entry.body_size) for m in refused)} bytes), each "
                      f"answered {first.error_condition}: {first.error_description} "
                      f"[{'; '.join(first.error_data)}]; the file never arrived whole",
                      hint="give every part the application property groupSize and "
                      "group-sequence 0..n-1 (`mockkpr docs endpoint`, Split messages)",
                      evidence=tuple(m.entry.message_id for m in refused))]
    unobserved = [m for m in wholes if not m.details]
    if unobserved:  # an endpoint that records no observations cannot tell a group
        return [Check(name, None, expected, "the endpoint recorded no observations for "
                      + ", ".join(m.label for m in unobserved), hint=NOT_RECORDED_HINT)]

    def enough(m: Received) -> bool:
        found = parts(m)
        return found is not None and found >= max(2, math.ceil(m.entry.body_size / PART_LIMIT))

    bad = [m for m in wholes if not enough(m)]
    return [Check(name, not bad, expected, "; ".join(
        f"{m.label}: {parts(m)} parts for {m.entry.body_size} bytes" if parts(m) is not None
        else f"{m.label}: sent whole, one message of {m.entry.body_size} bytes"
        for m in bad or wholes), hint="split messages larger than 1 MiB into a group"
        if bad else "", evidence=tuple(m.entry.message_id for m in wholes))]


def large_delivered(obs: Observations) -> list[Check]:
    """KPR-CONF-081: the large file reached KPR whole, was accepted and is unchanged."""
    name, expected = "the large file delivered", "the IPLOS file answered as one message, " \
        "accepted (AppRec status 1)"
    wholes, refused = _wholes(obs), _parts(obs)
    if not wholes and not refused:
        return [nothing_arrived(obs, name, expected, DocumentKind.IPLOS.value)]
    if not wholes:
        first = refused[0].entry
        return [Check(name, False, expected,
                      f"never delivered whole: {len(refused)} part(s) arrived and each was "
                      f"answered {first.error_condition} [{'; '.join(first.error_data)}], so "
                      "no AppRec answers the file", hint="the parts must follow the split "
                      "convention (docs/endpoint.md) or the file must be sent whole",
                      evidence=tuple(m.entry.message_id for m in refused))]
    return [
        *each(obs, name, expected, lambda m: m.entry.outcome is Outcome.ACCEPTED,
              lambda m: answer_text(m.entry), subject=DocumentKind.IPLOS.value),
        *payload(obs),
        exit_code(obs, Role.IPLOS, EXIT_ACCEPTED, "the large file is accepted"),
    ]
