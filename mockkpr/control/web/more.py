"""The endpoint page, the conformance runs, the offline API docs and the packaged assets."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from mockkpr.control.web.context import Web


def _vendor_directory() -> Path:
    """Swagger UI's files, as the ``fastapi-offline`` package ships them."""
    return Path(str(files("fastapi_offline") / "static"))


def mount_static(app: FastAPI) -> None:
    """``/static/vendor/`` (Swagger UI) and ``/static/`` (the pages' CSS and JS)."""
    app.mount("/static/vendor", StaticFiles(directory=_vendor_directory()),
              name="static-vendor")
    app.mount("/static", StaticFiles(packages=[("mockkpr.control.web", "static")]),
              name="static")


def _verdict(counts: dict[str, int]) -> str:
    if counts.get("fail"):
        return "failed"
    if counts.get("error") or not counts:
        return "not judged"
    return "passed"


def more_router(web: Web) -> APIRouter:
    """The routes of the endpoint, conformance and docs pages."""
    router = APIRouter(include_in_schema=False)

    @router.get("/endpoint", response_class=Response)
    def endpoint() -> Response:
        stats = web.journal.stats()
        queued = stats["queued"]
        parties: list[dict[str, Any]] = []
        if web.registry is not None:
            for her_id, party in sorted(web.registry.parties.items()):
                q = party.queues
                parties.append({"her_id": her_id, "name": party.name, "parent": party.parent,
                                "user": party.account, "queues": [
                                    (role, name, queued.get(name, 0)) for role, name in
                                    (("async", q.asynchronous), ("error", q.error),
                                     ("dead letters", q.dead_letter))]})
        known = {name for p in parties for _, name, _ in p["queues"]}
        others = sorted((name, n) for name, n in queued.items() if name not in known)
        scenario = web.scenarios.faults.state() if web.scenarios is not None else None
        clock = web.scenarios.clock.state() if web.scenarios is not None else None
        return web.render("endpoint.html.j2", checks=web.checks(), parties=parties,
                          others=others, scenario=scenario, clock=clock,
                          listeners=web.listeners, entries=stats["entries"],
                          journal=web.journal, has_registry=web.registry is not None)

    @router.get("/conformance", response_class=Response)
    def conformance() -> Response:
        runs = web.browser.runs()
        return web.render("conformance.html.j2", runs=runs,
                          verdicts={r["id"]: _verdict(r["counts"]) for r in runs})

    @router.get("/conformance/{run_id}", response_class=Response)
    def conformance_run(run_id: str) -> Response:
        found = web.browser.run(run_id)
        if found is None:
            return web.not_found(f"No conformance run {run_id!r} is recorded here.")
        run, cases = found
        ids = [m["journal_id"] for c in cases for m in c.get("messages", [])]
        counts: dict[str, int] = {}
        for case in cases:
            counts[case["status"]] = counts.get(case["status"], 0) + 1
        return web.render("run.html.j2", run=run, cases=cases, counts=counts,
                          verdict=_verdict(counts), present=web.browser.existing(ids))

    @router.get("/docs", response_class=Response)
    def swagger() -> Response:
        return web.render("docs.html.j2")

    return router
