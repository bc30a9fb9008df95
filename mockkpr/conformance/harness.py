"""The harness: prepares the endpoint, makes the sender act, watches, judges.

For each run a case needs (cases with equal runs share one execution): reset the journal,
generate the run's data into the work directory, arm its scenario, give the sender one task per
send (:class:`~mockkpr.conformance.senders.SendTask`) and wait - with a clear limit - until it
has finished, keep watching a little for messages sent again, then collect what the endpoint
observed. Each case then judges those observations. Nothing here knows how the sender works: a
command, an in-process sender or a person following printed instructions are all a
:data:`~mockkpr.conformance.senders.Sender`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mockkpr import __version__
from mockkpr.conformance.cases import suite_digest
from mockkpr.conformance.drivers import Driver
from mockkpr.conformance.judge import Context, Document, Observations, Received, SendRecord
from mockkpr.conformance.model import (
    Case,
    Check,
    Data,
    Role,
    Route,
    Run,
    Send,
    Status,
    case_status,
)
from mockkpr.conformance.record import case_record
from mockkpr.conformance.runs import scenario_of
from mockkpr.conformance.senders import HttpTarget, Sender, SendOutcome, SendTask
from mockkpr.errors import MockKprError
from mockkpr.faults import Scenario, verify
from mockkpr.faults.model import LateApprec
from mockkpr.generator import write
from mockkpr.iplos import DocumentKind
from mockkpr.journal.models import Outcome

#: Seconds the harness gives a sender beyond its receipt timeout before it stops waiting.
GRACE = 20.0
#: Longest wait (seconds) for messages still being processed after the sender finished.
SETTLE_LIMIT = 10.0
#: Exit codes of ``mockkpr certify`` (docs/conformance.md).
EXIT_PASSED, EXIT_SENDER_FAILED, EXIT_USAGE, EXIT_HARNESS = 0, 1, 2, 3
#: The default cap (seconds) on a whole certification: runs not started by then are not judged.
MAX_TIME = 600.0

Progress = Callable[[str], None]
_CAPPED = "the certification's time cap"


class NoAction(MockKprError):
    """Raised by a sender that did not do what its task asked (a person in manual mode sent
    nothing in time): the send fails, as opposed to any other exception, which means the
    sender could not be run."""


@dataclass
class Execution:
    """One execution of a run: its observations, or why the harness could not make it."""

    run: Run
    started_at: datetime
    seed: int = 0
    seconds: float = 0.0
    observations: Observations | None = None
    error: str | None = None
    log: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CaseResult:
    """The verdict on one case, with the checks behind it."""

    case: Case
    status: Status
    checks: tuple[Check, ...]
    execution: Execution
    also: tuple[Execution, ...] = ()

    @property
    def executions(self) -> tuple[Execution, ...]:
        """Every execution the case was judged on, its own run first."""
        return (self.execution, *self.also)

    @property
    def error(self) -> str | None:
        """Why the case could not be judged, when it could not."""
        if self.execution.error:
            return self.execution.error
        unjudged = [c for c in self.checks if c.passed is None]
        return "; ".join(f"{c.name}: {c.actual}" for c in unjudged) or None


@dataclass
class Certification:
    """A whole run of the suite: every case's result and everything needed for evidence."""

    results: list[CaseResult]
    executions: dict[str, Execution]
    started_at: datetime
    finished_at: datetime
    seed: int
    sender: str
    endpoint: str
    mode: str
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    suite_digest: str = field(default_factory=suite_digest)
    tool_version: str = __version__

    def counts(self) -> dict[str, int]:
        """How many cases ended in each status."""
        return {s.value: sum(1 for r in self.results if r.status is s) for s in Status}

    max_time: float | None = None
    capped: bool = False

    @property
    def exit_code(self) -> int:
        """1 when a shall-case failed or a case was not judged because of what the sender did
        (or the time cap); else 3 when the harness could not judge a case; else 0."""
        if any(r.status in (Status.FAIL, Status.NOT_JUDGED) for r in self.results):
            return EXIT_SENDER_FAILED
        if any(r.status is Status.ERROR for r in self.results) or not self.results:
            return EXIT_HARNESS
        return EXIT_PASSED

    @property
    def seconds(self) -> float:
        """Wall time of the whole run."""
        return (self.finished_at - self.started_at).total_seconds()


class Harness:
    """Runs cases against one endpoint (``driver``) with one sender.

    ``timeout`` is the receipt timeout given to the sender where a send names none; a sender
    that has not finished ``grace`` seconds after its receipt timeout fails the send.
    ``max_time`` caps the whole certification: a run not started within it is not executed and
    its cases are not judged, saying so (None: no cap).
    """

    def __init__(self, driver: Driver, sender: Sender, workdir: Path, *, from_her_id: int = 12345,
                 to_her_id: int = 131725, seed: int = 1, timeout: float = 30.0,
                 grace: float = GRACE, sender_name: str = "sender", mode: str = "command",
                 progress: Progress | None = None, max_time: float | None = None) -> None:
        self.driver = driver
        self.sender = sender
        self.workdir = workdir.resolve()
        self.max_time = max_time
        self._started = time.monotonic()
        self._capped = False
        self.seed = seed
        self.timeout = timeout
        self.grace = grace
        self.sender_name = sender_name
        self.mode = mode
        self.progress = progress or (lambda _line: None)
        self.context = Context(driver.registry, from_her_id, to_her_id, driver.exchange)
        driver.registry.party(from_her_id)  # ConfigError now rather than in every case
        driver.registry.party(to_her_id)
        self._executions: dict[str, Execution] = {}
        self._documents: dict[str, dict[Role, Document]] = {}
        # what the endpoint's web view records this run as (mockkpr.conformance.record)
        self.run_id = str(uuid.uuid4())
        self._run_record: dict[str, Any] = {
            "id": self.run_id, "started_at": datetime.now(UTC).isoformat(), "mode": mode,
            "sender": sender_name, "endpoint": driver.description, "seed": seed,
            "tool_version": __version__, "suite_digest": suite_digest()}

    # ------------------------------------------------------------------ the whole suite
    def certify(self, cases: Sequence[Case]) -> Certification:
        """Run ``cases`` (runs shared) and judge each; never raises for a case's trouble.

        Cases judged across every run (``Case.across``) are judged after all the others."""
        started = datetime.now(UTC)
        self._started = time.monotonic()
        if self.max_time is not None:
            self.progress(f"the whole certification is capped at {self.max_time:g} s "
                          "(--max-time)")
        done: dict[str, CaseResult] = {}
        for case in sorted(cases, key=lambda c: c.across):
            result = self.judge(case)
            done[case.id] = result
            self.progress(f"{case.id} {result.status.value.upper():5} {case.title}")
        return Certification([done[c.id] for c in cases], dict(self._executions), started,
                             datetime.now(UTC), self.seed, self.sender_name,
                             self.driver.description, self.mode, max_time=self.max_time,
                             capped=self._capped, run_id=self.run_id)

    def judge(self, case: Case) -> CaseResult:
        """Execute the case's runs (once per run), judge their observations and tell the
        endpoint (for its web view) when its driver can record it."""
        result = self._judge(case)
        record = getattr(self.driver, "record_case", None)
        if record is not None:
            try:
                record(self._run_record, case_record(result))
            except MockKprError as exc:  # a courtesy: never a verdict's business
                self.progress(f"  the endpoint did not record {case.id}: {exc}")
        return result

    def _judge(self, case: Case) -> CaseResult:
        executions = [self.execute(run, [case.id]) for run in case.runs]
        if case.across:
            executions += [e for name, e in self._executions.items()
                           if all(name != run.name for run in case.runs)]
        execution, also = executions[0], tuple(executions[1:])
        checks: list[Check] = []
        for one in executions:
            several = len(executions) > 1
            if one.observations is None:
                capped = one.error is not None and one.error.startswith(_CAPPED)
                checks.append(Check(f"run {one.run.name} executed", None,
                                    f"run {one.run.name} executed",
                                    one.error or "not executed", blocked=capped,
                                    hint="raise --max-time" if capped else ""))
                continue
            unrun = [s for s in one.observations.sends if s.error]
            if unrun:  # the sender was never exercised: nothing to judge it by
                checks += [Check("the sender acted", None,
                                 f"the sender given {s.document.name}", s.error or "")
                           for s in unrun]
                continue
            try:
                found = case.judge(one.observations)
            except Exception as exc:  # a judge's bug must not end the certification
                found = [Check("judged", None, "the case's judge ran",
                               f"the judge failed: {type(exc).__name__}: {exc}")]
            if several and not case.across:
                found = [replace(c, name=f"run {one.run.name}: {c.name}") for c in found]
            checks += found
        return CaseResult(case, case_status(case.level, checks), tuple(checks), execution,
                          also)

    # ------------------------------------------------------------------ one run
    def execute(self, run: Run, for_cases: Sequence[str] = ()) -> Execution:
        """The execution of ``run``, made the first time it is asked for."""
        known = self._executions.get(run.name)
        if known is not None:
            if known.run != run:
                raise MockKprError(f"two different runs are named {run.name!r}")
            return known
        execution = Execution(run, datetime.now(UTC), self.seed)
        self._executions[run.name] = execution
        started = time.monotonic()
        note = self._logger(execution)
        if self.max_time is not None and started - self._started > self.max_time:
            self._capped = True
            execution.error = (f"{_CAPPED} ({self.max_time:g} s, --max-time) was reached "
                               f"before run {run.name} could start: not executed")
            note(execution.error)
            return execution
        note(f"run {run.name} for {', '.join(for_cases) or 'a case'}: {run.summary}")
        scenario: Scenario | None = None
        try:
            self.driver.reset()
            documents = self._documents_for(run.prepare.data, note)
            scenario = scenario_of(run)
            if scenario is not None:
                assert run.prepare.scenario is not None
                self.driver.arm(scenario, run.prepare.scenario)
                note(f"armed scenario {scenario.name}: {scenario.description}")
            sends: list[SendRecord] = []
            for send in run.sends:
                sends.append(self._send(run, send, documents[send.document], scenario, note))
                if sends[-1].error:  # the sender cannot be run: the rest would not run either
                    break
            messages = self._settled(run, note)
            firings = tuple(self.driver.firings())
            results = tuple(verify(scenario, [m.entry for m in messages], firings)) \
                if scenario is not None else ()
            execution.observations = Observations(run, self.context, tuple(messages),
                                                  tuple(sends), firings, scenario, results)
            note(f"observed {len(messages)} message(s), {len(firings)} fault firing(s)")
        except MockKprError as exc:
            execution.error = f"the harness could not execute run {run.name}: {exc}"
            note(execution.error)
        except Exception as exc:  # one run's trouble must not end the certification
            execution.error = (f"the harness failed in run {run.name}: "
                               f"{type(exc).__name__}: {exc}")
            note(execution.error)
        finally:
            try:
                if scenario is not None:
                    self.driver.disarm()
                if run.advance_clock_after is not None:
                    self.driver.reset_clock()
            except MockKprError as exc:
                note(f"could not disarm the scenario or reset the clock: {exc}")
            execution.seconds = time.monotonic() - started
        return execution

    def _logger(self, execution: Execution) -> Progress:
        def note(line: str) -> None:
            stamp = datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]
            execution.log.append(f"{stamp} {line}")
            self.progress(f"  {line}")

        return note

    def _documents_for(self, data: Data, note: Progress) -> dict[Role, Document]:
        """The run's documents, generated once per data into the work directory."""
        if data.key in self._documents:
            return self._documents[data.key]
        directory = self.workdir / "data" / data.key
        manifest = write(data.spec(self.seed), directory)
        found: dict[Role, Document] = {}
        for item in manifest["documents"]:
            kind = DocumentKind(item["kind"])
            role = Role.IDENTITY if kind is DocumentKind.IDENTITY else Role.IPLOS
            if role in found:  # more than one 56.0.0 message: the first is sent
                continue
            found[role] = Document(role, item["name"], directory / item["name"], kind.value,
                                   item["sha256"], int(item["bytes"]))
        note(f"generated {', '.join(d.name for d in found.values())} (seed {self.seed})")
        self._documents[data.key] = found
        return found

    def _send(self, run: Run, send: Send, document: Document, scenario: Scenario | None,
              note: Progress) -> SendRecord:
        timeout = send.timeout or self.timeout
        workdir = self.workdir / "runs" / run.name / f"send-{send.document.value}"
        workdir.mkdir(parents=True, exist_ok=True)
        http = self._http_target() if run.route is Route.HTTP else None
        task = SendTask(file=document.path.resolve(),
                        url=self.driver.amqp_url if http is None else str(self.driver.http_url),
                        registry=self.driver.registry_path.resolve(),
                        from_her_id=self.context.from_her_id,
                        to_her_id=self.context.to_her_id, timeout=timeout, workdir=workdir,
                        http=http)
        known = self.driver.messages()
        entries_before = (known[-1].entry.id or 0) if known else 0
        firings_before = len(self.driver.firings())
        limit = timeout + self.grace
        note(f"sender: send {document.name} ({document.size} bytes), receipt timeout "
             f"{timeout:g} s, limit {limit:g} s")
        box: dict[str, Any] = {}

        def act() -> None:
            try:
                box["outcome"] = self.sender(task)
            except BaseException as exc:  # reported as the send's error
                box["error"] = exc

        started = time.monotonic()
        worker = threading.Thread(target=act, name=f"mockkpr-certify-{run.name}", daemon=True)
        worker.start()
        clock_moved = run.advance_clock_after is None
        while worker.is_alive() and time.monotonic() - started < limit:
            worker.join(0.05)
            if not clock_moved:
                clock_moved = self._move_clock(run, scenario, note)
        seconds = time.monotonic() - started
        base = SendRecord(send, document, task, None, seconds,
                          entries_before=entries_before, firings_before=firings_before)
        if worker.is_alive():
            note(f"sender: not finished after {limit:g} s")
            return replace(base, failure=f"the sender did not finish within {limit:g} s "
                           f"(receipt timeout {timeout:g} s + {self.grace:g} s)")
        if isinstance(box.get("error"), NoAction):
            note(f"sender: {box['error']}")
            return replace(base, failure=str(box["error"]))
        if "error" in box:
            error = box["error"]
            note(f"sender: could not be run: {type(error).__name__}: {error}")
            return replace(base, error=f"the sender could not be run: {error}")
        outcome: SendOutcome = box["outcome"]
        note(f"sender: exit {outcome.exit_code} after {outcome.seconds:.2f} s")
        return replace(base, outcome=outcome)

    def _http_target(self) -> HttpTarget:
        """Where an HTTP sender submits and gets its token, and as which client."""
        base = self.driver.http_url
        if base is None:
            raise MockKprError("the endpoint serves no HTTP API (MOCKKPR_HTTP_PORT); `mockkpr "
                               "certify --route http` starts one, or give --http-url")
        registry = self.driver.registry
        party = registry.party(self.context.from_her_id)
        client = registry.client(party.client_id) if party.client_id else None
        if client is None or client.private_jwk_path is None:
            raise MockKprError(f"{self.driver.registry_path}: party {party.her_id} has no "
                               "HelseID client with a private JWK file (helseid.private_jwk)")
        return HttpTarget(f"{base}/helseid", f"{base}/helseid/connect/token",
                          client.client_id, client.private_jwk_path.resolve(),
                          self.driver.control_url)

    def _move_clock(self, run: Run, scenario: Scenario | None, note: Progress) -> bool:
        """Once the late-apprec fault fired and its message is answered, move the clock."""
        fault_id = run.advance_clock_after
        faults = {f: x for f, x in zip(scenario.fault_ids(), scenario.faults, strict=True)} \
            if scenario is not None else {}
        fault = faults.get(fault_id or "")
        if not isinstance(fault, LateApprec):
            raise MockKprError(f"run {run.name}: no late-apprec fault {fault_id!r} to wait for")
        fired = [f for f in self.driver.firings() if f.fault == fault_id]
        if not fired:
            return False
        answered = [m for m in self.driver.messages()
                    if m.entry.message_id == fired[0].message_id
                    and m.entry.outcome is not Outcome.PENDING]
        if not answered:
            return False
        delta = fault.delay + timedelta(minutes=1)
        self.driver.advance_clock(delta)
        note(f"moved the endpoint's clock on by {delta} (fault {fault_id} fired)")
        return True

    def _settled(self, run: Run, note: Progress) -> list[Received]:
        """The messages once the sender is done: after ``run.quiet`` seconds of watching
        for more, and once none is still being processed (bounded)."""
        if run.quiet > 0:
            newest = self.driver.messages()
            after = newest[-1].entry.id if newest else None
            sender = str(self.context.from_her_id)
            deadline = time.monotonic() + run.quiet
            while (left := deadline - time.monotonic()) > 0:
                more = self.driver.wait_message(sender, after, left)
                if more is None:
                    break
                note(f"after the sender finished: {more.label} ({more.entry.outcome.value})")
                after = more.entry.id
        deadline = time.monotonic() + SETTLE_LIMIT
        while True:
            messages = self.driver.messages()
            pending = [m for m in messages if m.entry.outcome is Outcome.PENDING]
            if not pending or time.monotonic() > deadline:
                if pending:
                    note(f"still being processed after {SETTLE_LIMIT:g} s: "
                         + ", ".join(m.label for m in pending))
                return messages
            time.sleep(0.05)
