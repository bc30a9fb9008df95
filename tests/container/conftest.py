"""Fixtures for the container tests: an engine, the image of the current sources, a container.

The engine is the one the environment names (``DOCKER_HOST``, else Docker's default socket).
When none answers but podman is installed, the session starts ``podman system service`` on a
socket of its own and stops it (by its process id) at the end; docker/ci-engine.sh prepares
such a machine. Without Docker and podman every test here is skipped, saying why.

The image is built once per session by docker/build.sh, which reuses the image of the current
sources when it exists (``mockkpr:src-DIGEST``), so a rerun without changes builds nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
BUILD = ROOT / "docker" / "build.sh"
#: The base image docker/ci-engine.sh makes where no registry can be reached.
LOCAL_BASE_IMAGE = "localhost/debian-min:bookworm"
BUILD_TIMEOUT_S = 1200


@dataclass(frozen=True)
class Engine:
    """The container engine the tests use: its command line and the API's environment."""

    command: str  # docker or podman
    environment: dict[str, str]


def _answers() -> bool:
    import docker  # testcontainers' own client library

    try:
        client = docker.from_env(timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _start_podman_service(socket_path: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not socket_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"podman system service did not open {socket_path}")
        time.sleep(0.05)
    return process


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """A Docker API for testcontainers; the podman service this session started stops after."""
    from testcontainers.core.config import ConnectionMode, testcontainers_config

    patch = pytest.MonkeyPatch()
    service: subprocess.Popen[bytes] | None = None
    workdir: str | None = None
    try:
        if _answers():
            command = os.environ.get("CONTAINER_ENGINE") or (
                "docker" if shutil.which("docker") and subprocess.run(
                    ["docker", "info"], capture_output=True, check=False).returncode == 0
                else "podman")
        elif shutil.which("podman"):
            workdir = tempfile.mkdtemp(prefix="mockkpr-podman-")
            socket_path = Path(workdir) / "podman.sock"
            service = _start_podman_service(socket_path)
            patch.setenv("DOCKER_HOST", f"unix://{socket_path}")
            patch.setenv("CONTAINER_ENGINE", "podman")
            command = "podman"
        else:
            pytest.skip("no container engine: Docker does not answer and podman is not "
                        "installed (docker/ci-engine.sh sets podman up)")
        if command == "podman":
            # no registry for the reaper image; /.dockerenv must not make testcontainers look
            # for a gateway: podman publishes ports on this machine
            patch.setattr(testcontainers_config, "ryuk_disabled", True)
            patch.setattr(testcontainers_config, "connection_mode_override",
                          ConnectionMode.docker_host)
            if "CONTAINER_BASE_IMAGE" not in os.environ and subprocess.run(
                    ["podman", "image", "exists", LOCAL_BASE_IMAGE], check=False).returncode == 0:
                patch.setenv("CONTAINER_BASE_IMAGE", LOCAL_BASE_IMAGE)
        yield Engine(command, {k: v for k, v in os.environ.items()
                               if k.startswith(("DOCKER_", "CONTAINER_", "TESTCONTAINERS_"))})
    finally:
        patch.undo()
        if service is not None:
            service.terminate()
            service.wait(timeout=30)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def image(engine: Engine) -> str:
    """The image of the current sources (built now unless it exists); also ``mockkpr:latest``."""
    result = subprocess.run([str(BUILD)], capture_output=True, text=True, check=False,
                            env={**os.environ, "CONTAINER_ENGINE": engine.command},
                            timeout=BUILD_TIMEOUT_S)
    if result.returncode != 0:
        pytest.fail(f"docker/build.sh failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result.stdout.strip().splitlines()[-1]
