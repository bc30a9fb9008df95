"""Split-message parts inside one write transaction (used by ``Journal.add_part`` and friends).

Each incomplete group has a row in ``groups`` (parts stored, their bytes, when the first came,
that part's meta), so a group is bounded while it is stored, part by part, without reading any
part:

- its size: the bytes received so far, and the size its parts declare (``count`` times the
  size of a part that is not the last, for parts are cut to one size but the last), may not
  pass ``GroupLimits.max_bytes``;
- per sender: the incomplete groups (``max_open_groups``) and their bytes (``max_open_bytes``),
  counted and summed from an index.

A complete group is read back one part at a time (:func:`write_bodies`), so reassembly holds
the whole message in memory once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import IO, Any

import sqlalchemy as sa

from mockkpr.journal import tables as t
from mockkpr.journal.models import CompleteGroup, GroupLimits, GroupRefused, StaleGroup


def _in_group(table: sa.Table, group_id: str, sender_her_id: str | None
              ) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.group_id == group_id, table.c.sender_key == (sender_her_id or ""))


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
    g, p = t.groups.c, t.parts.c
    key = sender_her_id or ""
    group = conn.execute(sa.select(g.id, g.part_count, g.received, g.bytes)
                         .where(_in_group(t.groups, group_id, key))).first()
    if group is not None and group.part_count != count:
        first = conn.execute(sa.select(p.sequence).where(_in_group(t.parts, group_id, key))
                             .order_by(p.id).limit(1)).scalar()
        raise GroupRefused(
            f"{where}: part {sequence} says the group has {count} parts, but part "
            f"{first} said {group.part_count}", ("groupSize",))
    received = group.received if group is not None else 0
    size = int(group.bytes) if group is not None else 0
    known = group is not None and conn.execute(
        sa.select(p.id).where(_in_group(t.parts, group_id, key), p.sequence == sequence)
    ).first() is not None
    if not known:
        if limits is not None:
            _check_limits(conn, where, key, sequence, count, len(body), size,
                          new_group=group is None, limits=limits)
        now = datetime.now(UTC)
        conn.execute(t.parts.insert().values(
            group_id=group_id, sender_key=key, sequence=sequence, part_count=count, body=body,
            meta=dict(meta), received_at=now))
        received, size = received + 1, size + len(body)
        if group is None:
            conn.execute(t.groups.insert().values(
                group_id=group_id, sender_key=key, part_count=count, received=received,
                bytes=size, first_received_at=now, meta=dict(meta)))
        else:
            conn.execute(t.groups.update().where(g.id == group.id)
                         .values(received=received, bytes=size))
    if received < count:
        return None
    metas = conn.execute(sa.select(p.meta).where(_in_group(t.parts, group_id, key))
                         .order_by(p.sequence)).scalars()
    return CompleteGroup([dict(m) for m in metas], size)


def _check_limits(conn: sa.Connection, where: str, key: str, sequence: int, count: int,
                  size: int, stored: int, *, new_group: bool, limits: GroupLimits) -> None:
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
    g = t.groups.c
    groups, open_bytes = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(g.bytes), 0))
        .where(g.sender_key == key)).one()
    if new_group and groups >= limits.max_open_groups:
        raise GroupRefused(
            f"{where}: sender {key or '(none)'} already has {groups} incomplete split "
            f"messages, the most it may have", ("group-id", f"open={groups}",
                                                 f"limit={limits.max_open_groups}"))
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
    in_group = _in_group(t.parts, group_id, sender_her_id)
    written = 0
    for sequence in conn.execute(sa.select(p.sequence).where(in_group).order_by(p.sequence))\
            .scalars().all():
        body = conn.execute(sa.select(p.body).where(in_group, p.sequence == sequence)).scalar_one()
        written += out.write(body)
        del body
    return written


def drop_group(conn: sa.Connection, group_id: str, sender_her_id: str | None) -> int:
    """Delete every stored part of a group; how many there were."""
    conn.execute(t.groups.delete().where(_in_group(t.groups, group_id, sender_her_id)))
    return int(conn.execute(
        t.parts.delete().where(_in_group(t.parts, group_id, sender_her_id))).rowcount)


def drop_older(conn: sa.Connection, cutoff: datetime) -> None:
    """Delete the groups whose first part came before ``cutoff``, with their parts."""
    g, p = t.groups.c, t.parts.c
    old = sa.select(g.group_id, g.sender_key).where(g.first_received_at < cutoff)
    conn.execute(t.parts.delete().where(sa.tuple_(p.group_id, p.sender_key).in_(old)))
    conn.execute(t.groups.delete().where(g.first_received_at < cutoff))


def stale_groups(conn: sa.Connection, before: datetime, limit: int) -> list[StaleGroup]:
    """Incomplete groups whose first part was received before ``before``, oldest first."""
    g = t.groups.c
    rows = conn.execute(sa.select(t.groups).where(g.first_received_at < before)
                        .order_by(g.first_received_at).limit(limit)).mappings()
    return [StaleGroup(row["group_id"], row["sender_key"], int(row["part_count"]),
                       int(row["received"]), int(row["bytes"]), row["first_received_at"],
                       dict(row["meta"])) for row in rows]
