"""The endpoint's durable queues and split-message reassembly."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest

from mockkpr.errors import InputError
from mockkpr.journal.models import CompleteGroup, GroupLimits, GroupRefused, MessageFilter
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


def whole(journal: Journal, group: str, sender: str | None,
          complete: CompleteGroup | None) -> bytes:
    """The group's message once ``add_part`` said it is complete."""
    assert complete is not None
    body = journal.assemble(group, sender)
    assert len(body) == complete.size
    return body


def test_parts_out_of_order_with_duplicates(journal: Journal) -> None:
    """Parts arrive as 2, 0, 0 (again), 1: the group completes once, in sequence order."""
    assert journal.add_part("g1", "80001", 2, 3, b"C", {"message-id": "m3"}) is None
    assert journal.add_part("g1", "80001", 0, 3, b"A", {"message-id": "m1"}) is None
    assert journal.add_part("g1", "80001", 0, 3, b"A-again", {}) is None
    complete = journal.add_part("g1", "80001", 1, 3, b"B", {})
    assert whole(journal, "g1", "80001", complete) == b"ABC"
    # dropped: the same group id starts afresh
    assert journal.drop_group("g1", "80001") == 3
    assert journal.add_part("g1", "80001", 0, 2, b"x", {}) is None


def test_parts_stay_until_the_answer_is_recorded(journal: Journal) -> None:
    """A failure between reassembly and answer loses nothing: a resent part completes the
    group again; recording the answer deletes the parts in its transaction."""
    assert journal.add_part("g", "80001", 0, 2, b"a", {}) is None
    assert whole(journal, "g", "80001", journal.add_part("g", "80001", 1, 2, b"b", {})) == b"ab"
    # processing failed; the last part is delivered again
    assert whole(journal, "g", "80001", journal.add_part("g", "80001", 1, 2, b"b", {})) == b"ab"
    entry = make_entry(message_id="g", sender_her_id="80001")
    journal.record_answered(entry, completes=("g", "80001"))
    assert journal.get(entry.id or 0) is not None
    # the parts went with the answer: the same group id starts afresh
    assert journal.add_part("g", "80001", 1, 2, b"new", {}) is None


def test_complete_group_hands_back_every_part_meta_in_order(journal: Journal) -> None:
    assert journal.add_part("gm", "80001", 1, 2, b"B", {"connection_id": 7}) is None
    complete = journal.add_part("gm", "80001", 0, 2, b"A", {"connection_id": 3})
    assert complete == CompleteGroup([{"connection_id": 3}, {"connection_id": 7}], 2)


def test_single_part_group_completes_at_once(journal: Journal) -> None:
    assert whole(journal, "solo", None, journal.add_part("solo", None, 0, 1, b"only", {})) \
        == b"only"


def test_groups_are_per_sender(journal: Journal) -> None:
    assert journal.add_part("g", "80001", 0, 2, b"a1", {}) is None
    assert journal.add_part("g", "80002", 1, 2, b"b2", {}) is None
    assert journal.add_part("g", None, 0, 2, b"n1", {}) is None
    assert whole(journal, "g", "80001", journal.add_part("g", "80001", 1, 2, b"a2", {})) \
        == b"a1a2"
    assert whole(journal, "g", "80002", journal.add_part("g", "80002", 0, 2, b"b1", {})) \
        == b"b1b2"


def test_inconsistent_count_is_refused_naming_group_size(journal: Journal) -> None:
    journal.add_part("g", "80001", 0, 3, b"a", {})
    with pytest.raises(GroupRefused) as caught:
        journal.add_part("g", "80001", 1, 4, b"b", {})
    assert str(caught.value) == (
        "split message group 'g': part 1 says the group has 4 parts, but part 0 said 3"
    )
    assert caught.value.items == ("groupSize",)
    # the bad part was not stored; the group still completes with consistent parts
    journal.add_part("g", "80001", 1, 3, b"b", {})
    assert whole(journal, "g", "80001", journal.add_part("g", "80001", 2, 3, b"c", {})) \
        == b"abc"


@pytest.mark.parametrize(
    ("sequence", "count", "message", "field"),
    [
        (3, 3, "split message group 'g': part sequence 3 is outside 0..2 for 3 parts",
         "group-sequence"),
        (-1, 3, "split message group 'g': part sequence -1 is outside 0..2 for 3 parts",
         "group-sequence"),
        (0, 0, "split message group 'g': part count 0 must be at least 1", "groupSize"),
    ],
)
def test_impossible_positions(journal: Journal, sequence: int, count: int, message: str,
                              field: str) -> None:
    with pytest.raises(InputError) as caught:
        journal.add_part("g", "80001", sequence, count, b"x", {})
    assert str(caught.value) == message
    assert isinstance(caught.value, GroupRefused)
    assert caught.value.items == (field,)


# ------------------------------------------------------------------ bounds
LIMITS = GroupLimits(max_bytes=100, max_open_groups=2, max_open_bytes=120)


def test_a_group_is_refused_once_its_bytes_pass_the_limit(journal: Journal) -> None:
    """The last part of each group is the one that may be short: 60 + 60 bytes are over 100
    only once the second arrives; nothing of the refused part is stored."""
    assert journal.add_part("g", "80001", 2, 3, b"x" * 60, {}, limits=LIMITS) is None
    with pytest.raises(GroupRefused) as caught:
        journal.add_part("g", "80001", 0, 3, b"y" * 50, {}, limits=LIMITS)
    assert caught.value.items == ("groupSize", "bytes=110", "limit=100")
    assert "its parts so far hold 110 bytes, more than the 100" in str(caught.value)


def test_a_group_is_refused_on_the_size_its_first_part_declares(journal: Journal) -> None:
    """groupSize 4 and a first part of 40 bytes: at least 3 * 40 + 1 bytes, refused at once."""
    with pytest.raises(GroupRefused) as caught:
        journal.add_part("g", "80001", 0, 4, b"x" * 40, {}, limits=LIMITS)
    assert caught.value.items == ("groupSize", "bytes>=121", "limit=100")
    assert journal.stale_groups(datetime.now(UTC) + timedelta(days=1)) == []


def test_a_sender_may_have_so_many_open_groups_and_bytes(journal: Journal) -> None:
    journal.add_part("g1", "80001", 0, 2, b"a" * 50, {}, limits=LIMITS)
    journal.add_part("g2", "80001", 0, 2, b"b" * 50, {}, limits=LIMITS)
    with pytest.raises(GroupRefused) as caught:
        journal.add_part("g3", "80001", 0, 2, b"c", {}, limits=LIMITS)
    assert caught.value.items == ("group-id", "open=2", "limit=2")
    journal.add_part("g3", "80002", 0, 2, b"c", {}, limits=LIMITS)  # another sender's own count
    with pytest.raises(GroupRefused) as caught:  # a part of an open group: bytes bound
        journal.add_part("g2", "80001", 1, 2, b"b" * 30, {}, limits=LIMITS)
    assert caught.value.items == ("group-id", "bytes=130", "limit=120")
    complete = journal.add_part("g2", "80001", 1, 2, b"b" * 20, {}, limits=LIMITS)
    assert complete is not None
    assert complete.size == 70


def test_stale_groups_and_their_expiry(journal: Journal) -> None:
    journal.add_part("old", "80001", 1, 3, b"b", {"subject": "KPR_IPL"})
    journal.add_part("old", "80001", 0, 3, b"a", {"subject": "first"})
    later = datetime.now(UTC) + timedelta(seconds=1)
    [stale] = journal.stale_groups(later)
    assert (stale.group_id, stale.sender_key, stale.count, stale.received, stale.size) == (
        "old", "80001", 3, 2, 2)
    assert stale.meta == {"subject": "KPR_IPL"}  # the first part stored
    assert journal.stale_groups(datetime.now(UTC) - timedelta(hours=1)) == []
    entry = make_entry(message_id="old", sender_her_id="80001")
    queued = journal.expire_group(entry, "old", "80001")
    assert queued is not None
    assert [q.message for q in queued] == [a.message for a in entry.answers]
    assert journal.stale_groups(later) == []
    # a second expiry of the same group (another process) records nothing
    assert journal.expire_group(make_entry(message_id="old"), "old", "80001") is None
    assert len(journal.list(MessageFilter(message_id="old"))) == 1


def test_a_complete_group_is_held_in_memory_once(journal: Journal) -> None:
    """Reassembly reads one part at a time: the Python memory it allocates at its peak is the
    message itself (joining the parts would hold them twice)."""
    part = 4 << 20
    for sequence in range(8):
        journal.add_part("big", "80001", sequence, 8, bytes([sequence]) * part, {})
    tracemalloc.start()
    try:
        body = journal.assemble("big", "80001")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(body) == 8 * part
    assert body[part * 3:part * 3 + 2] == b"\x03\x03"
    assert peak < 1.2 * len(body)
