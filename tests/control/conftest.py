"""A real control API server (uvicorn on port 0) over a fresh SQLite journal per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from mockkpr.control.app import create_app
from mockkpr.control.metrics import Metrics
from mockkpr.control.server import ControlServer
from mockkpr.journal.store import Journal


@dataclass
class Control:
    """The pieces behind one running control API."""

    journal: Journal
    metrics: Metrics
    server: ControlServer
    client: httpx.Client
    checks: dict[str, bool] = field(default_factory=dict)
    resets: list[str] = field(default_factory=list)


@pytest.fixture
def control(tmp_path: Path) -> Iterator[Control]:
    """A started server; its readiness checks are ``control.checks`` (all true at first).

    The journal never polls (poll interval 120 s), so a wait that ends early was notified.
    """
    journal = Journal(f"sqlite:///{tmp_path / 'journal.sqlite3'}", poll_interval=120)
    metrics = Metrics()
    checks = {"listeners": True, "registry": True, "certificates": True}
    resets: list[str] = []
    app = create_app(journal, lambda: checks, metrics=metrics,
                     on_reset=lambda: resets.append("reset"))
    with ControlServer(app, "127.0.0.1", 0) as server, \
            httpx.Client(base_url=server.url, timeout=30) as client:
        yield Control(journal, metrics, server, client, checks, resets)
    journal.close()
