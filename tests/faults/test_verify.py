"""Expectations over the journal and the nearest-miss explanation of a failure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mockkpr.faults import ExpectationFailed, Scenario, expect_count, expect_sequence, verify
from mockkpr.faults.plan import Firing
from mockkpr.journal.models import JournalEntry, Outcome

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def entry(entry_id: int, outcome: Outcome, *, message_id: str | None = None,
          subject: str = "KPR_IPL", sender: str = "12345",
          status: str | None = None) -> JournalEntry:
    return JournalEntry(message_id=message_id or f"m{entry_id}", received_at=NOW,
                        queue="131725_async", user="mockkpr-12345", sender_her_id=sender,
                        receiver_her_id="131725", subject=subject, properties={},
                        application_properties={}, body_size=1, outcome=outcome,
                        apprec_status=status, id=entry_id)


JOURNAL = [
    entry(1, Outcome.TRANSPORT_ERROR),
    entry(2, Outcome.REJECTED, status="2"),
    entry(3, Outcome.ACCEPTED, subject="KPR_IDE", status="1"),
    entry(4, Outcome.ACCEPTED, sender="23456", status="1"),
]


def test_count_passes() -> None:
    expect_count(JOURNAL, {"outcome": "accepted"}, count=2)
    expect_count(JOURNAL, {"sender": 12345}, min=3, max=3)
    expect_count(JOURNAL, {"outcome": "duplicate"}, max=0)


def test_too_few_names_the_nearest_miss_and_the_field_that_differed() -> None:
    with pytest.raises(ExpectationFailed) as failed:
        expect_count(JOURNAL, {"subject": "KPR_IPL", "sender": "12345", "outcome": "accepted"},
                     min=1)
    assert str(failed.value) == (
        "expected at least 1 entries matching {subject: KPR_IPL, sender: 12345, outcome: "
        "accepted}, found 0. Nearest misses: journal entry 1 (message-id m1, KPR_IPL from "
        "12345): outcome expected 'accepted', actual 'transport-error' | journal entry 2 "
        "(message-id m2, KPR_IPL from 12345): outcome expected 'accepted', actual 'rejected'")


def test_identity_weighs_more_than_outcome() -> None:
    with pytest.raises(ExpectationFailed) as failed:
        expect_count(JOURNAL, {"message_id": "m2", "outcome": "accepted"}, count=1)
    assert str(failed.value).endswith(
        "Nearest miss: journal entry 2 (message-id m2, KPR_IPL from 12345): outcome expected "
        "'accepted', actual 'rejected'")


def test_too_many_names_the_extra_entries() -> None:
    with pytest.raises(ExpectationFailed) as failed:
        expect_count(JOURNAL, {"outcome": "accepted"}, count=1)
    assert str(failed.value) == (
        "expected exactly 1 entries matching {outcome: accepted}, found 2. Beyond the "
        "expected: journal entry 4 (message-id m4, KPR_IPL from 23456)")


def test_an_empty_journal_says_so() -> None:
    with pytest.raises(ExpectationFailed, match=r"found 0\. The journal has no other entries"):
        expect_count([], {"outcome": "accepted"}, min=1)


def test_sequence_in_order_with_others_between() -> None:
    expect_sequence(JOURNAL, [{"outcome": "transport-error"}, {"sender": "23456"}])


def test_sequence_failure_says_which_step_after_which_entry() -> None:
    with pytest.raises(ExpectationFailed) as failed:
        expect_sequence(JOURNAL, [{"outcome": "rejected"}, {"outcome": "rejected"}])
    assert str(failed.value) == (
        "step 2 of 2 {outcome: rejected} not found after journal entry 2 (message-id m2, "
        "KPR_IPL from 12345) (step 1). Nearest misses: journal entry 3 (message-id m3, "
        "KPR_IDE from 12345): outcome expected 'rejected', actual 'accepted' | journal entry 4 "
        "(message-id m4, KPR_IPL from 23456): outcome expected 'rejected', actual 'accepted'")


def test_helpers_refuse_an_empty_question() -> None:
    with pytest.raises(ValueError, match="give count, min or max"):
        expect_count(JOURNAL, {})
    with pytest.raises(ValueError, match="at least one step"):
        expect_sequence(JOURNAL, [])


def test_a_scenario_is_verified_expectation_by_expectation() -> None:
    scenario = Scenario.model_validate({
        "name": "v",
        "faults": [{"id": "r", "kind": "reject"}],
        "expect": [
            {"name": "fired once", "fault": "r", "count": 1},
            {"match": {"apprec_status": 1}, "min": 3},
            {"sequence": [{"outcome": "rejected"}, {"subject": "KPR_IDE"}]},
        ]})
    firing = Firing("r", "reject", "message", NOW, "KPR_IPL", ("12345",), "m0")
    results = verify(scenario, JOURNAL, [firing])
    assert [(r.name, r.passed) for r in results] == [
        ("fired once", True), ("expect[1]", False), ("expect[2]", True)]
    assert results[0].message == "expect[0] (fired once): expected fault 'r' to fire exactly " \
        "1 times, fired 1"
    assert results[1].message.startswith(
        "expect[1]: expected at least 3 entries matching {apprec_status: 1}, found 2. "
        "Nearest misses: journal entry 1")
