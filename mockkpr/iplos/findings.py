"""Findings and the report: the values a validation produces.

A finding says which rule failed, where, on which value, what was expected and what KPR does
about it (the consequence). The report gathers them with the verdict and the row counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from mockkpr.iplos.formats import DocumentFormat


class Consequence(IntEnum):
    """What KPR does when a rule fails (iplos-format.md §4); values as in the annotations."""

    REJECT_MESSAGE = 1
    REJECT_ROW = 2
    SET_MINUS_ONE = 5
    SET_NULL = 7
    REPORT_ONLY = 9

    @property
    def label(self) -> str:
        return _CONSEQUENCE_LABELS[self]

    @property
    def severity(self) -> int:
        """Higher is worse: 4 message rejected, 3 row rejected, 2 value blanked, 1 report only."""
        return {1: 4, 2: 3, 5: 2, 7: 2, 9: 1}[self.value]


_CONSEQUENCE_LABELS = {
    Consequence.REJECT_MESSAGE: "reject message / avvis meldingen",
    Consequence.REJECT_ROW: "reject row and its children / avvis raden",
    Consequence.SET_MINUS_ONE: "value set to -1 / verdien settes til -1",
    Consequence.SET_NULL: "value set to NULL / verdien blankes",
    Consequence.REPORT_ONLY: "reported only / kun tilbakemelding",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One failed rule at one place in one document."""

    rule_id: str
    consequence: Consequence
    location: str
    value: str | None
    expected: str
    message_no: str
    message_en: str
    requirement: str
    line: int | None = None
    service_type: int | None = None


@dataclass(slots=True)
class RowCounts:
    """Rows seen, rows rejected (with their children) and single values blanked."""

    total: int = 0
    dropped: int = 0
    blanked: int = 0

    @property
    def kept(self) -> int:
        return self.total - self.dropped


@dataclass
class Report:
    """The verdict on one submission (an IPLOS document, optionally joined with its identities).

    ``findings`` holds at most ``max_findings`` entries; ``totals_per_rule`` and
    ``totals_per_service_type`` always count every finding.
    """

    source: str
    document_format: DocumentFormat | None = None
    identity_format: DocumentFormat | None = None
    year: int | None = None
    kommune: str | None = None
    rows: RowCounts = field(default_factory=RowCounts)
    findings: list[Finding] = field(default_factory=list)
    totals_per_rule: Counter[str] = field(default_factory=Counter)
    totals_per_service_type: Counter[int] = field(default_factory=Counter)
    totals_per_consequence: Counter[Consequence] = field(default_factory=Counter)
    max_findings: int = 10_000
    findings_truncated: bool = False
    identity_source: dict[str, Any] | None = None
    """Which identity message an annual file was joined with (the endpoint sets it):
    ``joined`` (bool); the ``journal_id``, ``message_id``, ``msg_id`` and ``received_at`` of
    the one used; the ``kommune``, ``year`` and ``bydel`` looked for."""

    @property
    def accepted(self) -> bool:
        """True unless a finding rejects the whole message."""
        return self.totals_per_consequence[Consequence.REJECT_MESSAGE] == 0

    @property
    def rejection_reasons(self) -> list[Finding]:
        """The kept findings that reject the message (empty when accepted)."""
        return [f for f in self.findings if f.consequence is Consequence.REJECT_MESSAGE]

    @property
    def worst(self) -> Consequence | None:
        """The most serious consequence among all findings, or None when there are none."""
        present = [c for c, n in self.totals_per_consequence.items() if n]
        return max(present, key=lambda c: c.severity) if present else None

    def add(self, finding: Finding) -> None:
        """Record a finding: count it always, keep it while under ``max_findings``."""
        self.totals_per_rule[finding.rule_id] += 1
        self.totals_per_consequence[finding.consequence] += 1
        if finding.service_type is not None:
            self.totals_per_service_type[finding.service_type] += 1
        if len(self.findings) < self.max_findings:
            self.findings.append(finding)
        else:
            self.findings_truncated = True
