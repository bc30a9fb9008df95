"""Committed entries survive closing, reopening and a killed process (SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from mockkpr.journal.engine import create_engine
from mockkpr.journal.models import MessageFilter
from mockkpr.journal.store import Journal
from mockkpr.settings import load_settings
from tests.journal.entries import make_entry

REPO = Path(__file__).resolve().parents[2]

# Records entries with one answer each, as fast as it can, printing each id once committed.
CHILD = """
import sys
from tests.journal.entries import make_entry
from mockkpr.journal.store import Journal

journal = Journal(sys.argv[1])
n = 0
while True:
    n += 1
    entry_id = journal.record(make_entry(message_id=f"child-{n}", payload=b"x" * 20000))
    print(entry_id, flush=True)
"""


def test_entries_survive_reopen(journal_url: str) -> None:
    entry = make_entry()
    with Journal(journal_url) as journal:
        journal.record(entry)
    with Journal(journal_url) as reopened:
        assert reopened.get(entry.id or 0) == entry
        assert [q.message for q in reopened.queued()] == [entry.answers[0].message]


@pytest.mark.integration
def test_committed_entries_survive_sigkill(journal_url: str) -> None:
    """Kill -9 a process that is writing: every id it reported committed is there, answered."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, journal_url], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    committed: list[int] = []
    try:
        while len(committed) < 200:
            line = child.stdout.readline()
            assert line, f"child ended early: {child.stderr.read() if child.stderr else ''}"
            committed.append(int(line))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with Journal(journal_url) as journal:
        stored = {e.id: e for e in journal.list(MessageFilter(), limit=100_000)}
        assert set(committed) <= set(stored)
        queued_ids = {q.message.message_id for q in journal.queued()}
        # Atomicity under kill: every stored entry (even one committed after the last line
        # was read) has its answer and that answer is queued.
        for entry in stored.values():
            assert len(entry.answers) == 1
            assert entry.answers[0].message.message_id in queued_ids
        assert len(queued_ids) == len(stored)


def test_default_database_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    """Without a URL the journal is data_dir/journal.sqlite3 in WAL mode, bounded as set."""
    settings = load_settings(data_dir=tmp_path / "data", journal_max_messages=7)
    settings = settings.model_copy(update={"journal_max_age_days": None})
    with Journal.from_settings(settings) as journal:
        journal.record(make_entry())
        assert journal.max_messages == 7
        assert journal.max_age_days is None
    path = tmp_path / "data" / "journal.sqlite3"
    assert path.is_file()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA auto_vacuum").scalar() == 2  # incremental
        assert conn.exec_driver_sql("SELECT version FROM schema_version").scalar() == 6
    engine.dispose()


def test_sqlite_connections_do_not_rewrite_freed_pages(tmp_path: Path) -> None:
    """secure_delete FAST on every connection: dropping a 1 GB split message must not write
    1 GB of zeroes to the WAL (Debian's SQLite is built with SECURE_DELETE on)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'j.sqlite3'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 2  # FAST
        assert conn.exec_driver_sql("PRAGMA journal_size_limit").scalar() == 64 << 20
    engine.dispose()
