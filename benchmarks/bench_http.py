"""Benchmarks of the HTTP submission route (``mockkpr serve --http-port``).

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_http.py [--submissions 200] [--clients 10]

Measures, against ``mockkpr serve`` running as its own process on this machine (TLS, the
default test PKI of a first start):

- **token**: a token request with a fresh private_key_jwt assertion (RS256), median and p99;
- **submission round trip**: one client, one 56.0.0 event message at a time, signed and
  encrypted beforehand, until the 200 with its refId (decrypted, verified, validated as part
  of the sender's event stream and journaled); median and p99. It is the same document each
  time under a new messageId: the first is accepted, the others are judged against the stream
  (their GUIDs repeat), which is the same work;
- **throughput**: ``--clients`` threads, each with its own connection, sending the same number
  of such submissions; submissions per second from the first send to the last answer.

Writes ``benchmarks/results/http.json`` and prints it. Timing figures depend on the machine and
its load; the load average is recorded with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from mockkpr import __version__
from mockkpr.client.kneik import KneikClient
from mockkpr.registry import load_registry

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "http.json"
EVENT = (ROOT / "fixtures" / "valid" / "iplos-56.xml").read_bytes()
KPR, OSLO = 131725, 12345


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _summary(seconds: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(seconds) * 1000, 2),
            "p99_ms": round(_percentile(seconds, 0.99) * 1000, 2), "n": len(seconds)}


def _serve(data_dir: Path) -> tuple[subprocess.Popen[str], str, str]:
    env = {**os.environ, "MOCKKPR_DATA_DIR": str(data_dir), "MOCKKPR_AMQPS_PORT": "0",
           "MOCKKPR_CONTROL_PORT": "0", "MOCKKPR_HTTP_PORT": "0", "MOCKKPR_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "mockkpr", "serve"], env=env,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert process.stderr is not None
    http = control = None
    deadline = time.monotonic() + 60
    while (http is None or control is None) and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        found = re.search(r"HTTP API (https://\S+)/messages", line)
        http = found.group(1) if found else http
        found = re.search(r"control API (http://\S+) ", line)
        control = found.group(1) if found else control
    if http is None or control is None:
        process.kill()
        raise SystemExit("mockkpr serve did not start with its HTTP API")
    threading.Thread(target=process.stderr.read, daemon=True).start()  # keep the pipe empty
    return process, http, control


def _bodies(client: KneikClient, count: int) -> list[bytes]:
    return [json.dumps(client.body(EVENT, str(uuid.uuid4()))).encode() for _ in range(count)]


def _post(http: httpx.Client, url: str, token: str, body: bytes) -> float:
    started = time.perf_counter()
    response = http.post(url, content=body, headers={"Authorization": f"Bearer {token}",
                                                     "Content-Type": "application/json"})
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"submission answered {response.status_code}: {response.text}")
    return elapsed


def run(submissions: int, clients: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="mockkpr-bench-http-") as tmp:
        process, base, control = _serve(Path(tmp))
        try:
            registry = load_registry(Path(tmp) / "pki" / "registry.yaml")
            tls = ssl.create_default_context(cafile=str(registry.ca_path))
            with KneikClient(base, registry, OSLO, to_her_id=KPR) as client:
                endpoint = client.token_endpoint()
                token_times = []
                for _ in range(50):
                    started = time.perf_counter()
                    client.token(time.monotonic() + 30, fresh=True)
                    token_times.append(time.perf_counter() - started)
                token = client.token(time.monotonic() + 30)
                singles = _bodies(client, submissions)
                batches = [_bodies(client, submissions // clients) for _ in range(clients)]
            url = f"{base}/messages"
            with httpx.Client(verify=tls, timeout=60) as http:
                round_trips = [_post(http, url, token, body) for body in singles]

            def worker(bodies: list[bytes]) -> None:
                with httpx.Client(verify=tls, timeout=120) as http:
                    for body in bodies:
                        _post(http, url, token, body)

            threads = [threading.Thread(target=worker, args=(batch,)) for batch in batches]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            sent = sum(len(batch) for batch in batches)
            count = int(httpx.get(f"{control}/api/messages").headers["X-Total-Count"])
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    return {
        "benchmark": "http", "mockkpr": __version__, "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "load_average": list(os.getloadavg())},
        "token_endpoint": endpoint.split("//")[1].split("/", 1)[1],
        "token": _summary(token_times),
        "submission_round_trip": {**_summary(round_trips), "document_bytes": len(EVENT)},
        "throughput": {"clients": clients, "submissions": sent,
                       "seconds": round(elapsed, 3),
                       "per_second": round(sent / elapsed, 1)},
        "journal_entries": count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--clients", type=int, default=10)
    args = parser.parse_args()
    result = run(args.submissions, args.clients)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
