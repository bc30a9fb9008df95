"""``mockkpr broker setup``: the plan for the registry, and what it enforces on RabbitMQ."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from mockkpr.brokermode.setup import plan_topology
from mockkpr.cli import main
from mockkpr.registry import Registry
from tests.brokermode.conftest import DELIVERY_LIMIT, EXCHANGE, Broker
from tests.brokermode.support import attach
from tests.services.rabbitmq import ADMIN_PASSWORD, ADMIN_USER


def test_plan_has_three_counted_and_dead_lettered_queues_per_party(
        session_registry: Registry) -> None:
    plan = plan_topology(session_registry, "X", delivery_limit=4)
    names = [q.name for q in plan.queues]
    assert names == ["12345_async", "12345_error", "12345_dl", "23456_async", "23456_error",
                     "23456_dl", "131725_async", "131725_error", "131725_dl"]
    arguments = {q.name: q.arguments for q in plan.queues}
    assert arguments["12345_async"] == {
        "x-queue-type": "quorum", "x-delivery-limit": 4, "x-dead-letter-exchange": "X",
        "x-dead-letter-routing-key": "12345_dl"}
    assert arguments["131725_error"]["x-dead-letter-routing-key"] == "131725_dl"
    assert arguments["12345_dl"] == {"x-queue-type": "quorum"}


def test_plan_lets_each_account_read_only_its_own_queues(session_registry: Registry) -> None:
    plan = plan_topology(session_registry, "NHN.Test", delivery_limit=5)
    users = {u.user: u for u in plan.users}
    assert set(users) == {"mockkpr-12345", "mockkpr-23456", "mockkpr-131725"}
    municipality = users["mockkpr-12345"]
    assert municipality.read == r"^(12345_async|12345_error|12345_dl)$"
    assert municipality.write == r"^(NHN\.Test)$"
    assert municipality.configure == "^$"
    assert municipality.password == "test-12345"
    assert "password" not in repr(municipality).replace("password=", "")


def test_setup_without_administrator_credentials_says_what_is_missing(
        session_registry: Registry) -> None:
    result = CliRunner().invoke(main, ["broker", "setup", "--broker",
                                       "amqp://localhost:1/X", "--registry",
                                       str(session_registry.path)])
    assert result.exit_code == 2
    assert "broker setup needs an administrator's user and password in the URL" in \
        result.output


@pytest.mark.broker
@pytest.mark.integration
def test_party_reads_its_own_queue_and_is_refused_another_partys(broker: Broker) -> None:
    """What `broker setup` enforces: 12345 may receive from 12345_async, not from 23456_async
    nor from KPR's queue; KPR's account may receive from its own queue."""
    url = broker.url()
    registry = broker.registry
    own, _ = attach(url, "mockkpr-12345", "test-12345", "/amq/queue/12345_async", registry)
    assert own == "attached"
    for queue in ("23456_async", "131725_async"):
        refused, _ = attach(url, "mockkpr-12345", "test-12345", f"/amq/queue/{queue}",
                            registry)
        assert refused.startswith("amqp:unauthorized-access: ACCESS_REFUSED - access to "
                                  f"queue '{queue}'"), refused
    kpr, _ = attach(url, "mockkpr-131725", "test-131725", "/amq/queue/131725_async", registry)
    assert kpr == "attached"
    wrong, _ = attach(url, "mockkpr-12345", "not-the-password", "/amq/queue/12345_async",
                      registry)
    assert wrong.startswith("amqp:unauthorized-access"), wrong


@pytest.mark.broker
@pytest.mark.integration
def test_setup_command_is_idempotent_and_refuses_to_change_a_queue(declared: Broker) -> None:
    """Running `mockkpr broker setup` again with the same settings changes nothing and says
    what each account may read; with another delivery limit it stops at the first queue,
    naming it and the difference."""
    node = declared.node
    admin = f"amqps://{ADMIN_USER}:{ADMIN_PASSWORD}@localhost:{node.amqps_port}/{EXCHANGE}"
    command = [sys.executable, "-m", "mockkpr", "broker", "setup", "--broker", admin,
               "--registry", str(declared.registry.path),
               "--management", f"http://127.0.0.1:{node.management_port}"]

    def run(limit: int) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "MOCKKPR_DELIVERY_LIMIT": str(limit)}
        return subprocess.run(command, capture_output=True, text=True, timeout=120,
                              check=False, env=env)

    again = run(DELIVERY_LIMIT)
    assert again.returncode == 0, again.stderr
    assert "exchange NHNTESTServiceBus: 9 queues declared and bound (delivery limit " \
           f"{DELIVERY_LIMIT}" in again.stdout
    assert "user mockkpr-23456: reads 23456_async, 23456_error, 23456_dl; writes to " \
           "NHNTESTServiceBus" in again.stdout
    changed = run(DELIVERY_LIMIT + 2)
    assert changed.returncode == 2
    assert "mockkpr: error: queue 12345_async exists with other arguments than" in \
        changed.stderr
    assert "inequivalent arg 'x-delivery-limit' for queue '12345_async' in vhost '/': " \
           f"received '{DELIVERY_LIMIT + 2}' but current is '{DELIVERY_LIMIT}'" in changed.stderr

