"""Coverage: what a sender's traffic exercised at the endpoint, and what it never did.

From journal entries alone (``mockkpr coverage`` on any journal) or a certification run (every
run's messages, plus the scenarios armed and the cases judged): which requirements of the
requirements table the traffic exercised, which validation rules it made fire, which message
kinds (function and IPLOS generation) arrived, which code values (service types, functional
variables, id types, notification statuses) the payloads used, which scenarios ran, and which
answers the endpoint gave (outcomes, AppRec statuses, transport error conditions). Each with
what was *never* seen, so that a vendor sees what their own test traffic leaves untested.

A requirement counts as exercised when the journal holds the observation it is about (a
decrypted payload for the CMS requirements, a MsgHead for the envelope, a report for the
payload, an AppRec status 2 for REQ-APP-REJECTED...); behaviour under faults and the trust of
AppRecs are exercised only by scenarios (a certification run), never by plain traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lxml import etree

from mockkpr.journal.models import JournalEntry, Outcome
from mockkpr.refdata.codelists import (
    FUNCTIONAL_VARIABLE,
    ID_TYPE,
    NOTIFICATION_STATUS,
    SERVICE_TYPE,
    CodeList,
)

if TYPE_CHECKING:
    from mockkpr.conformance.harness import Certification

#: Payload fields (element or attribute local names) → the code list of their values.
CODED_FIELDS: dict[str, CodeList] = {
    "tjTjenType": SERVICE_TYPE, "tjenesteType": SERVICE_TYPE, "fnFunkType": FUNCTIONAL_VARIABLE,
    "typeID": ID_TYPE, "statusNotifikasjon": NOTIFICATION_STATUS,
}
#: The message functions KPR takes, and the IPLOS generations it knows.
KINDS = ("KPR_IDE", "KPR_IPL 2018", "KPR_IPL 2019", "KPR_IPL 56")
APPREC_STATUSES = ("1", "2", "3")
CONDITIONS = ("transport:invalid-field-value", "transport:invalid-certificate",
              "transport:expired-certificate", "transport:revoked-certificate",
              "transport:missing-certificate", "transport:unverified-certificate",
              "transport:not-well-formed-xml", "transport:unsupported-message",
              "abuse:spoofing-attack", "amqp:unauthorized-access")
#: The journal's queue of submissions over the HTTP API (mockkpr.kneik.app.QUEUE).
HTTP_QUEUE = "http"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                          load_dtd=False)

Seen = Callable[[list[JournalEntry], dict[str, list[dict[str, Any]]]], bool]


def _any(entries: list[JournalEntry], details: dict[str, list[dict[str, Any]]]) -> bool:
    """Any message that came over the service bus (the AMQP route's requirements)."""
    return any(e.queue != HTTP_QUEUE for e in entries)


def _http(entries: list[JournalEntry], details: dict[str, list[dict[str, Any]]]) -> bool:
    """Any submission over KPR's HTTP API."""
    return any(e.queue == HTTP_QUEUE for e in entries)


def _detail(prefix: str) -> Seen:
    return lambda entries, details: any(k.startswith(prefix) for d in details["all"] for k in d)


def _status(value: str) -> Seen:
    return lambda entries, details: any(e.apprec_status == value for e in entries)


#: How plain traffic exercises a requirement (others need a scenario: certification runs).
TRAFFIC: dict[str, Seen] = {
    **{r: _any for r in ("REQ-CONN-TLS", "REQ-CONN-SASL", "REQ-CONN-TARGET", "REQ-MSG-BODY",
                         "REQ-MSG-ID", "REQ-MSG-CORRELATION", "REQ-MSG-TO", "REQ-MSG-SUBJECT",
                         "REQ-MSG-CONTENT-TYPE", "REQ-MSG-HERIDS", "REQ-MSG-TIMESTAMP",
                         "REQ-MSG-STRINGS", "REQ-MSG-DURABLE")},
    "REQ-CONN-SOURCE": lambda e, d: any(a.disposition for x in e for a in x.answers),
    "REQ-CONN-REUSE": lambda e, d: len(e) > 1 or _detail("group.")(e, d),
    "REQ-MSG-SEPARATE": lambda e, d: {"KPR_IDE", "KPR_IPL"} <= {x.subject for x in e},
    **{r: (lambda e, d: _any(e, d) and _detail("cms.")(e, d)) for r in (
        "REQ-SEC-SIGN", "REQ-SEC-SIGN-DETAILS", "REQ-SEC-ENCRYPT", "REQ-SEC-RECIPIENT",
        "REQ-SEC-SIGNER")},
    **{r: _http for r in ("REQ-HTTP-TOKEN", "REQ-HTTP-ASSERTION-LIFETIME", "REQ-HTTP-BODY",
                          "REQ-HTTP-CMS", "REQ-HTTP-RECEIVED")},
    **{r: (lambda e, d: any(x.msghead for x in e)) for r in (
        "REQ-ENV-MSGHEAD", "REQ-ENV-TYPE", "REQ-ENV-SENDER", "REQ-ENV-RECEIVER", "REQ-ENV-ACK",
        "REQ-ENV-PAYLOAD")},
    **{r: (lambda e, d: any(x.report for x in e)) for r in (
        "REQ-PAY-FORMAT", "REQ-PAY-ACCEPTED", "REQ-PAY-ROWS", "REQ-PAY-SYNTHETIC")},
    "REQ-BEH-SAME-ID": lambda e, d: any(x.outcome is Outcome.DUPLICATE for x in e),
    "REQ-APP-OK": _status("1"), "REQ-APP-REJECTED": _status("2"),
    "REQ-APP-PARTIAL": _status("3"),
    "REQ-APP-TRANSPORT-ERROR": lambda e, d: any(a.kind == "transport-error"
                                                for x in e for a in x.answers),
    "REQ-LARGE-SPLIT": _detail("group."),
}


@dataclass
class Part:
    """One dimension of coverage: what was seen (with counts) and what never was."""

    name: str
    seen: dict[str, int] = field(default_factory=dict)
    never: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "exercised": self.seen, "never": self.never}


@dataclass
class Coverage:
    """Every dimension, in report order."""

    parts: list[Part]
    messages: int

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"messages": self.messages, "parts": [p.as_json() for p in self.parts]}

    def text(self) -> str:
        """The report for a terminal: per dimension, exercised and never exercised."""
        lines = [f"Coverage of {self.messages} message(s)"]
        for part in self.parts:
            seen = ", ".join(f"{k} ({v})" for k, v in part.seen.items()) or "-"
            lines.append(f"{part.name}: {len(part.seen)} exercised, {len(part.never)} never")
            lines.append(f"  exercised: {seen}")
            lines.append(f"  never:     {', '.join(part.never) or '-'}")
        return "\n".join(lines) + "\n"


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def _codes(entries: Sequence[JournalEntry]) -> tuple[dict[str, int], list[str]]:
    used: list[str] = []
    for entry in entries:
        if entry.payload is None:
            continue
        try:
            root = etree.fromstring(entry.payload, _PARSER)
        except etree.XMLSyntaxError:
            continue
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            name = etree.QName(element).localname
            if name in CODED_FIELDS and element.text and element.text.strip():
                used.append(f"{CODED_FIELDS[name].number}:{element.text.strip()}")
            for attribute, value in element.attrib.items():
                local = etree.QName(attribute).localname
                if local in CODED_FIELDS:
                    used.append(f"{CODED_FIELDS[local].number}:{str(value).strip()}")
    seen = _count(used)
    every = [f"{cl.number}:{code}" for cl in dict.fromkeys(CODED_FIELDS.values())
             for code in cl.codes]
    return seen, [c for c in every if c not in seen]


def of_entries(entries: Sequence[JournalEntry],
               details: Sequence[dict[str, Any]] | None = None, *,
               judged: Iterable[str] = (), scenarios: Iterable[str] = (),
               every_scenario: Iterable[str] = ()) -> Coverage:
    """Coverage of ``entries`` (with the endpoint's ``details`` of each, when known apart);
    ``judged`` requirements count as exercised too (cases a certification judged)."""
    from mockkpr.conformance.model import requirements
    from mockkpr.iplos.rules import REGISTRY

    found = list(entries)
    info = {"all": [dict(d) for d in details] if details is not None
            else [dict(e.details) for e in found]}
    judged_set = set(judged)
    exercised = {r: 1 for r in requirements()
                 if r in judged_set or (r in TRAFFIC and TRAFFIC[r](found, info))}
    rules = _count(f["rule_id"] for e in found for f in (e.report or {}).get("findings", []))
    kinds = _count(" ".join(filter(None, (e.subject, ((e.report or {}).get("format") or {})
                                          .get("generation")))) for e in found if e.report)
    statuses = _count([f"outcome {e.outcome.value}" for e in found]
                      + [f"AppRec status {e.apprec_status}" for e in found if e.apprec_status]
                      + [e.error_condition for e in found if e.error_condition])
    codes, never_codes = _codes(found)
    ran = _count(scenarios)
    return Coverage([
        Part("requirements", exercised, [r for r in requirements() if r not in exercised]),
        Part("validation rules that fired", rules,
             [r.id for r in REGISTRY if r.id not in rules]),
        Part("message kinds", kinds, [k for k in KINDS if k not in kinds]),
        Part("code values", codes, never_codes),
        Part("scenarios", ran, [s for s in every_scenario if s not in ran]),
        Part("answers", statuses,
             [f"outcome {o.value}" for o in Outcome if f"outcome {o.value}" not in statuses]
             + [f"AppRec status {s}" for s in APPREC_STATUSES
                if f"AppRec status {s}" not in statuses]
             + [c for c in CONDITIONS if c not in statuses]),
    ], len(found))


def of_certification(certification: Certification) -> Coverage:
    """Coverage of a certification run: every run's messages, its scenarios, judged cases."""
    from mockkpr.conformance.cases import CATALOGUE
    from mockkpr.conformance.model import Status

    entries, details = [], []
    for execution in certification.executions.values():
        if execution.observations is not None:
            for message in execution.observations.messages:
                entries.append(message.entry)
                details.append(dict(message.details))
    judged = {r for result in certification.results
              if result.status in (Status.PASS, Status.FAIL, Status.WARN)
              for r in result.case.requirements}
    runs = [e.run.name for e in certification.executions.values() if e.observations]
    routes = {result.case.route for result in certification.results}
    every = list(dict.fromkeys(run.name for case in CATALOGUE if case.route in routes
                               for run in case.runs))
    return of_entries(entries, details, judged=judged, scenarios=runs, every_scenario=every)
