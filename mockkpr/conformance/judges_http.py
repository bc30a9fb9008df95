"""The judges of the HTTP route's cases: from what the endpoint recorded to checks.

Everything judged here is what the endpoint observed, never the sender's word: the journal
entry of each submission (its header values, ``http.*`` - path, content type, the status
answered -, ``cms.*``, and ``helseid.*`` - what the token endpoint saw of the client assertion
behind the access token used, docs/http-api.md) and the firings of the run's scenario at the
``request`` and ``token`` stages (each with its time and the submission's messageId: a
request the API answered without journaling it). The sender's exit code and output are judged
as the sender command contract says (docs/conformance.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from mockkpr.conformance.judge import (
    EXIT_ACCEPTED,
    EXIT_FAILED,
    EXIT_REJECTED,
    NOT_RECORDED_HINT,
    Observations,
    Received,
    each,
    each_detail,
    exit_code,
    no_transport_error,
    not_observed,
    nothing_arrived,
    shows,
    stopped_for,
)
from mockkpr.conformance.judges import accepted, blocked_run, payload
from mockkpr.conformance.model import Check, Role
from mockkpr.conformance.runs_http import REFUSED_CODE, RETRY_AFTER
from mockkpr.conformance.stages import Stage
from mockkpr.faults import Firing
from mockkpr.journal.models import Outcome
from mockkpr.registry import IPLOS_SCOPE

#: The assertion's lifetime the demo client gives (seconds; kpr-http-api.md).
ASSERTION_LIFETIME = 60
#: The claims every client assertion must carry (RFC 7523 §3, the demo client).
ASSERTION_CLAIMS = ("iss", "sub", "aud", "jti", "iat", "exp")
#: Paths of the submission (kpr-http-api.md: the readme's and the demo client's).
PATHS = ("/messages", "/message/process")
#: How much earlier than Retry-After a resend may arrive (clock granularity), seconds.
RETRY_TOLERANCE = 0.05
GUID = r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$"


def _facts(obs: Observations, name: str, expected: str, keys: tuple[str, ...],
           ok: Callable[[Received], bool], value: Callable[[Received], object]) -> list[Check]:
    """:func:`each` over facts the endpoint records; unjudgeable where it recorded none."""
    messages = obs.originals()
    if not messages:
        return [nothing_arrived(obs, name, expected)]
    missing = [m.label for m in messages if any(k not in m.details for k in keys)]
    if missing:
        return [Check(name, None, expected, f"the endpoint recorded no {', '.join(keys)} for "
                      + ", ".join(missing), hint=NOT_RECORDED_HINT)]
    return each(obs, name, expected, ok, value)


# ------------------------------------------------------------------ the token
def journaled(obs: Observations) -> Check:
    """At least one submission was journaled (none is before a token was accepted)."""
    said = "; ".join(f"{s.document.name}: the sender {s.exit_summary()}" for s in obs.sends)
    count = len(obs.originals())
    return Check("a submission was journaled", count > 0, "at least one submission that "
                 "passed the token, scope and content-type checks", f"{count} journaled"
                 + (f" ({said})" if said and not count else ""),
                 hint="" if count else "get a token with a private_key_jwt client assertion "
                 "at the discovery document's token_endpoint, then POST application/json to "
                 "{base}/messages with Authorization: Bearer TOKEN")


def token(obs: Observations) -> list[Check]:
    """REQ-HTTP-TOKEN: the client assertion behind each submission's token, as HelseID saw
    it (``helseid.*``), and the client that submitted. Nothing journaled fails it: the
    first thing a submission needs is a token."""
    if not obs.originals():
        return [journaled(obs)]
    client = obs.context.registry.party(obs.context.from_her_id).client_id
    return [
        *_facts(obs, "client", f"the registered client of {obs.context.from_her_id}: {client}",
                ("http.client_id",), lambda m: m.details["http.client_id"] == client,
                lambda m: m.details["http.client_id"]),
        *_facts(obs, "assertion algorithm", "RS256", ("helseid.assertion_alg",),
                lambda m: m.details["helseid.assertion_alg"] == "RS256",
                lambda m: m.details["helseid.assertion_alg"]),
        *_facts(obs, "assertion audience", "the token endpoint of the discovery document",
                ("helseid.assertion_audience", "helseid.token_endpoint"),
                lambda m: m.details["helseid.assertion_audience"]
                in (m.details["helseid.token_endpoint"], [m.details["helseid.token_endpoint"]]),
                lambda m: f"aud {m.details['helseid.assertion_audience']!r}, token endpoint "
                f"{m.details['helseid.token_endpoint']}"),
        *_facts(obs, "assertion claims", ", ".join(ASSERTION_CLAIMS),
                ("helseid.assertion_claims",),
                lambda m: set(ASSERTION_CLAIMS) <= set(m.details["helseid.assertion_claims"]),
                lambda m: ", ".join(m.details["helseid.assertion_claims"])),
        *_facts(obs, "scope", f"the assertion's scope claim names {IPLOS_SCOPE}",
                ("helseid.assertion_scope",),
                lambda m: IPLOS_SCOPE in (m.details["helseid.assertion_scope"] or []),
                lambda m: m.details["helseid.assertion_scope"] or "no scope claim"),
    ]


def assertion_lifetime(obs: Observations) -> list[Check]:
    """REQ-HTTP-ASSERTION-LIFETIME: exp - iat of the client assertion."""
    def short(m: Received) -> bool:
        lifetime = m.details["helseid.assertion_lifetime_s"]
        return isinstance(lifetime, int) and 0 < lifetime <= ASSERTION_LIFETIME

    return _facts(obs, "assertion lifetime", f"exp at most {ASSERTION_LIFETIME} s after iat",
                  ("helseid.assertion_lifetime_s",), short,
                  lambda m: f"{m.details['helseid.assertion_lifetime_s']} s")


# ------------------------------------------------------------------ the request
def _app(m: Received, name: str) -> str | None:
    return m.entry.application_properties.get(name)


def _media_type(m: Received) -> str:
    return str(m.details.get("http.content_type") or "").split(";")[0].strip().lower()


def body(obs: Observations) -> list[Check]:
    """REQ-HTTP-BODY: path, content type and header values as recorded; no 10xx refusal."""
    sender, kpr = str(obs.context.from_her_id), str(obs.context.to_her_id)
    requirement = "REQ-HTTP-BODY"
    return [
        *no_transport_error(obs, "the API read the request", stopped_for(requirement),
                            "no 400 with a validationCode of the request (1001-1010, 3001)",
                            requirement=requirement),
        *_facts(obs, "path", " or ".join(PATHS), ("http.path",),
                lambda m: m.details["http.path"] in PATHS, lambda m: m.details["http.path"]),
        *_facts(obs, "content type", "application/json", ("http.content_type",),
                lambda m: _media_type(m) == "application/json",
                lambda m: m.details["http.content_type"]),
        *each(obs, "fromHerId and toHerId", f"{sender} and {kpr} (integers)",
              lambda m: (_app(m, "fromHerId"), _app(m, "toHerId")) == (sender, kpr),
              lambda m: f"fromHerId {_app(m, 'fromHerId')}, toHerId {_app(m, 'toHerId')}",
              need=Stage.CMS),
        *each(obs, "messageType and messageVersion", "IPLOS 56.0.0",
              lambda m: (_app(m, "messageType"), _app(m, "messageVersion")) == ("IPLOS",
                                                                                 "56.0.0"),
              lambda m: f"{_app(m, 'messageType')} {_app(m, 'messageVersion')}",
              need=Stage.CMS),
    ]


def cms(obs: Observations) -> list[Check]:
    """REQ-HTTP-CMS: the payload signed, then encrypted, as on the service bus."""
    requirement = "REQ-HTTP-CMS"
    expected = obs.context.registry.party(obs.context.from_her_id).signing_certificate
    subject_text = expected.subject.rfc4514_string()

    def detail(name: str, key: str, wanted: str, ok: Callable[[Any], bool]) -> list[Check]:
        return each_detail(obs, name, key, wanted, ok, need=Stage.CMS, requirement=requirement)

    return [
        *no_transport_error(obs, "the payload opened", stopped_for(requirement),
                            "no 400 with a validationCode of the CMS or the signer "
                            "(2001-2006, 3002-3008)", need=Stage.CMS, requirement=requirement),
        *detail("digest", "cms.digest", "sha256", lambda v: v == "sha256"),
        *detail("content encryption", "cms.cipher", "aes-256-cbc", lambda v: v == "aes-256-cbc"),
        *detail("recipients", "cms.recipients", "1", lambda v: v == 1),
        *detail("recipient identifier", "cms.recipient_id", "issuer-serial",
                lambda v: v == "issuer-serial"),
        *detail("signer certificate embedded", "cms.embedded_chain",
                f"the registered signing certificate {subject_text}",
                lambda v: isinstance(v, list) and subject_text in v),
    ]


def received(obs: Observations) -> list[Check]:
    """REQ-HTTP-RECEIVED with REQ-PAY-FORMAT and REQ-PAY-ACCEPTED: answered 200, accepted,
    the document unchanged, and the sender says so (exit 0)."""
    checks = [
        *each(obs, "answered 200", "HTTP 200 with messageId and refId",
              lambda m: m.details.get("http.status") == 200,
              lambda m: f"HTTP {m.details.get('http.status')}, refId "
              f"{m.details.get('http.ref_id')}", need=Stage.VALIDATION),
        *accepted(obs, "56"),
        *payload(obs),
    ]
    if blocked_run(obs, Role.IPLOS, accepted=True) is None:
        checks.append(exit_code(obs, Role.IPLOS, EXIT_ACCEPTED,
                                "the message was received (200) and the register accepts it"))
    return checks


# ------------------------------------------------------------------ faults
def _fired(obs: Observations, fault: str) -> list[Firing]:
    return [f for f in obs.firings if f.fault == fault]


def _applied(obs: Observations, fault: str, what: str) -> Firing | Check:
    """The first firing of ``fault``, or the check saying why there is none."""
    fired = _fired(obs, fault)
    if fired:
        return fired[0]
    name, wanted = f"the {what} was answered", f"a submission the scenario answers with the {what}"
    if not obs.originals():
        return nothing_arrived(obs, name, wanted)
    stops = obs.stops()
    if stops:  # the API refused the request before the fault could see it (no subject...)
        return not_observed(name, wanted, stops)
    return Check(name, None, wanted, f"the scenario's fault {fault} did not fire, though a "
                 "submission was journaled", hint="the harness could not apply the scenario")


def _fault_acted(obs: Observations, fault: str, what: str) -> Firing | list[Check]:
    """The first firing of a fault that needs an accepted message, or the checks saying why
    it could not test the sender (the message stopped earlier, nothing arrived)."""
    stopped = blocked_run(obs, Role.IPLOS, accepted=True)
    if stopped is not None:
        return [stopped]
    first = _applied(obs, fault, what)
    return [first] if isinstance(first, Check) else first


def _after(obs: Observations, at: datetime) -> list[Received]:
    return [m for m in obs.originals() if m.entry.received_at > at]


def resent_after_500(obs: Observations) -> list[Check]:
    """REQ-HTTP-RETRY (run http-lost-answer): after the 500 the sender sent again (a request
    the scenario's ``later-request`` fault recorded), and reports the message received."""
    first = _fault_acted(obs, "lost-answer", "500")
    if isinstance(first, list):
        return first
    later = [f for f in _fired(obs, "later-request") if f.at >= first.at]
    return [
        Check("sent again after the 500", bool(later), "a request after the 500 (errorCode "
              "1002, a technical error: try again later)",
              f"{len(later)} request(s) after the 500 at {first.at:%H:%M:%S.%f}"[:-3]
              + "".join(f"; {f.message_id} at {f.at:%H:%M:%S.%f}"[:-3] for f in later),
              hint="" if later else "send the message again after a 500",
              evidence=tuple(str(f.message_id) for f in (first, *later))),
        received_exit(obs, "sent again, the message is received"),
    ]


def received_exit(obs: Observations, why: str) -> Check:
    """Exit 0 - or 1 when the newest submission's verdict in the journal is not accepted (a
    sender that reads the register's verdict reports it, as the contract allows)."""
    check = exit_code(obs, Role.IPLOS, EXIT_ACCEPTED, why)
    record = obs.send_of(Role.IPLOS)
    newest = obs.originals()[-1] if obs.originals() else None
    if check.passed is False and record is not None and record.outcome is not None \
            and record.outcome.exit_code == EXIT_REJECTED and newest is not None \
            and newest.entry.outcome in (Outcome.REJECTED, Outcome.PARTIAL):
        return replace(check, passed=True, actual=check.actual + f" - the verdict on "
                       f"{newest.label} is {newest.entry.outcome.value}")
    return check


def waits_retry_after(status: int, fault: str) -> Callable[[Observations], list[Check]]:
    """REQ-HTTP-RETRY-AFTER: the resend after a ``status`` answer with ``Retry-After`` came no
    sooner than it said (the fault's time and the resend's arrival, both the endpoint's)."""
    def judge(obs: Observations) -> list[Check]:
        first = _fault_acted(obs, fault, str(status))
        if isinstance(first, list):
            return first
        resent = _after(obs, first.at)
        name = f"waited as Retry-After says after the {status}"
        wanted = f"the message sent again at least {RETRY_AFTER} s after the {status}"
        if not resent:
            check = Check(name, False, wanted, f"nothing arrived after the {status} at "
                          f"{first.at:%H:%M:%S}", hint=f"send again after a {status}")
        else:
            gap = (resent[0].entry.received_at - first.at).total_seconds()
            ok = gap >= RETRY_AFTER - RETRY_TOLERANCE
            check = Check(name, ok, wanted, f"{resent[0].label} arrived {gap:.2f} s after "
                          f"the {status}", hint="" if ok else "wait as long as Retry-After "
                          "says (seconds, or an HTTP date) before sending again",
                          evidence=(str(first.message_id), resent[0].entry.message_id))
        return [check, received_exit(obs, "sent again, the message is received")]

    return judge


def same_id(obs: Observations) -> list[Check]:
    """REQ-HTTP-SAME-ID, on one run: every request of a send (the submissions journaled and
    those the scenario answered without journaling) carries one messageId, and the document
    was received at most once (a refused one may be sent again)."""
    run, lines, bad = obs.run.name, [], False
    for record in obs.sends:
        arrived = [m for m in obs.arrived(record) if m in obs.originals()]
        ids = {m.entry.message_id for m in arrived}
        ids |= {str(f.message_id) for f in obs.firings_of(record)
                if f.stage == "request" and f.message_id}
        # a refused (400) submission may come again: only received ones count as records
        kept = [m for m in arrived if m.entry.outcome is not Outcome.TRANSPORT_ERROR]
        if len(ids) <= 1 and len(kept) <= 1:
            continue
        bad = True
        lines.append(f"{record.document.name} sent under {len(ids)} messageId(s) "
                     f"({', '.join(sorted(ids))}), received {len(kept)} times")
    name = f"run {run}: the same messageId when sent again"
    wanted = "every request of a message under its messageId; the message recorded once"
    if not bad:
        return [Check(name, True, wanted, "one messageId per message",
                      evidence=tuple(m.entry.message_id for m in obs.messages))]
    return [Check(name, False, wanted, " | ".join(lines),
                  hint="keep the messageId when sending a message again: a new one makes the "
                  "register record the message twice",
                  evidence=tuple(m.entry.message_id for m in obs.messages))]


def renews_token(obs: Observations) -> list[Check]:
    """REQ-HTTP-TOKEN-RENEW: after the 401 the message arrived with a token issued after it."""
    first = _fault_acted(obs, "expire", "401")
    if isinstance(first, list):
        return first
    later = _after(obs, first.at)
    name = "a new token after the 401"
    wanted = "the message sent again with an access token issued after the 401"
    if not later:
        return [Check(name, False, wanted, f"nothing arrived after the 401 at "
                      f"{first.at:%H:%M:%S} (the expired token is refused)",
                      hint="on 401 invalid_token, get a new token and send again"),
                received_exit(obs, "a new token, the message received")]
    facts = later[0].details
    issued = facts.get("helseid.token_issued_at")
    if not isinstance(issued, str):
        return [Check(name, None, wanted, "the endpoint recorded no helseid.token_issued_at",
                      hint=NOT_RECORDED_HINT)]
    new = datetime.fromisoformat(issued).timestamp() >= math.floor(first.at.timestamp())
    return [Check(name, new, wanted, f"{later[0].label} with token {facts.get('helseid.token_id')}"
                  f" issued {issued}, the 401 at {first.at.isoformat()}",
                  evidence=(later[0].entry.message_id,)),
            received_exit(obs, "a new token, the message received")]


def token_down(obs: Observations) -> list[Check]:
    """REQ-HTTP-TOKEN-DOWN: the token endpoint refused every request; the sender says it
    failed (exit 2) and nothing was journaled."""
    asked = [f for f in obs.firings if f.stage == "token"]
    return [
        Check("asked HelseID for a token", bool(asked), "at least one token request (each "
              "answered 503)", f"{len(asked)} token request(s)",
              hint="" if asked else "get an access token before submitting"),
        Check("nothing submitted", not obs.originals(), "no submission journaled (none can "
              "pass without a token)", f"{len(obs.originals())} journaled"),
        exit_code(obs, Role.IPLOS, EXIT_FAILED, "no access token could be had"),
    ]


def refused(obs: Observations) -> list[Check]:
    """REQ-HTTP-REFUSED: one request answered 400, none after it; exit 2 naming the code."""
    first = _applied(obs, "refused", "400")
    if isinstance(first, Check):
        return [first]
    fired = _fired(obs, "refused")
    return [
        Check("not sent again after the 400", len(fired) == 1, "one request, answered 400",
              f"{len(fired)} request(s) answered 400"
              + (f" ({', '.join(sorted({str(f.message_id) for f in fired}))})"
                 if len(fired) > 1 else ""),
              hint="" if len(fired) == 1 else "a 400 is final: do not send the message again "
              "unchanged", evidence=tuple(str(f.message_id) for f in fired)),
        exit_code(obs, Role.IPLOS, EXIT_FAILED, "the message was refused (400)"),
        shows(obs, Role.IPLOS, (REFUSED_CODE,), "the validationCode"),
    ]
