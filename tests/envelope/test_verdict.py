"""The one mapping from a validation report to an AppRec outcome, case by case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mockkpr.envelope import (
    EnvelopeError,
    ErrorCode,
    Organisation,
    OriginalMsg,
    ReceiptError,
    ReceiptOutcome,
    Status,
    build_apprec,
    certificate_outcome,
    envelope_outcome,
    parse_apprec,
    parse_msghead,
    receipt_outcome,
)
from mockkpr.envelope.verdict import apprec_code
from mockkpr.iplos.findings import Consequence, Finding, Report
from mockkpr.iplos.formats import DocumentKind
from mockkpr.iplos.rules.registry import ALL_GENERATIONS, Rule, RuleRegistry

C = Consequence
TIMER = "/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]/tjTimerUke"


def make_registry() -> RuleRegistry:
    """Rules of every consequence, some with their own AppRec code."""
    registry = RuleRegistry()
    for rule_id, consequence, message, code in [
        ("DOC-WELLFORMED", C.REJECT_MESSAGE, "Dokumentet er ikke velformet XML", "T01"),
        ("IPLOS-AAR", C.REJECT_MESSAGE, "Rapporteringsåret mangler", "T99"),
        ("PE-FNR", C.REJECT_ROW, "Fødselsnummeret er ugyldig", "E31"),
        ("TJ-TIMERUKE-RANGE", C.SET_NULL, "Timer per uke må være mellom 0,01 og 168", "T99"),
        ("FN-SCORE", C.SET_MINUS_ONE, "Funksjonsscore utenfor gyldig område", "T02"),
        ("TJ-VEDTAK-DATO", C.REPORT_ONLY, "Vedtaksdato mangler", "T99"),
        ("BAD-CODE", C.REJECT_ROW, "Regel med feil kode", "Q42"),
    ]:
        registry.add(Rule(rule_id, "PERSON", consequence, "test", message, message,
                          ALL_GENERATIONS, frozenset({DocumentKind.IPLOS}), None,
                          apprec_code=code))
    return registry


REGISTRY = make_registry()


def finding(rule_id: str, location: str = TIMER, value: str | None = None) -> Finding:
    """A finding of a registered rule; an unregistered id gets a row consequence."""
    if rule_id not in REGISTRY:
        return Finding(rule_id, C.REJECT_ROW, location, value, "expected", "Ukjent regel",
                       "Unknown rule", "test")
    rule = REGISTRY[rule_id]
    return Finding(rule_id, rule.consequence, location, value, "expected", rule.message_no,
                   rule.message_en, "test")


def report(*findings: Finding, max_findings: int = 10_000) -> Report:
    result = Report("test.xml", max_findings=max_findings)
    for f in findings:
        result.add(f)
    return result


def outcome(rep: Report, max_errors: int = 50) -> ReceiptOutcome:
    return receipt_outcome(rep, max_errors=max_errors, registry=REGISTRY)


def test_no_findings_is_ok() -> None:
    assert outcome(report()) == ReceiptOutcome(Status.OK, ())


def test_report_only_findings_keep_the_receipt_ok() -> None:
    assert outcome(report(finding("TJ-VEDTAK-DATO"), finding("TJ-VEDTAK-DATO"))) == \
        ReceiptOutcome(Status.OK, ())


def test_value_and_row_consequences_give_status_3_with_those_findings() -> None:
    result = outcome(report(
        finding("TJ-VEDTAK-DATO"),
        finding("TJ-TIMERUKE-RANGE", value="200"),
        finding("PE-FNR", "/IPLOS/PERSON[@pePeID=18]", "01018012345"),
        finding("FN-SCORE", "/IPLOS/PERSON[@pePeID=18]/FUNKSJON[@fnFnID=1]/fnScore", "7"),
    ))
    assert result.status is Status.OK_FEIL_I_DELMELDING
    assert result.errors == (
        ReceiptError(ErrorCode.T99, "TJ-TIMERUKE-RANGE: Timer per uke må være mellom 0,01 og "
                     "168 (verdi 200)", TIMER),
        ReceiptError(ErrorCode.E31, "PE-FNR: Fødselsnummeret er ugyldig (verdi 01018012345)",
                     "/IPLOS/PERSON[@pePeID=18]"),
        ReceiptError(ErrorCode.T02, "FN-SCORE: Funksjonsscore utenfor gyldig område (verdi 7)",
                     "/IPLOS/PERSON[@pePeID=18]/FUNKSJON[@fnFnID=1]/fnScore"),
    )
    assert result.errors[0].ot == (
        "/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]/tjTimerUke: TJ-TIMERUKE-RANGE: "
        "Timer per uke må være mellom 0,01 og 168 (verdi 200)")


def test_a_rejecting_finding_gives_avvist_with_only_the_rejecting_findings() -> None:
    result = outcome(report(
        finding("PE-FNR", value="1"),
        finding("DOC-WELLFORMED", "line 12"),
        finding("TJ-VEDTAK-DATO"),
        finding("IPLOS-AAR", "/IPLOS/@aar"),
    ))
    assert result == ReceiptOutcome(Status.AVVIST, (
        ReceiptError(ErrorCode.T01, "DOC-WELLFORMED: Dokumentet er ikke velformet XML",
                     "line 12"),
        ReceiptError(ErrorCode.T99, "IPLOS-AAR: Rapporteringsåret mangler", "/IPLOS/@aar"),
    ))


def test_code_comes_from_the_rule_else_t99() -> None:
    assert apprec_code("PE-FNR", REGISTRY) is ErrorCode.E31
    assert apprec_code("DOC-WELLFORMED", REGISTRY) is ErrorCode.T01
    assert apprec_code("NOT-REGISTERED", REGISTRY) is ErrorCode.T99
    assert apprec_code("BAD-CODE", REGISTRY) is ErrorCode.T99
    result = outcome(report(finding("NOT-REGISTERED", value=None)))
    assert result.errors == (ReceiptError(ErrorCode.T99, "NOT-REGISTERED: Ukjent regel", TIMER),)


def test_findings_beyond_max_errors_are_aggregated_per_rule() -> None:
    findings = [finding("PE-FNR", f"/IPLOS/PERSON[@pePeID={i}]") for i in range(5)]
    findings += [finding("TJ-TIMERUKE-RANGE", value=str(200 + i)) for i in range(3)]
    findings += [finding("TJ-VEDTAK-DATO")] * 4
    result = outcome(report(*findings), max_errors=4)
    assert result.status is Status.OK_FEIL_I_DELMELDING
    assert [e.location for e in result.errors[:4]] == [
        f"/IPLOS/PERSON[@pePeID={i}]" for i in range(4)]
    assert result.errors[4:] == (
        ReceiptError(ErrorCode.E31, "PE-FNR: Fødselsnummeret er ugyldig (+1 more not listed "
                     "here; all are in the detailed feedback)"),
        ReceiptError(ErrorCode.T99, "TJ-TIMERUKE-RANGE: Timer per uke må være mellom 0,01 og "
                     "168 (+3 more not listed here; all are in the detailed feedback)"),
    )


def test_aggregation_counts_findings_the_report_did_not_keep() -> None:
    rep = report(*[finding("PE-FNR", f"/IPLOS/PERSON[@pePeID={i}]") for i in range(10)],
                 max_findings=3)
    assert rep.findings_truncated
    result = outcome(rep, max_errors=2)
    assert len(result.errors) == 3
    assert result.errors[2].text.startswith("PE-FNR: Fødselsnummeret er ugyldig (+8 more")


def test_a_rule_known_only_from_the_totals_is_aggregated_from_the_registry() -> None:
    rep = report(*[finding("PE-FNR")] * 2, finding("FN-SCORE"), max_findings=2)
    result = outcome(rep, max_errors=50)
    assert result.errors[-1] == ReceiptError(
        ErrorCode.T02, "FN-SCORE: Funksjonsscore utenfor gyldig område (+1 more not listed "
        "here; all are in the detailed feedback)")


def test_rejection_known_only_from_the_totals_still_names_a_reason() -> None:
    unknown_reject = Finding("UNREGISTERED-REJECT", C.REJECT_MESSAGE, "/IPLOS", None, "x",
                             "Avvist", "Rejected", "test")
    rep = report(finding("PE-FNR"), unknown_reject, max_findings=1)  # the reject is not kept
    assert not rep.accepted
    assert outcome(rep) == ReceiptOutcome(Status.AVVIST, (
        ReceiptError(ErrorCode.X99, "message rejected; see the detailed feedback"),))


def test_max_errors_zero_lists_only_aggregates() -> None:
    result = outcome(report(finding("IPLOS-AAR"), finding("IPLOS-AAR")), max_errors=0)
    assert result.errors == (ReceiptError(
        ErrorCode.T99, "IPLOS-AAR: Rapporteringsåret mangler (+2 more not listed here; all are "
        "in the detailed feedback)"),)


def test_negative_max_errors_is_refused() -> None:
    with pytest.raises(ValueError, match="max_errors must not be negative"):
        outcome(report(), max_errors=-1)


def test_long_values_are_cut() -> None:
    [error] = outcome(report(finding("PE-FNR", value="x" * 500))).errors
    assert error.text == f"PE-FNR: Fødselsnummeret er ugyldig (verdi {'x' * 59}…)"


def test_empty_location_gives_ot_without_a_prefix() -> None:
    [error] = outcome(report(finding("PE-FNR", location=""))).errors
    assert (error.location, error.ot) == (None, "PE-FNR: Fødselsnummeret er ugyldig")


def test_default_registry_is_the_global_one() -> None:
    # No rule of the global registry is named like this, so the code falls back to T99.
    result = receipt_outcome(report(finding("ZZ-NOT-A-RULE")))
    assert result.errors[0].code is ErrorCode.T99


@pytest.mark.parametrize("code", ["S01", "S02", "S03", "S99"])
def test_certificate_problems_reject(code: str) -> None:
    assert certificate_outcome(code, "Sertifikatet er utløpt") == ReceiptOutcome(
        Status.AVVIST, (ReceiptError(ErrorCode(code), "Sertifikatet er utløpt"),))


def test_certificate_outcome_refuses_other_codes() -> None:
    with pytest.raises(ValueError, match="T02 is not a certificate code; expected one of "
                                         "S01, S02, S03, S99"):
        certificate_outcome(ErrorCode.T02, "x")
    with pytest.raises(ValueError, match="'Q1' is not a valid ErrorCode"):
        certificate_outcome("Q1", "x")


def test_envelope_problems_become_a_rejecting_receipt() -> None:
    with pytest.raises(EnvelopeError) as caught:
        parse_msghead(b"<MsgHead")
    result = envelope_outcome(caught.value.problems)
    assert result.status is Status.AVVIST
    assert [e.code for e in result.errors] == [ErrorCode.T01]
    with pytest.raises(ValueError, match="at least one problem"):
        envelope_outcome([])


def test_report_to_receipt_and_back(municipality: Organisation, kpr: Organisation) -> None:
    """The path the endpoint takes: report -> outcome -> AppRec bytes -> what the sender reads."""
    result = outcome(report(finding("TJ-TIMERUKE-RANGE", value="200"), finding("PE-FNR")))
    xml = build_apprec(result, version="1.1", sender=kpr, receiver=municipality,
                       original=OriginalMsg("KPR_IPL", datetime(2019, 1, 5, tzinfo=UTC), "m-1"),
                       gen_date=datetime(2019, 1, 5, 0, 1, tzinfo=UTC), apprec_id="r-1")
    info = parse_apprec(xml)
    assert info.status is Status.OK_FEIL_I_DELMELDING
    assert [(e.code, e.text, e.detail) for e in info.errors] == [
        ("T99", "Annen feil på format", "/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]/"
         "tjTimerUke: TJ-TIMERUKE-RANGE: Timer per uke må være mellom 0,01 og 168 (verdi 200)"),
        ("E31", "Pasientens fødselsnummer er feil", "/IPLOS/PERSON[@pePeID=17]/TJENESTE"
         "[@tjTjID=3]/tjTimerUke: PE-FNR: Fødselsnummeret er ugyldig"),
    ]
