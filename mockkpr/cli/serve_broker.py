"""``mockkpr serve --broker URL``: the endpoint as a consumer on a real RabbitMQ."""

from __future__ import annotations

import threading
from collections.abc import Callable

import click

from mockkpr.brokermode.endpoint import BrokerEndpoint
from mockkpr.client.sender import Target
from mockkpr.settings import Settings


def serve_broker(settings: Settings, stop: threading.Event,
                 started: Callable[[], None] = lambda: None) -> None:
    """Run broker mode until ``stop`` is set; ``started()`` is called once it has started."""
    assert settings.broker is not None
    target = Target.parse(settings.broker)
    with BrokerEndpoint(settings) as endpoint:
        started()
        assert endpoint.consumer is not None
        options = endpoint.consumer.options
        click.echo(f"mockkpr: KPR endpoint (HER-id {settings.kpr_her_id}) consuming "
                   f"{options.queue} on {target.host}:{target.port} (exchange "
                   f"{options.exchange}) as {options.user}", err=True)
        click.echo(f"mockkpr: control API {endpoint.control_url} (readiness: "
                   f"{endpoint.control_url}/readyz)", err=True)
        stop.wait()
    click.echo("mockkpr: stopped", err=True)
