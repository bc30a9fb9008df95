"""The pytest plugin (entry point ``pytest11``: ``mockkpr``): a KPR endpoint for your tests.

Fixtures, in three layers:

- ``mockkpr_endpoint`` (session): the endpoint, started once - in this process (default), in a
  container (:class:`~mockkpr.testing.container.MockKprContainer`), or one already running -
  as ``--mockkpr-mode inprocess|container|external`` says;
- ``mockkpr`` (function): the same endpoint, reset for the test (journal empty, no scenario);
- ``mockkpr_harnesses`` (session): what :class:`mockkpr.testing.conformance.ConformanceSuite`
  uses to run the conformance suite with your sender.

Nothing is imported or started unless a test asks for a fixture, so the plugin costs pytest
runs that do not use it nothing. ``--mockkpr-out DIR`` writes the outputs of ``mockkpr
certify`` (JUnit XML, JSON summary, HTML report, signed evidence bundle) for the conformance
cases run in the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockkpr.conformance.drivers import Driver
    from mockkpr.conformance.harness import CaseResult, Harness
    from mockkpr.registry import Registry

MODES = ("inprocess", "container", "external")
#: The conformance results of the session (written by ``--mockkpr-out``).
RESULTS = pytest.StashKey[list["CaseResult"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--mockkpr-*`` options."""
    group = parser.getgroup("mockkpr", "mockkpr: a fake KPR endpoint and its conformance suite")
    group.addoption("--mockkpr-mode", choices=MODES, default="inprocess",
                    help="Where the endpoint runs: in this process (default), in a container "
                         "(--mockkpr-image), or already running (--mockkpr-url, "
                         "--mockkpr-control-url, --mockkpr-registry).")
    group.addoption("--mockkpr-url", help="external: amqps://HOST:PORT/EXCHANGE")
    group.addoption("--mockkpr-control-url", help="external: the control API, http://HOST:PORT")
    group.addoption("--mockkpr-registry",
                    help="external: registry.yaml with the sending party's keys")
    group.addoption("--mockkpr-control-token",
                    help="external: the control API's token (default: MOCKKPR_CONTROL_TOKEN)")
    group.addoption("--mockkpr-image", default="mockkpr:latest",
                    help="container: the image (default mockkpr:latest)")
    group.addoption("--mockkpr-out",
                    help="Write the conformance outputs of this session into this directory.")


@dataclass
class KprEndpoint:
    """The endpoint the tests talk to, whichever mode it runs in."""

    mode: str
    driver: Driver

    @property
    def amqp_url(self) -> str:
        """``amqps://HOST:PORT/EXCHANGE`` (credentials come from the registry)."""
        return self.driver.amqp_url

    @property
    def registry_path(self) -> Path:
        """The registry with the parties' keys and SASL accounts."""
        return self.driver.registry_path

    @property
    def registry(self) -> Registry:
        """The loaded registry."""
        return self.driver.registry

    def reset(self) -> None:
        """Forget every message and disarm any scenario (configuration stays)."""
        self.driver.reset()


def _option(config: pytest.Config, name: str) -> Any:
    return config.getoption(name)


@pytest.fixture(scope="session")
def mockkpr_endpoint(request: pytest.FixtureRequest,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[KprEndpoint]:
    """The session's KPR endpoint (``--mockkpr-mode``)."""
    from mockkpr.conformance.drivers import ControlDriver, InProcessDriver

    config = request.config
    mode = _option(config, "--mockkpr-mode")
    if mode == "external":
        given = {name: _option(config, name) for name in
                 ("--mockkpr-url", "--mockkpr-control-url", "--mockkpr-registry")}
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise pytest.UsageError(f"--mockkpr-mode external needs {', '.join(missing)}")
        from mockkpr.settings import load_settings

        token = _option(config, "--mockkpr-control-token") or load_settings().control_token
        yield KprEndpoint(mode, ControlDriver(given["--mockkpr-url"],
                                              given["--mockkpr-control-url"],
                                              Path(given["--mockkpr-registry"]),
                                              control_token=token))
    elif mode == "container":
        from mockkpr.testing.container import MockKprContainer

        with MockKprContainer(_option(config, "--mockkpr-image")) as kpr:
            registry = kpr.copy_pki(tmp_path_factory.mktemp("mockkpr-pki"))
            yield KprEndpoint(mode, ControlDriver(kpr.get_amqp_url(), kpr.get_control_url(),
                                                  registry, kpr.get_control_token()))
    else:
        from mockkpr.endpoint.app import Endpoint
        from mockkpr.settings import Settings

        settings = Settings(data_dir=tmp_path_factory.mktemp("mockkpr"), amqps_port=0,
                            amqp_port=0, control_port=0, scenario=None, registry=None,
                            database_url=None)
        with Endpoint(settings) as endpoint:
            yield KprEndpoint(mode, InProcessDriver(endpoint))


@pytest.fixture
def mockkpr(mockkpr_endpoint: KprEndpoint) -> KprEndpoint:
    """The session's endpoint, reset for this test."""
    mockkpr_endpoint.reset()
    return mockkpr_endpoint


@pytest.fixture(scope="session")
def mockkpr_harnesses(mockkpr_endpoint: KprEndpoint) -> dict[type, Harness]:
    """One conformance harness per :class:`ConformanceSuite` subclass (runs are shared by
    the cases of a class)."""
    return {}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With ``--mockkpr-out``, write the outputs of the conformance cases run."""
    out = session.config.getoption("--mockkpr-out", default=None)
    results = session.config.stash.get(RESULTS, [])
    if not out or not results:
        return
    from mockkpr.testing.conformance import write_session_outputs

    write_session_outputs(session.config, results, Path(out))
