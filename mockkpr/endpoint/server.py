"""The AMQP listener thread: a proton container running :class:`EmbeddedBroker`."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from proton import SSLDomain
from proton.reactor import ApplicationEvent, Container

from mockkpr.endpoint.broker import EmbeddedBroker
from mockkpr.errors import EndpointError
from mockkpr.log import get_logger

log = get_logger(__name__)

#: Connections the kernel queues for accepting (capped by net.core.somaxconn).
ACCEPT_BACKLOG = 1024


@dataclass(frozen=True)
class Listen:
    """One listener: host, port (0 picks a free one) and TLS domain (None for plain TCP)."""

    host: str
    port: int
    tls: SSLDomain | None


class AmqpServer:
    """Starts the broker's listeners and runs the reactor in a background thread.

    ``ports`` gives the bound port of each listener in order (useful with port 0).
    """

    def __init__(self, broker: EmbeddedBroker, listeners: list[Listen]) -> None:
        self.broker = broker
        self.listeners = listeners
        self.acceptors: list[Any] = []
        self.ports: list[int] = []
        self._container = Container(broker)
        self._container.container_id = "mockkpr"
        self._thread: threading.Thread | None = None
        broker.acceptors = self.acceptors

    def start(self) -> None:
        """Bind every listener (errors surface here) and start the reactor thread."""
        for listen in self.listeners:
            try:
                acceptor = self._container.listen(f"{listen.host}:{listen.port}",
                                                  ssl_domain=listen.tls)
            except Exception as exc:
                raise EndpointError(
                    f"cannot listen on {listen.host}:{listen.port}: {exc}") from None
            self.acceptors.append(acceptor)
            # proton neither reports the bound port nor lets one choose the accept backlog;
            # its selectable delegates to the socket. Its backlog of 10 drops the SYNs of a
            # crowd connecting at once, and their retries back off for up to a minute.
            acceptor._selectable.listen(ACCEPT_BACKLOG)
            self.ports.append(int(acceptor._selectable.getsockname()[1]))
        self._thread = threading.Thread(target=self._run, name="mockkpr-amqp", daemon=True)
        self._thread.start()
        log.info("amqp.listening", ports=self.ports)

    def _run(self) -> None:
        try:
            self._container.run()
        except Exception:  # a failure the handlers did not catch: say so, do not hide it
            log.exception("amqp.reactor_stopped")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10) -> None:
        """Close the listeners and stop the reactor."""
        if self._thread is None:
            return
        self.broker.injector.trigger(ApplicationEvent("stop"))
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise EndpointError("the AMQP reactor did not stop in time")
        self._thread = None
