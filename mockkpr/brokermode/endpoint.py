"""The endpoint in broker mode: registry, journal, receiver, consumer, outbox, control API.

``BrokerEndpoint(settings)`` is embeddable like :class:`~mockkpr.endpoint.app.Endpoint`
(start/stop, context manager, control URL); ``mockkpr serve --broker URL`` runs one. It
needs the broker's topology in place (``mockkpr broker setup``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from types import TracebackType

from mockkpr.brokermode.coordination import Coordinator
from mockkpr.brokermode.outbox import Outbox
from mockkpr.brokermode.processing import BrokerProcessor, Processor
from mockkpr.client.sender import Target
from mockkpr.control.app import create_app
from mockkpr.control.metrics import Metrics
from mockkpr.control.security import AccessPolicy, resolve_token
from mockkpr.control.server import ControlServer
from mockkpr.endpoint import tls
from mockkpr.endpoint.app import ensure_registry, housekeeping_interval
from mockkpr.endpoint.consumer import BrokerConsumer, ConsumerOptions, ConsumerThread
from mockkpr.errors import ConfigError
from mockkpr.journal.engine import database_url
from mockkpr.journal.store import Journal
from mockkpr.log import get_logger
from mockkpr.registry import Registry
from mockkpr.service.pipeline import Receiver
from mockkpr.settings import Settings

log = get_logger(__name__)

#: Seconds between flushes of published answers (their outbox rows are deleted).
FLUSH_INTERVAL_S = 0.2
#: Done claims older than this are forgotten (a resend after it is processed anew).
CLAIM_RETENTION = timedelta(days=1)


def consumer_options(settings: Settings, registry: Registry) -> ConsumerOptions:
    """Connection and queue of KPR's consumer from ``settings.broker`` and the registry.

    User and password default to the KPR party's account in the registry.
    """
    if not settings.broker:
        raise ConfigError("broker mode needs MOCKKPR_BROKER (mockkpr serve --broker URL)")
    target = Target.parse(settings.broker)
    kpr = registry.party(settings.kpr_her_id)
    user = target.user or (kpr.sasl.user if kpr.sasl else None)
    password = target.password or (kpr.sasl.password if kpr.sasl else None)
    if user is None or password is None:
        raise ConfigError(f"{settings.broker}: no user and password in the URL, and none for "
                          f"{kpr.her_id} in the registry {registry.path}")
    domain = None
    if target.tls:
        domain = tls.client_domain(settings.broker_ca or registry.ca_path)
    scheme = "amqps" if target.tls else "amqp"
    return ConsumerOptions(
        url=f"{scheme}://{target.host}:{target.port}", user=user, password=password,
        queue=kpr.queues.asynchronous, exchange=target.exchange, ssl_domain=domain,
        address_form=settings.broker_addresses, window=settings.prefetch,
        max_message_bytes=settings.max_message_bytes)


class BrokerEndpoint:
    """The KPR validation endpoint as a consumer on a real broker.

    ``wrap`` (tests, fault injection) wraps the receiver's ``process`` before the claims and
    the outbox are put around it.
    """

    def __init__(self, settings: Settings, *,
                 wrap: Callable[[Processor], Processor] | None = None,
                 retry_delay_s: float = 1.0) -> None:
        self.settings = settings
        self.wrap = wrap
        self.retry_delay_s = retry_delay_s
        self.registry: Registry | None = None
        self.journal: Journal | None = None
        self.coordinator: Coordinator | None = None
        self.outbox: Outbox | None = None
        self.consumer: BrokerConsumer | None = None
        self.metrics = Metrics()
        self._executor: ThreadPoolExecutor | None = None
        self._thread: ConsumerThread | None = None
        self._control: ControlServer | None = None
        self._maintenance: threading.Thread | None = None
        self._receiver: Receiver | None = None
        self._stop = threading.Event()
        self._last_heartbeat = 0.0
        self.control_token: str | None = None  # the control API's (None: none required)

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> BrokerEndpoint:
        """Load everything, start consuming (connecting in the background) and serving."""
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.registry = registry = ensure_registry(settings)
        options = consumer_options(settings, registry)
        options = replace(options, retry_delay_s=self.retry_delay_s)
        self.journal = journal = Journal.from_settings(settings)
        self.coordinator = coordinator = Coordinator(database_url(settings),
                                                     lease_s=settings.broker_lease_s)
        coordinator.heartbeat()
        self._last_heartbeat = time.monotonic()
        self.outbox = outbox = Outbox(journal, coordinator)
        self._receiver = receiver = Receiver(registry, journal, settings)
        process: Processor = receiver.process
        if self.wrap is not None:
            process = self.wrap(process)
        processor = BrokerProcessor(process, journal, coordinator, outbox,
                                    max_wait_s=2 * settings.broker_lease_s)
        self._executor = ThreadPoolExecutor(settings.workers, thread_name_prefix="mockkpr-work")
        self.consumer = BrokerConsumer(options, processor, self._executor, outbox)
        self._thread = thread = ConsumerThread(self.consumer)
        outbox.notify = thread.wake
        thread.start()
        self._stop.clear()
        self._maintenance = threading.Thread(target=self._maintain, name="mockkpr-outbox",
                                             daemon=True)
        self._maintenance.start()
        self.control_token, _ = resolve_token(settings)
        app = create_app(journal, self.readiness, metrics=self.metrics, on_reset=coordinator.reset,
                         access=AccessPolicy.of(settings, self.control_token),
                         on_drop_queued=outbox.drop)
        self._control = ControlServer(app, settings.control_host, settings.control_port)
        self._control.start()
        log.info("endpoint.broker_mode", broker=options.url, queue=options.queue,
                 exchange=options.exchange, control=self._control.url,
                 instance=coordinator.instance_id, journal=journal.url)
        return self

    def stop(self) -> None:
        """Stop consuming and serving; unsent answers stay in the journal for the next run."""
        if self._control is not None:
            self._control.stop()
            self._control = None
        if self._thread is not None:
            self._thread.stop()  # settles what the workers finish within its grace time
            self._thread = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self._stop.set()
        if self._maintenance is not None:
            self._maintenance.join(10)
            self._maintenance = None
        if self.outbox is not None:
            self.outbox.flush()
        if self.coordinator is not None:
            self.coordinator.retire()  # others may take over what is left at once
            self.coordinator.close()
            self.coordinator = None
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    def __enter__(self) -> BrokerEndpoint:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # ----------------------------------------------------------------- background work
    def _maintain(self) -> None:
        """Flush published answers; heartbeat; adopt orphaned answers; prune old claims."""
        lease = self.settings.broker_lease_s
        last_adopt = last_prune = last_expiry = 0.0
        while not self._stop.wait(FLUSH_INTERVAL_S):
            assert self.outbox is not None
            assert self.coordinator is not None
            try:
                self.outbox.flush()
                now = time.monotonic()
                if now - self._last_heartbeat >= lease / 5:
                    self.coordinator.heartbeat()
                    self._last_heartbeat = now
                if now - last_adopt >= lease / 2:
                    last_adopt = now
                    self.outbox.adopt_orphans()
                if now - last_prune >= 3600:
                    last_prune = now
                    self.coordinator.prune(CLAIM_RETENTION)
                if now - last_expiry >= housekeeping_interval(self.settings) \
                        and self._receiver is not None:
                    last_expiry = now
                    expired = self._receiver.expire_groups()  # split messages never completed
                    if expired:
                        self.coordinator.own_outbox(item.id for item in expired)
                        self.outbox.add(expired)
            except Exception:  # the database may be briefly away; try again next round
                log.exception("broker.maintenance_failed")

    # ----------------------------------------------------------------- state
    def readiness(self) -> dict[str, bool]:
        """The checks behind ``/readyz``: every one must be true to be ready."""
        lease = self.settings.broker_lease_s
        return {
            "registry": self.registry is not None,
            "journal": self.journal is not None and self.journal.ping(),
            "broker_connection": self.consumer is not None and self.consumer.ready.is_set(),
            "heartbeat": time.monotonic() - self._last_heartbeat < lease,
        }

    @property
    def control_url(self) -> str:
        """The control API's URL (with the real port when configured with 0)."""
        assert self._control is not None, "not started"
        return self._control.url
