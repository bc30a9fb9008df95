"""Worker processes (mockkpr.service.pool) that cannot start."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockkpr.service.messages import InboundMessage
from mockkpr.service.pool import ReceiverPool
from mockkpr.settings import load_settings

pytestmark = pytest.mark.integration


def test_a_worker_that_cannot_start_is_not_started_again(tmp_path: Path) -> None:
    """No registry where the worker looks: it ends before its first answer, the message goes
    back to the endpoint (None), and no new worker is started for every later message."""
    settings = load_settings(data_dir=tmp_path, log_level="ERROR")
    pool = ReceiverPool(settings, tmp_path / "no-registry.yaml", 1)
    try:
        inbound = InboundMessage("m-1", None, "KPR_IDE", None, None, None, {}, b"x")
        assert pool.process(inbound) is None
        assert pool.pids() == []
        assert pool.process(inbound) is None  # at once: the pool has no worker left
    finally:
        pool.close()
