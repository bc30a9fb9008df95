"""``mockkpr send``: a pilot send to KPR, as an EPJ's sender would do it, with the verdict."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mockkpr.cli._endpoint import amqp_url, config_option, control_token
from mockkpr.cli._endpoint import control_url as control_url_of
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
                   "{MOCKKPR_AMQPS_PORT}/NHNTESTServiceBus, where `mockkpr serve` listens]. "
                   "With --http: the API's https://HOST:PORT [default: "
                   "https://localhost:{MOCKKPR_HTTP_PORT}, or 8443].")
@click.option("--registry", "registry_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Address registry with the sender's keys (default: the data directory's).")
@click.option("--msg-type", type=click.Choice(["KPR_IPL", "KPR_IDE"]),
              help="Message function (default: from the document's root).")
@click.option("--timeout", type=click.FloatRange(0.1), default=60, show_default=True,
              help="Seconds to send and wait for the AppRec or a transport error.")
@click.option("--split", "split_bytes", type=click.IntRange(1024), default=1 << 20,
              show_default=True, help="Split the protected message into parts of this size.")
@click.option("--json", "as_json_output", is_flag=True, help="Print the verdict as JSON.")
@click.option("--http", "http", is_flag=True,
              help="Use KPR's HTTP submission API with a HelseID token instead of AMQP "
                   "(a 56.0.0 message; `mockkpr docs http-api`).")
@click.option("--authority", metavar="URL",
              help="With --http: the HelseID authority (default URL/helseid).")
@click.option("--control-url", metavar="URL",
              help="With --http: mockkpr's control API, for the verdict [default: "
                   "http://localhost:{MOCKKPR_CONTROL_PORT}].")
@config_option
def send(file: Path, from_her_id: int, to_her_id: int | None, url: str | None,
         registry_file: Path | None, msg_type: str | None, timeout: float, split_bytes: int,
         as_json_output: bool, http: bool, authority: str | None,
         control_url: str | None, config: Path | None) -> None:
    """Send FILE to KPR and print the verdict.

    The sender keeps one connection, reconnects and sends the same message again after a lost
    connection or link, sends again after a released or modified delivery, and reports a
    rejected one. The timeout covers sending and waiting.

    Exit codes: 0 AppRec OK; 1 AppRec rejected or rows rejected; 2 transport error, refused or
    undelivered message, no or untrustworthy answer, or unusable input.

    With --http the message goes to the HTTP API: a token from the (fake) HelseID with the
    sender's client id and private JWK, then the signed and encrypted document. The API
    answers 200 on receipt; the verdict is read from the control API by the refId. Exit codes
    as above: 0 accepted, 1 rejected or rows rejected, 2 not received (400, 401, 403, 500...)
    or no verdict.
    """
    settings = load_settings(config)
    if http:
        url = url or f"https://localhost:{settings.http_port or 8443}"
    else:
        url = url or amqp_url(settings)
    path = registry_file or settings.registry or settings.data_dir / "pki" / "registry.yaml"
    if not path.exists():
        raise InputError(f"{path}: no registry; start `mockkpr serve` once or pass --registry")
    if http:
        from mockkpr.client.kneik_verdict import pilot_send_http

        code, text = pilot_send_http(
            file, url=url,
            registry=load_registry(path), from_her_id=from_her_id,
            to_her_id=to_her_id or settings.kpr_her_id, timeout=timeout, authority=authority,
            control_url=control_url or control_url_of(settings),
            control_token=control_token(settings),
            json_output=as_json_output)
        click.echo(text, nl=False)
        sys.exit(code)
    code, text = pilot_send(
        file, url=url,
        registry=load_registry(path), from_her_id=from_her_id,
        to_her_id=to_her_id or settings.kpr_her_id, timeout=timeout, msg_type=msg_type,
        split_bytes=split_bytes, json_output=as_json_output)
    click.echo(text, nl=False)
    sys.exit(code)
