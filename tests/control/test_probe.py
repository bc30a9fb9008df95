"""The container health check's probe against a real control API server."""

from __future__ import annotations

import socket

import pytest

from mockkpr.control.probe import NOT_READY, READY, main, probe
from tests.control.conftest import Control


def test_ready_server_exits_zero(control: Control, capsys: pytest.CaptureFixture[str]) -> None:
    assert probe(control.server.url) == (READY, f"{control.server.url}/readyz: 200")
    assert main([control.server.url]) == READY
    assert capsys.readouterr().err == ""


def test_failing_check_exits_one_naming_it(control: Control,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    control.checks["certificates"] = False
    assert main([control.server.url + "/"]) == NOT_READY
    err = capsys.readouterr().err
    assert err.startswith(f"mockkpr probe: not ready: {control.server.url}/readyz: 503 ")
    assert '"certificates":false' in err


def test_nothing_listening_exits_one(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        assert main([f"http://127.0.0.1:{port}"]) == NOT_READY
    assert "Connection refused" in capsys.readouterr().err


def test_url_comes_from_the_settings(control: Control, monkeypatch: pytest.MonkeyPatch) -> None:
    # a wildcard host means loopback
    monkeypatch.setenv("MOCKKPR_CONTROL_HOST", "0.0.0.0")  # noqa: S104
    monkeypatch.setenv("MOCKKPR_CONTROL_PORT", str(control.server.port))
    assert main([]) == READY


def test_invalid_settings_exit_one(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MOCKKPR_CONTROL_PORT", "eighty")
    assert main([]) == NOT_READY
    assert capsys.readouterr().err.startswith(
        "mockkpr probe: invalid settings: MOCKKPR_CONTROL_PORT:")
