"""The values of the conformance suite: requirements, cases, runs, checks and results.

A :class:`Case` traces to requirement rows (``requirements.yaml``), says how the endpoint is
prepared and what the sender is made to do (its :class:`Run`) and judges what was observed
(:class:`~mockkpr.conformance.judge.Observations`) into :class:`Check` values. Cases whose runs
are equal share one execution: the harness runs it once and judges each case against it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from mockkpr.errors import ConfigError
from mockkpr.iplos.formats import Generation

if TYPE_CHECKING:
    from mockkpr.conformance.judge import Observations
    from mockkpr.generator import GenerationSpec

REQUIREMENTS_FILE = "requirements.yaml"


class Level(StrEnum):
    """How much a requirement weighs: a failed ``shall`` fails a run, a ``should`` warns."""

    SHALL = "shall"
    SHOULD = "should"


class Group(StrEnum):
    """The groups of the catalogue, in report order."""

    CONNECTION = "connection"
    PROPERTIES = "properties"
    SECURITY = "security"
    ENVELOPE = "envelope"
    PAYLOAD = "payload"
    FAULTS = "faults"
    APPREC = "apprec"
    LARGE_FILES = "large-files"
    HTTP = "http"

    @property
    def heading(self) -> str:
        """The group's heading in reports."""
        return _GROUP_TITLES[self]


_GROUP_TITLES = {
    Group.CONNECTION: "Connection and authentication",
    Group.PROPERTIES: "Message properties",
    Group.SECURITY: "Security",
    Group.ENVELOPE: "Envelope",
    Group.PAYLOAD: "Payload",
    Group.FAULTS: "Behaviour under faults",
    Group.APPREC: "AppRec handling",
    Group.LARGE_FILES: "Large files",
    Group.HTTP: "HTTP route (kneik) and HelseID",
}


class Route(StrEnum):
    """How the sender delivers: over the service bus (AMQP) or KPR's HTTP API (kneik)."""

    AMQP = "amqp"
    HTTP = "http"


class Status(StrEnum):
    """A case's result: ``warn`` is a failed should-case; ``not-judged`` a case that could not
    observe what it judges because of what the sender did (its message stopped earlier, or
    nothing arrived: the reason names the root cause); ``error`` a case the harness or the
    endpoint could not judge (not the sender's fault)."""

    PASS = "pass"  # noqa: S105  (a case status, not a password)
    FAIL = "fail"
    WARN = "warn"
    NOT_JUDGED = "not-judged"
    ERROR = "error"


# ------------------------------------------------------------------ requirements
@dataclass(frozen=True)
class Requirement:
    """One row of the requirements table."""

    id: str
    level: Level
    source: str
    text: str


def requirements_bytes() -> bytes:
    """The packaged ``requirements.yaml`` as it is (it enters the suite digest)."""
    return resources.files("mockkpr.conformance").joinpath(REQUIREMENTS_FILE).read_bytes()


def digest_of(requirements: bytes, catalogue: bytes) -> str:
    """The suite digest, ``sha256:...``, over the requirements table and the catalogue JSON
    (each length-prefixed, so that no byte can move from one to the other)."""
    hasher = hashlib.sha256()
    for part in (requirements, catalogue):
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return "sha256:" + hasher.hexdigest()


@cache
def requirements() -> Mapping[str, Requirement]:
    """The requirements table by id, in file order."""
    data: Any = yaml.safe_load(requirements_bytes())
    rows: dict[str, Requirement] = {}
    for row in data["requirements"]:
        if row["id"] in rows:
            raise ConfigError(f"{REQUIREMENTS_FILE}: {row['id']} is listed twice")
        rows[row["id"]] = Requirement(row["id"], Level(row["level"]), str(row["source"]),
                                      str(row["text"]))
    return rows


# ------------------------------------------------------------------ what a run does
class Role(StrEnum):
    """Which generated document a send carries."""

    IDENTITY = "identity"  # KPR_IDE (annual generations)
    IPLOS = "iplos"  # KPR_IPL: the annual IPLOS file or a 56.0.0 event message


@dataclass(frozen=True)
class Data:
    """The synthetic data a run sends, made by :mod:`mockkpr.generator` with the run's seed."""

    generation: Generation = Generation.ANNUAL_2019
    year: int = 2024
    persons: int = 20
    kommune: str = "0301"

    def spec(self, seed: int) -> GenerationSpec:
        """The generator's spec for this data."""
        from mockkpr.generator import GenerationSpec

        return GenerationSpec(self.kommune, self.year, self.persons, seed=seed,
                              generation=self.generation)

    @property
    def key(self) -> str:
        """A directory name unique to this data."""
        return f"{self.generation.value}-{self.kommune}-{self.year}-{self.persons}"


@dataclass(frozen=True)
class Send:
    """One thing the sender is made to do: send one document and wait for its receipt.

    ``timeout`` is the receipt timeout given to the sender (None: the run's default, the
    ``--timeout`` of ``mockkpr certify``).
    """

    document: Role
    timeout: float | None = None


@dataclass(frozen=True)
class Prepare:
    """How the endpoint is prepared: the data, and a scenario to arm (a packaged scenario's
    name, or scenario YAML)."""

    data: Data = Data()
    scenario: str | None = None


@dataclass(frozen=True)
class Run:
    """What the harness makes happen; cases with equal runs share one execution.

    ``advance_clock_after`` names a ``late-apprec`` fault: once it has fired, the harness moves
    the endpoint's clock by its delay, so a receipt due in days arrives in a moment.
    ``quiet`` is how long (seconds) the harness keeps watching for more messages after the
    sender has finished (a message sent again). ``route`` is how the sender delivers.
    """

    name: str
    summary: str
    prepare: Prepare
    sends: tuple[Send, ...]
    advance_clock_after: str | None = None
    quiet: float = 0.2
    route: Route = Route.AMQP

    def describe(self) -> dict[str, Any]:
        """JSON-ready form (it enters the suite digest)."""
        data = self.prepare.data
        return {"name": self.name, "summary": self.summary,
                "data": {"generation": data.generation.value, "year": data.year,
                         "persons": data.persons, "kommune": data.kommune},
                "scenario": self.prepare.scenario,
                "sends": [{"document": s.document.value, "timeout": s.timeout}
                          for s in self.sends],
                "advance_clock_after": self.advance_clock_after, "quiet": self.quiet,
                "route": self.route.value}


# ------------------------------------------------------------------ checks and cases
@dataclass(frozen=True)
class Check:
    """One judgement: what was expected and what was observed.

    ``passed`` is None when it could not be judged. ``blocked`` then says why: True when what
    the sender did kept the observation from being made (its message stopped at an earlier
    check, nothing arrived: the case is *not judged*, which fails the run), False when the
    harness or the endpoint is at fault (an observation the endpoint does not record: an
    error).
    """

    name: str
    passed: bool | None
    expected: str
    actual: str
    hint: str = ""
    evidence: tuple[str, ...] = ()
    blocked: bool = False

    @property
    def status(self) -> str:
        """``pass``, ``fail``, ``not-judged`` or ``error``."""
        if self.passed is None:
            return Status.NOT_JUDGED.value if self.blocked else Status.ERROR.value
        return Status.PASS.value if self.passed else Status.FAIL.value

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "status": self.status, "expected": self.expected,
                "actual": self.actual, "hint": self.hint or None,
                "evidence": list(self.evidence)}


Judge = Callable[["Observations"], list[Check]]


@dataclass(frozen=True)
class Case:
    """One conformance case: ``KPR-CONF-nnn``, traced to requirement rows."""

    id: str
    title: str
    group: Group
    requirements: tuple[str, ...]
    run: Run
    judge: Judge
    judged: str
    level: Level
    #: Runs the case is judged on besides ``run`` (each judged, every check counts).
    also: tuple[Run, ...] = ()
    #: Also judged on every other run the certification executed (after all of them).
    across: bool = False

    @property
    def prepare(self) -> Prepare:
        """How the endpoint is prepared for this case."""
        return self.run.prepare

    @property
    def route(self) -> Route:
        """How the sender under this case delivers (its runs' route)."""
        return self.run.route

    @property
    def runs(self) -> tuple[Run, ...]:
        """Every run the case executes: ``run`` first, then ``also``."""
        return (self.run, *self.also)

    def describe(self) -> dict[str, Any]:
        """JSON-ready form without the judge (it enters the suite digest)."""
        return {"id": self.id, "title": self.title, "group": self.group.value,
                "level": self.level.value, "requirements": list(self.requirements),
                "judged": self.judged, "run": self.run.name,
                "also_runs": [r.name for r in self.also], "across_runs": self.across,
                "route": self.route.value}


def strictest(requirement_ids: tuple[str, ...]) -> Level:
    """The level of a case by default: shall when any of its requirements is a shall."""
    table = requirements()
    unknown = [r for r in requirement_ids if r not in table]
    if unknown:
        raise ConfigError(f"unknown requirement ids: {', '.join(unknown)}")
    levels = {table[r].level for r in requirement_ids}
    return Level.SHALL if Level.SHALL in levels else Level.SHOULD


def case_status(level: Level, checks: list[Check]) -> Status:
    """A case's status from its checks: a harness error beats everything; then a failed check
    fails the case (a failed should-case warns); then a blocked check leaves it not judged."""
    if not checks or any(c.passed is None and not c.blocked for c in checks):
        return Status.ERROR
    if any(c.passed is False for c in checks):
        return Status.FAIL if level is Level.SHALL else Status.WARN
    if any(c.passed is None for c in checks):
        return Status.NOT_JUDGED
    return Status.PASS
