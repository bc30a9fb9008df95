"""One event stream per sender, whichever route each of its messages took, across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockkpr.client import KprClient
from mockkpr.client.kneik import KneikClient
from mockkpr.endpoint.app import Endpoint
from mockkpr.envelope import Status
from mockkpr.generator import GenerationSpec, write
from mockkpr.iplos import Generation
from mockkpr.settings import Settings

pytestmark = pytest.mark.integration


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, amqps_port=0, control_port=0, http_port=0,
                    scenario=None, registry=None, database_url=None)


def test_a_stream_continues_from_http_to_amqp_across_a_restart(tmp_path: Path) -> None:
    manifest = write(GenerationSpec(kommune="0301", year=2022, persons=40, seed=7,
                                    generation=Generation.EVENT_56, messages=3), tmp_path / "ev")
    first, second, third = [(tmp_path / "ev" / d["name"]).read_bytes()
                            for d in manifest["documents"]]
    with Endpoint(_settings(tmp_path / "data")) as endpoint:
        assert endpoint.registry is not None
        assert endpoint.urls.http is not None
        with KneikClient(endpoint.urls.http, endpoint.registry, 12345, to_her_id=131725,
                         control_url=endpoint.urls.control) as client:
            answer = client.submit(first, timeout=30)
            client.verdict(answer)
        assert answer.outcome == "accepted"
        with KprClient(f"{endpoint.urls.amqps}/NS", endpoint.registry, 12345) as amqp:
            assert amqp.send_and_wait(second, timeout=30).status is Status.OK
    with Endpoint(_settings(tmp_path / "data")) as endpoint:  # replays the stream
        assert endpoint.registry is not None
        assert endpoint.urls.http is not None
        with KneikClient(endpoint.urls.http, endpoint.registry, 12345, to_her_id=131725,
                         control_url=endpoint.urls.control) as client:
            answer = client.submit(third, timeout=30)
            client.verdict(answer)
        assert answer.outcome == "accepted", answer.verdict


def test_a_message_out_of_order_over_http_breaks_the_chain(tmp_path: Path) -> None:
    manifest = write(GenerationSpec(kommune="0301", year=2022, persons=40, seed=7,
                                    generation=Generation.EVENT_56, messages=2), tmp_path / "ev")
    second = (tmp_path / "ev" / manifest["documents"][1]["name"]).read_bytes()
    with Endpoint(_settings(tmp_path / "data")) as endpoint:
        assert endpoint.registry is not None
        assert endpoint.urls.http is not None
        with KneikClient(endpoint.urls.http, endpoint.registry, 12345, to_her_id=131725,
                         control_url=endpoint.urls.control) as client:
            answer = client.submit(second, timeout=30)
            client.verdict(answer)
    assert answer.status == 200  # received: the verdict comes apart from the answer
    assert answer.verdict is not None
    assert answer.outcome == "partial"
    assert "EV-CHAIN" in {f["rule_id"] for f in answer.verdict["report"]["findings"]}
