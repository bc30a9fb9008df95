"""``mockkpr broker setup``: declare the registry's topology on a real RabbitMQ (broker mode)."""

from __future__ import annotations

from pathlib import Path

import click

from mockkpr.brokermode.setup import apply_users, declare, management_url_for, plan_topology
from mockkpr.client.sender import Target
from mockkpr.endpoint.app import ensure_registry
from mockkpr.log import configure
from mockkpr.settings import load_settings


@click.group("broker")
def broker() -> None:
    """Broker mode: mockkpr as a consumer on a real RabbitMQ (`mockkpr docs broker-mode`)."""


@broker.command("setup")
@click.option("--broker", "url", required=True,
              help="amqp(s)://ADMIN:PASS@HOST:PORT/EXCHANGE of an administrator.")
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path),
              help="Address registry (default: the data directory's, created if missing).")
@click.option("--management", help="Management API URL for users and permissions "
              "(default: http://HOST:15672).")
@click.option("--no-users", is_flag=True,
              help="Declare exchange, queues and bindings only; create no users.")
@click.option("--ca", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CA the broker's TLS certificate chains to (default: the registry's).")
def setup(url: str, registry: Path | None, management: str | None, no_users: bool,
          ca: Path | None) -> None:
    """Declare exchange, queues, bindings, dead-lettering, users and permissions.

    Idempotent: run it again after changing the registry. Each account of the registry gets
    its password and may read only its own parties' queues.
    """
    settings = load_settings(registry=registry)
    configure(settings)
    loaded = ensure_registry(settings)
    target = Target.parse(url)
    plan = plan_topology(loaded, target.exchange, delivery_limit=settings.delivery_limit)
    declare(url, plan, ca=ca or loaded.ca_path)
    click.echo(f"exchange {plan.exchange}: {len(plan.queues)} queues declared and bound "
               f"(delivery limit {settings.delivery_limit}, dead letters to each party's _dl)")
    if no_users:
        click.echo("users: not created (--no-users)")
        return
    assert target.user is not None
    assert target.password is not None  # declare() refused a URL without them
    apply_users(management or management_url_for(url), (target.user, target.password), plan)
    for user in plan.users:
        click.echo(f"user {user.user}: reads {', '.join(user.queues) or 'nothing'}; "
                   f"writes to {plan.exchange}")
