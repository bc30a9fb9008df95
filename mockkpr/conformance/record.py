"""What a harness tells the endpoint it judged: each case, for the endpoint's web view.

:meth:`~mockkpr.conformance.harness.Harness.judge` hands every result to the driver's
``record_case`` (``POST /api/conformance/cases``; docs/web.md), with the run it belongs to and
the journal entries its run observed, so that the endpoint can show the run, its cases and
their verdicts with links into the messages judged. Recording is a courtesy: an endpoint
that cannot take it (an older one) changes nothing about the verdicts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockkpr.conformance.harness import CaseResult


def case_record(result: CaseResult) -> dict[str, Any]:
    """The case's result with the messages its run observed (as they were judged)."""
    case = result.case
    observations = result.execution.observations
    messages = [m.entry for m in observations.messages] if observations else []
    return {
        "id": case.id, "title": case.title, "group": case.group.value,
        "level": case.level.value, "requirements": list(case.requirements),
        "status": result.status.value, "run": case.run.name, "error": result.error,
        "checks": [check.as_json() for check in result.checks],
        "messages": [{"journal_id": e.id, "message_id": e.message_id, "subject": e.subject,
                      "outcome": e.outcome.value, "apprec_status": e.apprec_status,
                      "error_condition": e.error_condition}
                     for e in messages if e.id is not None],
    }
