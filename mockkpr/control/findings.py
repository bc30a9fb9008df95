"""Findings of a validation report, worst first: ordering, filters, totals per rule, CSV.

Shared by the web view and ``mockkpr messages show``; pure functions on the report's JSON
(``docs/report-schema.json``), no web framework. Worst first means by consequence: the message
rejected (1), a row rejected (2), a value set to -1 (5) or NULL (7), reported only (9); within
a consequence, in document order (as the report lists them).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: Consequences worst first, with their words (Norwegian and English).
CONSEQUENCES: dict[int, tuple[str, str]] = {
    1: ("Meldingen avvises", "Message rejected"),
    2: ("Raden avvises (med underliggende rader)", "Row rejected (with the rows below it)"),
    5: ("Verdien settes til -1", "Value set to -1"),
    7: ("Verdien blankes (NULL)", "Value set to NULL"),
    9: ("Kun tilbakemelding", "Reported only"),
}
#: The columns of the CSV download, in order.
CSV_COLUMNS = ("rule_id", "consequence", "line", "location", "value", "expected",
               "message_no", "message_en", "requirement", "service_type")
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def consequence_of(finding: dict[str, Any]) -> int:
    """The finding's consequence (an unknown or missing one sorts last)."""
    value = finding.get("consequence")
    return value if isinstance(value, int) and value in CONSEQUENCES else 99


def worst_first(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings by consequence, worst first, in document order within each."""
    return sorted(findings, key=consequence_of)


@dataclass(frozen=True)
class RuleTotal:
    """How often one rule was broken, with its words (from the first finding kept)."""

    rule_id: str
    consequence: int
    count: int
    message_no: str
    message_en: str
    requirement: str


def rule_totals(report: dict[str, Any]) -> list[RuleTotal]:
    """Every rule the report counted, worst consequence first, then most frequent.

    Counts come from the report's totals, so findings beyond its ``max_findings`` count too;
    a rule whose findings were all left out has no words (empty strings).
    """
    findings = report.get("findings") or []
    first: dict[str, dict[str, Any]] = {}
    for finding in findings:
        first.setdefault(str(finding.get("rule_id")), finding)
    per_rule: dict[str, int] = dict((report.get("totals") or {}).get("per_rule") or {})
    if not per_rule:
        per_rule = dict(Counter(str(f.get("rule_id")) for f in findings))
    totals = []
    for rule_id, count in per_rule.items():
        finding = first.get(rule_id, {})
        message = finding.get("message") or {}
        totals.append(RuleTotal(rule_id, consequence_of(finding) if finding else 99,
                                int(count), str(message.get("no", "")),
                                str(message.get("en", "")), str(finding.get("requirement", ""))))
    return sorted(totals, key=lambda t: (t.consequence, -t.count, t.rule_id))


def consequence_totals(report: dict[str, Any]) -> dict[int, int]:
    """Findings per consequence, worst first (from the report's totals when it has them)."""
    given = (report.get("totals") or {}).get("per_consequence") or {}
    if given:
        counted = {int(k): int(v) for k, v in given.items()}
    else:
        counted = dict(Counter(consequence_of(f) for f in report.get("findings") or []))
    return {c: counted[c] for c in sorted(counted) if counted[c]}


def select(findings: Sequence[dict[str, Any]], *, rule: str | None = None,
           consequence: int | None = None, line: int | None = None) -> list[dict[str, Any]]:
    """The findings that match every filter given, worst first."""
    chosen = [f for f in findings
              if (rule is None or f.get("rule_id") == rule)
              and (consequence is None or f.get("consequence") == consequence)
              and (line is None or f.get("line") == line)]
    return worst_first(chosen)


def csv_row(finding: dict[str, Any]) -> list[str]:
    """One finding as the CSV download's cells."""
    message = finding.get("message") or {}
    values = [finding.get("rule_id"), finding.get("consequence"), finding.get("line"),
              finding.get("location"), finding.get("value"), finding.get("expected"),
              message.get("no"), message.get("en"), finding.get("requirement"),
              finding.get("service_type")]
    return [_cell("" if v is None else str(v)) for v in values]


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ would start a formula (a plain
    number such as -1 stays as it is)."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def to_csv(findings: Iterable[dict[str, Any]]) -> str:
    """The findings as CSV (header row first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for finding in findings:
        writer.writerow(csv_row(finding))
    return out.getvalue()


def lines_with_findings(findings: Iterable[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Line number → the findings on that line, worst first."""
    by_line: dict[int, list[dict[str, Any]]] = {}
    for finding in findings:
        line = finding.get("line")
        if isinstance(line, int) and line > 0:
            by_line.setdefault(line, []).append(finding)
    return {line: worst_first(found) for line, found in by_line.items()}
