"""What a sender sees when the connection cannot be made: the cause in words, the fix, and
no retry where retrying cannot help (a real endpoint, real TLS, real SASL)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from structlog.testing import capture_logs

from mockkpr.cli import main
from mockkpr.client import KprClient, RetryPolicy
from mockkpr.client.failures import ConnectFailed
from mockkpr.endpoint.app import Endpoint, registry_path
from mockkpr.pki import PartySpec, create_test_pki
from mockkpr.registry import Registry, load_registry
from mockkpr.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
DOCUMENT = ROOT / "fixtures" / "valid" / "iplos-2019.xml"
#: Quick, but with room for five attempts.
POLICY = RetryPolicy(connects=4, backoff=0.02, backoff_max=0.1, jitter=0.02)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("connect"), amqps_port=0,
                        amqp_port=0, control_port=0, scenario=None, registry=None,
                        database_url=None)
    with Endpoint(settings) as running:
        yield running


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A registry of another test PKI: its CA did not issue the endpoint's certificate."""
    made = create_test_pki(tmp_path_factory.mktemp("foreign"),
                           [PartySpec(131725, "KPR"), PartySpec(12345, "Testkommune")])
    return load_registry(made.registry_file)


def _connect(url: str, registry: Registry) -> tuple[ConnectFailed, list[dict[str, object]]]:
    with capture_logs() as logs, pytest.raises(ConnectFailed) as failed:
        KprClient(url, registry, 12345, retry=POLICY).connect(retry=True)
    return failed.value, [e for e in logs if e["event"] == "client.reconnecting"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_wrong_password_is_not_retried_and_names_the_fix(endpoint: Endpoint) -> None:
    assert endpoint.registry is not None
    url = endpoint.urls.amqps.replace("amqps://", "amqps://mockkpr-12345:wrong@")
    failed, retries = _connect(url + "/NHNTESTServiceBus", endpoint.registry)
    assert (failed.cause, failed.permanent, retries) == ("unauthorized", True, [])
    assert str(failed) == (
        f"cannot connect to {endpoint.urls.amqps} as mockkpr-12345: the endpoint refused the "
        "user name or password (amqp:unauthorized-access). Check the password of this user in "
        "the registry (`mockkpr pki show DIR --show-passwords`) or the user:password in the "
        "URL.")


def test_an_untrusted_ca_is_not_retried_and_says_where_the_ca_is(endpoint: Endpoint,
                                                                  foreign: Registry) -> None:
    failed, retries = _connect(endpoint.urls.amqps + "/NHNTESTServiceBus", foreign)
    assert (failed.cause, failed.permanent, retries) == ("untrusted-certificate", True, [])
    text = str(failed)
    assert "certificate verify failed" in text
    assert f"the CA this client trusts ({foreign.ca_path})" in text
    assert "GET /api/pki/ca.pem" in text
    assert "--registry" in text
    assert "Condition(" not in text


def test_a_certificate_for_another_name_is_not_retried(endpoint: Endpoint) -> None:
    """127.1 is 127.0.0.1, but the certificate is for the names localhost and 127.0.0.1."""
    assert endpoint.registry is not None
    url = endpoint.urls.amqps.replace("localhost", "127.1")
    failed, retries = _connect(url + "/NHNTESTServiceBus", endpoint.registry)
    assert (failed.cause, failed.permanent, retries) == ("untrusted-certificate", True, [])
    assert "MOCKKPR_TLS_NAMES" in str(failed)


def test_plain_amqp_to_the_tls_port_names_the_scheme(endpoint: Endpoint) -> None:
    assert endpoint.registry is not None
    url = endpoint.urls.amqps.replace("amqps://", "amqp://")
    failed, retries = _connect(url + "/NHNTESTServiceBus", endpoint.registry)
    assert (failed.cause, failed.permanent, retries) == ("wrong-protocol", True, [])
    assert "Use amqps:// for the TLS port" in str(failed)


def test_tls_to_the_plain_port_names_the_scheme(endpoint: Endpoint) -> None:
    assert endpoint.registry is not None
    assert endpoint.urls.amqp is not None
    url = endpoint.urls.amqp.replace("amqp://", "amqps://")
    failed, retries = _connect(url + "/NHNTESTServiceBus", endpoint.registry)
    assert (failed.cause, failed.permanent, retries) == ("wrong-protocol", True, [])
    assert "Use amqp:// for a plain port" in str(failed)


def test_nothing_listening_is_retried_with_jitter_then_says_start_serve(
        endpoint: Endpoint) -> None:
    assert endpoint.registry is not None
    port = _free_port()
    failed, retries = _connect(f"amqps://localhost:{port}/NHNTESTServiceBus", endpoint.registry)
    assert (failed.cause, failed.permanent) == ("refused", False)
    assert str(failed) == (
        f"cannot connect to amqps://localhost:{port} as mockkpr-12345: nothing listens on "
        f"localhost:{port} (connection refused). Start the endpoint (`mockkpr serve`, or the "
        "container) or check the port: --url, MOCKKPR_AMQPS_PORT. (4 attempts)")
    assert [r["attempt"] for r in retries] == [1, 2, 3]
    waits = [float(str(r["wait"])) for r in retries]
    # exponential from 0.02 s, each with up to 0.02 s of jitter, capped at 0.1 s
    for n, wait in enumerate(waits):
        assert 0.02 * 2 ** n <= wait <= min(0.02 * 2 ** n + 0.02, 0.1)


def test_send_prints_the_cause_and_fix_without_proton_reprs(endpoint: Endpoint) -> None:
    url = endpoint.urls.amqps.replace("amqps://", "amqps://mockkpr-12345:wrong@")
    result = CliRunner().invoke(main, [
        "send", str(DOCUMENT), "--from", "12345", "--url", url + "/NHNTESTServiceBus",
        "--registry", str(registry_path(endpoint.settings))])
    assert result.exit_code == 2
    # (the endpoint runs in this process: its log lines come first)
    error = result.stderr.splitlines()[-1]
    assert error.startswith("mockkpr: error: cannot connect to amqps://localhost:")
    assert "Check the password of this user in the registry" in error
    assert "Condition(" not in result.stderr
