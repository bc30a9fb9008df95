"""``mockkpr messages`` against a real control API server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mockkpr.cli import messages as messages_module
from mockkpr.cli.messages import messages
from mockkpr.journal.models import Outcome
from tests.control.conftest import Control
from tests.journal.entries import REPORT, make_answer, make_entry

pytestmark = pytest.mark.integration


def run(control: Control, *args: str) -> Result:
    return CliRunner().invoke(messages, ["--control-url", control.server.url, *args])


def test_list_prints_a_table(control: Control) -> None:
    control.journal.record(make_entry(message_id="first", sender_her_id="80001"))
    control.journal.record(make_entry(message_id="second", sender_her_id="80002",
                                      outcome=Outcome.TRANSPORT_ERROR, apprec_status=None,
                                      error_condition="transport:invalid-certificate"))
    result = run(control, "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "received", "(UTC)", "message-id", "sender", "subject",
                                "outcome", "apprec", "error"]
    assert lines[1].split()[3:] == ["second", "80002", "KPR_IPL", "transport-error",
                                    "transport:invalid-certificate"]
    assert lines[2].split()[3:] == ["first", "80001", "KPR_IPL", "accepted", "1"]
    assert lines[3] == "(1-2 of 2)"


def test_list_filters_and_json(control: Control) -> None:
    control.journal.record(make_entry(message_id="a", sender_her_id="80001"))
    control.journal.record(make_entry(message_id="b", sender_her_id="80002"))
    result = run(control, "list", "--sender", "80002", "--json")
    assert result.exit_code == 0
    assert [item["message_id"] for item in json.loads(result.stdout)] == ["b"]


def test_list_empty(control: Control) -> None:
    result = run(control, "list")
    assert (result.exit_code, result.stdout) == (0, "No messages.\n")


def test_show_prints_envelope_findings_and_answers(control: Control) -> None:
    entry = make_entry(message_id="m-1", msghead={"msg_id": "MSGHEAD-1"}, report=REPORT,
                       outcome=Outcome.REJECTED, apprec_status="2",
                       answers=[make_answer(body=b"x" * 99)])
    control.journal.record(entry)
    result = run(control, "show", "MSGHEAD-1")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "message-id: m-1" in text
    assert "MsgId:      MSGHEAD-1" in text
    assert "from -> to: 80001 -> 90001" in text
    assert "outcome:    rejected (AppRec status 2)" in text
    assert "report:     rejected (worst consequence 1); rows 3 total, 2 kept, 1 dropped" in text
    assert "  [1] TJ-TIMERUKE-RANGE /IPLOS line 7" in text
    assert "      Hours per week (value '200', expected 0.01..168)" in text
    assert "  apprec -> 80001_async at " in text
    assert "99 bytes)" in text


def _finding(rule: str, consequence: int, line: int) -> dict[str, object]:
    return {"rule_id": rule, "consequence": consequence, "location": f"/IPLOS/X{line}",
            "line": line, "value": None, "expected": "something",
            "message": {"no": f"{rule} no", "en": f"{rule} en"}, "requirement": "r",
            "service_type": None}


def test_show_lists_findings_worst_first(control: Control) -> None:
    """A status-3 message: the rejected rows come before the many report-only findings."""
    findings = [_finding("REPORTED", 9, n) for n in range(1, 40)]
    findings.insert(17, _finding("ROW-GONE", 2, 500))
    findings.append(_finding("VALUE-NULL", 7, 900))
    report = {**REPORT, "findings": findings, "verdict": {"accepted": True,
                                                          "worst_consequence": 2},
              "totals": {"per_rule": {"REPORTED": 39, "ROW-GONE": 1, "VALUE-NULL": 1},
                         "per_service_type": {}, "per_consequence": {"9": 39, "2": 1, "7": 1}}}
    control.journal.record(make_entry(message_id="m-3", report=report,
                                      outcome=Outcome.PARTIAL, apprec_status="3"))
    result = run(control, "show", "m-3")
    assert result.exit_code == 0, result.output
    shown = [line.split()[1] for line in result.stdout.splitlines()
             if line.startswith("  [")]
    assert shown[:3] == ["ROW-GONE", "VALUE-NULL", "REPORTED"]
    assert len(shown) == 20
    assert ("  row rejected (with the rows below it): 1, value set to null: 1, "
            "reported only: 39") in result.stdout
    assert "... 21 more" in result.stdout


def test_show_saves_the_apprec(control: Control, tmp_path: Path) -> None:
    answer = make_answer(body=b"\x30\x80protected")
    answer = replace(answer, message=replace(answer.message, document=b"<AppRec>x</AppRec>"))
    control.journal.record(make_entry(message_id="m-4", answers=[answer]))
    target = tmp_path / "apprec.xml"
    result = run(control, "show", "m-4", "--apprec", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == b"<AppRec>x</AppRec>"
    assert f"AppRec (18 bytes) saved to {target}" in result.stderr
    assert "message-id: m-4" in result.stdout


def test_show_apprec_of_a_transport_error_exits_1(control: Control, tmp_path: Path) -> None:
    control.journal.record(make_entry(
        message_id="m-5", outcome=Outcome.TRANSPORT_ERROR, apprec_status=None,
        answers=[make_answer("transport-error", queue="80001_error", body=b"")]))
    target = tmp_path / "apprec.xml"
    result = run(control, "show", "m-5", "--apprec", str(target))
    assert result.exit_code == 1
    assert result.stderr == ("mockkpr: no AppRec was sent for message 'm-5' "
                             "(outcome transport-error)\n")
    assert not target.exists()


def test_show_apprec_to_an_unwritable_file_exits_2(control: Control, tmp_path: Path) -> None:
    answer = make_answer()
    answer = replace(answer, message=replace(answer.message, document=b"<AppRec/>"))
    control.journal.record(make_entry(message_id="m-6", answers=[answer]))
    result = run(control, "show", "m-6", "--apprec", str(tmp_path / "missing" / "a.xml"))
    assert result.exit_code == 2
    assert result.stderr.startswith("mockkpr: error: cannot write the AppRec to ")
    assert "No such file or directory" in result.stderr


def test_show_json_payload_and_feedback(control: Control) -> None:
    control.journal.record(make_entry(message_id="m-2", report=REPORT, payload=b"<IPLOS/>"))
    as_json = run(control, "show", "m-2", "--json")
    assert json.loads(as_json.stdout)["report"] == REPORT
    payload = run(control, "show", "m-2", "--payload")
    assert (payload.exit_code, payload.stdout) == (0, "<IPLOS/>\n")
    feedback = run(control, "show", "m-2", "--feedback")
    assert json.loads(feedback.stdout)["reports"] == [REPORT]


def test_show_unknown_or_pending_exits_1(control: Control) -> None:
    control.journal.begin(make_entry(message_id="busy", outcome=Outcome.PENDING, answers=[]))
    unknown = run(control, "show", "nope")
    assert unknown.exit_code == 1
    assert unknown.stderr == "mockkpr: no message with message-id or MsgId 'nope'\n"
    pending = run(control, "show", "busy", "--feedback")
    assert pending.exit_code == 1
    assert pending.stderr == "mockkpr: message 'busy' is still being processed\n"


def _record_once_waiting(monkeypatch: pytest.MonkeyPatch, delay: float,
                         record: Callable[[], object]) -> threading.Timer:
    """A timer that records a message ``delay`` seconds after the wait read the newest id
    (a message recorded before that is an old one, which the wait ignores by design)."""
    timer = threading.Timer(delay, record)
    newest_id = messages_module._newest_id

    def newest_then_start(api: Any) -> int:
        newest = newest_id(api)
        timer.start()
        return newest

    monkeypatch.setattr(messages_module, "_newest_id", newest_then_start)
    return timer


def test_wait_returns_when_the_message_arrives(control: Control,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    timer = _record_once_waiting(monkeypatch, 0.3, lambda: control.journal.record(
        make_entry(message_id="late", sender_her_id="80077")))
    try:
        result = run(control, "wait", "--sender", "80077", "--timeout", "60")
    finally:
        timer.join()
    assert result.exit_code == 0, result.output
    assert "message-id: late" in result.stdout


def test_wait_longer_than_one_poll(control: Control, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wait longer than the API's maximum is made of several long polls."""
    monkeypatch.setattr(messages_module, "MAX_POLL_S", 0.2)
    timer = _record_once_waiting(monkeypatch, 0.7, lambda: control.journal.record(
        make_entry(message_id="later")))
    try:
        result = run(control, "wait", "--message-id", "later", "--timeout", "30", "--json")
    finally:
        timer.join()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["message_id"] == "later"


def test_wait_times_out_with_exit_1(control: Control) -> None:
    result = run(control, "wait", "--subject", "KPR_IDE", "--timeout", "0.4")
    assert result.exit_code == 1
    assert result.stderr == "mockkpr: no matching message within 0.4 s\n"


def test_bad_filter_exits_2_with_the_api_message(control: Control) -> None:
    result = run(control, "list", "--since", "yesterday")
    assert result.exit_code == 2
    assert "query parameter 'since': Input should be a valid datetime" in result.stderr
    assert "ISO 8601" in result.stderr


def test_unreachable_api_exits_2_naming_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    for args in (["list"], ["show", "x"], ["wait", "--timeout", "1"]):
        result = CliRunner().invoke(messages, ["--control-url", url, *args])
        assert result.exit_code == 2, args
        assert result.stderr.startswith(
            f"mockkpr: error: cannot reach the mockkpr control API at {url}: ")


def test_default_url_comes_from_the_settings(control: Control,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKKPR_CONTROL_HOST", "127.0.0.1")
    monkeypatch.setenv("MOCKKPR_CONTROL_PORT", str(control.server.port))
    control.journal.record(make_entry(message_id="via-settings"))
    result = CliRunner().invoke(messages, ["list", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["message_id"] == "via-settings"


def test_control_url_may_follow_the_subcommand(control: Control) -> None:
    """Users put options after the subcommand: `messages list --control-url URL`."""
    control.journal.record(make_entry(message_id="after", sender_her_id="80001"))
    for args in (["list", "--control-url", control.server.url, "--json"],
                 ["show", "after", "--control-url", control.server.url, "--json"]):
        result = CliRunner().invoke(messages, args)
        assert result.exit_code == 0, (args, result.output)
        assert "after" in result.stdout
    # the subcommand's flag wins over the group's
    result = CliRunner().invoke(messages, ["--control-url", "http://127.0.0.1:9", "list",
                                           "--control-url", control.server.url])
    assert result.exit_code == 0, result.output


def test_wait_ignores_a_message_received_before_it_began(control: Control) -> None:
    control.journal.record(make_entry(message_id="old", sender_her_id="80077"))
    result = run(control, "wait", "--sender", "80077", "--timeout", "0.4")
    assert (result.exit_code, result.stderr) == (1, "mockkpr: no matching message within "
                                                    "0.4 s\n")
    timer = threading.Timer(0.3, control.journal.record,
                            [make_entry(message_id="new", sender_her_id="80077")])
    timer.start()
    try:
        result = run(control, "wait", "--sender", "80077", "--timeout", "30")
    finally:
        timer.join()
    assert result.exit_code == 0, result.output
    assert "message-id: new" in result.stdout


def test_wait_existing_takes_an_old_match(control: Control) -> None:
    control.journal.record(make_entry(message_id="old", sender_her_id="80077"))
    result = run(control, "wait", "--sender", "80077", "--existing", "--timeout", "5")
    assert result.exit_code == 0, result.output
    assert "message-id: old" in result.stdout
