"""Control API routes for fault injection: arm a scenario, see what fired, verify, the clock.

``POST /api/scenario`` takes the scenario as YAML or JSON text (or ``?name=`` a packaged one),
``GET /api/scenario`` shows it with each fault's counts and every firing, ``DELETE`` disarms
it, ``GET /api/scenario/verify`` checks its expectations over the journal. ``GET``/``POST
/api/clock`` read and move the endpoint's clock. Format: docs/scenarios.md.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from mockkpr.errors import ConfigError
from mockkpr.faults import Clock, FaultPlan, Scenario, library, library_scenario, parse_scenario
from mockkpr.faults.verify import Result


class ScenarioControl(Protocol):
    """What the routes need of the endpoint (:class:`~mockkpr.endpoint.app.Endpoint`)."""

    faults: FaultPlan
    clock: Clock

    def arm(self, scenario: Scenario | Path | str) -> Scenario: ...

    def disarm(self) -> Scenario | None: ...

    def verify(self, scenario: Scenario | None = None) -> list[Result]: ...


class ClockChange(BaseModel):
    """Exactly one of: fix the clock, run it at an offset, move it, or reset it."""

    model_config = ConfigDict(extra="forbid")

    fixed: AwareDatetime | None = Field(None, description="Stop the clock here (ISO 8601).")
    offset: timedelta | None = Field(None, description="Run at real speed this far from real "
                                     "time (ISO 8601 duration or seconds).")
    advance: timedelta | None = Field(None, description="Move the clock by this much.")
    reset: bool = Field(False, description="Back to real time.")

    @model_validator(mode="after")
    def _one(self) -> ClockChange:
        given = [n for n in ("fixed", "offset", "advance") if getattr(self, n) is not None]
        if self.reset:
            given.append("reset")
        if len(given) != 1:
            raise ValueError("give exactly one of fixed, offset, advance or reset")
        return self


def scenario_router(control: ScenarioControl) -> APIRouter:
    """The routes over ``control``."""
    router = APIRouter(tags=["fault injection"])

    @router.get("/api/scenario", summary="The armed scenario, each fault's counts, firings")
    def scenario_state() -> dict[str, Any]:
        return control.faults.state()

    @router.post("/api/scenario", summary="Arm a scenario (YAML or JSON body, or ?name=)",
                 responses={422: {"description": "The scenario cannot be used (message)."}})
    async def arm(request: Request, name: Annotated[str | None, Query(
            description="A packaged scenario (mockkpr scenarios list).")] = None
                  ) -> dict[str, Any]:
        try:
            if name is not None:
                scenario = library_scenario(name)
            else:
                scenario = parse_scenario(await request.body(), source="request body")
            control.arm(scenario)
        except ConfigError as exc:
            raise HTTPException(422, str(exc)) from None
        return control.faults.state()

    @router.delete("/api/scenario", summary="Disarm the scenario (its clock setting is undone)")
    def disarm() -> dict[str, Any]:
        scenario = control.disarm()
        return {"armed": False, "disarmed": scenario.name if scenario else None}

    @router.get("/api/scenario/verify", summary="Check the armed scenario's expectations",
                responses={409: {"description": "No scenario is armed."}})
    def verify() -> dict[str, Any]:
        scenario = control.faults.scenario
        if scenario is None:
            raise HTTPException(409, "no scenario is armed: nothing to verify")
        results = control.verify(scenario)
        return {"scenario": scenario.name, "passed": all(r.passed for r in results),
                "results": [r.as_json() for r in results]}

    @router.get("/api/scenarios", summary="The packaged scenarios")
    def scenarios() -> list[dict[str, str]]:
        return [{"name": e.name, "description": e.description} for e in library()]

    @router.get("/api/clock", summary="The endpoint's clock and reporting phase")
    def clock_state() -> dict[str, object]:
        return control.clock.state()

    @router.post("/api/clock", summary="Fix, offset, advance or reset the endpoint's clock")
    def clock_change(change: ClockChange) -> dict[str, object]:
        clock = control.clock
        if change.fixed is not None:
            clock.fix(change.fixed)
        elif change.offset is not None:
            clock.set_offset(change.offset)
        elif change.advance is not None:
            clock.advance(change.advance)
        else:
            clock.reset()
        return clock.state()

    return router
