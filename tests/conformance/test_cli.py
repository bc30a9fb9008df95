"""``mockkpr certify``: exit codes 0, 1, 2 and 3, the outputs, and manual mode's timed waits."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mockkpr.cli import main
from mockkpr.conformance.bundle import verify_bundle
from mockkpr.registry import Registry

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
#: The reference sender as a command (the contract's placeholders).
MOCKKPR_SEND = (f"{sys.executable} -c 'from mockkpr.cli import main; main()' send {{file}} "
                "--from {from} --to {to} --url {url} --registry {registry} --timeout {timeout}")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One endpoint data directory (test PKI) for the module's runs."""
    return tmp_path_factory.mktemp("certify-endpoint")


def certify(data_dir: Path, out: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["certify", "--data-dir", str(data_dir), "--out", str(out),
                                     "--timeout", "10", *args], input=stdin)


@pytest.mark.slow
def test_a_good_sender_command_passes_with_exit_0(data_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the command runs in the sender's workdir
    result = certify(data_dir, tmp_path, "--sender-cmd", MOCKKPR_SEND,
                     "--cases", "KPR-CONF-015,KPR-CONF-071")
    assert result.exit_code == 0, result.output
    assert "PASSED: 2 passed, 0 failed, 0 warnings, 0 not judged (exit 0" in result.output
    assert {p.name for p in tmp_path.iterdir()} >= {"junit.xml", "summary.json", "report.html",
                                                     "evidence.zip"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    rejected = next(c for c in summary["cases"] if c["id"] == "KPR-CONF-071")
    assert rejected["sends"][0]["exit_code"] == 1
    assert "T02 XML validerer ikke" in rejected["sends"][0]["stdout"]
    verified = verify_bundle(tmp_path / "evidence.zip")
    assert verified.problems == []
    assert f"SHA-256 fingerprint {verified.fingerprint}" in result.output
    assert (f"Check it: mockkpr certify verify {tmp_path / 'evidence.zip'} --fingerprint "
            f"{verified.fingerprint}") in result.output


def test_a_sender_that_fails_a_shall_case_exits_1(data_dir: Path, tmp_path: Path) -> None:
    result = certify(data_dir, tmp_path, "--sender-cmd", "true {file}", "--cases",
                     "KPR-CONF-015")
    assert result.exit_code == 1, result.output
    assert "KPR-CONF-015 FAIL  Sets the CMS content-type exactly" in result.output
    assert ("FAIL  KPR-CONF-015 Sets the CMS content-type exactly - a message arrived: expected "
            "at least one message on 131725_async; actual expected at least 1 entries matching "
            "any entry, found 0.") in result.output


@pytest.mark.parametrize(("args", "message"), [
    ([], "give --sender-cmd COMMAND, or --manual (not both)"),
    (["--sender-cmd", "x {file}", "--manual"], "give --sender-cmd COMMAND, or --manual"),
    (["--sender-cmd", "x {file} {password}"],
     "Invalid value for --sender-cmd: unknown placeholder {password}; known: {file}, {url}"),
    (["--sender-cmd", "x {url}"], "the command must name the file to send: {file}"),
    (["--sender-cmd", "x {file", "--cases", "KPR-CONF-015"], "expected '}' before end of string"),
    (["--sender-cmd", "x {file}", "--cases", "KPR-CONF-999"],
     "--cases KPR-CONF-999: no such case id, pattern or group"),
    (["--sender-cmd", "x {file}", "--amqp-url", "amqps://h:5671/X"],
     "needs --amqp-url, --control-url and --registry together"),
])
def test_usage_errors_exit_2(data_dir: Path, tmp_path: Path, args: list[str],
                             message: str) -> None:
    result = certify(data_dir, tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_command_that_cannot_be_started_exits_3(data_dir: Path, tmp_path: Path) -> None:
    result = certify(data_dir, tmp_path, "--sender-cmd", "/nonexistent/our-sender {file}",
                     "--cases", "KPR-CONF-070")
    assert result.exit_code == 3, result.output
    assert "NOT JUDGED (the harness could not judge a case)" in result.output
    assert "the sender could not be run: " in result.output
    assert "/nonexistent/our-sender" in result.output
    assert (tmp_path / "evidence.zip").exists()


def test_an_endpoint_that_cannot_be_reached_exits_3(tmp_path: Path, data_dir: Path,
                                                    registry: Registry) -> None:
    result = certify(data_dir, tmp_path, "--sender-cmd", "true {file}",
                     "--amqp-url", "amqps://localhost:1/NHNTESTServiceBus",
                     "--control-url", "http://127.0.0.1:1", "--registry", str(registry.path))
    assert result.exit_code == 3, result.output
    assert "mockkpr certify: the harness could not run: control API http://127.0.0.1:1/readyz" \
        in result.output


def test_manual_mode_prints_instructions_and_times_out(data_dir: Path, tmp_path: Path) -> None:
    """Nobody sends anything: each send times out after --manual-wait, saying so."""
    result = certify(data_dir, tmp_path, "--manual", "--manual-wait", "1", "--cases",
                     "KPR-CONF-015", stdin="")
    assert result.exit_code == 1, result.output
    assert "    Send the file      " in result.output
    assert "KPR_IDE_0301_2024.xml" in result.output
    assert "    as HER-id          12345 (its keys and SASL account are in " in result.output
    assert "    to HER-id          131725, queue 131725_async" in result.output
    assert "    Waiting up to 1 s for the message to arrive..." in result.output
    assert ("    Timed out: no message from 12345 arrived on 131725_async within 1 s."
            in result.output)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["run"]["mode"] == "manual"
    assert summary["cases"][0]["sends"][0]["failure"] == (
        "manual mode: no message from 12345 arrived on 131725_async within 1 s")


def test_certify_list_names_every_case() -> None:
    result = CliRunner().invoke(main, ["certify", "list"])
    assert result.exit_code == 0
    assert "KPR-CONF-001  shall   connection   Connects over TLS 1.2 or 1.3" in result.output
    assert len(result.output.splitlines()) >= 45
