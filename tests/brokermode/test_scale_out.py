"""Scale-out: two ``mockkpr serve --broker`` processes consume KPR's queue, sharing PostgreSQL.

RabbitMQ spreads the deliveries over both (competing consumers); one process is killed with
SIGKILL in the middle of the run, so its unsettled deliveries come again to the other. Every
message is answered, none is processed twice, and either process's control API shows the
whole journal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from mockkpr.client.sender import KprClient
from tests.brokermode.conftest import Broker, wait_until
from tests.brokermode.support import answered_all, answers_by_request, attach, request, send_all
from tests.services.rabbitmq import free_port

pytestmark = [pytest.mark.broker, pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).parents[2]
DOCUMENT = (ROOT / "fixtures" / "valid" / "iplos-2019.xml").read_bytes()
MESSAGES = 40


class Serve:
    """One ``mockkpr serve --broker`` process with its control port and log file."""

    def __init__(self, name: str, broker: Broker, database: str, directory: Path) -> None:
        self.port = free_port()
        self.log = directory / f"{name}.log"
        env = {**os.environ, "MOCKKPR_DATA_DIR": str(directory / name),
               "MOCKKPR_REGISTRY": str(broker.registry.path), "MOCKKPR_DATABASE_URL": database,
               "MOCKKPR_CONTROL_PORT": str(self.port), "MOCKKPR_BROKER_LEASE_S": "2",
               "MOCKKPR_LOG_FORMAT": "json", "PYTHONPATH": str(ROOT)}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mockkpr", "serve", "--broker", broker.url()],
                env=env, stdout=log, stderr=subprocess.STDOUT)

    @property
    def control(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.control}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
def two_processes(broker: Broker, postgres_url: str, tmp_path: Path) -> Iterator[list[Serve]]:
    processes = [Serve(name, broker, postgres_url, tmp_path) for name in ("first", "second")]
    try:
        for serve in processes:
            assert wait_until(serve.ready, 30), serve.log.read_text()[-3000:]
        yield processes
    finally:
        for serve in processes:
            serve.stop()


def test_two_consumers_answer_every_message_exactly_once_even_when_one_dies(
        broker: Broker, two_processes: list[Serve], postgres_url: str) -> None:
    first, second = two_processes
    client = KprClient(broker.url(), broker.registry, 12345)
    batch = [request(client, DOCUMENT) for _ in range(MESSAGES)]
    sent = {str(m.id) for m in batch}
    send_all(broker.url(), "mockkpr-12345", "test-12345",
             "/exchange/NHNTESTServiceBus/131725_async", batch, broker.registry)
    _, early = attach(broker.url(), "mockkpr-12345", "test-12345", "/amq/queue/12345_async",
                      broker.registry, collect_s=30, enough=lambda m: len(m) >= 1)
    first.process.kill()  # SIGKILL: no close, no settlement, no heartbeat from now on
    first.process.wait(10)
    missing = sent - set(answers_by_request(early))
    _, late = attach(broker.url(), "mockkpr-12345", "test-12345", "/amq/queue/12345_async",
                     broker.registry, collect_s=60, enough=answered_all(missing))
    by_request = answers_by_request(early + late)
    assert set(by_request) == sent
    assert all(len(ids) == 1 for ids in by_request.values()), by_request

    listed = httpx.get(f"{second.control}/api/messages", params={"limit": 1000})
    assert listed.headers["X-Total-Count"] == str(MESSAGES)
    entries = listed.json()
    assert sorted(e["message_id"] for e in entries) == sorted(sent)
    assert {e["outcome"] for e in entries} == {"accepted"}
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            owners = conn.execute(sa.text("SELECT count(DISTINCT owner) FROM broker_claims"))
            assert owners.scalar_one() == 2, "both processes should have consumed"
    finally:
        engine.dispose()
    assert second.ready()
