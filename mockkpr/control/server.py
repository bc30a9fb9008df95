"""Run an ASGI app (the control API, or with TLS the HTTP submission API) with uvicorn in a
background thread.

>>> with ControlServer(app, "127.0.0.1", 0) as server:   # doctest: +SKIP
...     httpx.get(f"{server.url}/healthz")
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from mockkpr.control.urls import control_url
from mockkpr.errors import EndpointError

#: Seconds start() waits for the server to accept connections.
START_TIMEOUT_S = 10.0


class ControlServer:
    """uvicorn serving ``app`` on ``host``:``port`` (0 picks a free port) in a thread.

    The socket is bound in :meth:`start`, so a port in use fails there with
    :class:`EndpointError`, and :attr:`port` is the real port even when 0 was asked for.
    ``name`` says which server in errors. ``tls`` (certificate and key PEM files) serves HTTPS
    instead: TLS 1.2 or newer, the minimum of Python's server context.
    """

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0, *,
                 tls: tuple[Path, Path] | None = None, name: str = "control API") -> None:
        self.app = app
        self.name = name
        self.host = host
        self.tls = tls
        self._requested_port = port
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._socket is None:
            raise EndpointError(f"the {self.name} is not started")
        return int(self._socket.getsockname()[1])

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        """``http://host:port`` (``https`` with TLS) of the running server (a wildcard host
        becomes loopback)."""
        url = control_url(self.host, self.port)
        return "https" + url[len("http"):] if self.tls is not None else url

    def start(self) -> None:
        """Bind, start serving and return once the server accepts connections."""
        if self._thread is not None:
            raise EndpointError(f"the {self.name} is already started")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            sock = socket.create_server((self.host, self._requested_port), family=family)
        except OSError as exc:
            raise EndpointError(
                f"{self.name} cannot listen on {self.host}:{self._requested_port}: "
                f"{exc.strerror or exc}"
            ) from None
        # Accepted connections inherit TCP_NODELAY (Linux). Without it a response written
        # as headers then body waits for the client's delayed ACK: 40 ms on every request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket = sock
        config = uvicorn.Config(self.app, log_config=None, access_log=False,
                                log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=2,
                                ssl_certfile=self.tls[0] if self.tls else None,
                                ssl_keyfile=self.tls[1] if self.tls else None)
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name="mockkpr-control", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                where = f"{self.host}:{self.port}"
                self.stop()
                raise EndpointError(f"{self.name} on {where} did not start")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        """End running long polls, stop serving and wait for the thread."""
        stopping = getattr(self.app.state, "stopping", None)
        if isinstance(stopping, threading.Event):
            stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._socket = None
        self._thread = None
        self._server = None

    def __enter__(self) -> ControlServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
