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
    messages = list(observations.messages) if observations else []
    return {
        "id": case.id, "title": case.title, "group": case.group.value,
        "level": case.level.value, "requirements": list(case.requirements),
        "status": result.status.value, "run": case.run.name, "error": result.error,
        "checks": [check.as_json() for check in result.checks],
        "messages": [{"journal_id": m.entry.id, "message_id": m.entry.message_id,
                      "subject": m.entry.subject, "outcome": m.entry.outcome.value,
                      "apprec_status": m.entry.apprec_status,
                      "error_condition": m.entry.error_condition,
                      # an HTTP submission: the refId and the status the API answered
                      "ref_id": m.details.get("http.ref_id"),
                      "http_status": m.details.get("http.status")}
                     for m in messages if m.entry.id is not None],
    }
