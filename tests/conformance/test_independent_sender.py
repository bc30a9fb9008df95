"""Certification against a sender mockkpr did not write (issue 15).

``js/kpr_sender.js`` is an independent KPR sender - Node's rhea for AMQP, the openssl command
for CMS, its own MsgHead - wrapped to the sender-command contract. Run through ``mockkpr
certify`` as a vendor would, it passes; each of its deliberately flawed variants fails the case
that names its flaw and nothing else: ``new-id`` (every resend gets a new message-id:
KPR-CONF-069) and ``chain-only`` (an AppRec is trusted when its signer chains to the CA, not
only when KPR signed it: KPR-CONF-090).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mockkpr.cli import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SENDER = Path(__file__).parent / "js" / "kpr_sender.js"
#: The cases of the baseline and of the flaws (the forgeries and the resend runs).
CASES = ("KPR-CONF-0[0-5]*,KPR-CONF-06[0-3],KPR-CONF-069,KPR-CONF-07[0-4],KPR-CONF-076,"
         "KPR-CONF-077,KPR-CONF-09*")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("independent-endpoint")


def certify(node_modules: Path, data_dir: Path, out: Path, cases: str,
            flaw: str = "") -> tuple[Result, dict[str, str]]:
    command = f"node {SENDER} {{file}} {{url}} {{registry}} {{from}} {{to}} {{timeout}} {flaw}"
    result = CliRunner().invoke(main, [
        "certify", "--sender-cmd", command.strip(), "--cases", cases, "--data-dir",
        str(data_dir), "--out", str(out), "--timeout", "10"],
        env={"NODE_PATH": str(node_modules)})
    summary = json.loads((out / "summary.json").read_text())
    return result, {c["id"]: c["status"] for c in summary["cases"]}


def test_the_independent_sender_passes(node_modules: Path, data_dir: Path,
                                       tmp_path: Path) -> None:
    result, statuses = certify(node_modules, data_dir, tmp_path, CASES)
    assert result.exit_code == 0, result.output
    assert set(statuses.values()) == {"pass"}, {k: v for k, v in statuses.items()
                                                if v != "pass"}
    assert len(statuses) >= 45


@pytest.mark.parametrize(("flaw", "cases", "failing"), [
    ("new-id", "KPR-CONF-06[0-3],KPR-CONF-069", "KPR-CONF-069"),
    ("chain-only", "KPR-CONF-07[34],KPR-CONF-09*", "KPR-CONF-090"),
])
def test_its_flawed_variants_fail_the_case_naming_the_flaw(
        node_modules: Path, data_dir: Path, tmp_path: Path, flaw: str, cases: str,
        failing: str) -> None:
    """new-id: every resend under a new message-id; chain-only: an AppRec trusted because its
    signer chains to the CA."""
    result, statuses = certify(node_modules, data_dir, tmp_path, cases, flaw)
    assert result.exit_code == 1, result.output
    assert {k for k, v in statuses.items() if v != "pass"} == {failing}
    if flaw == "new-id":
        assert "sent 2 times under 2 message-id(s)" in result.output
