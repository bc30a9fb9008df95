"""Split-message reassembly inside one write transaction (used by ``Journal.add_part``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from mockkpr.errors import InputError
from mockkpr.journal import tables as t


def add_part(
    conn: sa.Connection,
    group_id: str,
    sender_her_id: str | None,
    sequence: int,
    count: int,
    body: bytes,
    meta: dict[str, Any],
    metas: list[dict[str, Any]] | None = None,
    *,
    keep: bool = False,
) -> list[bytes] | None:
    """Store one part; return every body in order once all are there.

    With ``metas``, the complete group's part metas are appended to it in the same order.

    ``sequence`` is the 0-based position of the part, ``count`` the number of parts in the
    group. A part already stored (same group, sender and sequence) is ignored, whatever its
    body. The complete group's parts are deleted, unless ``keep`` (then :func:`drop_group`
    deletes them once the whole message is answered). Raises :class:`InputError` when
    ``count`` or ``sequence`` is impossible or ``count`` differs from the count of a part
    already stored.
    """
    where = f"split message group {group_id!r}"
    if count < 1:
        raise InputError(f"{where}: part count {count} must be at least 1")
    if not 0 <= sequence < count:
        raise InputError(
            f"{where}: part sequence {sequence} is outside 0..{count - 1} for {count} parts"
        )
    p = t.parts.c
    in_group = sa.and_(p.group_id == group_id, p.sender_key == (sender_her_id or ""))
    stored = conn.execute(sa.select(p.sequence, p.part_count).where(in_group)).all()
    for other_sequence, other_count in stored:
        if other_count != count:
            raise InputError(
                f"{where}: part {sequence} says the group has {count} parts, but part "
                f"{other_sequence} said {other_count}"
            )
    sequences = {row.sequence for row in stored}
    if sequence not in sequences:
        conn.execute(
            t.parts.insert().values(
                group_id=group_id,
                sender_key=sender_her_id or "",
                sequence=sequence,
                part_count=count,
                body=body,
                meta=dict(meta),
                received_at=datetime.now(UTC),
            )
        )
        sequences.add(sequence)
    if len(sequences) < count:
        return None
    rows = conn.execute(sa.select(p.body, p.meta).where(in_group).order_by(p.sequence)).all()
    if not keep:
        conn.execute(t.parts.delete().where(in_group))
    if metas is not None:
        metas.extend(dict(row.meta) for row in rows)
    return [bytes(row.body) for row in rows]


def drop_group(conn: sa.Connection, group_id: str, sender_her_id: str | None) -> None:
    """Delete every stored part of a group."""
    p = t.parts.c
    conn.execute(t.parts.delete().where(
        p.group_id == group_id, p.sender_key == (sender_her_id or "")))
