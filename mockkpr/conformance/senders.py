"""Senders the conformance suite drives: a vendor's command, the reference, the broken ones.

A :data:`Sender` takes a :class:`SendTask` (send this file to this endpoint as this party) and
returns a :class:`SendOutcome` (exit code and output). The exit-code contract is the one of
``mockkpr send``, and what a vendor's ``--sender-cmd`` must follow:

* 0: the AppRec said OK (status 1);
* 1: the AppRec said rejected (status 2) or rows rejected (status 3);
* 2: a transport error, no receipt within the timeout, a receipt that cannot be trusted, a
  message the bus refused or could not take, or unusable input.

:func:`command_sender` runs a command line; :func:`reference_sender` runs ``mockkpr send``'s
code in-process (:func:`mockkpr.client.pilot.pilot_send`), :func:`reference_http_sender`
``mockkpr send --http``'s; :func:`broken_sender` runs the same code with one deliberate flaw
(:mod:`mockkpr.conformance.flaws`, :mod:`mockkpr.conformance.flaws_http`). On the HTTP route
exit 0 means received (HTTP 200; docs/conformance.md).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import string
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mockkpr.client.kneik import KneikClient
from mockkpr.client.kneik_verdict import pilot_send_http
from mockkpr.client.pilot import pilot_send
from mockkpr.client.sender import EXIT_TRANSPORT, KprClient
from mockkpr.conformance.flaws import FLAWS
from mockkpr.conformance.flaws_http import HTTP_FLAWS
from mockkpr.errors import ConfigError, MockKprError
from mockkpr.registry import load_registry


@dataclass(frozen=True)
class HttpTarget:
    """Where an HTTP sender submits and gets its token (``mockkpr certify --route http``)."""

    authority: str  # the HelseID authority, https://host:port/helseid (discovery below it)
    token_url: str  # its token endpoint
    client_id: str  # the sending party's HelseID client id
    jwk: Path  # the file with the client's private JWK
    control: str  # mockkpr's control API, http://host:port (the verdict by refId)


@dataclass(frozen=True)
class SendTask:
    """One send the suite asks of a sender.

    ``http`` is None on the AMQP route; on the HTTP route ``url`` is the API's base URL and
    ``http`` says where the token comes from.
    """

    file: Path  # the document to send (IPLOS or identity XML)
    url: str  # amqps://host:port/EXCHANGE (credentials NOT in the URL); https://host:port
    registry: Path  # registry.yaml with the sender's keys (test PKI)
    from_her_id: int
    to_her_id: int
    timeout: float  # seconds the sender may wait for its receipt
    workdir: Path  # where the sender may write files
    http: HttpTarget | None = None


@dataclass(frozen=True)
class SendOutcome:
    """What the sender did: its exit code (module documentation), output and duration.

    A command killed at its time limit has the negative signal number as ``exit_code`` (-9)
    and a last line on ``stderr`` saying so.
    """

    exit_code: int
    stdout: str
    stderr: str
    seconds: float


Sender = Callable[[SendTask], SendOutcome]

#: The placeholders of a ``--sender-cmd`` template.
PLACEHOLDERS: Mapping[str, str] = {
    "file": "the document to send",
    "url": "amqps://host:port/EXCHANGE, without credentials",
    "registry": "the registry.yaml with the sender's keys and account",
    "from": "the sender's HER-id",
    "to": "the receiver's (KPR's) HER-id",
    "ca": "the test CA certificate (PEM) that signed the endpoint's TLS certificate",
    "timeout": "seconds the sender may wait for its receipt (e.g. mockkpr send --timeout)",
}
#: The placeholders only the HTTP route has (``mockkpr certify --route http``).
HTTP_PLACEHOLDERS: Mapping[str, str] = {
    "authority": "the HelseID authority, https://host:port/helseid (its discovery document "
                 "is at {authority}/.well-known/openid-configuration)",
    "token_url": "HelseID's token endpoint",
    "client_id": "the sending party's HelseID client id",
    "jwk": "the file with the client's private JWK",
    "control": "mockkpr's control API, http://host:port (for the verdict by refId)",
}
#: Seconds a command may run beyond the task's timeout (start-up, connecting) before it is
#: killed.
GRACE_S = 15.0

BROKEN_FLAWS: dict[str, str] = {
    **{name: flaw.description for name, flaw in FLAWS.items()},
    **{name: flaw.description for name, flaw in HTTP_FLAWS.items()}}
"""Each broken sender's flaw name and what is wrong with it."""


# ------------------------------------------------------------------ a vendor's command
def _placeholders(token: str) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(token) if field}
    except ValueError as exc:
        raise ConfigError(f"sender command: {token!r}: {exc} (write {{{{ and }}}} for a "
                          "literal brace)") from None


def _tokens(template: str) -> list[str]:
    try:
        tokens = shlex.split(template)
    except ValueError as exc:
        raise ConfigError(f"sender command {template!r}: {exc}") from None
    if not tokens:
        raise ConfigError("sender command is empty")
    for token in tokens:
        unknown = _placeholders(token) - set(PLACEHOLDERS) - set(HTTP_PLACEHOLDERS)
        if unknown:
            raise ConfigError(
                f"sender command: unknown placeholder {{{sorted(unknown)[0]}}} in {token!r}; "
                f"known: {', '.join('{' + name + '}' for name in PLACEHOLDERS)} and on the "
                f"HTTP route {', '.join('{' + name + '}' for name in HTTP_PLACEHOLDERS)}")
    return tokens


def placeholders_of(template: str) -> set[str]:
    """The placeholders a command template uses (:class:`ConfigError` when unusable)."""
    return {name for token in _tokens(template) for name in _placeholders(token)}


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


def command_sender(template: str, *, grace: float = GRACE_S,
                   env: Mapping[str, str] | None = None) -> Sender:
    """A sender that runs a command line for each task.

    ``template`` is split like a shell would (:func:`shlex.split`) but no shell runs it; each
    word may hold the placeholders :data:`PLACEHOLDERS` (``{file} {url} {registry} {from}
    {to} {ca}``), e.g. ``"mockkpr send {file} --url {url} --registry {registry} --from
    {from}"``. The command runs in the task's ``workdir`` in a process group of its own,
    with ``env`` (default: this process's environment); it is killed, group and all, when it
    runs ``grace`` seconds longer than the task's timeout. Raises
    :class:`~mockkpr.errors.ConfigError` for a template that cannot be used, at once, and for
    a command that cannot be started, when it is run.
    """
    tokens = _tokens(template)

    def run(task: SendTask) -> SendOutcome:
        # absolute paths: the command runs in the task's work directory, not ours
        values = {"file": str(task.file.resolve()), "url": task.url,
                  "registry": str(task.registry.resolve()),
                  "from": str(task.from_her_id), "to": str(task.to_her_id),
                  "ca": str(_ca_path(task.registry).resolve()) if "{ca" in template else "",
                  "timeout": f"{task.timeout:g}"}
        http = task.http
        if http is not None:
            values.update({"authority": http.authority, "token_url": http.token_url,
                           "client_id": http.client_id, "jwk": str(http.jwk.resolve()),
                           "control": http.control})
        try:
            argv = [token.format_map(values) for token in tokens]
        except KeyError as exc:
            raise ConfigError(f"sender command: {{{exc.args[0]}}} is a placeholder of the "
                              "HTTP route (mockkpr certify --route http)") from None
        started = time.monotonic()
        try:
            process = subprocess.Popen(  # the vendor's own command, no shell
                argv, cwd=task.workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL, start_new_session=True,
                env=dict(env) if env is not None else None)
        except OSError as exc:
            raise ConfigError(f"sender command {argv[0]!r} cannot be started: "
                              f"{exc.strerror or exc}") from None
        limit = task.timeout + grace
        try:
            out, err = process.communicate(timeout=limit)
            note = ""
        except subprocess.TimeoutExpired:
            _kill_group(process)
            out, err = process.communicate()
            note = f"mockkpr: the sender was killed after {limit:g} s\n"
        return SendOutcome(process.returncode, _text(out), _text(err) + note,
                           time.monotonic() - started)

    return run


#: Environment variables a sender command never gets: ways to reach the harness's key.
SCRUBBED = ("SSH_AUTH_SOCK", "SSH_AGENT_PID", "GPG_AGENT_INFO", "GNUPGHOME")
_SCRUBBED_PARTS = ("PASSPHRASE", "PASSWORD", "PKCS11", "_PIN", "HARNESS")


def scrubbed_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without what could reach the harness's signing key: a key agent's socket,
    passphrases, passwords, PKCS#11 settings (the sender command never needs them)."""
    return {name: value for name, value in environ.items() if name not in SCRUBBED
            and not any(part in name.upper() for part in _SCRUBBED_PARTS)}


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # gone already
        os.killpg(process.pid, signal.SIGKILL)


def _ca_path(registry: Path) -> Path:
    try:
        return load_registry(registry).ca_path
    except MockKprError as exc:
        raise ConfigError(f"{{ca}}: cannot read the CA from {registry}: {exc}") from None


# ------------------------------------------------------------------ in-process senders
def _in_process(client_class: type[KprClient]) -> Sender:
    def run(task: SendTask) -> SendOutcome:
        started = time.monotonic()
        try:
            code, text = pilot_send(
                task.file, url=task.url, registry=load_registry(task.registry),
                from_her_id=task.from_her_id, to_her_id=task.to_her_id, timeout=task.timeout,
                client_class=client_class)
        except MockKprError as exc:  # what `mockkpr send` prints and exits 2 for
            return SendOutcome(EXIT_TRANSPORT, "", f"mockkpr: error: {exc}\n",
                               time.monotonic() - started)
        return SendOutcome(code, text, "", time.monotonic() - started)

    return run


def _in_process_http(client_class: type[KneikClient]) -> Sender:
    def run(task: SendTask) -> SendOutcome:
        started = time.monotonic()
        http = task.http
        if http is None:
            raise ConfigError("an HTTP sender was given a task of the AMQP route")
        try:
            code, text = pilot_send_http(
                task.file, url=task.url, registry=load_registry(task.registry),
                from_her_id=task.from_her_id, to_her_id=task.to_her_id, timeout=task.timeout,
                authority=http.authority, control_url=http.control, client_class=client_class)
        except MockKprError as exc:  # what `mockkpr send --http` prints and exits 2 for
            return SendOutcome(EXIT_TRANSPORT, "", f"mockkpr: error: {exc}\n",
                               time.monotonic() - started)
        return SendOutcome(code, text, "", time.monotonic() - started)

    return run


def reference_http_sender() -> Sender:
    """``mockkpr send --http`` in-process (:func:`~mockkpr.client.kneik_verdict.
    pilot_send_http` with :class:`~mockkpr.client.kneik.KneikClient`), which does everything
    the HTTP route's cases expect."""
    return _in_process_http(KneikClient)


def reference_sender() -> Sender:
    """``mockkpr send`` in-process: the same code (:func:`~mockkpr.client.pilot.pilot_send`)
    with the reference client, which does everything the suite expects."""
    return _in_process(KprClient)


def broken_sender(flaw: str) -> Sender:
    """The reference sender with one deliberate flaw (a name of :data:`BROKEN_FLAWS`; the
    ``http-*`` ones send over the HTTP route)."""
    found = FLAWS.get(flaw)
    if found is not None:
        return _in_process(found.client)
    http = HTTP_FLAWS.get(flaw)
    if http is not None:
        return _in_process_http(http.client)
    raise ConfigError(f"no broken sender {flaw!r}; known: {', '.join(BROKEN_FLAWS)}")
