"""docker/compose.yaml for real: `up` gives a ready endpoint on the mapped ports, `down -v`
removes it with its volume. Uses `docker compose` with Docker, `podman-compose` with podman."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.container.conftest import ROOT, Engine

pytestmark = [pytest.mark.container, pytest.mark.integration, pytest.mark.slow]

COMPOSE_FILE = ROOT / "docker" / "compose.yaml"
PROJECT = "mockkpr-test"
TOKEN = "compose-test-token-0123456789"  # passed on by compose.yaml


def _compose(engine: Engine) -> list[str]:
    if engine.command == "docker":
        if subprocess.run(["docker", "compose", "version"], capture_output=True,
                          check=False).returncode == 0:
            return ["docker", "compose"]
        pytest.skip("the docker compose plugin is not installed")
    if shutil.which("podman-compose") is None:
        pytest.skip("podman-compose is not installed (docker/ci-engine.sh installs it)")
    return ["podman-compose"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def compose_up(engine: Engine, image: str) -> Iterator[str]:
    """The compose project started on free host ports; its control URL. Always brought down."""
    command = [*_compose(engine), "-f", str(COMPOSE_FILE), "-p", PROJECT]
    control = _free_port()
    env = {**os.environ, "MOCKKPR_AMQPS_HOST_PORT": str(_free_port()),
           "MOCKKPR_AMQP_HOST_PORT": str(_free_port()),
           "MOCKKPR_CONTROL_HOST_PORT": str(control), "MOCKKPR_CONTROL_TOKEN": TOKEN}
    try:
        subprocess.run([*command, "up", "-d"], env=env, capture_output=True, check=True,
                       timeout=300)
        yield f"http://127.0.0.1:{control}"
    finally:
        subprocess.run([*command, "down", "-v"], env=env, capture_output=True, check=False,
                       timeout=120)
        if command[0] == "podman-compose":  # its `down` leaves the project's network
            subprocess.run(["podman", "network", "rm", "-f", f"{PROJECT}_default"],
                           capture_output=True, check=False, timeout=60)


def test_compose_up_gives_a_ready_endpoint(compose_up: str, engine: Engine) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            response = httpx.get(f"{compose_up}/readyz", timeout=2)
            if response.status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "compose service not ready within 60 s"
        time.sleep(0.1)
    assert httpx.get(f"{compose_up}/api/parties", timeout=10).status_code == 401
    parties = httpx.get(f"{compose_up}/api/parties", timeout=10,
                        headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert [p["her_id"] for p in parties] == [12345, 23456, 131725]
    volumes = subprocess.run([engine.command, "volume", "ls", "--format", "{{.Name}}"],
                             capture_output=True, text=True, check=True).stdout.split()
    assert f"{PROJECT}_mockkpr-data" in volumes
