"""Reports as text for people, JSON for programs (docs/report-schema.json) and JUnit XML for CI."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from lxml import etree

from mockkpr import __version__
from mockkpr.iplos.findings import Consequence, Finding, Report
from mockkpr.iplos.formats import DocumentFormat
from mockkpr.iplos.rules.registry import REGISTRY

REPORT_SCHEMA_VERSION = "1"

# --fail-on levels: the least serious consequence that makes the run fail.
FAIL_LEVELS: dict[str, int] = {
    "message": Consequence.REJECT_MESSAGE.severity,
    "row": Consequence.REJECT_ROW.severity,
    "value": Consequence.SET_NULL.severity,
    "report": Consequence.REPORT_ONLY.severity,
}


def fails(report: Report, level: str = "message") -> bool:
    """True when the report is rejected or has a finding at or above the ``--fail-on`` level."""
    threshold = FAIL_LEVELS[level]
    worst = report.worst
    return not report.accepted or (worst is not None and worst.severity >= threshold)


# ------------------------------------------------------------------------- JSON
def _format_json(fmt: DocumentFormat | None) -> dict[str, Any] | None:
    if fmt is None:
        return None
    return {"kind": fmt.kind.value, "generation": fmt.generation.value if fmt.generation else None,
            "namespace": fmt.namespace, "label": fmt.label}


def finding_json(finding: Finding) -> dict[str, Any]:
    """One finding as a JSON object (the ``findings`` items of the report schema)."""
    return {
        "rule_id": finding.rule_id,
        "consequence": int(finding.consequence),
        "location": finding.location,
        "line": finding.line,
        "value": finding.value,
        "expected": finding.expected,
        "message": {"no": finding.message_no, "en": finding.message_en},
        "requirement": finding.requirement,
        "service_type": finding.service_type,
    }


def report_json(report: Report) -> dict[str, Any]:
    """One report as a JSON object (the ``reports`` items of the report schema)."""
    worst = report.worst
    found: dict[str, Any] = {
        "source": report.source,
        "format": _format_json(report.document_format),
        "identity_format": _format_json(report.identity_format),
        "year": report.year,
        "kommune": report.kommune,
        "verdict": {
            "accepted": report.accepted,
            "worst_consequence": int(worst) if worst is not None else None,
        },
        "rows": {"total": report.rows.total, "kept": report.rows.kept,
                 "dropped": report.rows.dropped, "blanked": report.rows.blanked},
        "totals": {
            "per_rule": dict(sorted(report.totals_per_rule.items())),
            "per_service_type": {str(k): v for k, v in
                                 sorted(report.totals_per_service_type.items())},
            "per_consequence": {str(int(k)): v for k, v in
                                sorted(report.totals_per_consequence.items())},
        },
        "findings": [finding_json(f) for f in report.findings],
        "findings_truncated": report.findings_truncated,
    }
    if report.identity_source is not None:
        found["identity"] = dict(report.identity_source)
    return found


def to_json(reports: list[Report]) -> str:
    """The JSON document for one or more reports."""
    document = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": "mockkpr", "version": __version__},
        "reports": [report_json(r) for r in reports],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# ------------------------------------------------------------------------- text
def identity_line(source: dict[str, Any]) -> str:
    """Which identity message was joined, in one line."""
    if source.get("joined"):
        return (f"Identity message / identmelding: {source.get('message_id')} "
                f"(MsgId {source.get('msg_id')}, received {source.get('received_at')})")
    return ("Identity message / identmelding: none received before this file for kommune "
            f"{source.get('kommune')}, {source.get('year')}")


def _grouped(report: Report) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        groups[finding.rule_id].append(finding)
    return groups


def to_text(reports: list[Report], *, max_per_rule: int = 20) -> str:
    """A readable summary per report, findings grouped by rule, in Norwegian and English."""
    out: list[str] = []
    for report in reports:
        fmt = report.document_format or report.identity_format
        what = fmt.label if fmt else "unknown format / ukjent format"
        where = ", ".join(p for p in (
            f"kommune {report.kommune}" if report.kommune else "",
            f"year {report.year}" if report.year else "") if p)
        out.append(f"{report.source}: {what}" + (f" ({where})" if where else ""))
        if report.identity_source is not None:
            out.append("  " + identity_line(report.identity_source))
        verdict = "ACCEPTED / GODKJENT" if report.accepted else "REJECTED / AVVIST"
        total = sum(report.totals_per_rule.values())
        out.append(f"  Verdict: {verdict} - {total} finding(s) / funn")
        rows = report.rows
        out.append(f"  Rows: {rows.total} total, {rows.kept} kept, {rows.dropped} rejected; "
                   f"{rows.blanked} value(s) blanked")
        for rule_id, findings in sorted(_grouped(report).items()):
            rule = REGISTRY[rule_id]
            count = report.totals_per_rule[rule_id]
            out.append("")
            out.append(f"  {rule_id}  x{count}  [{rule.consequence.value}: "
                       f"{rule.consequence.label}]")
            out.append(f"    no: {rule.message_no}")
            out.append(f"    en: {rule.message_en}")
            for finding in findings[:max_per_rule]:
                line = f" (line {finding.line})" if finding.line else ""
                value = f"value {finding.value!r}, " if finding.value is not None else ""
                out.append(f"    - {finding.location}{line}: {value}expected {finding.expected}")
            if count > min(len(findings), max_per_rule):
                out.append(f"    ... and {count - min(len(findings), max_per_rule)} more")
        if report.totals_per_service_type:
            per_type = ", ".join(f"{k}: {v}" for k, v in
                                 sorted(report.totals_per_service_type.items()))
            out.append("")
            out.append(f"  Findings per service type / funn per tjenestetype: {per_type}")
        if report.findings_truncated:
            out.append(f"  (only the first {report.max_findings} findings are listed)")
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------------- JUnit
def to_junit(reports: list[Report], *, fail_on: str = "message") -> bytes:
    """JUnit XML: one suite per report, one case per rule that applies to its format.

    A rule's case fails when it has findings at or above ``fail_on``; findings below that
    level are listed in the case's ``system-out``.
    """
    threshold = FAIL_LEVELS[fail_on]
    suites = etree.Element("testsuites", name="mockkpr validate")
    for report in reports:
        groups = _grouped(report)
        kinds = {f.kind for f in (report.document_format, report.identity_format) if f}
        generations = {f.generation for f in (report.document_format,) if f and f.generation}
        applicable = [r for r in REGISTRY if r.id in report.totals_per_rule or (
            kinds & r.kinds and (not generations or generations & r.generations))]
        suite = etree.SubElement(suites, "testsuite", name=report.source,
                                 tests=str(len(applicable)))
        failures = 0
        for rule in applicable:
            case = etree.SubElement(suite, "testcase", classname=report.source, name=rule.id)
            findings = groups.get(rule.id, [])
            count = report.totals_per_rule.get(rule.id, 0)
            if not count:
                continue
            text = "\n".join(f"{f.location} (line {f.line}): value {f.value!r}, expected "
                             f"{f.expected}" for f in findings)
            if rule.consequence.severity >= threshold:
                failures += 1
                failure = etree.SubElement(
                    case, "failure", type=f"consequence-{rule.consequence.value}",
                    message=f"{count} x {rule.message_en}")
                failure.text = text
            else:
                etree.SubElement(case, "system-out").text = text
        suite.set("failures", str(failures))
    return bytes(etree.tostring(suites, xml_declaration=True, encoding="UTF-8",
                                pretty_print=True))
