"""``mockkpr certify``: exit codes 0, 1, 2 and 3, the outputs, and manual mode's timed waits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
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
    assert ("PASSED: 2 passed, 0 failed, 0 warnings, 0 not judged, 0 harness errors (exit 0"
            in result.output)
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


def test_a_sender_that_sends_nothing_fails_with_the_root_cause(data_dir: Path,
                                                               tmp_path: Path) -> None:
    """Nothing arrived: the case cannot observe what it judges (not judged, which fails the
    run); the root cause is the queue never reached, and the sender's own account is shown."""
    result = certify(data_dir, tmp_path, "--sender-cmd", "true {file}", "--cases",
                     "KPR-CONF-003,KPR-CONF-015")
    assert result.exit_code == 1, result.output
    assert "KPR-CONF-015 NOT-JUDGED Sets the CMS content-type exactly" in result.output
    assert "FAILED: 0 passed, 1 failed, 0 warnings, 1 not judged, 0 harness errors" \
        in result.output
    assert ("Nothing arrived from KPR_IDE_0301_2024.xml (run baseline): the sender exit 0 after "
            in result.output)
    assert ("  REQ-CONN-TARGET: 1 failed (KPR-CONF-003), 1 not judged; the endpoint answered: "
            "nothing arrived on KPR's queue") in result.output
    assert ("FAIL  KPR-CONF-003 Attaches to KPR's async queue - a message arrived: expected at "
            "least one message on 131725_async; actual expected at least 1 entries matching "
            "any entry, found 0.") in result.output


def test_an_http_sender_that_submits_nothing_fails_the_token_case(data_dir: Path,
                                                                 tmp_path: Path) -> None:
    """Nothing journaled on the HTTP route: the token case fails with the sender's own
    account, the others are not judged, naming it as their root cause."""
    result = certify(data_dir, tmp_path, "--route", "http", "--sender-cmd",
                     "true {file} {jwk} {client_id} {authority}", "--cases",
                     "KPR-CONF-100,KPR-CONF-103")
    assert result.exit_code == 1, result.output
    assert "cases (route http)" in result.output
    assert "KPR-CONF-103 NOT-JUDGED Signs and encrypts the payload as on the service bus" \
        in result.output
    assert ("Nothing arrived from KPR_IPL_0301_2024_56_001.xml (run http-baseline): the sender "
            "exit 0 after ") in result.output
    assert ("  REQ-HTTP-TOKEN: 1 failed (KPR-CONF-100), 1 not judged; the endpoint answered: "
            "no submission was journaled") in result.output
    assert ("FAIL  KPR-CONF-100 Gets its access token with a private_key_jwt client assertion "
            "- a submission was journaled: expected at least one submission that passed the "
            "token, scope and content-type checks; actual 0 journaled") in result.output


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
    (["--sender-cmd", "x {file} {jwk}"],
     "{jwk} is a placeholder of the HTTP route: give --route http"),
    (["--route", "http", "--manual"], "--manual is for the AMQP route"),
    (["--route", "http", "--sender-cmd", "x {file}", "--cases", "KPR-CONF-015"],
     "--cases KPR-CONF-015: its cases judge the amqp route, not http (give --route amqp)"),
    (["--route", "http", "--sender-cmd", "x {file}", "--control-url", "http://h:1"],
     "needs --http-url, --control-url and --registry together"),
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


# ------------------------------------------------------------------ issue 15
@pytest.mark.slow
def test_certify_works_from_any_working_directory(tmp_path: Path) -> None:
    """Relative --out, {file} and {registry} substituted as absolute paths: the reference
    sender runs in its own work directory and still finds them."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", "from mockkpr.cli import main; main()", "certify",
         "--sender-cmd", MOCKKPR_SEND, "--cases", "KPR-CONF-015", "--out", "out",
         "--timeout", "10"], cwd=elsewhere, capture_output=True, text=True, check=False,
        timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((elsewhere / "out" / "summary.json").read_text())
    assert summary["verdict"]["counts"]["pass"] == 1


def test_a_send_that_fails_before_anything_arrives_shows_exit_code_and_stderr(
        data_dir: Path, tmp_path: Path) -> None:
    failing = "sh -c 'echo connecting...; echo \"boom: cannot reach the bus\" >&2; exit 2' {file}"
    result = certify(data_dir, tmp_path, "--sender-cmd", failing, "--cases", "KPR-CONF-015")
    assert result.exit_code == 1, result.output
    assert ("Nothing arrived from KPR_IDE_0301_2024.xml (run baseline): the sender exit 2 "
            "after ") in result.output
    assert "s: boom: cannot reach the bus" in result.output
    junit = (tmp_path / "junit.xml").read_text()
    assert "exit 2 after " in junit
    assert "boom: cannot reach the bus" in junit
    page = (tmp_path / "report.html").read_text()
    first = page.index("Sends where nothing arrived")
    assert first < page.index("boom: cannot reach the bus") < page.index("Root causes") \
        < page.index('id="KPR-CONF-015"')


@pytest.mark.slow
def test_a_certification_run_keeps_its_key_from_the_sender(data_dir: Path, tmp_path: Path,
                                                           registry: Registry) -> None:
    """The certifying body's key is passphrase-protected, opened before any sender runs and
    never written; the sender's environment has no agent socket, PIN or passphrase; every key
    the sender could find re-signs a bundle that fails the pinned fingerprint."""
    from cryptography.hazmat.primitives import serialization

    from mockkpr.cms.detached import sign_detached
    from mockkpr.conformance.signing import ephemeral
    from mockkpr.pki.files import certificate_pem, load_certificate

    body = ephemeral()
    keys = tmp_path / "body"
    keys.mkdir()
    (keys / "key.pem").write_bytes(body.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"s3cret")))
    (keys / "cert.pem").write_bytes(certificate_pem(body.certificate))
    spy = tmp_path / "spy.py"
    spy.write_text("import json, os, sys\n"
                   "json.dump(sorted(os.environ), open('env.json', 'w'))\n"
                   "sys.exit(2)\n")
    out = tmp_path / "out"
    read, write = os.pipe()
    os.write(write, b"s3cret\n")
    os.close(write)
    result = CliRunner().invoke(main, [
        "certify", "--data-dir", str(data_dir), "--out", str(out), "--timeout", "3",
        "--sender-cmd", f"{sys.executable} {spy} {{file}}", "--cases", "KPR-CONF-015",
        "--harness-key", str(keys / "key.pem"), "--harness-cert", str(keys / "cert.pem"),
        "--harness-passphrase-fd", str(read)],
        env={"SSH_AUTH_SOCK": "/tmp/agent.sock", "VENDOR_PKCS11_PIN": "1234",
             "MOCKKPR_HARNESS_KEY_PASSPHRASE": "s3cret"})
    assert result.exit_code == 1, result.output
    assert "Kind of run: certification" in result.output
    seen = json.loads(next(out.rglob("env.json")).read_text())
    assert "PATH" in seen
    assert not {"SSH_AUTH_SOCK", "VENDOR_PKCS11_PIN", "MOCKKPR_HARNESS_KEY_PASSPHRASE"} & set(
        seen)
    bundle = out / "evidence.zip"
    good = verify_bundle(bundle, pin=body.fingerprint)
    assert good.problems == []
    assert good.attestation == "certification"
    reachable = [p for d in (out, data_dir) for p in d.rglob("*.pem")
                 if b"PRIVATE KEY" in p.read_bytes()]
    assert reachable  # the test PKI's keys are the sender's own, and all it could find
    assert all(b"ENCRYPTED" not in p.read_bytes() for p in reachable)  # not the body's
    with zipfile.ZipFile(bundle) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    for key_file in reachable:
        key = serialization.load_pem_private_key(key_file.read_bytes(), None)
        cert_file = key_file.with_name(key_file.name.replace("key.UNENCRYPTED", "cert"))
        if not cert_file.is_file():
            continue
        forged = tmp_path / f"forged-{key_file.stem}.zip"
        with zipfile.ZipFile(forged, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, sign_detached(
                    files["manifest.json"], signer_cert=load_certificate(cert_file),
                    signer_key=key) if name == "manifest.json.p7s" else data)  # type: ignore[arg-type]
        problems = verify_bundle(forged, pin=body.fingerprint).problems
        assert len(problems) == 1, key_file
        assert "not the pinned" in problems[0], key_file


def test_an_unencrypted_certification_key_is_refused(data_dir: Path, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    from mockkpr.conformance.signing import ephemeral
    from mockkpr.pki.files import certificate_pem

    body = ephemeral()
    (tmp_path / "key.pem").write_bytes(body.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (tmp_path / "cert.pem").write_bytes(certificate_pem(body.certificate))
    result = certify(data_dir, tmp_path / "out", "--sender-cmd", "true {file}",
                     "--harness-key", str(tmp_path / "key.pem"), "--harness-cert",
                     str(tmp_path / "cert.pem"))
    assert result.exit_code == 2, result.output
    assert "is not passphrase-protected: an unencrypted key on this machine can be read by " \
        "the sender command" in result.output
    inside = certify(data_dir, tmp_path, "--sender-cmd", "true {file}", "--harness-key",
                     str(tmp_path / "key.pem"), "--harness-cert", str(tmp_path / "cert.pem"))
    assert inside.exit_code == 2
    assert "which the sender command is given: keep the certifying body's key elsewhere" \
        in inside.output
