"""Round trips per second in broker mode: one and two ``mockkpr serve --broker`` processes.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_broker.py [--messages 400] [--window 50]

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
decrypted, verified, validated, journaled and answered. Writes
``benchmarks/results/broker.json`` and prints it. Nothing is asserted; the figures depend on
the machine and its load (2 cores shared by RabbitMQ, PostgreSQL, mockkpr and the sender).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
                    window: int) -> dict[str, Any]:
    handler = RoundTrips(url, registry, batch, window)
    Container(handler).run()
    elapsed = handler.finished - handler.started
    latencies = sorted(handler.latencies)
    return {
        "messages": len(batch), "seconds": round(elapsed, 3),
        "round_trips_per_second": round(len(batch) / elapsed, 1),
        "latency_ms_median": round(statistics.median(latencies) * 1000, 1),
        "latency_ms_p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }


@contextmanager
def processes(commands: list[list[str]], envs: list[dict[str, str]],
              controls: list[int]) -> Iterator[None]:
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
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(30)


def purge(node: RabbitNode, plan: TopologyPlan) -> None:
    connection = pika.BlockingConnection(pika.ConnectionParameters(
        "127.0.0.1", node.amqp_port, credentials=pika.PlainCredentials(ADMIN_USER,
                                                                       ADMIN_PASSWORD)))
    channel = connection.channel()
    for queue in plan.queues:
        channel.queue_purge(queue.name)
    connection.close()


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
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mockkpr-bench-broker-"))
    create_test_pki(work / "pki", DEFAULT_PARTIES, passwords=DEFAULT_PASSWORDS)
    registry = load_registry(work / "pki" / "registry.yaml")
    assert registry.tls is not None
    node = RabbitNode.start(work / "rabbitmq", tls=(registry.tls.certificate, registry.tls.key,
                                                    registry.ca_path))
    cluster = postgres.start_cluster()
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "system": platform.platform(),
                    "python": platform.python_version()},
        "rabbitmq": "3.10 (Debian), rabbitmq_amqp1_0, TLS, quorum queues",
        "document": "KPR_IDE 1 KB, signed and encrypted; AppRec signed and encrypted",
        "window": args.window,
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

        # embedded, by the same method
        amqps, control = free_port(), free_port()
        env = {**base_env, "MOCKKPR_DATA_DIR": str(work / "embedded"),
               "MOCKKPR_AMQPS_PORT": str(amqps), "MOCKKPR_CONTROL_PORT": str(control)}
        with processes([serve], [env], [control]):
            url = f"amqps://localhost:{amqps}"
            run_round_trips(url, registry, requests(registry, WARM_UP), args.window)
            results["embedded"] = run_round_trips(url, registry,
                                                  requests(registry, args.messages),
                                                  args.window)
        print(json.dumps({"embedded": results["embedded"]}), flush=True)

        for consumers, journal in ((1, "sqlite"), (1, "postgresql"), (2, "postgresql")):
            purge(node, plan)
            name = f"broker_{consumers}" + ("_sqlite" if journal == "sqlite" else "")
            database = fresh_database(cluster, name) if journal == "postgresql" else ""
            controls = [free_port() for _ in range(consumers)]
            envs = [{**base_env, "MOCKKPR_DATA_DIR": str(work / f"{name}-{n}"),
                     "MOCKKPR_CONTROL_PORT": str(port)} for n, port in enumerate(controls)]
            for env in envs:
                if database:
                    env["MOCKKPR_DATABASE_URL"] = database
            with processes([[*serve, "--broker", broker_url]] * consumers, envs, controls):
                run_round_trips(broker_url, registry, requests(registry, WARM_UP), args.window)
                figures = run_round_trips(broker_url, registry,
                                          requests(registry, args.messages), args.window)
            figures["consumer_processes"] = consumers
            figures["journal"] = journal
            results[name] = figures
            print(json.dumps({name: figures}), flush=True)
        results["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    finally:
        node.stop()
        postgres.stop_cluster(cluster)
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
