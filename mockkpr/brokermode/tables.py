"""Broker mode's own tables, beside the journal's in the same database.

Layout::

    broker_instances  instance_id, host, pid, started_at, heartbeat_at
    broker_claims     sender_key, message_id (primary key together), owner, claimed_at, done
    broker_outbox     queued_id (a row of the journal's ``queued`` table), owner, claimed_at

A claim's primary key is what makes "is anybody processing or has anybody answered this
message?" and "then I am" one atomic step across processes: two processes inserting the same
key cannot both succeed. ``broker_outbox`` says which process publishes which answer waiting
in the journal's ``queued`` table (the outbox). Rows of instances whose heartbeat is older than
the lease are taken over by compare-and-set updates.
"""

from __future__ import annotations

import sqlalchemy as sa

from mockkpr.journal.tables import UtcDateTime

metadata = sa.MetaData()

instances = sa.Table(
    "broker_instances",
    metadata,
    sa.Column("instance_id", sa.String(64), primary_key=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("heartbeat_at", UtcDateTime(), nullable=False),
)

claims = sa.Table(
    "broker_claims",
    metadata,
    # The sender's HER-id ('' when unknown) and the AMQP message-id; "group:" keys lock the
    # reassembly of a split message.
    sa.Column("sender_key", sa.Text(), primary_key=True),
    sa.Column("message_id", sa.Text(), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("claimed_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("done", sa.Boolean(), nullable=False, default=False),
)

outbox = sa.Table(
    "broker_outbox",
    metadata,
    # No foreign key: a journal reset deletes queued rows without knowing of this table.
    sa.Column("queued_id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("owner", sa.String(64), nullable=False, index=True),
    sa.Column("claimed_at", UtcDateTime(), nullable=False),
)
