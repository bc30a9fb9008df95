"""The web view's pages over a real control API server (no browser: the HTML and headers).

The browser tests (test_browser.py) check what a person sees; these check what the server
sends: every sender-controlled value escaped, the security headers, paging, filters and the
downloads, on a journal filled with synthetic entries.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mockkpr.control.web.document import MAX_LINE_CHARS, PAGE_LINES
from mockkpr.control.web.security import CSP
from mockkpr.journal.models import Outcome
from tests.control.conftest import Control
from tests.journal.entries import REPORT, make_answer, make_entry

pytestmark = pytest.mark.integration

HOSTILE = '<script>alert("x")</script>'
HOSTILE_IMG = '"><img src=x onerror=alert(1)>'


def _finding(rule: str, consequence: int, line: int | None, value: str | None = None,
             location: str = "/IPLOS/PERSON") -> dict[str, Any]:
    return {"rule_id": rule, "consequence": consequence, "location": location, "line": line,
            "value": value, "expected": "0..9", "message": {"no": f"{rule} på norsk",
                                                          "en": f"{rule} in English"},
            "requirement": "iplos-format.md §4", "service_type": None}


def _report(findings: list[dict[str, Any]]) -> dict[str, Any]:
    per_rule: dict[str, int] = {}
    per_consequence: dict[str, int] = {}
    for f in findings:
        per_rule[f["rule_id"]] = per_rule.get(f["rule_id"], 0) + 1
        key = str(f["consequence"])
        per_consequence[key] = per_consequence.get(key, 0) + 1
    return {**REPORT, "findings": findings,
            "totals": {"per_rule": per_rule, "per_service_type": {},
                       "per_consequence": per_consequence}}


def test_every_sender_controlled_value_is_escaped(control: Control) -> None:
    entry = make_entry(
        message_id=HOSTILE, subject=HOSTILE_IMG, sender_her_id=HOSTILE,
        msghead={"msg_id": HOSTILE_IMG, "msg_type": HOSTILE, "sender": {"name": HOSTILE}},
        application_properties={HOSTILE: HOSTILE_IMG},
        properties={"message-id": HOSTILE, "to": HOSTILE_IMG},
        error_condition=HOSTILE, error_description=HOSTILE_IMG, error_data=(HOSTILE,),
        details={"wire.container_id": HOSTILE, "wire.sections": [HOSTILE_IMG]},
        payload=f"<IPLOS>\n<x>{HOSTILE}</x>\n<!-- {HOSTILE_IMG} -->\n</IPLOS>".encode(),
        envelope=f"<MsgHead><!-- {HOSTILE} --><Id>{HOSTILE_IMG}</Id></MsgHead>".encode()
        .replace(b"<script>", b"&lt;script&gt;").replace(b'"><img', b"&quot;&gt;&lt;img"),
        report=_report([_finding(HOSTILE, 2, 2, HOSTILE_IMG, location=HOSTILE)]))
    control.journal.record(entry)
    answer_doc = f"<AppRec><Error OT='{HOSTILE_IMG}'/></AppRec>".encode()
    answer = make_answer()
    answered = make_entry(answers=[replace(answer, message=replace(
        answer.message, document=answer_doc.replace(b"<img", b"&lt;img"),
        application_properties={HOSTILE: HOSTILE_IMG}))])
    control.journal.record(answered)
    pages = ["/", f"/?q={HOSTILE}", f"/messages/{entry.id}", f"/messages/{entry.id}/findings",
             f"/messages/{entry.id}/document", f"/messages/{entry.id}/document?part=msghead",
             f"/messages/{answered.id}/answers/1", "/live/messages"]
    for path in pages:
        response = control.client.get(path)
        assert response.status_code == 200, path
        text = response.text if path != "/live/messages" else "".join(
            str(v) for v in response.json().values())
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
    message = control.client.get(f"/messages/{entry.id}").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in message
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in message


def test_pages_carry_the_security_headers(control: Control) -> None:
    control.journal.record(make_entry())
    for path in ("/", "/endpoint", "/docs", "/api/messages", "/static/app.css",
                 "/static/vendor/swagger-ui-bundle.js", "/messages/999"):
        headers = control.client.get(path).headers
        assert headers["content-security-policy"] == CSP, path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
    assert "'unsafe-inline'" not in CSP
    assert "'unsafe-eval'" not in CSP
    assert "default-src 'none'" in CSP
    assert "frame-ancestors 'none'" in CSP


def test_the_pages_use_no_inline_script_and_nothing_from_elsewhere(control: Control) -> None:
    control.journal.record(make_entry(report=REPORT))
    for path in ("/", "/messages/1", "/messages/1/findings", "/messages/1/document",
                 "/endpoint", "/conformance", "/docs"):
        text = control.client.get(path).text
        assert "<script>" not in text, path
        assert not re.search(r"\son[a-z]+=", text), path  # no inline event handler
        assert "http://" not in text.replace('xmlns="http://', "")
        assert "https://" not in text


def test_offline_docs_and_their_assets_are_served(control: Control) -> None:
    page = control.client.get("/docs")
    assert page.status_code == 200
    assert '<script src="/static/vendor/swagger-ui-bundle.js">' in page.text
    bundle = control.client.get("/static/vendor/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert len(bundle.content) > 500_000
    assert control.client.get("/static/vendor/swagger-ui.css").status_code == 200
    assert control.client.get("/static/docs.js").status_code == 200
    assert control.client.get("/redoc").status_code == 404


def test_unknown_messages_get_a_404_page(control: Control) -> None:
    for path in ("/messages/42", "/messages/42/findings", "/messages/42/document",
                 "/messages/42/answers/1", "/messages/42/answers/1/body",
                 "/conformance/nope"):
        response = control.client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
    assert "no message #42" in control.client.get("/messages/42").text


def test_the_list_pages_through_every_entry_with_cursors(control: Control) -> None:
    ids = [control.journal.record(make_entry(message_id=f"m-{n:03d}")) for n in range(120)]
    seen: list[int] = []
    path = "/"
    while path:
        text = control.client.get(path).text
        rows = [int(part.split('"')[0]) for part in text.split('data-id="')[1:]]
        assert len(rows) <= 50
        seen += rows
        older = [part for part in text.split('<a rel="next" href="')[1:]]
        path = older[0].split('"')[0].replace("&amp;", "&") if older else ""
    assert seen == sorted(ids, reverse=True)
    newer = control.client.get(f"/?before={ids[10]}").text
    assert f'rel="prev" href="/?after={ids[9]}"' in newer
    assert "120 messages." in control.client.get("/").text


def test_the_list_filters_and_counts_per_outcome(control: Control) -> None:
    base = datetime(2024, 5, 1, 12, tzinfo=UTC)
    control.journal.record(make_entry(message_id="ok-1", received_at=base))
    control.journal.record(make_entry(message_id="bad-1", outcome=Outcome.REJECTED,
                                      apprec_status="2", received_at=base + timedelta(hours=1)))
    control.journal.record(make_entry(message_id="bad-2", outcome=Outcome.REJECTED,
                                      apprec_status="2", sender_her_id="80002",
                                      received_at=base + timedelta(hours=2)))

    def listed(query: str) -> list[str]:
        text = control.client.get("/" + query).text
        return [part.split("<")[0] for part in text.split('class="id"><a href="/messages/')
                [1:] for part in [part.split(">", 1)[1]]]

    assert listed("") == ["bad-2", "bad-1", "ok-1"]
    assert listed("?outcome=rejected") == ["bad-2", "bad-1"]
    assert listed("?apprec=2&sender=80001") == ["bad-1"]
    assert listed("?q=BAD") == ["bad-2", "bad-1"]
    assert listed("?since=2024-05-01T12:30&until=2024-05-01T13:30") == ["bad-1"]
    page = control.client.get("/?outcome=rejected").text
    assert "Accepted <b>1</b>" in page
    assert "Rejected <b>2</b>" in page
    wrong = control.client.get("/?since=yesterday&outcome=lost").text
    assert "since: &#39;yesterday&#39; is not a date and time" in wrong
    assert "outcome: &#39;lost&#39; is not an outcome" in wrong


def test_live_updates_answer_304_until_something_changes(control: Control) -> None:
    control.journal.record(make_entry(message_id="first"))
    first = control.client.get("/live/messages")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert "first" in first.json()["rows"]
    same = control.client.get("/live/messages", headers={"if-none-match": etag})
    assert same.status_code == 304
    control.journal.record(make_entry(message_id="second", outcome=Outcome.REJECTED))
    changed = control.client.get("/live/messages?outcome=rejected",
                                 headers={"if-none-match": etag})
    assert changed.status_code == 200
    body = changed.json()
    assert "second" in body["rows"]
    assert "first" not in body["rows"]
    assert body["total"] == 1


def test_findings_are_worst_first_with_per_rule_counts_and_filters(control: Control) -> None:
    findings = [_finding("REPORTED", 9, n) for n in range(1, 300)]
    findings.insert(100, _finding("ROW-GONE", 2, 400, "7"))
    findings.insert(5, _finding("MESSAGE-GONE", 1, 2, "2019"))
    control.journal.record(make_entry(report=_report(findings), outcome=Outcome.REJECTED))
    page = control.client.get("/messages/1/findings").text
    order = [page.index(f"<code>{rule}</code></td>\n        <td class=\"xpath\">")
             for rule in ("MESSAGE-GONE", "ROW-GONE", "REPORTED")]
    assert order == sorted(order)
    assert "page 1 of 2" in page
    assert '<td class="num">299</td>' in page  # counted per rule in the rules table
    second = control.client.get("/messages/1/findings?page=2").text
    assert '<td class="num">201</td>' in second
    assert "MESSAGE-GONE</code></td>\n" not in \
        second.split('id="list"')[1]
    only = control.client.get("/messages/1/findings?rule=ROW-GONE").text.split('id="list"')[1]
    assert "ROW-GONE" in only
    assert "<code>REPORTED</code>" not in only
    by_line = control.client.get("/messages/1/findings?line=2").text.split('id="list"')[1]
    assert "MESSAGE-GONE" in by_line
    assert 'href="/messages/1/document?line=2#L2"' in by_line


def test_findings_download_as_csv_and_json(control: Control) -> None:
    findings = [_finding("REPORTED", 9, 3, "=HYPERLINK(\"x\")"), _finding("ROW-GONE", 2, 4, "-1")]
    control.journal.record(make_entry(report=_report(findings)))
    response = control.client.get("/messages/1/findings.csv")
    assert response.headers["content-disposition"] == 'attachment; filename="findings-1.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["rule_id"] for r in rows] == ["ROW-GONE", "REPORTED"]
    assert rows[0]["value"] == "-1"  # a number stays a number
    assert rows[1]["value"] == "'=HYPERLINK(\"x\")"  # a formula does not run in a spreadsheet
    assert rows[1]["message_en"] == "REPORTED in English"
    filtered = control.client.get("/messages/1/findings.json?consequence=9")
    body = json.loads(filtered.text)
    assert [f["rule_id"] for f in body["findings"]] == ["REPORTED"]
    assert body["filters"] == {"rule": None, "consequence": 9, "line": None}


def test_the_document_is_paged_and_its_finding_lines_marked(control: Control) -> None:
    lines = [f"<ROW n=\"{n}\"/>" for n in range(1, 1201)]
    lines[799] = "<LONG>" + "x" * (MAX_LINE_CHARS + 500) + "</LONG>"
    payload = "\n".join(lines).encode()
    control.journal.record(make_entry(payload=payload, report=_report(
        [_finding("ROW-GONE", 2, 800), _finding("REPORTED", 9, 1100)])))
    first = control.client.get("/messages/1/document").text
    assert first.count('class="ln') == PAGE_LINES
    assert 'id="L1"' in first
    assert f'id="L{PAGE_LINES}"' in first
    assert f'id="L{PAGE_LINES + 1}"' not in first
    assert '<a href="?line=800#L800">↓ finding on line 800</a>' in first
    page = control.client.get("/messages/1/document?line=800").text
    assert 'class="ln mark c2 target" id="L800"' in page
    assert "501" in page
    assert 'id="L1000"' in page
    assert 'id="L1001"' not in page
    assert "… 513 more characters" in page  # 2,513 characters, 2,000 shown
    assert 'href="/messages/1/findings?line=800"' in page
    last = control.client.get("/messages/1/document?start=1001").text
    assert last.count('class="ln') == 200
    assert 'class="ln mark c9" id="L1100"' in last
    assert "lines 1001–1200 of 1200" in last


def test_answers_download_as_xml_and_as_the_exact_bytes_sent(control: Control) -> None:
    protected = bytes(range(256)) * 4
    answer = make_answer(body=protected)
    answer = replace(answer, message=replace(answer.message, document=b"<AppRec>ok</AppRec>"))
    error = make_answer("transport-error", queue="80001_error", body=b"")
    control.journal.record(make_entry(answers=[answer, error]))
    body = control.client.get("/messages/1/answers/1/body")
    assert body.content == protected
    assert body.headers["content-type"].startswith("application/pkcs7-mime; smime-type=")
    assert body.headers["content-disposition"] == 'attachment; filename="apprec-1-1.p7m"'
    xml = control.client.get("/messages/1/answers/1/document")
    assert xml.content == b"<AppRec>ok</AppRec>"
    assert xml.headers["content-disposition"] == 'attachment; filename="apprec-1-1.xml"'
    assert control.client.get("/messages/1/answers/2/document").status_code == 404
    message_id = control.journal.get(1).message_id  # type: ignore[union-attr]
    assert control.client.get(f"/api/messages/{message_id}/apprec").content == protected
    as_xml = control.client.get(f"/api/messages/{message_id}/apprec",
                                params={"document": "true"})
    assert as_xml.content == b"<AppRec>ok</AppRec>"
    assert as_xml.headers["content-type"] == "application/xml"
