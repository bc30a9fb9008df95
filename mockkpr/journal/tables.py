"""The journal's tables, in portable SQLAlchemy Core (SQLite and PostgreSQL).

Layout (schema version 6: what a sender writes — ids, subjects, HER-ids, addresses — is
unbounded text, so a long value is stored on PostgreSQL too; version 5 added ``groups`` and
made SQLite files with incremental auto-vacuum; version 4 added ``answers.document``,
``entries.envelope`` and the conformance tables; version 3 ``entries.details``,
``answers.disposition`` and ``answers.settled_at``; version 2 ``queued.not_before``)::

    schema_version  version
    entries         id, message_id, msg_id, received_at, queue, user_name, sender_her_id,
                    receiver_her_id, subject, properties (JSON), application_properties (JSON),
                    body_size, outcome, msghead (JSON), apprec_status, error_condition,
                    error_description, error_data (JSON list), answered_at, details (JSON),
                    envelope (binary), report (JSON), payload (binary)
    answers         id, entry_id -> entries.id, kind, sent_at, disposition, settled_at,
                    document (binary), <message columns>
    queued          id, queue, enqueued_at, delivery_count, not_before, <message columns>
    parts           id, group_id, sender_key, sequence, part_count, body, meta (JSON),
                    received_at; unique (group_id, sender_key, sequence)
    groups          id, group_id, sender_key, part_count, received, bytes, first_received_at,
                    meta (JSON, the first part's); unique (group_id, sender_key): one row per
                    incomplete group, so its bounds are checked without reading its parts
    conformance_runs   id, run_id (unique), recorded_at, run (JSON)
    conformance_cases  id, run_id -> conformance_runs.run_id, case_id, status, recorded_at,
                       result (JSON)

``<message columns>`` hold one :class:`~mockkpr.service.messages.OutboundMessage`:
``to_queue`` (its ``queue``), ``message_id``, ``subject``, ``content_type``,
``application_properties`` (JSON), ``body``, ``correlation_id``, ``to_address``, ``reply_to``.
Ids are never reused, not even after a reset (SQLite ``AUTOINCREMENT``, PostgreSQL sequences), so
an ``after_id`` or a queue id held by a caller never points at a different row.
Datetimes are stored in UTC. There is no migration framework yet: :data:`SCHEMA_VERSION` is
written on creation and checked on open.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

#: Bumped whenever a table changes; an existing database with another version is refused.
SCHEMA_VERSION = 6

metadata = sa.MetaData()


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC; naive values are refused.

    SQLite keeps no offset, so values are converted to UTC before they are written and marked
    UTC when read; PostgreSQL's ``timestamptz`` does the same by itself.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC (without offset on SQLite, whose column cannot hold one)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the journal")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return an aware datetime in UTC."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json() -> sa.JSON:
    # none_as_null: Python None is SQL NULL, not the JSON text 'null'.
    return sa.JSON(none_as_null=True)


def _message_columns() -> list[sa.Column[Any]]:
    """The columns of one OutboundMessage (answers and queued messages)."""
    return [
        sa.Column("to_queue", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("application_properties", _json(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("correlation_id", sa.Text()),
        sa.Column("to_address", sa.Text()),
        sa.Column("reply_to", sa.Text()),
    ]


schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
)

#: The entries' columns the web view's list filters on (in the indexes below).
_LISTED = ("outcome", "sender_her_id", "subject", "apprec_status", "received_at", "message_id",
           "msg_id")

entries = sa.Table(
    "entries",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("message_id", sa.Text(), nullable=False, index=True),
    sa.Column("msg_id", sa.Text(), index=True),
    sa.Column("received_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("queue", sa.Text(), nullable=False),
    sa.Column("user_name", sa.Text()),
    sa.Column("sender_her_id", sa.Text()),
    sa.Column("receiver_her_id", sa.Text()),
    sa.Column("subject", sa.Text()),
    sa.Column("properties", _json(), nullable=False),
    sa.Column("application_properties", _json(), nullable=False),
    sa.Column("body_size", sa.BigInteger(), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("msghead", _json()),
    sa.Column("apprec_status", sa.String(8)),
    sa.Column("error_condition", sa.String(255)),
    sa.Column("error_description", sa.Text()),
    sa.Column("error_data", _json(), nullable=False),
    sa.Column("answered_at", UtcDateTime()),
    # What the endpoint observed (wire.*, cms.*, group.*): JournalEntry.details.
    sa.Column("details", _json(), nullable=False),
    # The decrypted MsgHead with its document left out (JournalEntry.envelope).
    sa.Column("envelope", sa.LargeBinary()),
    # The large columns last: SQLite reads a column after a large value only by walking that
    # value's overflow pages, so the list's columns come first.
    sa.Column("report", _json()),
    sa.Column("payload", sa.LargeBinary()),
    # The indexes on outcome, sender and subject hold every column the web view's list filters
    # on, so that its queries read an index, never the rows (which hold payloads and reports):
    # a full journal lists fast whatever the filter (mockkpr.journal.browse).
    *(sa.Index(f"ix_entries_{first}", first, *(c for c in _LISTED if c != first))
      for first in ("outcome", "sender_her_id", "subject")),
    sqlite_autoincrement=True,
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column(
        "entry_id",
        sa.Integer(),
        sa.ForeignKey("entries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=False),
    # How the sender settled its delivery (accepted, rejected, released, modified) and when.
    sa.Column("disposition", sa.String(16)),
    sa.Column("settled_at", UtcDateTime()),
    # The answer's document before signing and encryption (the AppRec XML); NULL for none.
    sa.Column("document", sa.LargeBinary()),
    *_message_columns(),
    sa.Index("ix_answers_message_id", "message_id"),
    sqlite_autoincrement=True,
)

queued = sa.Table(
    "queued",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("queue", sa.Text(), nullable=False, index=True),
    sa.Column("enqueued_at", UtcDateTime(), nullable=False),
    sa.Column("delivery_count", sa.Integer(), nullable=False, default=0),
    # Held until the endpoint's clock reaches it (a late AppRec); NULL: deliver at once.
    sa.Column("not_before", UtcDateTime()),
    *_message_columns(),
    sqlite_autoincrement=True,
)

parts = sa.Table(
    "parts",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("group_id", sa.Text(), nullable=False),
    # The sender's HER-id, or '' when unknown: NULL would defeat the unique constraint.
    sa.Column("sender_key", sa.Text(), nullable=False),
    sa.Column("sequence", sa.Integer(), nullable=False),
    sa.Column("part_count", sa.Integer(), nullable=False),
    sa.Column("body", sa.LargeBinary(), nullable=False),
    sa.Column("meta", _json(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False, index=True),
    sa.UniqueConstraint("group_id", "sender_key", "sequence", name="uq_parts_group_sequence"),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("group_id", sa.Text(), nullable=False),
    sa.Column("sender_key", sa.Text(), nullable=False),  # as in parts
    sa.Column("part_count", sa.Integer(), nullable=False),
    sa.Column("received", sa.Integer(), nullable=False),  # parts stored
    sa.Column("bytes", sa.BigInteger(), nullable=False),  # their bodies' bytes
    sa.Column("first_received_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("meta", _json(), nullable=False),  # the first stored part's
    sa.UniqueConstraint("group_id", "sender_key", name="uq_groups_group"),
    # a sender's open groups and bytes, counted and summed from the index alone
    sa.Index("ix_groups_sender_bytes", "sender_key", "bytes"),
)

# Conformance runs (mockkpr certify, the pytest plugin) that judged senders against this
# endpoint: kept across resets (the harness resets the journal before each of its runs).
conformance_runs = sa.Table(
    "conformance_runs",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("run_id", sa.String(64), nullable=False, unique=True),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("run", _json(), nullable=False),
    sqlite_autoincrement=True,
)

conformance_cases = sa.Table(
    "conformance_cases",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("run_id", sa.String(64),
              sa.ForeignKey("conformance_runs.run_id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("result", _json(), nullable=False),
    sa.UniqueConstraint("run_id", "case_id", name="uq_conformance_cases_run_case"),
    sqlite_autoincrement=True,
)
