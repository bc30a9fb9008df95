"""The client commands find the endpoint where ``mockkpr serve`` put it: the same settings
(flag, environment, ``--config``) for every command that talks to it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockkpr.cli import main
from mockkpr.endpoint.app import Endpoint
from mockkpr.settings import Settings, load_settings

ROOT = Path(__file__).parents[2]
DOCUMENT = ROOT / "fixtures" / "valid" / "iplos-2019.xml"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    """``mockkpr serve`` on ports that are not the defaults (5671, 8080)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("served"), amqps_port=0,
                        control_port=0, scenario=None, registry=None, database_url=None)
    with Endpoint(settings) as endpoint:
        yield endpoint


def _port(url: str) -> str:
    return url.rsplit(":", 1)[1]


def _env(endpoint: Endpoint, **more: str) -> dict[str, str]:
    """The environment a shell that started ``serve`` this way would have."""
    return {"MOCKKPR_DATA_DIR": str(endpoint.settings.data_dir),
            "MOCKKPR_AMQPS_PORT": _port(endpoint.urls.amqps),
            "MOCKKPR_CONTROL_PORT": _port(endpoint.urls.control), **more}


@pytest.mark.integration
def test_send_connects_to_the_port_in_mockkpr_amqps_port(served: Endpoint) -> None:
    result = CliRunner().invoke(main, ["send", str(DOCUMENT), "--from", "12345",
                                       "--timeout", "20", "--json"], env=_env(served))
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert (verdict["kind"], verdict["status"]) == ("apprec", "1")


@pytest.mark.integration
def test_send_reads_the_port_from_a_config_file(served: Endpoint, tmp_path: Path) -> None:
    config = tmp_path / "mockkpr.yaml"
    config.write_text(f"amqps_port: {_port(served.urls.amqps)}\n"
                      f"data_dir: {served.settings.data_dir}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["send", str(DOCUMENT), "--from", "12345", "--timeout",
                                       "20", "--config", str(config)],
                                env={"MOCKKPR_DATA_DIR": "", "MOCKKPR_AMQPS_PORT": ""})
    assert result.exit_code == 0, result.output
    assert "ACCEPTED (status 1 OK)" in result.stdout


@pytest.mark.integration
def test_messages_reads_the_control_port_from_the_environment(served: Endpoint) -> None:
    result = CliRunner().invoke(main, ["messages", "list", "--json"], env=_env(served))
    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.stdout), list)


def test_send_with_any_free_port_configured_asks_for_the_url(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "fixtures" / "valid", tmp_path / "valid")
    result = CliRunner().invoke(main, ["send", str(tmp_path / "valid" / "iplos-2019.xml"),
                                       "--from", "12345"], env={"MOCKKPR_AMQPS_PORT": "0"})
    assert result.exit_code == 2
    assert result.stderr == ("mockkpr: error: MOCKKPR_AMQPS_PORT is 0 (any free port): pass "
                             "the endpoint's URL with --url, as `mockkpr serve` printed it\n")


def test_an_empty_variable_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """``MOCKKPR_AMQP_PORT=`` (as a Compose file or a shell blanks it) is not an error."""
    monkeypatch.setenv("MOCKKPR_AMQP_PORT", "")
    monkeypatch.setenv("MOCKKPR_REGISTRY", "")
    monkeypatch.setenv("MOCKKPR_AMQPS_PORT", "")
    settings = load_settings()
    assert settings.amqp_port is None
    assert settings.registry is None
    assert settings.amqps_port == 5671


def test_a_wrong_value_still_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKKPR_AMQP_PORT", "five")
    result = CliRunner().invoke(main, ["messages", "list"])
    assert result.exit_code == 2
    assert result.stderr.startswith("mockkpr: error: invalid settings: MOCKKPR_AMQP_PORT: ")
