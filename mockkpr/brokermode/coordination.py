"""Coordination of broker-mode processes through the shared journal database.

Each process is an *instance* with a heartbeat. It *claims* a message (sender, message-id)
before processing it and marks the claim done once the journal holds the answer; it *owns*
the outbox rows it publishes. Claims and outbox rows of an instance whose heartbeat is older
than the lease are taken over by another instance with a compare-and-set update, so a crashed
process's unfinished work is done once, by one survivor.

Works on SQLite (several processes on one machine) and PostgreSQL (several machines; clocks
are assumed to agree to well within the lease). Every method is one short transaction.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from mockkpr.brokermode import tables as bt
from mockkpr.errors import ConfigError
from mockkpr.journal import tables as jt
from mockkpr.journal.engine import create_engine, lock_schema, mark_write
from mockkpr.log import get_logger

log = get_logger(__name__)


class ClaimState(StrEnum):
    """What :meth:`Coordinator.claim` found."""

    OWNED = "owned"  # this instance holds the claim now: process the message
    DONE = "done"  # an instance finished it: the journal has its answer
    BUSY = "busy"  # a live instance (maybe this one) is processing it: wait


@dataclass(frozen=True)
class Claim:
    """The result of one claim attempt; ``owner`` and ``claimed_at`` identify the row seen."""

    state: ClaimState
    owner: str
    claimed_at: datetime
    taken_over: bool = False  # OWNED from another (dead) holder: it may have answered


ClaimKey = tuple[str, str]  # (sender HER-id or '', message-id)


class Coordinator:
    """Claims, outbox ownership and liveness of one broker-mode process.

    ``url`` is the journal's database; the tables of :mod:`mockkpr.brokermode.tables` are
    created there when missing. Raises :class:`ConfigError` when the database cannot be used.
    """

    def __init__(self, url: str, *, lease_s: float, instance_id: str | None = None) -> None:
        self.engine = create_engine(url)
        self.lease = timedelta(seconds=lease_s)
        self.instance_id = instance_id or f"{socket.gethostname()}-{os.getpid()}-" \
            f"{uuid.uuid4().hex[:8]}"
        try:
            with self._write() as conn:
                lock_schema(conn)
                bt.metadata.create_all(conn)
                jt.metadata.create_all(conn)  # the outbox scan reads the journal's queue table
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise ConfigError(f"broker mode cannot use the journal database: {exc}") from None

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
        with self.engine.connect() as conn:
            mark_write(conn)
            with conn.begin():
                yield conn

    @staticmethod
    def _now() -> datetime:
        return datetime.now(UTC)

    def _insert_ignore(self, conn: sa.Connection, table: sa.Table,
                       rows: list[dict[str, Any]]) -> int:
        """Insert ``rows``, skipping those whose key exists; the number inserted."""
        if not rows:
            return 0
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        # RETURNING, not rowcount: psycopg reports -1 for INSERT .. ON CONFLICT DO NOTHING.
        statement = insert(table).on_conflict_do_nothing().returning(*table.primary_key)
        return sum(conn.execute(statement, row).first() is not None for row in rows)

    def _alive(self, conn: sa.Connection) -> set[str]:
        i = bt.instances.c
        cutoff = self._now() - self.lease
        found = conn.execute(sa.select(i.instance_id).where(i.heartbeat_at >= cutoff))
        return {str(row) for row in found.scalars()}

    # ------------------------------------------------------------------ liveness
    def heartbeat(self) -> None:
        """Say this instance is alive (also registers it)."""
        now = self._now()
        with self._write() as conn:
            updated = conn.execute(bt.instances.update()
                                   .where(bt.instances.c.instance_id == self.instance_id)
                                   .values(heartbeat_at=now)).rowcount
            if not updated:
                conn.execute(bt.instances.insert().values(
                    instance_id=self.instance_id, host=socket.gethostname(), pid=os.getpid(),
                    started_at=now, heartbeat_at=now))

    def retire(self) -> None:
        """Leave: others may take over this instance's claims and outbox rows at once."""
        with self._write() as conn:
            conn.execute(bt.instances.delete()
                         .where(bt.instances.c.instance_id == self.instance_id))

    def alive(self) -> set[str]:
        """The instances whose heartbeat is within the lease."""
        with self._write() as conn:
            return self._alive(conn)

    # ------------------------------------------------------------------ message claims
    def claim(self, key: ClaimKey) -> Claim:
        """Try once to claim ``key``; see :class:`ClaimState`.

        A claim of a dead instance is taken over, and so is one of this instance's own that
        is not done: the caller keeps its threads from claiming one key at once (see
        :class:`~mockkpr.brokermode.processing.BrokerProcessor`), so such a claim is left over
        from a failure.
        """
        sender, message_id = key
        c = bt.claims.c
        now = self._now()
        with self._write() as conn:
            if self._insert_ignore(conn, bt.claims, [{
                    "sender_key": sender, "message_id": message_id, "owner": self.instance_id,
                    "claimed_at": now, "done": False}]):
                return Claim(ClaimState.OWNED, self.instance_id, now)
            row = conn.execute(sa.select(c.owner, c.claimed_at, c.done)
                               .where(c.sender_key == sender, c.message_id == message_id)
                               ).one_or_none()
            if row is None:  # released meanwhile: the caller tries again
                return Claim(ClaimState.BUSY, "", now)
            seen = Claim(ClaimState.DONE if row.done else ClaimState.BUSY, row.owner,
                         row.claimed_at)
            if row.done:
                return seen
            if row.owner != self.instance_id and row.owner in self._alive(conn):
                return seen
            if self._take(conn, key, seen, now):
                log.info("broker.claim_taken_over", sender=sender, message_id=message_id,
                         previous_owner=row.owner)
                return Claim(ClaimState.OWNED, self.instance_id, now, taken_over=True)
            return seen

    def take_over(self, key: ClaimKey, seen: Claim) -> bool:
        """Take ``key`` from the claim ``seen`` (e.g. a DONE claim whose entry was pruned)."""
        with self._write() as conn:
            return self._take(conn, key, seen, self._now())

    def _take(self, conn: sa.Connection, key: ClaimKey, seen: Claim, now: datetime) -> bool:
        c = bt.claims.c
        result = conn.execute(
            bt.claims.update()
            .where(c.sender_key == key[0], c.message_id == key[1], c.owner == seen.owner,
                   c.claimed_at == seen.claimed_at)
            .values(owner=self.instance_id, claimed_at=now, done=False))
        return bool(result.rowcount == 1)

    def finish(self, key: ClaimKey, outbox: Iterable[int] = ()) -> None:
        """The journal holds the answer to ``key``: mark the claim done, and take the
        answers' queued rows ``outbox`` (see :meth:`own_outbox`), in one transaction."""
        c = bt.claims.c
        with self._write() as conn:
            conn.execute(bt.claims.update()
                         .where(c.sender_key == key[0], c.message_id == key[1],
                                c.owner == self.instance_id)
                         .values(done=True))
            self._own(conn, outbox)

    def release(self, key: ClaimKey) -> None:
        """Give ``key`` up unanswered (processing failed, or a lock is no longer needed)."""
        c = bt.claims.c
        with self._write() as conn:
            conn.execute(bt.claims.delete().where(c.sender_key == key[0],
                                                  c.message_id == key[1],
                                                  c.owner == self.instance_id))

    # ------------------------------------------------------------------ the outbox
    def own_outbox(self, queued_ids: Iterable[int]) -> None:
        """Record that this instance publishes the journal's queued rows ``queued_ids``."""
        ids = list(queued_ids)
        if ids:
            with self._write() as conn:
                self._own(conn, ids)

    def _own(self, conn: sa.Connection, queued_ids: Iterable[int]) -> None:
        now = self._now()
        self._insert_ignore(conn, bt.outbox, [
            {"queued_id": i, "owner": self.instance_id, "claimed_at": now} for i in queued_ids])

    def published(self, queued_ids: Iterable[int]) -> None:
        """Delete published answers from the journal's queue table, and their ownership."""
        ids = list(queued_ids)
        if not ids:
            return
        with self._write() as conn:
            conn.execute(jt.queued.delete().where(jt.queued.c.id.in_(ids)))
            conn.execute(bt.outbox.delete().where(bt.outbox.c.queued_id.in_(ids)))

    def adopt_orphans(self, limit: int = 500) -> list[int]:
        """Take the queued rows nobody live publishes; their ids (now this instance's).

        Orphans are rows owned by a dead instance, and rows owned by nobody that are older
        than the lease (their process died between recording and taking ownership).
        """
        q, o = jt.queued.c, bt.outbox.c
        now = self._now()
        with self._write() as conn:
            alive = self._alive(conn)
            found = conn.execute(
                sa.select(q.id, o.owner, o.claimed_at)
                .select_from(jt.queued.outerjoin(bt.outbox, o.queued_id == q.id))
                .where(sa.or_(sa.and_(o.owner.is_(None), q.enqueued_at < now - self.lease),
                              sa.and_(o.owner.is_not(None), o.owner.not_in(sorted(alive) or [""]))))
                .order_by(q.id).limit(limit)).all()
            adopted = []
            for row in found:
                if row.owner is None:
                    taken = self._insert_ignore(conn, bt.outbox, [{
                        "queued_id": row.id, "owner": self.instance_id, "claimed_at": now}])
                else:
                    taken = conn.execute(
                        bt.outbox.update()
                        .where(o.queued_id == row.id, o.owner == row.owner,
                               o.claimed_at == row.claimed_at)
                        .values(owner=self.instance_id, claimed_at=now)).rowcount
                if taken:
                    adopted.append(int(row.id))
        if adopted:
            log.info("broker.outbox_adopted", count=len(adopted))
        return adopted

    # ------------------------------------------------------------------ maintenance
    def reset(self) -> None:
        """Forget every claim and outbox ownership (after the journal was reset)."""
        with self._write() as conn:
            conn.execute(bt.claims.delete())
            conn.execute(bt.outbox.delete())

    def prune(self, older_than: timedelta) -> int:
        """Delete done claims and dead instances older than ``older_than``."""
        cutoff = self._now() - older_than
        c, i = bt.claims.c, bt.instances.c
        with self._write() as conn:
            deleted = conn.execute(bt.claims.delete().where(c.done, c.claimed_at < cutoff))
            conn.execute(bt.instances.delete().where(i.heartbeat_at < cutoff))
        return int(deleted.rowcount)

    def close(self) -> None:
        self.engine.dispose()

