"""Who gets as far as a login: the first bytes on each port, and the rate of failed logins.

- :func:`guard_first_bytes` looks at what a client sends first, before proton reads it. On the
  TLS port anything but a TLS record is closed at once, so SASL is never spoken in clear there
  (proton would run SASL on a plain connection and refuse it only afterwards: a password
  oracle). On the plain port a bare AMQP header (``AMQP 0 1 0 0``, no SASL) gets the SASL
  header back before the connection is closed, as AMQP 1.0 part 5, 5.3.1 asks of a server that
  requires SASL (proton would close without a word).
- :class:`LoginThrottle` counts failed logins per account and per client address in token
  buckets: a burst of ``per_minute`` failures, refilled evenly over a minute. While either
  bucket is empty, logins of that account or from that address are refused *without* their
  password being checked, so guessing is slowed to the refill rate and a right guess during a
  storm is not told apart from a wrong one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from mockkpr.log import get_logger

log = get_logger(__name__)

#: The first byte of a TLS record carrying a handshake (a ClientHello).
TLS_HANDSHAKE = 0x16
SASL_HEADER = b"AMQP\x03\x01\x00\x00"
AMQP_HEADER = b"AMQP\x00\x01\x00\x00"
#: Accounts and addresses remembered at most (least recently failed forgotten first).
MAX_TRACKED = 10_000


class _FirstBytes:
    """An accepted socket whose first bytes are judged before they reach proton.

    Everything else is the socket's own (attribute access is forwarded), so proton's I/O
    handler uses it as it would the socket.
    """

    def __init__(self, sock: Any, *, tls: bool) -> None:
        self._sock = sock
        self._tls = tls
        self._seen = b""
        self._judged = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def recv(self, size: int) -> bytes:
        data: bytes = self._sock.recv(size)
        if self._judged or not data:
            return data
        self._seen += data[:8 - len(self._seen)]
        if self._tls:
            self._judged = True
            if self._seen[0] != TLS_HANDSHAKE:
                log.info("connection.not_tls", first_bytes=self._seen.hex())
                return b""  # end of input: proton closes, having sent nothing
            return data
        if not AMQP_HEADER.startswith(self._seen):
            self._judged = True
        elif len(self._seen) == len(AMQP_HEADER):
            self._judged = True
            log.info("connection.sasl_skipped")
            with contextlib.suppress(OSError):  # 8 bytes on a fresh socket: never partial
                self._sock.send(SASL_HEADER)
            return b""
        return data


def guard_first_bytes(transport: Any, *, tls: bool) -> bool:
    """Judge the first bytes of an accepted connection's socket (see the module's notes).

    Call it from ``on_connection_bound``; ``transport`` is the proton transport of a connection
    a listener accepted (proton 0.40.0 keeps its selectable in ``_selectable`` and the socket
    as the selectable's ``_delegate``). False when there is no socket to guard.
    """
    selectable: Any = getattr(transport, "_selectable", None)
    sock = getattr(selectable, "_delegate", None)
    if selectable is None or sock is None or isinstance(sock, _FirstBytes):
        return False
    selectable._delegate = _FirstBytes(sock, tls=tls)
    return True


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class LoginThrottle:
    """Failed logins per account and per address (thread-safe).

    ``per_minute`` failures may come at once; the budget then refills at ``per_minute`` a
    minute. 0 turns the throttle off. At most :data:`MAX_TRACKED` accounts and addresses are
    remembered each, so names made up by an attacker cannot fill memory.
    """

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, OrderedDict[str, _Bucket]] = {
            "user": OrderedDict(), "address": OrderedDict()}

    def _tokens(self, kind: str, key: str, now: float) -> float:
        bucket = self._buckets[kind].get(key)
        if bucket is None:
            return float(self.per_minute)
        refilled = bucket.tokens + (now - bucket.stamp) * self.per_minute / 60.0
        return min(float(self.per_minute), refilled)

    def allowed(self, user: str, address: str | None) -> bool:
        """Whether a login of ``user`` from ``address`` may have its password checked."""
        if self.per_minute <= 0:
            return True
        now = self._clock()
        with self._lock:
            if self._tokens("user", user, now) < 1:
                log.info("sasl.login_throttled", user=user, by="account")
                return False
            if address is not None and self._tokens("address", address, now) < 1:
                log.info("sasl.login_throttled", user=user, address=address, by="address")
                return False
        return True

    def failed(self, user: str | None, address: str | None) -> None:
        """Count one failed login against the account and the address."""
        if self.per_minute <= 0:
            return
        now = self._clock()
        with self._lock:
            for kind, key in (("user", user), ("address", address)):
                if key is None:
                    continue
                buckets = self._buckets[kind]
                tokens = self._tokens(kind, key, now)
                buckets.pop(key, None)
                buckets[key] = _Bucket(max(tokens - 1, 0.0), now)
                while len(buckets) > MAX_TRACKED:
                    buckets.popitem(last=False)
