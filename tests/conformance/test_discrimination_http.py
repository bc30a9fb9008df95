"""Proof that the HTTP route's cases discriminate: ``mockkpr send --http`` (in-process) passes
every one, and each broken HTTP sender (:mod:`mockkpr.conformance.flaws_http`) fails - or, for
a should-case, warns on - exactly the cases that name its flaw. Cases its flaw keeps from
observing what they judge are not judged and name a requirement of a failing case as their
root cause. One run goes through ``mockkpr certify --route http --sender-cmd "mockkpr send
--http ..."`` as a subprocess, as a vendor's CI would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from mockkpr.conformance import senders
from mockkpr.conformance.cases import select
from mockkpr.conformance.drivers import InProcessDriver
from mockkpr.conformance.harness import Harness
from mockkpr.conformance.model import Status
from mockkpr.endpoint.app import Endpoint
from mockkpr.settings import Settings
from tests.conformance.discriminates import fails_exactly

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).parents[2]
HTTP_CASES = [case.id for case in select(None, "http")]
BASELINE = [case.id for case in select(None, "http") if case.run.name == "http-baseline"]


def ids(*numbers: int) -> frozenset[str]:
    return frozenset(f"KPR-CONF-{n:03d}" for n in numbers)


#: flaw -> (the cases it must fail or warn on, the cases besides the baseline it is run on)
EXPECTED: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "http-new-id-on-retry": (ids(113), ("KPR-CONF-11[0-4]",)),
    "http-ignores-retry-after": (ids(111, 112), ("KPR-CONF-11[12]",)),
    "http-never-renews-token": (ids(114), ("KPR-CONF-114",)),
    "http-retries-400": (ids(116), ("KPR-CONF-116",)),
    "http-no-retry": (ids(110, 111, 112), ("KPR-CONF-11[0-3]",)),
    "http-token-failure-is-success": (ids(115), ("KPR-CONF-115",)),
    "http-assertion-for-issuer": (ids(100), ()),
    "http-long-assertion": (ids(101), ()),
    "http-wrong-algorithm": (ids(103), ()),
    "http-her-ids-as-strings": (ids(102), ("KPR-CONF-11*",)),
}


@pytest.fixture(scope="module")
def http_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    """A real endpoint serving the HTTP route, with the default test parties."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("http-endpoint"), amqps_port=0,
                        control_port=0, http_port=0, scenario=None, registry=None,
                        database_url=None)
    with Endpoint(settings) as running:
        yield running


def test_the_table_covers_every_http_flaw() -> None:
    assert set(EXPECTED) == {n for n in senders.BROKEN_FLAWS if n.startswith("http-")}
    for failing, extra in EXPECTED.values():
        assert failing <= set(HTTP_CASES)
        assert failing <= {c.id for c in select([*BASELINE, *extra], "http")}


def test_the_reference_http_sender_passes_every_case(http_endpoint: Endpoint,
                                                     tmp_path: Path) -> None:
    harness = Harness(InProcessDriver(http_endpoint), senders.reference_http_sender(),
                      tmp_path, timeout=10)
    certification = harness.certify(select(None, "http"))
    problems = {r.case.id: [(c.name, c.actual) for c in r.checks if not c.passed]
                for r in certification.results if r.status is not Status.PASS}
    assert problems == {}
    assert certification.exit_code == 0
    assert len(certification.results) == len(HTTP_CASES) >= 12


@pytest.mark.parametrize("flaw", sorted(EXPECTED))
def test_each_broken_http_sender_fails_exactly_its_cases(flaw: str, http_endpoint: Endpoint,
                                                         tmp_path: Path) -> None:
    expected, extra = EXPECTED[flaw]
    harness = Harness(InProcessDriver(http_endpoint), senders.broken_sender(flaw), tmp_path,
                      timeout=10)
    certification = harness.certify(select([*BASELINE, *extra], "http"))
    fails_exactly(certification, expected)


def test_certify_route_http_through_a_subprocess_with_mockkpr_send(tmp_path: Path) -> None:
    """What a vendor's CI runs: the command line, with ``mockkpr send --http`` as the
    command and the HTTP placeholders."""
    mockkpr = f"{sys.executable} -c 'from mockkpr.cli import main; main()'"
    send = (f"{mockkpr} send {{file}} --http --url {{url}} --authority {{authority}} "
            "--registry {registry} --from {from} --to {to} --timeout {timeout} "
            "--control-url {control}")
    done = subprocess.run(
        [sys.executable, "-c", "from mockkpr.cli import main; main()", "certify", "--route",
         "http", "--sender-cmd", send, "--cases", "KPR-CONF-100,KPR-CONF-104,KPR-CONF-116",
         "--out", str(tmp_path / "out"), "--timeout", "10"],
        capture_output=True, text=True, check=False, timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cases (route http)" in done.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["verdict"]["counts"] == {"pass": 3, "fail": 0, "warn": 0, "not-judged": 0,
                                            "error": 0}
    sends = {s["run"]: s for s in summary["sends"]}
    assert "validationCode 1234" in sends["http-bad-request"]["sender"]
    assert {case["route"] for case in summary["cases"]} == {"http"}
    schema = json.loads((ROOT / "docs" / "conformance-summary.schema.json").read_text())
    jsonschema.validate(summary, schema)
