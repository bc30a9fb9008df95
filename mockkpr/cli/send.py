"""``mockkpr send``: a pilot send to KPR, as an EPJ's sender would do it, with the verdict."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mockkpr.cli._endpoint import amqp_url, config_option
from mockkpr.client.pilot import pilot_send
from mockkpr.errors import InputError
from mockkpr.registry import load_registry
from mockkpr.settings import load_settings


@click.command("send")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--from", "from_her_id", type=int, required=True,
              help="Sender HER-id (the municipality's service), e.g. 12345.")
@click.option("--to", "to_her_id", type=int, help="Receiver HER-id (default MOCKKPR_KPR_HER_ID).")
@click.option("--url", metavar="URL",
              help="amqps://USER:PASS@HOST:PORT/EXCHANGE; user and password default to the "
                   "sender's account in the registry [default: amqps://localhost:"
                   "{MOCKKPR_AMQPS_PORT}/NHNTESTServiceBus, where `mockkpr serve` listens].")
@click.option("--registry", "registry_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Address registry with the sender's keys (default: the data directory's).")
@click.option("--msg-type", type=click.Choice(["KPR_IPL", "KPR_IDE"]),
              help="Message function (default: from the document's root).")
@click.option("--timeout", type=click.FloatRange(0.1), default=60, show_default=True,
              help="Seconds to send and wait for the AppRec or a transport error.")
@click.option("--split", "split_bytes", type=click.IntRange(1024), default=1 << 20,
              show_default=True, help="Split the protected message into parts of this size.")
@click.option("--json", "as_json_output", is_flag=True, help="Print the verdict as JSON.")
@config_option
def send(file: Path, from_her_id: int, to_her_id: int | None, url: str | None,
         registry_file: Path | None, msg_type: str | None, timeout: float, split_bytes: int,
         as_json_output: bool, config: Path | None) -> None:
    """Send FILE to KPR and print the verdict.

    The sender keeps one connection, reconnects and sends the same message again after a lost
    connection or link, sends again after a released or modified delivery, and reports a
    rejected one. The timeout covers sending and waiting.

    Exit codes: 0 AppRec OK; 1 AppRec rejected or rows rejected; 2 transport error, refused or
    undelivered message, no or untrustworthy answer, or unusable input.
    """
    settings = load_settings(config)
    url = url or amqp_url(settings)
    path = registry_file or settings.registry or settings.data_dir / "pki" / "registry.yaml"
    if not path.exists():
        raise InputError(f"{path}: no registry; start `mockkpr serve` once or pass --registry")
    code, text = pilot_send(
        file, url=url, registry=load_registry(path), from_her_id=from_her_id,
        to_her_id=to_her_id or settings.kpr_her_id, timeout=timeout, msg_type=msg_type,
        split_bytes=split_bytes, json_output=as_json_output)
    click.echo(text, nl=False)
    sys.exit(code)
