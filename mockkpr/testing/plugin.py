"""The pytest plugin (entry point ``pytest11``: ``mockkpr``): a KPR endpoint for your tests.

Fixtures, in three layers:

- ``mockkpr_endpoint`` (session): the endpoint, started once - in this process (default), in a
  container (:class:`~mockkpr.testing.container.MockKprContainer`), or one already running -
  as ``--mockkpr-mode inprocess|container|external`` says;
- ``kpr`` (function): the same endpoint, reset for the test (journal empty, no answers
  still queued from an earlier test, no scenario, the clock at real time): a
  :class:`~mockkpr.testing.endpoint.KprEndpoint` with ``amqp_url``, ``control_url``,
  ``registry``, ``messages()``, ``wait()``, ``assert_received()``, ``arm()``, ``clock``,
  ``apprec()``... (``mockkpr``, its old name, is a deprecated alias that shadowed
  ``import mockkpr`` in a test; it goes in the next release);
- ``mockkpr_harnesses`` (session): what :class:`mockkpr.testing.conformance.ConformanceSuite`
  uses to run the conformance suite with your sender.

Nothing is imported or started unless a test asks for a fixture, so the plugin costs pytest
runs that do not use it nothing. ``--mockkpr-out DIR`` writes the outputs of ``mockkpr
certify`` (JUnit XML, JSON summary, HTML report, signed evidence bundle) for the conformance
cases run in the session.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mockkpr.testing.endpoint import KprEndpoint

if TYPE_CHECKING:
    from mockkpr.conformance.harness import CaseResult, Harness

__all__ = ["KprEndpoint", "MockKprDeprecationWarning"]

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
    group.addoption("--mockkpr-http-url",
                    help="external: the HTTP submission API, https://HOST:PORT (optional)")
    group.addoption("--mockkpr-control-token",
                    help="external: the control API's token (default: MOCKKPR_CONTROL_TOKEN)")
    group.addoption("--mockkpr-image", default="mockkpr:latest",
                    help="container: the image (default mockkpr:latest)")
    group.addoption("--mockkpr-out",
                    help="Write the conformance outputs of this session into this directory.")


class MockKprDeprecationWarning(DeprecationWarning):
    """A name of mockkpr's plugin that goes away in the next release."""


def _option(config: pytest.Config, name: str) -> Any:
    return config.getoption(name)


@pytest.fixture(scope="session")
def mockkpr_endpoint(request: pytest.FixtureRequest,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[KprEndpoint]:
    """The session's KPR endpoint (``--mockkpr-mode``)."""
    config = request.config
    mode = _option(config, "--mockkpr-mode")
    if mode == "external":
        given = {name: _option(config, name) for name in
                 ("--mockkpr-url", "--mockkpr-control-url", "--mockkpr-registry")}
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise pytest.UsageError(f"--mockkpr-mode external needs {', '.join(missing)}")
        from mockkpr.settings import load_settings

        url = given["--mockkpr-url"].rstrip("/")
        if url.count("/") <= 2:  # no exchange in the URL
            url += "/NHNTESTServiceBus"
        token = _option(config, "--mockkpr-control-token") or load_settings().control_token
        endpoint = KprEndpoint(mode, amqp_url=url, control_url=given["--mockkpr-control-url"],
                               registry_path=Path(given["--mockkpr-registry"]),
                               http_url=_option(config, "--mockkpr-http-url"),
                               control_token=token)
        endpoint.request("GET", "/readyz")
        yield endpoint
    elif mode == "container":
        from mockkpr.testing.container import MockKprContainer

        with MockKprContainer(_option(config, "--mockkpr-image")) as kpr:
            registry = kpr.copy_pki(tmp_path_factory.mktemp("mockkpr-pki"))
            yield KprEndpoint(mode, amqp_url=kpr.get_amqp_url(),
                              control_url=kpr.get_control_url(), registry_path=registry,
                              http_url=kpr.get_http_url(),
                              control_token=kpr.get_control_token())
    else:
        yield from _in_process(tmp_path_factory)


def _in_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KprEndpoint]:
    try:
        from mockkpr.endpoint.app import Endpoint, registry_path
    except ModuleNotFoundError as missing:
        pytest.fail(
            f"--mockkpr-mode inprocess (the default) runs the endpoint in pytest's process and "
            f"needs the server extra ({missing.name} is missing): pip install "
            "'mockkpr[server]', or use --mockkpr-mode container (pip install "
            "'mockkpr[testing]' and the image)", pytrace=False)
    from mockkpr.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("mockkpr"), amqps_port=0,
                        amqp_port=0, control_port=0, http_port=0, scenario=None,
                        registry=None, database_url=None)
    with Endpoint(settings) as running:
        urls = running.urls
        yield KprEndpoint("inprocess", amqp_url=f"{urls.amqps}/NHNTESTServiceBus",
                          control_url=urls.control, registry_path=registry_path(settings),
                          endpoint=running, http_url=urls.http,
                          control_token=running.control_token)


@pytest.fixture
def kpr(mockkpr_endpoint: KprEndpoint) -> KprEndpoint:
    """The session's endpoint, reset for this test."""
    mockkpr_endpoint.reset()
    return mockkpr_endpoint


@pytest.fixture
def mockkpr(kpr: KprEndpoint) -> KprEndpoint:
    """Deprecated alias of ``kpr`` (it shadowed ``import mockkpr``); removed next release."""
    warnings.warn(MockKprDeprecationWarning(
        "the `mockkpr` fixture is renamed `kpr` (it shadowed `import mockkpr` in a test); "
        "the old name goes in the next release"), stacklevel=2)
    return kpr


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
