"""56.0.0 event messages are one stream per sender, across messages and across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockkpr.client import KprClient
from mockkpr.endpoint.app import Endpoint
from mockkpr.envelope import Status
from mockkpr.generator import GenerationSpec, write
from mockkpr.iplos import Generation
from mockkpr.settings import Settings

pytestmark = pytest.mark.integration


def _messages(out: Path) -> list[bytes]:
    manifest = write(GenerationSpec(kommune="0301", year=2022, persons=60, seed=5,
                                    generation=Generation.EVENT_56, messages=3), out)
    return [(out / d["name"]).read_bytes() for d in manifest["documents"]]


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, amqps_port=0, control_port=0)


def test_a_split_year_is_accepted_in_order_even_across_a_restart(tmp_path: Path) -> None:
    first, second, third = _messages(tmp_path / "events")
    with Endpoint(_settings(tmp_path / "data")) as endpoint:
        assert endpoint.registry is not None
        with KprClient(f"{endpoint.urls.amqps}/NS", endpoint.registry, 12345) as client:
            assert client.send_and_wait(first, timeout=30).status is Status.OK
            assert client.send_and_wait(second, timeout=30).status is Status.OK
    # A new process knows the stream only from the journal: it replays it.
    with Endpoint(_settings(tmp_path / "data")) as endpoint:
        assert endpoint.registry is not None
        with KprClient(f"{endpoint.urls.amqps}/NS", endpoint.registry, 12345) as client:
            assert client.send_and_wait(third, timeout=30).status is Status.OK


def test_a_later_message_without_its_predecessors_breaks_the_chain(tmp_path: Path) -> None:
    _, second, _ = _messages(tmp_path / "events")
    with Endpoint(_settings(tmp_path / "data")) as endpoint:
        assert endpoint.registry is not None
        with KprClient(f"{endpoint.urls.amqps}/NS", endpoint.registry, 12345) as client:
            answer = client.send_and_wait(second, timeout=30)
    assert answer.status is Status.OK_FEIL_I_DELMELDING
    assert answer.apprec is not None
    assert any("EV-CHAIN" in (error.detail or "") for error in answer.apprec.errors)
