"""The catalogue: every conformance case with its stable id, requirements, run and judge.

Ids never change meaning; a retired case keeps its number unused. A case's level is the
strictest of its requirements (``requirements.yaml``). :func:`suite_digest` pins a run's
evidence to the exact requirements table and catalogue (docs/conformance.md).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from mockkpr.conformance import judges as j
from mockkpr.conformance import judges_http as jh
from mockkpr.conformance import runs as r
from mockkpr.conformance import runs_http as rh
from mockkpr.conformance.model import (
    Case,
    Group,
    Judge,
    Level,
    Route,
    Run,
    digest_of,
    requirements_bytes,
    strictest,
)
from mockkpr.errors import ConfigError

DIGEST_VERSION = 1


def _case(number: int, group: Group, title: str, requirements: tuple[str, ...], run: Run,
          judge: Judge, judged: str, level: Level | None = None, *,
          also: tuple[Run, ...] = (), across: bool = False) -> Case:
    return Case(f"KPR-CONF-{number:03d}", title, group, requirements, run, judge, judged,
                level or strictest(requirements), also, across)


C, P, S, E = Group.CONNECTION, Group.PROPERTIES, Group.SECURITY, Group.ENVELOPE
D, F, A, L = Group.PAYLOAD, Group.FAULTS, Group.APPREC, Group.LARGE_FILES
H = Group.HTTP
B, HB = r.BASELINE, rh.HTTP_BASELINE

CATALOGUE: tuple[Case, ...] = (
    # ------------------------------------------------------------ connection and authentication
    _case(1, C, "Connects over TLS 1.2 or 1.3", ("REQ-CONN-TLS",), B, j.tls,
          "wire.tls_protocol of every message"),
    _case(2, C, "Logs in with SASL PLAIN as its own account", ("REQ-CONN-SASL",), B, j.sasl,
          "wire.sasl_mechanism, and the SASL user is the sending party's account"),
    _case(3, C, "Attaches to KPR's async queue", ("REQ-CONN-TARGET",), B, j.target,
          "the queue reached and wire.target (an accepted address form, the URL's exchange)"),
    _case(4, C, "Takes its receipts off its own async queue", ("REQ-CONN-SOURCE",), B,
          j.receipts_taken, "every AppRec sent to the sender's _async queue is settled accepted"),
    _case(5, C, "Keeps one connection open per process", ("REQ-CONN-REUSE",), r.LARGE_FILE,
          j.reuse, "messages with one wire.container_id, and the parts of a split message "
          "(group.connection_ids), share one wire.connection_id"),
    # ------------------------------------------------------------ message properties
    _case(10, P, "Sends the body as one data section", ("REQ-MSG-BODY",), B, j.body,
          "the body kind and wire.body_sections"),
    _case(11, P, "Gives every message a new UUID message-id", ("REQ-MSG-ID",), B, j.message_id,
          "message-id form, wire.message_id_type, no message-id used twice"),
    _case(12, P, "Sets correlation-id to the message-id", ("REQ-MSG-CORRELATION",), B,
          j.correlation, "correlation-id equals message-id"),
    _case(13, P, "Sets to and reply-to to the queues' short names", ("REQ-MSG-TO",), B,
          j.to_reply_to, "to is KPR's async queue, reply-to the sender's own async queue"),
    _case(14, P, "Names the message function in subject", ("REQ-MSG-SUBJECT",), B, j.subject,
          "subject is KPR_IPL or KPR_IDE and agrees with the decrypted payload"),
    _case(15, P, "Sets the CMS content-type exactly", ("REQ-MSG-CONTENT-TYPE",), B,
          j.content_type, "content-type is application/pkcs7-mime; "
          "smime-type=signed-and-enveloped-data"),
    _case(16, P, "Sends fromHerId and toHerId", ("REQ-MSG-HERIDS",), B, j.her_ids,
          "fromHerId and toHerId are the sender's and KPR's HER-ids as decimal strings"),
    _case(17, P, "Sends applicationTimeStamp in UTC", ("REQ-MSG-TIMESTAMP",), B, j.timestamp,
          "applicationTimeStamp has the form yyyy-MM-ddTHH:mm:ssZ and the time of sending"),
    _case(18, P, "Sends every application property as a string", ("REQ-MSG-STRINGS",), B,
          j.strings, "wire.property_types: every value a string"),
    _case(19, P, "Leaves the durable flag unset", ("REQ-MSG-DURABLE",), B, j.durable,
          "wire.durable"),
    _case(20, P, "Sends identity and IPLOS data in separate messages", ("REQ-MSG-SEPARATE",),
          B, j.separate, "a KPR_IDE and a KPR_IPL message arrived, each on its own"),
    # ------------------------------------------------------------ security
    _case(30, S, "Signs with SHA-256 and RSA PKCS#1 v1.5", ("REQ-SEC-SIGN",), B, j.signed,
          "the endpoint verified the signature; cms.digest"),
    _case(31, S, "Encrypts with AES-256-CBC", ("REQ-SEC-ENCRYPT",), B, j.encrypted,
          "cms.cipher"),
    _case(32, S, "Encrypts to KPR's certificate only, by issuer and serial",
          ("REQ-SEC-RECIPIENT",), B, j.recipient, "cms.recipients and cms.recipient_id"),
    _case(33, S, "Signs with its registered signing certificate", ("REQ-SEC-SIGNER",), B,
          j.signer, "no certificate transport error; cms.embedded_chain holds the registered "
          "signing certificate"),
    _case(34, S, "Names its certificate by issuer and serial, signs without signed attributes, "
          "embeds no root", ("REQ-SEC-SIGN-DETAILS",), B, j.sign_details,
          "cms.signer_id, cms.signed_attributes and cms.embedded_root"),
    # ------------------------------------------------------------ envelope
    _case(40, E, "Wraps the data in a valid MsgHead 1.2", ("REQ-ENV-MSGHEAD",), B, j.msghead,
          "no not-well-formed-xml transport error; MIGversion"),
    _case(41, E, "Gives MsgInfo/Type as the AMQP subject", ("REQ-ENV-TYPE",), B, j.msg_type,
          "MsgInfo/Type V equals subject"),
    _case(42, E, "Names the sender with its HER-ids", ("REQ-ENV-SENDER",), B, j.msghead_sender,
          "no spoofing; fromHerId among the sender's HER-ids (both levels when the register "
          "has a parent)"),
    _case(43, E, "Names KPR as the receiver", ("REQ-ENV-RECEIVER",), B, j.msghead_receiver,
          "the receiver's HER-ids hold KPR's"),
    _case(44, E, "Asks for a receipt (Ack J)", ("REQ-ENV-ACK",), B, j.ack, "MsgInfo/Ack V"),
    _case(45, E, "Carries the document unchanged as the one payload", ("REQ-ENV-PAYLOAD",), B,
          j.payload, "the decrypted payload equals the file given (canonical XML)"),
    # ------------------------------------------------------------ payload
    _case(50, D, "Delivers annual 2019 data the register accepts",
          ("REQ-PAY-FORMAT", "REQ-PAY-ACCEPTED"), B, j.generation("2019"),
          "generation 2019 recognised, no consequence-1 finding (listed when there are), "
          "payload unchanged"),
    _case(51, D, "Delivers data without rejected or blanked rows", ("REQ-PAY-ROWS",), B,
          j.rows, "no finding with consequence 2, 5 or 7 (listed)"),
    _case(52, D, "Delivers synthetic national ids only", ("REQ-PAY-SYNTHETIC",), B,
          j.synthetic, "no *-REAL-ID finding"),
    _case(53, D, "Delivers annual 2018 data the register accepts",
          ("REQ-PAY-FORMAT", "REQ-PAY-ACCEPTED"), r.ANNUAL_2018, j.generation("2018"),
          "generation 2018 recognised, accepted, payload unchanged"),
    _case(54, D, "Delivers a 56.0.0 event message the register accepts",
          ("REQ-PAY-FORMAT", "REQ-PAY-ACCEPTED"), r.EVENT_56, j.generation("56"),
          "generation 56 recognised, accepted, payload unchanged"),
    # ------------------------------------------------------------ behaviour under faults
    _case(60, F, "Reconnects and delivers after the connection drops", ("REQ-BEH-RECONNECT",),
          r.DROPPED_CONNECTION, j.ACCEPTED, "scenario retry-after-dropped-connection; exit 0"),
    _case(61, F, "Attaches again and delivers after its link is detached",
          ("REQ-BEH-RECONNECT",), r.DETACH_LINK, j.ACCEPTED,
          "the link was detached, the message accepted later; exit 0"),
    _case(62, F, "Sends again after a released delivery", ("REQ-BEH-RESEND",), r.RELEASE,
          j.ACCEPTED, "the delivery was released, the message accepted later; exit 0"),
    _case(63, F, "Sends again after a modified (delivery-failed) delivery", ("REQ-BEH-RESEND",),
          r.MODIFY, j.ACCEPTED, "the delivery was modified, the message accepted later; exit 0"),
    _case(64, F, "Sends again after amqp:internal-error", ("REQ-BEH-RETRY-REJECTED",),
          r.RESEND_AFTER_REJECT, j.ACCEPTED, "scenario resend-after-reject; exit 0"),
    _case(65, F, "Stops after an OK AppRec", ("REQ-BEH-NO-RESEND-AFTER-OK",), r.STOP_AFTER_OK,
          j.ACCEPTED, "scenario stop-after-ok-apprec: one message, no duplicate, also in the "
          "second after the sender ended; exit 0"),
    _case(66, F, "Reports a missing AppRec as a failure", ("REQ-BEH-MISSING-RECEIPT",),
          r.MISSING_APPREC, j.NOT_ANSWERED, "scenario missing-apprec; exit 2 within its "
          f"{r.SHORT_TIMEOUT:g} s receipt timeout"),
    _case(67, F, "Waits for link credit", ("REQ-BEH-CREDIT",), r.CREDIT_STARVATION,
          j.ACCEPTED, "scenario credit-starvation; exit 0"),
    _case(68, F, "Accepts a receipt at the reporting deadline", ("REQ-APP-OK",),
          r.REPORTING_DEADLINE, j.ACCEPTED, "scenario reporting-deadline; exit 0"),
    _case(69, F, "Keeps the message-id when it sends a message again", ("REQ-BEH-SAME-ID",),
          r.DROPPED_CONNECTION, j.same_id, "in every run of the certification (its own: the "
          "fault runs that make a sender send again): the deliveries of one document that "
          "arrived or that a fault took carry one message-id (group-id)",
          also=(r.DETACH_LINK, r.RELEASE, r.MODIFY, r.RESEND_AFTER_REJECT, r.MISSING_APPREC,
                r.LATE_APPREC), across=True),
    # ------------------------------------------------------------ AppRec handling
    _case(70, A, "Recognises an OK AppRec", ("REQ-APP-OK",), B, j.receipts_ok,
          "exit 0 for the identity file and for the IPLOS file"),
    _case(71, A, "Recognises a rejected AppRec and shows its errors", ("REQ-APP-REJECTED",),
          r.REJECTED_APPREC, j.REJECTED, "scenario rejected-apprec; exit 1; output names T02 "
          "and E10"),
    _case(72, A, "Recognises a partly rejected AppRec and shows its errors",
          ("REQ-APP-PARTIAL",), r.PARTIAL_APPREC, j.PARTIAL,
          "AppRec status 3; exit 1; output names E31"),
    _case(73, A, "Refuses an AppRec signed by another certificate", ("REQ-APP-FORGED",),
          r.FORGED_APPREC, j.UNTRUSTED, "scenario forged-apprec; exit 2"),
    _case(74, A, "Refuses an AppRec it cannot decrypt", ("REQ-APP-FORGED",),
          r.WRONG_KEY_APPREC, j.UNTRUSTED, "AppRec encrypted to another key; exit 2"),
    _case(75, A, "Takes an AppRec that comes late", ("REQ-APP-MATCH",), r.LATE_APPREC,
          j.ACCEPTED, "scenario late-apprec with the clock moved on; exit 0"),
    _case(76, A, "Ignores an AppRec for another message", ("REQ-APP-MATCH",), r.ORPHAN_APPREC,
          j.NOT_ANSWERED, f"the only AppRec answers another message; exit 2 within its "
          f"{r.SHORT_TIMEOUT:g} s receipt timeout"),
    _case(77, A, "Reports a transport error from its error queue",
          ("REQ-APP-TRANSPORT-ERROR", "REQ-CONN-SOURCE"), r.TRANSPORT_ERROR, j.TRANSPORT,
          "transport error on the _error queue; exit 2; output names the condition"),
    # ------------------------------------------------------------ large files
    _case(80, L, "Splits a large file into parts that reassemble", ("REQ-LARGE-SPLIT",),
          r.LARGE_FILE, j.large, "from what arrived: a reassembled group with group.parts "
          "for the size (1 MiB parts); parts the endpoint refused, or a message sent whole, "
          "fail"),
    _case(81, L, "Delivers a large file the register accepts",
          ("REQ-PAY-ACCEPTED", "REQ-LARGE-SPLIT"), r.LARGE_FILE, j.large_delivered,
          "the large IPLOS file reached an answered journal entry whole (sent whole or "
          "reassembled), accepted, payload unchanged; exit 0"),
    # ------------------------------------------------------------ AppRec trust (group apprec)
    _case(90, A, "Refuses an AppRec signed with another party's valid certificate",
          ("REQ-APP-FORGED",), r.OTHER_PARTY_APPREC, j.UNTRUSTED,
          "a chain that verifies is not enough: the signer must be KPR's registered "
          "certificate; exit 2"),
    _case(91, A, "Refuses an AppRec signed with an expired KPR certificate",
          ("REQ-APP-FORGED",), r.EXPIRED_APPREC, j.UNTRUSTED, "a certificate in KPR's name, "
          "expired; exit 2"),
    _case(92, A, "Refuses an AppRec signed with a revoked KPR certificate",
          ("REQ-APP-FORGED",), r.REVOKED_APPREC, j.UNTRUSTED, "a certificate in KPR's name, "
          "listed in the CRL; exit 2"),
    _case(93, A, "Refuses an AppRec changed under KPR's signature", ("REQ-APP-FORGED",),
          r.CHANGED_APPREC, j.UNTRUSTED, "KPR's genuine signature, the AppRec's Status changed "
          "after signing (the signature does not verify); exit 2"),
    _case(94, A, "Refuses an AppRec encrypted for another party", ("REQ-APP-FORGED",),
          r.WRONG_RECIPIENT_APPREC, j.UNTRUSTED, "signed by KPR, encrypted for another party "
          "of the register (a sender that holds several parties' keys must not open it); "
          "exit 2"),
    # ------------------------------------------------------------ the HTTP route (--route http)
    _case(100, H, "Gets its access token with a private_key_jwt client assertion",
          ("REQ-HTTP-TOKEN",), HB, jh.token, "what HelseID saw of the assertion behind each "
          "submission's token (helseid.*): RS256, aud the token endpoint, iss sub aud jti iat "
          "exp, the scope claim; the sending party's client (http.client_id)"),
    _case(101, H, "Keeps its client assertion short-lived", ("REQ-HTTP-ASSERTION-LIFETIME",),
          HB, jh.assertion_lifetime, f"helseid.assertion_lifetime_s (exp - iat) at most "
          f"{jh.ASSERTION_LIFETIME} s"),
    _case(102, H, "Posts the API's JSON header and payload", ("REQ-HTTP-BODY",), HB, jh.body,
          "no 400 with a request code; http.path, http.content_type, fromHerId, toHerId, "
          "messageType, messageVersion"),
    _case(103, H, "Signs and encrypts the payload as on the service bus", ("REQ-HTTP-CMS",),
          HB, jh.cms, "no 400 with a CMS or signer code; cms.digest, cms.cipher, "
          "cms.recipients, cms.recipient_id, cms.embedded_chain"),
    _case(104, H, "Gets 200 for a valid 56.0.0 message and reports it received",
          ("REQ-HTTP-RECEIVED", "REQ-PAY-FORMAT", "REQ-PAY-ACCEPTED"), HB, jh.received,
          "http.status 200, generation 56 recognised, accepted, payload unchanged; exit 0"),
    _case(110, H, "Sends again after a 500 technical error", ("REQ-HTTP-RETRY",),
          rh.LOST_ANSWER, jh.resent_after_500, "scenario http-lost-answer: a request after "
          "the 500 (the fault later-request records it); exit 0"),
    _case(111, H, "Waits as Retry-After says after a 503, then sends again",
          ("REQ-HTTP-RETRY-AFTER",), rh.UNAVAILABLE, jh.waits_retry_after(503, "unavailable"),
          f"scenario http-unavailable: the message arrives at least {rh.RETRY_AFTER} s after "
          "the 503 (the endpoint's times); exit 0"),
    _case(112, H, "Waits as Retry-After says after a 429, then sends again",
          ("REQ-HTTP-RETRY-AFTER",), rh.TOO_MANY, jh.waits_retry_after(429, "too-many"),
          f"scenario http-too-many-requests: the message arrives at least {rh.RETRY_AFTER} s "
          "after the 429; exit 0"),
    _case(113, H, "Keeps its messageId when it sends again, so the message is recorded once",
          ("REQ-HTTP-SAME-ID",), rh.LOST_ANSWER, jh.same_id, "in each run that makes the "
          "sender send again: every request (journaled, or answered by a fault) under one "
          "messageId, the message journaled once",
          also=(rh.UNAVAILABLE, rh.TOO_MANY, rh.EXPIRED_TOKEN)),
    _case(114, H, "Gets a new token when its token expired, then sends again",
          ("REQ-HTTP-TOKEN-RENEW",), rh.EXPIRED_TOKEN, jh.renews_token,
          "scenario http-expired-token: after the 401 the message arrives with a token "
          "issued after it (helseid.token_issued_at); exit 0"),
    _case(115, H, "Reports a failure when the token endpoint is down", ("REQ-HTTP-TOKEN-DOWN",),
          rh.TOKEN_DOWN, jh.token_down, "scenario http-token-endpoint-down: token requests "
          f"answered 503, nothing journaled; exit 2 within its {rh.SHORT_TIMEOUT:g} s "
          "timeout"),
    _case(116, H, "Reports a 400 with its validationCode and does not send again",
          ("REQ-HTTP-REFUSED",), rh.BAD_REQUEST, jh.refused, "scenario http-bad-request: one "
          f"request answered 400; exit 2; output names validationCode {rh.REFUSED_CODE}"),
)


@cache
def by_id() -> dict[str, Case]:
    """The catalogue by case id."""
    return {case.id: case for case in CATALOGUE}


def select(patterns: Iterable[str] | None, route: Route | str = Route.AMQP) -> list[Case]:
    """The cases of ``route`` named by ids, shell patterns (``KPR-CONF-0[1-2]*``) or group
    names (``security``), in catalogue order; all of the route's for None.
    :class:`ConfigError` for a pattern that names none of the route's cases (a certification
    judges one route: ``mockkpr certify --route``)."""
    route = Route(route)
    ours = [c for c in CATALOGUE if c.route is route]
    wanted = [p.strip() for p in patterns or () if p.strip()]
    if not wanted:
        return ours
    groups = {g.value for g in Group}
    chosen: set[str] = set()
    for pattern in wanted:
        found = {c.id for c in CATALOGUE if c.group.value == pattern} if pattern in groups \
            else {c.id for c in CATALOGUE if fnmatch.fnmatchcase(c.id, pattern.upper())}
        if not found:
            raise ConfigError(f"--cases {pattern}: no such case id, pattern or group "
                              f"(groups: {', '.join(sorted(groups))}; ids KPR-CONF-001...)")
        mine = {i for i in found if by_id()[i].route is route}
        if not mine:
            other = by_id()[sorted(found)[0]].route
            raise ConfigError(f"--cases {pattern}: its cases judge the {other.value} route, "
                              f"not {route.value} (give --route {other.value})")
        chosen |= mine
    return [c for c in ours if c.id in chosen]


def catalogue_json(cases: Sequence[Case] = CATALOGUE) -> dict[str, Any]:
    """The catalogue as data (what ``suite/cases.json`` in an evidence bundle holds)."""
    runs = {run.name: run.describe() for c in cases for run in c.runs}
    return {"digest_version": DIGEST_VERSION, "cases": [c.describe() for c in cases],
            "runs": [runs[name] for name in sorted(runs)]}


def catalogue_bytes() -> bytes:
    """The whole catalogue's JSON as it enters the digest (sorted keys, UTF-8)."""
    return (json.dumps(catalogue_json(), indent=1, sort_keys=True, ensure_ascii=False)
            + "\n").encode()


def suite_digest() -> str:
    """The digest of this suite: requirements table plus the whole catalogue."""
    return digest_of(requirements_bytes(), catalogue_bytes())


def case_table() -> str:
    """The Markdown case table of docs/conformance.md (a test keeps the two equal)."""
    lines = ["| id | group | level | requirements | what is judged |",
             "|---|---|---|---|---|"]
    for case in CATALOGUE:
        lines.append(f"| {case.id} {case.title} | {case.group.value} | {case.level.value} | "
                     f"{', '.join(case.requirements)} | {case.judged} (run `{case.run.name}`)"
                     " |")
    return "\n".join(lines) + "\n"
