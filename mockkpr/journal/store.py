"""The durable journal: entries, answers, the endpoint's queues and split-message parts.

One :class:`Journal` per process, shared by every thread: the endpoint's workers record and
complete entries and use the queues, the control API lists, reads, waits and resets. Every
method runs in its own transaction and is safe to call from any thread. See
:mod:`mockkpr.journal.engine` for SQLite's durability (committed entries survive ``kill -9``)
and :mod:`mockkpr.journal.tables` for the table layout.

Configuration (registry, scenario, certificates) is never stored here, so :meth:`Journal.reset`
empties the database and keeps the configuration by construction.
"""

from __future__ import annotations

import builtins
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from mockkpr.errors import ConfigError
from mockkpr.journal import _parts, _rows
from mockkpr.journal import tables as t
from mockkpr.journal.engine import (
    WriteLock,
    checkpoint,
    create_engine,
    database_url,
    lock_schema,
    mark_write,
    reclaim,
)
from mockkpr.journal.lean import LeanJournal
from mockkpr.journal.models import (
    AnswerRecord,
    CompleteGroup,
    GroupLimits,
    JournalEntry,
    MessageFilter,
    Outcome,
    QueueChange,
    QueuedMessage,
    StaleGroup,
    StoredIdentity,
)
from mockkpr.log import get_logger
from mockkpr.service.messages import OutboundMessage
from mockkpr.service.submissions import REF_ID
from mockkpr.settings import Settings

log = get_logger(__name__)

#: :meth:`Journal.record` prunes after this many inserts.
PRUNE_EVERY = 100
#: How often a waiting :meth:`Journal.wait` looks at the database without a notification
#: (entries written by another process sharing the database).
POLL_INTERVAL_S = 0.2
#: Dispositions after which the endpoint delivers the same answer again.
REDELIVERED = ("released", "modified")
#: A part at least this large is checkpointed out of SQLite's WAL at once.
CHECKPOINT_BYTES = 1 << 20
# Outcomes of a message whose content KPR took (an identity message to join, an event stream).
_ACCEPTED = (Outcome.ACCEPTED, Outcome.PARTIAL, Outcome.NO_RECEIPT_REQUESTED)


def _new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an INSERT created."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


class Journal:
    """Durable store of journal entries, answers, queued messages and parts.

    ``url`` is any SQLAlchemy URL (a SQLite file or PostgreSQL). ``max_messages`` and
    ``max_age_days`` bound the journal (see :meth:`prune`). Tables are created on open.
    Raises :class:`ConfigError` when the database cannot be opened or has another schema
    version.
    """

    def __init__(
        self,
        url: str,
        *,
        max_messages: int = 10_000,
        max_age_days: float | None = 30,
        poll_interval: float = POLL_INTERVAL_S,
    ) -> None:
        self._engine = create_engine(url)
        self._url = self._engine.url.render_as_string(hide_password=True)
        self.max_messages = max_messages
        self.max_age_days = max_age_days
        self._poll_interval = poll_interval
        # SQLite has one writer at a time anyway; queueing (in-process, and between processes
        # with a file lock: WriteLock) is cheaper than its busy-wait. Other databases lock
        # rows themselves, except for add_part's check-then-insert, which always takes this
        # lock (see add_part).
        self._sqlite = self._engine.dialect.name == "sqlite"
        try:
            self._serial = WriteLock(self._engine.url.database if self._sqlite else None)
        except OSError as exc:  # e.g. a directory the process may not write to
            self._engine.dispose()
            raise ConfigError(f"cannot open the journal database {self._url}: {exc}") from None
        # the endpoint's hot statements, compiled once (SQLite; mockkpr.journal.lean)
        self._lean = LeanJournal(self._engine) if self._sqlite else None
        self._changed = threading.Condition()
        self._generation = 0
        self._inserts = 0
        self._closed = False
        self._create_schema()
        self.prune()

    @classmethod
    def from_settings(cls, settings: Settings) -> Journal:
        """The journal at ``settings.database_url`` (or in ``data_dir``), bounded as set."""
        return cls(
            database_url(settings),
            max_messages=settings.journal_max_messages,
            max_age_days=settings.journal_max_age_days,
        )

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._url

    # -- plumbing -------------------------------------------------------------------------------

    def _create_schema(self) -> None:
        try:
            with self._write() as conn:
                lock_schema(conn)
                t.metadata.create_all(conn)
                found = conn.execute(sa.select(t.schema_version.c.version)).scalars().all()
                if not found:
                    conn.execute(t.schema_version.insert().values(version=t.SCHEMA_VERSION))
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise ConfigError(f"cannot open the journal database {self._url}: {exc}") from None
        if found and found != [t.SCHEMA_VERSION]:
            self._engine.dispose()
            raise ConfigError(
                f"journal database {self._url} has schema version {found}, this mockkpr "
                f"uses {t.SCHEMA_VERSION}; delete it or point MOCKKPR_DATABASE_URL elsewhere"
            )

    @contextmanager
    def _write(self, *, serial: bool = False) -> Iterator[sa.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success.

        On SQLite, and with ``serial`` on any database, write transactions of this process run
        one at a time.
        """
        lock = self._serial if self._sqlite or serial else nullcontext()
        with lock, self._engine.connect() as conn:
            mark_write(conn)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def reading(self) -> AbstractContextManager[sa.Connection]:
        """One read transaction, for queries of other modules (:mod:`.browse`)."""
        return self._read()

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """One write transaction for small records of other modules (:mod:`.browse`)."""
        with self._write() as conn:
            yield conn
        self._notify()

    @property
    def generation(self) -> int:
        """A counter that grows whenever this process records or changes an entry."""
        with self._changed:
            return self._generation

    def changed(self) -> None:
        """Wake the waiters now: another process (a worker) recorded an entry."""
        self._notify()

    def _notify(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def _load(
        self,
        conn: sa.Connection,
        where: list[sa.ColumnElement[bool]],
        *,
        order: list[sa.ColumnElement[Any]],
        limit: int | None = None,
        offset: int = 0,
        with_payload: bool = True,
        with_report: bool = True,
    ) -> list[JournalEntry]:
        columns = _rows.entry_columns(with_payload=with_payload, with_report=with_report)
        query = sa.select(*columns).where(*where).order_by(*order).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        rows = conn.execute(query).mappings().all()
        if not rows:
            return []
        a = t.answers.c
        answer_rows = conn.execute(
            sa.select(t.answers).where(a.entry_id.in_([r["id"] for r in rows])).order_by(a.id)
        ).mappings()
        answers = _rows.group_answers(answer_rows)
        return [_rows.entry_from_row(row, answers.get(row["id"], [])) for row in rows]

    def _insert_entry(self, conn: sa.Connection, entry: JournalEntry) -> int:
        # Values as parameters (not .values()) so the compiled INSERT is cached.
        return _new_id(conn.execute(t.entries.insert(), _rows.entry_values(entry)))

    @staticmethod
    def _insert_answers(
        conn: sa.Connection, entry_id: int, answers: list[AnswerRecord]
    ) -> builtins.list[QueuedMessage]:
        """Store the answers and put each one's message on its queue (same transaction)."""
        if not answers:
            return []
        conn.execute(t.answers.insert(), [_rows.answer_values(entry_id, a) for a in answers])
        now = datetime.now(UTC)
        queued = []
        for answer in answers:  # one by one: the queue ids go back to the endpoint
            result = conn.execute(t.queued.insert(), {
                "queue": answer.message.queue, "enqueued_at": now, "delivery_count": 0,
                "not_before": answer.not_before, **_rows.message_values(answer.message)})
            queued.append(QueuedMessage(_new_id(result), answer.message.queue, answer.message,
                                        0, now, answer.not_before))
        return queued

    def _inserted(self) -> None:
        self._notify()
        with self._changed:
            self._inserts += 1
            due = self._inserts % PRUNE_EVERY == 0
        if due:
            self.prune()

    # -- entries --------------------------------------------------------------------------------

    def record(self, entry: JournalEntry) -> int:
        """Insert ``entry`` with its answers, and queue each answer's message, atomically.

        After a crash an answer exists (and is queued) if and only if its entry does. Sets and
        returns ``entry.id``. Raises ValueError when the entry was already stored.
        """
        self.record_answered(entry)
        assert entry.id is not None
        return entry.id

    def record_answered(
        self, entry: JournalEntry, *, completes: tuple[str, str | None] | None = None
    ) -> builtins.list[QueuedMessage]:
        """:meth:`record`, returning the queued messages (with their queue ids) instead.

        ``completes`` = (group-id, sender HER-id) names a split message whose parts were kept
        by :meth:`add_part` (``keep=True``); they are deleted in the same transaction, so a
        crash before the answer is recorded leaves the whole group for a resent part.
        """
        if entry.id is not None:
            raise ValueError(f"journal entry {entry.id} is already stored")
        if self._lean is not None and completes is None:  # the hot path: one transaction
            with self._serial, self._lean.write() as cursor:
                entry_id = self._lean.insert_entry(cursor, entry)
                queued = self._lean.insert_answers(cursor, entry_id, entry.answers)
            entry.id = entry_id
            self._inserted()
            return queued
        with self._write(serial=completes is not None) as conn:
            entry_id = self._insert_entry(conn, entry)
            queued = self._insert_answers(conn, entry_id, entry.answers)
            if completes is not None:
                _parts.drop_group(conn, *completes)
        entry.id = entry_id
        self._inserted()
        if completes is not None:
            self._reclaim()
        return queued

    def begin(self, entry: JournalEntry) -> int:
        """Insert ``entry`` (normally PENDING) before it is processed; answers come later.

        Sets and returns ``entry.id``. Raises ValueError when the entry was already stored or
        already has answers (use :meth:`record` for the one-step case).
        """
        if entry.id is not None:
            raise ValueError(f"journal entry {entry.id} is already stored")
        if entry.answers:
            raise ValueError("begin() stores no answers; pass them to complete()")
        with self._write() as conn:
            entry.id = self._insert_entry(conn, entry)
        self._inserted()
        return entry.id

    def complete(self, entry: JournalEntry) -> None:
        """Store the outcome of an entry from :meth:`begin`, with its answers, atomically.

        Every column is updated from ``entry`` (outcome, payload, msghead, report, errors,
        apprec status, answered_at, and sender or subject learnt while processing); the answers
        are inserted and queued in the same transaction. When the entry is gone (a reset
        happened while it was processed) it is inserted again with a new id, so the answer
        that is sent is never without its entry. Raises ValueError for an entry never stored,
        one already completed or a PENDING outcome.
        """
        if entry.id is None:
            raise ValueError("complete() needs an entry stored by begin()")
        if entry.outcome is Outcome.PENDING:
            raise ValueError(f"journal entry {entry.id}: complete() needs a final outcome")
        e = t.entries.c
        with self._write() as conn:
            stored = conn.execute(sa.select(e.outcome).where(e.id == entry.id)).scalar()
            if stored is None:
                entry.id = self._insert_entry(conn, entry)
            elif stored != Outcome.PENDING.value:
                raise ValueError(f"journal entry {entry.id} is already complete ({stored})")
            else:
                values = _rows.entry_values(entry)
                del values["received_at"]
                conn.execute(t.entries.update().where(e.id == entry.id).values(**values))
            self._insert_answers(conn, entry.id, entry.answers)
        self._notify()

    def get(self, entry_id: int) -> JournalEntry | None:
        """The entry with journal id ``entry_id``, with payload, report and answers."""
        with self._read() as conn:
            found = self._load(conn, [t.entries.c.id == entry_id], order=[t.entries.c.id])
        return found[0] if found else None

    def _preferred(self, where: sa.ColumnElement[bool], *,
                   settled_only: bool) -> JournalEntry | None:
        """The newest entry matching ``where``, an original before a DUPLICATE record."""
        e = t.entries.c
        conds = [where]
        if settled_only:
            conds.append(e.outcome != Outcome.PENDING.value)
        is_duplicate = sa.case((e.outcome == Outcome.DUPLICATE.value, 1), else_=0)
        with self._read() as conn:
            found = self._load(conn, conds, order=[is_duplicate, e.id.desc()], limit=1)
        return found[0] if found else None

    def find(self, message_id: str, sender_her_id: str | None) -> JournalEntry | None:
        """The answered entry for a repeated ``message_id`` from the same sender, or None.

        For duplicate detection: the newest non-PENDING entry with that AMQP message-id whose
        sender is ``sender_her_id`` (None matches entries without a sender), preferring the
        original over DUPLICATE records of it. Its answers are what was sent the first time.
        A REFUSED delivery is never an earlier answer (another account may have sent it).
        """
        if self._lean is not None and not self._lean.answered_exists(message_id, sender_her_id):
            return None  # the usual case, an id not seen before: one indexed look-up
        e = t.entries.c
        sender = e.sender_her_id.is_(None) if sender_her_id is None else (
            e.sender_her_id == sender_her_id)
        return self._preferred(sa.and_(e.message_id == message_id, sender,
                                       e.outcome != Outcome.REFUSED.value), settled_only=True)

    def identity_messages(self, sender_her_id: str, *, page: int = 50
                          ) -> Iterator[StoredIdentity]:
        """The identity messages (``KPR_IDE``) a sender had accepted, newest first: the
        candidates to join an annual IPLOS file with (the receiver takes the first whose
        header matches, :mod:`mockkpr.iplos.pairing`). Read ``page`` rows at a time, without
        payload, report or answers, so stopping at the first match reads little.
        """
        e = t.entries.c
        where = [e.sender_her_id == sender_her_id, e.subject == "KPR_IDE",
                 e.outcome.in_([o.value for o in _ACCEPTED])]
        before: int | None = None
        while True:
            query = sa.select(e.id, e.message_id, e.msg_id, e.received_at, e.details).where(
                *where, *([e.id < before] if before is not None else [])
            ).order_by(e.id.desc()).limit(page)
            with self._read() as conn:
                rows = conn.execute(query).mappings().all()
            for row in rows:
                yield StoredIdentity(row["id"], row["message_id"], row["msg_id"],
                                     row["received_at"], dict(row["details"] or {}))
            if len(rows) < page:
                return
            before = rows[-1]["id"]

    def payload_of(self, entry_id: int) -> bytes | None:
        """The stored payload (the decrypted document) of entry ``entry_id``, or None."""
        with self._read() as conn:
            found = conn.execute(sa.select(t.entries.c.payload)
                                 .where(t.entries.c.id == entry_id)).scalar_one_or_none()
        return bytes(found) if found is not None else None

    def event_payloads(self, sender_her_id: str, *, page: int = 200) -> Iterator[bytes]:
        """The 56.0.0 event messages a sender had accepted, oldest first (the event stream the
        next message continues; the receiver replays them after a restart)."""
        accepted = _ACCEPTED
        after = 0
        while True:
            batch = self.list(MessageFilter(sender_her_id=sender_her_id, subject="KPR_IPL",
                                            after_id=after),
                              limit=page, newest_first=False, with_payload=True)
            for entry in batch:
                fmt = (entry.report or {}).get("format") or {}
                if entry.outcome in accepted and fmt.get("generation") == "56" and entry.payload:
                    yield entry.payload
            if len(batch) < page:
                return
            after = batch[-1].id or after

    def get_by_message_id(self, message_id: str) -> JournalEntry | None:
        """The entry for an AMQP message-id, or else for a MsgHead MsgId, or else for the
        refId of an HTTP submission; None when unknown.

        When several entries match (a message sent again), the newest original is returned,
        not a DUPLICATE record of it.
        """
        e = t.entries.c
        entry = self._preferred(e.message_id == message_id, settled_only=False)
        entry = entry or self._preferred(e.msg_id == message_id, settled_only=False)
        return entry or self._preferred(e.details[REF_ID].as_string() == message_id,
                                        settled_only=False)

    def list(
        self,
        flt: MessageFilter,
        *,
        limit: int = 100,
        offset: int = 0,
        newest_first: bool = True,
        with_payload: bool = False,
        with_report: bool = True,
    ) -> list[JournalEntry]:
        """Entries matching ``flt``, with their answers, by journal id.

        ``payload`` is None unless ``with_payload``; ``report`` is None when not
        ``with_report``. Use :meth:`get` for one complete entry.
        """
        e = t.entries.c
        with self._read() as conn:
            return self._load(
                conn,
                _rows.conditions(flt),
                order=[e.id.desc() if newest_first else e.id],
                limit=limit,
                offset=offset,
                with_payload=with_payload,
                with_report=with_report,
            )

    def count(self, flt: MessageFilter) -> int:
        """The number of entries matching ``flt``."""
        query = sa.select(sa.func.count()).select_from(t.entries).where(*_rows.conditions(flt))
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def wait(
        self, flt: MessageFilter, timeout: float, *, cancel: threading.Event | None = None
    ) -> JournalEntry | None:
        """Block until an entry matching ``flt`` exists; return it, or None after ``timeout``.

        Unless ``flt.outcome`` is PENDING, only entries that have an outcome count (a PENDING
        one is still being processed). When several match, the oldest is returned, so a caller
        can wait for each in turn with ``after_id`` set to the previous one's id. Wakes at once
        when this process records or completes an entry, and polls every ``poll_interval``
        seconds for entries written by other processes. Returns None early when the journal
        is closed or ``cancel`` is set.
        """
        deadline = time.monotonic() + timeout
        where = _rows.conditions(flt, settled_only=True)
        while True:
            with self._changed:
                seen = self._generation
            with self._read() as conn:
                found = self._load(conn, where, order=[t.entries.c.id], limit=1)
            if found:
                return found[0]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed or (cancel is not None and cancel.is_set()):
                return None
            with self._changed:
                if self._generation == seen and not self._closed:
                    self._changed.wait(min(remaining, self._poll_interval))

    # -- durable queues -------------------------------------------------------------------------

    def enqueue(self, queue: str, message: OutboundMessage) -> int:
        """Append ``message`` to ``queue``; return its queue id."""
        with self._write() as conn:
            result = conn.execute(t.queued.insert(), {
                "queue": queue, "enqueued_at": datetime.now(UTC), "delivery_count": 0,
                **_rows.message_values(message)})
        return _new_id(result)

    def queued(self, queue: str | None = None) -> builtins.list[QueuedMessage]:
        """The messages in ``queue`` (or in every queue), oldest first."""
        q = t.queued.c
        query = sa.select(t.queued).order_by(q.id)
        if queue is not None:
            query = query.where(q.queue == queue)
        with self._read() as conn:
            return [_rows.queued_from_row(row) for row in conn.execute(query).mappings()]

    def remove_queued(self, queued_id: int) -> bool:
        """Delete a delivered message; False when it was not (or no longer) queued."""
        if self._lean is not None:
            with self._serial, self._lean.write() as cursor:
                return self._lean.remove_queued(cursor, queued_id)
        with self._write() as conn:
            result = conn.execute(t.queued.delete().where(t.queued.c.id == queued_id))
        return result.rowcount > 0

    def requeue(self, queued_id: int, delivery_count: int) -> bool:
        """Keep a message that was not accepted in place, with its new ``delivery_count``."""
        q = t.queued.c
        with self._write() as conn:
            result = conn.execute(
                t.queued.update().where(q.id == queued_id).values(delivery_count=delivery_count)
            )
        return result.rowcount > 0

    def move_queued(self, queued_id: int, queue: str) -> bool:
        """Move a message to another queue (dead-lettering), keeping its id and count."""
        q = t.queued.c
        with self._write() as conn:
            result = conn.execute(t.queued.update().where(q.id == queued_id).values(queue=queue))
        return result.rowcount > 0

    def set_answer_disposition(self, message_id: str, disposition: str | None, *,
                               at: datetime | None = None) -> bool:
        """Record how the sender settled a delivery of the answer with AMQP ``message_id``.

        ``disposition`` is ``accepted``, ``rejected``, ``released`` or ``modified`` (None: settled
        without an outcome); ``at`` defaults to now. One answer message can be in the journal
        more than once (a duplicate's answers are the original's; a ``duplicate-apprec`` fault
        queues copies), and each copy is delivered in turn: the oldest one not yet settled for
        good gets it, that is one without a disposition or with ``released``/``modified`` (such
        a delivery is made again). Returns False when there is none.
        """
        if self._lean is not None:
            with self._serial, self._lean.write() as cursor:
                done = self._lean.set_answer_disposition(cursor, message_id, disposition,
                                                         at or datetime.now(UTC))
            if done:
                self._notify()
            return done
        a = t.answers.c
        open_answer = sa.or_(sa.and_(a.disposition.is_(None), a.settled_at.is_(None)),
                             a.disposition.in_(REDELIVERED))
        with self._write() as conn:
            answer_id = conn.execute(
                sa.select(a.id).where(a.message_id == message_id, open_answer)
                .order_by(a.id).limit(1)).scalar()
            if answer_id is None:
                return False
            conn.execute(t.answers.update().where(a.id == answer_id).values(
                disposition=disposition, settled_at=at or datetime.now(UTC)))
        self._notify()
        return True

    def apply_changes(self, changes: Sequence[QueueChange]) -> None:
        """Apply the endpoint's queue changes in order, in one transaction on SQLite (one by
        one elsewhere). A change whose row is gone (a reset dropped it) does nothing."""
        if not changes:
            return
        if self._lean is None:
            for change in changes:
                self._apply_one(change)
            return
        lean, settled = self._lean, False
        with self._serial, lean.write() as cursor:
            for change in changes:
                if change.kind == "remove":
                    lean.remove_queued(cursor, change.queued_id)
                elif change.kind == "requeue":
                    lean.requeue(cursor, change.queued_id, change.delivery_count)
                elif change.kind == "move":
                    lean.move_queued(cursor, change.queued_id, change.queue)
                elif change.kind == "disposition":
                    settled |= lean.set_answer_disposition(
                        cursor, change.message_id, change.disposition,
                        change.at or datetime.now(UTC))
                else:
                    raise ValueError(f"unknown queue change {change.kind!r}")
        if settled:
            self._notify()

    def _apply_one(self, change: QueueChange) -> None:
        if change.kind == "remove":
            self.remove_queued(change.queued_id)
        elif change.kind == "requeue":
            self.requeue(change.queued_id, change.delivery_count)
        elif change.kind == "move":
            self.move_queued(change.queued_id, change.queue)
        elif change.kind == "disposition":
            self.set_answer_disposition(change.message_id, change.disposition, at=change.at)
        else:
            raise ValueError(f"unknown queue change {change.kind!r}")

    # -- split messages -------------------------------------------------------------------------

    def add_part(
        self,
        group_id: str,
        sender_her_id: str | None,
        sequence: int,
        count: int,
        body: bytes,
        meta: dict[str, Any],
        *,
        limits: GroupLimits | None = None,
    ) -> CompleteGroup | None:
        """Store one part of a split message; the complete group once every part is in.

        ``sequence`` is 0-based (the caller maps the wire's numbering), ``count`` the number of
        parts; ``meta`` (e.g. the part's AMQP properties) is kept with the part for inspection
        and handed back, for every part in order, with the complete group. The parts stay
        until :meth:`record_answered` is given ``completes`` for the group (or
        :meth:`drop_group`), so that a failure between reassembly and answer loses none; read
        the whole message with :meth:`assemble`. A repeated part is ignored.
        Raises :class:`~mockkpr.journal.models.GroupRefused` (an
        :class:`~mockkpr.errors.InputError`) for a sequence outside ``0..count-1``, a count that
        differs from an earlier part's, or a part over one of ``limits`` (nothing is stored).
        Incomplete groups are deleted by :meth:`prune` after ``max_age_days``; see
        :meth:`stale_groups` for an earlier expiry.

        Parts of one group are stored one at a time within this process. Two processes sharing
        a PostgreSQL database could each store a different last part without seeing the other's
        (READ COMMITTED); one endpoint process per database avoids that.
        """
        with self._write(serial=True) as conn:
            complete = _parts.add_part(conn, group_id, sender_her_id, sequence, count, body,
                                       meta, limits)
        if self._sqlite and len(body) >= CHECKPOINT_BYTES:
            with self._serial:  # large parts one after another: keep the WAL from growing
                checkpoint(self._engine)
        return complete

    def assemble(self, group_id: str, sender_her_id: str | None) -> bytes:
        """The stored parts' bodies, concatenated in sequence order.

        The parts are read one at a time into a temporary file, which is then read into one
        bytes object of the right size: the message is held in memory once, not once as parts
        and again joined.
        """
        with tempfile.TemporaryFile(prefix="mockkpr-group-") as spool:
            with self._read() as conn:
                _parts.write_bodies(conn, group_id, sender_her_id, spool)
            spool.seek(0)
            return spool.read()

    def drop_group(self, group_id: str, sender_her_id: str | None) -> int:
        """Delete a group's stored parts (and give their space back); how many there were."""
        with self._write(serial=True) as conn:
            dropped = _parts.drop_group(conn, group_id, sender_her_id)
        self._reclaim()
        return dropped

    def stale_groups(self, before: datetime, *, limit: int = 100) -> builtins.list[StaleGroup]:
        """Incomplete groups whose first part came before ``before`` (oldest first, at most
        ``limit``), each with its first part's meta."""
        with self._read() as conn:
            return _parts.stale_groups(conn, before, limit)

    def expire_group(self, entry: JournalEntry, group_id: str, sender_her_id: str | None
                     ) -> builtins.list[QueuedMessage] | None:
        """Drop an incomplete group and record ``entry`` (its answer) in one transaction.

        None, and nothing recorded, when the group's parts are already gone (completed, or
        expired by another process sharing the database).
        """
        if entry.id is not None:
            raise ValueError(f"journal entry {entry.id} is already stored")
        with self._write(serial=True) as conn:
            if not _parts.drop_group(conn, group_id, sender_her_id):
                return None
            entry_id = self._insert_entry(conn, entry)
            queued = self._insert_answers(conn, entry_id, entry.answers)
        entry.id = entry_id
        self._inserted()
        self._reclaim()
        return queued

    def _reclaim(self) -> None:
        """Give freed pages back to the file system (SQLite; see :func:`reclaim`)."""
        if not self._sqlite:
            return
        try:
            with self._serial:
                freed = reclaim(self._engine)
        except SQLAlchemyError as exc:  # space is given back next time
            log.warning("journal.reclaim_failed", error=str(exc))
            return
        if freed:
            log.info("journal.space_reclaimed", pages=freed)

    # -- maintenance ----------------------------------------------------------------------------

    def reset(self, *, drop_queued: bool = False) -> int:
        """Delete every entry, answer and part, in one transaction; return the number of
        queued messages kept.

        Queued messages are answers still owed to senders (each is also a row of its own, not
        tied to its entry): they stay and are delivered, unless ``drop_queued``. Conformance runs
        stay too (the harness resets before each run it records). Nothing else is stored in the
        database (configuration lives in files and settings), so a reset keeps the
        configuration.
        """
        tables = (t.answers, t.entries, t.parts, t.groups,
                  *((t.queued,) if drop_queued else ()))
        with self._write() as conn:
            for table in tables:
                conn.execute(table.delete())
            kept = 0 if drop_queued else int(conn.execute(
                sa.select(sa.func.count()).select_from(t.queued)).scalar_one())
        log.info("journal.reset", url=self._url, queued_kept=kept)
        self._notify()
        self._reclaim()
        return kept

    def prune(self) -> int:
        """Delete entries beyond ``max_messages`` (oldest first) or older than ``max_age_days``.

        Incomplete split-message parts older than ``max_age_days`` go too. Queued messages are
        never pruned: they are deliveries still owed. Returns the number of entries deleted.
        """
        e = t.entries.c
        with self._write() as conn:
            conds: list[sa.ColumnElement[bool]] = []
            cutoff_id = conn.execute(
                sa.select(e.id).order_by(e.id.desc()).offset(self.max_messages).limit(1)
            ).scalar()
            if cutoff_id is not None:
                conds.append(e.id <= cutoff_id)
            if self.max_age_days is not None:
                cutoff = datetime.now(UTC) - timedelta(days=self.max_age_days)
                conds.append(e.received_at < cutoff)
                _parts.drop_older(conn, cutoff)
            if not conds:
                return 0
            doomed = sa.select(e.id).where(sa.or_(*conds))
            conn.execute(t.answers.delete().where(t.answers.c.entry_id.in_(doomed)))
            deleted = conn.execute(t.entries.delete().where(sa.or_(*conds))).rowcount
        if deleted:
            log.info("journal.pruned", entries=deleted)
            self._reclaim()
        return int(deleted)

    def stats(self) -> dict[str, dict[str, int]]:
        """``{"entries": {outcome: n}, "queued": {queue: n}}`` for metrics (zeros left out)."""
        e, q = t.entries.c, t.queued.c
        with self._read() as conn:
            entries = conn.execute(sa.select(e.outcome, sa.func.count()).group_by(e.outcome))
            per_outcome = {str(outcome): int(n) for outcome, n in entries}
            queues = conn.execute(sa.select(q.queue, sa.func.count()).group_by(q.queue))
            per_queue = {str(queue): int(n) for queue, n in queues}
        return {"entries": per_outcome, "queued": per_queue}

    def ping(self) -> bool:
        """True when the database answers a trivial query (for readiness)."""
        try:
            with self._read() as conn:
                conn.execute(sa.select(1))
        except SQLAlchemyError:
            return False
        return not self._closed

    def close(self) -> None:
        """Wake every waiter and release the database connections."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._engine.dispose()
        self._serial.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
