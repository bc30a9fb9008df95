"""Coverage: what traffic exercised and never exercised, from journal entries or a journal."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from mockkpr.cli import main
from mockkpr.conformance.coverage import of_entries
from mockkpr.journal.models import Outcome
from mockkpr.journal.store import Journal
from mockkpr.refdata.codelists import SERVICE_TYPE
from tests.conformance.builders import GOOD_DETAILS, message

PAYLOAD = (b'<IPLOS xmlns="http://www.npr.no/xmlstds/iplos/2019"><INNHINFO/>'
           b'<TJENESTE tjTjenType="11"/><TJENESTE tjTjenType="11"/></IPLOS>')


def parts(coverage: object) -> dict[str, object]:
    return {p.name: p for p in coverage.parts}  # type: ignore[attr-defined]


def test_coverage_names_what_the_traffic_never_exercised() -> None:
    accepted = message(payload=PAYLOAD)
    rejected = message(outcome=Outcome.REJECTED, apprec_status="2", report={
        "format": {"generation": "2019"}, "verdict": {"accepted": False},
        "findings": [{"rule_id": "XSD-HEADER", "consequence": 1}]})
    found = parts(of_entries([accepted.entry, rejected.entry],
                             [dict(accepted.details), dict(rejected.details)]))
    requirements = found["requirements"]
    assert {"REQ-SEC-SIGN", "REQ-ENV-MSGHEAD", "REQ-APP-OK", "REQ-APP-REJECTED"} <= set(
        requirements.seen)  # type: ignore[attr-defined]
    # nothing split, no status 3, no fault scenario: never exercised
    assert {"REQ-LARGE-SPLIT", "REQ-APP-PARTIAL", "REQ-BEH-RECONNECT", "REQ-APP-FORGED",
            "REQ-MSG-SEPARATE"} <= set(requirements.never)  # type: ignore[attr-defined]
    assert found["validation rules that fired"].seen == {"XSD-HEADER": 1}  # type: ignore[attr-defined]
    assert "XSD-HEADER" not in found["validation rules that fired"].never  # type: ignore[attr-defined]
    assert found["message kinds"].seen == {"KPR_IPL 2019": 2}  # type: ignore[attr-defined]
    assert "KPR_IPL 56" in found["message kinds"].never  # type: ignore[attr-defined]
    codes = found["code values"]
    assert codes.seen == {f"{SERVICE_TYPE.number}:11": 2}  # type: ignore[attr-defined]
    assert f"{SERVICE_TYPE.number}:11" not in codes.never  # type: ignore[attr-defined]
    answers = found["answers"]
    assert answers.seen["AppRec status 2"] == 1  # type: ignore[attr-defined,index]
    assert {"AppRec status 3", "outcome duplicate", "transport:unsupported-message"} <= set(
        answers.never)  # type: ignore[attr-defined]


def test_split_and_duplicates_count_when_they_arrive() -> None:
    group = message(details={**GOOD_DETAILS, "group.parts": 2})
    again = replace(message().entry, outcome=Outcome.DUPLICATE)
    found = parts(of_entries([group.entry, again], [dict(group.details), {}]))
    assert {"REQ-LARGE-SPLIT", "REQ-BEH-SAME-ID"} <= set(
        found["requirements"].seen)  # type: ignore[attr-defined]


def test_mockkpr_coverage_reads_a_journal_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    journal = Journal(url)
    try:
        entry = message(payload=PAYLOAD).entry
        journal.record_answered(replace(entry, id=None, details=dict(GOOD_DETAILS)))
    finally:
        journal.close()
    text = CliRunner().invoke(main, ["coverage", "--database-url", url])
    assert text.exit_code == 0, text.output
    assert text.output.startswith("Coverage of 1 message(s)\nrequirements: ")
    assert "  never:     " in text.output
    assert "REQ-LARGE-SPLIT" in text.output
    as_json = CliRunner().invoke(main, ["coverage", "--database-url", url, "--json"])
    data = json.loads(as_json.output)
    assert data["messages"] == 1
    assert [p["name"] for p in data["parts"]] == [
        "requirements", "validation rules that fired", "message kinds", "code values",
        "scenarios", "answers"]
    broken = CliRunner().invoke(main, ["coverage", "--control-url", "http://127.0.0.1:1"])
    assert broken.exit_code == 2
    assert "mockkpr coverage: cannot read the journal: control API http://127.0.0.1:1" \
        in broken.output
