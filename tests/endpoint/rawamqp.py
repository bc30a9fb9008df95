"""A minimal AMQP 1.0 client that writes frames by hand, for probes no library would send.

Hostile-sender tests (and the soak benchmark) need bytes a well-behaved client never sends,
and thousands of short connections faster than a full client makes them: protocol headers
alone, SASL in clear on the TLS port, an ``open`` without SASL. Performatives are encoded with
:class:`proton.Data` (the AMQP type system), framing is written here (AMQP 1.0 part 2, 2.3).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proton import Data

SASL_HEADER = b"AMQP\x03\x01\x00\x00"
AMQP_HEADER = b"AMQP\x00\x01\x00\x00"
TLS_HEADER = b"AMQP\x02\x01\x00\x00"
FRAME_AMQP, FRAME_SASL = 0, 1
SASL_MECHANISMS, SASL_INIT, SASL_OUTCOME = 0x40, 0x41, 0x44
OPEN, CLOSE = 0x10, 0x18
OUTCOME_OK, OUTCOME_AUTH = 0, 1


@dataclass(frozen=True)
class Frame:
    """One frame read back: its type, channel and performative (descriptor and fields)."""

    kind: int
    channel: int
    descriptor: int | None
    fields: list[Any]


def performative(descriptor: int, *fields: tuple[str, Any]) -> bytes:
    """A described list: ``fields`` are (AMQP type, value) pairs, e.g. ``("symbol", "PLAIN")``."""
    data = Data()
    data.put_described()
    data.enter()
    data.put_ulong(descriptor)
    data.put_list()
    data.enter()
    for kind, value in fields:
        if value is None:
            data.put_null()
        else:
            getattr(data, f"put_{kind}")(value)
    data.exit()
    data.exit()
    return bytes(data.encode())


def frame(body: bytes, *, kind: int = FRAME_AMQP, channel: int = 0) -> bytes:
    """``body`` framed: size, data offset 2 (no extended header), type, channel."""
    return struct.pack(">IBBH", 8 + len(body), 2, kind, channel) + body


def plain_response(user: str, password: str) -> bytes:
    """The SASL PLAIN initial response (RFC 4616) with an empty authorization identity."""
    return b"\0" + user.encode() + b"\0" + password.encode()


class RawConnection:
    """A socket (plain or TLS) speaking AMQP 1.0 frame by frame; use as a context manager."""

    def __init__(self, sock: socket.socket | ssl.SSLSocket) -> None:
        self.sock = sock

    @classmethod
    def open_socket(cls, port: int, *, ca: Path | None = None, host: str = "localhost",
                    timeout: float = 10.0, source: str | None = None) -> RawConnection:
        """Connect to ``host:port`` (from the address ``source``, e.g. ``127.0.0.2``); with
        ``ca``, complete a TLS handshake trusting it."""
        raw = socket.create_connection((host, port), timeout=timeout,
                                       source_address=(source, 0) if source else None)
        if ca is None:
            return cls(raw)
        context = ssl.create_default_context(cafile=str(ca))
        try:
            return cls(context.wrap_socket(raw, server_hostname=host))
        except BaseException:
            raw.close()
            raise

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive(self, size: int) -> bytes:
        """Exactly ``size`` bytes, or fewer when the server closes first."""
        data = b""
        while len(data) < size:
            try:
                chunk = self.sock.recv(size - len(data))
            except (ConnectionResetError, ssl.SSLError):
                chunk = b""
            if not chunk:
                break
            data += chunk
        return data

    def read_all(self) -> bytes:
        """Everything until the server closes (or the socket times out)."""
        received = b""
        try:
            while chunk := self.sock.recv(4096):
                received += chunk
        except (ConnectionResetError, ssl.SSLError, TimeoutError):
            pass
        return received

    def read_frame(self) -> Frame | None:
        """The next frame, or None when the server closes the connection first."""
        head = self.receive(8)
        if len(head) < 8:
            return None
        size, doff, kind, channel = struct.unpack(">IBBH", head)
        rest = self.receive(size - 8)
        body = rest[doff * 4 - 8:]
        if not body:  # an empty frame (heartbeat)
            return Frame(kind, channel, None, [])
        data = Data()
        data.decode(body)
        value = data.get_object()
        return Frame(kind, channel, int(value.descriptor), list(value.value))

    # ------------------------------------------------------------------ conversations
    def sasl_plain(self, user: str, password: str) -> int | None:
        """Offer SASL, log in with PLAIN; the sasl-outcome code (None: closed before one)."""
        self.send(SASL_HEADER)
        if self.receive(8) != SASL_HEADER:
            return None
        mechanisms = self.read_frame()
        if mechanisms is None or mechanisms.descriptor != SASL_MECHANISMS:
            return None
        self.send(frame(performative(SASL_INIT, ("symbol", "PLAIN"),
                                     ("binary", plain_response(user, password))),
                        kind=FRAME_SASL))
        outcome = self.read_frame()
        if outcome is None or outcome.descriptor != SASL_OUTCOME:
            return None
        return int(outcome.fields[0])

    def open_and_close(self, container_id: str = "rawamqp") -> bool:
        """After a successful login: AMQP header, open, close; True when the server opened."""
        self.send(AMQP_HEADER)
        if self.receive(8) != AMQP_HEADER:
            return False
        self.send(frame(performative(OPEN, ("string", container_id))))
        opened = self.read_frame()
        self.send(frame(performative(CLOSE)))
        closed = self.read_frame()
        return (opened is not None and opened.descriptor == OPEN
                and closed is not None and closed.descriptor == CLOSE)
