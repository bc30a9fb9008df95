"""Metrics: a registry per instance and label values that cannot grow without bound."""

from __future__ import annotations

from mockkpr.control.metrics import MAX_LABEL_VALUES, Metrics
from mockkpr.journal.models import Outcome
from tests.journal.entries import make_entry


def _value(metrics: Metrics, name: str, labels: dict[str, str]) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_each_instance_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.answer_sent("apprec")
    assert _value(first, "answers_sent_total", {"kind": "apprec"}) == 1
    assert _value(second, "answers_sent_total", {"kind": "apprec"}) is None


def test_message_recorded_counts_outcome_and_transport_error() -> None:
    metrics = Metrics()
    metrics.message_recorded(make_entry(outcome=Outcome.ACCEPTED))
    metrics.message_recorded(make_entry(outcome=Outcome.ACCEPTED))
    metrics.message_recorded(make_entry(subject=None, outcome=Outcome.TRANSPORT_ERROR,
                                        error_condition="abuse:spoofing-attack"))
    assert _value(metrics, "messages_received_total",
                  {"subject": "KPR_IPL", "outcome": "accepted"}) == 2
    assert _value(metrics, "messages_received_total",
                  {"subject": "none", "outcome": "transport-error"}) == 1
    assert _value(metrics, "transport_errors_total",
                  {"condition": "abuse:spoofing-attack"}) == 1


def test_sender_chosen_labels_are_bounded() -> None:
    """Odd values and values beyond the limit are counted as 'other'."""
    metrics = Metrics()
    metrics.message_recorded(make_entry(subject="KPR IPL; DROP TABLE"))
    for n in range(MAX_LABEL_VALUES + 10):
        metrics.message_recorded(make_entry(subject=f"S{n}"))
    assert _value(metrics, "messages_received_total",
                  {"subject": "other", "outcome": "accepted"}) == 11
    assert _value(metrics, "messages_received_total",
                  {"subject": f"S{MAX_LABEL_VALUES - 1}", "outcome": "accepted"}) == 1
    assert _value(metrics, "messages_received_total",
                  {"subject": f"S{MAX_LABEL_VALUES}", "outcome": "accepted"}) is None


def test_refresh_sets_journal_gauges_and_zeroes_emptied_queues() -> None:
    metrics = Metrics()
    metrics.refresh({"entries": {"accepted": 3, "pending": 1}, "queued": {"a": 2, "b": 1}})
    assert _value(metrics, "journal_entries", {}) == 4
    assert _value(metrics, "queue_depth", {"queue": "a"}) == 2
    metrics.refresh({"entries": {}, "queued": {"b": 5}})
    assert _value(metrics, "journal_entries", {}) == 0
    assert _value(metrics, "queue_depth", {"queue": "a"}) == 0
    assert _value(metrics, "queue_depth", {"queue": "b"}) == 5
    metrics.set_queue_depth("inbound", 7)
    assert _value(metrics, "queue_depth", {"queue": "inbound"}) == 7
