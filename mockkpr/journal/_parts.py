"""Split-message parts inside one write transaction (used by ``Journal.add_part`` and friends).

A group is bounded while it is stored, part by part, without reading any part's body:

- its size: the bytes received so far, and the size its parts declare (``count`` times the
  size of a part that is not the last, for parts are cut to one size but the last), may not
  pass ``GroupLimits.max_bytes``;
- per sender: the incomplete groups (``max_open_groups``) and their bytes (``max_open_bytes``).

A complete group is read back one part at a time (:func:`write_bodies`), so reassembly holds
the whole message in memory once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import IO, Any

import sqlalchemy as sa

from mockkpr.journal import tables as t
from mockkpr.journal.models import CompleteGroup, GroupLimits, GroupRefused, StaleGroup


def _in_group(group_id: str, sender_her_id: str | None) -> sa.ColumnElement[bool]:
    p = t.parts.c
    return sa.and_(p.group_id == group_id, p.sender_key == (sender_her_id or ""))


def add_part(
    conn: sa.Connection,
    group_id: str,
    sender_her_id: str | None,
    sequence: int,
    count: int,
    body: bytes,
    meta: dict[str, Any],
    limits: GroupLimits | None = None,
) -> CompleteGroup | None:
    """Store one part; the complete group (metas, size) once every part is there.

    ``sequence`` is the 0-based position of the part, ``count`` the number of parts in the
    group. A part already stored (same group, sender and sequence) is ignored, whatever its
    body. Raises :class:`GroupRefused` when ``count`` or ``sequence`` is impossible, ``count``
    differs from that of a part already stored, or the part passes one of ``limits``.
    """
    where = f"split message group {group_id!r}"
    if count < 1:
        raise GroupRefused(f"{where}: part count {count} must be at least 1", ("groupSize",))
    if not 0 <= sequence < count:
        raise GroupRefused(
            f"{where}: part sequence {sequence} is outside 0..{count - 1} for {count} parts",
            ("group-sequence",))
    p = t.parts.c
    in_group = _in_group(group_id, sender_her_id)
    stored = conn.execute(sa.select(p.sequence, p.part_count, p.body_size).where(in_group)).all()
    for other_sequence, other_count, _ in stored:
        if other_count != count:
            raise GroupRefused(
                f"{where}: part {sequence} says the group has {count} parts, but part "
                f"{other_sequence} said {other_count}", ("groupSize",))
    sequences = {row.sequence for row in stored}
    size = sum(int(row.body_size) for row in stored)
    if sequence not in sequences:
        if limits is not None:
            _check_limits(conn, where, sender_her_id, sequence, count, len(body), size,
                          new_group=not stored, limits=limits)
        conn.execute(t.parts.insert().values(
            group_id=group_id, sender_key=sender_her_id or "", sequence=sequence,
            part_count=count, body=body, body_size=len(body), meta=dict(meta),
            received_at=datetime.now(UTC)))
        sequences.add(sequence)
        size += len(body)
    if len(sequences) < count:
        return None
    metas = conn.execute(sa.select(p.meta).where(in_group).order_by(p.sequence)).scalars()
    return CompleteGroup([dict(m) for m in metas], size)


def _check_limits(conn: sa.Connection, where: str, sender_her_id: str | None, sequence: int,
                  count: int, size: int, stored: int, *, new_group: bool,
                  limits: GroupLimits) -> None:
    received = stored + size
    if received > limits.max_bytes:
        raise GroupRefused(f"{where}: its parts so far hold {received} bytes, more than the "
                           f"{limits.max_bytes} a message may have",
                           ("groupSize", f"bytes={received}", f"limit={limits.max_bytes}"))
    if sequence < count - 1 and (count - 1) * size + 1 > limits.max_bytes:
        declared = (count - 1) * size + 1
        raise GroupRefused(f"{where}: {count} parts of {size} bytes make at least {declared} "
                           f"bytes, more than the {limits.max_bytes} a message may have",
                           ("groupSize", f"bytes>={declared}", f"limit={limits.max_bytes}"))
    p = t.parts.c
    key = sender_her_id or ""
    if new_group:
        groups = conn.execute(sa.select(sa.func.count(sa.distinct(p.group_id)))
                              .where(p.sender_key == key)).scalar_one()
        if groups >= limits.max_open_groups:
            raise GroupRefused(
                f"{where}: sender {key or '(none)'} already has {groups} incomplete split "
                f"messages, the most it may have", ("group-id", f"open={groups}",
                                                     f"limit={limits.max_open_groups}"))
    open_bytes = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(p.body_size), 0))
                              .where(p.sender_key == key)).scalar_one()
    if open_bytes + size > limits.max_open_bytes:
        raise GroupRefused(
            f"{where}: sender {key or '(none)'} would have {open_bytes + size} bytes of "
            f"incomplete split messages, more than the {limits.max_open_bytes} it may have",
            ("group-id", f"bytes={open_bytes + size}", f"limit={limits.max_open_bytes}"))


def write_bodies(conn: sa.Connection, group_id: str, sender_her_id: str | None,
                 out: IO[bytes]) -> int:
    """Write the group's bodies to ``out`` in sequence order, one part in memory at a time;
    return the number of bytes written."""
    p = t.parts.c
    in_group = _in_group(group_id, sender_her_id)
    written = 0
    for sequence in conn.execute(sa.select(p.sequence).where(in_group).order_by(p.sequence))\
            .scalars().all():
        body = conn.execute(sa.select(p.body).where(in_group, p.sequence == sequence)).scalar_one()
        written += out.write(body)
        del body
    return written


def drop_group(conn: sa.Connection, group_id: str, sender_her_id: str | None) -> int:
    """Delete every stored part of a group; how many there were."""
    return int(conn.execute(t.parts.delete().where(_in_group(group_id, sender_her_id))).rowcount)


def stale_groups(conn: sa.Connection, before: datetime, limit: int) -> list[StaleGroup]:
    """Incomplete groups whose first part was received before ``before``, oldest first."""
    p = t.parts.c
    first = sa.func.min(p.received_at)
    rows = conn.execute(
        sa.select(p.group_id, p.sender_key, sa.func.max(p.part_count), sa.func.count(),
                  sa.func.sum(p.body_size), first, sa.func.min(p.id))
        .group_by(p.group_id, p.sender_key).having(first < before).order_by(first).limit(limit)
    ).all()
    found = []
    for group_id, sender_key, count, received, size, first_at, first_id in rows:
        meta = conn.execute(sa.select(p.meta).where(p.id == first_id)).scalar_one()
        found.append(StaleGroup(group_id, sender_key, int(count), int(received), int(size or 0),
                                first_at, dict(meta)))
    return found
