"""The armed scenario at run time: which fault fires for which event, and what fired.

The endpoint consults one :class:`FaultPlan` at each :class:`~mockkpr.faults.model.Stage`
with the :class:`Facts` known there; :meth:`FaultPlan.select` returns the fault to apply, if
any, and records its firing. It is thread-safe (the reactor thread and the worker threads ask
it). Rules, per stage, for the faults of that stage in file order:

- a fault *sees* an event when its selector's subject, sender and message-id criteria hold
  (and the fault can act on it: an AppRec fault needs an AppRec to change);
- it is a *candidate* from the ``nth`` event it has seen on (from the first without ``nth``);
- a candidate *fires* when it has fired fewer than ``times`` times and, with a
  ``probability``, its seeded generator draws below it (one draw per candidate);
- only the first fault that fires acts; later faults still see the event (their ``nth``
  counts it) but are not asked to fire.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from mockkpr.faults.clock import Clock, next_calendar_day
from mockkpr.faults.model import Fault, Scenario, Stage, fault_id_of
from mockkpr.log import get_logger

log = get_logger(__name__)

#: Answer kinds a register-level fault can act on (see :class:`Facts`).
APPREC = "apprec"
ERROR_QUEUE = "error-queue"


@dataclass(frozen=True)
class Facts:
    """What is known about the event a fault may act on.

    ``senders`` is the message's ``fromHerId`` or, before a message has arrived, every HER-id
    of the logged-in account. ``answers`` (answer stage only) says what can be changed:
    ``apprec`` when an AppRec is being sent, ``error-queue`` when the sender is known.
    """

    subject: str | None = None
    senders: frozenset[str] = frozenset()
    message_id: str | None = None
    answers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Firing:
    """One time a fault acted."""

    fault: str
    kind: str
    stage: str
    at: datetime
    subject: str | None
    senders: tuple[str, ...]
    message_id: str | None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form (``at`` as ISO 8601)."""
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["senders"] = list(self.senders)
        return data


@dataclass
class _Armed:
    fault_id: str
    fault: Fault
    rng: random.Random
    seen: int = 0
    fired: int = 0


@dataclass
class _State:
    scenario: Scenario
    faults: list[_Armed]
    firings: list[Firing] = field(default_factory=list)
    sets_clock: bool = False


Check = Callable[[Scenario], None]


class FaultPlan:
    """The armed scenario, if any, and the record of what fired.

    ``checks`` run when a scenario is armed and raise :class:`~mockkpr.errors.ConfigError`
    when the endpoint cannot carry out one of its faults (e.g. forged certificates missing).
    """

    def __init__(self, clock: Clock | None = None, checks: list[Check] | None = None) -> None:
        self.clock = clock or Clock()
        self.checks = list(checks or [])
        self._lock = threading.Lock()
        self._state: _State | None = None
        self._stages: frozenset[Stage] = frozenset()

    # ------------------------------------------------------------------ arming
    def arm(self, scenario: Scenario) -> None:
        """Arm ``scenario`` (replacing any armed one); its clock setting takes effect now."""
        for check in self.checks:
            check(scenario)
        faults = [_Armed(fault_id_of(fault, index), fault, _generator(fault.when.seed))
                  for index, fault in enumerate(scenario.faults)]
        previous_clock = False
        with self._lock:
            if self._state is not None:
                previous_clock = self._state.sets_clock
            self._state = _State(scenario, faults, sets_clock=scenario.clock is not None)
            self._stages = frozenset(armed.fault.stage for armed in faults)
        spec = scenario.clock
        if spec is not None:
            if spec.fixed is not None:
                self.clock.fix(spec.fixed)
            elif spec.offset is not None:
                self.clock.set_offset(spec.offset)
            elif spec.next is not None:
                self.clock.reset()
                self.clock.fix(next_calendar_day(spec.next, self.clock.now()) + spec.shift)
        elif previous_clock:
            self.clock.reset()
        log.info("scenario.armed", name=scenario.name, faults=[f.fault_id for f in faults])

    def disarm(self) -> Scenario | None:
        """Disarm the scenario (its clock setting is undone); return it, or None."""
        with self._lock:
            state, self._state = self._state, None
            self._stages = frozenset()
        if state is None:
            return None
        if state.sets_clock:
            self.clock.reset()
        log.info("scenario.disarmed", name=state.scenario.name, fired=len(state.firings))
        return state.scenario

    @property
    def scenario(self) -> Scenario | None:
        """The armed scenario."""
        with self._lock:
            return self._state.scenario if self._state is not None else None

    def wants(self, stage: Stage) -> bool:
        """Whether any armed fault acts at ``stage`` (cheap; lets hooks skip work)."""
        return stage in self._stages

    # ------------------------------------------------------------------ selection
    def select(self, stage: Stage, facts: Facts) -> tuple[str, Fault] | None:
        """The fault that fires for this event (its id and value), recorded; or None."""
        if stage not in self._stages:
            return None
        with self._lock:
            state = self._state
            if state is None:
                return None
            chosen: _Armed | None = None
            for armed in state.faults:
                if armed.fault.stage is not stage or not _sees(armed.fault, facts):
                    continue
                armed.seen += 1
                if not _candidate(armed) or chosen is not None:
                    continue
                chosen = armed
            if chosen is None:
                return None
            chosen.fired += 1
            firing = Firing(chosen.fault_id, chosen.fault.kind, stage.value, self.clock.now(),
                            facts.subject, tuple(sorted(facts.senders)), facts.message_id)
            state.firings.append(firing)
        log.info("fault.fired", fault=firing.fault, kind=firing.kind, stage=firing.stage,
                 message_id=firing.message_id)
        return chosen.fault_id, chosen.fault

    # ------------------------------------------------------------------ state
    def firings(self) -> list[Firing]:
        """Every firing since the scenario was armed, in order."""
        with self._lock:
            return list(self._state.firings) if self._state is not None else []

    def state(self) -> dict[str, Any]:
        """JSON-ready state: the scenario, each fault's counts, the firings, the clock."""
        with self._lock:
            state = self._state
            if state is None:
                return {"armed": False, "scenario": None, "faults": [], "fired": [],
                        "clock": self.clock.state()}
            faults = [{"id": a.fault_id, "kind": a.fault.kind, "stage": a.fault.stage.value,
                       "seen": a.seen, "fired": a.fired, "times": a.fault.times,
                       "exhausted": a.fault.limit is not None and a.fired >= a.fault.limit}
                      for a in state.faults]
            fired = [firing.as_json() for firing in state.firings]
            scenario = state.scenario
        return {"armed": True, "scenario": scenario.model_dump(mode="json", by_alias=True),
                "name": scenario.name, "faults": faults, "fired": fired,
                "clock": self.clock.state()}


def _generator(seed: int) -> random.Random:
    # Reproducible draws are the point: nothing here is secret.
    return random.Random(seed)  # noqa: S311


def _sees(fault: Fault, facts: Facts) -> bool:
    when = fault.when
    if when.subject is not None and when.subject != facts.subject:
        return False
    if when.sender is not None and when.sender not in facts.senders:
        return False
    if when.message_id is not None and when.message_id != facts.message_id:
        return False
    if fault.stage is Stage.ANSWER:
        needed = ERROR_QUEUE if fault.kind == "transport-error" else APPREC
        return needed in facts.answers
    return True


def _candidate(armed: _Armed) -> bool:
    when = armed.fault.when
    if when.nth is not None and armed.seen < when.nth:
        return False
    limit = armed.fault.limit
    if limit is not None and armed.fired >= limit:
        return False
    return when.probability is None or armed.rng.random() < when.probability
