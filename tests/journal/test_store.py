"""Recording, reading and querying journal entries (round trips on a real SQLite file)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from mockkpr.journal.models import JournalEntry, MessageFilter, Outcome
from mockkpr.journal.store import Journal
from tests.journal.entries import REPORT, make_answer, make_entry


def _table_count(journal: Journal, table: str) -> int:
    """Rows in ``table``, read through a separate engine (not the journal's own code)."""
    engine = sa.create_engine(journal.url)
    try:
        with engine.connect() as conn:
            query = sa.select(sa.func.count()).select_from(sa.table(table))
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def test_every_field_round_trips(journal: Journal) -> None:
    """get() returns exactly what record() stored, datetimes normalised to UTC."""
    oslo = timezone(timedelta(hours=2))
    entry = make_entry(
        received_at=datetime(2024, 5, 1, 14, 30, 15, 123456, tzinfo=oslo),
        user=None,
        properties={"message-id": "m", "correlation-id": None, "group-sequence": "0"},
        application_properties={"fromHerId": "80001", "ærlig": "blåbær"},
        outcome=Outcome.REJECTED,
        payload=bytes(range(256)) * 10,
        msghead={"msg_id": "MID-1", "gen_date": "2024-05-01T12:00:00+02:00", "ack": True,
                 "sender": {"name": "Oslo kommune", "her_ids": [80001, 80002]}},
        apprec_status="2",
        error_condition="transport:invalid-field-value",
        error_description="fromHerId is missing",
        error_data=("fromHerId: missing", "second;"),
        report=REPORT,
        answers=[make_answer("apprec"), make_answer("feedback", body=b"\x00\xff" * 50)],
        answered_at=datetime(2024, 5, 1, 12, 31, tzinfo=UTC),
        details={"wire.target": "/exchange/NHNTESTServiceBus/90001_async",
                 "wire.property_types": {"fromHerId": "string", "toHerId": "long"},
                 "wire.ttl": None, "wire.durable": False, "cms.recipients": 2,
                 "cms.embedded_chain": ["CN=Ærlig kommune"], "group.connection_ids": [1, 1]},
    )
    entry_id = journal.record(entry)
    assert entry.id == entry_id
    stored = journal.get(entry_id)
    assert stored == entry
    assert stored is not None
    assert stored.received_at == datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    assert stored.received_at.tzinfo is UTC
    assert [a.kind for a in stored.answers] == ["apprec", "feedback"]


def test_optional_fields_stay_empty(journal: Journal) -> None:
    """An entry without payload, envelope, report or answers comes back that way."""
    entry = make_entry(payload=None, msghead=None, report=None, answers=[], apprec_status=None,
                       answered_at=None, sender_her_id=None, subject=None,
                       outcome=Outcome.UNANSWERABLE)
    journal.record(entry)
    assert journal.get(entry.id or 0) == entry
    assert entry.msg_id is None


def test_naive_datetime_is_refused(journal: Journal) -> None:
    """A datetime without a timezone would be ambiguous in the journal; it is an error."""
    with pytest.raises(StatementError, match="naive datetime 2024-05-01T12:00:00"):
        journal.record(make_entry(received_at=datetime(2024, 5, 1, 12, 0)))
    assert journal.count(MessageFilter()) == 0


def test_record_twice_is_refused(journal: Journal) -> None:
    entry = make_entry()
    journal.record(entry)
    with pytest.raises(ValueError, match=f"journal entry {entry.id} is already stored"):
        journal.record(entry)


def test_answers_are_queued_with_their_entry(journal: Journal) -> None:
    """record() puts each answer's message on the queue the message is addressed to."""
    apprec = make_answer("apprec", queue="80001_async")
    error = make_answer("transport-error", queue="80001_error")
    journal.record(make_entry(answers=[apprec, error]))
    queued = journal.queued()
    assert [(q.queue, q.message) for q in queued] == [
        ("80001_async", apprec.message), ("80001_error", error.message)]
    assert all(q.delivery_count == 0 for q in queued)


def test_a_late_answer_keeps_its_due_time_in_the_queue(journal: Journal) -> None:
    """A late AppRec (fault injection) waits in the queue until ``not_before``, also after a
    restart, which reads the queue table again."""
    due = datetime(2027, 1, 17, 12, 0, tzinfo=UTC)
    late = replace(make_answer("apprec", queue="80001_async"), not_before=due)
    now = make_answer("apprec", queue="80001_async")
    queued = journal.record_answered(make_entry(answers=[late, now]))
    assert [q.not_before for q in queued] == [due, None]
    assert [q.not_before for q in journal.queued()] == [due, None]


def _fail_on_queue_insert(journal: Journal) -> None:
    """A real database failure after the entry and answer rows were written."""
    engine = sa.create_engine(journal.url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER fail_queue BEFORE INSERT ON queued "
                "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION fail_queue() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER fail_queue BEFORE INSERT ON queued "
                "FOR EACH ROW EXECUTE FUNCTION fail_queue()"
            )
    engine.dispose()


def test_failed_record_writes_nothing(journal: Journal) -> None:
    """When queueing the answer fails, the entry and answer rows are rolled back too."""
    _fail_on_queue_insert(journal)
    entry = make_entry()
    with pytest.raises(DBAPIError, match="disk on fire"):
        journal.record(entry)
    assert entry.id is None
    assert journal.count(MessageFilter()) == 0
    assert _table_count(journal, "entries") == 0
    assert _table_count(journal, "answers") == 0
    assert journal.queued() == []


def test_failed_answer_insert_writes_nothing(journal: Journal) -> None:
    """A bad answer (no body) fails the whole record, not just the answer."""
    bad = make_answer()
    object.__setattr__(bad.message, "body", None)
    with pytest.raises(IntegrityError, match=r"(NOT NULL|not-null)"):
        journal.record(make_entry(answers=[make_answer(), bad]))
    assert _table_count(journal, "entries") == 0
    assert _table_count(journal, "answers") == 0
    assert journal.queued() == []


def test_begin_then_complete(journal: Journal) -> None:
    """The two-step case: a PENDING entry, then its outcome and answers in one go."""
    entry = make_entry(outcome=Outcome.PENDING, answers=[], payload=None, report=None,
                       apprec_status=None, answered_at=None, msghead=None)
    entry_id = journal.begin(entry)
    assert journal.get(entry_id) == entry
    assert journal.queued() == []
    entry.outcome = Outcome.PARTIAL
    entry.payload = b"<IPLOS>...</IPLOS>"
    entry.report = REPORT
    entry.msghead = {"msg_id": "MID-2"}
    entry.apprec_status = "3"
    entry.error_data = ("a", "b")
    entry.answers = [make_answer()]
    entry.answered_at = datetime.now(UTC)
    journal.complete(entry)
    assert entry.id == entry_id
    assert journal.get(entry_id) == entry
    assert len(journal.queued()) == 1
    assert journal.get_by_message_id("MID-2") == entry


def test_begin_refuses_answers(journal: Journal) -> None:
    with pytest.raises(ValueError, match=r"begin\(\) stores no answers"):
        journal.begin(make_entry(outcome=Outcome.PENDING))


def test_complete_refuses_misuse(journal: Journal) -> None:
    """complete() needs a stored, still pending entry and a final outcome."""
    with pytest.raises(ValueError, match=r"complete\(\) needs an entry stored by begin\(\)"):
        journal.complete(make_entry())
    entry = make_entry(outcome=Outcome.PENDING, answers=[])
    journal.begin(entry)
    with pytest.raises(ValueError, match="complete\\(\\) needs a final outcome"):
        journal.complete(entry)
    entry.outcome = Outcome.ACCEPTED
    journal.complete(entry)
    with pytest.raises(ValueError, match=f"journal entry {entry.id} is already complete"):
        journal.complete(entry)


def test_failed_complete_leaves_entry_pending(journal: Journal) -> None:
    """complete() is one transaction too: on failure the entry stays PENDING, unanswered."""
    entry = make_entry(outcome=Outcome.PENDING, answers=[])
    journal.begin(entry)
    _fail_on_queue_insert(journal)
    entry.outcome = Outcome.ACCEPTED
    entry.answers = [make_answer()]
    with pytest.raises(DBAPIError, match="disk on fire"):
        journal.complete(entry)
    stored = journal.get(entry.id or 0)
    assert stored is not None
    assert stored.outcome is Outcome.PENDING
    assert stored.answers == []


def test_complete_after_reset_inserts_again(journal: Journal) -> None:
    """An answer sent after a reset still has its entry (with a new id)."""
    entry = make_entry(outcome=Outcome.PENDING, answers=[])
    first_id = journal.begin(entry)
    journal.reset()
    entry.outcome = Outcome.ACCEPTED
    entry.answers = [make_answer()]
    journal.complete(entry)
    assert entry.id is not None
    assert entry.id != first_id
    assert journal.get(entry.id) == entry
    assert len(journal.queued()) == 1


def test_find_for_duplicate_detection(journal: Journal) -> None:
    """find() matches message-id and sender, ignores PENDING, prefers the original."""
    original = make_entry(message_id="same")
    journal.record(original)
    journal.record(make_entry(message_id="same", sender_her_id="80002"))
    journal.record(make_entry(message_id="same", outcome=Outcome.DUPLICATE))
    journal.begin(make_entry(message_id="same", outcome=Outcome.PENDING, answers=[]))
    found = journal.find("same", "80001")
    assert found is not None
    assert found.id == original.id
    assert found.answers == original.answers
    assert journal.find("same", "80003") is None
    assert journal.find("same", None) is None
    assert journal.find("other", "80001") is None


def test_find_without_sender(journal: Journal) -> None:
    entry = make_entry(message_id="anon", sender_her_id=None, outcome=Outcome.UNANSWERABLE)
    journal.record(entry)
    found = journal.find("anon", None)
    assert found is not None
    assert found.id == entry.id


def test_long_values_a_sender_chose_are_stored_whole(journal: Journal) -> None:
    """AMQP and MsgHead put no length on ids, subjects or HER-id properties: 2,000 characters
    of each are stored and found again on PostgreSQL as on SQLite (no VARCHAR(255) refusing
    the record, which would leave the message unanswered)."""
    long = "x" * 2000
    her = "9" * 300
    answer = make_answer()
    answer = replace(answer, message=replace(answer.message, correlation_id=long,
                                             reply_to="r" * 2000))
    entry = make_entry(message_id=long, subject="S" * 2000, sender_her_id=her,
                       receiver_her_id=her, user="u" * 2000, queue="q" * 2000,
                       msghead={"msg_id": "m" * 2000}, answers=[answer])
    journal.record(entry)
    found = journal.find(long, her)
    assert found is not None
    assert (found.message_id, found.subject, found.user, found.queue) == \
        (long, "S" * 2000, "u" * 2000, "q" * 2000)
    assert found.answers[0].message.correlation_id == long
    by_msg_id = journal.get_by_message_id("m" * 2000)
    assert by_msg_id is not None
    assert by_msg_id.id == entry.id


def test_get_by_message_id_or_msg_id(journal: Journal) -> None:
    """Lookup by AMQP message-id first, then by MsgHead MsgId; unknown ids give None."""
    entry = make_entry(message_id="amqp-1", msghead={"msg_id": "msghead-1"})
    journal.record(entry)
    journal.record(make_entry(message_id="amqp-1", outcome=Outcome.DUPLICATE))
    by_amqp = journal.get_by_message_id("amqp-1")
    by_msghead = journal.get_by_message_id("msghead-1")
    assert by_amqp is not None
    assert by_msghead is not None
    assert by_amqp.id == by_msghead.id == entry.id
    assert journal.get_by_message_id("nope") is None
    assert journal.get(12345) is None


def _seed(journal: Journal) -> list[JournalEntry]:
    base = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    specs = [
        ("80001", "KPR_IPL", Outcome.ACCEPTED, 0),
        ("80001", "KPR_IDE", Outcome.REJECTED, 1),
        ("80002", "KPR_IPL", Outcome.TRANSPORT_ERROR, 2),
        ("80002", "KPR_IPL", Outcome.ACCEPTED, 3),
        (None, None, Outcome.UNANSWERABLE, 4),
    ]
    entries = []
    for sender, subject, outcome, hours in specs:
        entry = make_entry(sender_her_id=sender, subject=subject, outcome=outcome,
                           received_at=base + timedelta(hours=hours))
        journal.record(entry)
        entries.append(entry)
    pending = make_entry(outcome=Outcome.PENDING, answers=[],
                         received_at=base + timedelta(hours=5))
    journal.begin(pending)
    entries.append(pending)
    return entries


FILTERS = [
    MessageFilter(),
    MessageFilter(sender_her_id="80001"),
    MessageFilter(subject="KPR_IPL"),
    MessageFilter(outcome=Outcome.ACCEPTED),
    MessageFilter(outcome=Outcome.PENDING),
    MessageFilter(since=datetime(2024, 5, 1, 13, 0, tzinfo=UTC)),
    MessageFilter(until=datetime(2024, 5, 1, 15, 0, tzinfo=timezone(timedelta(hours=2)))),
    MessageFilter(sender_her_id="80002", outcome=Outcome.ACCEPTED),
    MessageFilter(after_id=3),
    MessageFilter(subject="nothing"),
]


@pytest.mark.parametrize("flt", FILTERS, ids=repr)
def test_list_and_count_agree_with_filter_matches(journal: Journal, flt: MessageFilter) -> None:
    """The SQL filter selects exactly the entries MessageFilter.matches accepts."""
    entries = _seed(journal)
    expected = [e.id for e in reversed(entries) if flt.matches(e)]
    assert [e.id for e in journal.list(flt)] == expected
    assert journal.count(flt) == len(expected)


def test_list_by_message_id(journal: Journal) -> None:
    entries = _seed(journal)
    listed = journal.list(MessageFilter(message_id=entries[2].message_id))
    assert [e.id for e in listed] == [entries[2].id]


def test_list_paging_and_order(journal: Journal) -> None:
    ids = [e.id for e in _seed(journal)]
    assert [e.id for e in journal.list(MessageFilter(), limit=2)] == ids[::-1][:2]
    assert [e.id for e in journal.list(MessageFilter(), limit=2, offset=2)] == ids[::-1][2:4]
    assert [e.id for e in journal.list(MessageFilter(), newest_first=False)] == ids


def test_list_leaves_out_payload_unless_asked(journal: Journal) -> None:
    journal.record(make_entry(payload=b"<big/>", report=REPORT))
    [light] = journal.list(MessageFilter(), with_report=False)
    assert light.payload is None
    assert light.report is None
    assert len(light.answers) == 1
    [full] = journal.list(MessageFilter(), with_payload=True)
    assert full.payload == b"<big/>"
    assert full.report == REPORT


def test_answer_dispositions_follow_each_delivery(journal: Journal) -> None:
    """Released comes back for another delivery; accepted and rejected are final."""
    first = make_entry()
    journal.record(first)
    message_id = first.answers[0].message.message_id
    assert journal.set_answer_disposition(message_id, "released") is True
    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert journal.set_answer_disposition(message_id, "accepted", at=at) is True
    stored = journal.get(first.id or 0)
    assert stored is not None
    assert (stored.answers[0].disposition, stored.answers[0].settled_at) == ("accepted", at)
    assert journal.set_answer_disposition(message_id, "rejected") is False  # none open
    assert journal.set_answer_disposition("no-such-answer", "accepted") is False


def test_the_same_answer_sent_again_gets_its_own_disposition(journal: Journal) -> None:
    """A duplicate's answers are the original's messages: each delivery settles one copy."""
    original = make_entry()
    journal.record(original)
    answer = replace(original.answers[0], disposition=None, settled_at=None)
    again = make_entry(message_id=original.message_id, outcome=Outcome.DUPLICATE,
                       answers=[answer])
    journal.record(again)
    message_id = answer.message.message_id
    assert journal.set_answer_disposition(message_id, "accepted") is True
    assert journal.set_answer_disposition(message_id, None) is True  # settled, no outcome
    first, second = journal.get(original.id or 0), journal.get(again.id or 0)
    assert first is not None
    assert second is not None
    assert first.answers[0].disposition == "accepted"
    assert second.answers[0].disposition is None
    assert second.answers[0].settled_at is not None
    assert journal.set_answer_disposition(message_id, "accepted") is False
