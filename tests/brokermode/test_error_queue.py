"""Broker mode's transport errors on a real RabbitMQ, judged by what NHN's listener checks.

The same defective messages as tests/endpoint/test_error_queue.py go to KPR's queue on the
broker; mockkpr consumes them and publishes its errors to the sender's ``_error`` queue, which
Node's rhea reads from RabbitMQ (issue 12, case 2, in broker mode).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockkpr.client.sender import KprClient
from mockkpr.settings import Settings
from tests.brokermode.conftest import EXCHANGE, Broker, running
from tests.brokermode.support import send_all
from tests.endpoint.conftest import rhea_dir  # noqa: F401  (the fixture)
from tests.endpoint.test_error_queue import UUID, originals
from tests.nhn_listener import listener_problems, read_queue

pytestmark = [pytest.mark.broker, pytest.mark.integration]

KPR, SENDER = 131725, 12345


def test_transport_errors_through_rabbitmq_pass_nhns_listener_checks(
        broker: Broker, settings: Settings, rhea_dir: Path) -> None:  # noqa: F811
    client = KprClient(broker.url(), broker.registry, SENDER)
    cases = originals(client)
    account = broker.registry.party(SENDER).sasl
    assert account is not None
    with running(settings):
        send_all(broker.url(account.user, account.password), account.user, account.password,
                 f"/exchange/{EXCHANGE}/{KPR}_async", [c.message() for c in cases],
                 broker.registry)
        received = read_queue(rhea_dir, host="localhost", port=broker.node.amqps_port,
                              ca=broker.registry.ca_path, user=account.user,
                              password=account.password, source=f"/amq/queue/{SENDER}_error",
                              expect=len(cases))
    by_original = {m.prop("originalMessageId"): m for m in received}
    assert set(by_original) == {c.message_id for c in cases}
    for case in cases:
        error = by_original[case.message_id]
        assert listener_problems(error) == [], case.name
        assert error.prop("errorCondition") == case.condition, case.name
        assert (error.prop("fromHerId"), error.prop("toHerId")) == (str(KPR), str(SENDER))
        assert error.body == case.body, case.name
        assert error.content_type == (case.returned_content_type or case.content_type), case.name
        assert UUID.fullmatch(error.message_id or "")
