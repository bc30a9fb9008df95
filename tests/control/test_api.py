"""Every route of the control API against a real uvicorn server."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest
from fastapi.routing import APIRoute

from mockkpr.journal.models import Outcome
from tests.control.conftest import Control
from tests.journal.entries import REPORT, make_answer, make_entry

pytestmark = pytest.mark.integration

REPORT_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "report-schema.json").read_text("utf-8"))


def test_healthz(control: Control) -> None:
    response = control.client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "alive"})


def test_readyz_when_every_check_passes(control: Control) -> None:
    response = control.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {
        "listeners": True, "registry": True, "certificates": True, "journal": True}}


def test_readyz_names_the_failing_check(control: Control) -> None:
    control.checks["certificates"] = False
    response = control.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["checks"]["certificates"] is False
    assert response.json()["checks"]["listeners"] is True


def test_readyz_with_a_broken_check(tmp_path: Path) -> None:
    """A readiness callable that raises means not ready, not a server error."""
    from mockkpr.control.app import create_app
    from mockkpr.control.metrics import Metrics
    from mockkpr.control.server import ControlServer
    from mockkpr.journal.store import Journal

    def broken() -> dict[str, bool]:
        raise RuntimeError("registry file vanished")

    with Journal(f"sqlite:///{tmp_path / 'j.sqlite3'}") as journal, \
            ControlServer(create_app(journal, broken, metrics=Metrics())) as server:
        response = httpx.get(f"{server.url}/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"readiness": False, "journal": True}


def test_list_messages_with_filters(control: Control) -> None:
    base = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    first = make_entry(sender_her_id="80001", received_at=base)
    second = make_entry(sender_her_id="80002", subject="KPR_IDE", outcome=Outcome.REJECTED,
                        received_at=base + timedelta(hours=1))
    third = make_entry(sender_her_id="80002", received_at=base + timedelta(hours=2))
    for entry in (first, second, third):
        control.journal.record(entry)

    def ids(**params: str | int) -> list[int]:
        response = control.client.get("/api/messages", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()]

    assert ids() == [third.id, second.id, first.id]
    assert ids(sender="80002") == [third.id, second.id]
    assert ids(subject="KPR_IDE") == [second.id]
    assert ids(outcome="rejected") == [second.id]
    assert ids(since="2024-05-01T13:00:00Z") == [third.id, second.id]
    assert ids(until="2024-05-01T15:30:00+02:00") == [second.id, first.id]
    assert ids(since="2024-05-01T12:30:00") == [third.id, second.id]  # naive means UTC
    assert ids(limit=1, offset=1) == [second.id]
    assert ids(after_id=first.id or 0) == [third.id, second.id]
    assert ids(message_id=first.message_id) == [first.id]
    assert control.client.get("/api/messages", params={"sender": "80002"}).headers[
        "X-Total-Count"] == "2"


def test_list_items_leave_out_bytes_and_summarise_answers(control: Control) -> None:
    entry = make_entry(report=REPORT, answers=[make_answer(body=b"x" * 321)])
    control.journal.record(entry)
    [item] = control.client.get("/api/messages").json()
    assert "payload" not in item
    assert "report" not in item
    assert item["message_id"] == entry.message_id
    assert item["msg_id"] == entry.msg_id
    assert item["outcome"] == "accepted"
    assert item["properties"] == entry.properties
    assert item["answers"] == [{
        "kind": "apprec",
        "sent_at": entry.answers[0].sent_at.isoformat().replace("+00:00", "Z"),
        "queue": "80001_async",
        "message_id": entry.answers[0].message.message_id,
        "correlation_id": "corr-1",
        "subject": "APPREC",
        "content_type": entry.answers[0].message.content_type,
        "application_properties": {"fromHerId": "90001", "toHerId": "80001"},
        "body_size": 321,
        "disposition": None,
        "settled_at": None,
    }]
    assert "details" not in item
    assert item["links"]["feedback"] == f"/api/messages/{entry.message_id}/feedback"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"since": "yesterday"},
         "query parameter 'since': Input should be a valid datetime or date, input is too "
         "short (got 'yesterday'); use ISO 8601"),
        ({"outcome": "fine"},
         "query parameter 'outcome': Input should be 'pending', 'accepted', 'partial', "
         "'rejected', 'transport-error', 'unanswerable', 'no-receipt', 'duplicate' or "
         "'refused' (got 'fine')"),
        ({"limit": "0"},
         "query parameter 'limit': Input should be greater than or equal to 1 (got '0')"),
    ],
)
def test_bad_filter_values_give_422(control: Control, params: dict[str, str],
                                    expected: str) -> None:
    response = control.client.get("/api/messages", params=params)
    assert response.status_code == 422
    assert expected in response.json()["message"]
    assert response.json()["detail"][0]["loc"] == ["query", next(iter(params))]


def test_show_message_by_message_id_or_msg_id(control: Control) -> None:
    entry = make_entry(report=REPORT, msghead={"msg_id": "MSGHEAD-7", "ack": True},
                       details={"wire.target": "/exchange/X/90001_async", "cms.recipients": 1})
    control.journal.record(entry)
    by_amqp = control.client.get(f"/api/messages/{entry.message_id}")
    by_msghead = control.client.get("/api/messages/MSGHEAD-7")
    assert by_amqp.status_code == by_msghead.status_code == 200
    assert by_amqp.json() == by_msghead.json()
    detail = by_amqp.json()
    assert detail["report"] == REPORT
    assert detail["msghead"] == {"msg_id": "MSGHEAD-7", "ack": True}
    assert detail["payload_size"] == len(entry.payload or b"")
    assert len(detail["answers"]) == 1
    assert detail["details"] == {"wire.target": "/exchange/X/90001_async", "cms.recipients": 1}


def test_show_unknown_message_is_404(control: Control) -> None:
    response = control.client.get("/api/messages/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "no message with message-id or MsgId 'nope'"}


def test_feedback_is_a_schema_valid_report_document(control: Control) -> None:
    entry = make_entry(report=REPORT, outcome=Outcome.REJECTED, apprec_status="2")
    control.journal.record(entry)
    response = control.client.get(f"/api/messages/{entry.message_id}/feedback")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    jsonschema.validate(document, REPORT_SCHEMA)
    assert document["reports"] == [REPORT]


def test_feedback_not_found_pending_or_not_validated(control: Control) -> None:
    pending = make_entry(outcome=Outcome.PENDING, answers=[])
    control.journal.begin(pending)
    unvalidated = make_entry(outcome=Outcome.TRANSPORT_ERROR, report=None, payload=None,
                             error_condition="transport:invalid-certificate")
    control.journal.record(unvalidated)

    missing = control.client.get("/api/messages/nope/feedback")
    assert (missing.status_code, missing.json()["detail"]) == (
        404, "no message with message-id or MsgId 'nope'")
    busy = control.client.get(f"/api/messages/{pending.message_id}/feedback")
    assert (busy.status_code, busy.json()["detail"]) == (
        409, f"message {pending.message_id!r} is still being processed")
    none = control.client.get(f"/api/messages/{unvalidated.message_id}/feedback")
    assert (none.status_code, none.json()["detail"]) == (
        404, f"message {unvalidated.message_id!r} was not validated (outcome "
             "transport-error): there is no feedback")


def test_payload_is_the_decrypted_xml(control: Control) -> None:
    xml = '<?xml version="1.0" encoding="UTF-8"?><IPLOS>blåbær</IPLOS>'.encode()
    entry = make_entry(payload=xml)
    control.journal.record(entry)
    response = control.client.get(f"/api/messages/{entry.message_id}/payload")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    assert response.content == xml


def test_payload_not_found_or_pending(control: Control) -> None:
    pending = make_entry(outcome=Outcome.PENDING, answers=[])
    control.journal.begin(pending)
    undecrypted = make_entry(outcome=Outcome.TRANSPORT_ERROR, payload=None)
    control.journal.record(undecrypted)
    assert control.client.get("/api/messages/nope/payload").status_code == 404
    assert control.client.get(f"/api/messages/{pending.message_id}/payload").status_code == 409
    none = control.client.get(f"/api/messages/{undecrypted.message_id}/payload")
    assert (none.status_code, none.json()["detail"]) == (
        404, f"message {undecrypted.message_id!r} has no decrypted payload "
             "(outcome transport-error)")


def test_wait_returns_when_another_thread_records(control: Control) -> None:
    """The long poll answers as soon as a matching entry is recorded (no polling here)."""
    entry = make_entry(sender_her_id="80042", report=REPORT)
    timer = threading.Timer(0.5, control.journal.record, [entry])
    timer.start()
    try:
        response = control.client.get("/api/wait", params={"sender": "80042", "timeout": 60})
    finally:
        timer.join()
    assert response.status_code == 200
    assert response.json()["id"] == entry.id
    assert response.json()["report"] == REPORT


def test_wait_times_out_with_408(control: Control) -> None:
    started = time.monotonic()
    response = control.client.get("/api/wait", params={"sender": "1", "timeout": 0.3})
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 408
    assert response.json() == {"detail": "no matching message within 0.3 s"}


def test_wait_timeout_is_bounded(control: Control) -> None:
    response = control.client.get("/api/wait", params={"timeout": 301})
    assert response.status_code == 422
    assert "query parameter 'timeout': Input should be less than or equal to 300" in (
        response.json()["message"])


def test_long_polls_do_not_block_other_requests(control: Control) -> None:
    """While 20 long polls wait, the other routes answer, then each poll gets its entry."""
    with ThreadPoolExecutor(20) as pool:
        polls = [pool.submit(control.client.get, "/api/wait",
                             params={"message_id": f"late-{n}", "timeout": 60})
                 for n in range(20)]
        time.sleep(0.3)
        assert control.client.get("/healthz").status_code == 200
        assert control.client.get("/api/messages").json() == []
        assert not any(poll.done() for poll in polls)
        for n in range(20):
            control.journal.record(make_entry(message_id=f"late-{n}"))
        answers = [poll.result(timeout=30) for poll in polls]
    assert [a.json()["message_id"] for a in answers] == [f"late-{n}" for n in range(20)]


def test_reset_empties_the_journal_keeps_owed_answers_and_calls_back(control: Control) -> None:
    control.journal.record(make_entry())  # its AppRec is still owed to the sender
    response = control.client.post("/api/reset", json={})
    assert (response.status_code, response.json()) == (200, {"reset": True, "queued_kept": 1})
    assert control.resets == ["reset"]
    assert control.client.get("/api/messages").json() == []
    assert len(control.journal.queued()) == 1


def test_reset_drops_owed_answers_when_asked(control: Control) -> None:
    control.journal.record(make_entry())
    response = control.client.post("/api/reset", json={"drop_queued": True})
    assert (response.status_code, response.json()) == (200, {"reset": True, "queued_kept": 0})
    assert control.journal.queued() == []
    refused = control.client.post("/api/reset", json={"drop_queue": True})  # a typo
    assert refused.status_code == 422


def test_metrics_exposition(control: Control) -> None:
    entry = make_entry(subject="KPR_IPL", outcome=Outcome.TRANSPORT_ERROR,
                       error_condition="transport:invalid-certificate",
                       answers=[make_answer("transport-error", queue="80001_error")])
    control.journal.record(entry)
    control.journal.record(make_entry())
    control.metrics.message_recorded(entry)
    control.metrics.answer_sent("transport-error")
    response = control.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = set(response.text.splitlines())
    assert 'messages_received_total{outcome="transport-error",subject="KPR_IPL"} 1.0' in lines
    assert 'answers_sent_total{kind="transport-error"} 1.0' in lines
    assert ('transport_errors_total{condition="transport:invalid-certificate"} 1.0'
            in lines)
    assert 'queue_depth{queue="80001_error"} 1.0' in lines
    assert 'queue_depth{queue="80001_async"} 1.0' in lines
    assert "journal_entries 2.0" in lines
    # the process-wide registry is untouched
    assert "python_gc_objects_collected_total" not in response.text


def test_openapi_lists_every_route(control: Control) -> None:
    document = control.client.get("/openapi.json").json()
    routes = [r for r in control.server.app.routes if isinstance(r, APIRoute)]
    assert {r.path for r in routes} == {
        "/healthz", "/readyz", "/api/messages", "/api/messages/{message_id}",
        "/api/messages/{message_id}/feedback", "/api/messages/{message_id}/payload",
        "/api/wait", "/api/reset", "/metrics"}
    # routers included (FastAPI keeps them apart from app.routes); the web pages are not API
    assert set(document["paths"]) == {r.path for r in routes} | {
        "/api/messages/{message_id}/apprec", "/api/conformance/cases", "/api/conformance/runs"}
    for route in routes:
        for method in route.methods or ():
            assert method.lower() in document["paths"][route.path], (method, route.path)
    wait_params = {p["name"] for p in document["paths"]["/api/wait"]["get"]["parameters"]}
    assert wait_params == {"sender", "subject", "outcome", "message_id", "since", "until",
                           "after_id", "timeout"}
