"""Throughput of ``Journal.record()`` on SQLite: one entry with a 100 KB payload and one answer.

Run from the repository root::

    PYTHONPATH=. python benchmarks/journal_record.py [--records 2000] [--threads 1 4]

Prints records per second for each thread count, each on a fresh database file.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from mockkpr.journal.models import AnswerRecord, JournalEntry, Outcome
from mockkpr.journal.store import Journal
from mockkpr.service.messages import CMS_CONTENT_TYPE, OutboundMessage

PAYLOAD = os.urandom(100 * 1024)
APPREC = os.urandom(3 * 1024)


def _entry(n: int) -> JournalEntry:
    now = datetime.now(UTC)
    answer = AnswerRecord(
        kind="apprec",
        message=OutboundMessage(queue="80001_async", message_id=f"apprec-{n}", subject="APPREC",
                                content_type=CMS_CONTENT_TYPE,
                                application_properties={"fromHerId": "90001"}, body=APPREC),
        sent_at=now,
    )
    return JournalEntry(
        message_id=f"bench-{n}", received_at=now, queue="90001_async", user="bench",
        sender_her_id="80001", receiver_her_id="90001", subject="KPR_IPL",
        properties={"message-id": f"bench-{n}"}, application_properties={"fromHerId": "80001"},
        body_size=len(PAYLOAD), outcome=Outcome.ACCEPTED, payload=PAYLOAD,
        msghead={"msg_id": f"MSG-{n}"}, apprec_status="1", answers=[answer], answered_at=now,
    )


def measure(directory: Path, records: int, threads: int) -> float:
    """Records per second with ``threads`` writers sharing one journal."""
    url = f"sqlite:///{directory / f'bench-{threads}.sqlite3'}"
    with Journal(url, max_messages=records * 2) as journal:
        entries = [_entry(n) for n in range(records)]
        per_thread = [entries[i::threads] for i in range(threads)]

        def write(chunk: list[JournalEntry]) -> None:
            for entry in chunk:
                journal.record(entry)

        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(write, chunk) for chunk in per_thread]:
                future.result()
        elapsed = time.perf_counter() - started
    return records / elapsed


def main() -> None:
    """Parse the options and print one line per thread count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--dir", type=Path, help="Directory for the database files.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for threads in args.threads:
            rate = measure(Path(tmp), args.records, threads)
            print(f"{threads} thread(s): {rate:,.0f} records/s "
                  f"({args.records} records, 100 KB payload, one answer)")


if __name__ == "__main__":
    main()
