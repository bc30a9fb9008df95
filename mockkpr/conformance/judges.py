"""The judges of the catalogue: one function per case, from observations to checks.

Each judge looks at one aspect and says, for every message, what it expected and what it saw.
The helpers live in :mod:`mockkpr.conformance.judge`; the catalogue (:mod:`.cases`) pairs each
judge with its case id, requirements and run.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
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
    same_document,
    shows,
)
from mockkpr.conformance.model import Check, Role
from mockkpr.conformance.runs import PART_LIMIT, TRANSPORT_ERROR_CONDITION
from mockkpr.endpoint.addresses import parse_address
from mockkpr.iplos import DocumentKind, sniff_format
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

    return [
        *each(obs, "queue", queue, lambda m: m.entry.queue == queue, lambda m: m.entry.queue),
        *each_detail(obs, "target address", "wire.target",
                     f"/exchange/{exchange}/{queue} (or {queue}, /queues/{queue}, "
                     f"/exchanges/{exchange}/{queue})", good),
    ]


def receipts_taken(obs: Observations) -> list[Check]:
    queue = obs.context.sender_queues.asynchronous
    messages = obs.originals()
    if not messages:
        return [arrival(obs)]
    if any(m.dispositions is None for m in messages):
        return [Check("AppRec settled", None, f"each AppRec taken from {queue}, settled "
                      "accepted", "the endpoint records no dispositions of its answers")]

    def settled(m: Received) -> list[str | None]:
        assert m.dispositions is not None
        return [d for a, d in zip(m.entry.answers, m.dispositions, strict=True)
                if a.kind == "apprec"]

    return each(obs, "AppRec settled", f"each AppRec taken from {queue} and settled accepted",
                lambda m: settled(m) != [] and all(d == "accepted" for d in settled(m)),
                lambda m: f"AppRec dispositions {settled(m) or 'none (no AppRec)'}",
                hint="read receipts from your own _async queue and accept them once handled")


def reuse(obs: Observations) -> list[Check]:
    messages = obs.originals()
    if not messages:
        return [arrival(obs)]
    missing = [m.label for m in messages if "wire.container_id" not in m.details
               or "wire.connection_id" not in m.details]
    if missing:
        return [Check("one connection per process", None, "one connection per container id",
                      "the endpoint recorded no wire.container_id/wire.connection_id for "
                      + ", ".join(missing), hint=NOT_RECORDED_HINT)]
    connections: dict[str, set[str]] = defaultdict(set)
    for m in messages:
        container = str(m.details["wire.container_id"])
        connections[container].add(str(m.details["wire.connection_id"]))
        for part in m.details.get("group.connection_ids") or ():
            connections[container].add(str(part))
    many = {c: sorted(n) for c, n in connections.items() if len(n) > 1}
    return [Check("one connection per process", not many,
                  "the messages (and every part of a split message) of one container id "
                  "share one connection",
                  "; ".join(f"container {c}: connections {', '.join(n)}" for c, n in many.items())
                  or f"{len(connections)} container id(s), one connection each",
                  hint="keep one connection open and send every message on it" if many else "")]


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
                f"{_payload_kind(m) or '(not decrypted or unknown)'}")


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
    return [arrival(obs, DocumentKind.IDENTITY.value), arrival(obs, DocumentKind.IPLOS.value)]


# ------------------------------------------------------------------ security
def signed(obs: Observations) -> list[Check]:
    return [
        *no_transport_error(obs, "signature verified",
                            ("transport:unsupported-message", "transport:invalid-certificate")),
        *each_detail(obs, "digest", "cms.digest", "sha256", lambda v: v == "sha256"),
    ]


def encrypted(obs: Observations) -> list[Check]:
    return each_detail(obs, "content encryption", "cms.cipher", "aes-256-cbc",
                       lambda v: v == "aes-256-cbc")


def recipient(obs: Observations) -> list[Check]:
    return [
        *each_detail(obs, "recipients", "cms.recipients", "1", lambda v: v == 1),
        *each_detail(obs, "recipient identifier", "cms.recipient_id",
                     "issuer-serial (issuer and serial number)",
                     lambda v: v == "issuer-serial"),
    ]


def signer(obs: Observations) -> list[Check]:
    expected = obs.context.registry.party(obs.context.from_her_id).signing_certificate
    subject_text = expected.subject.rfc4514_string()
    return [
        *no_transport_error(obs, "signer certificate accepted", CERTIFICATE_CONDITIONS),
        *each_detail(obs, "signer certificate embedded", "cms.embedded_chain",
                     f"the registered signing certificate {subject_text}",
                     lambda v: isinstance(v, list) and subject_text in v),
    ]


def sign_details(obs: Observations) -> list[Check]:
    return [
        *each_detail(obs, "signer identifier", "cms.signer_id",
                     "issuer-serial (issuer and serial number)",
                     lambda v: v == "issuer-serial"),
        *each_detail(obs, "signed attributes", "cms.signed_attributes", "none",
                     lambda v: v is False),
        *each_detail(obs, "root certificate embedded", "cms.embedded_root", "no",
                     lambda v: v is False),
    ]


# ------------------------------------------------------------------ envelope
def msghead(obs: Observations) -> list[Check]:
    return [
        *no_transport_error(obs, "MsgHead read", ("transport:not-well-formed-xml",)),
        *each(obs, "MsgHead version", MIG_VERSION,
              lambda m: _msghead(m).get("mig_version") == MIG_VERSION,
              lambda m: _msghead(m).get("mig_version", "(no MsgHead read)")),
    ]


def msg_type(obs: Observations) -> list[Check]:
    return each(obs, "MsgInfo/Type", "equal to the AMQP subject",
                lambda m: _msghead(m).get("msg_type") == m.entry.subject,
                lambda m: f"Type {_msghead(m).get('msg_type', '(no MsgHead read)')}, "
                f"subject {m.entry.subject}")


def _sender_ids(m: Received) -> list[int]:
    return list(_msghead(m).get("sender", {}).get("her_ids", []))


def msghead_sender(obs: Observations) -> list[Check]:
    her_id = obs.context.from_her_id
    checks = [
        *no_transport_error(obs, "no spoofing", ("abuse:spoofing-attack",)),
        *each(obs, "sender HER-ids", f"fromHerId {her_id} among the MsgHead sender's HER-ids",
              lambda m: her_id in _sender_ids(m), lambda m: _sender_ids(m) or "(none read)"),
    ]
    parent = obs.context.registry.party(her_id).parent
    if parent is not None:  # the register places the sender below an organisation
        checks += each(obs, "sender levels", f"level 1 {parent}, level 2 {her_id}",
                       lambda m: _sender_ids(m)[:2] == [parent, her_id],
                       lambda m: _sender_ids(m))
    return checks


def msghead_receiver(obs: Observations) -> list[Check]:
    kpr = obs.context.to_her_id

    def ids(m: Received) -> list[int]:
        return list(_msghead(m).get("receiver", {}).get("her_ids", []))

    return each(obs, "receiver HER-id", f"{kpr} (KPR)", lambda m: kpr in ids(m),
                lambda m: ids(m) or "(none read)")


def ack(obs: Observations) -> list[Check]:
    return each(obs, "Ack", "J (a receipt is wanted)", lambda m: _msghead(m).get("ack") is True,
                lambda m: {True: "J", False: "N", None: "(none)"}[_msghead(m).get("ack")])


def payload(obs: Observations) -> list[Check]:
    def ok(m: Received) -> bool:
        document = obs.document_of(m)
        return document is not None and same_document(m, document)[0]

    def value(m: Received) -> str:
        document = obs.document_of(m)
        return same_document(m, document)[1] if document else "no document has this subject"

    return each(obs, "the payload is the document", "one payload: the file given, unchanged",
                ok, value, hint="send the file as it is, in Document/RefDoc/Content")


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
              subject=iplos),
        *each(obs, "the register accepts the data", "no finding with consequence 1",
              _accepted, _verdict,
              hint="send the generated file unchanged; the list names each rule broken"),
    ]


def rows(obs: Observations) -> list[Check]:
    return each(obs, "rows kept", "no finding with consequence 2, 5 or 7",
                lambda m: bool(_report(m)) and not _findings(m, ROW_CONSEQUENCES),
                lambda m: " | ".join(_findings(m, ROW_CONSEQUENCES)[:10]) or _verdict(m))


def synthetic(obs: Observations) -> list[Check]:
    def real(m: Received) -> list[str]:
        return [f"{f['rule_id']} at {f['location']}" for f in _report(m).get("findings", [])
                if str(f.get("rule_id", "")).endswith("-REAL-ID")]

    return each(obs, "synthetic national ids", "no national id that could be a real person's",
                lambda m: bool(_report(m)) and not real(m),
                lambda m: " | ".join(real(m)) or _verdict(m))


def generation(value: str) -> Any:
    """The judge of a generation's run: recognised, accepted, carried unchanged."""
    def judge(obs: Observations) -> list[Check]:
        return [*accepted(obs, value), *payload(obs)]

    return judge


# ------------------------------------------------------------------ faults and receipts
def outcome(expected: int, why: str, *, words: tuple[str, ...] = (), what: str = "") -> Any:
    """A judge: the scenario's expectations hold, the sender exits ``expected`` (and its
    output names ``words``)."""
    def judge(obs: Observations) -> list[Check]:
        checks = [*expectations(obs), exit_code(obs, Role.IPLOS, expected, why)]
        if words:
            checks.append(shows(obs, Role.IPLOS, words, what))
        return checks

    return judge


def receipts_ok(obs: Observations) -> list[Check]:
    return [exit_code(obs, Role.IDENTITY, EXIT_ACCEPTED, "the identity file's AppRec is OK"),
            exit_code(obs, Role.IPLOS, EXIT_ACCEPTED, "the IPLOS file's AppRec is OK")]


REJECTED = outcome(EXIT_REJECTED, "the AppRec has status 2", words=("T02", "E10"),
                   what="the AppRec's errors")
PARTIAL = outcome(EXIT_REJECTED, "the AppRec has status 3", words=("E31",),
                  what="the AppRec's errors")
UNTRUSTED = outcome(EXIT_FAILED, "the only AppRec cannot be trusted")
NOT_ANSWERED = outcome(EXIT_FAILED, "no AppRec answers the message before the timeout")
TRANSPORT = outcome(EXIT_FAILED, "a transport error answers the message",
                    words=(TRANSPORT_ERROR_CONDITION,), what="the transport error's condition")
ACCEPTED = outcome(EXIT_ACCEPTED, "the message is delivered in the end and its AppRec is OK")


def large(obs: Observations) -> list[Check]:
    iplos = DocumentKind.IPLOS.value

    def parts(m: Received) -> int | None:
        value = detail(m, "group.parts")
        return value if isinstance(value, int) else None

    def enough(m: Received) -> bool:
        found = parts(m)
        return found is not None and found >= max(2, math.ceil(m.entry.body_size / PART_LIMIT))

    messages = obs.originals(iplos)
    unobserved = [m for m in messages if not m.details]
    if unobserved:  # an endpoint that records no observations cannot tell a group
        return [Check("split", None, f"parts of at most {PART_LIMIT} bytes",
                      "the endpoint recorded no observations for "
                      + ", ".join(m.label for m in unobserved), hint=NOT_RECORDED_HINT)]
    return [
        *each(obs, "split", f"parts of at most {PART_LIMIT} bytes (group-id, group-sequence)",
              enough, lambda m: f"{parts(m)} parts for {m.entry.body_size} bytes"
              if parts(m) is not None else f"sent whole: one message of {m.entry.body_size} "
              "bytes", subject=iplos, hint="split messages larger than 1 MiB into a group"),
        *payload(obs),
        exit_code(obs, Role.IPLOS, EXIT_ACCEPTED, "the reassembled file is accepted"),
    ]
