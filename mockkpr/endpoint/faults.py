"""AMQP-level faults: the embedded broker misbehaves on purpose, as a scenario says.

:class:`BrokerFaults` is consulted by :class:`~mockkpr.endpoint.broker.EmbeddedBroker` at
fixed points and acts on proton objects there (everything runs on the reactor thread):

============================ ===================================================================
connection accepted (TLS)    ``tls-handshake-failure``: the socket is closed before the handshake
SASL PLAIN check             ``refuse-login``: a correct password is refused (:meth:`login_check`)
sender link attached         ``starve-credit``: no credit for a while, or ever
first frame of a large       ``detach-link``, ``close-session``, ``close-connection`` with an
message (``mid_transfer``)   error, or ``drop-connection`` (TCP closed, no AMQP close)
whole message, before it is  ``reject``, ``release``, ``modify``, ``slow-accept`` and the four
processed                    above
processed and answered,      ``reject``/``release``/``modify`` with ``after_processing``,
before its disposition       ``withhold-settlement``
answer queued                a late AppRec waits (``not_before``) for the endpoint's clock
============================ ===================================================================

It is also a child handler of the broker, so it receives the reactor's events: the timers it
schedules and ``faults_clock``, injected whenever the clock changes, which releases answers
that have come due.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from proton import Condition, Delivery, Endpoint, Link
from proton.handlers import FlowController
from proton.reactor import ApplicationEvent

from mockkpr.faults import model as m
from mockkpr.faults.clock import Clock
from mockkpr.faults.plan import Facts, FaultPlan
from mockkpr.journal.models import QueuedMessage
from mockkpr.log import get_logger
from mockkpr.service.messages import InboundMessage
from mockkpr.service.results import ProcessResult

log = get_logger(__name__)

#: Seconds between looks at held answers while the clock runs (a fixed clock needs a move).
HELD_POLL_S = 1.0

Accounts = Callable[[str | None], frozenset[str]]


class BrokerPort(Protocol):
    """What the faults need of the broker (EmbeddedBroker provides it)."""

    container: Any
    injector: Any
    handlers: Any  # proton: a list of child handlers
    queues: dict[str, Any]

    def _submit(self, delivery: Any, inbound: InboundMessage) -> None: ...

    def _dispose(self, delivery: Any, result: ProcessResult) -> None: ...

    def _forget_links(self, gone: Callable[[Any], bool]) -> None: ...

    def _dispatch_all(self) -> None: ...


class _Timer:
    """A reactor task that runs ``action`` and never lets an exception stop the reactor."""

    def __init__(self, action: Callable[[], None]) -> None:
        self.action = action

    def on_timer_task(self, event: Any) -> None:
        try:
            self.action()
        except Exception:
            log.exception("fault.timer_failed")


class _StarvingFlow(FlowController):
    """proton's flow controller, except for links a ``starve-credit`` fault holds."""

    def __init__(self, window: int, starved: Callable[[Any], bool]) -> None:
        super().__init__(window)
        self.window = window
        self.starved = starved

    def _flow(self, link: Any) -> None:
        if self.starved(link):
            return
        super()._flow(link)


def _usable(link: Any) -> bool:
    return not link.state & (Endpoint.LOCAL_CLOSED | Endpoint.REMOTE_CLOSED)


class BrokerFaults:
    """The broker's fault hooks for one endpoint; without a plan every hook does nothing.

    ``accounts(user)`` gives the HER-ids (as strings) of a SASL account, for selecting by
    sender before a message has arrived.
    """

    def __init__(self, plan: FaultPlan | None = None, *, clock: Clock | None = None,
                 accounts: Accounts | None = None) -> None:
        self.plan = plan
        self.clock = clock or (plan.clock if plan is not None else Clock())
        self.accounts: Accounts = accounts or (lambda user: frozenset())
        self.broker: BrokerPort | None = None
        self.window = 0
        self._starved: list[Any] = []
        self._held: list[QueuedMessage] = []
        self._checked: list[Any] = []  # deliveries already asked about mid-transfer
        self._settle_facts: dict[Any, Facts] = {}
        self._looking = False  # a timer for held answers is pending

    # ------------------------------------------------------------------ wiring
    def attach(self, broker: BrokerPort, prefetch: int) -> None:
        """Hook into ``broker``: its flow control, its events and the clock's changes."""
        self.broker = broker
        self.window = prefetch
        broker.handlers[:] = [_StarvingFlow(prefetch, self.starved)
                              if isinstance(h, FlowController) else h for h in broker.handlers]
        broker.handlers.append(self)
        self.clock.subscribe(self._clock_changed)

    def _wants(self, stage: m.Stage) -> bool:
        return self.plan is not None and self.plan.wants(stage)

    def _select(self, stage: m.Stage, facts: Facts) -> m.Fault | None:
        if self.plan is None:
            return None
        chosen = self.plan.select(stage, facts)
        return chosen[1] if chosen is not None else None

    def _schedule(self, seconds: float, action: Callable[[], None]) -> None:
        assert self.broker is not None
        assert self.broker.container is not None
        self.broker.container.schedule(max(seconds, 0.0), _Timer(action))

    # ------------------------------------------------------------------ connection, login
    def connection_bound(self, transport: Any) -> None:
        """``tls-handshake-failure``: close a TLS connection before its handshake."""
        # proton keeps the SSL layer of an accepted transport in ``_ssl`` (0.40.0).
        if not self._wants(m.Stage.CONNECTION) or getattr(transport, "_ssl", None) is None:
            return
        if self._select(m.Stage.CONNECTION, Facts()) is not None:
            log.info("fault.tls_handshake_aborted")
            transport.close_tail()
            transport.close_head()

    def login_check(self, check: Callable[[str, str], bool]) -> Callable[[str, str], bool]:
        """``check`` with ``refuse-login`` applied to logins whose password is right.

        The check is kept process-wide by proton's SASL plug-in, so it holds the plan and the
        accounts only, never this object (which holds the broker and its proton objects).
        """
        plan, accounts = self.plan, self.accounts

        def checked(user: str, password: str) -> bool:
            if not check(user, password):
                return False
            if plan is not None and plan.wants(m.Stage.LOGIN) and plan.select(
                    m.Stage.LOGIN, Facts(senders=accounts(user))) is not None:
                log.info("fault.login_refused", user=user)
                return False
            return True

        return checked

    # ------------------------------------------------------------------ credit
    def starved(self, link: Any) -> bool:
        """Whether ``link`` is held without credit."""
        return any(link == held for held in self._starved)

    def producer_attached(self, link: Any, user: str | None) -> None:
        """``starve-credit``: keep a newly attached sender link without credit."""
        if not self._wants(m.Stage.ATTACH):
            return
        fault = self._select(m.Stage.ATTACH, Facts(senders=self.accounts(user)))
        if not isinstance(fault, m.StarveCredit):
            return
        self._starved.append(link)
        log.info("fault.credit_starved", user=user, seconds=fault.seconds)
        if fault.seconds is not None:
            self._schedule(fault.seconds, lambda: self._feed(link))

    def _feed(self, link: Any) -> None:
        self._starved = [held for held in self._starved if held != link]
        if _usable(link) and link.credit < self.window:
            link.flow(self.window - link.credit)

    # ------------------------------------------------------------------ messages
    def mid_transfer(self, delivery: Any, user: str | None) -> None:
        """The first frame of a multi-frame message: an ending fault with ``mid_transfer``."""
        if not self._wants(m.Stage.TRANSFER) or any(delivery == d for d in self._checked):
            return
        self._checked.append(delivery)
        fault = self._select(m.Stage.TRANSFER, Facts(senders=self.accounts(user)))
        if fault is not None:
            self._end(delivery, fault)

    def before_processing(self, delivery: Any, inbound: InboundMessage
                          ) -> InboundMessage | None:
        """A whole message on KPR's queue: the message to process, or None if a fault took it.

        The message is stamped with the endpoint's clock (``received_at``).
        """
        self._checked = [d for d in self._checked if d != delivery]
        inbound = replace(inbound, received_at=self.clock.now())
        facts = Facts(subject=inbound.subject,
                      senders=frozenset({inbound.prop("fromHerId") or ""} - {""}),
                      message_id=inbound.message_id)
        if self._wants(m.Stage.SETTLE):
            self._settle_facts[delivery] = facts
        if not self._wants(m.Stage.MESSAGE):
            return inbound
        fault = self._select(m.Stage.MESSAGE, facts)
        if fault is None:
            return inbound
        self._settle_facts.pop(delivery, None)
        if isinstance(fault, m.SlowAccept):
            self._schedule(fault.seconds, lambda: self._resume(delivery, inbound))
        elif not self._disposition(delivery, fault):
            self._end(delivery, fault)
        return None

    def _resume(self, delivery: Any, inbound: InboundMessage) -> None:
        assert self.broker is not None
        if _usable(delivery.link):
            self.broker._submit(delivery, inbound)

    def after_processing(self, delivery: Any, result: ProcessResult) -> bool:
        """Processed and answered: True when a fault settles (or withholds) the delivery."""
        facts = self._settle_facts.pop(delivery, None)
        if facts is None or not self._wants(m.Stage.SETTLE):
            return False
        fault = self._select(m.Stage.SETTLE, facts)
        if fault is None:
            return False
        if isinstance(fault, m.WithholdSettlement):
            log.info("fault.settlement_withheld", message_id=facts.message_id,
                     seconds=fault.seconds)
            if fault.seconds is not None:
                self._schedule(fault.seconds, lambda: self._settle_late(delivery, result))
            return True
        return self._disposition(delivery, fault)

    def _settle_late(self, delivery: Any, result: ProcessResult) -> None:
        assert self.broker is not None
        if _usable(delivery.link):
            self.broker._dispose(delivery, result)

    # ------------------------------------------------------------------ what faults do
    def _disposition(self, delivery: Any, fault: m.Fault) -> bool:
        """Settle with a fault's outcome; False when ``fault`` is not a disposition."""
        if isinstance(fault, m.Reject):
            settle(delivery, Delivery.REJECTED, Condition(fault.condition,
                                                          fault.error_description))
        elif isinstance(fault, m.Release):
            settle(delivery, Delivery.RELEASED)
        elif isinstance(fault, m.Modify):
            settle(delivery, Delivery.MODIFIED, failed=fault.delivery_failed,
                   undeliverable=fault.undeliverable_here)
        else:
            return False
        log.info("fault.settled", kind=fault.kind)
        return True

    def _end(self, delivery: Any, fault: m.Fault) -> None:
        """Detach the link, end the session, close or drop the connection."""
        assert self.broker is not None
        link = delivery.link
        log.info("fault.ending", kind=fault.kind)
        if isinstance(fault, m.DetachLink):
            link.condition = Condition(fault.condition, fault.error_description)
            link.close()
        elif isinstance(fault, m.CloseSession):
            session = link.session
            session.condition = Condition(fault.condition, fault.error_description)
            session.close()
            self.broker._forget_links(lambda other: other.session == session)
        elif isinstance(fault, m.CloseConnection):
            connection = link.connection
            connection.condition = Condition(fault.condition, fault.error_description)
            connection.close()
            self.broker._forget_links(lambda other: other.connection == connection)
        elif isinstance(fault, m.DropConnection):
            connection = link.connection
            drop(connection.transport)
            self.broker._forget_links(lambda other: other.connection == connection)

    # ------------------------------------------------------------------ late answers
    def hold(self, item: QueuedMessage) -> bool:
        """Keep an answer that is not due yet (True); it is released once the clock allows."""
        if item.not_before is None or item.not_before <= self.clock.now():
            return False
        self._held.append(item)
        log.info("fault.answer_held", queue=item.queue, due=item.not_before.isoformat())
        if self.broker is not None and self.broker.container is not None:
            self._look_later()
        return True

    def _look_later(self) -> None:
        """One timer at a time looks at held answers while the clock runs."""
        if not self._held or self.clock.fixed or self._looking:
            return
        now = self.clock.now()
        wait = min((i.not_before - now).total_seconds() for i in self._held if i.not_before)
        self._looking = True
        self._schedule(min(max(wait, 0.01), HELD_POLL_S), self._timer_look)

    def _timer_look(self) -> None:
        self._looking = False
        self._release_due()

    def _release_due(self) -> None:
        if self.broker is None or not self._held:
            return
        now = self.clock.now()
        due = [i for i in self._held if i.not_before is None or i.not_before <= now]
        self._held = [i for i in self._held if i not in due]
        for item in due:
            queue = self.broker.queues.get(item.queue)
            if queue is not None:
                queue.ready.append(item)
                log.info("fault.answer_released", queue=item.queue)
        if due:
            self.broker._dispatch_all()
        self._look_later()

    def held(self) -> list[QueuedMessage]:
        """Answers waiting for their time."""
        return list(self._held)

    def _clock_changed(self) -> None:
        """Any thread: ask the reactor to look at held answers."""
        if self.broker is not None:
            self.broker.injector.trigger(ApplicationEvent("faults_clock"))

    # ------------------------------------------------------------------ reactor events
    def on_reactor_init(self, event: Any) -> None:
        """Answers held since start-up get their timer once the reactor runs."""
        self._look_later()

    def on_reactor_final(self, event: Any) -> None:
        """The reactor has ended: let go of every proton object (links, deliveries) held."""
        self._starved.clear()
        self._checked.clear()
        self._settle_facts.clear()
        self.broker = None  # the clock's listener must not keep the reactor alive

    def on_faults_clock(self, event: Any) -> None:
        """The clock changed: release what is due now."""
        try:
            self._release_due()
        except Exception:
            log.exception("fault.release_failed")


def settle(delivery: Any, state: int, condition: Condition | None = None, *,
           failed: bool = False, undeliverable: bool = False) -> None:
    """Give an inbound delivery an outcome and settle it (rcv-settle-mode second: the
    sender settles first)."""
    if delivery.link.state & Endpoint.LOCAL_CLOSED:
        return
    if delivery.settled:
        delivery.settle()
        return
    if condition is not None:
        delivery.local.condition = condition
    delivery.local.failed = failed
    delivery.local.undeliverable = undeliverable
    delivery.update(state)
    if delivery.link.rcv_settle_mode != Link.RCV_SECOND:
        delivery.settle()


def drop(transport: Any) -> None:
    """Close a connection's TCP socket without any AMQP close: the peer sees it abort."""
    selectable = getattr(transport, "_selectable", None)
    sock = getattr(selectable, "_delegate", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):  # already gone
            sock.shutdown(socket.SHUT_RDWR)
        return
    transport.close_tail()  # no socket at hand: end the transport instead
    transport.close_head()
