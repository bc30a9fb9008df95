"""The endpoint's hot path on SQLite: statements compiled once, run on the DB-API connection.

Every message the endpoint answers costs a duplicate look-up, one write transaction for its
entry, answers and queued answers, and later one for the answer's settlement. Through
SQLAlchemy's ``Connection.execute`` each statement costs far more in Python (cache keys,
execution contexts, result objects, the ``begin`` event) than SQLite spends on it. Here the
same statements are built with SQLAlchemy Core from :mod:`.tables`, compiled once for the
engine's dialect, and executed with the parameters converted by the columns' own bind
processors (UTC datetimes, JSON), so that what is stored is exactly what the Core path
stores and reads back the same. Only SQLite takes this path (:class:`Journal` decides);
PostgreSQL keeps the Core path, where the server's round trip dominates anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from mockkpr.journal import _rows
from mockkpr.journal import tables as t
from mockkpr.journal.models import AnswerRecord, JournalEntry, Outcome, QueuedMessage

_Processor = Callable[[Any], Any] | None
#: Dispositions after which the endpoint delivers the same answer again (as Journal's).
_REDELIVERED = ("released", "modified")


class Compiled:
    """One Core statement compiled for ``dialect``; :meth:`params` orders and converts values.

    ``keys`` are the column keys of an INSERT or UPDATE's values (the statement is compiled
    for exactly those); other statements take their values from named bind parameters.
    """

    def __init__(self, statement: sa.Executable, dialect: sa.Dialect,
                 keys: Sequence[str] | None = None) -> None:
        compiled = statement.compile(dialect=dialect,  # type: ignore[attr-defined]
                                     column_keys=list(keys) if keys is not None else None)
        if not dialect.positional or compiled.positiontup is None:
            raise ValueError(f"{dialect.name}: the lean path needs a positional paramstyle")
        self.sql: str = compiled.string
        # values fixed in the statement itself (LIMIT, literal comparisons)
        self._fixed: dict[str, Any] = {name: bind.value for name, bind in compiled.binds.items()}
        self._order: list[tuple[str, _Processor]] = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup]

    def params(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """The DB-API parameters for ``values`` (bind name to value; the rest as compiled)."""
        out = []
        for name, process in self._order:
            value = values[name] if name in values else self._fixed[name]
            try:
                out.append(process(value) if process is not None else value)
            except Exception as exc:  # as SQLAlchemy reports a bind processor's failure
                raise sa.exc.StatementError(str(exc), self.sql, values, exc) from exc
        return tuple(out)


def _entry_keys() -> list[str]:
    return [c.name for c in t.entries.c if c.name != "id"]


def _answer_keys() -> list[str]:
    return [c.name for c in t.answers.c if c.name != "id"]


def _queued_keys() -> list[str]:
    return [c.name for c in t.queued.c if c.name != "id"]


class LeanJournal:
    """The hot statements of :class:`~mockkpr.journal.store.Journal` on a SQLite engine.

    The caller holds the journal's write lock around :meth:`write` (SQLite has one writer).
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        d = engine.dialect
        e, a, q = t.entries.c, t.answers.c, t.queued.c
        self._entry = Compiled(t.entries.insert(), d, _entry_keys())
        self._answer = Compiled(t.answers.insert(), d, _answer_keys())
        self._queued = Compiled(t.queued.insert(), d, _queued_keys())
        answered = sa.and_(e.message_id == sa.bindparam("message_id"),
                           e.outcome != Outcome.REFUSED.value,
                           e.outcome != Outcome.PENDING.value)
        self._seen = Compiled(sa.select(e.id).where(
            answered, e.sender_her_id == sa.bindparam("sender")).limit(1), d)
        self._seen_no_sender = Compiled(sa.select(e.id).where(
            answered, e.sender_her_id.is_(None)).limit(1), d)
        self._remove = Compiled(t.queued.delete().where(q.id == sa.bindparam("queued_id")), d)
        open_answer = sa.or_(sa.and_(a.disposition.is_(None), a.settled_at.is_(None)),
                             *(a.disposition == kind for kind in _REDELIVERED))
        self._open_answer = Compiled(sa.select(a.id).where(
            a.message_id == sa.bindparam("message_id"), open_answer).order_by(a.id).limit(1), d)
        self._settle = Compiled(t.answers.update().where(a.id == sa.bindparam("answer_id"))
                                .values(disposition=sa.bindparam("disposition"),
                                        settled_at=sa.bindparam("settled_at")), d)
        self._requeue = Compiled(t.queued.update().where(q.id == sa.bindparam("queued_id"))
                                 .values(delivery_count=sa.bindparam("count")), d)
        self._move = Compiled(t.queued.update().where(q.id == sa.bindparam("queued_id"))
                              .values(queue=sa.bindparam("target")), d)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        raw = self._engine.raw_connection()  # pooled, with the journal's pragmas
        error = self._engine.dialect.loaded_dbapi.Error
        try:
            yield raw.cursor()
        except error as exc:  # the DB-API's errors as SQLAlchemy's, like the Core path's
            raise sa.exc.DBAPIError.instance(None, None, exc, error) from exc
        finally:
            raw.close()

    @contextmanager
    def write(self) -> Iterator[Any]:
        """One ``BEGIN IMMEDIATE`` transaction, committed on success; yields a cursor."""
        with self._connection() as cursor:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def answered_exists(self, message_id: str, sender_her_id: str | None) -> bool:
        """Whether :meth:`Journal.find` would find an entry (one indexed look-up)."""
        with self._connection() as cursor:
            if sender_her_id is None:
                statement = self._seen_no_sender
                values: dict[str, Any] = {"message_id": message_id}
            else:
                statement = self._seen
                values = {"message_id": message_id, "sender": sender_her_id}
            return cursor.execute(statement.sql, statement.params(values)).fetchone() is not None

    def insert_entry(self, cursor: Any, entry: JournalEntry) -> int:
        """Insert ``entry``'s row (no answers); its new id."""
        cursor.execute(self._entry.sql, self._entry.params(_rows.entry_values(entry)))
        return int(cursor.lastrowid)

    def insert_answers(self, cursor: Any, entry_id: int, answers: list[AnswerRecord]
                       ) -> list[QueuedMessage]:
        """Store the answers and queue each one's message, as ``Journal._insert_answers``."""
        if not answers:
            return []
        cursor.executemany(self._answer.sql, [
            self._answer.params(_rows.answer_values(entry_id, answer)) for answer in answers])
        now = datetime.now(UTC)
        queued = []
        for answer in answers:
            cursor.execute(self._queued.sql, self._queued.params({
                "queue": answer.message.queue, "enqueued_at": now, "delivery_count": 0,
                "not_before": answer.not_before, **_rows.message_values(answer.message)}))
            queued.append(QueuedMessage(int(cursor.lastrowid), answer.message.queue,
                                        answer.message, 0, now, answer.not_before))
        return queued

    def remove_queued(self, cursor: Any, queued_id: int) -> bool:
        """Delete a delivered message; False when it was not queued."""
        return bool(cursor.execute(self._remove.sql,
                                   self._remove.params({"queued_id": queued_id})).rowcount)

    def requeue(self, cursor: Any, queued_id: int, delivery_count: int) -> bool:
        """Set a queued message's delivery count."""
        return bool(cursor.execute(self._requeue.sql, self._requeue.params(
            {"queued_id": queued_id, "count": delivery_count})).rowcount)

    def move_queued(self, cursor: Any, queued_id: int, queue: str) -> bool:
        """Move a queued message to another queue."""
        return bool(cursor.execute(self._move.sql, self._move.params(
            {"queued_id": queued_id, "target": queue})).rowcount)

    def set_answer_disposition(self, cursor: Any, message_id: str, disposition: str | None,
                               at: datetime) -> bool:
        """As :meth:`Journal.set_answer_disposition`, inside the caller's transaction."""
        found = cursor.execute(self._open_answer.sql,
                               self._open_answer.params({"message_id": message_id})).fetchone()
        if found is None:
            return False
        cursor.execute(self._settle.sql, self._settle.params(
            {"answer_id": found[0], "disposition": disposition, "settled_at": at}))
        return True
