"""The 56.0.0 rules beyond their golden fixtures: accepted boundaries, the telephone pattern,
the 2032 check-digit rule, settings, and the history a caller may supply."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from mockkpr.iplos import validate
from mockkpr.iplos.findings import Report
from mockkpr.iplos.formats import NS_56, DocumentKind, Generation
from mockkpr.iplos.rows import row_from_element
from mockkpr.iplos.rules import REGISTRY
from mockkpr.iplos.rules.event_history import HISTORY_KEY, EventHistory, guid_key
from mockkpr.iplos.rules.event_unit import EMAIL, TELEPHONE
from mockkpr.iplos.rules.registry import Context
from mockkpr.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
BASE = (ROOT / "fixtures" / "rules" / "_base" / "minimal-56.xml").read_text(encoding="utf-8")
FID = "17853849456"


def findings(report: Report) -> list[tuple[str, str, str | None]]:
    return [(f.rule_id, f.location, f.value) for f in report.findings]


def run(text: str, *, accept_synthetic_ids: bool = True, flag_real_ids: bool = True) -> Report:
    overrides: dict[str, Any] = {"accept_synthetic_ids": accept_synthetic_ids,
                                 "flag_real_ids": flag_real_ids}
    settings = Settings(**overrides)
    return validate(text.encode("utf-8"), settings=settings)


def test_the_valid_event_fixture_gives_no_finding() -> None:
    report = validate(ROOT / "fixtures" / "valid" / "iplos-56.xml")
    assert findings(report) == []
    assert report.rows.total == 9


def test_a_message_without_notifications_gives_no_finding() -> None:
    text = re.sub(r"  <Notifikasjon.*</Notifikasjon>\n", "", BASE, flags=re.S)
    assert "Notifikasjon" not in text
    report = validate(text.encode(), today=date(2021, 5, 1))
    assert findings(report) == []


def test_100_characters_are_accepted_in_root_and_contact_names() -> None:
    hundred = "A" * 100
    text = BASE.replace('leverandor="Testleverandør AS"', f'leverandor="{hundred}"')
    text = text.replace('kontPerson="Kari Testesen"', f'kontPerson="{hundred}"')
    text = text.replace('brukerNr="101"', f'brukerNr="{"1" * 100}"')
    assert findings(run(text)) == []


def test_a_notification_without_an_event_is_a_schema_error_not_event_count() -> None:
    text = re.sub(r"    <TjenesteSlutt.*</TjenesteSlutt>\n", "", BASE, flags=re.S)
    (finding,) = run(text).findings
    assert finding.rule_id == "XSD-ROW"
    assert "Expected is one of" in finding.expected


# The pattern as the reference gives it, to compare the unambiguous form against.
REFERENCE_TELEPHONE = re.compile(r"^(\+47|0047|)( *\d *){8}$")


@given(st.text(alphabet="0123456789 +4x", max_size=16))
def test_telephone_pattern_accepts_exactly_what_the_reference_pattern_does(text: str) -> None:
    assert (TELEPHONE.fullmatch(text) is not None) == (REFERENCE_TELEPHONE.match(text) is not None)


@pytest.mark.parametrize("number", ["99999901", "+4799999901", "004799999901", " 999 99 901 ",
                                    "+47 99 99 99 01", "0047 9999 9901"])
def test_telephone_forms_accepted(number: str) -> None:
    assert TELEPHONE.fullmatch(number)


@pytest.mark.parametrize("number", ["9999990", "+46 99 99 99 01", "47 99 99 99 01 2",
                                    "+47-99999901", "٩٩٩٩٩٩٠١"])
def test_telephone_forms_rejected(number: str) -> None:
    assert TELEPHONE.fullmatch(number) is None


def test_a_long_run_of_spaces_is_rejected_without_backtracking_blowup() -> None:
    assert TELEPHONE.fullmatch("1" + " " * 5000 + "1" * 7 + "x") is None


@pytest.mark.parametrize("address", ["kari@sagene.example", "a.b+iplos@x.kommune.no",
                                     "ola.prøvesen@bærum.kommune.no"])
def test_email_forms_accepted(address: str) -> None:
    assert EMAIL.fullmatch(address)


@pytest.mark.parametrize("address", ["kari", "kari@", "@sagene.no", "kari@sagene",
                                     "kari@sagene.", "kari@.no", "ka ri@sagene.no",
                                     "kari@@sagene.no", "kari@sagene..no"])
def test_email_forms_rejected(address: str) -> None:
    assert EMAIL.fullmatch(address) is None


# 17853849464: K1 is not the classic check digit, but (weighted sum + K1) mod 11 = 1, which the
# rule from 2032 accepts.
RELAXED = "17853849464"


def _with_fid_in_year(fid: str, year: int) -> str:
    return BASE.replace(FID, fid).replace("2021-", f"{year}-")


def test_relaxed_k1_is_accepted_from_2032_only() -> None:
    assert findings(run(_with_fid_in_year(RELAXED, 2032))) == []
    rules = {f.rule_id for f in run(_with_fid_in_year(RELAXED, 2031)).findings}
    assert rules == {"EV-FID-CHECKSUM"}


def test_synthetic_ids_pass_by_default_and_are_rejected_when_not_accepted() -> None:
    assert findings(run(BASE)) == []
    report = run(BASE, accept_synthetic_ids=False)
    assert [f.rule_id for f in report.findings] == ["EV-SYNTHETIC-ID"] * 2
    assert report.rows.dropped == 2


def test_real_looking_ids_are_only_flagged_when_asked() -> None:
    real = BASE.replace(FID, "15063950073")  # ordinary form, born 2039
    assert [f.rule_id for f in run(real).findings] == ["EV-REAL-ID"] * 2
    assert findings(run(real, flag_real_ids=False)) == []


def test_guid_key_ignores_braces_and_case() -> None:
    guid = "94fe0638-edfe-4b1c-8def-197b35fe3633"
    assert guid_key("{" + guid.upper() + "}") == guid
    assert guid_key("{" + guid) is None
    assert guid_key(None) is None


def test_chain_accepts_the_previous_guid_in_braces_and_upper_case() -> None:
    text = BASE.replace('notifikasjonForrigeGUID="94fe0638-edfe-4b1c-8def-197b35fe3633"',
                        'notifikasjonForrigeGUID="{94FE0638-EDFE-4B1C-8DEF-197B35FE3633}"')
    assert "{94FE0638" in text
    assert findings(run(text)) == []


def _judge_with_history(text: str, history: EventHistory) -> list[tuple[str, str | None]]:
    """Run the 56.0.0 rules on each row of ``text`` with ``history`` as the earlier messages."""
    ctx = Context(generation=Generation.EVENT_56, kind=DocumentKind.IPLOS, year=2021,
                  period_start=date(2021, 1, 1), period_end=date(2021, 12, 31))
    ctx.state[HISTORY_KEY] = history
    root = etree.fromstring(text.encode())
    out = []
    for element in root.findall(f"{{{NS_56}}}Notifikasjon"):
        for row in row_from_element(element, "/Melding").walk():
            for rule in REGISTRY.for_scope(ctx.generation, ctx.kind, row.kind):
                assert rule.check is not None
                for violation in rule.check(row, ctx) or ():
                    out.append((rule.id, violation.value))
    return out


def test_a_caller_supplied_history_continues_an_earlier_message() -> None:
    """Only the ending: alone it has no start and breaks the chain; with the history of the
    message that started the service, it is fine."""
    start_guid = "94fe0638-edfe-4b1c-8def-197b35fe3633"
    text = re.sub(r"  <Notifikasjon.*?</Notifikasjon>\n", "", BASE, count=1, flags=re.S)
    text = text.replace('notifikasjonLopeNr="2"', 'notifikasjonLopeNr="7"')
    alone = _judge_with_history(text, EventHistory())
    assert sorted(rule for rule, _ in alone) == ["EV-CHAIN", "EV-START-MISSING"]
    earlier = EventHistory(last_guid=start_guid, last_lopenr=6, guids={start_guid},
                           status_by_guid={start_guid: "N"}, started={"T21-101"},
                           fid_by_brukernr={"101": FID}, brukernr_by_fid={FID: "101"})
    assert _judge_with_history(text, earlier) == []
    stale = EventHistory(last_guid=start_guid, last_lopenr=7, started={"T21-101"})
    assert _judge_with_history(text, stale) == [("EV-LOPENR-ORDER", "7")]
