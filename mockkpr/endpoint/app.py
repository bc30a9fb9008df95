"""The embedded endpoint assembled: registry, journal, receiver, AMQP listeners, control API.

``Endpoint(settings)`` is embeddable (start/stop, context manager, port 0 for tests, URL
properties); ``mockkpr serve`` runs one in the foreground. On a first start without a
registry it creates a test PKI and registry in ``MOCKKPR_DATA_DIR/pki`` with documented
HER-ids and credentials (README.md, "Default parties").
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from proton import SSLDomain

from mockkpr.control.app import create_app
from mockkpr.control.metrics import Metrics
from mockkpr.control.security import AccessPolicy, resolve_token
from mockkpr.control.server import ControlServer
from mockkpr.endpoint import sasl, tls
from mockkpr.endpoint.admission import LoginThrottle
from mockkpr.endpoint.broker import BrokerOptions, EmbeddedBroker
from mockkpr.endpoint.faults import BrokerFaults
from mockkpr.endpoint.queues import QueueInfo, Topology
from mockkpr.endpoint.server import AmqpServer, Listen
from mockkpr.endpoint.settlements import DeferredQueueWrites
from mockkpr.errors import ConfigError
from mockkpr.faults import Clock, FaultPlan, Scenario, load_scenario, parse_scenario, verify
from mockkpr.faults.answers import AnswerFaults
from mockkpr.faults.forged import ForgedKeys
from mockkpr.faults.verify import ExpectationFailed, Result
from mockkpr.journal.models import JournalEntry, MessageFilter
from mockkpr.journal.store import Journal
from mockkpr.log import get_logger
from mockkpr.pki import PartySpec, create_test_pki
from mockkpr.registry import REGISTRY_FILE, Registry, load_registry
from mockkpr.service.messages import InboundMessage
from mockkpr.service.pipeline import Receiver
from mockkpr.service.pool import Dispatch, ReceiverPool
from mockkpr.settings import Settings

if TYPE_CHECKING:  # imported when an HTTP port is configured (start-up time)
    from mockkpr.kneik import HttpApi

log = get_logger(__name__)

# The parties of a first start without configuration (documented in README.md).
DEFAULT_PARTIES = (
    PartySpec(131725, "KPR Validering"),
    PartySpec(12345, "Testkommune Saksbehandling"),
    PartySpec(23456, "Nabokommune Saksbehandling"),
)
_ANY_INTERFACE = ("0.0.0.0", "::")  # noqa: S104  (recognised, never bound here)
DEFAULT_PASSWORDS = {party.her_id: f"test-{party.her_id}" for party in DEFAULT_PARTIES}
#: HelseID client ids of the default senders (their private JWKs are in the PKI directory).
DEFAULT_CLIENT_IDS = {party.her_id: f"mockkpr-{party.her_id}" for party in DEFAULT_PARTIES[1:]}


def documented_passwords() -> dict[str, str]:
    """SASL user to password of the default test senders' accounts (public: README.md
    documents them). KPR's own account is left out: ``/api/parties`` never shows it."""
    receiver = DEFAULT_PARTIES[0].her_id
    return {f"mockkpr-{her_id}": password for her_id, password in DEFAULT_PASSWORDS.items()
            if her_id != receiver}


def registry_path(settings: Settings) -> Path:
    """The registry file in use: ``MOCKKPR_REGISTRY`` or the data directory's own."""
    return settings.registry or settings.data_dir / "pki" / REGISTRY_FILE


def ensure_registry(settings: Settings) -> Registry:
    """Load the registry, creating the default test PKI first when none is configured."""
    path = registry_path(settings)
    if settings.registry is None and not path.exists():
        log.info("pki.created", directory=str(path.parent),
                 parties=[p.her_id for p in DEFAULT_PARTIES])
        create_test_pki(path.parent, DEFAULT_PARTIES, passwords=DEFAULT_PASSWORDS,
                        tls_names=settings.tls_names, client_ids=DEFAULT_CLIENT_IDS,
                        pki_url=settings.pki_url)
    registry = load_registry(path)
    if registry.find(settings.kpr_her_id) is None:
        raise ConfigError(f"{path}: no party for the KPR receiver HER-id "
                          f"{settings.kpr_her_id} (MOCKKPR_KPR_HER_ID)")
    kpr = registry.party(settings.kpr_her_id)
    if kpr.signing is None or not kpr.own_keys():
        raise ConfigError(f"{path}: the KPR receiver {kpr.her_id} needs its signing and "
                          "encryption keys")
    return registry


def topology_of(registry: Registry, kpr_her_id: int) -> Topology:
    """Every party's async, error and dead-letter queue; KPR's async queue is processed.

    Only the endpoint writes to the parties' queues, except that an account may write to the
    ``_async`` and ``_error`` queues of the parties its parties list in ``may_send_to``.
    """
    writers: dict[str, set[str]] = {}
    for party in registry.parties.values():
        for target in party.may_send_to:
            q = registry.queues(target)
            for name in (q.asynchronous, q.error):
                if party.account:
                    writers.setdefault(name, set()).add(party.account)
    queues: dict[str, QueueInfo] = {}
    for party in registry.parties.values():
        readers = frozenset({party.account} if party.account else set())
        q = party.queues
        for name, dead_letter in ((q.asynchronous, q.dead_letter), (q.error, q.dead_letter),
                                  (q.dead_letter, None)):
            if name in queues:  # inherited queues are shared with the parent
                continue
            queues[name] = QueueInfo(name, str(party.her_id), readers, dead_letter,
                                     processed=party.her_id == kpr_her_id
                                     and name == q.asynchronous,
                                     writers=frozenset(writers.get(name, ())))
    return Topology(queues)


def housekeeping_interval(settings: Settings) -> float:
    """Seconds between looks for expired split messages: a quarter of the group timeout,
    at most a minute."""
    return min(settings.group_timeout / 4, 60.0)


@dataclass(frozen=True)
class Urls:
    """Where the running endpoint listens."""

    amqps: str
    amqp: str | None
    control: str
    http: str | None = None  # the HTTP submission API (POST {http}/messages)
    token: str | None = None  # its fake HelseID's token endpoint


class Endpoint:
    """The KPR validation endpoint (embedded mode)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry: Registry | None = None
        self.journal: Journal | None = None
        self.metrics = Metrics()
        self.clock = Clock()
        self.faults = FaultPlan(self.clock)
        self._requested: Scenario | None = None
        self._armed_after: int | None = None  # the newest journal id when it was armed
        self._executor: ThreadPoolExecutor | None = None
        self._pool: ReceiverPool | None = None  # worker processes (MOCKKPR_PROCESSES)
        self._amqp: AmqpServer | None = None
        self._queue_writes: DeferredQueueWrites | None = None
        self._control: ControlServer | None = None
        self.http: HttpApi | None = None
        #: The control API's token (None: none required) and where it came from
        #: (:func:`mockkpr.control.security.resolve_token`).
        self.control_token: str | None = None
        self.control_token_source = "none"  # noqa: S105  (where it came from)

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> Endpoint:
        """Load everything, bind the listeners and start serving; errors surface here, after
        whatever had started is stopped again (a port in use leaves no thread behind)."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> Endpoint:
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.registry = registry = ensure_registry(settings)
        self.journal = journal = Journal.from_settings(settings)
        self.faults.checks[:] = []
        answer_faults = AnswerFaults(self.faults, ForgedKeys(registry, settings.kpr_her_id))
        broker_faults = BrokerFaults(self.faults, accounts=lambda user: frozenset(
            str(her_id) for her_id in registry.her_ids_of(user)) if user else frozenset())
        if settings.scenario is not None:  # armed before the listeners open
            self.arm(load_scenario(settings.scenario))
        check = broker_faults.login_check(registry.check_password)
        sasl.install_plain_authenticator(check)
        receiver = Receiver(registry, journal, settings, clock=self.clock.now,
                            faults=answer_faults)
        processor = receiver.process
        threads = settings.workers
        if settings.processes > 0:
            self._pool = ReceiverPool(settings, registry.path, settings.processes)
            processor = Dispatch(receiver.process, self._pool, self._stays_here, journal.changed)
            threads = max(threads, self._pool.threads)  # a thread waits on each pipe
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="mockkpr-work")
        self._queue_writes = DeferredQueueWrites(journal)
        broker = EmbeddedBroker(
            topology_of(registry, settings.kpr_her_id), self._queue_writes, processor,
            self._executor,
            BrokerOptions(delivery_limit=settings.delivery_limit, prefetch=settings.prefetch,
                          max_message_bytes=settings.max_message_bytes,
                          allow_insecure_plain=True,
                          handshake_timeout=settings.handshake_timeout,
                          housekeeping_every=housekeeping_interval(settings)),
            initial=journal.queued(), faults=broker_faults, housekeeping=receiver.expire_groups,
            login=sasl.LoginRules(check, LoginThrottle(settings.login_failures_per_minute)))
        listeners = [Listen(settings.host, settings.amqps_port, self._tls_domain(registry))]
        if settings.amqp_port is not None:
            listeners.append(Listen(settings.host, settings.amqp_port, None))
        self._amqp = AmqpServer(broker, listeners)
        self._amqp.start()
        self.control_token, self.control_token_source = resolve_token(settings)
        app = create_app(journal, self.readiness, metrics=self.metrics,
                         on_reset=receiver.forget_streams, registry=registry,
                         documented_passwords=documented_passwords(), scenarios=self,
                         listeners=self._listener_urls(),
                         access=AccessPolicy.of(settings, self.control_token),
                         on_drop_queued=self._drop_queued)
        self._control = ControlServer(app, settings.control_host, settings.control_port)
        self._control.start()
        if settings.http_port is not None:
            from mockkpr.kneik import HttpApi

            self.http = HttpApi(receiver, registry, settings, plan=self.faults,
                                now=self.clock.now)
            self.http.start()
        log.info("endpoint.ready", amqps=self.urls.amqps, amqp=self.urls.amqp,
                 control=self.urls.control, http=self.urls.http, registry=str(registry.path))
        return self

    def _tls_domain(self, registry: Registry) -> SSLDomain:
        if registry.tls is None:
            raise ConfigError(f"{registry.path}: no tls certificate and key for the listener")
        return tls.server_domain(registry.tls.certificate, registry.tls.key)

    def stop(self) -> None:
        """Stop serving; the journal keeps everything recorded."""
        if self.http is not None:
            self.http.stop()
            self.http = None
        if self._control is not None:
            self._control.stop()
            self._control = None
        if self._amqp is not None:
            self._amqp.stop()
            self._amqp = None
        if self._queue_writes is not None:
            self._queue_writes.close()
            self._queue_writes = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    def _stays_here(self, inbound: InboundMessage) -> bool:
        """Whether a message is processed in this process rather than a worker process:
        parts of split messages, and everything while a scenario is armed or the clock is
        moved (:mod:`mockkpr.service.pool`)."""
        return inbound.group_id is not None or self.faults.scenario is not None \
            or self.clock.fixed or self.clock.offset != timedelta(0)

    def _drop_queued(self) -> None:
        """A reset dropped the answers still owed: the broker forgets them too. (Through the
        endpoint, so that the control API holds no proton object after a stop.)"""
        if self._amqp is not None:
            self._amqp.broker.drop_queued()

    def __enter__(self) -> Endpoint:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # ----------------------------------------------------------------- state
    def readiness(self) -> dict[str, bool]:
        """The checks behind ``/readyz``: every one must be true to be ready."""
        return {
            "registry": self.registry is not None,
            "certificates": self.registry is not None and self.registry.tls is not None,
            "journal": self.journal is not None and self.journal.ping(),
            "amqp_listeners": self._amqp is not None and self._amqp.running,
            "scenario": self._requested is None or self.faults.scenario is self._requested,
            **({"http_listener": self.http is not None and self.http.running}
               if self.settings.http_port is not None else {}),
        }

    # ----------------------------------------------------------------- fault injection
    def arm(self, scenario: Scenario | Path | str) -> Scenario:
        """Arm a scenario (a value, a file, a packaged name or YAML text); return it.

        Replaces any armed scenario; raises :class:`ConfigError` when it cannot be used.
        """
        if isinstance(scenario, Path):
            scenario = load_scenario(scenario)
        elif isinstance(scenario, str):
            scenario = (load_scenario(Path(scenario)) if "\n" not in scenario
                        else parse_scenario(scenario))
        self._requested = scenario
        self.faults.arm(scenario)
        newest = self.journal.list(MessageFilter(), limit=1) if self.journal else []
        self._armed_after = newest[0].id if newest else None
        return scenario

    def disarm(self) -> Scenario | None:
        """Disarm the armed scenario (and undo its clock); return it."""
        self._requested = None
        return self.faults.disarm()

    @contextmanager
    def armed(self, scenario: Scenario | Path | str) -> Iterator[Scenario]:
        """``with endpoint.armed("resend-after-reject") as s:`` — disarmed at the end."""
        armed = self.arm(scenario)
        try:
            yield armed
        finally:
            self.disarm()

    def entries(self) -> list[JournalEntry]:
        """The journal entries since the scenario was armed (all without one), oldest first:
        what verification looks at."""
        assert self.journal is not None, "not started"
        since = self._armed_after if self.faults.scenario is not None else None
        return self.journal.list(MessageFilter(after_id=since), limit=self.journal.max_messages,
                                 newest_first=False, with_report=False)

    def verify(self, scenario: Scenario | None = None) -> list[Result]:
        """Check the expectations of ``scenario`` (default: the armed one)."""
        scenario = scenario or self.faults.scenario
        if scenario is None:
            raise ConfigError("no scenario is armed: nothing to verify")
        return verify(scenario, self.entries(), self.faults.firings())

    def check(self, scenario: Scenario | None = None) -> None:
        """Raise :class:`ExpectationFailed` listing every failed expectation."""
        failed = [r.message for r in self.verify(scenario) if not r.passed]
        if failed:
            raise ExpectationFailed("\n".join(failed))

    def _listener_urls(self) -> dict[str, str]:
        """The AMQP listeners' URLs with the exchange of the default parties (web view)."""
        assert self._amqp is not None
        host = "localhost" if self.settings.host in _ANY_INTERFACE else self.settings.host
        ports = self._amqp.ports
        names = ("AMQPS (TLS)", "AMQP (plain)")
        return {name: f"{'amqps' if n == 0 else 'amqp'}://{host}:{port}/NHNTESTServiceBus"
                for n, (name, port) in enumerate(zip(names, ports, strict=False))}

    @property
    def urls(self) -> Urls:
        """The URLs of the listeners (with the real ports when configured with 0)."""
        assert self._amqp is not None, "not started"
        assert self._control is not None, "not started"
        wildcard = self.settings.host in _ANY_INTERFACE
        host = "localhost" if wildcard else self.settings.host
        ports = self._amqp.ports
        amqp = f"amqp://{host}:{ports[1]}" if len(ports) > 1 else None
        http = self.http
        return Urls(f"amqps://{host}:{ports[0]}", amqp, self._control.url,
                    http.url if http is not None else None,
                    http.token_url if http is not None else None)
