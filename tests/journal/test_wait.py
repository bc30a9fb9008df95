"""Blocking waits: woken by commits in this process, by polling for other processes."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from mockkpr.journal.models import MessageFilter, Outcome
from mockkpr.journal.store import Journal
from tests.journal.entries import make_answer, make_entry

# With this poll interval only a notification can end a wait before its timeout.
NEVER_POLL = 120.0


def _record_later(journal: Journal, delay: float, **fields: object) -> None:
    time.sleep(delay)
    journal.record(make_entry(**fields))


def test_wait_returns_existing_entry_at_once(journal: Journal) -> None:
    entry = make_entry(sender_her_id="80007")
    journal.record(entry)
    found = journal.wait(MessageFilter(sender_her_id="80007"), timeout=5)
    assert found is not None
    assert found.id == entry.id
    assert found.payload == entry.payload


def test_wait_is_woken_by_a_record_in_another_thread(journal_url: str) -> None:
    """The waiter returns the new entry long before its timeout and before any poll."""
    with Journal(journal_url, poll_interval=NEVER_POLL) as journal, ThreadPoolExecutor(1) as pool:
        journal.record(make_entry(sender_her_id="80001"))
        started = time.monotonic()
        pool.submit(_record_later, journal, 0.3, sender_her_id="80009", subject="KPR_IDE")
        found = journal.wait(MessageFilter(sender_her_id="80009"), timeout=60)
        elapsed = time.monotonic() - started
    assert found is not None
    assert found.subject == "KPR_IDE"
    assert elapsed < 60  # woken by the notification, not by the timeout or a poll


def test_wait_times_out_with_none(journal: Journal) -> None:
    journal.record(make_entry(sender_her_id="80001"))
    started = time.monotonic()
    assert journal.wait(MessageFilter(sender_her_id="80002"), timeout=0.4) is None
    assert time.monotonic() - started >= 0.4


def test_wait_ignores_pending_until_completed(journal_url: str) -> None:
    """A PENDING entry does not end a wait; completing it does."""
    with Journal(journal_url, poll_interval=NEVER_POLL) as journal, ThreadPoolExecutor(1) as pool:
        entry = make_entry(outcome=Outcome.PENDING, answers=[], sender_her_id="80005")
        journal.begin(entry)
        assert journal.wait(MessageFilter(sender_her_id="80005"), timeout=0.3) is None

        def finish() -> None:
            time.sleep(0.3)
            entry.outcome = Outcome.REJECTED
            entry.answers = [make_answer()]
            journal.complete(entry)

        pool.submit(finish)
        found = journal.wait(MessageFilter(sender_her_id="80005"), timeout=60)
    assert found is not None
    assert found.outcome is Outcome.REJECTED
    assert len(found.answers) == 1


def test_wait_for_pending_explicitly(journal: Journal) -> None:
    entry = make_entry(outcome=Outcome.PENDING, answers=[])
    journal.begin(entry)
    found = journal.wait(MessageFilter(outcome=Outcome.PENDING), timeout=1)
    assert found is not None
    assert found.id == entry.id


def test_wait_returns_oldest_match_for_chaining(journal: Journal) -> None:
    """With after_id a caller gets each matching entry in turn."""
    first, second = make_entry(), make_entry()
    journal.record(first)
    journal.record(second)
    got = journal.wait(MessageFilter(sender_her_id="80001"), timeout=1)
    assert got is not None
    assert got.id == first.id
    got = journal.wait(MessageFilter(sender_her_id="80001", after_id=got.id), timeout=1)
    assert got is not None
    assert got.id == second.id
    assert journal.wait(MessageFilter(after_id=second.id), timeout=0.2) is None


def test_wait_with_since_filter(journal: Journal) -> None:
    journal.record(make_entry(received_at=datetime.now(UTC) - timedelta(hours=1)))
    since = datetime.now(UTC)
    assert journal.wait(MessageFilter(since=since), timeout=0.2) is None
    journal.record(make_entry())
    assert journal.wait(MessageFilter(since=since), timeout=0.2) is not None


def test_wait_sees_entries_of_another_journal_by_polling(journal_url: str) -> None:
    """Two journals on one database (as two processes would be): polling finds the entry."""
    with Journal(journal_url, poll_interval=0.05) as waiter, Journal(journal_url) as writer, \
            ThreadPoolExecutor(1) as pool:
        pool.submit(_record_later, writer, 0.3, message_id="from-elsewhere")
        found = waiter.wait(MessageFilter(message_id="from-elsewhere"), timeout=30)
    assert found is not None
    assert found.message_id == "from-elsewhere"


def test_close_and_cancel_end_waits(journal_url: str) -> None:
    """close() wakes waiters at once; a set cancel event ends a wait within one poll."""
    cancel = threading.Event()
    with ThreadPoolExecutor(2) as pool:
        journal = Journal(journal_url, poll_interval=NEVER_POLL)
        closed_wait = pool.submit(journal.wait, MessageFilter(), 60)
        time.sleep(0.2)
        journal.close()
        assert closed_wait.result(timeout=30) is None

        polling = Journal(journal_url, poll_interval=0.05)
        cancelled_wait = pool.submit(polling.wait, MessageFilter(), 60, cancel=cancel)
        time.sleep(0.2)
        cancel.set()
        assert cancelled_wait.result(timeout=30) is None
        polling.close()
