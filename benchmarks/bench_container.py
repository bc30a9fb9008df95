"""Image size and time to ready of the mockkpr container image.

Run: ``python benchmarks/bench_container.py [--runs N]`` (a Docker engine, or podman; on
machines without Docker source docker/ci-engine.sh's environment first). Builds the image with
docker/build.sh (nothing is built when the image of the current sources exists), then starts
fresh containers N times and measures from ``run`` until ``GET /readyz`` answers 200: a first
start, which creates the test PKI. Then one restart of a stopped container, whose PKI exists.
Writes ``benchmarks/results/container.json``; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "container.json"
TARGET_SIZE_MB = 250
TARGET_READY_S = 3.0


def _engine() -> str:
    named = os.environ.get("CONTAINER_ENGINE")
    if named:
        return named
    docker = subprocess.run(["docker", "info"], capture_output=True, check=False)
    return "docker" if docker.returncode == 0 else "podman"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, started: float, timeout: float = 60.0) -> float:
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{url} not ready within {timeout} s")


def _run(engine: str, *args: str) -> str:
    return subprocess.run([engine, *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    engine = _engine()
    started = time.perf_counter()
    image = subprocess.run([str(ROOT / "docker" / "build.sh")], capture_output=True, text=True,
                           check=True, env={**os.environ, "CONTAINER_ENGINE": engine}
                           ).stdout.strip().splitlines()[-1]
    build_s = time.perf_counter() - started
    size = int(_run(engine, "image", "inspect", "--format", "{{.Size}}", image))

    first: list[float] = []
    restart_s = None
    for run in range(args.runs):
        port = _free_port()
        started = time.perf_counter()
        container = _run(engine, "run", "-d", "-p", f"127.0.0.1:{port}:8080", image)
        try:
            first.append(_wait_ready(f"http://127.0.0.1:{port}/readyz", started))
            if run == args.runs - 1:
                _run(engine, "stop", "-t", "10", container)
                started = time.perf_counter()
                _run(engine, "start", container)
                restart_s = _wait_ready(f"http://127.0.0.1:{port}/readyz", started)
        finally:
            _run(engine, "rm", "-f", "-v", container)

    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "system": platform.platform()},
        "engine": engine,
        "image": image,
        "base_image": os.environ.get("CONTAINER_BASE_IMAGE", "debian:bookworm-slim"),
        "build_or_reuse_s": round(build_s, 2),
        "size_bytes": size,
        "size_mb": round(size / 1e6, 1),
        "target_size_mb": TARGET_SIZE_MB,
        "ready_first_start_s": [round(t, 3) for t in first],
        "ready_first_start_median_s": round(statistics.median(first), 3),
        "ready_restart_s": None if restart_s is None else round(restart_s, 3),
        "target_ready_s": TARGET_READY_S,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
