"""Broker-mode addresses and the consumer's connection settings (no broker needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockkpr.brokermode.addresses import source_address, target_address
from mockkpr.brokermode.endpoint import consumer_options
from mockkpr.endpoint.addresses import parse_address
from mockkpr.errors import ConfigError
from mockkpr.registry import Registry
from mockkpr.settings import Settings


def test_v1_forms_are_nhns() -> None:
    assert source_address("131725_async") == "/amq/queue/131725_async"
    assert target_address("NHNTESTServiceBus", "12345_error") == \
        "/exchange/NHNTESTServiceBus/12345_error"


def test_v2_forms_are_percent_encoded_and_read_back_by_the_embedded_parser() -> None:
    assert source_address("131725_async", "v2") == "/queues/131725_async"
    target = target_address("NHN Test/Bus", "12345_async", "v2")
    assert target == "/exchanges/NHN%20Test%2FBus/12345_async"
    parsed = parse_address(target)
    assert parsed is not None
    assert (parsed.exchange, parsed.queue) == ("NHN Test/Bus", "12345_async")


def test_consumer_logs_in_as_kprs_account_unless_the_url_names_one(
        session_registry: Registry, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, broker="amqps://rabbit.example:5671/NHNTESTServiceBus")
    options = consumer_options(settings, session_registry)
    assert (options.url, options.user, options.password) == \
        ("amqps://rabbit.example:5671", "mockkpr-131725", "test-131725")
    assert (options.queue, options.exchange) == ("131725_async", "NHNTESTServiceBus")
    assert options.ssl_domain is not None
    explicit = Settings(data_dir=tmp_path, broker="amqp://kpr:s3cret@rabbit:5672/X",
                        broker_addresses="v2")
    options = consumer_options(explicit, session_registry)
    assert (options.url, options.user, options.password, options.exchange,
            options.address_form, options.ssl_domain) == \
        ("amqp://rabbit:5672", "kpr", "s3cret", "X", "v2", None)


def test_a_broker_url_that_is_not_amqp_is_refused(
        session_registry: Registry, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, broker="http://rabbit:15672/")
    with pytest.raises(ConfigError, match=r"not an AMQP URL: 'http://rabbit:15672/' \(expected "
                                          r"amqps://user:pass@host:5671/EXCHANGE\)"):
        consumer_options(settings, session_registry)
