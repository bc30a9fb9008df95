"""``mockkpr send --http``: token, CMS, submission and verdict, with AMQP's exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mockkpr.cli import main
from mockkpr.client.kneik import KneikClient
from mockkpr.endpoint.app import Endpoint
from mockkpr.settings import Settings
from tests.kneik.conftest import ROOT
from tests.kneik.support import HttpRoute

pytestmark = pytest.mark.integration

VALID = ROOT / "fixtures/valid/iplos-56.xml"
DEFECTIVE = ROOT / "fixtures/rules/EV-VERSJON/missing.xml"  # REJECTED


def _send(route: HttpRoute, document: Path, *options: str) -> Result:
    return CliRunner().invoke(main, [
        "send", str(document), "--http", "--url", route.base, "--control-url", route.control,
        "--registry", str(route.registry.path), "--timeout", "20", *options])


def test_an_accepted_message_exits_0_with_its_ref_id_and_verdict(route: HttpRoute) -> None:
    result = _send(route, VALID, "--from", "12345")
    assert result.exit_code == 0, result.output
    assert "HTTP 200" in result.output
    assert "Verdict: ACCEPTED (accepted)" in result.output
    ref_id = result.output.split("refId ")[1].split()[0]
    entry = route.entry(ref_id)
    assert entry["outcome"] == "accepted"
    assert f"Web view: {route.control}/messages/{entry['id']}\n" in result.output


def test_a_message_with_findings_exits_1_and_lists_them(route: HttpRoute) -> None:
    result = _send(route, DEFECTIVE, "--from", "12345", "--json")
    assert result.exit_code == 1, result.output
    verdict = json.loads(result.output[result.output.index("{\n"):])  # after the log lines
    assert verdict["status"] == 200
    assert verdict["outcome"] == "rejected"
    assert [f["rule_id"] for f in verdict["findings"]] == ["EV-VERSJON"]


def test_a_refused_message_exits_2_with_the_validation_code(route: HttpRoute) -> None:
    result = _send(route, VALID, "--from", "123451")  # the expired signing certificate
    assert result.exit_code == 2, result.output
    assert "HTTP 400" in result.output
    assert "validationCode 3005" in result.output
    assert route.count() == 1


def test_the_sender_retries_busy_answers_and_a_token_that_expired(
        route: HttpRoute, http_endpoint: Endpoint) -> None:
    scenario = """
name: hostile
faults:
  - {kind: token-endpoint-down, retry_after: 0}
  - {kind: expire-token}
  - {kind: http-error, status: 503, retry_after: 0, when: {nth: 2}}
  - {kind: http-error, after_processing: true, when: {nth: 3}}
"""
    with http_endpoint.armed(scenario):
        with KneikClient(route.base, route.registry, 12345, to_her_id=131725,
                         control_url=route.control) as client:
            answer = client.submit(VALID.read_bytes(), timeout=30)
            client.verdict(answer)
        fired = [f.kind for f in http_endpoint.faults.firings()]
    assert answer.status == 200, answer
    assert answer.outcome == "accepted"
    assert answer.attempts == 4  # 401, 503, 500 (recorded), then the duplicate's 200
    assert fired == ["token-endpoint-down", "expire-token", "http-error", "http-error"]
    assert route.count() == 1


def test_the_command_runs_as_a_process_against_the_default_ports(
        tmp_path: Path) -> None:
    """``mockkpr serve --http-port`` then ``mockkpr send --http`` with the documented defaults
    of a first start (the default parties' client ids)."""
    env = {**os.environ, "MOCKKPR_DATA_DIR": str(tmp_path), "MOCKKPR_AMQPS_PORT": "0",
           "MOCKKPR_CONTROL_PORT": "0", "MOCKKPR_HTTP_PORT": "0"}
    with Endpoint(_settings(tmp_path)) as endpoint:
        assert endpoint.urls.http is not None
        done = subprocess.run(
            [sys.executable, "-m", "mockkpr", "send", str(VALID), "--from", "12345", "--http",
             "--url", endpoint.urls.http, "--control-url", endpoint.urls.control],
            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verdict: ACCEPTED" in done.stdout


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, amqps_port=0, control_port=0, http_port=0,
                    scenario=None, registry=None, database_url=None)
