"""The reference sender's AMQP connection, and what it does when the service bus misbehaves.

One connection is kept open (as NHN's senders do), with a receiver on the sender's ``_async``
queue (AppRecs) and one on its ``_error`` queue (transport errors), and one sender link to the
receiver's queue. :meth:`BusConnection.transfer` delivers one AMQP message and waits for its
outcome; on the way it copes with what a real bus does:

============================== ================================================================
connection dropped or closed,  reconnect after a back-off and send the same message again (same
session ended, link detached   message-id); a delivery without an outcome may or may not have
                               arrived, and KPR answers a repeat as a duplicate
``released``,                  send it again after a back-off (the bus did not take it)
``modified`` (delivery-failed)
``rejected`` with              the same: the receiver failed, not the message
``amqp:internal-error`` or
``amqp:resource-limit-exceeded``
any other ``rejected``,        :class:`DeliveryFailed` (``refused``): sending again cannot help
``modified`` undeliverable,
link refused at attach with
``amqp:not-found`` or
``amqp:unauthorized-access``
no credit, no outcome          keep waiting until the deadline, then :class:`DeliveryFailed`
an answer arrives before the   stop waiting: the answer proves the message arrived (a bus may
outcome                        settle late)
============================== ================================================================

Connecting is retried only when trying again can help: a wrong password, an untrusted
certificate or the wrong protocol for the port fail at once, with a message that names the fix
(:mod:`mockkpr.client.failures`); a refused or timed-out connection is tried again.

Every retry is bounded by :class:`RetryPolicy` and by the caller's deadline; waits grow
exponentially with random jitter, so that many senders that lost the bus together do not all
come back at the same instant.
"""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from proton import Delivery, Endpoint, Message, ProtonException, Sender, SSLDomain, Timeout
from proton.utils import BlockingConnection, BlockingReceiver, BlockingSender
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_any
from tenacity.stop import stop_base

from mockkpr.client.failures import Attempt, ConnectFailed, classify, peer_words
from mockkpr.errors import EndpointError
from mockkpr.log import get_logger

log = get_logger(__name__)

#: Rejections that say the receiver failed, not the message: the message is sent again.
TRANSIENT_REJECTIONS = frozenset({"amqp:internal-error", "amqp:resource-limit-exceeded"})
#: Conditions of a link refused at attach that no retry can change.
PERMANENT_REFUSALS = frozenset({"amqp:not-found", "amqp:unauthorized-access"})

ACCEPTED = "accepted"
ANSWERED = "answered"
_OUTCOMES: dict[Any, str] = {Delivery.ACCEPTED: "accepted", Delivery.REJECTED: "rejected",
             Delivery.RELEASED: "released", Delivery.MODIFIED: "modified"}


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently the sender tries again.

    ``transfers``: deliveries of one message at most (the first included) before giving up on
    released/modified outcomes, transient rejections and lost connections. ``connects``:
    connection attempts in a row before giving up (only for failures that trying again can
    help). Waits between attempts start at ``backoff`` seconds and double up to
    ``backoff_max``, each plus a random ``jitter`` of up to that many seconds.
    """

    transfers: int = 5
    connects: int = 5
    backoff: float = 0.25
    backoff_max: float = 4.0
    jitter: float = 0.25

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` >= 1)."""
        # Jitter spreads retries; nothing here is secret.
        spread = random.uniform(0, self.jitter) if self.jitter > 0 else 0.0  # noqa: S311
        return float(min(self.backoff * 2 ** max(attempt - 1, 0) + spread, self.backoff_max))

    def wait(self, state: RetryCallState) -> float:
        """The wait before the next attempt, as tenacity asks for it."""
        return self.delay(state.attempt_number)


class DeliveryFailed(EndpointError):
    """The bus did not take the message.

    ``outcome``: ``rejected`` (rejected, or rejected with a transient condition too often),
    ``modified`` (undeliverable here), ``refused`` (the link was refused), ``released``
    (released or modified too often), ``lost`` (the connection was lost too often, or could
    not be made again) or ``timeout`` (no outcome before the deadline). ``condition`` and
    ``description`` are the peer's error, when it gave one.
    """

    def __init__(self, text: str, *, outcome: str, condition: str | None = None,
                 description: str | None = None) -> None:
        super().__init__(text)
        self.outcome = outcome
        self.condition = condition
        self.description = description

    @property
    def refused(self) -> bool:
        """True when the bus refused the message (as opposed to not getting it through)."""
        return self.outcome in ("rejected", "modified", "refused") and self.condition not in \
            TRANSIENT_REJECTIONS


class _StopAt(stop_base):
    """Stop when the next attempt would begin after ``deadline`` (``time.monotonic``)."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.deadline is not None and \
            time.monotonic() + (retry_state.upcoming_sleep or 0.0) >= self.deadline


class _Lost(Exception):
    """The connection, session or link is gone: reconnect and send again."""


def _condition_text(condition: Any) -> tuple[str | None, str | None, str]:
    if condition is None:
        return None, None, ""
    name, description = condition.name, condition.description
    return name, description, f" with {name}" + (f": {description}" if description else "")


@dataclass(frozen=True)
class Endpoints:
    """Where and as whom to connect, and the addresses of the three links."""

    url: str
    user: str
    password: str
    ssl_domain: SSLDomain | None
    target: str
    sources: tuple[str, ...]
    insecure: bool
    ca_path: str = ""  # the CA file trusted for TLS (for messages)


class BusConnection:
    """A connection to the bus that reconnects on demand (see the module documentation)."""

    def __init__(self, endpoints: Endpoints, *, policy: RetryPolicy,
                 connect_timeout: float = 10.0) -> None:
        self.endpoints = endpoints
        self.policy = policy
        self.connect_timeout = connect_timeout
        self.connections = 0  # connections opened so far
        self._connection: BlockingConnection | None = None
        self._receivers: list[BlockingReceiver] = []
        self._senders: dict[str, BlockingSender] = {}  # one link per target address

    # ------------------------------------------------------------------ connecting
    @property
    def connected(self) -> bool:
        """Whether a connection is open (it may still turn out to be dead)."""
        return self._connection is not None

    def open(self, deadline: float | None = None, *, retry: bool = True) -> None:
        """Connect (and attach the receivers); with ``retry``, up to ``policy.connects`` times.

        Raises :class:`~mockkpr.client.failures.ConnectFailed` (an
        :class:`~mockkpr.errors.EndpointError`) saying why and what to do; failures that no
        retry can mend (a wrong password, an untrusted certificate...) are not retried.
        """
        attempts = self.policy.connects if retry else 1

        def before_sleep(state: RetryCallState) -> None:
            failure = state.outcome.exception() if state.outcome else None
            log.info("client.reconnecting", attempt=state.attempt_number,
                     wait=round(state.upcoming_sleep, 3), reason=str(failure))

        retrying = Retrying(
            stop=stop_any(stop_after_attempt(attempts), _StopAt(deadline)), wait=self.policy.wait,
            retry=retry_if_exception(lambda e: isinstance(e, ConnectFailed) and not e.permanent),
            before_sleep=before_sleep, reraise=True)
        try:
            retrying(self._open_once)
        except ConnectFailed as failed:
            tried = retrying.statistics.get("attempt_number", 1)
            if tried > 1:
                raise ConnectFailed(f"{failed} ({tried} attempts)", cause=failed.cause,
                                    permanent=failed.permanent) from None
            raise

    def _open_once(self) -> None:
        ends = self.endpoints
        try:
            connection = BlockingConnection(
                ends.url, timeout=self.connect_timeout, ssl_domain=ends.ssl_domain,
                user=ends.user, password=ends.password, allowed_mechs="PLAIN",
                allow_insecure_mechs=ends.insecure, reconnect=False,
                container_id=f"mockkpr-send-{uuid.uuid4()}")
        except Exception as exc:
            raise classify(exc, Attempt(ends.url, ends.user, ends.ca_path, not ends.insecure),
                           timeout=self.connect_timeout) from None
        self._connection = connection
        self.connections += 1
        try:
            self._receivers = [
                connection.create_receiver(source, credit=10, name=f"receiver-link-{uuid.uuid4()}")
                for source in ends.sources]
        except ProtonException as exc:
            self.drop()
            condition = getattr(exc, "condition", None)
            raise ConnectFailed(
                f"cannot receive from {', '.join(ends.sources)}: {peer_words(str(exc))}",
                cause="refused-link", permanent=condition in PERMANENT_REFUSALS) from None

    def drop(self) -> None:
        """Forget the connection (closing it if it still answers)."""
        connection, self._connection = self._connection, None
        self._receivers, self._senders = [], {}
        if connection is not None:
            with contextlib.suppress(Exception):  # it may be gone already
                connection.close()

    def close(self) -> None:
        """Close the connection."""
        self.drop()

    def _sending_link(self, deadline: float, address: str | None = None) -> BlockingSender:
        if self._connection is None:
            try:
                self.open(deadline)
            except EndpointError as exc:
                raise DeliveryFailed(f"the connection was lost and could not be made again: "
                                     f"{exc}", outcome="lost") from None
        assert self._connection is not None
        target = address or self.endpoints.target
        sender = self._senders.get(target)
        if sender is None:
            try:
                sender = self._senders[target] = self._connection.create_sender(
                    target, name=f"sender-link-{uuid.uuid4()}")
            except ProtonException as exc:
                condition = getattr(exc, "condition", None)
                if condition in PERMANENT_REFUSALS:
                    self.drop()
                    raise DeliveryFailed(
                        f"the sender link to {target} was refused: {exc}",
                        outcome="refused", condition=condition) from None
                raise _Lost(f"the sender link could not be attached: {exc}") from None
        return sender

    # ------------------------------------------------------------------ sending
    def transfer(self, message: Message, deadline: float,
                 answered: Callable[[], bool] = lambda: False, *,
                 address: str | None = None) -> str:
        """Deliver ``message``; ``accepted``, or ``answered`` when ``answered()`` turned true.

        ``address`` overrides the target address of the endpoints (another form, or a wrong
        one on purpose).

        ``answered`` is asked whenever a message arrives on the receivers while the outcome
        is awaited. Raises :class:`DeliveryFailed` as the module documentation says.
        """
        transfers = 0
        last, why = "", ""  # the last failed attempt: its outcome and what was said
        while True:
            if transfers >= self.policy.transfers:
                raise DeliveryFailed(
                    f"the message was not taken in {transfers} deliveries (last: {why})",
                    outcome=last)
            if transfers:
                self._pause(transfers, deadline, last, why)
            transfers += 1
            try:
                link = self._sending_link(deadline, address)
                delivery = message.send(cast(Sender, link.link))
                if self._await(delivery, link, deadline, answered):
                    return ANSWERED
            except Timeout:
                raise self._timed_out() from None
            except (_Lost, ProtonException) as exc:
                last, why = "lost", f"connection lost: {exc}"
                log.info("client.connection_lost", reason=str(exc), transfers=transfers)
                self.drop()
                continue
            state = delivery.remote_state
            remote = delivery.remote
            name, description, text = _condition_text(remote.condition)
            undeliverable = bool(remote.undeliverable)
            delivery.settle()  # frees the delivery: nothing of it is read after this
            if state == Delivery.ACCEPTED:
                return ACCEPTED
            if state == Delivery.REJECTED and name not in TRANSIENT_REJECTIONS:
                raise DeliveryFailed(f"the delivery was rejected{text}", outcome="rejected",
                                     condition=name, description=description)
            if state == Delivery.MODIFIED and undeliverable:
                raise DeliveryFailed(f"the delivery was modified (undeliverable here){text}",
                                     outcome="modified", condition=name,
                                     description=description)
            last = "rejected" if state == Delivery.REJECTED else "released"
            why = f"{_OUTCOMES.get(state, str(state))}{text}"
            log.info("client.resending", outcome=why, transfers=transfers)

    def _pause(self, transfers: int, deadline: float, last: str, why: str) -> None:
        wait = self.policy.delay(transfers)
        if time.monotonic() + wait >= deadline:
            raise DeliveryFailed(f"no time left to send the message again (last: {why})",
                                 outcome=last)
        time.sleep(wait)

    def _await(self, delivery: Any, link: BlockingSender, deadline: float,
               answered: Callable[[], bool]) -> bool:
        """Wait for ``delivery``'s outcome; True when ``answered()`` said so first."""
        assert self._connection is not None
        connection = self._connection

        def done() -> bool:
            return bool(delivery.settled or delivery.remote_state in _OUTCOMES
                        or self._ended(link) or self.waiting())

        while True:
            connection.wait(done, timeout=max(deadline - time.monotonic(), 0.001))
            if delivery.settled or delivery.remote_state in _OUTCOMES:
                return False
            if self._ended(link):
                raise _Lost("the session or link was ended by the peer")
            if answered():
                return True
            if self._connection is not connection:  # lost while taking what had arrived
                raise _Lost("the connection was lost while receiving")

    @staticmethod
    def _ended(link: BlockingSender) -> bool:
        closed = Endpoint.REMOTE_CLOSED
        return bool(link.link.state & closed or link.link.session.state & closed
                    or link.link.connection.state & closed)

    def _timed_out(self) -> DeliveryFailed:
        self.drop()
        return DeliveryFailed("no outcome for the delivery before the timeout (no credit or "
                              "no disposition from the bus)", outcome="timeout")

    # ------------------------------------------------------------------ receiving
    def waiting(self) -> bool:
        """Whether a received message waits to be taken."""
        return any(r.fetcher.has_message for r in self._receivers if r.fetcher is not None)

    def receive(self, timeout: float) -> list[Message]:
        """Messages received within ``timeout`` seconds (each accepted); [] when none came.

        Reconnects (once per call) when the connection is gone; raises
        :class:`~mockkpr.errors.EndpointError` when that fails.
        """
        if self._connection is None:
            self.open(time.monotonic() + max(timeout, self.connect_timeout))
        assert self._connection is not None
        try:
            self._connection.wait(self.waiting, timeout=max(timeout, 0.001))
        except Timeout:
            return []
        except ProtonException as exc:
            log.info("client.connection_lost", reason=str(exc), while_="receiving")
            self.drop()
            return []
        taken = []
        for receiver in self._receivers:
            while receiver.fetcher is not None and receiver.fetcher.has_message:
                taken.append(receiver.receive(timeout=0.001))
                receiver.accept()
        return taken
