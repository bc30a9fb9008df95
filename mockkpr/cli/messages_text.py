"""Text for people from the control API's JSON (used by ``mockkpr messages``)."""

from __future__ import annotations

from typing import Any

from mockkpr.control.findings import CONSEQUENCES, consequence_totals, worst_first

#: Findings printed by ``show``, worst first; the rest are counted (all are in ``--feedback``).
SHOWN_FINDINGS = 20

_COLUMNS = ("id", "received (UTC)", "message-id", "sender", "subject", "outcome", "apprec",
            "error")


def _time(value: str | None) -> str:
    """``2024-05-01T12:00:00.123456Z`` as ``2024-05-01 12:00:00``."""
    return "" if not value else value.replace("T", " ")[:19]


def table_text(items: list[dict[str, Any]], *, total: int, offset: int = 0) -> str:
    """One line per entry under a header, then how many of ``total`` were shown."""
    if not items:
        return "No messages." if total == 0 else f"No messages here ({total} in all)."
    rows = [
        [str(item["id"]), _time(item["received_at"]), item["message_id"],
         item["sender_her_id"] or "-", item["subject"] or "-", item["outcome"],
         item["apprec_status"] or "", item["error_condition"] or ""]
        for item in items
    ]
    widths = [max(len(row[i]) for row in [list(_COLUMNS), *rows]) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in [list(_COLUMNS), *rows]]
    lines.append(f"({offset + 1}-{offset + len(items)} of {total})")
    return "\n".join(lines)


def _report_lines(report: dict[str, Any]) -> list[str]:
    verdict = report.get("verdict", {})
    rows = report.get("rows", {})
    findings = report.get("findings", [])
    counted = sum(report.get("totals", {}).get("per_rule", {}).values())
    lines = [
        f"report:     {'accepted' if verdict.get('accepted') else 'rejected'}"
        f" (worst consequence {verdict.get('worst_consequence')}); rows {rows.get('total')} "
        f"total, {rows.get('kept')} kept, {rows.get('dropped')} dropped, "
        f"{rows.get('blanked')} blanked; {counted} findings",
    ]
    per_consequence = consequence_totals(report)
    if per_consequence:
        lines.append("  " + ", ".join(
            f"{CONSEQUENCES[c][1].lower() if c in CONSEQUENCES else c}: {n}"
            for c, n in per_consequence.items()))
    for finding in worst_first(findings)[:SHOWN_FINDINGS]:
        value = finding.get("value")
        lines.append(
            f"  [{finding['consequence']}] {finding['rule_id']} {finding['location']}"
            + (f" line {finding['line']}" if finding.get("line") else "")
        )
        lines.append(f"      {finding['message']['en']}"
                     + (f" (value {value!r}, expected {finding['expected']})"
                        if value is not None else f" (expected {finding['expected']})"))
    if counted > min(len(findings), SHOWN_FINDINGS):
        lines.append(f"  ... {counted - min(len(findings), SHOWN_FINDINGS)} more; "
                     "see `mockkpr messages show --feedback`")
    return lines


def entry_text(entry: dict[str, Any]) -> str:
    """Everything about one entry (``GET /api/messages/{id}``) in a readable block."""
    outcome = entry["outcome"]
    if entry.get("apprec_status"):
        outcome += f" (AppRec status {entry['apprec_status']})"
    lines = [
        f"message-id: {entry['message_id']}  (journal id {entry['id']})",
        f"MsgId:      {entry.get('msg_id') or '-'}",
        f"received:   {_time(entry['received_at'])} UTC on {entry['queue']}"
        + (f" by {entry['user']}" if entry.get("user") else ""),
        f"from -> to: {entry['sender_her_id'] or '-'} -> {entry['receiver_her_id'] or '-'}",
        f"subject:    {entry['subject'] or '-'}  ({entry['body_size']} bytes)",
        f"outcome:    {outcome}",
    ]
    if entry.get("error_condition"):
        lines.append(f"error:      {entry['error_condition']}: {entry['error_description']}")
        lines.extend(f"            {item}" for item in entry.get("error_data", []))
    if entry.get("report"):
        lines.extend(_report_lines(entry["report"]))
    answers = entry.get("answers", [])
    lines.append("answers:" + ("" if answers else "    none"))
    lines.extend(
        f"  {a['kind']} -> {a['queue']} at {_time(a['sent_at'])} (message-id "
        f"{a['message_id']}, {a['body_size']} bytes)"
        for a in answers
    )
    return "\n".join(lines)
