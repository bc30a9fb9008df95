"""Run the whole conformance suite inside your own pytest run: :class:`ConformanceSuite`.

Subclass it and give one fixture, ``sender``, that makes your sender send (any
:data:`~mockkpr.conformance.senders.Sender`: a command, or a function of your own)::

    import pytest
    from mockkpr.conformance.senders import command_sender
    from mockkpr.testing.conformance import ConformanceSuite

    class TestOurSender(ConformanceSuite):
        @pytest.fixture
        def sender(self):
            return command_sender("our-epj send {file} --to {url} --keys {registry}")

Every case becomes a test, ``test_conformance[KPR-CONF-001]`` and so on (select with ``-k``
or the class attribute ``cases``). A failed shall-case fails its test with the checks; a
failed should-case passes with a :class:`ConformanceWarning`; a case that cannot be judged
(because of what the sender did, or of the harness) fails, saying why. The endpoint is the
plugin's (``--mockkpr-mode``); run pytest with ``-p mockkpr.testing.plugin`` where the plugin
is not installed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pytest

from mockkpr.testing.plugin import RESULTS, KprEndpoint

if TYPE_CHECKING:
    from mockkpr.conformance.harness import CaseResult, Harness
    from mockkpr.conformance.senders import Sender


class ConformanceWarning(UserWarning):
    """A should-case failed: the sender passes, with this warning."""


def describe(result: CaseResult) -> str:
    """A case's result as lines: every check with expected and actual."""
    case = result.case
    lines = [f"{case.id} {case.title}: {result.status.value.upper()} ({case.level.value}; "
             f"{', '.join(case.requirements)}; run {case.run.name})"]
    for check in result.checks:
        lines.append(f"  {check.status.upper():5} {check.name}")
        lines.append(f"        expected: {check.expected}")
        lines.append(f"        actual:   {check.actual}")
        if check.hint:
            lines.append(f"        hint:     {check.hint}")
    return "\n".join(lines)


class ConformanceSuite:
    """Base class: every conformance case as a test of your ``sender`` fixture."""

    #: Case ids, patterns or groups to run (as ``mockkpr certify --cases``); empty: all.
    cases: ClassVar[Sequence[str]] = ()
    #: Receipt timeout (seconds) given to the sender where a case names none.
    timeout: ClassVar[float] = 30.0
    #: The sending party's HER-id in the endpoint's registry.
    from_her_id: ClassVar[int] = 12345
    #: KPR's HER-id (the endpoint's MOCKKPR_KPR_HER_ID).
    to_her_id: ClassVar[int] = 131725
    #: Seed of the generated data.
    seed: ClassVar[int] = 1
    #: The route the sender delivers by: "amqp" (the service bus) or "http" (KPR's HTTP API;
    #: the endpoint must serve it, and the sender follows the HTTP contract).
    route: ClassVar[str] = "amqp"

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """One test per selected case."""
        from mockkpr.conformance.cases import select

        if "case_id" in metafunc.fixturenames:
            # a case judged across every run comes last, when the other runs are done
            ids = [case.id for case in sorted(select(self.cases, self.route),
                                              key=lambda c: c.across)]
            metafunc.parametrize("case_id", ids, ids=ids)

    @pytest.fixture
    def sender(self) -> Sender:
        """Override: the sender under test."""
        pytest.fail("define a `sender` fixture in your ConformanceSuite subclass that returns "
                    "a Sender (e.g. command_sender('your-sender {file} {url}'))", pytrace=False)

    def test_conformance(self, case_id: str, sender: Sender, mockkpr_endpoint: KprEndpoint,
                         mockkpr_harnesses: dict[type, Harness],
                         tmp_path_factory: pytest.TempPathFactory,
                         request: pytest.FixtureRequest) -> None:
        """Run the case (its run shared with the class's other cases) and judge it."""
        from mockkpr.conformance.cases import by_id
        from mockkpr.conformance.harness import Harness
        from mockkpr.conformance.model import Status

        harness = mockkpr_harnesses.get(type(self))
        if harness is None:
            harness = Harness(mockkpr_endpoint.driver, sender,
                              tmp_path_factory.mktemp("conformance"),
                              from_her_id=self.from_her_id, to_her_id=self.to_her_id,
                              seed=self.seed, timeout=self.timeout,
                              sender_name=f"{type(self).__qualname__}.sender", mode="pytest")
            mockkpr_harnesses[type(self)] = harness
        result = harness.judge(by_id()[case_id])
        request.config.stash.setdefault(RESULTS, []).append(result)
        if result.status is Status.WARN:
            warnings.warn(ConformanceWarning(describe(result)), stacklevel=1)
        elif result.status in (Status.FAIL, Status.NOT_JUDGED, Status.ERROR):
            pytest.fail(describe(result), pytrace=False)


def write_session_outputs(config: pytest.Config, results: list[CaseResult], out: Path) -> None:
    """``--mockkpr-out``: the outputs of ``mockkpr certify`` for the session's cases."""
    from mockkpr.conformance import report_html, report_json, report_junit
    from mockkpr.conformance.bundle import signer_info, write_bundle
    from mockkpr.conformance.harness import Certification
    from mockkpr.conformance.signing import ephemeral

    executions = {r.execution.run.name: r.execution for r in results}
    first = min(e.started_at for e in executions.values())
    certification = Certification(results, executions, first, datetime.now(UTC),
                                  seed=results[0].execution.seed,
                                  sender="pytest ConformanceSuite",
                                  endpoint=config.getoption("--mockkpr-mode"), mode="pytest")
    identity = ephemeral()
    out.mkdir(parents=True, exist_ok=True)
    (out / "junit.xml").write_bytes(report_junit.render(certification))
    (out / "summary.json").write_text(report_json.render(certification), "utf-8")
    (out / "report.html").write_text(
        report_html.render(certification, signer=signer_info(identity)), "utf-8")
    write_bundle(certification, identity, out / "evidence.zip")
