"""MockKprContainer where no container engine answers: what is missing, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockkpr.errors import EndpointError

pytest.importorskip("testcontainers")


def test_no_engine_says_what_is_missing(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    from mockkpr.testing.container import MockKprContainer

    socket = tmp_path / "no-engine.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{socket}")
    with pytest.raises(EndpointError) as missing:
        MockKprContainer()
    text = str(missing.value)
    assert text.startswith(f"no container engine answers at DOCKER_HOST=unix://{socket} (")
    assert text.endswith("): start Docker, or podman's Docker-compatible API (`podman system "
                         "service --time=0 unix:///tmp/podman.sock`) and set DOCKER_HOST to its "
                         "socket (with podman also TESTCONTAINERS_RYUK_DISABLED=true)")
    assert "Traceback" not in text
