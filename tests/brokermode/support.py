"""Small AMQP 1.0 helpers for broker-mode tests (raw proton, no mockkpr code in the way)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from proton import Message
from proton.handlers import MessagingHandler
from proton.reactor import Container

from mockkpr.endpoint import tls
from mockkpr.registry import Registry


@dataclass
class _Outcome:
    text: str = "timeout"
    messages: list[Message] = field(default_factory=list)


class _Attach(MessagingHandler):
    """Attach one receiver; record "attached" or the condition that refused it; drain."""

    def __init__(self, url: str, user: str, password: str, address: str, registry: Registry,
                 *, collect_s: float) -> None:
        super().__init__(prefetch=100, auto_accept=True)
        self.url, self.user, self.password, self.address = url, user, password, address
        self.registry = registry
        self.collect_s = collect_s
        self.outcome = _Outcome()
        self.connection: Any = None
        self.container: Any = None

    def on_start(self, event: Any) -> None:
        self.container = event.container
        self.connection = event.container.connect(
            self.url, user=self.user, password=self.password, allowed_mechs="PLAIN",
            ssl_domain=tls.client_domain(self.registry.ca_path), reconnect=False)
        event.container.create_receiver(self.connection, self.address)
        event.container.schedule(10, self)

    def _finish(self, text: str) -> None:
        if self.outcome.text in ("timeout", "attached"):
            self.outcome.text = text
        if self.connection is not None:
            self.connection.close()
        self.container.stop()  # no waiting for the broker's close or for pending timers

    def on_link_opened(self, event: Any) -> None:
        self.outcome.text = "attached"
        event.container.schedule(self.collect_s, self)

    def on_message(self, event: Any) -> None:
        self.outcome.messages.append(event.message)

    def on_timer_task(self, event: Any) -> None:
        self._finish(self.outcome.text)

    def _refused(self, endpoint: Any) -> None:
        condition = getattr(endpoint, "remote_condition", None) or \
            getattr(endpoint, "condition", None)
        # RabbitMQ 3.x does not close a connection whose session it ended: stop at once
        self._finish(f"{condition.name}: {condition.description}" if condition else "closed")

    def on_session_error(self, event: Any) -> None:
        self._refused(event.session)

    def on_link_error(self, event: Any) -> None:
        self._refused(event.link)

    def on_connection_error(self, event: Any) -> None:
        self._refused(event.connection)

    def on_transport_error(self, event: Any) -> None:
        self._refused(event.transport)


def attach(url: str, user: str, password: str, address: str, registry: Registry,
           *, collect_s: float = 0.5) -> tuple[str, list[Message]]:
    """Try to receive from ``address`` as ``user``: ("attached", messages) or the refusal."""
    handler = _Attach(url, user, password, address, registry, collect_s=collect_s)
    Container(handler).run()
    return handler.outcome.text, handler.outcome.messages
