"""Many threads writing and reading one SQLite journal at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from mockkpr.journal.models import MessageFilter
from mockkpr.journal.store import Journal
from tests.journal.entries import make_entry

THREADS = 4
PER_THREAD = 200


def test_concurrent_writers_lose_nothing(journal_url: str) -> None:
    """4 threads x 200 records (with a reader listing meanwhile): all there, no lock errors."""
    with Journal(journal_url, max_messages=100_000) as journal:

        def write(worker: int) -> list[int]:
            return [journal.record(make_entry(message_id=f"w{worker}-{n}",
                                              payload=b"p" * 2000))
                    for n in range(PER_THREAD)]

        def read() -> int:
            seen = 0
            for _ in range(50):
                seen = max(seen, len(journal.list(MessageFilter(), limit=1000)))
            return seen

        with ThreadPoolExecutor(THREADS + 1) as pool:
            reader = pool.submit(read)
            writers = [pool.submit(write, worker) for worker in range(THREADS)]
            ids = [entry_id for w in writers for entry_id in w.result()]
            reader.result()

        assert len(ids) == len(set(ids)) == THREADS * PER_THREAD
        assert journal.count(MessageFilter()) == THREADS * PER_THREAD
        assert len(journal.queued()) == THREADS * PER_THREAD
        stored = {e.message_id for e in journal.list(MessageFilter(), limit=10_000)}
        assert stored == {f"w{w}-{n}" for w in range(THREADS) for n in range(PER_THREAD)}


def test_two_journals_on_one_file_write_concurrently(journal_url: str) -> None:
    """Two Journal objects (no shared lock, as two processes) rely on SQLite's busy timeout."""

    def write(journal: Journal) -> list[int]:
        return [journal.record(make_entry()) for _ in range(100)]

    with Journal(journal_url) as first, Journal(journal_url) as second, \
            ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(write, journal) for journal in (first, second)]
        ids = [i for job in jobs for i in job.result()]
        assert len(set(ids)) == 200
        assert first.count(MessageFilter()) == 200
