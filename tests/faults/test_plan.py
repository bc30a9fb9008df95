"""Which fault fires for which event: selectors, times, seeded probabilities, the record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mockkpr.errors import ConfigError
from mockkpr.faults import Clock, Facts, FaultPlan, Scenario, Stage
from mockkpr.faults.plan import APPREC, ERROR_QUEUE

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def plan_with(*faults: dict[str, Any], **extra: Any) -> FaultPlan:
    plan = FaultPlan(Clock(lambda: NOW))
    plan.arm(Scenario.model_validate({"name": "t", "faults": list(faults), **extra}))
    return plan


def ipl(sender: str = "12345", message_id: str = "m") -> Facts:
    return Facts(subject="KPR_IPL", senders=frozenset({sender}), message_id=message_id)


def fired(plan: FaultPlan, stage: Stage, events: list[Facts]) -> list[str | None]:
    chosen = [plan.select(stage, facts) for facts in events]
    return [c[0] if c else None for c in chosen]


def test_nothing_fires_without_a_scenario() -> None:
    plan = FaultPlan(Clock(lambda: NOW))
    assert plan.select(Stage.MESSAGE, ipl()) is None
    assert plan.state()["armed"] is False


def test_once_is_the_default_and_nth_counts_matching_events() -> None:
    plan = plan_with({"id": "r", "kind": "reject", "when": {"subject": "KPR_IPL", "nth": 2}})
    events = [ipl(), Facts(subject="KPR_IDE"), ipl(), ipl()]
    assert fired(plan, Stage.MESSAGE, events) == [None, None, "r", None]
    state = plan.state()["faults"][0]
    assert (state["seen"], state["fired"], state["exhausted"]) == (3, 1, True)


def test_times_n_and_always() -> None:
    plan = plan_with({"id": "two", "kind": "release", "times": 2},
                     {"id": "all", "kind": "release", "times": "always"})
    assert fired(plan, Stage.MESSAGE, [ipl()] * 4) == ["two", "two", "all", "all"]


def test_sender_and_message_id_select() -> None:
    plan = plan_with({"id": "s", "kind": "release", "times": "always",
                      "when": {"sender": 23456, "message_id": "x"}})
    events = [ipl("12345", "x"), ipl("23456", "y"), ipl("23456", "x")]
    assert fired(plan, Stage.MESSAGE, events) == [None, None, "s"]


def test_an_account_selects_by_any_of_its_her_ids() -> None:
    plan = plan_with({"id": "l", "kind": "refuse-login", "when": {"sender": "123451"}})
    account = Facts(senders=frozenset({"12345", "123451"}))
    assert fired(plan, Stage.LOGIN, [Facts(senders=frozenset({"23456"})), account]) == [
        None, "l"]


def test_stages_are_kept_apart() -> None:
    plan = plan_with({"id": "late", "kind": "late-apprec", "delay": "PT1H"})
    assert plan.wants(Stage.ANSWER)
    assert not plan.wants(Stage.MESSAGE)
    assert plan.select(Stage.MESSAGE, ipl()) is None


def test_answer_faults_need_what_they_change() -> None:
    plan = plan_with({"id": "a", "kind": "no-apprec", "times": "always"},
                     {"id": "t", "kind": "transport-error", "times": "always"})
    no_apprec = Facts(subject="KPR_IPL", answers=frozenset({ERROR_QUEUE}))
    unknown_sender = Facts(subject="KPR_IPL", answers=frozenset({APPREC}))
    assert fired(plan, Stage.ANSWER, [no_apprec, unknown_sender, Facts()]) == ["t", "a", None]


def test_a_seeded_probability_is_reproducible() -> None:
    fault = {"id": "p", "kind": "release", "times": "always",
             "when": {"probability": 0.3, "seed": 42}}
    first = fired(plan_with(fault), Stage.MESSAGE, [ipl()] * 200)
    again = fired(plan_with(fault), Stage.MESSAGE, [ipl()] * 200)
    other = fired(plan_with({**fault, "when": {"probability": 0.3, "seed": 43}}),
                  Stage.MESSAGE, [ipl()] * 200)
    assert first == again
    assert first != other
    assert 40 <= first.count("p") <= 80  # about 60 of 200


def test_the_first_fault_that_fires_acts_and_later_ones_still_count() -> None:
    plan = plan_with({"id": "a", "kind": "reject"},
                     {"id": "b", "kind": "release", "when": {"nth": 2}})
    assert fired(plan, Stage.MESSAGE, [ipl(), ipl(), ipl()]) == ["a", "b", None]


def test_firings_are_recorded_at_the_endpoint_clock() -> None:
    plan = plan_with({"id": "r", "kind": "reject"})
    plan.select(Stage.MESSAGE, ipl(message_id="abc"))
    [firing] = plan.firings()
    assert firing.as_json() == {"fault": "r", "kind": "reject", "stage": "message",
                                "at": NOW.isoformat(), "subject": "KPR_IPL",
                                "senders": ["12345"], "message_id": "abc"}
    assert plan.state()["fired"] == [firing.as_json()]


def test_the_scenario_clock_applies_while_armed_and_is_undone() -> None:
    clock = Clock(lambda: NOW)
    plan = FaultPlan(clock)
    plan.arm(Scenario.model_validate({"name": "c", "clock": {
        "next": "ordinary-deadline", "shift": "PT23H59M"}}))
    assert clock.now() == datetime(2027, 1, 15, 23, 59, tzinfo=UTC)
    plan.arm(Scenario.model_validate({"name": "o", "clock": {"offset": "-P1D"}}))
    assert clock.now() == NOW - timedelta(days=1)
    plan.arm(Scenario.model_validate({"name": "none"}))  # no clock: back to real time
    assert clock.now() == NOW
    plan.arm(Scenario.model_validate({"name": "f", "clock": {"fixed": "2027-02-01T00:00Z"}}))
    assert plan.disarm() is not None
    assert clock.now() == NOW


def test_checks_can_refuse_a_scenario() -> None:
    def refuse(scenario: Scenario) -> None:
        raise ConfigError(f"cannot do {scenario.name}")

    plan = FaultPlan(Clock(lambda: NOW), checks=[refuse])
    with pytest.raises(ConfigError, match="cannot do t"):
        plan.arm(Scenario.model_validate({"name": "t"}))
    assert plan.scenario is None
