"""SASL PLAIN user names and passwords checked by mockkpr itself, without Cyrus SASL.

The python-qpid-proton build from PyPI has no Cyrus SASL. Its built-in server then offers only
ANONYMOUS (and EXTERNAL), so a client holding a password silently logs in as ``anonymous`` and
the password never reaches the server. This module plugs a server half that speaks PLAIN into
proton through its SASL plug-in interface (``proton/sasl_plugin.h``):

- :func:`install_plain_authenticator` sets, once per process, a ``pnx_sasl_implementation``
  table as proton's default. Its server half offers only ``PLAIN``, parses the initial response
  ``authzid NUL user NUL password`` and asks a Python ``check(user, password)``; on success the
  transport's user (``Transport.user``) is the logged-in user. Every other entry, including
  the whole client half, points at proton's own built-in table, so proton clients in the same
  process keep working unchanged.
- :func:`require_plain` is called by a server handler in ``on_connection_bound`` for each
  accepted transport: authentication required, mechanisms restricted to PLAIN, PLAIN in clear
  allowed or not; optionally the transport's own :class:`LoginRules` (the server's password
  check, its login throttle and the client's address), so that two servers in one process
  each check their own users.

The plug-in interface is internal to proton: the struct layout and the state enum are written
down here from proton's headers, which are the same in 0.39.0 and 0.40.0. They are
guarded at run time twice: the installed version must be one of those, and before the table
serves anyone a login is played through it in memory (a right password must log in as its
user, a wrong one must be refused). Read docs/sasl.md before allowing another proton.
"""

from __future__ import annotations

import ctypes
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import proton

from mockkpr.endpoint.admission import LoginThrottle
from mockkpr.errors import EndpointError, InputError
from mockkpr.log import get_logger

VERIFIED_PROTON_VERSIONS: Final = ((0, 39, 0), (0, 40, 0))
"""The proton versions whose ``sasl_plugin.h`` (slots, state enum, ``pn_bytes_t``) and
``pnx_sasl_set_succeeded`` were compared with what this module declares (identical) and whose
compiled core is the ``cproton_ffi`` extension it loads (0.38 and older have a SWIG one)."""

PINNED_PROTON_VERSION: Final = VERIFIED_PROTON_VERSIONS[-1]
"""The newest verified version (what the image and the tests run)."""

MECHANISM: Final = "PLAIN"
"""The one mechanism the server offers once the authenticator is installed."""

MAX_PLAIN_RESPONSE: Final = 1024
"""Longest PLAIN initial response accepted, in bytes (RFC 4616 needs 3 x 255 + 2 at most)."""

PasswordCheck = Callable[[str, str], bool]
"""``check(user, password) -> bool``; runs on the container's thread, so it should be quick."""

#: Attribute of a server transport (kept by proton in the transport's record) holding its
#: :class:`LoginRules`.
RULES_ATTRIBUTE: Final = "mockkpr_login"

_log = get_logger(__name__)


# --- What proton 0.39.0 and 0.40.0 declare in proton/sasl_plugin.h and proton/types.h -------

# enum pnx_sasl_state: SASL_NONE = 0, SASL_POSTED_INIT, SASL_POSTED_MECHANISMS,
# SASL_POSTED_RESPONSE, SASL_POSTED_CHALLENGE, SASL_RECVED_SUCCESS, SASL_RECVED_FAILURE,
# SASL_POSTED_OUTCOME = 7, SASL_ERROR.
_SASL_POSTED_OUTCOME: Final = 7

# struct pnx_sasl_implementation: these fourteen function pointers, in this order.
_SLOTS: Final = (
    "free",
    "list_mechanisms",
    "init_server",
    "init_client",
    "prepare_write",
    "process_init",
    "process_response",
    "process_mechanisms",
    "process_challenge",
    "process_outcome",
    "can_encrypt",
    "max_encrypt_size",
    "encode",
    "decode",
)


class _SaslImplementation(ctypes.Structure):
    """``pnx_sasl_implementation``; every slot held as an untyped code address."""

    _fields_ = tuple((slot, ctypes.c_void_p) for slot in _SLOTS)


class _PnBytes(ctypes.Structure):
    """``pn_bytes_t``: ``size_t size; const char *start``."""

    _fields_ = (("size", ctypes.c_size_t), ("start", ctypes.c_void_p))


# const char *list_mechanisms(pn_transport_t *)
_ListMechanisms = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)
# void process_init(pn_transport_t *, const char *mechanism, const pn_bytes_t *recv)
_ProcessInit = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(_PnBytes))


def _function(library: ctypes.CDLL, name: str, restype: Any, *argtypes: Any) -> Any:
    function = getattr(library, name)
    function.restype = restype
    function.argtypes = argtypes
    return function


class _ProtonCore:
    """The entry points of proton's compiled core (and of the C library) this module calls."""

    def __init__(self, library_path: str) -> None:
        try:
            core = ctypes.CDLL(library_path)
            vp = ctypes.c_void_p
            table = ctypes.POINTER(_SaslImplementation)
            self.set_default_implementation = _function(
                core, "pnx_sasl_set_default_implementation", None, table
            )
            self.set_succeeded = _function(core, "pnx_sasl_set_succeeded", None, vp, vp, vp)
            self.set_failed = _function(core, "pnx_sasl_set_failed", None, vp)
            self.set_desired_state = _function(
                core, "pnx_sasl_set_desired_state", None, vp, ctypes.c_int
            )
            self.set_context = _function(core, "pnx_sasl_set_context", None, vp, vp)
            self.is_encrypted = _function(
                core, "pnx_sasl_is_transport_encrypted", ctypes.c_bool, vp
            )
            self.allows_insecure = _function(
                core, "pnx_sasl_get_allow_insecure_mechanisms", ctypes.c_bool, vp
            )
            self.builtin = _SaslImplementation.in_dll(core, "default_sasl_impl")
        except (OSError, AttributeError, ValueError) as exc:
            raise EndpointError(
                f"proton's SASL plug-in interface is missing from {library_path}: {exc}"
            ) from None
        if not all(getattr(self.builtin, slot) for slot in _SLOTS):
            raise EndpointError(f"proton's built-in SASL table in {library_path} has empty slots")
        # The built-in free() releases the context with the C library's free(): allocate it
        # with the same C library's malloc() (the process's, as proton's core links it).
        self.malloc = _function(ctypes.CDLL(None), "malloc", vp, ctypes.c_size_t)


@dataclass(frozen=True)
class LoginRules:
    """How one accepted transport's login is judged: ``check`` (else the installed one), the
    ``throttle`` of failed logins (none: unlimited) and the client's address for it.

    Kept in proton's record of the transport; it must not refer to the transport (or its
    connection) itself, or neither would ever be freed.
    """

    check: PasswordCheck | None = None
    throttle: LoginThrottle | None = None
    peer: str | None = None


# --- Parsing the PLAIN initial response ---------------------------------------------------


@dataclass(frozen=True)
class PlainCredentials:
    """A user name and password taken from a SASL PLAIN initial response."""

    user: str
    password: str = field(repr=False)


def _too_long(size: int) -> str:
    return f"SASL PLAIN response is {size} bytes, more than {MAX_PLAIN_RESPONSE}"


def parse_plain_response(response: bytes) -> PlainCredentials:
    """Split a PLAIN initial response ``[authzid] NUL user NUL password`` (RFC 4616).

    The authorization identity must be empty or equal to the user: acting for another identity
    is not supported. Raises :class:`~mockkpr.errors.InputError` saying what is wrong.
    """
    if len(response) > MAX_PLAIN_RESPONSE:
        raise InputError(_too_long(len(response)))
    parts = response.split(b"\0")
    if len(parts) != 3:
        raise InputError(
            "SASL PLAIN response must be authzid NUL user NUL password, "
            f"found {len(parts) - 1} NUL bytes instead of 2"
        )
    try:
        authzid, user, password = (part.decode("utf-8") for part in parts)
    except UnicodeDecodeError:
        raise InputError("SASL PLAIN response is not UTF-8") from None
    if not user:
        raise InputError("SASL PLAIN response has an empty user name")
    if not password:
        raise InputError(f"SASL PLAIN response for user {user!r} has an empty password")
    if authzid and authzid != user:
        raise InputError(
            f"SASL PLAIN authorization identity {authzid!r} differs from user {user!r}; "
            "acting for another identity is not supported"
        )
    return PlainCredentials(user=user, password=password)


# --- The server half (runs inside proton's C code: nothing may raise out of it) -------------

_lock = threading.Lock()
_core: _ProtonCore | None = None
_check: PasswordCheck | None = None
_NO_RULES = LoginRules()
_installed = False
_quiet = False  # the self-test's logins are not logged
_table = _SaslImplementation()  # lives as long as the process: transports point at it
_offered = ctypes.create_string_buffer(MECHANISM.encode("ascii"))


def _list_mechanisms(transport: int | None) -> int:
    return ctypes.addressof(_offered)


def _rules_of(transport: int | None) -> LoginRules:
    """The rules :func:`require_plain` put on a server transport (none: the defaults)."""
    if not transport:
        return _NO_RULES
    ffi = importlib.import_module("cproton_ffi").ffi
    wrapped = proton.Transport.wrap(ffi.cast("pn_transport_t *", transport))
    rules = getattr(wrapped, RULES_ATTRIBUTE, None)
    return rules if isinstance(rules, LoginRules) else _NO_RULES


def _accepted_user(core: _ProtonCore, transport: int | None, mechanism: bytes | None,
                   recv: Any) -> str | None:
    """The user to log in, or ``None`` (with the reason logged) to refuse the login."""
    reason: str
    user = None
    rules = _rules_of(transport)
    peer, throttle = rules.peer, rules.throttle
    if mechanism != MECHANISM.encode("ascii"):
        reason = f"mechanism {mechanism!r} is not offered"
    elif not core.is_encrypted(transport) and not core.allows_insecure(transport):
        reason = "PLAIN over an unencrypted connection is not allowed on this listener"
    elif recv and recv.contents.size > MAX_PLAIN_RESPONSE:
        reason = _too_long(recv.contents.size)
    else:
        data = ctypes.string_at(recv.contents.start, recv.contents.size) if recv else b""
        try:
            credentials = parse_plain_response(data)
        except InputError as exc:
            reason = str(exc)
        else:
            user = credentials.user
            if throttle is not None and not throttle.allowed(user, peer):
                _log.info("sasl.login_refused", user=user, address=peer,
                          reason="too many failed logins: the password was not checked")
                return None  # not counted again: the budget refills while refused
            check = rules.check or _check
            if check is not None and check(credentials.user, credentials.password) is True:
                if not _quiet:
                    _log.debug("sasl.login_accepted", user=user, address=peer)
                return user
            reason = "user name or password not accepted"
    if throttle is not None:
        throttle.failed(user, peer)
    if not _quiet:
        _log.info("sasl.login_refused", user=user, address=peer, reason=reason)
    return None


def _succeed(core: _ProtonCore, transport: int | None, user: str) -> None:
    encoded = user.encode("utf-8") + b"\0"
    copy = core.malloc(len(encoded))
    if not copy:
        raise MemoryError("no memory for the SASL user name")
    ctypes.memmove(copy, encoded, len(encoded))
    core.set_context(transport, copy)  # the built-in free() releases it with the transport
    core.set_succeeded(transport, copy, copy)  # proton keeps the pointers, does not copy


def _process_init(transport: int | None, mechanism: bytes | None, recv: Any) -> None:
    core = _core
    if core is None:  # cannot happen: the table is only installed after _core is set
        return
    try:
        user = _accepted_user(core, transport, mechanism, recv)
        if user is None:
            core.set_failed(transport)
        else:
            _succeed(core, transport, user)
    except Exception:
        _log.exception("sasl.login_error")
        core.set_failed(transport)
    finally:
        core.set_desired_state(transport, _SASL_POSTED_OUTCOME)


# ctypes trampolines, kept alive by these module globals for as long as the table is in use.
_list_mechanisms_c = _ListMechanisms(_list_mechanisms)
_process_init_c = _ProcessInit(_process_init)


# --- Public API ---------------------------------------------------------------------------


def install_plain_authenticator(check: PasswordCheck) -> None:
    """Make every proton server in this process authenticate with SASL PLAIN through ``check``.

    The first call verifies proton's version and plug-in symbols (raising
    :class:`~mockkpr.errors.EndpointError` if they are not the pinned ones) and installs the
    table process-wide; later calls only swap ``check`` (for example when the registry of
    users is reloaded). ``check(user, password)`` must return ``True`` to accept; ``False``, any
    other value or an exception refuses the login, which the client sees as
    ``amqp:unauthorized-access``. A transport given its own :class:`LoginRules` uses their
    check instead. Only transports whose SASL layer is created after the first call are
    affected. Proton clients in the process keep proton's built-in client behaviour.
    """
    global _core, _check, _installed
    check_proton_version()
    with _lock:
        if _core is None:
            try:
                library = importlib.import_module("cproton_ffi").__file__
            except ImportError as exc:
                raise EndpointError(f"proton's compiled core cannot be loaded: {exc}") from None
            if library is None:
                raise EndpointError("proton's compiled core (cproton_ffi) has no file to load")
            core = _ProtonCore(library)
            for slot in _SLOTS:
                setattr(_table, slot, getattr(core.builtin, slot))
            _table.list_mechanisms = ctypes.cast(_list_mechanisms_c, ctypes.c_void_p).value
            _table.process_init = ctypes.cast(_process_init_c, ctypes.c_void_p).value
            _core = core
        if not _installed:
            _core.set_default_implementation(ctypes.byref(_table))
            _installed = True
            try:
                _self_test()
            except BaseException:
                _core.set_default_implementation(None)
                _installed = False
                raise
            _log.info("sasl.plain_installed", proton=_version_text(tuple(proton.VERSION)))
        _check = check


def _version_text(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def check_proton_version(version: tuple[int, ...] | None = None) -> None:
    """Raise :class:`~mockkpr.errors.EndpointError` unless ``version`` (default: the installed
    proton's) is one whose plug-in interface this module was verified against."""
    found = tuple(proton.VERSION) if version is None else version
    if found in VERIFIED_PROTON_VERSIONS:
        return
    verified = ", ".join(_version_text(v) for v in VERIFIED_PROTON_VERSIONS)
    raise EndpointError(
        f"python-qpid-proton {_version_text(found)} is installed, but the endpoint's SASL PLAIN "
        f"check plugs into proton's internal plug-in interface, verified only for {verified}. "
        "The client side (mockkpr send, KprClient) works with it; to run the endpoint install "
        "a verified proton (pip install 'python-qpid-proton>=0.39,<0.41', as "
        "`pip install 'mockkpr[server]'` does) or run the container image. How to verify "
        "another version: `mockkpr docs sasl`.")


_SELF_TEST_USER = "mockkpr-self-test"
_SELF_TEST_PASSWORD = "self-test-password"  # noqa: S105 - a fixed value for an in-memory login


def _login_in_memory(password: str) -> tuple[bool, str | None]:
    """A PLAIN login through the installed table, client and server transports joined in
    memory: (authenticated, the server's user)."""
    server, client = proton.Transport(proton.Transport.SERVER), proton.Transport()
    server_connection, client_connection = proton.Connection(), proton.Connection()
    client_connection.user, client_connection.password = _SELF_TEST_USER, password
    for transport, connection in ((server, server_connection), (client, client_connection)):
        transport.bind(connection)
        connection.open()
    require_plain(server, allow_insecure=True)
    client_sasl = client.sasl()
    client_sasl.allowed_mechs(MECHANISM)
    client_sasl.allow_insecure_mechs = True
    for _ in range(20):  # a SASL exchange takes a handful of round trips
        moved = 0
        for source, sink in ((client, server), (server, client)):
            pending = source.pending()
            data = source.peek(pending) if pending > 0 else None
            if data:
                sink.push(data)
                source.pop(len(data))
                moved += len(data)
        if not moved:
            break
    done = server.sasl().outcome is not None
    return done and server.authenticated, server.user if done else None


def _self_test() -> None:
    """Log in through the table once right and once wrong; raise if it does not behave."""
    global _check

    def fixed(user: str, password: str) -> bool:
        return (user, password) == (_SELF_TEST_USER, _SELF_TEST_PASSWORD)

    global _quiet
    previous, _check, _quiet = _check, fixed, True
    try:
        right = _login_in_memory(_SELF_TEST_PASSWORD)
        wrong = _login_in_memory("wrong-" + _SELF_TEST_PASSWORD)
    finally:
        _check, _quiet = previous, False
    if right != (True, _SELF_TEST_USER) or wrong[0]:
        raise EndpointError(
            f"python-qpid-proton {_version_text(tuple(proton.VERSION))}'s SASL plug-in interface "
            f"does not behave as mockkpr expects (a right password gave {right}, a wrong one "
            f"{wrong}); the endpoint cannot check passwords with it. Install a verified proton "
            "(`mockkpr docs sasl`) or run the container image.")


def uninstall_plain_authenticator() -> None:
    """Give transports created from now on proton's built-in SASL again (ANONYMOUS only).

    For tests that share a process with servers expecting proton's defaults. Transports that
    already have a SASL layer keep PLAIN and the current check.
    """
    global _installed
    with _lock:
        if _installed and _core is not None:
            _core.set_default_implementation(None)
            _installed = False
            _log.info("sasl.plain_uninstalled")


def require_plain(transport: proton.Transport, *, allow_insecure: bool = False,
                  rules: LoginRules | None = None) -> None:
    """Require a SASL PLAIN login on an accepted server ``transport``.

    Call it from the server handler's ``on_connection_bound``, after
    :func:`install_plain_authenticator`. Clients without SASL, with ANONYMOUS or with wrong
    credentials are refused with ``amqp:unauthorized-access``. PLAIN sends the password in
    clear, so it is refused (without being checked) on connections without TLS unless
    ``allow_insecure`` is true. ``rules``: this transport's check, throttle and client address
    (see :class:`LoginRules`).
    """
    if not _installed:
        raise EndpointError("install_plain_authenticator() must be called before require_plain()")
    if rules is not None:
        setattr(transport, RULES_ATTRIBUTE, rules)  # in proton's record of the transport
    transport.require_auth(True)
    sasl = transport.sasl()
    sasl.allowed_mechs(MECHANISM)
    sasl.allow_insecure_mechs = allow_insecure
