"""The embedded endpoint's AMQP 1.0 handler: a small broker in front of the KPR receiver.

It authenticates (SASL PLAIN against the registry), attaches links to the queues of the
topology, delivers queued answers with credit and settlement, and hands every message sent
to KPR's queue to a worker thread; the worker records it durably and the delivery is settled
on the reactor thread only after that (profile §4). Every handler method is guarded: an
exception ends the offending connection, never the server (amqp-engineering.md, pitfall 7).
"""

from __future__ import annotations

import queue as queue_module
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial, wraps
from typing import Any

from proton import Condition, Delivery, Endpoint, Link
from proton.handlers import MessagingHandler
from proton.reactor import ApplicationEvent, EventInjector

from mockkpr.endpoint import sasl, wire
from mockkpr.endpoint.addresses import parse_address
from mockkpr.endpoint.admission import guard_first_bytes
from mockkpr.endpoint.convert import to_amqp, to_inbound
from mockkpr.endpoint.faults import BrokerFaults
from mockkpr.endpoint.queues import Queue, QueueBackend, Topology
from mockkpr.log import get_logger
from mockkpr.service.messages import InboundMessage, OutboundMessage
from mockkpr.service.results import ProcessResult, QueuedMessage, Settle

log = get_logger(__name__)

Processor = Callable[[InboundMessage], ProcessResult]
#: Periodic work on a worker thread (expiring split messages) whose answers are queued.
Housekeeping = Callable[[], Sequence[QueuedMessage]]
# How a consumer settled an outbound delivery, as the journal records it.
_DISPOSITIONS = {Delivery.ACCEPTED: "accepted", Delivery.REJECTED: "rejected",
                 Delivery.RELEASED: "released", Delivery.MODIFIED: "modified"}


@dataclass(frozen=True)
class BrokerOptions:
    """Limits and behaviour of the embedded broker."""

    delivery_limit: int = 5
    prefetch: int = 100
    max_message_bytes: int = 20 << 20
    allow_insecure_plain: bool = True
    handshake_timeout: float = 10.0
    housekeeping_every: float = 60.0


def _guarded(method: Callable[..., None]) -> Callable[..., None]:
    """Keep the reactor alive: log the failure and close the connection it came from."""

    @wraps(method)
    def wrapper(self: EmbeddedBroker, event: Any) -> None:
        try:
            method(self, event)
        except Exception:
            log.exception("handler.failed", handler=method.__name__)
            connection = getattr(event, "connection", None)
            if connection is not None and not connection.state & Endpoint.LOCAL_CLOSED:
                connection.condition = Condition("amqp:internal-error", "mockkpr handler failed")
                connection.close()

    return wrapper


class _HandshakeDeadline:
    """Disconnects a client that has not logged in and opened its connection in time.

    Without it, a socket that sends nothing, half a frame or a slow TLS handshake would be
    kept for ever (as RabbitMQ's ``handshake_timeout`` prevents). proton keeps a timer task,
    cancelled or not, until it is due; so the deadline lets go of the connection as soon as
    it opens or closes (:meth:`release`), else every short connection's transport, TLS state
    and buffers would live for the whole timeout.
    """

    def __init__(self, connection: Any, transport: Any, pending: dict[Any, Any]) -> None:
        self.connection: Any = connection
        self.transport: Any = transport
        self.pending = pending  # the broker's deadlines by transport

    def release(self) -> None:
        self.connection = self.transport = None

    def on_timer_task(self, event: Any) -> None:
        connection, transport = self.connection, self.transport
        self.release()
        if transport is None:
            return
        self.pending.pop(transport, None)
        if connection.state & Endpoint.REMOTE_UNINIT and not transport.closed:
            log.info("connection.handshake_timeout")
            transport.condition = Condition(
                "amqp:resource-limit-exceeded", "no login and open within the handshake timeout")
            transport.close_tail()
            transport.close_head()


class _Housekeeper:
    """Runs the broker's housekeeping on a worker every ``every`` seconds, one run at a time."""

    def __init__(self, broker: EmbeddedBroker, work: Housekeeping, every: float) -> None:
        self.broker, self.work, self.every = broker, work, every

    def on_timer_task(self, event: Any) -> None:
        try:
            future = self.broker.executor.submit(self.work)
        except RuntimeError:  # the executor is shut down: the endpoint is stopping
            return
        future.add_done_callback(self._done)

    def _done(self, future: Any) -> None:
        broker = self.broker
        try:
            queued = tuple(future.result())
        except Exception:
            log.exception("housekeeping.failed")
            queued = ()
        broker._done.put((None, ProcessResult(Settle.ACCEPT, queued=queued)))
        broker.injector.trigger(ApplicationEvent("processed"))
        broker.injector.trigger(ApplicationEvent("housekeeping_done"))


class EmbeddedBroker(MessagingHandler):
    """The proton handler of ``mockkpr serve`` (embedded mode).

    ``housekeeping`` (optional) runs on a worker every ``options.housekeeping_every`` seconds;
    the answers it queued are delivered like those of a processed message. ``login`` is how
    its connections' logins are checked and throttled (default: the check installed with
    :func:`~mockkpr.endpoint.sasl.install_plain_authenticator`, no throttle).
    """

    def __init__(
        self,
        topology: Topology,
        backend: QueueBackend,
        processor: Processor,
        executor: Executor,
        options: BrokerOptions,
        initial: list[QueuedMessage] | None = None,
        faults: BrokerFaults | None = None,
        housekeeping: Housekeeping | None = None,
        login: sasl.LoginRules | None = None,
    ) -> None:
        super().__init__(prefetch=options.prefetch, auto_accept=False, auto_settle=False)
        wire.keep_encoded(self)  # the encoded message too, for the wire observations
        self.topology = topology
        self.backend = backend
        self.processor = processor
        self.executor = executor
        self.options = options
        self.queues = {name: Queue(info) for name, info in topology.queues.items()}
        self.injector = EventInjector()
        self.container: Any = None
        self.faults = faults or BrokerFaults()  # fault injection (mockkpr.endpoint.faults)
        self.faults.attach(self, options.prefetch)
        self.login = login or sasl.LoginRules()  # password check and throttle of this broker
        for item in initial or []:
            if item.queue in self.queues and not self.faults.hold(item):
                self.queues[item.queue].ready.append(item)
        self._done: queue_module.SimpleQueue[tuple[Any, ProcessResult]] = \
            queue_module.SimpleQueue()
        self._in_flight: dict[Any, tuple[Queue, QueuedMessage]] = {}
        self._retry: list[Any] = []
        self.connections = 0
        self.acceptors: list[Any] = []
        self._deadlines: dict[Any, _HandshakeDeadline] = {}  # by transport, until it opens
        self._housekeeper = _Housekeeper(self, housekeeping, options.housekeeping_every) \
            if housekeeping is not None else None

    def drop_queued(self) -> None:
        """Forget every answer waiting for delivery (any thread; the journal's rows are gone
        already: a reset that dropped them)."""
        self.injector.trigger(ApplicationEvent("drop_queued"))

    def on_drop_queued(self, event: Any) -> None:
        dropped = sum(len(queue.ready) for queue in self.queues.values())
        for queue in self.queues.values():
            queue.ready.clear()
        log.info("queues.dropped", messages=dropped)

    def on_stop(self, event: Any) -> None:
        """The injected stop event: close the listeners and end the reactor."""
        for acceptor in self.acceptors:
            acceptor.close()
        if self.container is not None:
            self.container.stop()

    # ------------------------------------------------------------- connections
    def on_reactor_init(self, event: Any) -> None:
        self.container = event.container
        event.container.selectable(self.injector)
        if self._housekeeper is not None:
            event.container.schedule(self._housekeeper.every, self._housekeeper)
        super().on_reactor_init(event)

    def on_housekeeping_done(self, event: Any) -> None:
        """The next housekeeping run, ``every`` seconds after this one ended."""
        if self._housekeeper is not None and self.container is not None:
            self.container.schedule(self._housekeeper.every, self._housekeeper)

    @_guarded
    def on_connection_bound(self, event: Any) -> None:
        transport, connection = event.transport, event.connection
        # proton 0.40.0 keeps an accepted transport's TLS layer in ``_ssl`` and the client's
        # address in the connection's ``url``.
        tls = getattr(transport, "_ssl", None) is not None
        url = getattr(connection, "url", None)
        guard_first_bytes(transport, tls=tls)
        peer = str(url.host) if url is not None and url.host else None
        sasl.require_plain(transport, allow_insecure=self.options.allow_insecure_plain and not tls,
                           rules=replace(self.login, peer=peer))
        self.faults.connection_bound(transport)
        if self.container is not None:
            deadline = _HandshakeDeadline(connection, transport, self._deadlines)
            self._deadlines[transport] = deadline
            self.container.schedule(self.options.handshake_timeout, deadline)

    def _release_deadline(self, transport: Any) -> None:
        deadline = self._deadlines.pop(transport, None) if transport is not None else None
        if deadline is not None:
            deadline.release()

    @_guarded
    def on_connection_opening(self, event: Any) -> None:
        self._release_deadline(event.transport)
        event.connection.container = "mockkpr"
        self.connections += 1
        event.connection.mockkpr_id = self.connections  # kept on the proton object
        log.info("connection.opened", user=event.transport.user)

    def on_transport_closed(self, event: Any) -> None:
        self._release_deadline(event.transport)

    def on_connection_closing(self, event: Any) -> None:
        self._drop_connection(event.connection)

    def on_disconnected(self, event: Any) -> None:
        self._drop_connection(event.connection)

    def on_transport_error(self, event: Any) -> None:
        condition = event.transport.condition
        log.info("transport.error", condition=condition.name if condition else None,
                 description=condition.description if condition else None)

    def _drop_connection(self, connection: Any) -> None:
        """Forget the links of a connection and put its unsettled deliveries back."""
        if connection is None:
            return
        self._forget_links(lambda link: link.connection == connection)

    def _forget_links(self, gone: Callable[[Any], bool]) -> None:
        """Forget the consumer links ``gone`` picks and put their unsettled deliveries back."""
        for queue in self.queues.values():
            queue.consumers = [c for c in queue.consumers if not gone(c)]
        for delivery in [d for d in self._in_flight if gone(d.link)]:
            queue, item = self._in_flight.pop(delivery)
            self._redeliver(queue, item, count_attempt=True)
        self._dispatch_all()

    # ------------------------------------------------------------- links
    @_guarded
    def on_link_remote_open(self, event: Any) -> None:
        # Runs before MessagingHandler's own handshaking, which then sees the link already
        # opened (or opened and closed when refused) and leaves it alone.
        link = event.link
        if not link.state & Endpoint.LOCAL_UNINIT:
            return
        user = event.transport.user if event.transport else None
        if link.is_sender:
            self._open_consumer(link, user)
        else:
            self._open_producer(link, user)

    def _refuse(self, link: Any, condition: str, description: str) -> None:
        log.info("link.refused", condition=condition, description=description)
        link.condition = Condition(condition, description)
        link.open()
        link.close()

    def _open_consumer(self, link: Any, user: str | None) -> None:
        address = link.remote_source.address
        parsed = parse_address(address)
        queue = self.queues.get(parsed.queue) if parsed else None
        link.source.address = address
        if queue is None:
            self._refuse(link, "amqp:not-found", f"no queue for source address {address!r}")
            return
        if user not in queue.info.readers:
            self._refuse(link, "amqp:unauthorized-access",
                         f"user {user!r} may not receive from {queue.info.name}")
            return
        link.snd_settle_mode = link.remote_snd_settle_mode
        link.open()
        queue.add_consumer(link)
        log.info("consumer.attached", queue=queue.info.name, user=user)

    def _open_producer(self, link: Any, user: str | None) -> None:
        address = link.remote_target.address
        link.target.address = address
        if address:  # None: anonymous relay, each message routed by its `to`
            parsed = parse_address(address)
            if parsed is None or parsed.queue not in self.queues:
                self._refuse(link, "amqp:not-found", f"no queue for target address {address!r}")
                return
            info = self.queues[parsed.queue].info
            if not info.may_write(user):
                self._refuse(link, "amqp:unauthorized-access",
                             f"user {user!r} may not send to {info.name}")
                return
        link.rcv_settle_mode = link.remote_rcv_settle_mode
        link.max_message_size = self.options.max_message_bytes
        link.open()
        self.faults.producer_attached(link, user)

    def on_link_closing(self, event: Any) -> None:
        link = event.link
        if link.is_sender:
            self._forget_links(lambda other: other == link)

    # ------------------------------------------------------------- inbound
    @_guarded
    def on_message(self, event: Any) -> None:
        delivery, link = event.delivery, event.link
        address = link.target.address or event.message.address
        parsed = parse_address(address)
        queue = self.queues.get(parsed.queue) if parsed else None
        if queue is None:
            self._settle(delivery, Delivery.REJECTED, "amqp:not-found",
                         f"no queue for address {address!r}")
            return
        user = event.transport.user if event.transport else None
        if not queue.info.may_write(user):  # through the anonymous relay
            log.info("message.refused", user=user, queue=queue.info.name)
            self._settle(delivery, Delivery.REJECTED, "amqp:unauthorized-access",
                         f"user {user!r} may not send to {queue.info.name}")
            return
        header_count = event.message.delivery_count or 0
        inbound = to_inbound(event.message, queue=queue.info.name, user=user,
                             delivery_count=header_count, wire=wire.observe(
                                 event, getattr(event.connection, "mockkpr_id", None)))
        if len(inbound.body) > self.options.max_message_bytes:
            self._settle(delivery, Delivery.REJECTED, "amqp:link:message-size-exceeded",
                         f"the message is larger than {self.options.max_message_bytes} bytes")
            return
        if not queue.info.processed:
            self._store(delivery, queue, inbound)
            return
        processed = self.faults.before_processing(delivery, inbound)
        if processed is not None:
            self._submit(delivery, processed)

    def _submit(self, delivery: Any, inbound: InboundMessage) -> None:
        """Hand a message on KPR's queue to a worker."""
        future = self.executor.submit(self.processor, inbound)
        future.add_done_callback(partial(self._finished, delivery))

    def _store(self, delivery: Any, queue: Queue, inbound: InboundMessage) -> None:
        """A message to a party's queue other than KPR's: keep it like a broker would."""
        message = OutboundMessage(
            queue=queue.info.name, message_id=inbound.message_id or "",
            subject=inbound.subject or "", content_type=inbound.content_type or "",
            application_properties=inbound.application_properties, body=inbound.body,
            correlation_id=inbound.correlation_id, to=inbound.to, reply_to=inbound.reply_to)
        queued_id = self.backend.enqueue(queue.info.name, message)
        queue.ready.append(QueuedMessage(queued_id, queue.info.name, message, 0,
                                         datetime.now(UTC)))
        self._settle(delivery, Delivery.ACCEPTED)
        self._dispatch(queue)

    def _finished(self, delivery: Any, future: Any) -> None:
        """Worker thread: hand the result to the reactor thread."""
        try:
            result = future.result()
        except Exception:
            log.exception("processing.failed")
            result = ProcessResult(Settle.RETRY, description="unexpected failure")
        self._done.put((delivery, result))
        self.injector.trigger(ApplicationEvent("processed"))

    @_guarded
    def on_processed(self, event: Any) -> None:
        while True:
            try:
                delivery, result = self._done.get_nowait()
            except queue_module.Empty:
                break
            self._apply(delivery, result)
        self._dispatch_all()

    def _apply(self, delivery: Any, result: ProcessResult) -> None:
        for item in result.queued:
            queue = self.queues.get(item.queue)
            if queue is not None and not self.faults.hold(item):
                queue.ready.append(item)
        if delivery is None:  # housekeeping: answers only
            return
        if not self.faults.after_processing(delivery, result):
            self._dispose(delivery, result)

    def _dispose(self, delivery: Any, result: ProcessResult) -> None:
        """Settle a processed delivery as its result says."""
        if result.settle in (Settle.ACCEPT, Settle.HOLD):
            self._settle(delivery, Delivery.ACCEPTED)
        elif result.settle is Settle.REJECT:
            self._settle(delivery, Delivery.REJECTED, result.condition or "amqp:not-allowed",
                         result.description or "")
        else:
            self._settle(delivery, Delivery.MODIFIED, failed=True)

    def _settle(self, delivery: Any, state: int, condition: str | None = None,
                description: str = "", *, failed: bool = False) -> None:
        if delivery.link.state & Endpoint.LOCAL_CLOSED:
            return  # the link went away; a resend is answered as a duplicate
        if delivery.settled:  # sent pre-settled: there is no one to tell
            delivery.settle()
            return
        if condition is not None:
            delivery.local.condition = Condition(condition, description)
        if failed:
            delivery.local.failed = True
        delivery.update(state)
        if delivery.link.rcv_settle_mode != Link.RCV_SECOND:
            delivery.settle()

    def on_settled(self, event: Any) -> None:
        delivery = event.delivery
        if delivery.link.is_receiver:
            # rcv-settle-mode second: the sender has settled after our disposition.
            delivery.settle()

    # ------------------------------------------------------------- outbound
    def on_sendable(self, event: Any) -> None:
        for queue in self.queues.values():
            if any(event.link == c for c in queue.consumers):
                self._dispatch(queue)

    def _dispatch_all(self) -> None:
        for queue in self.queues.values():
            if queue.ready and queue.consumers:
                self._dispatch(queue)

    def _dispatch(self, queue: Queue) -> None:
        while queue.ready:
            link = next(iter(queue.consumers_with_credit()), None)
            if link is None:
                return
            item = queue.ready.popleft()
            delivery = link.send(to_amqp(item.message, delivery_count=item.delivery_count))
            if link.snd_settle_mode == Link.SND_SETTLED:
                self.backend.remove_queued(item.id)  # at-most-once: gone once sent
            else:
                self._in_flight[delivery] = (queue, item)

    @_guarded
    def on_link_flow(self, event: Any) -> None:
        link = event.link
        if link.is_sender and link.drain_mode:
            for queue in self.queues.values():
                if any(link == c for c in queue.consumers):
                    self._dispatch(queue)
            link.drained()

    @_guarded
    def on_delivery(self, event: Any) -> None:
        # Runs before MessagingHandler's children (which only notify for sender links here).
        delivery = event.delivery
        if delivery.link.is_receiver and delivery.partial:
            self.faults.mid_transfer(delivery, event.transport.user if event.transport else None)
            return
        if delivery.link.is_sender and delivery.updated and delivery in self._in_flight:
            self._outcome(delivery)

    def _outcome(self, delivery: Any) -> None:
        queue, item = self._in_flight.pop(delivery)
        state = delivery.remote_state
        if state == Delivery.ACCEPTED or (not state and delivery.settled):
            self.backend.remove_queued(item.id)
        elif state == Delivery.REJECTED:
            self._dead_letter(queue, item, "rejected by the consumer")
        elif state == Delivery.RELEASED:
            self._redeliver(queue, item, count_attempt=False)
        elif state == Delivery.MODIFIED:
            remote = delivery.remote
            if remote.undeliverable:
                self._dead_letter(queue, item, "undeliverable here")
            else:
                self._redeliver(queue, item, count_attempt=bool(remote.failed))
        else:
            self._in_flight[delivery] = (queue, item)  # not a terminal state yet
            return
        self.backend.set_answer_disposition(item.message.message_id, _DISPOSITIONS.get(state))
        delivery.settle()
        self._dispatch(queue)

    def _redeliver(self, queue: Queue, item: QueuedMessage, *, count_attempt: bool) -> None:
        count = item.delivery_count + (1 if count_attempt else 0)
        if count >= self.options.delivery_limit:
            self._dead_letter(queue, QueuedMessage(item.id, item.queue, item.message, count,
                                                   item.enqueued_at),
                              f"delivery limit {self.options.delivery_limit}")
            return
        self.backend.requeue(item.id, count)
        queue.ready.appendleft(QueuedMessage(item.id, item.queue, item.message, count,
                                             item.enqueued_at))

    def _dead_letter(self, queue: Queue, item: QueuedMessage, reason: str) -> None:
        target = queue.info.dead_letter
        log.info("message.dead_lettered", queue=queue.info.name, to=target, reason=reason)
        if target is None or target not in self.queues:
            self.backend.remove_queued(item.id)
            return
        self.backend.move_queued(item.id, target)
        self.backend.requeue(item.id, item.delivery_count)
        self.queues[target].ready.append(QueuedMessage(item.id, target, item.message,
                                                       item.delivery_count, item.enqueued_at))
        self._dispatch(self.queues[target])
