"""``mockkpr broker setup``: the topology of the registry's parties on a RabbitMQ.

What is declared (for exchange ``X`` from the broker URL, and each party's queues)::

    exchange  X                  direct, durable
    queues    {her}_async        quorum; x-delivery-limit; dead letters to X with key {her}_dl
              {her}_error        quorum; x-delivery-limit; dead letters to X with key {her}_dl
              {her}_dl           quorum
    bindings  X --{queue}--> {queue}   for every queue (routing key = queue name)
    users     each SASL account of the registry, with its password, and permissions on the
              default virtual host: configure nothing, write (publish to) X, read only the
              queues of the parties the account belongs to

Quorum queues keep messages across a broker restart even though NHN's senders do not set
``durable`` (a classic queue would drop them), and count redeliveries for the dead-letter limit.

AMQP 1.0 cannot declare anything on RabbitMQ 3.x (and 4.x's AMQP 1.0 management is another
protocol again), so queues, exchange and bindings are declared with AMQP 0-9-1 through
``pika`` on the same port, and users and permissions through the management plugin's HTTP API
(``httpx``); ``rabbitmqctl`` can do the latter on the broker's own machine (see
docs/broker-mode.md).
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pika
import pika.exceptions

from mockkpr.client.sender import Target
from mockkpr.errors import ConfigError, EndpointError
from mockkpr.log import get_logger
from mockkpr.registry import Registry

log = get_logger(__name__)

DEFAULT_VHOST = "/"
MANAGEMENT_PORT = 15672


@dataclass(frozen=True)
class QueuePlan:
    """One queue with its declaration arguments."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class UserPlan:
    """One broker user and its permission patterns (regular expressions on names)."""

    user: str
    password: str = field(repr=False)
    configure: str
    write: str
    read: str
    queues: tuple[str, ...]


@dataclass(frozen=True)
class TopologyPlan:
    """Everything ``broker setup`` declares."""

    exchange: str
    queues: tuple[QueuePlan, ...]
    users: tuple[UserPlan, ...]


def _one_of(names: list[str]) -> str:
    return "^(" + "|".join(re.escape(n) for n in names) + ")$" if names else "^$"


def plan_topology(registry: Registry, exchange: str, *, delivery_limit: int) -> TopologyPlan:
    """The exchange, queues and users for the parties of ``registry``.

    Inherited queues (a child party sharing its parent's) are declared once.
    """
    queues: dict[str, QueuePlan] = {}
    readable: dict[str, list[str]] = {}
    for party in sorted(registry.parties.values(), key=lambda p: p.her_id):
        q = party.queues
        dead_letter = {"x-queue-type": "quorum"}
        counted = {"x-queue-type": "quorum", "x-delivery-limit": delivery_limit,
                   "x-dead-letter-exchange": exchange,
                   "x-dead-letter-routing-key": q.dead_letter}
        for name, arguments in ((q.asynchronous, counted), (q.error, counted),
                                (q.dead_letter, dead_letter)):
            queues.setdefault(name, QueuePlan(name, dict(arguments)))
            if party.account is not None:
                names = readable.setdefault(party.account, [])
                if name not in names:
                    names.append(name)
    users = tuple(
        UserPlan(user=name, password=account.password, configure="^$",
                 write=_one_of([exchange]), read=_one_of(readable.get(name, [])),
                 queues=tuple(readable.get(name, [])))
        for name, account in sorted(registry.accounts.items()))
    return TopologyPlan(exchange, tuple(queues.values()), users)


# ---------------------------------------------------------------------------- AMQP 0-9-1


def _connection_parameters(target: Target, ca: Path | None) -> pika.ConnectionParameters:
    if target.user is None or target.password is None:
        raise ConfigError("broker setup needs an administrator's user and password in the "
                          "URL: amqps://ADMIN:PASS@HOST:5671/EXCHANGE")
    ssl_options = None
    if target.tls:
        context = ssl.create_default_context(cafile=str(ca) if ca else None)
        ssl_options = pika.SSLOptions(context, server_hostname=target.host)
    return pika.ConnectionParameters(
        host=target.host, port=target.port, virtual_host=DEFAULT_VHOST,
        credentials=pika.PlainCredentials(target.user, target.password),
        ssl_options=ssl_options, connection_attempts=1, socket_timeout=10)


def declare(url: str, plan: TopologyPlan, *, ca: Path | None = None) -> None:
    """Declare the exchange, queues and bindings of ``plan`` (idempotent)."""
    target = Target.parse(url)
    try:
        connection = pika.BlockingConnection(_connection_parameters(target, ca))
    except pika.exceptions.AMQPError as exc:
        raise EndpointError(f"cannot connect to {target.host}:{target.port} with AMQP 0-9-1 "
                            f"as {target.user}: {exc!r}") from None
    try:
        channel = connection.channel()
        channel.exchange_declare(plan.exchange, exchange_type="direct", durable=True)
        for queue in plan.queues:
            try:
                channel.queue_declare(queue.name, durable=True, arguments=queue.arguments)
            except pika.exceptions.ChannelClosedByBroker as exc:
                raise ConfigError(
                    f"queue {queue.name} exists with other arguments than {queue.arguments} "
                    f"({exc.reply_text}); delete it, or declare it by hand") from None
            channel.queue_bind(queue.name, plan.exchange, routing_key=queue.name)
            log.info("broker.queue_declared", queue=queue.name)
    except pika.exceptions.AMQPError as exc:
        raise EndpointError(f"declaring the topology failed: {exc!r}") from None
    finally:
        if connection.is_open:
            connection.close()


# ---------------------------------------------------------------------------- users


def management_url_for(url: str) -> str:
    """The management API's default URL for a broker URL (same host, port 15672)."""
    return f"http://{Target.parse(url).host}:{MANAGEMENT_PORT}"


def apply_users(management_url: str, admin: tuple[str, str], plan: TopologyPlan,
                *, vhost: str = DEFAULT_VHOST, timeout: float = 10.0) -> None:
    """Create or update every user of ``plan`` with its password and permissions."""
    base = management_url.rstrip("/")
    encoded_vhost = quote(vhost, safe="")
    try:
        with httpx.Client(base_url=base, auth=admin, timeout=timeout) as client:
            for user in plan.users:
                name = quote(user.user, safe="")
                _check(client.put(f"/api/users/{name}",
                                  json={"password": user.password, "tags": ""}), user.user)
                _check(client.put(f"/api/permissions/{encoded_vhost}/{name}",
                                  json={"configure": user.configure, "write": user.write,
                                        "read": user.read}), user.user)
                log.info("broker.user_set", user=user.user, read=user.read)
    except httpx.HTTPError as exc:
        raise EndpointError(f"the management API at {base} cannot be used: {exc}") from None


def _check(response: httpx.Response, user: str) -> None:
    if response.status_code == 401:
        raise EndpointError(f"{response.request.url}: the management API refused the "
                            "administrator's user and password (401)")
    if response.status_code >= 400:
        raise EndpointError(f"{response.request.url}: setting up user {user} failed "
                            f"({response.status_code}): {response.text[:200]}")
