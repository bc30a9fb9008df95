"""Fixtures for broker mode: the session's RabbitMQ with the registry's topology declared.

``broker`` declares the topology once per session (``broker setup``'s functions) and empties
every queue before each test; ``settings`` is a broker-mode configuration on a fresh SQLite
journal; ``running`` starts a :class:`BrokerEndpoint` and waits until it consumes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pika
import pytest

from mockkpr.brokermode.endpoint import BrokerEndpoint
from mockkpr.brokermode.setup import TopologyPlan, apply_users, declare, plan_topology
from mockkpr.registry import Registry
from mockkpr.settings import Settings
from tests.services.rabbitmq import ADMIN_PASSWORD, ADMIN_USER, RabbitNode

EXCHANGE = "NHNTESTServiceBus"
DELIVERY_LIMIT = 3



@dataclass(frozen=True)
class Broker:
    """The session's node, the registry its users come from, and the declared plan."""

    node: RabbitNode
    registry: Registry
    plan: TopologyPlan

    def url(self, user: str | None = None, password: str | None = None) -> str:
        """``amqps://[user:pass@]localhost:PORT/EXCHANGE``."""
        auth = f"{user}:{password}@" if user else ""
        return f"amqps://{auth}localhost:{self.node.amqps_port}/{EXCHANGE}"

    def channel_call(self, action: Callable[[Any], Any]) -> Any:
        """Run ``action(channel)`` on an AMQP 0-9-1 channel as the administrator."""
        params = pika.ConnectionParameters(
            "127.0.0.1", self.node.amqp_port,
            credentials=pika.PlainCredentials(ADMIN_USER, ADMIN_PASSWORD))
        connection = pika.BlockingConnection(params)
        try:
            return action(connection.channel())
        finally:
            connection.close()

    def purge(self) -> None:
        def run(channel: Any) -> None:
            for queue in self.plan.queues:
                channel.queue_purge(queue.name)
        self.channel_call(run)

    def depth(self, queue: str) -> int:
        """Messages ready in ``queue`` (not counting unacknowledged ones)."""
        return int(self.channel_call(
            lambda ch: ch.queue_declare(queue, passive=True).method.message_count))


@pytest.fixture(scope="session")
def declared(rabbitmq_node: RabbitNode, session_registry: Registry) -> Broker:
    """The topology of the session registry's parties, declared once."""
    plan = plan_topology(session_registry, EXCHANGE, delivery_limit=DELIVERY_LIMIT)
    admin = f"amqp://{ADMIN_USER}:{ADMIN_PASSWORD}@localhost:{rabbitmq_node.amqp_port}/{EXCHANGE}"
    declare(admin, plan)
    apply_users(f"http://127.0.0.1:{rabbitmq_node.management_port}",
                (ADMIN_USER, ADMIN_PASSWORD), plan)
    return Broker(rabbitmq_node, session_registry, plan)


@pytest.fixture
def broker(declared: Broker) -> Broker:
    """The declared broker with every queue empty."""
    declared.purge()
    return declared


@pytest.fixture
def settings(broker: Broker, tmp_path: Path) -> Settings:
    """Broker mode on the session broker, KPR's account from the registry, SQLite journal."""
    return Settings(data_dir=tmp_path, registry=broker.registry.path, broker=broker.url(),
                    control_port=0, delivery_limit=DELIVERY_LIMIT, broker_lease_s=2,
                    workers=2)


def wait_until(condition: Callable[[], object], timeout: float = 20,
               interval: float = 0.05) -> bool:
    """Poll ``condition`` until it is true; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


@contextmanager
def running(settings: Settings, **options: Any) -> Iterator[BrokerEndpoint]:
    """A started :class:`BrokerEndpoint`, consuming when the block starts."""
    with BrokerEndpoint(settings, **options) as endpoint:
        consumer = endpoint.consumer
        assert consumer is not None
        assert consumer.ready.wait(15), "the consumer did not attach to the broker"
        yield endpoint


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh journal database shared by several "processes": SQLite file or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))
