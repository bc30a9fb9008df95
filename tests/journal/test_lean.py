"""The endpoint's hot path on SQLite (mockkpr.journal.lean) stores what the Core path stores;
queue changes applied in a batch; writers of several processes queue on the file lock."""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from mockkpr.journal import tables as t
from mockkpr.journal.engine import WriteLock
from mockkpr.journal.models import MessageFilter, Outcome, QueueChange
from mockkpr.journal.store import Journal
from tests.journal.entries import make_answer, make_entry

REPO = Path(__file__).resolve().parents[2]


def _rows(url: str) -> dict[str, list[dict[str, object]]]:
    """Every row of the three tables an answered message writes, ids left out."""
    engine = sa.create_engine(url)
    found = {}
    with engine.connect() as conn:
        for table in (t.entries, t.answers, t.queued):
            columns = [c for c in table.c if c.name not in ("id", "entry_id")]
            found[table.name] = [dict(row) for row in conn.execute(
                sa.select(*columns).order_by(table.c.id)).mappings()]
    engine.dispose()
    return found


def test_the_lean_path_stores_what_the_core_path_stores(tmp_path: Path) -> None:
    """The same entry (JSON, datetimes, binary, None) recorded on both paths gives the same
    rows, read back by plain SQLAlchemy."""
    entry = make_entry(details={"wire.x": [1, "a"], "cms.deviations": []},
                       report={"accepted": True}, payload=b"\x00\xffpayload", msghead=None,
                       error_data=("a", "b"),
                       answers=[make_answer(), make_answer("transport-error")])
    lean_url = f"sqlite:///{tmp_path / 'lean.sqlite3'}"
    core_url = f"sqlite:///{tmp_path / 'core.sqlite3'}"
    with Journal(lean_url) as lean:
        assert lean._lean is not None
        lean.record_answered(replace(entry, answers=list(entry.answers)))
    with Journal(core_url) as core:
        core._lean = None  # as on PostgreSQL
        core.record_answered(replace(entry, answers=list(entry.answers)))
    lean_rows, core_rows = _rows(lean_url), _rows(core_url)
    for rows in (lean_rows["queued"], core_rows["queued"]):
        for row in rows:
            row.pop("enqueued_at")  # the time of the insert itself
    assert lean_rows == core_rows
    assert len(lean_rows["answers"]) == 2


def test_find_on_the_lean_path_is_the_same(tmp_path: Path) -> None:
    """An id never seen: None at once; a refused or pending entry is no earlier answer; an
    entry without sender matches None only."""
    with Journal(f"sqlite:///{tmp_path / 'j.sqlite3'}") as journal:
        assert journal.find("m1", "80001") is None
        journal.record(make_entry(message_id="m1", outcome=Outcome.REFUSED))
        assert journal.find("m1", "80001") is None
        pending = make_entry(message_id="m1", outcome=Outcome.PENDING, answers=[])
        journal.begin(pending)
        assert journal.find("m1", "80001") is None
        done = make_entry(message_id="m1")
        journal.record(done)
        assert journal.find("m1", "80001") == journal.get(done.id or 0)
        assert journal.find("m1", None) is None
        anonymous = make_entry(message_id="m2", sender_her_id=None)
        journal.record(anonymous)
        assert journal.find("m2", None) == journal.get(anonymous.id or 0)
        assert journal.find("m2", "80001") is None


def test_queue_changes_are_applied_in_order(journal: Journal) -> None:
    entry = make_entry()
    [queued] = journal.record_answered(entry)
    message_id = entry.answers[0].message.message_id
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    journal.apply_changes([
        QueueChange("disposition", message_id=message_id, disposition="released"),
        QueueChange("requeue", queued_id=queued.id, delivery_count=2),
        QueueChange("move", queued_id=queued.id, queue="80001_dl"),
    ])
    [dead] = journal.queued()
    assert (dead.id, dead.queue, dead.delivery_count) == (queued.id, "80001_dl", 2)
    journal.apply_changes([
        QueueChange("disposition", message_id=message_id, disposition="accepted", at=at),
        QueueChange("remove", queued_id=queued.id),
        QueueChange("remove", queued_id=queued.id),  # gone already: nothing happens
        QueueChange("disposition", message_id="no-such-answer", disposition="accepted"),
    ])
    assert journal.queued() == []
    [answer] = (journal.get(entry.id or 0) or entry).answers
    assert (answer.disposition, answer.settled_at) == ("accepted", at)


def test_an_unknown_queue_change_is_refused_and_nothing_applied(journal: Journal) -> None:
    [queued] = journal.record_answered(make_entry())
    with pytest.raises(ValueError, match="unknown queue change 'drop'"):
        journal.apply_changes([QueueChange("remove", queued_id=queued.id),
                               QueueChange("drop", queued_id=queued.id)])
    if journal._lean is not None:  # one transaction on SQLite: rolled back
        assert [q.id for q in journal.queued()] == [queued.id]


# Takes the write lock of the journal file given, says so, waits for a line, lets go.
HOLDER = """
import sys
from mockkpr.journal.engine import WriteLock
lock = WriteLock(sys.argv[1])
with lock:
    print("held", flush=True)
    sys.stdin.readline()
"""

# Records 150 entries on the journal given.
WRITER = """
import sys
from tests.journal.entries import make_entry
from mockkpr.journal.store import Journal
with Journal(sys.argv[1]) as journal:
    for n in range(150):
        journal.record(make_entry(message_id=f"{sys.argv[2]}-{n}"))
"""


def test_the_write_lock_is_shared_by_the_processes_of_a_file(tmp_path: Path) -> None:
    database = str(tmp_path / "j.sqlite3")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, database], cwd=REPO,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdin is not None
    try:
        assert holder.stdout.readline() == "held\n"
        lock = WriteLock(database)
        taken = threading.Event()

        def take() -> None:
            with lock:
                taken.set()

        thread = threading.Thread(target=take)
        thread.start()
        assert not taken.wait(0.3), "taken while another process held it"
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert taken.wait(10)
        thread.join(10)
        lock.close()
    finally:
        holder.kill()
        holder.wait(10)
    assert Path(f"{database}.lock").exists()


@pytest.mark.integration
def test_two_processes_record_into_one_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.sqlite3'}"
    Journal(url).close()  # the tables, before both start
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, name], cwd=REPO,
                                stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for writer in writers:
        assert writer.wait(120) == 0, writer.stderr.read() if writer.stderr else ""
    with Journal(url) as journal:
        assert journal.count(MessageFilter()) == 300
        assert len(journal.queued()) == 300
