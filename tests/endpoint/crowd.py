"""An event-driven proton client for load and abuse tests: many connections in one container.

``Crowd(url, visitors).run()`` opens one connection per :class:`Visitor` at once (not one
after the other, and not with ``BlockingConnection``, which costs ~38 ms per connect). Each
visitor logs in with its user and password, sends its messages to KPR's queue if it has any,
and the crowd's receivers (one per visitor that sends, on ``receive_from``) collect answers
until every expected answer is in. Every outcome is recorded; nothing is asserted here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from proton import Message, SSLDomain
from proton.handlers import MessagingHandler
from proton.reactor import Container


@dataclass
class Visitor:
    """One connection: who logs in, what it sends, and what became of it."""

    user: str
    password: str
    messages: list[Message] = field(default_factory=list)
    target: str = "/exchange/NHNTESTServiceBus/131725_async"
    opened: bool = False
    outcomes: list[str] = field(default_factory=list)  # per message: accepted / rejected:cond
    condition: str | None = None  # the error that ended the connection, if any


class _Connection(MessagingHandler):
    """The handler of one visitor's connection."""

    def __init__(self, crowd: Crowd, visitor: Visitor) -> None:
        super().__init__(prefetch=0, auto_accept=False)
        self.crowd, self.visitor = crowd, visitor
        self.pending = list(visitor.messages)

    def on_connection_opened(self, event: Any) -> None:
        self.visitor.opened = True
        if self.pending:
            event.container.create_sender(event.connection, self.visitor.target)
        if self.crowd.receive_from and self.visitor.messages:
            receiver = event.container.create_receiver(event.connection,
                                                       self.crowd.receive_from)
            receiver.flow(self.crowd.credit)
        if not self.pending and not self.crowd.receive_from:
            event.connection.close()

    def on_sendable(self, event: Any) -> None:
        while self.pending and event.sender.credit:
            event.sender.send(self.pending.pop(0))

    def on_accepted(self, event: Any) -> None:
        self.visitor.outcomes.append("accepted")

    def on_rejected(self, event: Any) -> None:
        condition = event.delivery.remote.condition
        self.visitor.outcomes.append(f"rejected:{condition.name if condition else ''}")

    def on_released(self, event: Any) -> None:
        self.visitor.outcomes.append("released")

    def on_message(self, event: Any) -> None:
        event.delivery.update(event.delivery.ACCEPTED)
        event.delivery.settle()
        event.receiver.flow(1)
        self.crowd.answered(event.message, event.container)

    def on_transport_closed(self, event: Any) -> None:
        condition = event.transport.condition
        if condition is not None and self.visitor.condition is None:
            self.visitor.condition = condition.name
        self.crowd.closed(event.container)

    def on_connection_error(self, event: Any) -> None:
        condition = event.connection.remote_condition
        self.visitor.condition = condition.name if condition else "connection-error"

    def on_link_error(self, event: Any) -> None:
        condition = event.link.remote_condition
        self.visitor.condition = condition.name if condition else "link-error"
        event.connection.close()


class Crowd(MessagingHandler):
    """Runs the visitors' connections at once until done (see the module docstring)."""

    def __init__(self, url: str, visitors: list[Visitor], *, ssl_domain: SSLDomain | None = None,
                 receive_from: str | None = None, expected: int = 0, credit: int = 10,
                 timeout: float = 120) -> None:
        super().__init__()
        self.url, self.visitors, self.ssl_domain = url, visitors, ssl_domain
        self.receive_from, self.expected, self.credit = receive_from, expected, credit
        self.timeout = timeout
        self.answers: list[Message] = []
        self.timed_out = False
        self._open = 0
        self._connections: list[Any] = []
        self._lock = threading.Lock()

    def on_start(self, event: Any) -> None:
        event.container.schedule(self.timeout, self)
        for visitor in self.visitors:
            self._connections.append(event.container.connect(
                self.url, ssl_domain=self.ssl_domain, user=visitor.user,
                password=visitor.password, allowed_mechs="PLAIN", allow_insecure_mechs=True,
                reconnect=False, handler=_Connection(self, visitor)))
        self._open = len(self.visitors)

    def on_timer_task(self, event: Any) -> None:
        self.timed_out = True
        self._close_all()
        event.container.stop()

    def answered(self, message: Message, container: Any) -> None:
        self.answers.append(message)
        if len(self.answers) >= self.expected:
            self._close_all()

    def closed(self, container: Any) -> None:
        self._open -= 1
        if self._open <= 0:
            container.stop()

    def _close_all(self) -> None:
        for connection in self._connections:
            if not connection.state & connection.LOCAL_CLOSED:
                connection.close()

    def run(self) -> Crowd:
        """Run to the end (every connection closed, or the timeout) and return self."""
        Container(self).run()
        return self
