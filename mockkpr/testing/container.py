"""A testcontainers module for the mockkpr image: :class:`MockKprContainer`.

It starts the image, waits until ``GET /readyz`` answers 200 (registry, certificates, journal
and AMQP listeners ready) and tells a test where to connect and with which credentials. On a
first start the container creates the default test PKI (README.md, "Default parties");
:meth:`MockKprContainer.with_registry` replaces it with one made by ``mockkpr pki init``.

>>> import httpx
>>> from mockkpr.testing.container import MockKprContainer
>>> with MockKprContainer("mockkpr:latest") as kpr:
...     print(httpx.get(kpr.get_control_url() + "/readyz").json()["status"])
...     print(kpr.get_amqp_url().startswith("amqps://"), kpr.get_credentials(12345))
...     print(kpr.get_ca_certificate().startswith(b"-----BEGIN CERTIFICATE-----"))
ready
True ('mockkpr-12345', 'test-12345')
True

A pilot send with the reference sender (the private keys come out with :meth:`get_registry`)::

    with MockKprContainer() as kpr, KprClient(kpr.get_amqp_url(), kpr.get_registry(tmp_path),
                                              12345) as client:
        answer = client.send_and_wait(Path("iplos.xml").read_bytes())
        assert answer.status is Status.OK

The TLS certificate of the default PKI is for ``localhost`` and ``127.0.0.1``, which is where
testcontainers maps the ports with a local engine. Needs ``testcontainers`` (the ``testing``
extra). Engines without a registry or Docker (podman) work through the usual ``DOCKER_HOST``
and ``TESTCONTAINERS_*`` variables; see docker/ci-engine.sh.
"""

from __future__ import annotations

import io
import os
import secrets
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Self

import httpx

try:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import HttpWaitStrategy
except ModuleNotFoundError as missing:  # the light install without the testing extra
    raise ModuleNotFoundError("mockkpr.testing.container needs testcontainers: "
                              "pip install 'mockkpr[testing]'", name=missing.name) from None

from mockkpr.errors import ConfigError, EndpointError
from mockkpr.registry import REGISTRY_FILE, Registry, load_registry

#: The image docker/build.sh tags; pass another reference to use a published one.
DEFAULT_IMAGE = "mockkpr:latest"


class MockKprContainer(DockerContainer):
    """The mockkpr endpoint in a container, ready when ``/readyz`` says so."""

    #: AMQP 1.0 over TLS (what senders use).
    AMQPS_PORT = 5671
    #: Plain AMQP, for local tests only.
    AMQP_PORT = 5672
    #: The HTTP control API (``/readyz``, ``/api/messages``, ``/api/pki/ca.pem``...).
    CONTROL_PORT = 8080
    #: KPR's HTTP submission API and the fake HelseID (TLS, docs/http-api.md).
    HTTP_PORT = 8443
    #: The data directory (journal; the test PKI of a first start in ``pki/``).
    DATA_DIR = "/var/lib/mockkpr"
    #: Where :meth:`with_registry` copies a registry into the container.
    REGISTRY_DIR = "/etc/mockkpr/pki"
    #: HER-id of the KPR receiver mockkpr plays.
    KPR_HER_ID = 131725
    #: The exchange senders name in their target address.
    EXCHANGE = "NHNTESTServiceBus"

    def __init__(self, image: str = DEFAULT_IMAGE, *, startup_timeout: float = 60.0,
                 **kwargs: Any) -> None:
        with _engine_errors(image):  # testcontainers connects to the engine here
            super().__init__(image, **kwargs)
        self.with_exposed_ports(self.AMQPS_PORT, self.AMQP_PORT, self.CONTROL_PORT,
                                self.HTTP_PORT)
        # The API listens beyond loopback in the container: it takes this token, and any Host
        # (the engine's host name varies), for the token is what keeps others out.
        self.with_env("MOCKKPR_CONTROL_TOKEN", secrets.token_urlsafe(32))
        self.with_env("MOCKKPR_CONTROL_HOSTS", '["*"]')
        self.waiting_for(HttpWaitStrategy(self.CONTROL_PORT, "/readyz").for_status_code(200)
                         .with_startup_timeout(int(startup_timeout)))
        self._registry_dir = f"{self.DATA_DIR}/pki"

    def with_registry(self, directory: Path) -> Self:
        """Use the registry in ``directory`` (``registry.yaml`` and the files it names).

        The files are copied into the container before it starts (readable by its
        unprivileged user, whatever their modes on the host) and ``MOCKKPR_REGISTRY`` points
        at them, so no test PKI is created.
        """
        registry = directory / REGISTRY_FILE
        if not registry.is_file():
            raise ConfigError(f"{directory}: no {REGISTRY_FILE} (make one with "
                              "`mockkpr pki init DIR`)")
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                target = PurePosixPath(self.REGISTRY_DIR, *path.relative_to(directory).parts)
                self.with_copy_into_container(path.read_bytes(), str(target), 0o644)
        self._registry_dir = self.REGISTRY_DIR
        return self.with_env("MOCKKPR_REGISTRY", f"{self.REGISTRY_DIR}/{REGISTRY_FILE}")

    def start(self) -> Self:
        """Start the container and wait until it is ready.

        Raises :class:`~mockkpr.errors.EndpointError` saying what to do when the image does
        not exist (build it) or no container engine answers (start one, or point
        ``DOCKER_HOST`` at it), instead of docker-py's traceback.
        """
        with _engine_errors(self.image):
            super().start()
        return self

    # ------------------------------------------------------------------ where to connect
    def get_amqp_url(self, *, tls: bool = True, exchange: str = EXCHANGE) -> str:
        """``amqps://HOST:PORT/EXCHANGE`` (``tls=False``: the plain ``amqp://`` listener).

        The URL carries no credentials: :class:`~mockkpr.client.KprClient` takes them from
        the registry; other clients use :meth:`get_credentials`.
        """
        port = self.get_exposed_port(self.AMQPS_PORT if tls else self.AMQP_PORT)
        scheme = "amqps" if tls else "amqp"
        return f"{scheme}://{self.get_container_host_ip()}:{port}/{exchange}"

    def get_control_url(self) -> str:
        """``http://HOST:PORT`` of the control API."""
        port = self.get_exposed_port(self.CONTROL_PORT)
        return f"http://{self.get_container_host_ip()}:{port}"

    def get_control_token(self) -> str:
        """The control API's token: send ``Authorization: Bearer TOKEN`` (a random one per
        container unless ``with_env("MOCKKPR_CONTROL_TOKEN", ...)`` set another)."""
        return str(self.env["MOCKKPR_CONTROL_TOKEN"])

    def get_http_url(self) -> str:
        """``https://HOST:PORT`` of the HTTP submission API (POST ``/messages``)."""
        port = self.get_exposed_port(self.HTTP_PORT)
        return f"https://{self.get_container_host_ip()}:{port}"

    def get_authority_url(self) -> str:
        """The fake HelseID's authority (its discovery document is below it)."""
        return f"{self.get_http_url()}/helseid"

    def get_token_url(self) -> str:
        """The fake HelseID's token endpoint."""
        return f"{self.get_authority_url()}/connect/token"

    # ------------------------------------------------------------------ what to trust
    def get_ca_certificate(self) -> bytes:
        """The test CA certificate (PEM) that issued the endpoint's TLS certificate."""
        return self._get("/api/pki/ca.pem").content

    def get_parties(self) -> list[dict[str, Any]]:
        """``GET /api/parties``: HER-ids, names, queues and SASL users of every party."""
        parties: list[dict[str, Any]] = self._get("/api/parties").json()
        return parties

    def get_credentials(self, her_id: int) -> tuple[str, str]:
        """SASL user and password of a party of the default test PKI.

        A registry given with :meth:`with_registry` keeps its passwords secret from the
        API: read them from that registry (or :meth:`get_registry`).
        """
        for party in self.get_parties():
            if party["her_id"] == her_id:
                if party["user"] is None or party["password"] is None:
                    raise ConfigError(f"party {her_id} has no documented password; read it "
                                      "from the registry (get_registry())")
                return str(party["user"]), str(party["password"])
        raise ConfigError(f"no party with HER-id {her_id} in the container's registry")

    def copy_pki(self, destination: Path) -> Path:
        """Copy the registry directory (certificates, private keys, ``registry.yaml``) out.

        Returns the path of ``registry.yaml`` under ``destination``.
        """
        stream, _ = self.get_wrapped_container().get_archive(self._registry_dir)
        top = PurePosixPath(self._registry_dir).name
        destination.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            for member in archive.getmembers():
                parts = PurePosixPath(member.name).parts
                if not parts or parts[0] != top:
                    continue
                member.name = str(PurePosixPath(*parts[1:])) if len(parts) > 1 else "."
                archive.extract(member, destination, filter="data")
        return destination / REGISTRY_FILE

    def get_registry(self, destination: Path) -> Registry:
        """The container's address registry, copied to ``destination`` and loaded: what
        :class:`~mockkpr.client.KprClient` needs to sign, encrypt and trust like a sender."""
        return load_registry(self.copy_pki(destination))

    def _get(self, path: str) -> httpx.Response:
        """GET a control API path; :class:`EndpointError` unless 200."""
        url = f"{self.get_control_url()}{path}"
        try:
            response = httpx.get(url, timeout=10, headers={
                "Authorization": f"Bearer {self.get_control_token()}"})
        except httpx.TransportError as exc:
            raise EndpointError(f"cannot reach the control API at {url}: {exc}") from None
        if response.status_code != 200:
            raise EndpointError(f"{url}: {response.status_code} {response.text.strip()}")
        return response


@contextmanager
def _engine_errors(image: str) -> Iterator[None]:
    """docker-py's failures as :class:`EndpointError` naming the fix."""
    from docker.errors import DockerException, ImageNotFound, NotFound

    try:
        yield
    except (ImageNotFound, NotFound) as exc:
        raise EndpointError(
            f"the image {image} was not found ({_reason(exc)}): build it from a checkout of "
            "mockkpr with docker/build.sh (it tags mockkpr:latest), or `docker build -f "
            "docker/Dockerfile -t mockkpr .`, or pass the reference of an image you can pull"
        ) from None
    except DockerException as exc:
        if "server API version" not in str(exc) and "Connection" not in str(exc):
            raise
        host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock (the default)"
        raise EndpointError(
            f"no container engine answers at DOCKER_HOST={host} ({_reason(exc)}): start "
            "Docker, or podman's Docker-compatible API (`podman system service --time=0 "
            "unix:///tmp/podman.sock`) and set DOCKER_HOST to its socket (with podman also "
            "TESTCONTAINERS_RYUK_DISABLED=true)") from None


def _reason(exc: Exception) -> str:
    """docker-py's error in one short line (its explanation, not the HTTP request)."""
    explanation = getattr(exc, "explanation", None)
    text = str(explanation or exc)
    return text.replace("\n", " ")[:200]
