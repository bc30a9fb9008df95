"""Broker mode's AMQP 1.0 side: a consumer of KPR's queue on a real RabbitMQ.

:class:`BrokerConsumer` is a proton handler that connects to the broker (SASL PLAIN, TLS for
``amqps``), attaches a receiver to KPR's queue and sender links to the exchange for answers,
hands each delivery to a worker thread and settles it on the reactor thread once the worker
recorded the outcome (profile §4): ``accepted`` after recording, ``rejected`` when refused, and
on an unexpected failure, after a pause, ``modified(delivery-failed)`` so that the broker
redelivers it and dead-letters it after the queue's delivery limit. RabbitMQ 3.x's AMQP 1.0
plugin does not know ``modified`` (it ends the session, "Unrecognised state"); there the
consumer sends ``released``, which the plugin turns into a requeue that a quorum queue counts
against its ``x-delivery-limit`` just the same.

Credit: at most ``window`` deliveries are unsettled at a time; credit is topped up as they are
settled. Answers come from the :class:`~mockkpr.brokermode.outbox.Outbox` and are published
on one sender link per destination queue; RabbitMQ's ``accepted`` marks them sent.

When the connection is lost (broker restart, network) every unsettled delivery is forgotten
(the broker gives it again), in-flight answers go back to the outbox, and the consumer
reconnects after a growing pause (0.1 s doubling to 5 s). :attr:`BrokerConsumer.ready` is
what ``/readyz`` reports.
"""

from __future__ import annotations

import queue as queue_module
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial, wraps
from typing import Any

from proton import Condition, Delivery, Endpoint, SSLDomain
from proton.handlers import MessagingHandler
from proton.reactor import ApplicationEvent, Container, EventInjector

from mockkpr.brokermode.addresses import AddressForm, source_address, target_address
from mockkpr.brokermode.outbox import Outbox
from mockkpr.endpoint.convert import to_amqp, to_inbound
from mockkpr.errors import EndpointError
from mockkpr.journal.models import QueuedMessage
from mockkpr.log import get_logger
from mockkpr.service.messages import InboundMessage
from mockkpr.service.results import ProcessResult, Settle

log = get_logger(__name__)

Processor = Callable[[InboundMessage], ProcessResult]
BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 5.0
#: Seconds between retries of answers the broker did not take (rejected, link refused).
REPUBLISH_DELAY_S = 1.0
#: Seconds a stopping consumer waits for the deliveries its workers still process.
STOP_GRACE_S = 5.0
#: Seconds between the last settlement and dropping the connection at stop.
FLUSH_BEFORE_ABORT_S = 0.2
#: Seconds a stopping consumer waits for its transport to close.
CLOSE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class ConsumerOptions:
    """Where and how to consume. ``url`` is ``amqp(s)://host:port`` without credentials."""

    url: str
    user: str
    password: str
    queue: str
    exchange: str
    ssl_domain: SSLDomain | None = None
    address_form: AddressForm = "v1"
    window: int = 100
    max_message_bytes: int = 20 << 20
    retry_delay_s: float = 1.0
    heartbeat_s: float = 10.0


class _Timer:
    """A proton timer task that calls ``action`` on the reactor thread."""

    def __init__(self, action: Callable[[], None]) -> None:
        self.action = action

    def on_timer_task(self, event: Any) -> None:
        try:
            self.action()
        except Exception:
            log.exception("broker.timer_failed")


def _guarded(method: Callable[..., None]) -> Callable[..., None]:
    """Keep the reactor alive: an exception in a handler is logged, the connection dropped."""

    @wraps(method)
    def wrapper(self: BrokerConsumer, event: Any) -> None:
        try:
            method(self, event)
        except Exception:
            log.exception("broker.handler_failed", handler=method.__name__)
            self._drop("handler failed")

    return wrapper


class BrokerConsumer(MessagingHandler):
    """The proton handler of ``mockkpr serve --broker``."""

    def __init__(self, options: ConsumerOptions, processor: Processor, executor: Executor,
                 outbox: Outbox) -> None:
        super().__init__(prefetch=0, auto_accept=False, auto_settle=True)
        self.options = options
        self.processor = processor
        self.executor = executor
        self.outbox = outbox
        self.injector = EventInjector()
        self.ready = threading.Event()
        self.container: Any = None
        self.broker_product = ""
        self.broker_version = ""
        self.connections = 0
        self._done: queue_module.SimpleQueue[tuple[int, Any, ProcessResult]] = \
            queue_module.SimpleQueue()
        self._connection: Any = None
        self._receiver: Any = None
        self._senders: dict[str, Any] = {}
        self._sent: dict[Any, QueuedMessage] = {}
        self._generation = 0
        self._unsettled = 0
        self._attempts = 0
        self._stopping = False
        self._stop_deadline = 0.0

    # ------------------------------------------------------------------ lifecycle
    def on_reactor_init(self, event: Any) -> None:
        self.container = event.container
        event.container.selectable(self.injector)
        self._connect()

    def on_stop(self, event: Any) -> None:
        """The injected stop event: finish what the workers hold, then drop the connection.

        No credit is granted any more; deliveries being processed are settled as their
        results come (for up to ``STOP_GRACE_S``); then the connection is dropped *without*
        an AMQP close. RabbitMQ 3.10's AMQP 1.0 plugin keeps the consumer of a connection
        closed with a close frame after messages flowed on it — a phantom that takes
        messages and never settles them — while a connection that simply goes away is
        cleaned up and its unsettled deliveries requeued, as after a crash.
        """
        self._stopping = True
        self.ready.clear()
        self._stop_deadline = time.monotonic() + STOP_GRACE_S
        self._stop_when_idle()

    def _stop_when_idle(self) -> None:
        connection = self._connection
        if connection is None or connection.state & Endpoint.REMOTE_CLOSED:
            self.container.stop()
            return
        if self._unsettled > 0 and time.monotonic() < self._stop_deadline:
            self.container.schedule(0.05, _Timer(self._stop_when_idle))
            return
        # Let the last dispositions reach the socket, then cut it.
        self.container.schedule(FLUSH_BEFORE_ABORT_S, _Timer(self._abort))

    def _abort(self) -> None:
        connection = self._connection
        if connection is not None and connection.transport is not None:
            transport = connection.transport
            transport.close_tail()
            transport.close_head()
        self.container.schedule(CLOSE_TIMEOUT_S, _Timer(self.container.stop))

    def _connect(self) -> None:
        if self._stopping:
            return
        options = self.options
        tls = options.url.startswith("amqps:")
        self._generation += 1
        self._connection = self.container.connect(
            options.url, user=options.user, password=options.password,
            ssl_domain=options.ssl_domain if tls else None, allowed_mechs="PLAIN",
            allow_insecure_mechs=not tls, reconnect=False, heartbeat=options.heartbeat_s)
        self._receiver = self.container.create_receiver(
            self._connection, source_address(options.queue, options.address_form),
            name=f"receiver-link-{uuid.uuid4()}")
        self._senders = {}
        self._sent = {}
        self._unsettled = 0

    def _drop(self, reason: str) -> None:
        """Give up the current connection (it is lost or unusable) and plan a new one."""
        if self._connection is None:
            return
        was_ready = self.ready.is_set()
        self.ready.clear()
        connection, self._connection = self._connection, None
        self._receiver = None
        self._senders = {}
        self._sent = {}
        self._unsettled = 0
        self._generation += 1  # results of its deliveries are dropped: the broker redelivers
        self.outbox.connection_lost()
        transport = connection.transport
        if transport is not None and not connection.state & Endpoint.REMOTE_CLOSED:
            # No AMQP close: see on_stop (RabbitMQ 3.10 would keep a phantom consumer).
            transport.close_tail()
            transport.close_head()
        if self._stopping:
            return
        delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** self._attempts)
        self._attempts += 1
        log.warning("broker.disconnected", reason=reason, reconnect_in_s=delay,
                    was_ready=was_ready)
        self.container.schedule(delay, _Timer(self._connect))

    # ------------------------------------------------------------------ connection events
    @_guarded
    def on_connection_opened(self, event: Any) -> None:
        props = {str(k): str(v) for k, v in dict(event.connection.remote_properties or {})
                 .items()}
        self.broker_product = props.get("product", "")
        self.broker_version = props.get("version", "")
        self.connections += 1

    def on_connection_remote_close(self, event: Any) -> None:
        if event.connection.state & Endpoint.LOCAL_CLOSED:
            return  # the answer to our own close
        condition = event.connection.remote_condition
        log.warning("broker.connection_closed_by_broker",
                    condition=condition.name if condition else None,
                    description=condition.description if condition else None)

    def on_connection_error(self, event: Any) -> None:
        pass  # logged by on_connection_remote_close; the transport closes next

    def on_transport_error(self, event: Any) -> None:
        condition = event.transport.condition
        log.warning("broker.transport_error", condition=condition.name if condition else None,
                    description=condition.description if condition else None)

    def on_transport_closed(self, event: Any) -> None:
        if self._stopping:
            self.container.stop()
            return
        connection = event.connection
        if self._connection is not None and (connection is None or
                                             connection == self._connection):
            self._drop("connection closed")

    # ------------------------------------------------------------------ links
    @_guarded
    def on_link_opened(self, event: Any) -> None:
        link = event.link
        if link == self._receiver:
            self._attempts = 0
            self.ready.set()
            self._top_up()
            log.info("broker.consuming", queue=self.options.queue,
                     product=self.broker_product, version=self.broker_version)
        self._publish()

    @_guarded
    def on_link_remote_close(self, event: Any) -> None:
        link = event.link
        condition = link.remote_condition
        described = dict(condition=condition.name if condition else None,
                         description=condition.description if condition else None)
        if link == self._receiver:
            log.error("broker.receiver_refused", queue=self.options.queue, **described,
                      hint="does the queue exist and may this user read it? "
                           "(mockkpr broker setup)")
            self._drop("receiver link closed")
            return
        for queue_name, sender in list(self._senders.items()):
            if sender == link:
                log.error("broker.sender_refused", queue=queue_name, **described)
                del self._senders[queue_name]
                for delivery in [d for d in self._sent if d.link == link]:
                    self.outbox.failed(self._sent.pop(delivery))
                self.container.schedule(REPUBLISH_DELAY_S, _Timer(self._publish))
        if not link.state & Endpoint.LOCAL_CLOSED:
            link.close()

    def on_link_error(self, event: Any) -> None:
        pass  # handled in on_link_remote_close

    def on_session_error(self, event: Any) -> None:
        condition = event.session.remote_condition
        log.error("broker.session_closed", condition=condition.name if condition else None,
                  description=condition.description if condition else None,
                  hint="RabbitMQ 3.x ends the session when a link is refused: does the queue "
                       "exist and may this user read it? (mockkpr broker setup)")
        self._drop("session closed")

    # ------------------------------------------------------------------ inbound
    def _top_up(self) -> None:
        receiver = self._receiver
        if receiver is None or not self.ready.is_set():
            return
        missing = self.options.window - self._unsettled - receiver.credit
        if missing > 0:
            receiver.flow(missing)

    @_guarded
    def on_message(self, event: Any) -> None:
        delivery, message = event.delivery, event.message
        if event.link != self._receiver:
            return
        user = message.user_id
        count = int(message.delivery_count or 0) or (0 if message.first_acquirer else 1)
        inbound = to_inbound(message, queue=self.options.queue,
                             user=bytes(user).decode("utf-8", "replace") if user else None,
                             delivery_count=count)
        self._unsettled += 1
        if len(inbound.body) > self.options.max_message_bytes:
            self._settle(delivery, ProcessResult(
                Settle.REJECT, condition="amqp:link:message-size-exceeded",
                description=f"the message is larger than {self.options.max_message_bytes} "
                            "bytes"))
            return
        future = self.executor.submit(self.processor, inbound)
        future.add_done_callback(partial(self._finished, self._generation, delivery))

    def _finished(self, generation: int, delivery: Any, future: Any) -> None:
        """Worker thread: hand the result to the reactor thread."""
        try:
            result = future.result()
        except Exception:
            log.exception("broker.processing_failed")
            result = ProcessResult(Settle.RETRY, description="unexpected failure")
        self._done.put((generation, delivery, result))
        self.injector.trigger(ApplicationEvent("processed"))

    @_guarded
    def on_processed(self, event: Any) -> None:
        while True:
            try:
                generation, delivery, result = self._done.get_nowait()
            except queue_module.Empty:
                break
            if generation != self._generation:
                log.info("broker.result_of_lost_delivery", settle=result.settle.value)
                continue
            if result.settle is Settle.RETRY and not self._stopping:
                self.container.schedule(self.options.retry_delay_s,
                                        _Timer(partial(self._settle_later, generation,
                                                       delivery, result)))
            else:
                self._settle(delivery, result)

    def _settle_later(self, generation: int, delivery: Any, result: ProcessResult) -> None:
        if generation == self._generation:
            self._settle(delivery, result)

    def _settle(self, delivery: Any, result: ProcessResult) -> None:
        self._unsettled -= 1
        if result.settle in (Settle.ACCEPT, Settle.HOLD):
            delivery.update(Delivery.ACCEPTED)
        elif result.settle is Settle.REJECT:
            delivery.local.condition = Condition(result.condition or "amqp:not-allowed",
                                                 result.description or "")
            delivery.update(Delivery.REJECTED)
        elif self.broker_product == "RabbitMQ" and self.broker_version[:2] in ("3.", "2."):
            delivery.update(Delivery.RELEASED)  # 3.x cannot take modified (module docstring)
        else:
            delivery.local.failed = True
            delivery.update(Delivery.MODIFIED)
        delivery.settle()
        self._top_up()

    # ------------------------------------------------------------------ outbound
    def on_publish(self, event: Any) -> None:
        """The injected event: the outbox has answers ready."""
        self._publish()

    def on_sendable(self, event: Any) -> None:
        self._publish()

    def _sender(self, queue_name: str) -> Any:
        sender = self._senders.get(queue_name)
        if sender is None and self._connection is not None:
            sender = self.container.create_sender(
                self._connection,
                target_address(self.options.exchange, queue_name, self.options.address_form),
                name=f"sender-link-{uuid.uuid4()}")
            self._senders[queue_name] = sender
        return sender

    def _publish(self) -> None:
        if not self.ready.is_set():
            return
        waiting = []
        for item in self.outbox.take():
            sender = self._sender(item.queue)
            if sender is None or sender.credit <= 0:
                waiting.append(item)
                continue
            self._sent[sender.send(to_amqp(item.message))] = item
        self.outbox.put_back(waiting)

    def on_accepted(self, event: Any) -> None:
        item = self._sent.pop(event.delivery, None)
        if item is not None:
            self.outbox.confirmed(item)

    def on_rejected(self, event: Any) -> None:
        self._not_taken(event, "rejected")

    def on_released(self, event: Any) -> None:
        self._not_taken(event, "released")

    def _not_taken(self, event: Any, outcome: str) -> None:
        item = self._sent.pop(event.delivery, None)
        if item is None:
            return
        condition = event.delivery.remote.condition
        log.warning("broker.answer_not_taken", outcome=outcome, queue=item.queue,
                    message_id=item.message.message_id,
                    condition=condition.name if condition else None)
        self.outbox.failed(item)
        self.container.schedule(REPUBLISH_DELAY_S, _Timer(self._publish))


class ConsumerThread:
    """Runs a :class:`BrokerConsumer` in a proton container on a background thread."""

    def __init__(self, consumer: BrokerConsumer) -> None:
        self.consumer = consumer
        self._container = Container(consumer)
        self._container.container_id = f"mockkpr-{uuid.uuid4()}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mockkpr-broker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._container.run()
        except Exception:
            log.exception("broker.reactor_stopped")
            self.consumer.ready.clear()

    def wake(self) -> None:
        """Ask the reactor to publish ready answers (callable from any thread)."""
        self.consumer.injector.trigger(ApplicationEvent("publish"))

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10) -> None:
        if self._thread is None:
            return
        self.consumer.injector.trigger(ApplicationEvent("stop"))
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise EndpointError("the broker consumer did not stop in time")
        self._thread = None
