"""JSON API routes for the conformance runs recorded against this endpoint.

``POST /api/conformance/cases`` is how a conformance harness (``mockkpr certify``, the pytest
plugin) records each case it judged against this endpoint, with the messages it judged; the
web view's conformance pages show them. ``GET /api/conformance/runs`` lists the runs.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from mockkpr.journal.browse import Browser
from mockkpr.journal.models import Outcome
from mockkpr.journal.store import Journal

_Text = Annotated[str, Field(max_length=20_000)]
_Short = Annotated[str, Field(max_length=200)]


class RunRecord(BaseModel):
    """The conformance run a case belongs to (one harness: one run id)."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
    started_at: _Short
    mode: _Short
    sender: _Text
    endpoint: _Text
    tool_version: _Short
    suite_digest: _Short
    seed: int


class CheckRecord(BaseModel):
    """One check of a case: what was expected and what was seen."""

    model_config = ConfigDict(extra="ignore")

    name: _Text
    status: Literal["pass", "fail", "not-judged", "error"]
    expected: _Text
    actual: _Text
    hint: _Text | None = None


class JudgedMessage(BaseModel):
    """A journal entry a case judged (as it was when judged)."""

    model_config = ConfigDict(extra="ignore")

    journal_id: int
    message_id: _Short
    subject: _Short | None
    outcome: Outcome
    apprec_status: _Short | None
    error_condition: _Short | None
    ref_id: _Short | None = None  # an HTTP submission's refId
    http_status: int | None = None  # the status the HTTP API answered


class CaseRecord(BaseModel):
    """One judged case."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=64)]
    title: _Text
    group: _Short
    level: _Short
    requirements: Annotated[list[_Short], Field(max_length=100)]
    status: Literal["pass", "fail", "warn", "not-judged", "error"]
    run: _Short
    error: _Text | None
    checks: Annotated[list[CheckRecord], Field(max_length=500)]
    messages: Annotated[list[JudgedMessage], Field(max_length=10_000)]


class CaseSubmission(BaseModel):
    """``POST /api/conformance/cases``: a judged case and the run it belongs to."""

    run: RunRecord
    case: CaseRecord


def records_router(journal: Journal) -> APIRouter:
    """The routes over ``journal``."""
    router = APIRouter()
    browser = Browser(journal)

    @router.post("/api/conformance/cases", summary="Record a conformance case judged against "
                 "this endpoint (called by mockkpr certify and the pytest plugin)")
    def record_case(submission: CaseSubmission) -> dict[str, Any]:
        browser.record_case(submission.run.model_dump(mode="json"),
                            submission.case.model_dump(mode="json"))
        return {"recorded": True, "run": submission.run.id, "case": submission.case.id}

    @router.get("/api/conformance/runs", summary="The conformance runs recorded, newest first")
    def runs() -> list[dict[str, Any]]:
        return browser.runs()

    return router
