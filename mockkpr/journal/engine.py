"""Opening the journal database: URL resolution, SQLite pragmas and write transactions.

SQLite is set up for a journal that several threads (and possibly processes) write to:

- ``journal_mode=WAL``: readers never block the writer and the writer never blocks readers;
- ``synchronous=NORMAL``: a commit is in the WAL file (in the operating system's cache) before
  ``commit()`` returns, so a committed entry survives the process being killed (``kill -9``,
  a crash, an out-of-memory kill). Only a power loss or operating-system crash can lose the last
  few commits; a test endpoint accepts that for the speed it gives (``FULL`` would fsync every
  commit);
- ``busy_timeout``: a writer from another process waits for the lock instead of failing;
- ``foreign_keys=ON``: answers cannot outlive their entry;
- ``auto_vacuum=INCREMENTAL`` (takes effect on a new file) and ``journal_size_limit``: the
  space of deleted rows (a split message's parts, pruned entries) can be given back to the
  file system (:func:`reclaim`), and the WAL file is cut back after checkpoints instead of
  keeping its largest size; ``secure_delete=FAST``: deleted rows are not overwritten page by
  page (a build with ``SECURE_DELETE``, as Debian's, would write every freed page again);
- write transactions start with ``BEGIN IMMEDIATE`` (taking the write lock at once), so two
  transactions can never both read and then deadlock on upgrading to a write. pysqlite's own
  implicit transaction handling is switched off for that; SQLAlchemy emits ``BEGIN``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from mockkpr.errors import ConfigError
from mockkpr.settings import Settings

#: How long a writer waits for another process's write lock before failing.
BUSY_TIMEOUT_S = 30.0
#: File name of the default SQLite journal inside the data directory.
SQLITE_FILE = "journal.sqlite3"
#: Bytes the WAL file is cut back to after a checkpoint.
WAL_SIZE_LIMIT = 64 << 20
#: Free pages (4 KiB each) above which :func:`reclaim` gives space back.
RECLAIM_PAGES = 256
#: Pages :func:`reclaim` frees between checkpoints (the vacuum writes what it frees to the WAL).
RECLAIM_STEP_PAGES = 4096
_WRITE_OPTION = "mockkpr_write"


def database_url(settings: Settings) -> str:
    """``settings.database_url``, or the SQLite file in ``settings.data_dir`` when unset."""
    if settings.database_url:
        return settings.database_url
    path = settings.data_dir / SQLITE_FILE
    return URL.create("sqlite", database=str(path)).render_as_string()


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url``; SQLite files get the pragmas and locking described above.

    Raises :class:`ConfigError` for an unparseable URL, a missing driver or an in-memory SQLite
    database (each connection would see a different, empty database).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"invalid MOCKKPR_DATABASE_URL {url!r}: {exc}") from None
    shown = parsed.render_as_string(hide_password=True)
    try:
        if parsed.get_backend_name() != "sqlite":
            return sa.create_engine(parsed, pool_pre_ping=True)
        if parsed.database in (None, "", ":memory:") or "memory" in str(parsed.query):
            raise ConfigError(
                f"journal database {shown}: in-memory SQLite is not supported; "
                "use a file (it may live in a temporary directory)"
            )
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            parsed, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
        )
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise ConfigError(f"journal database {shown}: driver not installed ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"journal database {shown}: {exc}") from None
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


class WriteLock:
    """The journal's write lock: this process's threads one at a time, and, for a SQLite file,
    the processes sharing it too (an ``flock`` on ``<file>.lock``).

    SQLite lets one writer in at a time; a writer of another process that finds the file
    locked sleeps in its busy handler (1, 2, 5, 10... ms) and tries again, which with several
    worker processes writing (``MOCKKPR_PROCESSES``) cost more than the writes. The kernel
    wakes a process waiting for an ``flock`` as soon as it is free.
    """

    def __init__(self, database: str | None) -> None:
        self._thread = threading.Lock()
        self._fd: int | None = None
        if database:
            self._fd = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def __enter__(self) -> WriteLock:
        self._thread.acquire()
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread.release()
                raise
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread.release()

    def close(self) -> None:
        """Let go of the lock file (after the last write)."""
        if self._fd is not None:
            with self._thread:
                os.close(self._fd)
                self._fd = None


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection pragmas; hand transaction control to SQLAlchemy's ``begin`` event."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")  # before the first table is made
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        # Debian's SQLite zeroes every freed page (SECURE_DELETE): dropping a 1 GB message
        # would write 1 GB to the WAL. FAST zeroes only what costs no extra writes.
        cursor.execute("PRAGMA secure_delete=FAST")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    """``BEGIN IMMEDIATE`` for write transactions, a deferred ``BEGIN`` for reads."""
    write = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


#: PostgreSQL advisory lock key held while tables are created ("mockkpr" in ASCII, truncated).
SCHEMA_LOCK_KEY = 0x6D6F636B6B7072


def lock_schema(connection: sa.Connection) -> None:
    """Serialise table creation between processes (inside the creating transaction).

    Several processes starting at once on a fresh PostgreSQL database would otherwise race in
    ``CREATE TABLE`` and all but one fail; SQLite's ``BEGIN IMMEDIATE`` already serialises.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": SCHEMA_LOCK_KEY})


def mark_write(connection: sa.Connection) -> sa.Connection:
    """Mark ``connection`` (before its transaction begins) as about to write."""
    return connection.execution_options(**{_WRITE_OPTION: True})


def reclaim(engine: sa.Engine) -> int:
    """Give the free pages of a SQLite file back to the file system; how many were freed.

    When more than :data:`RECLAIM_PAGES` pages are free, runs the incremental vacuum
    :data:`RECLAIM_STEP_PAGES` at a time, each step followed by a checkpoint that truncates
    the WAL (the vacuum writes every page it frees there: in one step a 1 GB message's pages
    would make a 1 GB WAL), so the file shrinks on disk at once (as far as readers let it).
    Other databases reuse freed space themselves (PostgreSQL's autovacuum): 0.
    """
    if engine.dialect.name != "sqlite":
        return 0
    raw = engine.raw_connection()  # autocommit (isolation_level None): each pragma on its own
    freed = 0
    try:
        driver: Any = raw.driver_connection
        cursor = raw.cursor()
        while True:
            free = int(cursor.execute("PRAGMA freelist_count").fetchone()[0] or 0)
            if free <= RECLAIM_PAGES and not (freed and free):
                break
            # executescript steps the pragma to its end; execute() would free one page
            driver.executescript(f"PRAGMA incremental_vacuum({RECLAIM_STEP_PAGES});")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            after = int(cursor.execute("PRAGMA freelist_count").fetchone()[0] or 0)
            if after >= free:  # nothing moved (a reader holds the old pages): next time
                break
            freed += free - after
        cursor.close()
    finally:
        raw.close()
    return freed


def checkpoint(engine: sa.Engine) -> None:
    """Copy the WAL into a SQLite file and cut it to nothing (waiting for readers), so that
    a stream of large writes (a split message's parts) never lets the WAL grow beside the
    file. Nothing for other databases."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        cursor.close()
    finally:
        raw.close()
