"""The HTTP control API: health, readiness, the journal, long-poll waits, reset and metrics.

Routes that touch the database are plain functions (FastAPI runs them in its thread pool);
``GET /api/wait`` runs the blocking :meth:`Journal.wait` in threads of its own limiter, so many
long polls never starve the other routes or block the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from mockkpr import __version__
from mockkpr.control.answers import answers_router
from mockkpr.control.metrics import Metrics
from mockkpr.control.parties import parties_router
from mockkpr.control.records import records_router
from mockkpr.control.scenario import ScenarioControl, scenario_router
from mockkpr.control.schemas import EntryDetail, EntryOut, Problem, Readiness, ResetOptions
from mockkpr.control.security import AccessPolicy, protect
from mockkpr.control.web.context import Web
from mockkpr.control.web.install import install_web
from mockkpr.iplos.render import REPORT_SCHEMA_VERSION
from mockkpr.journal.models import JournalEntry, MessageFilter, Outcome
from mockkpr.journal.store import Journal
from mockkpr.log import get_logger
from mockkpr.registry import Registry

log = get_logger(__name__)

#: Longest ``timeout`` a client may give ``GET /api/wait``.
MAX_WAIT_S = 300.0
#: Long polls served at once; more wait for a free slot.
MAX_WAITERS = 64

_ISO_HINT = "use ISO 8601, e.g. 2024-05-01T12:00:00Z (no offset means UTC)"


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def message_filter(
    sender: Annotated[str | None, Query(description="Sender's HER-id (fromHerId).")] = None,
    subject: Annotated[str | None, Query(description="AMQP subject, e.g. KPR_IPL.")] = None,
    outcome: Annotated[Outcome | None, Query(description="What became of the message.")] = None,
    message_id: Annotated[str | None, Query(description="AMQP message-id.")] = None,
    since: Annotated[datetime | None, Query(description=f"Received at or after; {_ISO_HINT}.")]
    = None,
    until: Annotated[datetime | None, Query(description=f"Received at or before; {_ISO_HINT}.")]
    = None,
    after_id: Annotated[int | None, Query(description="Only entries with a larger journal id.")]
    = None,
) -> MessageFilter:
    """The journal filter given by the query parameters."""
    return MessageFilter(sender_her_id=sender, subject=subject, outcome=outcome,
                         message_id=message_id, since=_utc(since), until=_utc(until),
                         after_id=after_id)


Filter = Annotated[MessageFilter, Depends(message_filter)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem}}
NOT_READY_YET: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem}, 409: {"model": Problem, "description": "Still being processed."}}


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with FastAPI's ``detail`` list plus one readable ``message``."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    parts = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ())]
        where = (f"{loc[0]} parameter {loc[1]!r}" if len(loc) == 2 and loc[0] != "body"
                 else " ".join(loc))
        text = f"{where}: {error.get('msg')} (got {error.get('input')!r})"
        if str(error.get("type", "")).startswith(("datetime", "date")):
            text += f"; {_ISO_HINT}"
        parts.append(text)
    return JSONResponse(status_code=422, content={
        "detail": jsonable_encoder(errors), "message": "invalid request: " + "; ".join(parts)})


def _entry(journal: Journal, message_id: str, *, settled: bool) -> JournalEntry:
    entry = journal.get_by_message_id(message_id)
    if entry is None:
        raise HTTPException(404, f"no message with message-id or MsgId {message_id!r}")
    if settled and entry.outcome is Outcome.PENDING:
        raise HTTPException(409, f"message {message_id!r} is still being processed")
    return entry


def create_app(
    journal: Journal,
    readiness: Callable[[], dict[str, bool]],
    *,
    metrics: Metrics,
    on_reset: Callable[[], None] | None = None,
    registry: Registry | None = None,
    documented_passwords: Mapping[str, str] | None = None,
    scenarios: ScenarioControl | None = None,
    listeners: Mapping[str, str] | None = None,
    access: AccessPolicy | None = None,
    on_drop_queued: Callable[[], None] | None = None,
) -> FastAPI:
    """The control API over ``journal``, behind the checks of ``access``
    (:mod:`mockkpr.control.security`; default: loopback names only, no token).

    With a ``registry`` it also serves the test CA and the party list
    (:mod:`mockkpr.control.parties`); ``documented_passwords`` (SASL user to password) are
    the only passwords that list shows.

    ``readiness`` returns the endpoint's checks (listeners, registry, certificates,
    scenario...); the journal's own check is added. ``on_reset`` runs after the journal is
    emptied by ``POST /api/reset``, ``on_drop_queued`` when that reset also dropped the
    answers still owed (the endpoint forgets them too). ``scenarios`` adds the
    fault-injection routes (:mod:`mockkpr.control.scenario`). ``listeners`` (name to URL,
    e.g. the AMQPS listener) are shown on the web view's endpoint page.
    ``app.state.stopping`` is a :class:`threading.Event` that ends running long polls (set by
    :class:`~mockkpr.control.server.ControlServer`).
    """
    app = FastAPI(
        title="mockkpr control API",
        version=__version__,
        description="Watch and control mockkpr's KPR endpoint: what it received, what it "
        "answered, waits for messages, reset and metrics. The web view is at /.",
        docs_url=None, redoc_url=None,  # /docs: Swagger UI from packaged assets (control.web)
    )
    app.add_exception_handler(RequestValidationError, _validation_error)
    protect(app, access or AccessPolicy())
    if registry is not None:
        app.include_router(parties_router(registry, documented_passwords or {}))
    stopping = threading.Event()
    app.state.stopping = stopping
    limiter: list[anyio.CapacityLimiter] = []

    def checks() -> dict[str, bool]:
        try:
            found = {name: bool(ok) for name, ok in readiness().items()}
        except Exception as exc:  # a failing check means "not ready", never a 500
            log.warning("control.readiness_failed", error=str(exc))
            found = {"readiness": False}
        return {**found, "journal": journal.ping()}

    @app.get("/healthz", summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", summary="Readiness: every check passes", response_model=Readiness,
             responses={503: {"model": Readiness, "description": "Some check failed."}})
    def readyz() -> JSONResponse:
        found = checks()
        ready = all(found.values())
        body = Readiness(status="ready" if ready else "not ready", checks=found)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    @app.get("/api/messages", summary="List received messages, newest first",
             response_model=list[EntryOut])
    def list_messages(
        flt: Filter,
        response: Response,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[EntryOut]:
        entries = journal.list(flt, limit=limit, offset=offset, with_report=False)
        response.headers["X-Total-Count"] = str(journal.count(flt))
        return [EntryOut.of(e) for e in entries]

    @app.get("/api/messages/{message_id}", summary="One message with envelope, report, answers",
             response_model=EntryDetail, responses=NOT_FOUND)
    def show_message(message_id: str) -> EntryDetail:
        return EntryDetail.of(_entry(journal, message_id, settled=False))

    @app.get("/api/messages/{message_id}/feedback", responses=NOT_READY_YET,
             summary="The detailed feedback: the validator's JSON report (`mockkpr docs receipts`)")
    def feedback(message_id: str) -> dict[str, Any]:
        entry = _entry(journal, message_id, settled=True)
        if entry.report is None:
            raise HTTPException(404, f"message {message_id!r} was not validated "
                                     f"(outcome {entry.outcome.value}): there is no feedback")
        return {"schema_version": REPORT_SCHEMA_VERSION,
                "tool": {"name": "mockkpr", "version": __version__},
                "reports": [entry.report]}

    @app.get("/api/messages/{message_id}/payload", responses={
        **NOT_READY_YET, 200: {"content": {"application/xml": {}}}},
        response_class=Response, summary="The decrypted payload XML")
    def payload(message_id: str) -> Response:
        entry = _entry(journal, message_id, settled=True)
        if entry.payload is None:
            raise HTTPException(404, f"message {message_id!r} has no decrypted payload "
                                     f"(outcome {entry.outcome.value})")
        return Response(entry.payload, media_type="application/xml")

    @app.get("/api/wait", response_model=EntryDetail,
             summary="Long poll: the oldest settled message matching the filters",
             responses={408: {"model": Problem, "description": "Nothing matched in time."},
                        503: {"model": Problem, "description": "The server is stopping."}})
    async def wait(
        flt: Filter,
        timeout: Annotated[float, Query(gt=0, le=MAX_WAIT_S, description="Seconds.")] = 30.0,
    ) -> EntryDetail:
        if not limiter:
            limiter.append(anyio.CapacityLimiter(MAX_WAITERS))
        entry = await anyio.to_thread.run_sync(
            partial(journal.wait, flt, timeout, cancel=stopping), limiter=limiter[0])
        if entry is None:
            if stopping.is_set():
                raise HTTPException(503, "the control API is stopping")
            raise HTTPException(408, f"no matching message within {timeout:g} s")
        return EntryDetail.of(entry)

    @app.post("/api/reset", summary="Forget every message; configuration and the answers "
              "still owed to senders are kept (unless drop_queued)")
    def reset(options: ResetOptions) -> dict[str, bool | int]:
        kept = journal.reset(drop_queued=options.drop_queued)
        if on_reset is not None:
            on_reset()
        if options.drop_queued and on_drop_queued is not None:
            on_drop_queued()
        return {"reset": True, "queued_kept": kept}

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response,
             responses={200: {"content": {"text/plain": {}}}})
    def metrics_route() -> Response:
        metrics.refresh(journal.stats())
        return Response(metrics.render(), media_type=metrics.content_type)

    if scenarios is not None:
        app.include_router(scenario_router(scenarios))
    app.include_router(answers_router(journal))
    app.include_router(records_router(journal))
    install_web(app, Web(journal, checks, registry=registry, scenarios=scenarios,
                         listeners=listeners or {}))
    return app
