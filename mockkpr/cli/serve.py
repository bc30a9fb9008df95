"""``mockkpr serve``: run the KPR validation endpoint in the foreground.

Only the chosen mode is imported (embedded endpoint or broker mode), when the command runs:
start-up time until ``/readyz`` says ready is mostly imports
(``benchmarks/bench_startup.py``). The cyclic garbage collector is paused while they run and
the endpoint starts: they make a few hundred thousand objects that live as long as the
process, which it would otherwise walk again and again (about a tenth of the start-up). Once
started, those objects are moved out of its way (:func:`gc.freeze`) and it runs as usual.
"""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from mockkpr.cli._extras import require
from mockkpr.log import configure
from mockkpr.settings import Settings, load_settings

# The endpoint is imported when the command runs; without the server extra the command says
# what to install (mockkpr.cli._extras) instead of failing once started.
require("sqlalchemy", "fastapi", "uvicorn", "prometheus_client", "jinja2")

if TYPE_CHECKING:
    from mockkpr.endpoint.app import Endpoint


def token_note(token: str | None, source: str, control: str) -> str:
    """The line telling who may use the control API, with the token when it was made here
    (the container's log is where a user finds it)."""
    if token is None:
        return "mockkpr: control API open to this machine only (loopback), no token needed"
    if source == "environment":
        return "mockkpr: control API token from MOCKKPR_CONTROL_TOKEN"
    return (f"mockkpr: control API token: {token} (send Authorization: Bearer TOKEN, or open "
            f"{control}/?token={token} once in a browser)")


@contextmanager
def collection_paused() -> Iterator[Callable[[], None]]:
    """Pause the cyclic garbage collector; the callable it gives (called once started, or
    at the latest on leaving) freezes what exists then and resumes collecting."""
    was_enabled = gc.isenabled()
    gc.disable()
    resumed = False

    def resume() -> None:
        nonlocal resumed
        if not resumed:
            resumed = True
            gc.freeze()
            if was_enabled:
                gc.enable()

    try:
        yield resume
    finally:
        resume()


@click.command("serve")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="Settings file (YAML or TOML, keys as the MOCKKPR_* names in lower case "
                   "without the prefix; `mockkpr docs readme`, Configuration).")
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path),
              help="Address registry (default: a test PKI created in the data directory).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the journal and the generated PKI (MOCKKPR_DATA_DIR).")
@click.option("--host", help="Interface to listen on (MOCKKPR_HOST).")
@click.option("--port", "amqps_port", type=click.IntRange(0, 65535),
              help="AMQP over TLS port (MOCKKPR_AMQPS_PORT, default 5671).")
@click.option("--amqp-port", type=click.IntRange(0, 65535),
              help="Also listen for plain AMQP on this port (MOCKKPR_AMQP_PORT).")
@click.option("--control-port", type=click.IntRange(0, 65535),
              help="HTTP control API port (MOCKKPR_CONTROL_PORT, default 8080).")
@click.option("--http-port", type=click.IntRange(0, 65535),
              help="Also serve KPR's HTTP submission API and a fake HelseID over TLS on this "
              "port (MOCKKPR_HTTP_PORT; `mockkpr docs http-api`).")
@click.option("--scenario", type=click.Path(dir_okay=False, path_type=Path),
              help="Arm this fault-injection scenario at start: a YAML file or a packaged "
              "name (MOCKKPR_SCENARIO; mockkpr scenarios list).")
@click.option("--broker", metavar="URL",
              help="Consume from a real RabbitMQ instead of the embedded broker: "
                   "amqps://USER:PASS@HOST:5671/EXCHANGE (MOCKKPR_BROKER).")
def serve(
    config: Path | None,
    registry: Path | None,
    data_dir: Path | None,
    host: str | None,
    amqps_port: int | None,
    amqp_port: int | None,
    control_port: int | None,
    http_port: int | None,
    scenario: Path | None,
    broker: str | None,
) -> None:
    """Run the KPR validation endpoint (embedded AMQP 1.0 broker) until interrupted.

    With --broker, consume KPR's queue on a real RabbitMQ instead (broker mode).
    """
    settings = load_settings(config, registry=registry, data_dir=data_dir, host=host,
                             amqps_port=amqps_port, amqp_port=amqp_port,
                             control_port=control_port, http_port=http_port,
                             scenario=scenario,
                             broker=broker)
    configure(settings)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with collection_paused() as started:
        if settings.broker:
            from mockkpr.cli.serve_broker import serve_broker

            serve_broker(settings, stop, started=started)
            return
        from mockkpr.endpoint.app import Endpoint

        with Endpoint(settings) as endpoint:
            started()
            _announce(endpoint, settings)
            stop.wait()
    click.echo("mockkpr: stopped", err=True)


def _announce(endpoint: Endpoint, settings: Settings) -> None:
    """Where the started endpoint listens, who may use its control API, what is armed."""
    urls = endpoint.urls
    click.echo(f"mockkpr: KPR endpoint (HER-id {settings.kpr_her_id}) listening on "
               f"{urls.amqps}" + (f" and {urls.amqp}" if urls.amqp else ""), err=True)
    click.echo(f"mockkpr: control API {urls.control} (readiness: {urls.control}/readyz)",
               err=True)
    if urls.http:
        click.echo(f"mockkpr: HTTP API {urls.http}/messages, HelseID "
                   f"{urls.http}/helseid (token endpoint {urls.token})", err=True)
    click.echo(token_note(endpoint.control_token, endpoint.control_token_source,
                          urls.control), err=True)
    assert endpoint.registry is not None
    click.echo(f"mockkpr: registry {endpoint.registry.path}", err=True)
    armed = endpoint.faults.scenario
    if armed is not None:
        click.echo(f"mockkpr: scenario {armed.name!r} armed ({len(armed.faults)} faults)",
                   err=True)
