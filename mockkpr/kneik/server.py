"""The HTTP port of one endpoint: the submission API and the fake HelseID, served over TLS."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mockkpr.control.server import ControlServer
from mockkpr.errors import ConfigError
from mockkpr.faults.plan import FaultPlan
from mockkpr.kneik.app import KneikApi, create_app
from mockkpr.kneik.helseid import DISCOVERY_PATH, PREFIX, TOKEN_PATH, HelseId
from mockkpr.registry import Registry
from mockkpr.service.pipeline import Receiver
from mockkpr.settings import Settings


class HttpApi:
    """KPR's HTTP submission API in front of ``receiver``, with its own fake HelseID.

    Served on ``settings.host``:``settings.http_port`` with the registry's TLS certificate
    (the one the AMQPS listener uses). ``plan`` holds the armed scenario's faults, ``now`` is
    the endpoint's clock (the journal's times).
    """

    def __init__(self, receiver: Receiver, registry: Registry, settings: Settings, *,
                 plan: FaultPlan | None, now: Callable[[], datetime]) -> None:
        if registry.tls is None:
            raise ConfigError(f"{registry.path}: no tls certificate and key for the HTTP API")
        if settings.http_port is None:
            raise ConfigError("MOCKKPR_HTTP_PORT is not set: the HTTP API is off")
        self.helseid = HelseId(registry, token_lifetime=settings.token_lifetime_s)
        self.api = KneikApi(receiver, registry, self.helseid,
                            max_body_bytes=settings.http_max_body_bytes,
                            workers=settings.workers, plan=plan, now=now)
        self.server = ControlServer(create_app(self.api), settings.host, settings.http_port,
                                    tls=(registry.tls.certificate, registry.tls.key),
                                    name="HTTP API")

    def start(self) -> None:
        """Bind and serve; a port in use fails here with :class:`EndpointError`."""
        self.server.start()

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()

    @property
    def running(self) -> bool:
        """Whether the port is served."""
        return self.server.running

    @property
    def url(self) -> str:
        """``https://HOST:PORT``: POST submissions to ``{url}/messages``."""
        return self.server.url

    @property
    def authority(self) -> str:
        """The fake HelseID's issuer (``{url}/helseid``): its discovery document is at
        ``{authority}/.well-known/openid-configuration``."""
        return self.url + PREFIX

    @property
    def token_url(self) -> str:
        """The token endpoint."""
        return self.url + TOKEN_PATH

    @property
    def discovery_url(self) -> str:
        """The discovery document."""
        return self.url + DISCOVERY_PATH
