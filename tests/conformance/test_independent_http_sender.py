"""Certification of an HTTP sender mockkpr did not write (issue 14).

``js/kneik_sender.mjs`` is an independent sender for KPR's HTTP API - Node's fetch, npm's
``jose`` for the HelseID client assertion, the openssl command for CMS - wrapped to the HTTP
sender-command contract. Run through ``mockkpr certify --route http`` as a vendor would, it
passes every HTTP case (it exits 0 on 200 without reading the register's verdict, as the
contract allows); its ``new-id`` variant, which gives every resend a new messageId, fails
KPR-CONF-113 and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mockkpr.cli import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SENDER = Path(__file__).parent / "js" / "kneik_sender.mjs"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("independent-http-endpoint")


def certify(node_modules: Path, jose_dir: Path, data_dir: Path, out: Path, cases: str,
            flaw: str = "") -> tuple[Result, dict[str, str]]:
    command = (f"env NODE_EXTRA_CA_CERTS={{ca}} JOSE_DIR={jose_dir} "
               f"YAML_DIR={node_modules.parent} node {SENDER} {{file}} {{url}} {{authority}} "
               f"{{client_id}} {{jwk}} {{registry}} {{from}} {{to}} {{timeout}} {flaw}")
    result = CliRunner().invoke(main, [
        "certify", "--route", "http", "--sender-cmd", command.strip(), "--cases", cases,
        "--data-dir", str(data_dir), "--out", str(out), "--timeout", "10"])
    summary = json.loads((out / "summary.json").read_text())
    return result, {c["id"]: c["status"] for c in summary["cases"]}


def test_the_independent_http_sender_passes(node_modules: Path, jose_dir: Path,
                                            data_dir: Path, tmp_path: Path) -> None:
    result, statuses = certify(node_modules, jose_dir, data_dir, tmp_path, "http")
    assert result.exit_code == 0, result.output
    assert set(statuses.values()) == {"pass"}, {k: v for k, v in statuses.items()
                                                if v != "pass"}
    assert len(statuses) >= 12


def test_its_new_id_variant_fails_the_case_naming_the_flaw(
        node_modules: Path, jose_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    result, statuses = certify(node_modules, jose_dir, data_dir, tmp_path,
                               "KPR-CONF-10[0-4],KPR-CONF-11[0-4]", "new-id")
    assert result.exit_code == 1, result.output
    assert {k for k, v in statuses.items() if v != "pass"} == {"KPR-CONF-113"}
    assert "sent under 2 messageId(s)" in result.output
