"""Bounds, reset, statistics and opening errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from mockkpr.errors import ConfigError
from mockkpr.journal.models import MessageFilter, Outcome
from mockkpr.journal.store import PRUNE_EVERY, Journal
from tests.journal.entries import make_answer, make_entry


def test_prune_keeps_the_newest_max_messages(journal_url: str) -> None:
    with Journal(journal_url, max_messages=5, max_age_days=None) as journal:
        ids = [journal.record(make_entry()) for _ in range(12)]
        assert journal.prune() == 7
        assert [e.id for e in journal.list(MessageFilter())] == ids[:-6:-1]
        # queued answers are deliveries still owed: pruning history keeps them
        assert len(journal.queued()) == 12
        assert journal.prune() == 0


def test_prune_drops_old_entries_and_their_answers(journal_url: str) -> None:
    old = datetime.now(UTC) - timedelta(days=31)
    with Journal(journal_url, max_age_days=30) as journal:
        stale = make_entry(received_at=old)
        fresh = make_entry()
        journal.record(stale)
        journal.record(fresh)
        assert journal.prune() == 1
        assert journal.get(stale.id or 0) is None
        assert journal.get(fresh.id or 0) == fresh
    engine = sa.create_engine(journal_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM answers").scalar() == 1
    engine.dispose()


def test_record_prunes_by_itself(journal_url: str) -> None:
    """Every PRUNE_EVERY inserts the bound is applied without anyone calling prune()."""
    with Journal(journal_url, max_messages=10, max_age_days=None) as journal:
        for _ in range(PRUNE_EVERY):
            journal.record(make_entry(answers=[]))
        assert journal.count(MessageFilter()) == 10


def test_open_prunes_an_over_full_journal(journal_url: str) -> None:
    with Journal(journal_url) as journal:
        for _ in range(8):
            journal.record(make_entry())
    with Journal(journal_url, max_messages=3) as journal:
        assert journal.count(MessageFilter()) == 3


def test_prune_drops_stale_incomplete_parts(journal: Journal) -> None:
    assert journal.add_part("g", "80001", 0, 2, b"a", {}) is None
    engine = sa.create_engine(journal.url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE parts SET received_at = '2000-01-01 00:00:00.000000'")
        conn.exec_driver_sql(
            "UPDATE groups SET first_received_at = '2000-01-01 00:00:00.000000'")
    engine.dispose()
    journal.prune()
    # the old first part is gone: the second alone does not complete the group
    assert journal.add_part("g", "80001", 1, 2, b"b", {}) is None


def test_reset_empties_everything_and_ids_keep_growing(journal: Journal) -> None:
    last = journal.record(make_entry())
    journal.begin(make_entry(outcome=Outcome.PENDING, answers=[]))
    journal.enqueue("80001_async", make_answer().message)
    journal.add_part("group", "80001", 0, 3, b"part", {})
    assert journal.reset(drop_queued=True) == 0
    assert journal.count(MessageFilter()) == 0
    assert journal.queued() == []
    assert journal.stats() == {"entries": {}, "queued": {}}
    assert journal.add_part("group", "80001", 1, 3, b"p", {}) is None  # old part 0 is gone
    assert journal.record(make_entry()) > last + 1


def test_reset_keeps_answers_still_owed_unless_asked(journal: Journal) -> None:
    """A queued answer is a delivery owed to a sender: a reset forgets the history, not it."""
    journal.record(make_entry())  # its AppRec is queued
    owed = journal.enqueue("80001_error", make_answer(queue="80001_error").message)
    assert journal.reset() == 2
    assert journal.count(MessageFilter()) == 0
    assert [q.id for q in journal.queued("80001_error")] == [owed]
    assert journal.stats() == {"entries": {}, "queued": {"80001_async": 1, "80001_error": 1}}


def test_dropped_parts_give_their_disk_space_back(tmp_path: Path) -> None:
    """SQLite: 24 MB of parts, then the group is dropped: the file (and its WAL) shrink back
    instead of keeping their largest size."""
    url = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    files = [tmp_path / "journal.sqlite3", tmp_path / "journal.sqlite3-wal"]

    def on_disk() -> int:
        return sum(f.stat().st_size for f in files if f.exists())

    with Journal(url) as journal:
        empty = on_disk()
        for sequence in range(3):
            journal.add_part("big", "80001", sequence, 4, bytes([sequence]) * (8 << 20), {})
            # each large part is checkpointed: the WAL does not grow beside the file
            assert files[1].stat().st_size < 1 << 20
        assert on_disk() > 24 << 20
        assert journal.drop_group("big", "80001") == 3
        assert on_disk() < empty + (2 << 20)
        journal.add_part("g", "80001", 0, 2, b"a" * (8 << 20), {})
        entry = make_entry(message_id="g", sender_her_id="80001")
        journal.record_answered(entry, completes=("g", "80001"))  # the answered group too
        assert on_disk() < empty + (2 << 20)


def test_stats_count_outcomes_and_queues(journal: Journal) -> None:
    journal.record(make_entry())
    journal.record(make_entry(outcome=Outcome.REJECTED,
                              answers=[make_answer(queue="80002_async")]))
    journal.record(make_entry(outcome=Outcome.TRANSPORT_ERROR,
                              answers=[make_answer(queue="80002_error")]))
    journal.begin(make_entry(outcome=Outcome.PENDING, answers=[]))
    assert journal.stats() == {
        "entries": {"accepted": 1, "rejected": 1, "transport-error": 1, "pending": 1},
        "queued": {"80001_async": 1, "80002_async": 1, "80002_error": 1},
    }


def test_ping(journal: Journal) -> None:
    assert journal.ping() is True
    journal.close()
    assert journal.ping() is False


def test_other_schema_version_is_refused(journal_url: str) -> None:
    Journal(journal_url).close()
    engine = sa.create_engine(journal_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE schema_version SET version = 99")
    engine.dispose()
    with pytest.raises(ConfigError, match=r"has schema version \[99\], this mockkpr uses 6"):
        Journal(journal_url)


@pytest.mark.parametrize("older", [3, 4, 5])
def test_an_older_database_is_refused_with_what_to_do(journal_url: str, older: int) -> None:
    """Version 4 added the answers' documents, the envelope outline and the conformance
    tables; version 5 the open groups' table (and SQLite's incremental vacuum); version 6
    unbounded text for what a sender writes; no migration
    exists."""
    Journal(journal_url).close()
    engine = sa.create_engine(journal_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE schema_version SET version = :v"), {"v": older})
    engine.dispose()
    with pytest.raises(ConfigError) as refused:
        Journal(journal_url)
    assert str(refused.value).endswith(
        f"has schema version [{older}], this mockkpr uses 6; delete it or point "
        "MOCKKPR_DATABASE_URL elsewhere")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "invalid MOCKKPR_DATABASE_URL 'not a url'"),
        ("sqlite://", "in-memory SQLite is not supported"),
        ("sqlite:///:memory:", "in-memory SQLite is not supported"),
        ("nosuchdb://u:secret@host/db", r"nosuchdb://u:\*\*\*@host/db: driver not installed"),
    ],
)
def test_unusable_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Journal(url)


def test_unwritable_location(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match=r"journal database sqlite:///.*/file/j\.sqlite3"):
        Journal(f"sqlite:///{blocker / 'j.sqlite3'}")
