"""How fast the web view answers with a full journal: 10,000 entries (the default bound).

Run from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/web_pages.py [--entries 10000] [--repeat 30]

Fills a SQLite journal with synthetic entries (each with a 20-finding report, a 20 KB payload
and an AppRec of 3 KB kept as XML and as protected bytes; every tenth an HTTP submission with
a refId), plus one large message (a 5,000
finding report, a 100,000-line document), serves the control API with uvicorn on a free port
and times each page over HTTP (the whole request, server and client on this machine), beside
``/healthz`` as the floor of any request. Writes ``benchmarks/results/web.json``; the target is
under 200 ms for the list pages.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from mockkpr import __version__
from mockkpr.control.app import create_app
from mockkpr.control.metrics import Metrics
from mockkpr.control.server import ControlServer
from mockkpr.journal.models import REF_ID, AnswerRecord, JournalEntry, MessageFilter, Outcome
from mockkpr.journal.store import Journal
from mockkpr.service.messages import CMS_CONTENT_TYPE, OutboundMessage

RESULTS = Path(__file__).parent / "results" / "web.json"
#: The target for list pages with a full journal (issue 16).
LIST_TARGET_MS = 200.0
OUTCOMES = [(Outcome.ACCEPTED, "1"), (Outcome.PARTIAL, "3"), (Outcome.REJECTED, "2"),
            (Outcome.TRANSPORT_ERROR, None)]


def _finding(n: int, consequence: int) -> dict[str, Any]:
    return {"rule_id": f"RULE-{n % 17}", "consequence": consequence,
            "location": f"/IPLOS/PERSON[@pePeID={n}]/TJENESTE[@tjTjID={n}]/tjTimerUke",
            "line": 10 + n * 20, "value": str(n), "expected": "0.01..168",
            "message": {"no": "Timer per uke må være mellom 0,01 og 168",
                        "en": "Hours per week must be between 0.01 and 168"},
            "requirement": "iplos-format.md §4", "service_type": 15}


def _report(findings: int) -> dict[str, Any]:
    kept = [_finding(n, 9 if n % 7 else 2) for n in range(findings)]
    per_rule: dict[str, int] = {}
    for f in kept:
        per_rule[f["rule_id"]] = per_rule.get(f["rule_id"], 0) + 1
    return {"source": "bench", "format": None, "identity_format": None, "year": 2019,
            "kommune": "0301", "verdict": {"accepted": True, "worst_consequence": 2},
            "rows": {"total": findings * 3, "kept": findings * 2, "dropped": findings,
                     "blanked": 0},
            "totals": {"per_rule": per_rule, "per_service_type": {},
                       "per_consequence": {"2": findings // 7 + 1, "9": findings}},
            "findings": kept, "findings_truncated": False}


def _entry(n: int, at: datetime, report: dict[str, Any], payload: bytes) -> JournalEntry:
    outcome, status = OUTCOMES[n % len(OUTCOMES)]
    apprec = (b"<AppRec>" + b"<Error V='T99'/>" * 150 + b"</AppRec>")
    answer = AnswerRecord("apprec" if status else "transport-error", OutboundMessage(
        queue="12345_async", message_id=f"answer-{n}", subject="APPREC",
        content_type=CMS_CONTENT_TYPE, application_properties={"fromHerId": "131725"},
        body=os.urandom(3000), document=apprec if status else None), at)
    http = n % 10 == 0  # every tenth a submission over the HTTP API, with its refId
    return JournalEntry(
        message_id=f"bench-{n:05d}-{os.urandom(8).hex()}", received_at=at,
        queue="http" if http else "131725_async", user="mockkpr-12345",
        sender_her_id="12345" if n % 3 else "23456",
        receiver_her_id="131725", subject="KPR_IPL" if n % 5 else "KPR_IDE",
        properties={"message-id": f"bench-{n}"}, application_properties={"fromHerId": "12345"},
        body_size=len(payload) + 2000, outcome=outcome, payload=payload if status else None,
        msghead={"msg_id": f"msg-{n:05d}", "msg_type": "KPR_IPL"}, apprec_status=status,
        error_condition=None if status else "transport:invalid-certificate",
        report=report if status else None, answers=[answer], answered_at=at,
        details={REF_ID: ref_id(n)} if http else {"wire.connection_id": n})


def ref_id(n: int) -> str:
    """The refId of the ``n``-th synthetic entry (a GUID, as the API makes them)."""
    return str(uuid.UUID(int=n))


def fill(journal: Journal, entries: int) -> tuple[int, int]:
    """``entries`` synthetic entries, then one large one; (a typical id, the large id)."""
    report = _report(20)
    payload = b"\n".join(b"<ROW n='%d'><tjTimerUke>12</tjTimerUke></ROW>" % n
                         for n in range(500))
    start = datetime.now(UTC) - timedelta(days=1)
    ids = [journal.record(_entry(n, start + timedelta(seconds=n * 5), report, payload))
           for n in range(entries - 1)]
    big_payload = b"\n".join(b"<PERSON pePeID='%d'><peKjonn>X</peKjonn></PERSON>" % n
                             for n in range(100_000))
    big = _entry(1, datetime.now(UTC), _report(5000), big_payload)
    return ids[len(ids) // 2], journal.record(big)


def time_page(client: httpx.Client, path: str, repeat: int,
              headers: dict[str, str] | None = None) -> dict[str, float]:
    """Median, 95th percentile and maximum of ``repeat`` GETs (after one warm-up)."""
    client.get(path, headers=headers)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 304), (path, response.status_code)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
            "max_ms": round(times[-1], 1)}


def main() -> None:
    """Fill, serve, time, write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(f"sqlite:///{Path(tmp) / 'journal.sqlite3'}",
                          max_messages=args.entries, max_age_days=None)
        started = time.perf_counter()
        typical, big = fill(journal, args.entries)
        fill_s = time.perf_counter() - started
        oldest = journal.list(MessageFilter(), limit=1, newest_first=False)[0].id
        app = create_app(journal, dict, metrics=Metrics())
        with ControlServer(app, "127.0.0.1", 0) as server, \
                httpx.Client(base_url=server.url, timeout=60) as client:
            etag = client.get("/live/messages").headers["etag"]
            lists = {
                "newest page": "/",
                "outcome filter": "/?outcome=rejected",
                "sender + AppRec filter": "/?sender=23456&apprec=3",
                "message-id search": "/?q=bench-0777",
                "refId search (whole refId: reads details)": f"/?q={ref_id(7770)}",
                "oldest page (keyset)": f"/?before={(oldest or 0) + 40}",
                "time window": "/?since=" + (datetime.now(UTC) - timedelta(hours=6))
                .strftime("%Y-%m-%dT%H:%M"),
                "live refresh, changed": "/live/messages",
            }
            # the floor: a route that does nothing (the HTTP server and client themselves)
            results: dict[str, Any] = {"baseline: /healthz": time_page(client, "/healthz",
                                                                       args.repeat)}
            results.update({name: time_page(client, path, args.repeat)
                            for name, path in lists.items()})
            results["live refresh, unchanged (304)"] = time_page(
                client, "/live/messages", args.repeat, {"if-none-match": etag})
            others = {
                "message page": f"/messages/{typical}",
                "message page, 5,000 findings": f"/messages/{big}",
                "findings page, 5,000 findings": f"/messages/{big}/findings",
                "findings page 20, filtered by rule": f"/messages/{big}/findings?rule=RULE-3",
                "findings CSV, 5,000": f"/messages/{big}/findings.csv",
                "document page, line 90,000 of 100,000": f"/messages/{big}/document?line=90000",
                "AppRec page": f"/messages/{typical}/answers/1",
                "endpoint page": "/endpoint",
            }
            results.update({name: time_page(client, path, args.repeat)
                            for name, path in others.items()})
        journal.close()
    slowest_list = max(results[name]["p95_ms"] for name in lists)
    document = {
        "mockkpr_version": __version__, "python": platform.python_version(),
        "cpus": os.cpu_count(), "load_average_before": list(load),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "entries": args.entries, "repeat": args.repeat, "fill_seconds": round(fill_s, 1),
        "list_target_ms": LIST_TARGET_MS, "list_pages_p95_max_ms": slowest_list,
        "list_pages_within_target": slowest_list < LIST_TARGET_MS, "pages": results,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n", "utf-8")
    width = max(map(len, results))
    for name, figures in results.items():
        print(f"{name:<{width}}  median {figures['median_ms']:7.1f} ms  "
              f"p95 {figures['p95_ms']:7.1f} ms")
    print(f"list pages: slowest p95 {slowest_list:.1f} ms (target {LIST_TARGET_MS:.0f} ms); "
          f"written to {RESULTS}")


if __name__ == "__main__":
    main()
