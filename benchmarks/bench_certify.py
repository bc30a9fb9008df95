"""How long a whole certification takes: the suite with the in-process reference sender.

    .venv/bin/python benchmarks/bench_certify.py [--repeat 1]

Starts an in-process endpoint (test PKI in a temporary directory), runs every case of each
route with :func:`mockkpr.conformance.senders.reference_sender` (AMQP) and
:func:`~mockkpr.conformance.senders.reference_http_sender` (HTTP) and records the wall time
of the whole run and of each executed run (cases share runs), the case counts, and how long the
outputs (JUnit, summary with root causes and coverage, HTML, signed bundle) take to write.
Results go to ``benchmarks/results/certify.json`` and are printed. There is no target: the
figure keeps the CI time of the conformance tests in view (the reference test runs this).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "certify.json"


def once(workdir: Path, route: str) -> dict[str, Any]:
    """One full certification of ``route`` and its outputs, timed."""
    from mockkpr.cli.certify import write_outputs
    from mockkpr.conformance import senders
    from mockkpr.conformance.cases import select
    from mockkpr.conformance.drivers import InProcessDriver
    from mockkpr.conformance.harness import Harness
    from mockkpr.conformance.signing import ephemeral
    from mockkpr.endpoint.app import Endpoint
    from mockkpr.log import configure
    from mockkpr.settings import Settings

    settings = Settings(data_dir=workdir / "endpoint", amqps_port=0, control_port=0,
                        http_port=0 if route == "http" else None, scenario=None,
                        registry=None, database_url=None, log_level="ERROR")
    configure(settings)
    sender = senders.reference_http_sender() if route == "http" \
        else senders.reference_sender()
    with Endpoint(settings) as endpoint:
        harness = Harness(InProcessDriver(endpoint), sender, workdir / "work", timeout=10)
        started = time.perf_counter()
        certification = harness.certify(select(None, route))
        judged = time.perf_counter() - started
        started = time.perf_counter()
        write_outputs(certification, ephemeral(), workdir / "out")
        written = time.perf_counter() - started
    return {"route": route, "seconds": round(judged, 2), "outputs_seconds": round(written, 2),
            "exit_code": certification.exit_code, "counts": certification.counts(),
            "runs": {name: round(e.seconds, 2)
                     for name, e in sorted(certification.executions.items(),
                                           key=lambda item: -item[1].seconds)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    results = []
    load = __import__("os").getloadavg()
    for _ in range(options.repeat):
        for route in ("amqp", "http"):
            with tempfile.TemporaryDirectory(prefix="mockkpr-bench-certify-") as directory:
                results.append(once(Path(directory), route))
    summary = {"benchmark": "certify", "python": sys.version.split()[0],
               "machine": platform.machine(), "cpus": __import__("os").cpu_count(),
               "load_average_before": [round(x, 2) for x in load],
               "note": "in-process reference senders (mockkpr send, mockkpr send --http), "
                       "every case of each route; a shared 2-core machine",
               "results": results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
