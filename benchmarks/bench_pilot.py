"""Pilot send of a 1 MB annual file: round trip and where its time goes.

Run from the repository root, on a machine with nothing else running if the figures matter::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_pilot.py --sends 30

Starts ``mockkpr serve`` as its own process on this machine and sends a 1 MB valid annual 2019
file ``--sends`` times with the reference sender (:class:`~mockkpr.client.KprClient`, TLS +
SASL PLAIN, what ``mockkpr send`` does), each time from wrapping the document in a MsgHead
until the AppRec is decrypted, verified and read. Reports the median (p50) and p99 round trip
and, per send, a split into stages:

- ``client_build``: the MsgHead around the document (``KprClient.envelope``);
- ``client_protect``: sign and encrypt (CMS);
- ``server``: the endpoint's processing as its journal records it, from the message's arrival
  (``received_at``) to its answer being decided (``answered_at``): decrypt, verify, MsgHead,
  validation, AppRec;
- ``transport_and_journal``: the rest of the wait for the answer: 1 MB over TLS to the
  endpoint, the journal's write, the AppRec back;
- ``client_open``: decrypt and verify the AppRec and read it.

Writes ``benchmarks/results/pilot.json`` (figures in seconds, with the command, the machine's
load average before and after, and the medians of each stage) and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.endpoint import BERGEN, annual_document, serve, stop
from mockkpr import __version__
from mockkpr.client import KprClient
from mockkpr.envelope import AppRecInfo, Status
from mockkpr.registry import load_registry

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "pilot.json"
COMMAND = "PYTHONPATH=. .venv/bin/python benchmarks/bench_pilot.py"
STAGES = ("client_build", "client_protect", "server", "transport_and_journal", "client_open")


class TimedClient(KprClient):
    """The reference sender, unchanged, with a stopwatch on its own steps."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.laps: dict[str, float] = {}

    def envelope(self, document: bytes, *, msg_type: str | None = None, ack: bool = True,
                 msg_id: str | None = None) -> tuple[bytes, str, str]:
        started = time.perf_counter()
        try:
            return super().envelope(document, msg_type=msg_type, ack=ack, msg_id=msg_id)
        finally:
            self.laps["client_build"] = time.perf_counter() - started

    def protect(self, payload: bytes) -> bytes:
        started = time.perf_counter()
        try:
            return super().protect(payload)
        finally:
            self.laps["client_protect"] = time.perf_counter() - started

    def open_apprec(self, body: bytes) -> AppRecInfo:
        started = time.perf_counter()
        try:
            return super().open_apprec(body)
        finally:
            self.laps["client_open"] = time.perf_counter() - started


def server_seconds(control: httpx.Client, message_id: str) -> float:
    """``answered_at - received_at`` of the message's journal entry (control API)."""
    entry = control.get(f"/api/messages/{message_id}").json()
    received = datetime.fromisoformat(entry["received_at"])
    answered = datetime.fromisoformat(entry["answered_at"])
    return (answered - received).total_seconds()


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (``share`` in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run(sends: int, size: int) -> dict[str, Any]:
    """Start ``mockkpr serve``, send the document ``sends`` times (after one warm-up)."""
    document = annual_document(size)
    rounds: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="mockkpr-pilot-") as tmp:
        served = serve(Path(tmp) / "endpoint")
        try:
            registry = load_registry(Path(tmp) / "endpoint" / "pki" / "registry.yaml")
            client = TimedClient(f"{served.amqps}/NHNTESTServiceBus", registry, BERGEN)
            with client, httpx.Client(base_url=served.control, timeout=30) as control:
                for number in range(sends + 1):
                    client.laps.clear()
                    started = time.perf_counter()
                    answer = client.send_and_wait(document, timeout=120)
                    total = time.perf_counter() - started
                    if answer.kind != "apprec" or answer.status is not Status.OK:
                        raise RuntimeError(f"pilot send not accepted: {answer}")
                    if number == 0:
                        continue  # warm-up: schemas, connections, first journal writes
                    laps = dict(client.laps, total=total)
                    laps["server"] = server_seconds(control, answer.sent.message_id)
                    laps["transport_and_journal"] = total - sum(
                        laps[s] for s in STAGES if s != "transport_and_journal")
                    rounds.append(laps)
        finally:
            stop(served)
    totals = [r["total"] for r in rounds]
    return {
        "document_bytes": len(document),
        "sends": sends,
        "p50_s": round(statistics.median(totals), 4),
        "p99_s": round(percentile(totals, 0.99), 4),
        "mean_s": round(statistics.fmean(totals), 4),
        "min_s": round(min(totals), 4),
        "max_s": round(max(totals), 4),
        "stages_p50_s": {s: round(statistics.median(r[s] for r in rounds), 4) for s in STAGES},
        "rounds_s": [{k: round(v, 4) for k, v in r.items()} for r in rounds],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=30)
    parser.add_argument("--bytes", type=int, default=1_000_000, help="document size")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "command": f"{COMMAND} --sends {args.sends}"
                   + (f" --bytes {args.bytes}" if args.bytes != 1_000_000 else ""),
        "mockkpr_version": __version__, "python": platform.python_version(),
        "cpus": os.cpu_count(), "load_average_before": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "what": "KprClient (TLS + SASL PLAIN) to `mockkpr serve` on the same machine, from "
                "wrapping the document until the AppRec is decrypted and verified",
    }
    results["pilot_1mb"] = run(args.sends, args.bytes)
    results["load_average_after"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    summary = {k: v for k, v in results["pilot_1mb"].items() if k != "rounds_s"}
    print(json.dumps({**results, "pilot_1mb": summary}, indent=2))


if __name__ == "__main__":
    main()
