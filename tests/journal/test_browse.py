"""The web view's queries (mockkpr.journal.browse) and what the journal keeps for them, on
SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from mockkpr.journal.browse import MAX_CONFORMANCE_RUNS, Browser
from mockkpr.journal.models import MessageFilter, Outcome
from mockkpr.journal.store import Journal
from tests.journal.entries import make_answer, make_entry


def test_an_answer_keeps_its_document_and_the_entry_its_envelope(journal: Journal) -> None:
    answer = make_answer(body=b"\x30\x82protected")
    answer = replace(answer, message=replace(answer.message, document=b"<AppRec>plain</AppRec>"))
    entry = make_entry(answers=[answer], envelope=b"<MsgHead><!-- lines 1-9 --></MsgHead>")
    journal.record(entry)
    assert entry.id is not None
    stored = journal.get(entry.id)
    assert stored is not None
    assert stored.envelope == b"<MsgHead><!-- lines 1-9 --></MsgHead>"
    assert stored.answers[0].message.document == b"<AppRec>plain</AppRec>"
    assert stored.answers[0].message.body == b"\x30\x82protected"
    browser = Browser(journal)
    kept = browser.answer(entry.id, 0)
    assert kept is not None
    assert kept.message.document == b"<AppRec>plain</AppRec>"
    assert browser.answer(entry.id, 1) is None
    assert browser.answer(entry.id, -1) is None
    # the queued copy is what goes on the wire: the body only
    queued = journal.queued(answer.message.queue)
    assert [q.message.body for q in queued] == [b"\x30\x82protected"]
    assert queued[0].message.document is None


def test_lists_leave_the_envelope_out(journal: Journal) -> None:
    journal.record(make_entry(envelope=b"<MsgHead/>"))
    assert journal.list(MessageFilter())[0].envelope is None


def test_pages_by_journal_id_newest_first(journal: Journal) -> None:
    ids = [journal.record(make_entry(sender_her_id="80001" if n % 2 else "80002"))
           for n in range(7)]
    browser = Browser(journal)
    first = browser.page(MessageFilter(), limit=3)
    assert [s.id for s in first.items] == ids[6:3:-1]
    assert (first.newer, first.older) == (False, True)
    second = browser.page(MessageFilter(), before=first.items[-1].id, limit=3)
    assert [s.id for s in second.items] == ids[3:0:-1]
    assert (second.newer, second.older) == (True, True)
    last = browser.page(MessageFilter(), before=second.items[-1].id, limit=3)
    assert [s.id for s in last.items] == [ids[0]]
    assert (last.newer, last.older) == (True, False)
    back = browser.page(MessageFilter(), after=last.items[0].id, limit=3)
    assert [s.id for s in back.items] == ids[3:0:-1]
    filtered = browser.page(MessageFilter(sender_her_id="80001"), limit=2)
    assert [s.id for s in filtered.items] == [ids[5], ids[3]]
    assert filtered.older


def test_counts_per_outcome_ignore_the_outcome_filter(journal: Journal) -> None:
    for outcome in (Outcome.ACCEPTED, Outcome.ACCEPTED, Outcome.REJECTED, Outcome.PARTIAL):
        journal.record(make_entry(outcome=outcome))
    journal.record(make_entry(outcome=Outcome.REJECTED, subject="KPR_IDE"))
    browser = Browser(journal)
    assert browser.counts(MessageFilter(outcome=Outcome.REJECTED, subject="KPR_IPL")) == {
        Outcome.ACCEPTED: 2, Outcome.REJECTED: 1, Outcome.PARTIAL: 1}


def test_search_by_the_start_of_either_id_in_any_case(journal: Journal) -> None:
    journal.record(make_entry(message_id="ABCdef-1", msghead={"msg_id": "zzz-9"}))
    journal.record(make_entry(message_id="xyz-2", msghead={"msg_id": "abC%_-7"}))
    journal.record(make_entry(message_id="abd-3", apprec_status="3"))

    def found(**criteria: str) -> list[str]:
        return [e.message_id for e in journal.list(MessageFilter(**criteria))]

    assert found(search="abc") == ["xyz-2", "ABCdef-1"]
    assert found(search="ZZZ") == ["ABCdef-1"]
    assert found(search="abc%") == ["xyz-2"]  # % and _ are letters here, not wildcards
    assert found(search="ab_") == []
    assert found(apprec_status="3") == ["abd-3"]
    entry = make_entry(message_id="Abz", apprec_status="3")
    assert MessageFilter(search="abz", apprec_status="3").matches(entry)
    assert not MessageFilter(search="abz", apprec_status="1").matches(entry)


def test_state_changes_with_every_record_and_completion(journal: Journal) -> None:
    browser = Browser(journal)
    before = browser.state()
    entry = make_entry(outcome=Outcome.PENDING, answers=[])
    journal.begin(entry)
    begun = browser.state()
    entry.outcome = Outcome.ACCEPTED
    journal.complete(entry)
    assert len({before, begun, browser.state()}) == 3


def test_a_summary_is_one_entrys_list_columns_while_it_exists(journal: Journal) -> None:
    identity = make_entry(subject="KPR_IDE")
    journal.record(identity)
    assert identity.id is not None
    summary = Browser(journal).summary(identity.id)
    assert summary is not None
    assert (summary.id, summary.message_id, summary.subject) == (
        identity.id, identity.message_id, "KPR_IDE")
    assert Browser(journal).summary(identity.id + 1000) is None


def test_waiting_answers_and_existing_entries(journal: Journal) -> None:
    entry = make_entry(answers=[make_answer(queue="80001_async")])
    journal.record(entry)
    assert entry.id is not None
    browser = Browser(journal)
    waiting = browser.waiting([entry.answers[0].message.message_id, "other"])
    assert [(w.queue, w.delivery_count) for w in waiting] == [("80001_async", 0)]
    queued = journal.queued("80001_async")[0]
    journal.move_queued(queued.id, "80001_dl")
    assert browser.waiting([entry.answers[0].message.message_id])[0].queue == "80001_dl"
    assert browser.existing([entry.id, entry.id + 1000]) == {entry.id}


def _run(run_id: str) -> dict[str, object]:
    return {"id": run_id, "started_at": datetime.now(UTC).isoformat(), "mode": "command",
            "sender": "s", "endpoint": "e", "tool_version": "0", "suite_digest": "d", "seed": 1}


def test_conformance_cases_are_recorded_per_run_and_survive_a_reset(journal: Journal) -> None:
    browser = Browser(journal)
    browser.record_case(_run("run-1"), {"id": "KPR-CONF-001", "status": "pass"})
    browser.record_case(_run("run-1"), {"id": "KPR-CONF-002", "status": "fail"})
    browser.record_case(_run("run-1"), {"id": "KPR-CONF-001", "status": "warn"})  # judged again
    browser.record_case(_run("run-2"), {"id": "KPR-CONF-001", "status": "pass"})
    journal.reset()
    runs = browser.runs()
    assert [r["id"] for r in runs] == ["run-2", "run-1"]
    assert runs[1]["counts"] == {"fail": 1, "warn": 1}
    found = browser.run("run-1")
    assert found is not None
    assert [c["id"] for c in found[1]] == ["KPR-CONF-002", "KPR-CONF-001"]
    assert browser.run("run-3") is None


def test_only_the_newest_conformance_runs_are_kept(journal: Journal) -> None:
    browser = Browser(journal)
    for n in range(MAX_CONFORMANCE_RUNS + 3):
        browser.record_case(_run(f"run-{n}"), {"id": "KPR-CONF-001", "status": "pass"})
    runs = browser.runs()
    assert len(runs) == MAX_CONFORMANCE_RUNS
    assert runs[-1]["id"] == "run-3"
    assert browser.run("run-2") is None


def test_pages_cope_with_a_time_filter(journal: Journal) -> None:
    base = datetime(2024, 5, 1, 12, tzinfo=UTC)
    ids = [journal.record(make_entry(received_at=base + timedelta(hours=n))) for n in range(4)]
    page = Browser(journal).page(MessageFilter(since=base + timedelta(hours=1),
                                               until=base + timedelta(hours=2)))
    assert [s.id for s in page.items] == [ids[2], ids[1]]


def test_an_entry_without_its_report_and_the_report_alone(journal: Journal) -> None:
    entry = make_entry(report={"findings": [], "rows": {"total": 1}}, payload=b"<IPLOS/>")
    journal.record(entry)
    assert entry.id is not None
    browser = Browser(journal)
    light = browser.entry(entry.id, with_report=False)
    assert light is not None
    assert light.report is None
    assert light.payload is None
    assert browser.report(entry.id) == {"findings": [], "rows": {"total": 1}}
    assert browser.report(entry.id + 1) is None
    full = browser.entry(entry.id, with_payload=True)
    assert full is not None
    assert full.payload == b"<IPLOS/>"
