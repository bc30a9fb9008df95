"""SASL PLAIN checked by mockkpr through proton's plug-in interface, against real sockets.

A proton server runs in a background thread with the authenticator installed; proton clients,
a raw SASL client written here and Node's rhea log in to it over TLS and plain TCP.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import hmac
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import proton
import pytest
from proton import Data, Message, SSLDomain, Transport
from proton.handlers import MessagingHandler
from proton.reactor import ApplicationEvent, Container, EventInjector

from mockkpr.endpoint import sasl
from mockkpr.errors import EndpointError, InputError

pytestmark = pytest.mark.integration

USERS = {"kommune-0301": "synthetic-pass-0301", "kommune-4601": "synthetic-pass-4601"}
USER, PASSWORD = "kommune-0301", USERS["kommune-0301"]
UNAUTHORIZED = "amqp:unauthorized-access"
JS_CLIENT = Path(__file__).parent / "js" / "plain_login.js"


def registry_check(user: str, password: str) -> bool:
    """The password check the tests install: a fixed table of synthetic users."""
    expected = USERS.get(user)
    return expected is not None and hmac.compare_digest(expected, password)


# --- A proton server in a background thread -------------------------------------------------


@dataclass
class ServerRecord:
    """What the server saw, filled in on the server's thread."""

    users: list[str | None] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _ServerHandler(MessagingHandler):
    def __init__(self, record: ServerRecord, allow_insecure: bool) -> None:
        super().__init__()
        self.record = record
        self.allow_insecure = allow_insecure
        self.acceptor: Any = None
        self.container: Any = None

    def on_connection_bound(self, event: Any) -> None:
        sasl.require_plain(event.transport, allow_insecure=self.allow_insecure)

    def on_connection_opening(self, event: Any) -> None:
        self.record.users.append(event.transport.user)

    def on_message(self, event: Any) -> None:
        self.record.bodies.append(bytes(event.message.body))

    def on_transport_error(self, event: Any) -> None:
        condition = event.transport.condition
        self.record.errors.append(f"{condition.name}: {condition.description}")

    def on_stop(self, event: Any) -> None:
        self.acceptor.close()
        self.container.stop()


class PlainServer:
    """A proton listener on a free port requiring SASL PLAIN, running until :meth:`stop`."""

    def __init__(self, ssl_domain: SSLDomain | None, *, allow_insecure: bool = False) -> None:
        self.record = ServerRecord()
        handler = _ServerHandler(self.record, allow_insecure=allow_insecure)
        self._container = Container(handler)
        handler.container = self._container
        self._injector = EventInjector()
        self._container.selectable(self._injector)
        handler.acceptor = self._container.listen("127.0.0.1:0", ssl_domain=ssl_domain)
        # proton does not report the bound port; its selectable delegates to the socket.
        self.port: int = handler.acceptor._selectable.getsockname()[1]
        self._thread = threading.Thread(target=self._container.run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._injector.trigger(ApplicationEvent("stop"))
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "server thread did not stop"


@pytest.fixture(scope="module")
def authenticator() -> Iterator[None]:
    sasl.install_plain_authenticator(registry_check)
    yield
    sasl.uninstall_plain_authenticator()  # later tests in this process get proton's defaults


def _server_domain(tls_files: Any) -> SSLDomain:
    domain = SSLDomain(SSLDomain.MODE_SERVER)
    domain.set_credentials(str(tls_files.server_cert), str(tls_files.server_key), None)
    return domain


def _client_domain(tls_files: Any) -> SSLDomain:
    domain = SSLDomain(SSLDomain.MODE_CLIENT)
    domain.set_trusted_ca_db(str(tls_files.ca_cert))
    domain.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME)
    return domain


@pytest.fixture(scope="module")
def tls_server(authenticator: None, tls_files: Any) -> Iterator[PlainServer]:
    server = PlainServer(_server_domain(tls_files))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tcp_server(authenticator: None) -> Iterator[PlainServer]:
    """A listener without TLS that allows PLAIN in clear text."""
    server = PlainServer(None, allow_insecure=True)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def strict_tcp_server(authenticator: None) -> Iterator[PlainServer]:
    """A listener without TLS that keeps the default: no PLAIN in clear text."""
    server = PlainServer(None)
    yield server
    server.stop()


# --- Proton clients -------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    """How one client connection ended."""

    opened: bool = False
    accepted: bool = False
    condition: str | None = None
    description: str | None = None


@dataclass
class Attempt:
    """One connection for :class:`_Client` to make."""

    user: str | None
    password: str | None
    authorization: str | None = None
    allowed_mechs: str | None = None
    sasl_enabled: bool = True


class _Client(MessagingHandler):
    """Makes its attempts one after another: connect, log in, attach, send one message, close."""

    def __init__(self, url: str, ssl_domain: SSLDomain | None, attempts: list[Attempt]) -> None:
        super().__init__()
        self.url, self.ssl_domain, self.attempts = url, ssl_domain, attempts
        self.results: list[Login] = []
        self._current = Login()
        self._timed_out = False

    def on_start(self, event: Any) -> None:
        event.container.schedule(120, self)
        self._next(event.container)

    def on_timer_task(self, event: Any) -> None:
        self._timed_out = True
        event.container.stop()

    def _next(self, container: Any) -> None:
        if len(self.results) == len(self.attempts):
            container.stop()
            return
        attempt = self.attempts[len(self.results)]
        self._current = Login()
        connection = container.connect(
            self.url,
            ssl_domain=self.ssl_domain,
            reconnect=False,
            user=attempt.user,
            password=attempt.password,
            allowed_mechs=attempt.allowed_mechs,
            sasl_enabled=attempt.sasl_enabled,
            allow_insecure_mechs=True,
        )
        if attempt.authorization is not None:
            connection.authorization = attempt.authorization
        if attempt.password == "":  # connect() drops empty passwords; the transport binds later
            connection.password = ""

    def on_connection_opened(self, event: Any) -> None:
        self._current = Login(opened=True)
        event.container.create_sender(event.connection, "kpr")

    def on_sendable(self, event: Any) -> None:
        if event.sender.credit and not self._current.accepted and event.sender.unsettled == 0:
            event.sender.send(Message(body=b"<iplos/>", inferred=True))

    def on_accepted(self, event: Any) -> None:
        self._current = Login(opened=True, accepted=True)
        event.connection.close()

    def on_transport_closed(self, event: Any) -> None:
        # the transport's condition is set by now, even where on_transport_error comes later
        condition = event.transport.condition
        if condition is not None:
            self._current = Login(
                opened=self._current.opened,
                accepted=self._current.accepted,
                condition=condition.name,
                description=condition.description,
            )
        self.results.append(self._current)
        self._next(event.container)

    def run(self) -> list[Login]:
        Container(self).run()
        assert not self._timed_out, f"client timed out after {len(self.results)} attempts"
        return self.results


def login_once(server: PlainServer, tls_files: Any | None, attempt: Attempt) -> Login:
    scheme = "amqps" if tls_files is not None else "amqp"
    domain = _client_domain(tls_files) if tls_files is not None else None
    (result,) = _Client(f"{scheme}://localhost:{server.port}", domain, [attempt]).run()
    return result


def wait_for_server_error(server: PlainServer, error: str) -> None:
    """Wait until the server's thread has recorded ``error`` as its latest transport error."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if server.record.errors and server.record.errors[-1] == error:
            return
        time.sleep(0.01)
    raise AssertionError(f"server recorded {server.record.errors[-3:]}, not {error!r}")


# --- Logins by proton clients ---------------------------------------------------------------


def test_right_password_over_tls_attaches_sends_and_names_the_user(
    tls_server: PlainServer, tls_files: Any
) -> None:
    users_before = len(tls_server.record.users)
    result = login_once(tls_server, tls_files, Attempt(USER, PASSWORD))
    assert result == Login(opened=True, accepted=True)
    assert tls_server.record.users[users_before:] == [USER]
    assert tls_server.record.bodies[-1] == b"<iplos/>"


def test_right_password_over_plain_tcp_when_the_listener_allows_it(
    tcp_server: PlainServer,
) -> None:
    users_before = len(tcp_server.record.users)
    result = login_once(tcp_server, None, Attempt("kommune-4601", USERS["kommune-4601"]))
    assert result == Login(opened=True, accepted=True)
    assert tcp_server.record.users[users_before:] == ["kommune-4601"]


REFUSED_BY_SERVER = "Authentication failed [mech=PLAIN]"
NO_COMMON_MECHANISM = "Authentication failed [mech=none]"


@pytest.mark.parametrize(
    ("attempt", "description"),
    [
        pytest.param(Attempt(USER, "wrong-password"), REFUSED_BY_SERVER, id="wrong-password"),
        pytest.param(Attempt("kommune-9999", PASSWORD), REFUSED_BY_SERVER, id="unknown-user"),
        pytest.param(Attempt(USER, PASSWORD.upper()), REFUSED_BY_SERVER, id="password-case"),
        pytest.param(Attempt(USER, ""), REFUSED_BY_SERVER, id="empty-password"),
        pytest.param(Attempt(USER, "x" * 2000), REFUSED_BY_SERVER, id="response-too-long"),
        pytest.param(
            Attempt(USER, PASSWORD, authorization="kommune-4601"),
            REFUSED_BY_SERVER,
            id="authzid-is-other-user",
        ),
        # the server offers only PLAIN: a client without credentials, or one allowed only
        # ANONYMOUS, finds no mechanism it can use and gives up before sending any
        pytest.param(Attempt(None, None), NO_COMMON_MECHANISM, id="anonymous-no-credentials"),
        pytest.param(
            Attempt(USER, PASSWORD, allowed_mechs="ANONYMOUS"),
            NO_COMMON_MECHANISM,
            id="anonymous-only",
        ),
    ],
)
def test_refused_logins_show_unauthorized_access(
    tls_server: PlainServer, tls_files: Any, attempt: Attempt, description: str
) -> None:
    users_before = len(tls_server.record.users)
    result = login_once(tls_server, tls_files, attempt)
    assert (result.condition, result.description) == (UNAUTHORIZED, description)
    assert not result.opened
    assert tls_server.record.users[users_before:] == []
    if description == REFUSED_BY_SERVER:
        wait_for_server_error(
            tls_server, "amqp:unauthorized-access: Failed to authenticate client [mech=PLAIN]"
        )


def test_client_without_sasl_is_refused_by_require_auth(
    tls_server: PlainServer, tls_files: Any
) -> None:
    users_before = len(tls_server.record.users)
    result = login_once(tls_server, tls_files, Attempt(None, None, sasl_enabled=False))
    assert not result.opened
    assert result.condition == "amqp:connection:framing-error"  # the server hangs up
    assert tls_server.record.users[users_before:] == []
    wait_for_server_error(
        tls_server, "amqp:connection:policy-error: Client skipped authentication - forbidden"
    )


def test_authzid_equal_to_the_user_is_accepted(tls_server: PlainServer, tls_files: Any) -> None:
    result = login_once(tls_server, tls_files, Attempt(USER, PASSWORD, authorization=USER))
    assert result == Login(opened=True, accepted=True)


def test_plain_without_tls_is_refused_unless_the_listener_allows_it(
    strict_tcp_server: PlainServer,
) -> None:
    result = login_once(strict_tcp_server, None, Attempt(USER, PASSWORD))
    assert result.condition == UNAUTHORIZED
    assert not result.opened
    right = b"\0kommune-0301\0synthetic-pass-0301"
    assert raw_sasl_outcome(strict_tcp_server.port, "PLAIN", right) == OUTCOME_AUTH
    assert strict_tcp_server.record.users == []


# --- A raw SASL client: bytes proton's client never sends ----------------------------------

SASL_HEADER = b"AMQP\x03\x01\x00\x00"
SASL_INIT, SASL_OUTCOME = 0x41, 0x44
OUTCOME_OK, OUTCOME_AUTH = 0, 1


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "server closed the connection early"
        data += chunk
    return data


def _receive_frame(sock: socket.socket) -> Any:
    """The next SASL frame, decoded, or ``None`` if the server closes the connection first."""
    header = sock.recv(8, socket.MSG_WAITALL)
    if not header:
        return None
    size, doff, frame_type, _channel = struct.unpack(">IBBH", header)
    assert frame_type == 1, "not a SASL frame"
    body = _receive_exactly(sock, size - 8)[doff * 4 - 8 :]
    data = Data()
    data.decode(body)
    return data.get_object()


def _sasl_init_frame(mechanism: str, response: bytes) -> bytes:
    init = Data()
    init.put_described()
    init.enter()
    init.put_ulong(SASL_INIT)
    init.put_list()
    init.enter()
    init.put_symbol(mechanism)
    init.put_binary(response)
    init.exit()
    init.exit()
    body = init.encode()
    return struct.pack(">IBBH", 8 + len(body), 2, 1, 0) + body


def raw_sasl_outcome(port: int, mechanism: str, *responses: bytes) -> int | None:
    """Speak SASL by hand over plain TCP and return the sasl-outcome code the server sends.

    Several ``responses`` are sent as that many sasl-init frames in one write. ``None`` means
    that the server closed the connection without an outcome.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(SASL_HEADER)
        assert _receive_exactly(sock, 8) == SASL_HEADER
        mechanisms = _receive_frame(sock)
        assert list(mechanisms.value[0]) == ["PLAIN"]
        sock.sendall(b"".join(_sasl_init_frame(mechanism, response) for response in responses))
        outcome = _receive_frame(sock)
        if outcome is None:
            return None
        assert outcome.descriptor == SASL_OUTCOME
        return int(outcome.value[0])


@pytest.mark.parametrize(
    ("mechanism", "response"),
    [
        pytest.param("PLAIN", b"kommune-0301 synthetic-pass-0301", id="no-nul"),
        pytest.param("PLAIN", b"\0kommune-0301\0", id="empty-password"),
        pytest.param("PLAIN", b"\0\0synthetic-pass-0301", id="empty-user"),
        pytest.param("PLAIN", b"\0kommune-0301\0synthetic-pass-0301\0", id="three-nuls"),
        pytest.param("PLAIN", b"\0kommune-0301\0\xff\xfe", id="not-utf8"),
        pytest.param("PLAIN", b"\0kommune-0301\0" + b"p" * 1100, id="too-long"),
        pytest.param(
            "PLAIN", b"kommune-4601\0kommune-0301\0synthetic-pass-0301", id="other-authzid"
        ),
        pytest.param("PLAIN", b"", id="empty-response"),
        pytest.param("ANONYMOUS", b"anonymous", id="anonymous-not-offered"),
    ],
)
def test_malformed_or_unoffered_init_gets_the_auth_outcome(
    tcp_server: PlainServer, mechanism: str, response: bytes
) -> None:
    assert raw_sasl_outcome(tcp_server.port, mechanism, response) == OUTCOME_AUTH


RIGHT_RESPONSE = b"\0kommune-0301\0synthetic-pass-0301"


def test_raw_client_with_right_credentials_gets_ok(tcp_server: PlainServer) -> None:
    assert raw_sasl_outcome(tcp_server.port, "PLAIN", RIGHT_RESPONSE) == OUTCOME_OK


def test_a_second_sasl_init_on_one_connection_is_not_a_second_try(
    tcp_server: PlainServer,
) -> None:
    # proton stops reading SASL frames after the first init and hangs up on the rest (if they
    # arrive in the same read) or sends the first outcome: never OK for the second password
    guess = b"\0kommune-0301\0guess"
    assert raw_sasl_outcome(tcp_server.port, "PLAIN", guess, RIGHT_RESPONSE) in (
        OUTCOME_AUTH,
        None,
    )


# --- The check: swapping it, and checks that fail badly ------------------------------------


@contextlib.contextmanager
def _with_check(check: Callable[[str, str], Any]) -> Iterator[None]:
    sasl.install_plain_authenticator(check)
    try:
        yield
    finally:
        sasl.install_plain_authenticator(registry_check)


def test_swapped_check_takes_effect_on_the_next_login(tcp_server: PlainServer) -> None:
    right = b"\0kommune-0301\0synthetic-pass-0301"
    swapped = b"\0kommune-0301\0rotated-pass"
    with _with_check(lambda user, password: password == "rotated-pass"):
        assert raw_sasl_outcome(tcp_server.port, "PLAIN", swapped) == OUTCOME_OK
        assert raw_sasl_outcome(tcp_server.port, "PLAIN", right) == OUTCOME_AUTH
    assert raw_sasl_outcome(tcp_server.port, "PLAIN", right) == OUTCOME_OK


def _raising_check(user: str, password: str) -> bool:
    raise RuntimeError("registry unavailable")


@pytest.mark.parametrize(
    "check",
    [
        pytest.param(_raising_check, id="raises"),
        pytest.param(lambda user, password: "yes", id="truthy-not-true"),
    ],
)
def test_a_failing_check_refuses_and_the_server_keeps_running(
    tls_server: PlainServer, tls_files: Any, check: Callable[[str, str], Any]
) -> None:
    with _with_check(check):
        result = login_once(tls_server, tls_files, Attempt(USER, PASSWORD))
        assert result.condition == UNAUTHORIZED
    assert login_once(tls_server, tls_files, Attempt(USER, PASSWORD)).accepted


# --- Guards ---------------------------------------------------------------------------------


def test_other_proton_version_is_refused_saying_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proton, "VERSION", (0, 41, 0))
    with pytest.raises(EndpointError) as refused:
        sasl.install_plain_authenticator(registry_check)
    assert str(refused.value) == (
        "python-qpid-proton 0.41.0 is installed, but the endpoint's SASL PLAIN check plugs into "
        "proton's internal plug-in interface, verified only for 0.39.0, 0.40.0. The "
        "client side (mockkpr send, KprClient) works with it; to run the endpoint install a "
        "verified proton (pip install 'python-qpid-proton>=0.39,<0.41', as `pip install "
        "'mockkpr[server]'` does) or run the container image. How to verify another version: "
        "`mockkpr docs sasl`.")


@pytest.mark.parametrize("version", sasl.VERIFIED_PROTON_VERSIONS)
def test_every_verified_version_passes_the_version_check(version: tuple[int, ...]) -> None:
    sasl.check_proton_version(version)


def test_the_server_extra_allows_exactly_the_verified_versions() -> None:
    """pyproject's range for the server and the versions the module accepts stay in step."""
    import tomllib

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    server = [d for d in project["project"]["optional-dependencies"]["server"]
              if d.startswith("python-qpid-proton")]
    assert server == ["python-qpid-proton>=0.39,<0.41"]
    assert [v[:2] for v in sasl.VERIFIED_PROTON_VERSIONS] == [(0, 39), (0, 40)]


@pytest.mark.parametrize("state", [0, 4, 6])
def test_a_plugin_table_that_misbehaves_is_refused_at_install(state: int) -> None:
    """The run-time ABI guard: a wrong value in what the module declares (here the state it
    asks proton for after a login) makes the in-memory login fail, so install refuses and
    leaves proton's own SASL in place. In a fresh process: installing is once per process."""
    code = ("import sys\nfrom mockkpr.endpoint import sasl\nfrom mockkpr.errors import "
            f"EndpointError\nsasl._SASL_POSTED_OUTCOME = {state}\ntry:\n"
            "    sasl.install_plain_authenticator(lambda user, password: True)\n"
            "except EndpointError as exc:\n    print(exc)\n    sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stdout.startswith(f"python-qpid-proton {'.'.join(map(str, proton.VERSION))}'s "
                                  "SASL plug-in interface does not behave as mockkpr expects")


def test_library_without_the_plugin_symbols_is_refused() -> None:
    libc = ctypes.util.find_library("c")
    assert libc is not None
    with pytest.raises(EndpointError, match="SASL plug-in interface is missing from"):
        sasl._ProtonCore(libc)


def test_require_plain_before_install_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sasl, "_installed", False)
    with pytest.raises(EndpointError, match="install_plain_authenticator\\(\\) must be called"):
        sasl.require_plain(Transport(Transport.SERVER))


def _in_memory_login(user: str | None, password: str) -> tuple[Any, str | None]:
    """Log a proton client in to a proton server transport in memory: (outcome, server user)."""
    server = Transport(Transport.SERVER)
    server.sasl().allow_insecure_mechs = True
    server.bind(proton.Connection())
    client = Transport()
    client.sasl().allow_insecure_mechs = True
    connection = proton.Connection()
    if user is not None:
        connection.user, connection.password = user, password
    client.bind(connection)
    connection.open()
    for _ in range(10):
        for source, sink in ((client, server), (server, client)):
            pending = source.pending()
            data = source.peek(pending) if pending > 0 else None
            if data:
                sink.push(data)
                source.pop(pending)
    return server.sasl().outcome, server.user


def test_uninstall_restores_proton_defaults_for_new_transports(authenticator: None) -> None:
    assert _in_memory_login(USER, PASSWORD) == (proton.SASL.OK, USER)
    assert _in_memory_login(None, "") == (None, None)  # PLAIN only: no mechanism to try
    sasl.uninstall_plain_authenticator()
    try:
        assert _in_memory_login(None, "") == (proton.SASL.OK, "anonymous")
        assert _in_memory_login(USER, PASSWORD) == (proton.SASL.OK, "anonymous")
        with pytest.raises(EndpointError, match="must be called before require_plain"):
            sasl.require_plain(Transport(Transport.SERVER))
    finally:
        sasl.install_plain_authenticator(registry_check)
    assert _in_memory_login(USER, PASSWORD) == (proton.SASL.OK, USER)


# --- parse_plain_response: the messages a refused login is logged with ----------------------


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (b"user password", "must be authzid NUL user NUL password, found 0 NUL bytes instead of 2"),
        (b"\0a\0b\0c", "must be authzid NUL user NUL password, found 3 NUL bytes instead of 2"),
        (b"\0\0pw", "SASL PLAIN response has an empty user name"),
        (b"\0user\0", "SASL PLAIN response for user 'user' has an empty password"),
        (b"\0user\0\xff", "SASL PLAIN response is not UTF-8"),
        (b"\0u\0" + b"p" * 1022, "SASL PLAIN response is 1025 bytes, more than 1024"),
        (
            b"admin\0user\0pw",
            "SASL PLAIN authorization identity 'admin' differs from user 'user'; acting for "
            "another identity is not supported",
        ),
    ],
)
def test_parse_plain_response_rejects(response: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        sasl.parse_plain_response(response)
    assert message in str(caught.value)


def test_parse_plain_response_accepts_utf8_and_equal_authzid() -> None:
    credentials = sasl.parse_plain_response("bruker\0bruker\0pæssord".encode())
    assert (credentials.user, credentials.password) == ("bruker", "pæssord")
    assert "pæssord" not in repr(credentials)
    assert sasl.parse_plain_response(b"\0u\0" + b"p" * 1021).password == "p" * 1021


# --- Many logins: no crash, bounded memory --------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
def test_300_tls_logins_with_wrong_passwords_mixed_in(
    tls_server: PlainServer, tls_files: Any
) -> None:
    url = f"amqps://localhost:{tls_server.port}"
    warm_up = [Attempt(USER, PASSWORD if i % 10 else "wrong") for i in range(30)]
    _Client(url, _client_domain(tls_files), warm_up).run()
    attempts = [Attempt(USER, PASSWORD if i % 10 else "wrong") for i in range(300)]
    users_before = len(tls_server.record.users)
    rss_before = _rss_bytes()
    started = time.perf_counter()
    results = _Client(url, _client_domain(tls_files), attempts).run()
    elapsed = time.perf_counter() - started
    growth = _rss_bytes() - rss_before
    print(
        f"\n300 TLS+PLAIN logins (connect, auth, attach, send, close): "
        f"{elapsed / 300 * 1000:.2f} ms each; RSS growth {growth / 1e6:.2f} MB"
    )
    refused = [r for r in results if r.condition == UNAUTHORIZED]
    accepted = [r for r in results if r.accepted]
    assert (len(refused), len(accepted)) == (30, 270)
    assert tls_server.record.users[users_before:] == [USER] * 270
    assert growth < 50_000_000


# --- An independent client: Node's rhea -----------------------------------------------------


def rhea_login(rhea_dir: Path, port: int, tls_files: Any, user: str, password: str) -> Any:
    completed = subprocess.run(
        ["node", str(JS_CLIENT), "localhost", str(port), str(tls_files.ca_cert), user, password],
        env={**os.environ, "NODE_PATH": str(rhea_dir / "node_modules")},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr
    return json.loads(completed.stdout)


def test_rhea_logs_in_with_plain_over_tls(
    rhea_dir: Path, tls_server: PlainServer, tls_files: Any
) -> None:
    users_before = len(tls_server.record.users)
    result = rhea_login(rhea_dir, tls_server.port, tls_files, USER, PASSWORD)
    assert result == {"result": "accepted"}
    assert tls_server.record.users[users_before:] == [USER]


def test_rhea_with_a_wrong_password_is_refused(
    rhea_dir: Path, tls_server: PlainServer, tls_files: Any
) -> None:
    result = rhea_login(rhea_dir, tls_server.port, tls_files, USER, "wrong-password")
    assert result["result"] == "error"
    assert result["condition"] == UNAUTHORIZED
