"""Small AMQP 1.0 helpers for broker-mode tests (raw proton, no mockkpr code in the way)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from proton import Message
from proton.handlers import MessagingHandler
from proton.reactor import Container

from mockkpr.client.sender import KprClient
from mockkpr.endpoint import tls
from mockkpr.registry import Registry
from mockkpr.service.messages import CMS_CONTENT_TYPE


@dataclass
class _Outcome:
    text: str = "timeout"
    messages: list[Message] = field(default_factory=list)


class _Later:
    """A timer task calling ``action``."""

    def __init__(self, action: Callable[[], None]) -> None:
        self.action = action

    def on_timer_task(self, event: Any) -> None:
        self.action()


class _Attach(MessagingHandler):
    """Attach one receiver; record "attached" or the condition that refused it; collect
    (and accept) messages for ``collect_s`` seconds or until ``enough(messages)``.

    It leaves like mockkpr's consumer does: the connection is dropped without an AMQP close
    once the last acceptances are out (RabbitMQ 3.10 keeps a phantom consumer of a
    connection closed with a close frame; see mockkpr.endpoint.consumer).
    """

    def __init__(self, url: str, user: str, password: str, address: str, registry: Registry,
                 *, collect_s: float, enough: Callable[[list[Message]], bool] | None) -> None:
        super().__init__(prefetch=100, auto_accept=False)
        self.url, self.user, self.password, self.address = url, user, password, address
        self.registry = registry
        self.collect_s = collect_s
        self.enough = enough
        self.outcome = _Outcome()
        self.connection: Any = None
        self.container: Any = None
        self.done = False

    def on_start(self, event: Any) -> None:
        self.container = event.container
        self.connection = event.container.connect(
            self.url, user=self.user, password=self.password, allowed_mechs="PLAIN",
            ssl_domain=tls.client_domain(self.registry.ca_path), reconnect=False)
        event.container.create_receiver(self.connection, self.address)
        event.container.schedule(10, _Later(self._attach_timeout))

    def _attach_timeout(self) -> None:
        if self.outcome.text == "timeout":
            self._finish("timeout")

    def _finish(self, text: str, *, at_once: bool = False) -> None:
        if self.done:
            return
        self.done = True
        if self.outcome.text in ("timeout", "attached"):
            self.outcome.text = text
        if at_once:
            self.container.stop()
            return
        self.container.schedule(0.3, _Later(self._abort))

    def _abort(self) -> None:
        transport = self.connection.transport if self.connection is not None else None
        if transport is None:
            self.container.stop()
            return
        transport.close_tail()
        transport.close_head()
        self.container.schedule(3, _Later(self.container.stop))

    def on_transport_closed(self, event: Any) -> None:
        self.container.stop()

    def on_link_opened(self, event: Any) -> None:
        self.outcome.text = "attached"
        event.container.schedule(self.collect_s, _Later(lambda: self._finish("attached")))

    def on_message(self, event: Any) -> None:
        if self.done:
            return  # left unsettled: the broker gives it to the next reader
        self.outcome.messages.append(event.message)
        self.accept(event.delivery)
        if self.enough is not None and self.enough(self.outcome.messages):
            self._finish("attached")

    def _refused(self, endpoint: Any) -> None:
        condition = getattr(endpoint, "remote_condition", None) or \
            getattr(endpoint, "condition", None)
        # RabbitMQ 3.x does not close a connection whose session it ended: stop at once
        self._finish(f"{condition.name}: {condition.description}" if condition else "closed",
                     at_once=True)

    def on_session_error(self, event: Any) -> None:
        self._refused(event.session)

    def on_link_error(self, event: Any) -> None:
        self._refused(event.link)

    def on_connection_error(self, event: Any) -> None:
        self._refused(event.connection)

    def on_transport_error(self, event: Any) -> None:
        if not self.done:
            self._refused(event.transport)


def attach(url: str, user: str, password: str, address: str, registry: Registry,
           *, collect_s: float = 0.5, enough: Callable[[list[Message]], bool] | None = None
           ) -> tuple[str, list[Message]]:
    """Try to receive from ``address`` as ``user``: ("attached", messages) or the refusal.

    Messages are accepted as they come, for ``collect_s`` seconds or until ``enough``.
    """
    handler = _Attach(url, user, password, address, registry, collect_s=collect_s,
                      enough=enough)
    Container(handler).run()
    return handler.outcome.text, handler.outcome.messages


def answers_by_request(messages: list[Message]) -> dict[str, set[str]]:
    """The message-ids of the answers to each request (by correlation-id)."""
    found: dict[str, set[str]] = {}
    for message in messages:
        found.setdefault(str(message.correlation_id), set()).add(str(message.id))
    return found


def answered_all(sent: set[str]) -> Callable[[list[Message]], bool]:
    """``enough`` for :func:`attach`: every request in ``sent`` has an answer."""
    return lambda messages: sent <= set(answers_by_request(messages))


class _Send(MessagingHandler):
    def __init__(self, url: str, user: str, password: str, address: str,
                 messages: list[Message], registry: Registry) -> None:
        super().__init__()
        self.url, self.user, self.password, self.address = url, user, password, address
        self.messages = list(messages)
        self.registry = registry
        self.accepted = 0
        self.problem: str | None = None

    def on_start(self, event: Any) -> None:
        connection = event.container.connect(
            self.url, user=self.user, password=self.password, allowed_mechs="PLAIN",
            ssl_domain=tls.client_domain(self.registry.ca_path), reconnect=False)
        event.container.create_sender(connection, self.address)

    def on_sendable(self, event: Any) -> None:
        while self.messages and event.sender.credit > 0:
            event.sender.send(self.messages.pop(0))

    def on_accepted(self, event: Any) -> None:
        self.accepted += 1
        if not self.messages and self.accepted == self.total:
            event.connection.close()

    def on_connection_closed(self, event: Any) -> None:
        event.container.stop()

    def on_rejected(self, event: Any) -> None:
        self.problem = "rejected"
        event.container.stop()

    def on_transport_error(self, event: Any) -> None:
        self.problem = str(event.transport.condition)

    total = 0


def send_all(url: str, user: str, password: str, address: str, messages: list[Message],
             registry: Registry) -> None:
    """Send ``messages`` to ``address`` and return once the broker accepted every one."""
    handler = _Send(url, user, password, address, messages, registry)
    handler.total = len(messages)
    Container(handler).run()
    assert handler.problem is None, handler.problem
    assert handler.accepted == len(messages)


def request(client: KprClient, document: bytes, **extra: str) -> Message:
    """The AMQP message ``client`` would send for ``document``, with extra properties."""
    xml, _, function = client.envelope(document)
    message_id = str(uuid.uuid4())
    return Message(id=message_id, correlation_id=message_id,
                   address=client.receiver.queues.asynchronous,
                   reply_to=client.sender.queues.asynchronous, subject=function,
                   content_type=CMS_CONTENT_TYPE, properties={**client.properties(), **extra},
                   body=client.protect(xml), inferred=True)
