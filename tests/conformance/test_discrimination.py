"""Proof that the suite discriminates: the reference sender passes every case, and each
deliberately broken reference sender fails (or, for should-cases, warns on) exactly the cases
that name its flaw - no fewer, no more. Cases that could not observe what they judge because of
the flaw are not judged, and each names a requirement of a failing case as its root cause.

Each broken sender runs the baseline (which most cases judge) plus the runs its flaw is about;
:data:`EXPECTED` is the table (docs/conformance.md has it too). One run goes through
``mockkpr certify --sender-cmd "mockkpr send ..."`` as a subprocess, as a vendor's CI would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mockkpr.conformance import senders
from mockkpr.conformance.cases import CATALOGUE, select
from mockkpr.conformance.drivers import InProcessDriver
from mockkpr.conformance.harness import Harness
from mockkpr.conformance.model import Status
from mockkpr.endpoint.app import Endpoint
from tests.conformance.discriminates import fails_exactly

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
]

ROOT = Path(__file__).parents[2]
BASELINE = [case.id for case in CATALOGUE if case.run.name == "baseline"]


def ids(*numbers: int) -> frozenset[str]:
    return frozenset(f"KPR-CONF-{n:03d}" for n in numbers)


#: flaw -> (the cases it must fail or warn on, the runs besides the baseline it is run on)
EXPECTED: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "wrong-algorithm": (ids(31), ()),
    "sha1-digest": (ids(30), ()),
    "missing-timestamp": (ids(17), ()),
    "non-string-properties": (ids(18), ()),
    "wrong-queue": (ids(3), ()),
    "no-retry": (ids(60, 61, 62, 63, 64), ("KPR-CONF-06[0-7]",)),
    "ignores-rejection": (ids(71, 72), ("KPR-CONF-07[127]",)),
    "accepts-forged": (ids(73), ("KPR-CONF-07[346]",)),
    "sends-rejected-data": (ids(45, 50), ()),
    "no-split": (ids(80), ("KPR-CONF-080",)),
    "resends-after-ok": (ids(65), ("KPR-CONF-065",)),
    "amqp-value-body": (ids(10), ()),
    "one-connection-per-message": (ids(5), ("KPR-CONF-005", "KPR-CONF-080")),
    "new-id-on-retry": (ids(69), ("KPR-CONF-06*",)),
    "resends-on-own-timer": (ids(66, 69), ("KPR-CONF-066", "KPR-CONF-069")),
    "checks-only-chain": (ids(90), ("KPR-CONF-07[34]", "KPR-CONF-09*")),
    "trusts-kpr-name": (ids(91, 92), ("KPR-CONF-07[34]", "KPR-CONF-09*")),
    "skips-signature-check": (ids(93), ("KPR-CONF-07[34]", "KPR-CONF-09*")),
    "decrypts-with-any-key": (ids(94), ("KPR-CONF-07[34]", "KPR-CONF-09*")),
    "split-without-group-size": (ids(80, 81), ("KPR-CONF-08*",)),
    "never-waits": (ids(4), ()),
    "swapped-her-ids": (ids(16), ()),
    "swapped-function": (ids(14), ()),
}


def test_the_table_covers_every_flaw() -> None:
    """Every AMQP flaw (the HTTP ones: test_discrimination_http.py)."""
    assert set(EXPECTED) == {n for n in senders.BROKEN_FLAWS if not n.startswith("http-")}
    known = {case.id for case in CATALOGUE}
    for failing, extra in EXPECTED.values():
        assert failing <= known
        assert failing <= {c.id for c in select([*BASELINE, *extra])}


def test_the_reference_sender_passes_every_case(endpoint: Endpoint, tmp_path: Path) -> None:
    harness = Harness(InProcessDriver(endpoint), senders.reference_sender(), tmp_path,
                      timeout=10)
    certification = harness.certify(select(None))  # the AMQP route's cases
    problems = {r.case.id: [(c.name, c.actual) for c in r.checks if not c.passed]
                for r in certification.results if r.status is not Status.PASS}
    assert problems == {}
    assert certification.exit_code == 0


@pytest.mark.parametrize("flaw", sorted(EXPECTED))
def test_each_broken_sender_fails_exactly_its_cases(flaw: str, endpoint: Endpoint,
                                                    tmp_path: Path) -> None:
    expected, extra = EXPECTED[flaw]
    harness = Harness(InProcessDriver(endpoint), senders.broken_sender(flaw), tmp_path,
                      timeout=10)  # the credit-starvation run holds the link 5 s
    certification = harness.certify(select([*BASELINE, *extra]))
    fails_exactly(certification, expected, {"REQ-CONN-TARGET"})


def test_certify_through_a_subprocess_with_mockkpr_send(tmp_path: Path) -> None:
    """What a vendor's CI runs: the command line, with the reference sender as the command."""
    send = (f"{sys.executable} -c 'from mockkpr.cli import main; main()' send {{file}} "
            "--from {from} --to {to} --url {url} --registry {registry} --timeout {timeout}")
    done = subprocess.run(
        [sys.executable, "-c", "from mockkpr.cli import main; main()", "certify",
         "--sender-cmd", send, "--cases", "KPR-CONF-015,KPR-CONF-031,KPR-CONF-071",
         "--out", str(tmp_path / "out"), "--timeout", "10"],
        capture_output=True, text=True, check=False, timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["verdict"]["counts"] == {"pass": 3, "fail": 0, "warn": 0, "not-judged": 0,
                                            "error": 0}
    verify = subprocess.run(
        [sys.executable, "-c", "from mockkpr.cli import main; main()", "certify", "verify",
         str(tmp_path / "out" / "evidence.zip"), "--self-attested"],
        capture_output=True, text=True, check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert verify.returncode == 0, verify.stdout + verify.stderr
