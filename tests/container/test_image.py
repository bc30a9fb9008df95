"""The image for real: readiness, a pilot send over TLS, the user, the health check, a
mounted registry and the module's doctest, through MockKprContainer."""

from __future__ import annotations

import doctest
import json
import os
import shlex
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509

import mockkpr.testing.container
from mockkpr.client import KprClient
from mockkpr.envelope import Status
from mockkpr.pki import PartySpec, create_test_pki
from mockkpr.registry import load_registry
from mockkpr.testing.container import MockKprContainer
from tests.container.conftest import ROOT, Engine

pytestmark = [pytest.mark.container, pytest.mark.integration, pytest.mark.slow]

DOCUMENT = (ROOT / "fixtures" / "valid" / "iplos-2019.xml").read_bytes()


@pytest.fixture(scope="module")
def kpr(image: str) -> Iterator[MockKprContainer]:
    """One container of the image, started with no configuration at all."""
    with MockKprContainer(image) as container:
        yield container


def test_ready_with_every_check(kpr: MockKprContainer) -> None:
    response = httpx.get(f"{kpr.get_control_url()}/readyz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {
        "registry": True, "certificates": True, "journal": True, "amqp_listeners": True,
        "scenario": True, "http_listener": True}}


def test_first_start_made_the_documented_parties(kpr: MockKprContainer) -> None:
    users = {p["her_id"]: (p["user"], p["password"]) for p in kpr.get_parties()}
    assert users == {131725: ("mockkpr-131725", None),  # KPR's own: never served
                     12345: ("mockkpr-12345", "test-12345"),
                     23456: ("mockkpr-23456", "test-23456")}


def test_the_control_api_needs_the_containers_token(kpr: MockKprContainer) -> None:
    """Listening beyond loopback, the API takes the token MockKprContainer gave it; the
    probes and the CA stay public."""
    url = kpr.get_control_url()
    assert httpx.get(f"{url}/api/parties", timeout=10).status_code == 401
    assert httpx.get(f"{url}/api/pki/ca.pem", timeout=10).status_code == 200
    for path in ("/pki/ca.crl", "/pki/ca.crt"):  # where the certificates send chain builders
        assert httpx.get(f"{url}{path}", timeout=10).status_code == 200, path
    token = {"Authorization": f"Bearer {kpr.get_control_token()}"}
    assert httpx.get(f"{url}/api/parties", headers=token, timeout=10).status_code == 200
    form = httpx.post(f"{url}/api/reset", headers=token, data={"drop_queued": "true"},
                      timeout=10)
    assert form.status_code == 415


def test_without_a_token_the_container_makes_one_and_logs_it(image: str) -> None:
    container = MockKprContainer(image)
    del container.env["MOCKKPR_CONTROL_TOKEN"]
    with container as kpr:
        logs = b"".join(kpr.get_logs()).decode()
        token = logs.split("mockkpr: control API token: ", 1)[1].split()[0]
        url = f"{kpr.get_control_url()}/api/messages"
        assert httpx.get(url, timeout=10).status_code == 401
        assert httpx.get(url, headers={"Authorization": f"Bearer {token}"},
                         timeout=10).status_code == 200
        code, output = kpr.exec(["mockkpr", "messages", "list"])  # finds the token file
        assert code == 0, output


@pytest.mark.parametrize("tls", [True, False], ids=["amqps", "amqp"])
def test_pilot_send_through_the_mapped_port(kpr: MockKprContainer, tmp_path: Path,
                                            tls: bool) -> None:
    """The reference sender signs, encrypts and sends as 12345 with the container's PKI and
    trusts the TLS listener through the CA it copied out; the AppRec comes back verified."""
    registry = kpr.get_registry(tmp_path)
    assert x509.load_pem_x509_certificate(kpr.get_ca_certificate()) == \
        registry.ca_certificate
    with KprClient(kpr.get_amqp_url(tls=tls), registry, 12345) as client:
        answer = client.send_and_wait(DOCUMENT, timeout=60)
    assert answer.kind == "apprec", answer
    assert answer.status is Status.OK
    journal = httpx.get(f"{kpr.get_control_url()}/api/messages/{answer.sent.message_id}",
                        headers={"Authorization": f"Bearer {kpr.get_control_token()}"},
                        timeout=10).json()
    assert (journal["sender_her_id"], journal["apprec_status"]) == ("12345", "1")


def test_http_submission_through_the_mapped_port(kpr: MockKprContainer, tmp_path: Path) -> None:
    """The HTTP route of the image: a token from its HelseID with the default client's JWK,
    a 56.0.0 message, its verdict by the refId."""
    from mockkpr.client.kneik import KneikClient

    registry = kpr.get_registry(tmp_path)
    assert kpr.get_token_url() == f"{kpr.get_authority_url()}/connect/token"
    with KneikClient(kpr.get_http_url(), registry, 12345, to_her_id=kpr.KPR_HER_ID,
                     control_url=kpr.get_control_url(),
                     control_token=kpr.get_control_token()) as client:
        answer = client.submit((ROOT / "fixtures/valid/iplos-56.xml").read_bytes(), timeout=60)
        client.verdict(answer)
    assert answer.status == 200, answer
    assert answer.outcome == "accepted"
    assert registry.party(12345).client_id == "mockkpr-12345"


def test_runs_as_the_unprivileged_user(kpr: MockKprContainer, image: str) -> None:
    config = kpr.get_docker_client().client.images.get(image).attrs["Config"]
    assert config["User"] == "10001:0"
    code, output = kpr.exec(["sh", "-c", "id -u; grep '^Uid:' /proc/1/status"])
    assert code == 0
    uid, status = output.decode().splitlines()
    assert uid == "10001"
    assert status.split()[1:] == ["10001"] * 4  # real, effective, saved and file-system uid


def test_health_check_probes_readiness(kpr: MockKprContainer, image: str,
                                      engine: Engine) -> None:
    # the engine's own inspect: podman's Docker API leaves the health check out of images
    inspected = subprocess.run(
        [engine.command, "image", "inspect", "--format", "{{json .Config.Healthcheck}}", image],
        capture_output=True, text=True, check=True).stdout
    test = json.loads(inspected)["Test"]
    assert test == ["CMD", "python3", "-m", "mockkpr.control.probe"]
    assert kpr.exec(test[1:]).exit_code == 0
    code, output = kpr.exec([*test[1:], "http://127.0.0.1:1"])  # nothing listens there
    assert code == 1
    assert b"mockkpr probe: not ready: http://127.0.0.1:1/readyz:" in output


def test_runtime_image_holds_no_build_tools(kpr: MockKprContainer) -> None:
    code, output = kpr.exec(["sh", "-c", "for name in python3 mockkpr gcc cc make pip pip3; "
                                   "do command -v $name; done; true"])
    assert code == 0
    assert output.decode().split() == ["/opt/mockkpr/bin/python3", "/opt/mockkpr/bin/mockkpr"]
    assert kpr.exec(["test", "-e", "/src"]).exit_code == 1  # nor the build's sources


def test_mounted_registry_replaces_the_default(image: str, tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    create_test_pki(pki, [PartySpec(131725, "KPR Validering"), PartySpec(40001, "Vendor CI")])
    registry = load_registry(pki / "registry.yaml")
    with MockKprContainer(image).with_registry(pki) as kpr:
        parties = kpr.get_parties()
        assert [(p["her_id"], p["password"]) for p in parties] == [(40001, None),
                                                                   (131725, None)]
        assert kpr.get_ca_certificate() == registry.ca_path.read_bytes()
        code, _ = kpr.exec(["test", "-e", "/var/lib/mockkpr/pki"])
        assert code == 1  # no test PKI was made
        with KprClient(kpr.get_amqp_url(), registry, 40001) as client:
            answer = client.send_and_wait(DOCUMENT, timeout=60)
        assert (answer.kind, answer.status) == ("apprec", Status.OK)
        with pytest.raises(Exception, match="party 40001 has no documented password"):
            kpr.get_credentials(40001)


def test_module_doctest_runs(image: str) -> None:
    """The example in mockkpr.testing.container's docstring, against mockkpr:latest."""
    result = doctest.testmod(mockkpr.testing.container, report=True)
    assert result.attempted > 0
    assert result.failed == 0


def test_readme_pytest_example_runs(image: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The pytest example in README.md, as written, against mockkpr:latest."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) <= 10
    (tmp_path / "iplos.xml").write_bytes(DOCUMENT)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102  (our own README)
    test = namespace["test_pilot_send"]
    assert callable(test)
    test(tmp_path / "pki")


def _readme_own_registry_commands() -> list[str]:
    """The README's "your own registry" commands (pki init, then docker run)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("own registry replaces the test PKI", 1)[1]
    block = block.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def _run_readme_container(engine: Engine, image: str, command: str, cwd: Path,
                          port: int) -> str:
    """``docker run ...`` as the README writes it, with the engine, a free control port, the
    image under test, detached."""
    assert command.startswith("docker run ")
    assert command.endswith(" mockkpr")
    command = command.replace("-p 5671:5671 ", "").replace("-p 8080:8080", f"-p {port}:8080")
    command = command.removesuffix(" mockkpr").replace("docker run ",
                                                       f"{engine.command} run -d ", 1)
    done = subprocess.run(["bash", "-c", f"{command} {image}"], cwd=cwd, capture_output=True,
                          text=True, check=True, env={**os.environ, **engine.environment})
    return done.stdout.strip().splitlines()[-1]


def test_readme_own_registry_commands_work_as_written(engine: Engine, image: str,
                                                      tmp_path: Path) -> None:
    """`pki init ./pki --readable-keys ...` then `docker run -v "$PWD/pki:..."`: the container
    (uid 10001) reads the host user's files and serves the registry's parties; without
    --readable-keys its log names the fix."""
    from click.testing import CliRunner

    from mockkpr.cli import main

    init, run = _readme_own_registry_commands()
    assert init.startswith("mockkpr pki init ./pki --readable-keys ")
    args = shlex.split(init)[1:]
    cwd = tmp_path / "work"
    cwd.mkdir()
    cwd.chmod(0o755)
    os.chdir(cwd)
    try:
        assert CliRunner().invoke(main, args).exit_code == 0
    finally:
        os.chdir(ROOT)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    container = _run_readme_container(engine, image, run, cwd, port)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        # the token the container made up, from its log, as the README's Container part says
        logs = subprocess.run([engine.command, "logs", container], capture_output=True,
                              text=True, check=False, env={**os.environ, **engine.environment})
        token = (logs.stdout + logs.stderr).split("mockkpr: control API token: ", 1)[1].split()[0]
        parties = httpx.get(f"http://127.0.0.1:{port}/api/parties", timeout=5,
                            headers={"Authorization": f"Bearer {token}"}).json()
        assert sorted(p["her_id"] for p in parties) == [40001, 131725]
    finally:
        subprocess.run([engine.command, "rm", "-f", "-v", container], capture_output=True,
                       check=False)

    # The same with the keys kept private (pki init without --readable-keys): the start fails
    # and says how to fix it.
    for path in (cwd / "pki").rglob("*"):
        if path.is_file() and (path.name.endswith("UNENCRYPTED.pem")
                               or path.name == "registry.yaml"):
            path.chmod(0o600)
    container = _run_readme_container(engine, image, run, cwd, port)
    try:
        subprocess.run([engine.command, "wait", container], capture_output=True, timeout=60,
                       check=False)
        logs = subprocess.run([engine.command, "logs", container], capture_output=True,
                              text=True, check=False)
        output = logs.stdout + logs.stderr
        assert "cannot be read (Permission denied)" in output
        assert "uid 10001" in output
        assert "chmod -R a+rX" in output
        assert "--readable-keys" in output
    finally:
        subprocess.run([engine.command, "rm", "-f", "-v", container], capture_output=True,
                       check=False)
