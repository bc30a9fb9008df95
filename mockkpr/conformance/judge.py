"""What a run observed, and the helpers the cases judge it with.

:class:`Observations` hold, for one execution of a :class:`~mockkpr.conformance.model.Run`, the
messages the endpoint received (journal entries with the endpoint's wire and CMS observations,
``details``), what each send of the sender ended with (its exit code and output), the faults
that fired and the armed scenario's expectations verified over the journal (with
:mod:`mockkpr.faults.verify`'s nearest-miss explanations).

The helpers turn those into :class:`~mockkpr.conformance.model.Check` values that say what was
expected and what was seen, message by message. An observation the endpoint did not record
(an older or foreign endpoint) gives a check that could not be judged, never a pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from mockkpr.conformance.model import Check, Role, Route, Run, Send
from mockkpr.conformance.senders import SendOutcome, SendTask
from mockkpr.conformance.stages import Stage, Stop, reached, stop_of
from mockkpr.faults import Firing, Match, Scenario
from mockkpr.faults.verify import Result, check_count
from mockkpr.journal.models import JournalEntry, Outcome
from mockkpr.registry import Queues, Registry

#: The exit codes of the sender command contract (docs/conformance.md).
EXIT_ACCEPTED = 0
EXIT_REJECTED = 1
EXIT_FAILED = 2
EXIT_MEANINGS = {
    EXIT_ACCEPTED: "0 (the AppRec says OK: status 1)",
    EXIT_REJECTED: "1 (the AppRec says rejected, status 2, or accepted with errors, status 3)",
    EXIT_FAILED: "2 (failed: transport error, no or untrustworthy receipt, unusable input)",
}
#: The same on the HTTP route, where 200 means received (docs/conformance.md).
EXIT_MEANINGS_HTTP = {
    EXIT_ACCEPTED: "0 (received: HTTP 200, and accepted when the sender reads the verdict)",
    EXIT_REJECTED: "1 (received, but the register's verdict is rejected or rows rejected)",
    EXIT_FAILED: "2 (failed: not received - 400, 401, 403, 500 after retrying, no token, no "
                 "answer in time - or unusable input)",
}
#: The requirement a run fails when nothing the sender sent was journaled, per route.
NOTHING_ARRIVED = {Route.AMQP: "REQ-CONN-TARGET", Route.HTTP: "REQ-HTTP-TOKEN"}
_NOTHING_HINT = {
    Route.AMQP: "nothing reached KPR's queue",
    Route.HTTP: "no submission was journaled: none came to {base}/messages with a valid "
                "access token, the submit scope and application/json (401, 403, 404, 413 and "
                "415 are not journaled)",
}
#: How much of the sender's standard error a report shows when a send failed early.
STDERR_TAIL = 600
UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                       r"[0-9a-fA-F]{12}$")
NOT_RECORDED_HINT = ("the endpoint does not record this observation; judge with an endpoint "
                     "of this mockkpr version (its journal entries carry wire and CMS details)")


@dataclass(frozen=True)
class Document:
    """A generated document the sender was given."""

    role: Role
    name: str
    path: Path
    subject: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Received:
    """One message the endpoint received: its journal entry, the endpoint's observations of
    the wire and the CMS (``details``; contract keys ``wire.*``, ``cms.*``, ``group.*``), and
    how the sender settled each answer (None: not recorded by the endpoint)."""

    entry: JournalEntry
    details: Mapping[str, Any]
    dispositions: tuple[str | None, ...] | None

    @property
    def label(self) -> str:
        """``KPR_IPL 6940643e`` (subject and the start of the message-id)."""
        return f"{self.entry.subject or '(no subject)'} {self.entry.message_id[:8] or '(none)'}"


def received(entry: JournalEntry) -> Received:
    """The judges' view of a journal entry of this process's endpoint."""
    return Received(entry, dict(entry.details),
                    tuple(answer.disposition for answer in entry.answers))


@dataclass(frozen=True)
class SendRecord:
    """One send: the task given to the sender and how it ended.

    ``failure`` says why the sender has no outcome when that is the sender's fault (it did not
    finish in time); ``error`` when it is not (the sender could not be started, an operator
    gave no answer in manual mode).
    """

    send: Send
    document: Document
    task: SendTask
    outcome: SendOutcome | None
    seconds: float
    failure: str | None = None
    error: str | None = None
    #: The newest journal entry id and the number of fault firings before the send began:
    #: what arrived after them (and before the next send) is this send's.
    entries_before: int = 0
    firings_before: int = 0

    def stderr_tail(self, limit: int = STDERR_TAIL) -> str:
        """The end of the sender's standard error (or its output when stderr is empty)."""
        if self.outcome is None:
            return ""
        text = (self.outcome.stderr.strip() or self.outcome.stdout.strip())
        return text if len(text) <= limit else "..." + text[-limit:]

    def exit_summary(self) -> str:
        """``exit 2 after 0.4 s: <the end of its stderr>`` (or why there is no exit)."""
        if self.outcome is None:
            return self.failure or self.error or "no outcome"
        tail = " ".join(self.stderr_tail().split())
        return (f"exit {self.outcome.exit_code} after {self.outcome.seconds:.1f} s"
                + (f": {tail}" if tail else " (no output)"))


@dataclass(frozen=True)
class Context:
    """Who sends to whom, and where: what the judges compare observations with."""

    registry: Registry
    from_her_id: int
    to_her_id: int
    exchange: str

    @property
    def sender_queues(self) -> Queues:
        """The sending party's queues as the address register gives them."""
        return self.registry.party(self.from_her_id).queues

    @property
    def receiver_queue(self) -> str:
        """KPR's async queue, e.g. ``131725_async``."""
        return self.registry.party(self.to_her_id).queues.asynchronous

    @property
    def sender_account(self) -> str | None:
        """The SASL user the sending party's account has."""
        return self.registry.party(self.from_her_id).account


@dataclass(frozen=True)
class Observations:
    """Everything one execution of a run observed."""

    run: Run
    context: Context
    messages: tuple[Received, ...]
    sends: tuple[SendRecord, ...]
    firings: tuple[Firing, ...] = ()
    scenario: Scenario | None = None
    expectations: tuple[Result, ...] = ()

    @property
    def entries(self) -> list[JournalEntry]:
        """The journal entries, oldest first."""
        return [m.entry for m in self.messages]

    def originals(self, subject: str | None = None) -> list[Received]:
        """Messages that are not repeats of an earlier message-id, of ``subject`` if given."""
        return [m for m in self.messages if m.entry.outcome is not Outcome.DUPLICATE
                and (subject is None or m.entry.subject == subject)]

    def send_of(self, role: Role) -> SendRecord | None:
        """The (last) send of the document with this role."""
        found = [s for s in self.sends if s.document.role is role]
        return found[-1] if found else None

    def document_of(self, message: Received) -> Document | None:
        """The document a message should carry: its send's (what arrived while the sender had
        that task), else by its subject."""
        for send in self.sends:
            if any(m is message for m in self.arrived(send)):
                return send.document
        for send in self.sends:
            if send.document.subject == message.entry.subject:
                return send.document
        return None

    def _next(self, record: SendRecord) -> SendRecord | None:
        index = next((n for n, s in enumerate(self.sends) if s is record), len(self.sends))
        return self.sends[index + 1] if index + 1 < len(self.sends) else None

    def arrived(self, record: SendRecord) -> list[Received]:
        """What arrived while the sender had ``record``'s task (until the next task)."""
        following = self._next(record)
        until = following.entries_before if following is not None else None
        return [m for m in self.messages if (m.entry.id or 0) > record.entries_before
                and (until is None or (m.entry.id or 0) <= until)]

    def firings_of(self, record: SendRecord) -> list[Firing]:
        """The faults that fired while the sender had ``record``'s task."""
        following = self._next(record)
        until = following.firings_before if following is not None else len(self.firings)
        return list(self.firings[record.firings_before:until])

    def stops(self) -> list[tuple[Received, Stop]]:
        """Every message the endpoint stopped with (refused, transport error, rejected)."""
        found = []
        for m in self.messages:
            stop = stop_of(m.entry, dict(m.details))
            if stop is not None:
                found.append((m, stop))
        return found


# ------------------------------------------------------------------ arrival and counts
def arrival(obs: Observations, subject: str | None = None) -> Check:
    """At least one message (of ``subject``) reached KPR's queue.

    Every message since the run's reset counts as the sender's, whatever ``fromHerId`` it
    claims (the HER-id judges catch a wrong one)."""
    passed, text = check_count(Match(subject=subject), obs.entries, low=1)
    what = subject or "message"
    if not passed:
        sends = [s for s in obs.sends if subject is None or s.document.subject == subject]
        text += "".join(f" {s.document.name}: the sender {s.exit_summary()}." for s in sends)
    return Check(f"a {what} arrived", passed,
                 f"at least one {what} on {obs.context.receiver_queue}", text,
                 hint="" if passed else "check the target address, the credentials and that "
                 "the command really makes the sender send")


def count(obs: Observations, name: str, match: Match, *, exactly: int | None = None,
          at_least: int | None = None, at_most: int | None = None) -> Check:
    """How many journal entries match, with the nearest misses when the count is off."""
    passed, text = check_count(match, obs.entries, count=exactly, low=at_least, high=at_most)
    wanted = text.split(", found")[0].removeprefix("expected ")
    return Check(name, passed, wanted, text,
                 evidence=tuple(e.message_id for e in obs.entries))


def expectations(obs: Observations) -> list[Check]:
    """The armed scenario's expectations as checks (faults.verify's own messages)."""
    return [Check(f"scenario {obs.scenario.name if obs.scenario else ''}: {r.name}", r.passed,
                  r.name, r.message) for r in obs.expectations]


# ------------------------------------------------------------------ per message
def _listing(messages: Iterable[Received], value: Callable[[Received], object]) -> str:
    return "; ".join(f"{m.label}: {value(m)!s}" for m in messages)


def blocked(message: Received, need: Stage, requirement: str | None) -> Stop | None:
    """The stop that kept the endpoint from observing what a check needs, or None.

    ``need`` is the stage whose observation the check judges; a message the endpoint stopped
    with before it completed that stage blocks the check - unless it stopped for the check's
    own ``requirement`` (then the check judges, and fails on, the stop)."""
    stop = stop_of(message.entry, dict(message.details))
    if stop is None or reached(message.entry, dict(message.details)) >= need:
        return None
    if requirement is not None and stop.requirement == requirement:
        return None
    return stop


def not_observed(name: str, expected: str, stops: list[tuple[Received, Stop]]) -> Check:
    """A check that could not be made: the endpoint stopped earlier (the root cause)."""
    first = stops[0][1]
    return Check(name, None, expected, "; ".join(
        f"{m.label}: not observed - the endpoint stopped while {s.stage.label}: {s.answer}"
        for m, s in stops), hint=f"root cause {first.requirement}", blocked=True,
        evidence=tuple(m.entry.message_id for m, _ in stops))


def nothing_arrived(obs: Observations, name: str, expected: str,
                    subject: str | None = None) -> Check:
    """A check that could not be made because no message (of ``subject``) arrived."""
    sends = [s for s in obs.sends if subject is None or s.document.subject == subject]
    said = "; ".join(f"{s.document.name}: the sender {s.exit_summary()}" for s in sends)
    route = obs.run.route
    return Check(name, None, expected, f"not observed - no {subject or 'message'} arrived"
                 + (f" ({said})" if said else ""),
                 hint=f"root cause {NOTHING_ARRIVED[route]}: {_NOTHING_HINT[route]}",
                 blocked=True)


def each(obs: Observations, name: str, expected: str, ok: Callable[[Received], bool],
         value: Callable[[Received], object], *, subject: str | None = None,
         hint: str = "", need: Stage = Stage.DELIVERY,
         requirement: str | None = None) -> list[Check]:
    """One check over every original message (of ``subject``): all must be ``ok``.

    Messages the endpoint stopped with before ``need`` (:func:`blocked`) are not judged; when
    that leaves none, the check is not judged, naming the stop."""
    messages = obs.originals(subject)
    if not messages:
        return [nothing_arrived(obs, name, expected, subject)]
    stops = [(m, s) for m in messages if (s := blocked(m, need, requirement)) is not None]
    judged = [m for m in messages if all(m is not b for b, _ in stops)]
    if not judged:
        return [not_observed(name, expected, stops)]
    bad = [m for m in judged if not ok(m)]
    return [Check(name, not bad, expected, _listing(bad or judged, value),
                  hint=hint if bad else "", evidence=tuple(m.entry.message_id for m in judged))]


_MISSING = object()


def detail(message: Received, key: str) -> Any:
    """One of the endpoint's observations of a message, or :data:`_MISSING`."""
    return message.details.get(key, _MISSING)


def each_detail(obs: Observations, name: str, key: str, expected: str,
                ok: Callable[[Any], bool], *, subject: str | None = None,
                hint: str = "", need: Stage = Stage.DELIVERY,
                requirement: str | None = None) -> list[Check]:
    """:func:`each` over the endpoint's observation ``key``; unjudgeable when not recorded.

    A message stopped at ``need`` for the check's own ``requirement`` fails with the
    endpoint's answer (the observation was never made because of what the check judges)."""
    messages = obs.originals(subject)
    if not messages:
        return [nothing_arrived(obs, name, expected, subject)]
    stops = [(m, s) for m in messages if (s := blocked(m, need, requirement)) is not None]
    judged = [m for m in messages if all(m is not b for b, _ in stops)]
    if not judged:
        return [not_observed(name, expected, stops)]
    missing = [m for m in judged if detail(m, key) is _MISSING]
    stopped = [m for m in missing if m.entry.error_condition]
    if stopped:  # the endpoint refused the message for what this check judges
        return [Check(name, False, expected, _listing(stopped, lambda m: (
            f"the endpoint answered {m.entry.error_condition} ({m.entry.error_description})")),
            evidence=tuple(m.entry.message_id for m in stopped))]
    if missing:
        return [Check(name, None, expected,
                      f"the endpoint recorded no {key} for " + ", ".join(m.label for m in missing),
                      hint=NOT_RECORDED_HINT)]
    bad = [m for m in judged if not ok(detail(m, key))]
    return [Check(name, not bad, expected, _listing(bad or judged, lambda m: detail(m, key)),
                  hint=hint if bad else "", evidence=tuple(m.entry.message_id for m in judged))]


def no_transport_error(obs: Observations, name: str, bad: Callable[[Received], bool],
                       expected: str, *, subject: str | None = None,
                       need: Stage = Stage.DELIVERY,
                       requirement: str | None = None) -> list[Check]:
    """No message was answered with a transport error that ``bad`` picks (the endpoint's
    verdict on what the sender did)."""

    def value(m: Received) -> str:
        entry = m.entry
        if entry.error_condition:
            return (f"transport error {entry.error_condition}: {entry.error_description}"
                    + (f" ({'; '.join(entry.error_data)})" if entry.error_data else ""))
        return f"outcome {entry.outcome.value}"

    return each(obs, name, expected, lambda m: not bad(m), value, subject=subject, need=need,
                requirement=requirement)


def stopped_for(requirement: str) -> Callable[[Received], bool]:
    """Picks a message the endpoint stopped with because of ``requirement``."""
    def picks(m: Received) -> bool:
        stop = stop_of(m.entry, dict(m.details))
        return stop is not None and stop.requirement == requirement
    return picks


# ------------------------------------------------------------------ the sender's outcome
def _receipt_note(obs: Observations, record: SendRecord) -> str:
    """For a sender that claims an OK AppRec: what the endpoint saw of that AppRec."""
    arrived = [m for m in obs.arrived(record) if m.entry.outcome is not Outcome.DUPLICATE]
    if not arrived:
        return " - but nothing it sent arrived"
    apprecs = [(a, m) for m in arrived for a in m.entry.answers if a.kind == "apprec"]
    if not apprecs:
        return " - but no AppRec was sent to it"
    taken = [m for a, m in apprecs if m.dispositions is not None
             and m.dispositions[m.entry.answers.index(a)] == "accepted"]
    if not taken and all(m.dispositions is not None for _, m in apprecs):
        return (" - but it never took its AppRec off its queue and accepted it (it did not "
                "wait for the receipt)")
    return ""


def _meanings(obs: Observations | None) -> dict[int, str]:
    return EXIT_MEANINGS_HTTP if obs is not None and obs.run.route is Route.HTTP \
        else EXIT_MEANINGS


def _outcome_text(record: SendRecord, obs: Observations | None = None) -> str:
    if record.outcome is None:
        return record.failure or record.error or "no outcome"
    code = record.outcome.exit_code
    meaning = _meanings(obs).get(code, f"{code} (not an exit code of the contract)")
    note = _receipt_note(obs, record) if obs is not None and code == EXIT_ACCEPTED \
        and obs.run.route is Route.AMQP else ""
    return f"exit {meaning} after {record.outcome.seconds:.1f} s{note}"


def exit_code(obs: Observations, role: Role, expected: int, why: str) -> Check:
    """The sender's exit code for the send of ``role`` is ``expected``.

    For a sender that exits 0 the text says what the endpoint saw of the AppRec it claims (none
    sent, or never taken off its queue: then KPR-CONF-004 fails, not this check)."""
    record = obs.send_of(role)
    meanings = _meanings(obs)
    name = f"the sender reports {meanings[expected].split(' ', 1)[1].strip('()')}"
    wanted = f"exit {meanings[expected]}: {why}"
    if record is None:
        return Check(name, None, wanted, f"the run has no send of the {role.value} document")
    if record.outcome is None:
        return Check(name, None if record.error else False, wanted, _outcome_text(record))
    text = _outcome_text(record, obs)
    passed = record.outcome.exit_code == expected
    return Check(name, passed, wanted, text,
                 hint="" if passed else "the command must exit as the sender judged the "
                 "receipt (`mockkpr docs conformance`, the sender command contract)")


def shows(obs: Observations, role: Role, words: tuple[str, ...], what: str) -> Check:
    """The sender's output (stdout and stderr) names every one of ``words``."""
    record = obs.send_of(role)
    name = f"the sender shows {what}"
    wanted = "its output names " + ", ".join(words)
    if record is None or record.outcome is None:
        text = _outcome_text(record) if record is not None else "no send"
        return Check(name, None if record is None or record.error else False, wanted, text)
    output = record.outcome.stdout + "\n" + record.outcome.stderr
    missing = [w for w in words if w.lower() not in output.lower()]
    shown = " ".join(output.split())[:300] or "(no output)"
    return Check(name, not missing, wanted,
                 (f"missing {', '.join(missing)} in: " if missing else "") + shown)


# ------------------------------------------------------------------ the document itself
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def canonical(xml: bytes) -> bytes | None:
    """Exclusive C14N of an XML document (None when it does not parse)."""
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError:
        return None
    return etree.tostring(root, method="c14n", exclusive=True)


def same_document(message: Received, document: Document) -> tuple[bool, str]:
    """Whether the payload KPR decrypted is the document the sender was given (same XML
    after canonicalisation: declaration, encoding and namespace placement may differ)."""
    payload = message.entry.payload
    if payload is None:
        return False, "no payload was decrypted (outcome " + message.entry.outcome.value + ")"
    given = canonical(document.path.read_bytes())
    got = canonical(payload)
    if got is None:
        return False, f"the payload ({len(payload)} bytes) is not well-formed XML"
    if got == given:
        return True, f"the payload equals {document.name}"
    return False, (f"the payload differs from {document.name} ({len(got)} bytes canonical, "
                   f"expected {len(given or b'')})")
