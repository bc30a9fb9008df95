"""The message page's facts, gathered from the entry, its answers, the queues and the faults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockkpr.control.findings import consequence_totals, rule_totals, worst_first
from mockkpr.control.web.context import Web
from mockkpr.control.web.words import HTTP_MEANINGS, EndpointCheck, transport_check
from mockkpr.envelope import parse_apprec
from mockkpr.envelope.apprec import AppRecInfo
from mockkpr.envelope.problems import EnvelopeError
from mockkpr.journal.browse import Summary, Waiting
from mockkpr.journal.models import AnswerRecord, JournalEntry, Outcome
from mockkpr.service.submissions import REF_ID

#: Findings shown on the message page itself (all are on the findings page).
PREVIEW_FINDINGS = 10


@dataclass(frozen=True)
class AnswerView:
    """One answer as the page shows it."""

    index: int
    record: AnswerRecord
    apprec: AppRecInfo | None
    waiting: Waiting | None

    @property
    def dead_lettered(self) -> bool:
        """Whether the answer waits in a dead-letter queue."""
        return self.waiting is not None and self.waiting.queue.endswith("_dl")


@dataclass(frozen=True)
class Event:
    """A line of the timeline."""

    at: datetime | None
    what: str
    detail: str = ""
    tone: str = ""


def read_apprec(record: AnswerRecord) -> AppRecInfo | None:
    """The AppRec an answer carried, as parsed from the document kept with it."""
    if record.kind != "apprec" or not record.message.document:
        return None
    try:
        return parse_apprec(record.message.document)
    except EnvelopeError:
        return None


def answers(web: Web, entry: JournalEntry) -> list[AnswerView]:
    """The entry's answers with their AppRecs parsed and where each still waits."""
    waiting = {w.message_id: w for w in web.browser.waiting(
        [a.message.message_id for a in entry.answers])}
    return [AnswerView(n, a, read_apprec(a), waiting.get(a.message.message_id))
            for n, a in enumerate(entry.answers)]


#: What the token endpoint observed of a submission's token (docs/http-api.md), as labelled.
_TOKEN_FACTS = (
    ("helseid.token_id", "access token id (jti)"), ("helseid.token_issued_at", "issued at"),
    ("helseid.token_scope", "scope granted"), ("helseid.token_endpoint", "token endpoint"),
    ("helseid.assertion_alg", "client assertion alg"), ("helseid.assertion_kid", "kid"),
    ("helseid.assertion_audience", "aud"),
    ("helseid.assertion_lifetime_s", "lifetime (exp - iat, s)"),
    ("helseid.assertion_claims", "claims"), ("helseid.assertion_scope", "scope claim"),
    ("helseid.scope_parameter", "scope parameter"),
)


@dataclass(frozen=True)
class HttpFacts:
    """What the message page shows of a submission over KPR's HTTP API."""

    ref_id: str
    status: int | None
    validation_code: int | None
    request: list[tuple[str, Any]]
    header: list[tuple[str, Any]]
    token: list[tuple[str, Any]]
    meaning: str


def _text(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) if value else "(none)"
    return value


def http_facts(entry: JournalEntry) -> HttpFacts | None:
    """The HTTP route's facts of ``entry`` (None for a message from the service bus)."""
    details = entry.details
    ref_id = details.get(REF_ID)
    if not isinstance(ref_id, str):
        return None
    status, code = details.get("http.status"), details.get("http.validation_code")
    request = [("refId", ref_id), ("POST", details.get("http.path")),
               ("answered", f"HTTP {status}" if status is not None else None),
               ("validationCode", code), ("fault", details.get("http.fault")),
               ("client id", details.get("http.client_id")),
               ("Content-Type", details.get("http.content_type")),
               ("body", details.get("http.body_bytes")),
               ("member names as sent", _text(details.get("http.names") or []))]
    token = [(label, _text(details[key])) for key, label in _TOKEN_FACTS if key in details]
    header = [(name, entry.application_properties.get(name)) for name in (
        "fromHerId", "toHerId", "messageType", "messageVersion")] + [
        ("messageId", entry.message_id or None)]
    meaning = HTTP_MEANINGS.get(entry.outcome, "")
    if status not in (200, 400, None):
        meaning += f" The sender was answered HTTP {status} instead (a scenario fault)."
    return HttpFacts(ref_id, status if isinstance(status, int) else None,
                     code if isinstance(code, int) else None, request, header, token, meaning)


def timeline(entry: JournalEntry, views: list[AnswerView]) -> list[Event]:
    """Received, processed, then each answer: queued, taken by the sender, or still held,
    waiting or dead-lettered (in this order, which is the order of time: an answer is built
    while its message is processed, and recorded with it)."""
    http = http_facts(entry)
    if http is not None:  # the API answered in the response: nothing was queued
        events = [Event(entry.received_at, "Received over HTTP",
                        f"POST {entry.details.get('http.path')} from client {entry.user}")]
        if entry.answered_at is not None:
            good = http.status == 200
            events.append(Event(entry.answered_at, f"Answered HTTP {http.status}",
                                f"refId {http.ref_id}, outcome {entry.outcome.value}",
                                "good" if good and entry.outcome is Outcome.ACCEPTED
                                else "warn" if good else "bad"))
        return events
    parts = entry.details.get("group.parts")
    events = [Event(entry.received_at, "Received",
                    f"on {entry.queue}" + (f", the last of {parts} parts" if parts else ""))]
    if entry.answered_at is not None:
        tone = {Outcome.ACCEPTED: "good", Outcome.PARTIAL: "warn"}.get(entry.outcome, "bad")
        events.append(Event(entry.answered_at, "Processed and answered",
                            f"outcome {entry.outcome.value}", tone))
    later: list[Event] = []  # where answers still wait: now, after everything else
    for view in views:
        answer = view.record
        name = "AppRec" if answer.kind == "apprec" else answer.kind.replace("-", " ").capitalize()
        events.append(Event(answer.sent_at, f"{name} queued",
                            f"for {answer.message.queue} (answer {view.index + 1})"))
        if answer.settled_at is not None:
            disposition = answer.disposition or "settled without an outcome"
            tone = "good" if answer.disposition == "accepted" else "warn"
            events.append(Event(answer.settled_at, f"{name} taken by the sender",
                                f"disposition {disposition}", tone))
        waiting = view.waiting
        if waiting is not None:
            tries = f"after {waiting.delivery_count} failed deliveries" \
                if waiting.delivery_count else "not yet delivered"
            if view.dead_lettered:
                later.append(Event(None, f"{name} dead-lettered",
                                   f"waits in {waiting.queue} {tries}", "bad"))
            elif waiting.not_before is not None:
                later.append(Event(None, f"{name} held back",
                                   f"in {waiting.queue} until the endpoint's clock reaches "
                                   f"{waiting.not_before:%Y-%m-%d %H:%M:%S} UTC", "warn"))
            else:
                later.append(Event(None, f"{name} waiting", f"in {waiting.queue}, {tries}"))
    return events + later


def firings(web: Web, entry: JournalEntry) -> list[dict[str, Any]] | None:
    """The armed scenario's faults that fired on this message (None: no scenario armed)."""
    if web.scenarios is None or web.scenarios.faults.scenario is None:
        return None
    ids = {entry.message_id, *(entry.details.get("group.part_message_ids") or [])}
    return [f.as_json() for f in web.scenarios.faults.firings() if f.message_id in ids]


def split_parts(entry: JournalEntry) -> list[dict[str, Any]]:
    """Each part of a split message: sequence, message-id and connection."""
    ids = entry.details.get("group.part_message_ids") or []
    connections = entry.details.get("group.connection_ids") or []
    return [{"sequence": n, "message_id": part,
             "connection": connections[n] if n < len(connections) else None}
            for n, part in enumerate(ids)]


def identity(web: Web, entry: JournalEntry
             ) -> tuple[dict[str, Any] | None, Summary | None]:
    """Which identity message the receiver joined an annual file with, as its report says
    (``identity``: kommune, year, bydel, whether one matched), and that entry while the
    journal still has it."""
    joined = (entry.report or {}).get("identity")
    if not isinstance(joined, dict):
        return None, None
    journal_id = joined.get("journal_id")
    return joined, web.browser.summary(journal_id) if isinstance(journal_id, int) else None


def check(entry: JournalEntry) -> EndpointCheck | None:
    """The check of docs/endpoint.md a transport error reports."""
    if entry.error_condition is None:
        return None
    return transport_check(entry.error_condition, entry.error_description, entry.error_data)


def report_summary(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """Counts per consequence, totals per rule and the worst findings, for the page."""
    if not report:
        return None
    findings = report.get("findings") or []
    return {"per_consequence": consequence_totals(report), "rules": rule_totals(report),
            "worst": worst_first(findings)[:PREVIEW_FINDINGS],
            "total": sum(consequence_totals(report).values()),
            "rows": report.get("rows") or {}, "truncated": report.get("findings_truncated")}
