"""Fault injection and scenarios: make the KPR endpoint misbehave on demand, reproducibly.

- :mod:`mockkpr.faults.model` — the scenario format (faults, selectors, clock, expectations);
  its JSON Schema ships as ``scenario.schema.json`` (docs/scenarios.md);
- :mod:`mockkpr.faults.load` — reading scenario files and the packaged library;
- :mod:`mockkpr.faults.plan` — the armed scenario: which fault fires for which event;
- :mod:`mockkpr.faults.clock` — the endpoint's controllable clock;
- :mod:`mockkpr.faults.answers` — register-level faults (the AppRec's own dialect);
- :mod:`mockkpr.faults.verify` — expectations over the journal, with nearest-miss messages.

AMQP-level faults act in the broker (:mod:`mockkpr.endpoint.faults`); nothing here imports
proton.
"""

from mockkpr.faults.clock import Clock, reporting_phase
from mockkpr.faults.load import (
    library,
    library_names,
    library_scenario,
    load_scenario,
    parse_scenario,
    scenario_schema,
)
from mockkpr.faults.model import FAULT_KINDS, Expectation, Match, Scenario, Stage
from mockkpr.faults.plan import Facts, FaultPlan, Firing
from mockkpr.faults.verify import ExpectationFailed, expect_count, expect_sequence, verify

__all__ = [
    "FAULT_KINDS",
    "Clock",
    "Expectation",
    "ExpectationFailed",
    "Facts",
    "FaultPlan",
    "Firing",
    "Match",
    "Scenario",
    "Stage",
    "expect_count",
    "expect_sequence",
    "library",
    "library_names",
    "library_scenario",
    "load_scenario",
    "parse_scenario",
    "reporting_phase",
    "scenario_schema",
    "verify",
]
