"""``GET /``: a small HTML page of recent messages (no scripts; every value escaped)."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from mockkpr import __version__
from mockkpr.journal.models import JournalEntry

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; }
th { background: #f4f4f4; }
.accepted { color: #17612b; } .rejected, .transport-error { color: #a31515; }
.partial, .duplicate { color: #8a5a00; } .pending { color: #555; }
code { font-size: 0.85rem; }
"""


def _cell(value: object) -> str:
    return f"<td>{escape('' if value is None else str(value))}</td>"


def _row(entry: JournalEntry) -> str:
    base = f"/api/messages/{quote(entry.message_id, safe='')}"
    outcome = escape(entry.outcome.value)
    links = " ".join(
        f'<a href="{escape(base + suffix)}">{label}</a>'
        for suffix, label in (("", "details"), ("/feedback", "feedback"),
                              ("/payload", "payload"))
    )
    problem = entry.error_condition or ""
    return (
        "<tr>"
        + _cell(entry.id)
        + _cell(entry.received_at.strftime("%Y-%m-%d %H:%M:%S"))
        + f"<td><code>{escape(entry.message_id)}</code></td>"
        + _cell(entry.sender_her_id)
        + _cell(entry.subject)
        + f'<td class="{outcome}">{outcome}</td>'
        + _cell(entry.apprec_status)
        + _cell(problem)
        + f"<td>{links}</td>"
        + "</tr>"
    )


def render_page(entries: list[JournalEntry], total: int, checks: dict[str, bool]) -> str:
    """The page: readiness checks, then the newest ``entries`` of ``total``."""
    check_text = ", ".join(
        f"{escape(name)}: {'ok' if ok else 'NOT READY'}" for name, ok in sorted(checks.items())
    )
    header = "".join(
        f"<th>{name}</th>"
        for name in ("id", "received (UTC)", "message-id", "sender", "subject", "outcome",
                     "AppRec", "error", "")
    )
    rows = "\n".join(_row(e) for e in entries) or (
        '<tr><td colspan="9">No messages received yet.</td></tr>'
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>mockkpr: received messages</title>
<style>{_STYLE}</style></head>
<body>
<h1>mockkpr {escape(__version__)}: received messages</h1>
<p>Readiness: {check_text or "no checks"}.
Showing the newest {len(entries)} of {total}.
API: <a href="/docs">/docs</a>, <a href="/api/messages">/api/messages</a>,
<a href="/metrics">/metrics</a>.</p>
<table>
<thead><tr>{header}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""
