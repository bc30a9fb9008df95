"""Root causes: what each send ended with at the endpoint, grouped by the first failing
requirement, so that one mistake reads as one cause and not as forty failures.

For every send of every run: the endpoint's own answer to each message that arrived (AppRec
status, transport error, refused delivery - :mod:`mockkpr.conformance.stages`), the sender's
exit code and the end of its standard error, and the first requirement the send failed (the
stop of its message, or "nothing arrived"). Sends with the same first failing requirement form
one root cause, with the cases that failed on it and the cases it left not judged. Cases that
failed on a message the endpoint accepted (an AES-128 payload, a number as ``fromHerId``) are
causes of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockkpr.conformance.judge import NOTHING_ARRIVED as NOTHING_ARRIVED_ON
from mockkpr.conformance.model import Route, Status, requirements
from mockkpr.conformance.stages import stop_of
from mockkpr.journal.models import Outcome

if TYPE_CHECKING:
    from mockkpr.conformance.harness import Certification, Execution
    from mockkpr.conformance.judge import SendRecord

#: The requirement a send fails when nothing it sent reached KPR's queue (per route: on the
#: HTTP route, when no submission was journaled).
NOTHING_ARRIVED = NOTHING_ARRIVED_ON[Route.AMQP]


@dataclass(frozen=True)
class SendStory:
    """One send: the document, what the endpoint answered, what the sender said."""

    run: str
    document: str
    answers: tuple[str, ...]  # the endpoint's own answer to each message, in arrival order
    sender: str  # exit code and the end of its stderr
    requirement: str | None  # the first requirement the send failed at the endpoint
    arrived: int

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"run": self.run, "document": self.document, "endpoint_answers":
                list(self.answers), "sender": self.sender, "first_failing_requirement":
                self.requirement, "messages": self.arrived}


@dataclass
class RootCause:
    """Sends and cases that one requirement explains."""

    requirement: str
    sends: list[SendStory] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    not_judged: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The requirement's level and text."""
        found = requirements().get(self.requirement)
        return f"{found.level.value}: {found.text}" if found else self.requirement

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"requirement": self.requirement, "text": self.text,
                "failed_cases": self.failed, "not_judged_cases": self.not_judged,
                "sends": [s.as_json() for s in self.sends]}


def story(execution: Execution, record: SendRecord) -> SendStory:
    """What one send ended with."""
    obs = execution.observations
    assert obs is not None
    arrived = [m for m in obs.arrived(record) if m.entry.outcome is not Outcome.DUPLICATE]
    answers, first = [], None
    fired = {str(f.message_id): f for f in obs.firings_of(record) if f.message_id}
    for m in arrived:
        stop = stop_of(m.entry, dict(m.details))
        fault = fired.get(m.entry.message_id)
        answers.append(f"{m.label}: " + (stop.answer if stop else _accepted(m.entry.outcome))
                       + (f" (the scenario's fault {fault.fault})" if fault else ""))
        if stop is not None and first is None and fault is None:
            first = stop
    taken = [f for f in fired.values() if f.message_id not in
             {m.entry.message_id for m in arrived}]
    answers += [f"{str(f.message_id)[:8]}: taken by the scenario's fault {f.fault} ({f.kind})"
                for f in taken]
    tokens = [f for f in obs.firings_of(record) if f.stage == "token"]
    if tokens:  # the HTTP route's token endpoint answered instead of HelseID
        answers.append(f"{len(tokens)} token request(s) answered by the scenario's fault "
                       f"{tokens[0].fault} ({tokens[0].kind})")
    nothing = NOTHING_ARRIVED_ON[execution.run.route]
    requirement = first.requirement if first else (None if arrived or taken or tokens
                                                   else nothing)
    if not arrived and not taken and not tokens:
        answers.append("nothing arrived on KPR's queue" if execution.run.route is Route.AMQP
                       else "no submission was journaled")
    return SendStory(execution.run.name, record.document.name, tuple(answers),
                     record.exit_summary(), requirement, len(arrived))


def _accepted(outcome: Outcome) -> str:
    return "AppRec status 1 (accepted)" if outcome is Outcome.ACCEPTED else outcome.value


def stories(executions: Iterable[Execution]) -> list[SendStory]:
    """Every send of every execution."""
    found = []
    for execution in executions:
        if execution.observations is not None:
            found += [story(execution, r) for r in execution.observations.sends
                      if r.error is None]
    return found


def root_causes(certification: Certification) -> list[RootCause]:
    """The root causes of a certification, the most far-reaching first."""
    causes: dict[str, RootCause] = {}
    for one in stories(certification.executions.values()):
        if one.requirement is not None:
            causes.setdefault(one.requirement, RootCause(one.requirement)).sends.append(one)
    for result in certification.results:
        if result.status is Status.NOT_JUDGED:
            named = [c.hint.removeprefix("root cause ").split(":")[0] for c in result.checks
                     if c.passed is None and c.hint.startswith("root cause ")]
            for requirement in dict.fromkeys(named) or ("(time cap)",):
                causes.setdefault(requirement, RootCause(requirement)).not_judged.append(
                    result.case.id)
        elif result.status in (Status.FAIL, Status.WARN):
            own = [r for r in result.case.requirements if r in causes]
            requirement = own[0] if own else result.case.requirements[0]
            causes.setdefault(requirement, RootCause(requirement)).failed.append(
                result.case.id)
    order = list(requirements())
    explaining = [c for c in causes.values() if c.failed or c.not_judged]
    return sorted(explaining, key=lambda c: (
        -(len(c.failed) + len(c.not_judged)),
        order.index(c.requirement) if c.requirement in order else len(order)))


def early_failures(certification: Certification) -> list[SendStory]:
    """Sends whose message never arrived: the sender's exit code and stderr are the only
    account of what went wrong (shown first)."""
    return [s for s in stories(certification.executions.values()) if s.arrived == 0
            and s.requirement in NOTHING_ARRIVED_ON.values()]
