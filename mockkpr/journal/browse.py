"""Read queries for the web view: pages of summaries, counts, one answer, conformance runs.

Kept apart from :mod:`.store` (the endpoint's hot path): every query here selects only the
columns a page shows, so that listing 10,000 entries never reads a payload, a report or an
answer body; the list's filters and counts read an index alone (the indexes on outcome,
sender and subject hold every column they filter on: :mod:`.tables`). Pages
are keyset pages on the journal id (``before``/``after``), which cost the same on the first
page and the last.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from mockkpr.journal import _rows
from mockkpr.journal import tables as t
from mockkpr.journal.models import AnswerRecord, JournalEntry, MessageFilter, Outcome
from mockkpr.journal.store import Journal

#: Conformance runs kept; older ones (and their cases) are deleted when a run is recorded.
MAX_CONFORMANCE_RUNS = 100
#: Outcomes whose entry carries an accepted identity document (the join's candidates).
_SUMMARY_COLUMNS = ("id", "message_id", "msg_id", "received_at", "sender_her_id",
                    "receiver_her_id", "subject", "outcome", "apprec_status", "error_condition",
                    "body_size", "answered_at", "queue")


@dataclass(frozen=True)
class Summary:
    """One line of the messages list."""

    id: int
    message_id: str
    msg_id: str | None
    received_at: datetime
    sender_her_id: str | None
    receiver_her_id: str | None
    subject: str | None
    outcome: Outcome
    apprec_status: str | None
    error_condition: str | None
    body_size: int
    answered_at: datetime | None
    queue: str = ""  # KPR's queue, or "http" for a submission over the HTTP API


@dataclass(frozen=True)
class Page:
    """A page of summaries, newest first, and whether there are newer or older ones."""

    items: list[Summary]
    newer: bool
    older: bool


@dataclass(frozen=True)
class Waiting:
    """An answer still in one of the endpoint's queues (not yet taken by its consumer)."""

    message_id: str
    queue: str
    delivery_count: int
    enqueued_at: datetime
    not_before: datetime | None


class Browser:
    """The web view's queries over one :class:`Journal`."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    # -- the list ---------------------------------------------------------------------------

    def page(self, flt: MessageFilter, *, before: int | None = None, after: int | None = None,
             limit: int = 50) -> Page:
        """Up to ``limit`` summaries matching ``flt``, newest first.

        ``before``: the page of entries older than that id; ``after``: the page just newer
        than it; neither: the newest page. The matching ids come from the list index alone
        (a few milliseconds for 10,000 entries, whatever the filter); only the page's rows
        are read.
        """
        e = t.entries.c
        where = _rows.conditions(flt)
        if not where:
            return self._unfiltered(before, after, limit)
        ids_query = sa.select(e.id).where(*where)
        with self.journal.reading() as conn:
            ids = sorted(conn.execute(ids_query).scalars(), reverse=True)
            if after is not None:
                newer_ids = [i for i in ids if i > after]
                chosen = newer_ids[-limit:]
            else:
                chosen = [i for i in ids if before is None or i < before][:limit]
            rows = conn.execute(sa.select(*[e[name] for name in _SUMMARY_COLUMNS])
                                .where(e.id.in_(chosen)).order_by(e.id.desc())) \
                .mappings().all() if chosen else []
        items = [Summary(**{**row, "outcome": Outcome(row["outcome"])}) for row in rows]
        if items:
            newer = bool(ids) and ids[0] > items[0].id
            older = bool(ids) and ids[-1] < items[-1].id
        else:
            newer = before is not None and any(i >= before for i in ids)
            older = after is not None and any(i <= after for i in ids)
        return Page(items, newer, older)

    def _unfiltered(self, before: int | None, after: int | None, limit: int) -> Page:
        """:meth:`page` without a filter: straight down the primary key."""
        e = t.entries.c
        columns = [e[name] for name in _SUMMARY_COLUMNS]
        if after is not None:
            query = sa.select(*columns).where(e.id > after).order_by(e.id).limit(limit)
        else:
            bound = [e.id < before] if before is not None else []
            query = sa.select(*columns).where(*bound).order_by(e.id.desc()).limit(limit)
        with self.journal.reading() as conn:
            rows = sorted(conn.execute(query).mappings().all(), key=lambda r: -r["id"])
            lowest, highest = conn.execute(sa.select(sa.func.min(e.id), sa.func.max(e.id))).one()
        items = [Summary(**{**row, "outcome": Outcome(row["outcome"])}) for row in rows]
        if items:
            return Page(items, highest > items[0].id, lowest < items[-1].id)
        return Page(items, before is not None and highest is not None and highest >= before,
                    after is not None and lowest is not None and lowest <= after)

    def counts(self, flt: MessageFilter) -> dict[Outcome, int]:
        """Entries matching ``flt`` (whatever its outcome) per outcome."""
        e = t.entries.c
        query = sa.select(e.outcome, sa.func.count()).where(
            *_rows.conditions(replace(flt, outcome=None))
        ).group_by(e.outcome)
        with self.journal.reading() as conn:
            return {Outcome(outcome): int(n) for outcome, n in conn.execute(query)}

    def state(self) -> str:
        """A token that changes whenever an entry is recorded, completed or deleted."""
        e = t.entries.c
        query = sa.select(sa.func.max(e.id), sa.func.count(),
                          sa.func.count(sa.case((e.outcome == Outcome.PENDING.value, 1))))
        with self.journal.reading() as conn:
            newest, total, pending = conn.execute(query).one()
        return f"{self.journal.generation}-{newest or 0}-{total}-{pending}"

    # -- one entry --------------------------------------------------------------------------

    def entry(self, entry_id: int, *, with_payload: bool = False,
              with_report: bool = True) -> JournalEntry | None:
        """The entry with its answers and envelope outline; the report unless not
        ``with_report``, the payload only ``with_payload``."""
        e = t.entries.c
        skip = {"payload"} if not with_payload else set()
        if not with_report:
            skip.add("report")
        columns = [c for c in t.entries.c if c.name not in skip]
        with self.journal.reading() as conn:
            row = conn.execute(sa.select(*columns).where(e.id == entry_id)).mappings().first()
            if row is None:
                return None
            a = t.answers.c
            answers = [_rows.answer_from_row(r) for r in conn.execute(
                sa.select(t.answers).where(a.entry_id == entry_id).order_by(a.id)).mappings()]
        return _rows.entry_from_row(row, answers)

    def report(self, entry_id: int) -> dict[str, Any] | None:
        """The validation report of an entry (None: none, or no such entry)."""
        e = t.entries.c
        with self.journal.reading() as conn:
            value = conn.execute(sa.select(e.report).where(e.id == entry_id)).scalar()
        return dict(value) if isinstance(value, dict) else None

    def payload(self, entry_id: int) -> bytes | None:
        """The decrypted payload of an entry (None: no such entry, or none kept)."""
        e = t.entries.c
        with self.journal.reading() as conn:
            value = conn.execute(sa.select(e.payload).where(e.id == entry_id)).scalar()
        return None if value is None else bytes(value)

    def answer(self, entry_id: int, index: int) -> AnswerRecord | None:
        """The ``index``-th answer (0-based, in the order sent) of an entry, with its body."""
        if index < 0:
            return None
        a = t.answers.c
        query = sa.select(t.answers).where(a.entry_id == entry_id).order_by(a.id) \
            .offset(index).limit(1)
        with self.journal.reading() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _rows.answer_from_row(row)

    def waiting(self, message_ids: list[str]) -> list[Waiting]:
        """Answers with these message-ids still queued (a dead-letter queue included)."""
        if not message_ids:
            return []
        q = t.queued.c
        query = sa.select(q.message_id, q.queue, q.delivery_count, q.enqueued_at,
                          q.not_before).where(q.message_id.in_(message_ids)).order_by(q.id)
        with self.journal.reading() as conn:
            return [Waiting(**row) for row in conn.execute(query).mappings()]

    def summary(self, entry_id: int) -> Summary | None:
        """One entry's list columns, None when it is no longer in the journal."""
        e = t.entries.c
        query = sa.select(*[e[name] for name in _SUMMARY_COLUMNS]).where(e.id == entry_id)
        with self.journal.reading() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else Summary(**{**row, "outcome": Outcome(row["outcome"])})

    def existing(self, entry_ids: list[int]) -> set[int]:
        """Which of these entry ids are still in the journal."""
        if not entry_ids:
            return set()
        e = t.entries.c
        with self.journal.reading() as conn:
            return set(conn.execute(sa.select(e.id).where(e.id.in_(entry_ids))).scalars())

    # -- conformance runs -------------------------------------------------------------------

    def record_case(self, run: dict[str, Any], case: dict[str, Any]) -> None:
        """Store one judged case of a conformance run (``run["id"]``), replacing an earlier
        record of the same case; the run's record is created or refreshed with ``run``."""
        run_id = str(run["id"])
        now = datetime.now(UTC)
        r, c = t.conformance_runs.c, t.conformance_cases.c
        with self.journal.writing() as conn:
            known = conn.execute(sa.select(r.id).where(r.run_id == run_id)).scalar()
            if known is None:
                conn.execute(t.conformance_runs.insert(),
                             {"run_id": run_id, "recorded_at": now, "run": run})
                self._prune_runs(conn)
            else:
                conn.execute(t.conformance_runs.update().where(r.id == known)
                             .values(run=run, recorded_at=now))
            conn.execute(t.conformance_cases.delete().where(
                c.run_id == run_id, c.case_id == str(case["id"])))
            conn.execute(t.conformance_cases.insert(), {
                "run_id": run_id, "case_id": str(case["id"]), "status": str(case["status"]),
                "recorded_at": now, "result": case})

    @staticmethod
    def _prune_runs(conn: sa.Connection) -> None:
        r, c = t.conformance_runs.c, t.conformance_cases.c
        cutoff = conn.execute(sa.select(r.id).order_by(r.id.desc())
                              .offset(MAX_CONFORMANCE_RUNS).limit(1)).scalar()
        if cutoff is None:
            return
        doomed = sa.select(r.run_id).where(r.id <= cutoff)
        conn.execute(t.conformance_cases.delete().where(c.run_id.in_(doomed)))
        conn.execute(t.conformance_runs.delete().where(r.id <= cutoff))

    def runs(self) -> list[dict[str, Any]]:
        """Every recorded run, newest first, each with its cases' statuses counted."""
        r, c = t.conformance_runs.c, t.conformance_cases.c
        with self.journal.reading() as conn:
            runs = conn.execute(sa.select(r.run_id, r.recorded_at, r.run)
                                .order_by(r.id.desc())).mappings().all()
            counted = conn.execute(sa.select(c.run_id, c.status, sa.func.count())
                                   .group_by(c.run_id, c.status)).all()
        counts: dict[str, dict[str, int]] = {}
        for run_id, status, n in counted:
            counts.setdefault(run_id, {})[status] = int(n)
        return [{**row["run"], "id": row["run_id"], "recorded_at": row["recorded_at"],
                 "counts": counts.get(row["run_id"], {})} for row in runs]

    def run(self, run_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """One run and its cases (in the order they were judged), or None."""
        r, c = t.conformance_runs.c, t.conformance_cases.c
        with self.journal.reading() as conn:
            row = conn.execute(sa.select(r.recorded_at, r.run).where(r.run_id == run_id)) \
                .mappings().first()
            if row is None:
                return None
            cases = [dict(result) for result in conn.execute(
                sa.select(c.result).where(c.run_id == run_id).order_by(c.id)).scalars()]
        return {**row["run"], "id": run_id, "recorded_at": row["recorded_at"]}, cases
