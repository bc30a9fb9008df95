"""``mockkpr messages``: what a running endpoint received, through its control API.

``list``, ``show MESSAGE_ID`` and ``wait`` talk HTTP to the control API at ``--control-url``
(default ``http://{control_host}:{control_port}`` from the settings). Text output is for people;
``--json`` prints the API's JSON. Exit codes: 0 found, 1 not found or wait timed out, 2 the API
cannot be reached or refused the request.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote

import click
import httpx

from mockkpr.cli._endpoint import config_option, control_token
from mockkpr.cli._endpoint import control_url as default_control_url
from mockkpr.cli.messages_text import entry_text, table_text
from mockkpr.journal.models import Outcome
from mockkpr.settings import load_settings

EXIT_FOUND = 0
EXIT_NOT_FOUND = 1
EXIT_UNUSABLE = 2
#: The control API's longest long poll; longer waits are made of several.
MAX_POLL_S = 300.0

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"mockkpr: {message}", err=True)
    sys.exit(code)


class _Api:
    """The control API at one base URL, with every failure turned into an exit code."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, path: str, params: dict[str, Any], timeout: float) -> httpx.Response:
        """GET ``path``; exits 2 when the API cannot be reached."""
        try:
            return httpx.get(f"{self.base_url}{path}", params=params, timeout=timeout,
                             headers=self.headers)
        except httpx.TransportError as exc:
            _fail(f"error: cannot reach the mockkpr control API at {self.base_url}: "
                  f"{exc or type(exc).__name__}. Is the endpoint running? Set --control-url "
                  "or MOCKKPR_CONTROL_HOST/MOCKKPR_CONTROL_PORT.", EXIT_UNUSABLE)

    def get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        """GET ``path``; exits 1 on 404/408/409 and 2 on other refusals."""
        response = self.request(path, params or {}, timeout=30.0)
        return self.check(path, response)

    def check(self, path: str, response: httpx.Response) -> httpx.Response:
        """``response`` when successful; else the API's message and the exit code."""
        if response.status_code in (404, 408, 409):
            _fail(_problem(response), EXIT_NOT_FOUND)
        if response.status_code >= 400:
            _fail(f"error: {self.base_url}{path}: {response.status_code}: {_problem(response)}",
                  EXIT_UNUSABLE)
        return response


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("message") or body.get("detail") or body)
    return str(body)


def _filters(command: F) -> F:
    """The journal filter options shared by ``list`` and ``wait``."""
    options = [
        click.option("--sender", help="Sender's HER-id (fromHerId)."),
        click.option("--subject", help="AMQP subject, e.g. KPR_IPL."),
        click.option("--outcome", type=click.Choice([o.value for o in Outcome]),
                     help="What became of the message."),
        click.option("--message-id", help="AMQP message-id."),
        click.option("--since", help="Received at or after (ISO 8601; no offset means UTC)."),
        click.option("--until", help="Received at or before (ISO 8601)."),
        click.option("--after-id", type=int, help="Only entries with a larger journal id."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _params(**filters: Any) -> dict[str, Any]:
    return {k: v for k, v in filters.items() if v is not None}


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _where(command: F) -> F:
    """``--control-url`` and ``--config``, accepted before and after the subcommand."""
    command = click.option(
        "--control-url", metavar="URL",
        help="Base URL of the control API [default: http://{MOCKKPR_CONTROL_HOST}:"
             "{MOCKKPR_CONTROL_PORT}, where `mockkpr serve` listens].")(command)
    return config_option(command)


@click.group("messages")
@_where
@click.pass_context
def messages(ctx: click.Context, control_url: str | None, config: Path | None) -> None:
    """See what a running mockkpr endpoint received and answered.

    --control-url and --config may be given here or after the subcommand
    (`mockkpr messages list --control-url URL`). Exit codes: 0 found, 1 not found or the wait
    timed out, 2 the control API cannot be reached or refused the request.
    """
    ctx.obj = _Where(control_url, config)


class _Where:
    """The group's ``--control-url``/``--config``; a subcommand's own flags win."""

    def __init__(self, control_url: str | None, config: Path | None) -> None:
        self.control_url = control_url
        self.config = config

    def api(self, control_url: str | None, config: Path | None) -> _Api:
        settings = load_settings(config or self.config)
        url = control_url or self.control_url or default_control_url(settings)
        return _Api(url, control_token(settings))


@messages.command("list")
@_where
@_filters
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.pass_obj
def list_command(where: _Where, /, limit: int, offset: int, as_json: bool,
                 control_url: str | None, config: Path | None, **filters: Any) -> None:
    """List received messages, newest first."""
    api = where.api(control_url, config)
    response = api.get("/api/messages", {**_params(**filters), "limit": limit,
                                         "offset": offset})
    items = response.json()
    if as_json:
        _print_json(items)
        return
    total = int(response.headers.get("X-Total-Count", len(items)))
    click.echo(table_text(items, total=total, offset=offset))


@messages.command("show")
@click.argument("message_id")
@_where
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--payload", is_flag=True, help="Print the decrypted payload XML instead.")
@click.option("--feedback", is_flag=True,
              help="Print the detailed feedback (validation report JSON) instead.")
@click.option("--apprec", "apprec_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also save the AppRec sent for it (its XML, before signing and "
                   "encryption) to this file.")
@click.pass_obj
def show_command(where: _Where, message_id: str, as_json: bool, payload: bool,
                 feedback: bool, apprec_file: Path | None, control_url: str | None,
                 config: Path | None) -> None:
    """Show one message: envelope, findings (worst first) and answers.

    MESSAGE_ID is the AMQP message-id or the MsgHead MsgId.
    """
    api = where.api(control_url, config)
    if apprec_file is not None:
        apprec = api.get(f"/api/messages/{_quote(message_id)}/apprec",
                         {"document": "true"}).content
        try:
            apprec_file.write_bytes(apprec)
        except OSError as exc:
            _fail(f"error: cannot write the AppRec to {apprec_file}: "
                  f"{exc.strerror or exc}", EXIT_UNUSABLE)
        click.echo(f"AppRec ({len(apprec)} bytes) saved to {apprec_file}", err=True)
    if payload:
        click.echo(api.get(f"/api/messages/{_quote(message_id)}/payload").text)
    elif feedback:
        _print_json(api.get(f"/api/messages/{_quote(message_id)}/feedback").json())
    elif as_json:
        _print_json(api.get(f"/api/messages/{_quote(message_id)}").json())
    else:
        click.echo(entry_text(api.get(f"/api/messages/{_quote(message_id)}").json()))


@messages.command("wait")
@_where
@_filters
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Seconds to wait.")
@click.option("--existing", is_flag=True,
              help="Also take a message received before the wait began (the oldest match).")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.pass_obj
def wait_command(where: _Where, /, timeout: float, existing: bool, as_json: bool,
                 control_url: str | None, config: Path | None, **filters: Any) -> None:
    """Wait for a new message matching the filters to be answered; show it.

    Only messages received after the wait began count, unless --existing, --after-id or
    --since say otherwise. Exits 1 when nothing matched within --timeout.
    """
    api = where.api(control_url, config)
    deadline = time.monotonic() + timeout
    params = _params(**filters)
    if not existing and "after_id" not in params and "since" not in params:
        params["after_id"] = _newest_id(api)
    while True:
        poll = min(max(deadline - time.monotonic(), 0.001), MAX_POLL_S)
        response = api.request("/api/wait", {**params, "timeout": round(poll, 3)},
                               timeout=poll + 30)
        if response.status_code != 408:
            break
        if deadline - time.monotonic() <= 0:
            _fail(f"no matching message within {timeout:g} s", EXIT_NOT_FOUND)
    api.check("/api/wait", response)
    entry = response.json()
    if as_json:
        _print_json(entry)
    else:
        click.echo(entry_text(entry))


def _newest_id(api: _Api) -> int:
    """The journal id of the newest message (0 when there is none): what "new" is after."""
    newest = api.get("/api/messages", {"limit": 1}).json()
    return int(newest[0]["id"]) if newest else 0


def _quote(message_id: str) -> str:
    return quote(message_id, safe="")
