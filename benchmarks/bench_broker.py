"""Round trips per second in broker mode: one and two ``mockkpr serve --broker`` processes.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_broker.py [--messages 400] [--window 50]
        [--only broker_1,broker_2] [--profile DIR]

Starts a private RabbitMQ 3.10 node and a throw-away PostgreSQL cluster (as the tests do,
``tests/services``), declares the registry's topology (``broker setup``), then measures, each
time with fresh queues and a fresh journal database:

- ``embedded``: ``mockkpr serve`` (embedded broker, SQLite journal), for comparison by the same
  method (benchmarks/results/endpoint.json has the embedded endpoint's own benchmark);
- ``broker_1_sqlite``: one ``mockkpr serve --broker`` process, default SQLite journal;
- ``broker_1``: one ``mockkpr serve --broker`` process, PostgreSQL journal;
- ``broker_2``: two of them consuming the same queue, sharing the PostgreSQL journal.

A round trip: a 1 KB identity document (KPR_IDE), wrapped, signed and encrypted beforehand,
sent over TLS by one sender that keeps ``window`` messages outstanding, until its AppRec
(signed and encrypted by mockkpr) has arrived on ``12345_async``. Every message is
decrypted, verified, validated, journaled and answered.

Each measured run also records where the machine's CPU went meanwhile (``/proc``): mockkpr,
RabbitMQ (the node's process tree), PostgreSQL (the postmaster's tree), this client, and the
whole machine (``others``: whatever else ran, and kernel work charged to no process), per
message and as cores busy; and the PostgreSQL transactions per message (``pg_stat_database``,
with the pool's pre-ping queries). ``scaling`` compares two consumers with one, beside the
most two could answer on this machine's cores at the CPU cost per message measured in that
run (the consumers share the cores with RabbitMQ, PostgreSQL and the sender). ``--profile
DIR`` records the mockkpr processes with py-spy (raw stacks; such a run's figures are not
comparable). ``MOCKKPR_*`` variables in the environment reach the mockkpr processes
(``MOCKKPR_WORKERS=4``, say).

Writes ``benchmarks/results/broker.json`` (only a run of all four, without ``--profile``) and
prints it. Nothing is asserted; the figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pika
import sqlalchemy as sa
from proton import Message
from proton.handlers import MessagingHandler
from proton.reactor import Container

from mockkpr.brokermode.setup import TopologyPlan, apply_users, declare, plan_topology
from mockkpr.client.sender import KprClient
from mockkpr.endpoint import tls
from mockkpr.endpoint.app import DEFAULT_PARTIES, DEFAULT_PASSWORDS
from mockkpr.pki import create_test_pki
from mockkpr.registry import Registry, load_registry
from mockkpr.service.messages import CMS_CONTENT_TYPE
from tests.services import postgres
from tests.services.rabbitmq import ADMIN_PASSWORD, ADMIN_USER, RabbitNode, free_port

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "broker.json"
DOCUMENT = (ROOT / "fixtures" / "valid" / "kpr-ide-1.xml").read_bytes()
EXCHANGE = "NHNTESTServiceBus"
WARM_UP = 20
RUNS = ("embedded", "broker_1_sqlite", "broker_1", "broker_2")


class RoundTrips(MessagingHandler):
    """Send pre-built requests keeping ``window`` outstanding; time each until its answer."""

    def __init__(self, url: str, registry: Registry, requests: list[Message],
                 window: int) -> None:
        super().__init__(prefetch=2 * window, auto_accept=True)
        self.url, self.registry, self.window = url, registry, window
        self.waiting = list(requests)
        self.sent_at: dict[str, float] = {}
        self.latencies: list[float] = []
        self.total = len(requests)
        self.sender: Any = None
        self.connection: Any = None
        self.started = self.finished = 0.0

    def on_start(self, event: Any) -> None:
        self.connection = event.container.connect(
            self.url, user="mockkpr-12345", password=DEFAULT_PASSWORDS[12345],
            allowed_mechs="PLAIN", ssl_domain=tls.client_domain(self.registry.ca_path),
            reconnect=False)
        self.sender = event.container.create_sender(
            self.connection, f"/exchange/{EXCHANGE}/131725_async")
        event.container.create_receiver(self.connection, "/amq/queue/12345_async")

    def _send(self) -> None:
        while self.waiting and len(self.sent_at) < self.window and self.sender.credit > 0:
            message = self.waiting.pop(0)
            self.sent_at[str(message.id)] = time.perf_counter()
            self.sender.send(message)

    def on_sendable(self, event: Any) -> None:
        if not self.started:
            self.started = time.perf_counter()
        self._send()

    def on_message(self, event: Any) -> None:
        sent = self.sent_at.pop(str(event.message.correlation_id), None)
        if sent is None:
            return
        self.latencies.append(time.perf_counter() - sent)
        if len(self.latencies) == self.total:
            self.finished = time.perf_counter()
            transport = self.connection.transport
            transport.close_tail()  # leave without a close frame (docs/broker-mode.md)
            transport.close_head()
            return
        self._send()

    def on_transport_closed(self, event: Any) -> None:
        event.container.stop()


# ------------------------------------------------------------------ CPU accounting (Linux)
@dataclass
class Snapshot:
    """CPU seconds so far: of each process (with reaped children) and of the machine."""

    #: pid -> (parent, command, own seconds, own and reaped children's seconds)
    processes: dict[int, tuple[int, str, float, float]]
    machine: float
    client: float
    wall: float

    @classmethod
    def take(cls) -> Snapshot:
        ticks = os.sysconf("SC_CLK_TCK")
        processes = {}
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                text = (proc / "stat").read_text()
            except OSError:
                continue
            fields = text.rsplit(")", 1)[1].split()
            processes[int(proc.name)] = (int(fields[1]), text[text.index("(") + 1:
                                                              text.rindex(")")],
                                         sum(int(f) for f in fields[11:13]) / ticks,
                                         sum(int(f) for f in fields[11:15]) / ticks)
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return cls(processes, (sum(values) - values[3] - values[4]) / ticks,
                   usage.ru_utime + usage.ru_stime, time.perf_counter())

    def tree(self, roots: list[int]) -> set[int]:
        """``roots`` and all their descendants."""
        children: dict[int, list[int]] = {}
        for pid, (parent, *_) in self.processes.items():
            children.setdefault(parent, []).append(pid)
        found: set[int] = set()
        todo = list(roots)
        while todo:
            pid = todo.pop()
            if pid not in found and pid in self.processes:
                found.add(pid)
                todo.extend(children.get(pid, []))
        return found


class CpuMeter:
    """CPU seconds used during a run by each party: mockkpr, RabbitMQ (the node's process
    tree), PostgreSQL (the postmaster's), this client, and the whole machine; ``others`` is
    what else was busy (other processes by name, their own time only, and the kernel's own
    work such as loopback networking, which no process is charged for)."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups

    def measure(self, before: Snapshot, after: Snapshot, messages: int) -> dict[str, Any]:
        used: dict[str, float] = {}
        ours: set[int] = {os.getpid()}
        for name, roots in self.groups.items():
            pids = after.tree(roots)
            ours |= pids
            used[name] = sum(after.processes[p][3] - (before.processes[p][3]
                                                      if p in before.processes else 0.0)
                             for p in pids)
        used["client"] = after.client - before.client
        wall = after.wall - before.wall
        machine = after.machine - before.machine
        elsewhere: dict[str, float] = {}
        for pid, (_, command, seconds, _) in after.processes.items():
            if pid in ours:
                continue
            earlier = before.processes.get(pid)
            spent = seconds - (earlier[2] if earlier and earlier[1] == command else 0.0)
            if spent > 0:
                elsewhere[command] = elsewhere.get(command, 0.0) + spent
        named = sorted(elsewhere.items(), key=lambda item: -item[1])[:4]
        rest = machine - sum(used.values())
        return {
            "cpu_seconds": {**{k: round(v, 2) for k, v in used.items()},
                            "others": round(max(0.0, rest), 2),
                            "others_by_process": {k: round(v, 2) for k, v in named},
                            "machine_busy": round(machine, 2),
                            "machine_capacity": round(wall * (os.cpu_count() or 1), 2)},
            "cpu_ms_per_message": {k: round(1000 * v / messages, 2) for k, v in used.items()},
            "cores_busy": round(machine / wall, 2),
        }


def requests(registry: Registry, count: int) -> list[Message]:
    """``count`` KPR_IDE messages from 12345, wrapped, signed and encrypted now."""
    client = KprClient("amqps://localhost/NHNTESTServiceBus", registry, 12345)
    built = []
    for _ in range(count):
        xml, msg_id, function = client.envelope(DOCUMENT, msg_type="KPR_IDE")
        built.append(Message(
            id=msg_id, correlation_id=msg_id, address="131725_async", reply_to="12345_async",
            subject=function, content_type=CMS_CONTENT_TYPE, properties=client.properties(),
            body=client.protect(xml), inferred=True))
    return built


def run_round_trips(url: str, registry: Registry, batch: list[Message],
                    window: int, meter: CpuMeter | None = None) -> dict[str, Any]:
    handler = RoundTrips(url, registry, batch, window)
    before = Snapshot.take()
    Container(handler).run()
    cpu = meter.measure(before, Snapshot.take(), len(batch)) if meter else {}
    elapsed = handler.finished - handler.started
    latencies = sorted(handler.latencies)
    return {**cpu,
        "messages": len(batch), "seconds": round(elapsed, 3),
        "round_trips_per_second": round(len(batch) / elapsed, 1),
        "latency_ms_median": round(statistics.median(latencies) * 1000, 1),
        "latency_ms_p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }


@contextmanager
def processes(commands: list[list[str]], envs: list[dict[str, str]],
              controls: list[int]) -> Iterator[list[int]]:
    """Start mockkpr processes, wait for every ``/readyz``, stop them (SIGTERM) at the end."""
    started = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for command, env in zip(commands, envs,
                                                                                   strict=True)]
    try:
        deadline = time.monotonic() + 60
        for port in controls:
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("mockkpr did not become ready")
                time.sleep(0.1)
        yield [process.pid for process in started]
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(30)


def scaling(one: dict[str, Any], two: dict[str, Any]) -> dict[str, Any]:
    """Two consumer processes against one, and the most two could do on this machine.

    Every party of a round trip runs on the same cores: at the CPU cost per message measured
    with two consumers, the machine answers at most ``cpus / (CPU seconds of all parties per
    message)`` round trips per second, even with nothing else running. (The cost per message
    itself falls as more messages are in flight at once, so this is an estimate for that
    run's concurrency.)
    """
    per_message = sum(two["cpu_ms_per_message"].values())
    ceiling = 1000 * (os.cpu_count() or 1) / per_message
    return {
        "two_over_one": round(two["round_trips_per_second"] / one["round_trips_per_second"], 2),
        "cpu_ms_per_message_all_parties_with_two": round(per_message, 2),
        "cpu_bound_round_trips_per_second_with_two": round(ceiling, 1),
        "cpu_bound_two_over_one": round(ceiling / one["round_trips_per_second"], 2),
    }


@contextmanager
def profiling(directory: Path | None, name: str, pids: list[int]) -> Iterator[None]:
    """With a directory: py-spy records each of ``pids`` meanwhile (raw stacks, one file
    per process, ``py-spy`` beside this interpreter), only the threads holding the GIL: one
    process does at most one thread's Python work at a time, so that is where its time goes."""
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).parent / "py-spy")
    recorders = [subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", "200",
                                   "--format", "raw", "--threads", "--nonblocking", "--gil",
                                   "--output", str(directory / f"{name}-{n}.txt")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for n, pid in enumerate(pids)]
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)
        for recorder in recorders:
            recorder.wait(30)


def purge(node: RabbitNode, plan: TopologyPlan) -> None:
    connection = pika.BlockingConnection(pika.ConnectionParameters(
        "127.0.0.1", node.amqp_port, credentials=pika.PlainCredentials(ADMIN_USER,
                                                                       ADMIN_PASSWORD)))
    channel = connection.channel()
    for queue in plan.queues:
        channel.queue_purge(queue.name)
    connection.close()


def transactions(url: str) -> int:
    """Transactions committed and rolled back in the database of ``url`` so far (the
    statistics PostgreSQL's backends report when idle, hence the pause)."""
    time.sleep(1.5)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        count = conn.exec_driver_sql(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()").scalar_one()
    engine.dispose()
    return int(count) - 1  # this query's own


def fresh_database(cluster: postgres.PostgresCluster, name: str) -> str:
    admin = sa.create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return cluster.url(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--only", default=",".join(RUNS),
                        help="comma-separated runs to make (default: all four); results "
                             "are written only for all four without --profile")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record each mockkpr process of the measured runs with py-spy "
                             "(raw stacks into DIR; the figures are then not comparable)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    work = Path(tempfile.mkdtemp(prefix="mockkpr-bench-broker-"))
    create_test_pki(work / "pki", DEFAULT_PARTIES, passwords=DEFAULT_PASSWORDS)
    registry = load_registry(work / "pki" / "registry.yaml")
    assert registry.tls is not None
    node = RabbitNode.start(work / "rabbitmq", tls=(registry.tls.certificate, registry.tls.key,
                                                    registry.ca_path))
    cluster = postgres.start_cluster()
    postgres_pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "system": platform.platform(),
                    "python": platform.python_version()},
        "rabbitmq": "3.10 (Debian), rabbitmq_amqp1_0, TLS, quorum queues",
        "document": "KPR_IDE 1 KB, signed and encrypted; AppRec signed and encrypted",
        "window": args.window,
        "command": f"PYTHONPATH=. python benchmarks/bench_broker.py --messages {args.messages} "
                   f"--window {args.window}",
        "load_average_1min_before": round(os.getloadavg()[0], 2),
    }
    try:
        plan = plan_topology(registry, EXCHANGE, delivery_limit=5)
        admin_url = f"amqp://{ADMIN_USER}:{ADMIN_PASSWORD}@localhost:{node.amqp_port}/{EXCHANGE}"
        declare(admin_url, plan)
        apply_users(f"http://127.0.0.1:{node.management_port}", (ADMIN_USER, ADMIN_PASSWORD),
                    plan)
        broker_url = f"amqps://localhost:{node.amqps_port}/{EXCHANGE}"
        base_env = {**os.environ, "MOCKKPR_REGISTRY": str(registry.path),
                    "PYTHONPATH": str(ROOT), "MOCKKPR_LOG_LEVEL": "WARNING"}
        serve = [sys.executable, "-m", "mockkpr", "serve"]

        if "embedded" in only:  # by the same method
            amqps, control = free_port(), free_port()
            env = {**base_env, "MOCKKPR_DATA_DIR": str(work / "embedded"),
                   "MOCKKPR_AMQPS_PORT": str(amqps), "MOCKKPR_CONTROL_PORT": str(control)}
            with processes([serve], [env], [control]) as pids:
                url = f"amqps://localhost:{amqps}"
                run_round_trips(url, registry, requests(registry, WARM_UP), args.window)
                batch = requests(registry, args.messages)
                with profiling(args.profile, "embedded", pids):
                    results["embedded"] = run_round_trips(url, registry, batch, args.window,
                                                          CpuMeter({"mockkpr": pids}))
            print(json.dumps({"embedded": results["embedded"]}), flush=True)

        for consumers, journal in ((1, "sqlite"), (1, "postgresql"), (2, "postgresql")):
            name = f"broker_{consumers}" + ("_sqlite" if journal == "sqlite" else "")
            if name not in only:
                continue
            purge(node, plan)
            database = fresh_database(cluster, name) if journal == "postgresql" else ""
            controls = [free_port() for _ in range(consumers)]
            envs = [{**base_env, "MOCKKPR_DATA_DIR": str(work / f"{name}-{n}"),
                     "MOCKKPR_CONTROL_PORT": str(port)} for n, port in enumerate(controls)]
            for env in envs:
                if database:
                    env["MOCKKPR_DATABASE_URL"] = database
            with processes([[*serve, "--broker", broker_url]] * consumers, envs,
                           controls) as pids:
                run_round_trips(broker_url, registry, requests(registry, WARM_UP), args.window)
                meter = CpuMeter({"mockkpr": pids, "rabbitmq": [node.process.pid],
                                  "postgresql": [postgres_pid]})
                batch = requests(registry, args.messages)
                before = transactions(database) if database else 0
                with profiling(args.profile, name, pids):
                    figures = run_round_trips(broker_url, registry, batch, args.window, meter)
                if database:
                    figures["postgresql_transactions_per_message"] = round(
                        (transactions(database) - before) / len(batch), 1)
            figures["consumer_processes"] = consumers
            figures["journal"] = journal
            results[name] = figures
            print(json.dumps({name: figures}), flush=True)
        if "broker_1" in results and "broker_2" in results:
            results["scaling"] = scaling(results["broker_1"], results["broker_2"])
        results["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    finally:
        node.stop()
        postgres.stop_cluster(cluster)
        shutil.rmtree(work, ignore_errors=True)
    if args.profile is None and only == set(RUNS):
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
