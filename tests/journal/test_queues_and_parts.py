"""The endpoint's durable queues and split-message reassembly."""

from __future__ import annotations

import pytest

from mockkpr.errors import InputError
from mockkpr.journal.store import Journal
from tests.journal.entries import make_answer, make_entry


def test_queue_order_and_filter(journal: Journal) -> None:
    a, b, c = (make_answer(queue=q).message for q in ("q1", "q2", "q1"))
    ids = [journal.enqueue(m.queue, m) for m in (a, b, c)]
    assert [q.id for q in journal.queued()] == ids
    assert [q.message for q in journal.queued("q1")] == [a, c]
    assert journal.queued("empty") == []


def test_requeue_move_and_remove(journal: Journal) -> None:
    message = make_answer(queue="80001_async").message
    queued_id = journal.enqueue("80001_async", message)
    assert journal.requeue(queued_id, 3) is True
    [item] = journal.queued()
    assert item.delivery_count == 3
    assert journal.move_queued(queued_id, "80001_dl") is True
    assert journal.queued("80001_async") == []
    [dead] = journal.queued("80001_dl")
    assert (dead.id, dead.message.queue, dead.delivery_count) == (queued_id, "80001_async", 3)
    assert journal.remove_queued(queued_id) is True
    assert journal.queued() == []
    assert journal.remove_queued(queued_id) is False
    assert journal.requeue(queued_id, 1) is False
    assert journal.move_queued(queued_id, "x") is False


def test_parts_out_of_order_with_duplicates(journal: Journal) -> None:
    """Parts arrive as 2, 0, 0 (again), 1: the group completes once, in sequence order."""
    assert journal.add_part("g1", "80001", 2, 3, b"C", {"message-id": "m3"}) is None
    assert journal.add_part("g1", "80001", 0, 3, b"A", {"message-id": "m1"}) is None
    assert journal.add_part("g1", "80001", 0, 3, b"A-again", {}) is None
    assert journal.add_part("g1", "80001", 1, 3, b"B", {}) == [b"A", b"B", b"C"]
    # the parts were deleted: the same group id starts afresh
    assert journal.add_part("g1", "80001", 0, 2, b"x", {}) is None


def test_kept_parts_stay_until_the_answer_is_recorded(journal: Journal) -> None:
    """With keep, a failure between reassembly and answer loses nothing: a resent part
    completes the group again; recording the answer deletes the parts in its transaction."""
    assert journal.add_part("g", "80001", 0, 2, b"a", {}, keep=True) is None
    assert journal.add_part("g", "80001", 1, 2, b"b", {}, keep=True) == [b"a", b"b"]
    # processing failed; the last part is delivered again
    assert journal.add_part("g", "80001", 1, 2, b"b", {}, keep=True) == [b"a", b"b"]
    entry = make_entry(message_id="g", sender_her_id="80001")
    journal.record_answered(entry, completes=("g", "80001"))
    assert journal.get(entry.id or 0) is not None
    # the parts went with the answer: the same group id starts afresh
    assert journal.add_part("g", "80001", 1, 2, b"new", {}, keep=True) is None


def test_complete_group_hands_back_every_part_meta_in_order(journal: Journal) -> None:
    metas: list[dict[str, object]] = []
    assert journal.add_part("gm", "80001", 1, 2, b"B", {"connection_id": 7},
                            metas=metas) is None
    assert metas == []
    assert journal.add_part("gm", "80001", 0, 2, b"A", {"connection_id": 3},
                            metas=metas) == [b"A", b"B"]
    assert metas == [{"connection_id": 3}, {"connection_id": 7}]


def test_single_part_group_completes_at_once(journal: Journal) -> None:
    assert journal.add_part("solo", None, 0, 1, b"only", {}) == [b"only"]


def test_groups_are_per_sender(journal: Journal) -> None:
    assert journal.add_part("g", "80001", 0, 2, b"a1", {}) is None
    assert journal.add_part("g", "80002", 1, 2, b"b2", {}) is None
    assert journal.add_part("g", None, 0, 2, b"n1", {}) is None
    assert journal.add_part("g", "80001", 1, 2, b"a2", {}) == [b"a1", b"a2"]
    assert journal.add_part("g", "80002", 0, 2, b"b1", {}) == [b"b1", b"b2"]


def test_inconsistent_count_is_an_input_error(journal: Journal) -> None:
    journal.add_part("g", "80001", 0, 3, b"a", {})
    with pytest.raises(InputError) as caught:
        journal.add_part("g", "80001", 1, 4, b"b", {})
    assert str(caught.value) == (
        "split message group 'g': part 1 says the group has 4 parts, but part 0 said 3"
    )
    # the bad part was not stored; the group still completes with consistent parts
    journal.add_part("g", "80001", 1, 3, b"b", {})
    assert journal.add_part("g", "80001", 2, 3, b"c", {}) == [b"a", b"b", b"c"]


@pytest.mark.parametrize(
    ("sequence", "count", "message"),
    [
        (3, 3, "split message group 'g': part sequence 3 is outside 0..2 for 3 parts"),
        (-1, 3, "split message group 'g': part sequence -1 is outside 0..2 for 3 parts"),
        (0, 0, "split message group 'g': part count 0 must be at least 1"),
    ],
)
def test_impossible_positions(journal: Journal, sequence: int, count: int, message: str) -> None:
    with pytest.raises(InputError) as caught:
        journal.add_part("g", "80001", sequence, count, b"x", {})
    assert str(caught.value) == message
