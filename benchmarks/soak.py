"""Soak benchmark: ``mockkpr serve`` under hostile load keeps its memory and disk bounded.

Run from the repository root::

    PYTHONPATH=. python benchmarks/soak.py [--connections 10000] [--groups 10000]
        [--group-bytes 1000000000] [--pipe-bytes 1200000000]
        [--skip connections,groups,big,logins,pipe]

Each phase starts its own ``mockkpr serve`` process (fresh data directory, the default test
PKI) and samples its resident memory (``VmRSS``; ``VmHWM`` is the peak) and the journal's
files on disk:

- **connections**: short TLS connections (raw AMQP: TLS, SASL PLAIN, half with a wrong
  password, open and close when logged in), from 8 threads; memory after every 1,000. Before
  issue 18 each connection's transport, TLS state and buffers lived for the whole handshake
  timeout: +30-80 MB per 1,000;
- **open groups**: one sender opens split messages (the first of two 1 KiB parts each) that
  never complete, with ``MOCKKPR_MAX_OPEN_GROUPS`` raised to hold them all; memory and disk
  while they wait, then after they expire (``MOCKKPR_GROUP_TIMEOUT``) with a transport error
  each and the error queue is read. With the default bound (100) the same run stores 100;
- **big group**: one group of ``--group-bytes`` in 16 MiB parts (not a CMS structure: answered
  ``transport:invalid-certificate`` once reassembled), then one declaring 2 GB, which is
  refused at its first part; peak memory and disk, and both after the answer;
- **logins**: 1,000 failed logins with the default throttle: how many had their password
  checked;
- **pipe**: ``mockkpr validate -`` fed ``--pipe-bytes`` (1.2 GB) through standard input: read
  once as it streams, with the validator's peak memory.

Writes ``benchmarks/results/soak.json`` and prints it. The machine is shared: figures are
noisy; the load average is recorded with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from proton import Message
from proton.handlers import MessagingHandler
from proton.reactor import Container

from mockkpr import __version__
from mockkpr.client import KprClient
from mockkpr.endpoint import tls
from mockkpr.registry import load_registry
from mockkpr.service.messages import CMS_CONTENT_TYPE
from tests.endpoint.rawamqp import OUTCOME_OK, RawConnection

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "soak.json"
KPR, OSLO = 131725, 12345
MB = 1 << 20


# ------------------------------------------------------------------ the server and its figures
@dataclass
class Served:
    """A running ``mockkpr serve``: its process, URLs, data directory and log."""

    process: subprocess.Popen[bytes]
    amqps: str
    control: str
    data: Path
    log: Path

    @property
    def port(self) -> int:
        return int(self.amqps.rsplit(":", 1)[1])

    def status(self, field_name: str) -> float:
        """A ``/proc/PID/status`` figure in MB (``VmRSS``, ``VmHWM``)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
        raise KeyError(field_name)

    def rss(self) -> float:
        return round(self.status("VmRSS"), 1)

    def disk(self) -> float:
        """MB of the journal's files (database and WAL)."""
        files = self.data.glob("journal.sqlite3*")
        return round(sum(f.stat().st_size for f in files if f.is_file()) / MB, 1)


@contextmanager
def serve(work: Path, name: str, **settings: str) -> Iterator[Served]:
    """``python -m mockkpr serve`` on free ports with ``MOCKKPR_*`` ``settings``."""
    data = work / name
    log = work / f"{name}.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MOCKKPR_LOG_LEVEL": "INFO",
           "MOCKKPR_LOG_FORMAT": "json",
           **{f"MOCKKPR_{key.upper()}": value for key, value in settings.items()}}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockkpr", "serve", "--data-dir", str(data), "--port", "0",
             "--control-port", "0"], stdout=output, stderr=output, env=env)
    try:
        amqps = control = None
        while amqps is None or control is None:
            if process.poll() is not None:
                raise RuntimeError(f"mockkpr serve ended: {log.read_text()[-2000:]}")
            text = log.read_text(errors="replace")
            amqps = (m := re.search(r"listening on (amqps://\S+)", text)) and m.group(1)
            control = (m := re.search(r"control API (http://\S+)", text)) and m.group(1)
            time.sleep(0.01)
        while httpx.get(f"{control}/readyz", timeout=5).status_code != 200:
            time.sleep(0.01)
        yield Served(process, amqps, control, data, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Sampler:
    """Samples ``measure()`` every ``every`` seconds in a thread; keeps the largest."""

    def __init__(self, measure: Callable[[], float], every: float = 0.2) -> None:
        self.measure, self.every = measure, every
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with suppress(OSError, KeyError):
                self.peak = max(self.peak, self.measure())
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        with suppress(OSError, KeyError):
            self.peak = max(self.peak, self.measure())


def log_events(served: Served, event: str) -> list[dict[str, Any]]:
    """The server's log lines (JSON) of one event."""
    found = []
    for line in served.log.read_text(errors="replace").splitlines():
        if f'"event": "{event}"' in line or f'"event":"{event}"' in line:
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return found


def account(served: Served, her_id: int = OSLO) -> tuple[str, str]:
    sasl = load_registry(served.data / "pki" / "registry.yaml").party(her_id).sasl
    assert sasl is not None
    return sasl.user, sasl.password


# ------------------------------------------------------------------ phase: connections
def connections(work: Path, count: int) -> dict[str, Any]:
    with serve(work, "connections", login_failures_per_minute="0") as served:
        user, password = account(served)
        ca = served.data / "pki" / "ca" / "ca-cert.pem"
        outcomes = {"logged_in": 0, "refused": 0}
        lock = threading.Lock()

        def once(i: int) -> None:
            with RawConnection.open_socket(served.port, ca=ca) as raw:
                ok = raw.sasl_plain(user, password if i % 2 else "wrong") == OUTCOME_OK
                if ok:
                    raw.open_and_close()
            with lock:
                outcomes["logged_in" if ok else "refused"] += 1

        once(1)
        time.sleep(1)
        samples = [{"connections": 0, "rss_mb": served.rss()}]
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            for done in range(0, count, 1000):
                list(pool.map(once, range(done, min(done + 1000, count))))
                samples.append({"connections": min(done + 1000, count), "rss_mb": served.rss(),
                                "seconds": round(time.perf_counter() - started, 1)})
        time.sleep(2)
        after = served.rss()
        half = [s["rss_mb"] for s in samples if s["connections"] >= count // 2]
        return {
            "connections": count, "outcomes": outcomes, "threads": 8,
            "rss_mb": samples, "rss_after_2s_mb": after,
            "rss_growth_second_half_mb": round(max(half) - min(half), 1) if half else None,
            "rss_growth_total_mb": round(after - samples[0]["rss_mb"], 1),
            "peak_rss_mb": round(served.status("VmHWM"), 1),
        }


# ------------------------------------------------------------------ phase: open groups
class Pump(MessagingHandler):
    """Sends messages pipelined on one TLS connection (and reads a queue dry when asked)."""

    def __init__(self, url: str, ca: Path, user: str, password: str, messages: list[Message],
                 *, drain: str | None = None, expect: int = 0) -> None:
        super().__init__(prefetch=200, auto_settle=True)
        self.url, self.ca, self.user, self.password = url, ca, user, password
        self.pending, self.total = list(messages), len(messages)
        self.settled = 0
        self.outcomes: dict[str, int] = {}
        self.drain, self.expect = drain, expect
        self.received = 0

    def on_start(self, event: Any) -> None:
        connection = event.container.connect(
            self.url, user=self.user, password=self.password, allowed_mechs="PLAIN",
            ssl_domain=tls.client_domain(self.ca), reconnect=False)
        if self.pending:
            event.container.create_sender(connection, f"/exchange/NHNTESTServiceBus/{KPR}_async")
        if self.drain:
            event.container.create_receiver(connection, f"/amq/queue/{self.drain}")

    def on_sendable(self, event: Any) -> None:
        while self.pending and event.sender.credit:
            event.sender.send(self.pending.pop(0))

    def _outcome(self, event: Any, name: str) -> None:
        self.outcomes[name] = self.outcomes.get(name, 0) + 1
        self.settled += 1
        self._maybe_done(event)

    def on_accepted(self, event: Any) -> None:
        self._outcome(event, "accepted")

    def on_rejected(self, event: Any) -> None:
        self._outcome(event, "rejected")

    def on_released(self, event: Any) -> None:
        self._outcome(event, "released")

    def on_message(self, event: Any) -> None:
        self.received += 1
        self._maybe_done(event)

    def _maybe_done(self, event: Any) -> None:
        if self.settled >= self.total and self.received >= self.expect:
            event.connection.close()

    def on_transport_closed(self, event: Any) -> None:
        event.container.stop()

    def run(self) -> Pump:
        Container(self).run()
        return self


def group_parts(client: KprClient, count: int) -> list[Message]:
    """The first part of ``count`` two-part groups (1 KiB of noise each) of 12345."""
    properties = client.properties()
    return [client.part_message(os.urandom(1024), message_id=str(uuid.uuid4()), sequence=0,
                                parts=2, subject="KPR_IPL", properties=properties,
                                content_type=CMS_CONTENT_TYPE) for _ in range(count)]


def open_groups(work: Path, count: int, timeout: float) -> dict[str, Any]:
    result: dict[str, Any] = {"groups": count, "group_timeout_s": timeout}
    with serve(work, "groups", max_open_groups=str(count * 2),
               group_timeout=str(timeout)) as served:
        registry = load_registry(served.data / "pki" / "registry.yaml")
        client = KprClient(served.amqps, registry, OSLO)
        user, password = account(served)
        ca = registry.ca_path
        before = {"rss_mb": served.rss(), "disk_mb": served.disk()}
        messages = group_parts(client, count)
        started = time.perf_counter()
        with Sampler(served.rss) as rss, Sampler(served.disk, 1.0) as disk:
            pump = Pump(served.amqps, ca, user, password, messages).run()
            stored = time.perf_counter() - started
            held = {"rss_mb": served.rss(), "disk_mb": served.disk()}
            deadline = time.monotonic() + timeout + 600
            while len(log_events(served, "message.group_expired")) < count:
                if time.monotonic() > deadline:
                    break
                time.sleep(1)
            expired_at = time.perf_counter() - started
            drained = Pump(served.amqps, ca, user, password, [], drain=f"{OSLO}_error",
                           expect=count).run()
            time.sleep(2)
        result.update({
            "outcomes": pump.outcomes, "store_seconds": round(stored, 1),
            "before": before, "while_open": held,
            "expired": len(log_events(served, "message.group_expired")),
            "expired_after_s": round(expired_at, 1),
            "errors_read": drained.received,
            "after_expiry_and_read": {"rss_mb": served.rss(), "disk_mb": served.disk()},
            "peak": {"rss_mb": round(rss.peak, 1), "disk_mb": round(disk.peak, 1)},
        })
    with serve(work, "groups-default") as served:  # MOCKKPR_MAX_OPEN_GROUPS=100
        registry = load_registry(served.data / "pki" / "registry.yaml")
        client = KprClient(served.amqps, registry, OSLO)
        user, password = account(served)
        pump = Pump(served.amqps, registry.ca_path, user, password,
                    group_parts(client, count)).run()
        time.sleep(1)
        refused = log_events(served, "message.group_refused")
        result["default_bound"] = {
            "max_open_groups": 100, "outcomes": pump.outcomes, "refused": len(refused),
            "rss_mb": served.rss(), "disk_mb": served.disk()}
    return result


# ------------------------------------------------------------------ phase: a big group
def send_group(client: KprClient, total: int, part_bytes: int, *, only_first: bool = False
               ) -> tuple[str, float]:
    """Send a group of ``total`` bytes of noise in ``part_bytes`` parts, one after another
    (each made just before it is sent); the group-id and the seconds it took."""
    group_id = str(uuid.uuid4())
    parts = -(-total // part_bytes)
    properties = client.properties()
    started = time.perf_counter()
    for sequence in range(1 if only_first else parts):
        size = min(part_bytes, total - sequence * part_bytes)
        message = client.part_message(os.urandom(size), message_id=group_id,
                                      sequence=sequence, parts=parts, subject="KPR_IPL",
                                      properties=properties, content_type=CMS_CONTENT_TYPE)
        client.bus.transfer(message, time.monotonic() + 600)
    return group_id, time.perf_counter() - started


def big_group(work: Path, size: int) -> dict[str, Any]:
    part = 16 * MB
    with serve(work, "big") as served:
        registry = load_registry(served.data / "pki" / "registry.yaml")
        before = {"rss_mb": served.rss(), "disk_mb": served.disk()}
        with KprClient(served.amqps, registry, OSLO, connect_timeout=30) as client, \
                Sampler(served.rss, 0.1) as rss, Sampler(served.disk, 0.2) as disk:
            group_id, seconds = send_group(client, size, part)
            answer = client.wait_answer(
                client_sent(group_id), timeout=600)
            answered_rss, answered_disk = served.rss(), served.disk()
            time.sleep(2)
        big = {
            "bytes": size, "part_bytes": part, "parts": -(-size // part),
            "send_seconds": round(seconds, 1), "answer": answer.error_condition or answer.kind,
            "answer_description": answer.error_description,
            "before": before, "peak": {"rss_mb": round(rss.peak, 1),
                                       "vmhwm_mb": round(served.status("VmHWM"), 1),
                                       "disk_mb": round(disk.peak, 1)},
            "at_answer": {"rss_mb": answered_rss, "disk_mb": answered_disk},
            "after_2s": {"rss_mb": served.rss(), "disk_mb": served.disk()},
        }
        with KprClient(served.amqps, registry, OSLO, connect_timeout=30) as client, \
                Sampler(served.disk, 0.2) as disk:
            declared = 2_000_000_000
            group_id, seconds = send_group(client, declared, part, only_first=True)
            refusal = client.wait_answer(client_sent(group_id), timeout=60)
        too_big = {"declared_bytes": declared, "parts_sent": 1,
                   "answer": refusal.error_condition, "data": list(refusal.error_data),
                   "disk_peak_mb": round(disk.peak, 1), "disk_after_mb": served.disk()}
    return {"group": big, "declared_too_large": too_big}


def client_sent(group_id: str) -> Any:
    from mockkpr.client import SentMessage

    return SentMessage(group_id, "", "KPR_IPL", 0, 0, time.monotonic())


# ------------------------------------------------------------------ phase: logins
def logins(work: Path, count: int) -> dict[str, Any]:
    with serve(work, "logins") as served:  # the default throttle
        user, _ = account(served)
        ca = served.data / "pki" / "ca" / "ca-cert.pem"
        started = time.perf_counter()

        def once(i: int) -> int | None:
            with RawConnection.open_socket(served.port, ca=ca) as raw:
                return raw.sasl_plain(user, f"guess-{i}")

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(once, range(count)))
        seconds = time.perf_counter() - started
        time.sleep(1)
        refused = log_events(served, "sasl.login_refused")
        checked = sum(1 for e in refused if e.get("reason") == "user name or password not accepted")
        return {"failed_logins": count, "seconds": round(seconds, 1),
                "refused": sum(1 for o in outcomes if o != OUTCOME_OK),
                "passwords_checked": checked, "refused_unchecked": len(refused) - checked,
                "login_failures_per_minute": 30}


# ------------------------------------------------------------------ phase: validate a pipe
def validate_pipe(size: int) -> dict[str, Any]:
    """``mockkpr validate -`` fed ``size`` bytes through a pipe (an annual file whose persons
    repeat: findings, capped, but read to the end; the payload limit raised to 2 GiB so that
    all of it is read); the validator's peak memory."""
    annual = (ROOT / "fixtures" / "valid" / "iplos-2019.xml").read_bytes()
    head, rest = annual.split(b"<PERSON ", 1)
    persons, tail = rest.rsplit(b"</IPLOS>", 1)
    chunk = (b"<PERSON " + persons) * max(1, (4 * MB) // (len(persons) + 8))
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockkpr", "validate", "--format", "json", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT), "MOCKKPR_MAX_PAYLOAD_BYTES": str(2 << 30)})
    status = Path(f"/proc/{process.pid}/status")
    written = [0]

    def rss() -> float:
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise KeyError("VmRSS")

    def feed() -> None:  # its own thread: the report is read meanwhile
        assert process.stdin is not None
        with suppress(BrokenPipeError), process.stdin:
            process.stdin.write(head)
            written[0] = len(head)
            while written[0] < size:
                process.stdin.write(chunk)
                written[0] += len(chunk)
            process.stdin.write(b"</IPLOS>" + tail)

    writer = threading.Thread(target=feed)
    with Sampler(rss, 0.1) as peak:
        writer.start()
        out = process.stdout.read() if process.stdout else b""
        writer.join()
        process.wait()
    report = json.loads(out)["reports"][0]
    return {"bytes": written[0], "seconds": round(time.perf_counter() - started, 1),
            "rows": report["rows"]["total"], "exit_code": process.returncode,
            "peak_rss_mb": round(peak.peak, 1)}


# ------------------------------------------------------------------ main
@dataclass
class Options:
    connections: int = 10_000
    groups: int = 10_000
    group_bytes: int = 1_000_000_000
    group_timeout: float = 60.0
    pipe_bytes: int = 1_200_000_000
    skip: set[str] = field(default_factory=set)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--group-bytes", type=int, default=1_000_000_000)
    parser.add_argument("--group-timeout", type=float, default=60.0)
    parser.add_argument("--pipe-bytes", type=int, default=1_200_000_000)
    parser.add_argument("--skip", default="", help="comma-separated phases to leave out "
                        "(connections, groups, big, logins, pipe)")
    args = parser.parse_args()
    options = Options(args.connections, args.groups, args.group_bytes, args.group_timeout,
                      args.pipe_bytes, {s for s in args.skip.split(",") if s})
    results: dict[str, Any] = {
        "mockkpr": __version__, "python": platform.python_version(),
        "machine": f"{os.cpu_count()} CPUs, shared with other jobs",
        "load_average_before": list(os.getloadavg()),
        "command": "PYTHONPATH=. python benchmarks/soak.py " + " ".join(sys.argv[1:]),
    }
    with tempfile.TemporaryDirectory(prefix="mockkpr-soak-") as tmp:
        work = Path(tmp)
        if "connections" not in options.skip:
            results["connections"] = connections(work, options.connections)
            print(json.dumps(results["connections"], indent=1), flush=True)
        if "groups" not in options.skip:
            results["open_groups"] = open_groups(work, options.groups, options.group_timeout)
            print(json.dumps(results["open_groups"], indent=1), flush=True)
        if "big" not in options.skip:
            results["big_group"] = big_group(work, options.group_bytes)
            print(json.dumps(results["big_group"], indent=1), flush=True)
        if "logins" not in options.skip:
            results["logins"] = logins(work, 1000)
            print(json.dumps(results["logins"], indent=1), flush=True)
        if "pipe" not in options.skip:
            results["validate_pipe"] = validate_pipe(options.pipe_bytes)
            print(json.dumps(results["validate_pipe"], indent=1), flush=True)
    results["load_average_after"] = list(os.getloadavg())
    if options.skip and RESULTS.exists():  # a partial run keeps the other phases' figures
        earlier = json.loads(RESULTS.read_text(encoding="utf-8"))
        keys = ("command", "load_average_before", "load_average_after")
        runs = earlier.pop("runs", None) or [{k: earlier.get(k) for k in keys}]
        runs.append({k: results[k] for k in keys})
        results = {**earlier, **results, "runs": runs}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
