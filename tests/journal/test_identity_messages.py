"""Journal.identity_messages: a sender's accepted identity messages, newest first, paged."""

from __future__ import annotations

from mockkpr.journal.models import Outcome
from mockkpr.journal.store import Journal
from tests.journal.entries import make_entry


def test_only_the_senders_accepted_identity_messages_newest_first(journal: Journal) -> None:
    ids = []
    for n in range(7):
        ids.append(journal.record(make_entry(subject="KPR_IDE", payload=f"<i n='{n}'/>".encode(),
                                             details={"identity.pairing": {"n": n}})))
    journal.record(make_entry(subject="KPR_IDE", outcome=Outcome.REJECTED))
    journal.record(make_entry(subject="KPR_IDE", outcome=Outcome.TRANSPORT_ERROR))
    journal.record(make_entry(subject="KPR_IPL"))
    journal.record(make_entry(subject="KPR_IDE", sender_her_id="80002"))
    found = list(journal.identity_messages("80001", page=3))  # three pages and a bit
    assert [f.id for f in found] == ids[::-1]
    assert [f.details["identity.pairing"]["n"] for f in found] == list(range(6, -1, -1))
    assert found[0].msg_id is not None
    assert journal.payload_of(found[0].id) == b"<i n='6'/>"
    assert journal.payload_of(10_000) is None


def test_reading_stops_with_the_caller(journal: Journal) -> None:
    for _ in range(5):
        journal.record(make_entry(subject="KPR_IDE"))
    first = next(journal.identity_messages("80001", page=2))
    assert first.message_id.startswith("msg-")
