"""AppRec 1.0 and 1.1: build, parse, schema validity and what each element carries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from lxml import etree

from mockkpr.envelope import (
    AppRecErrorInfo,
    AppRecInfo,
    EnvelopeError,
    ErrorCode,
    Organisation,
    OriginalMsg,
    ReceiptError,
    ReceiptOutcome,
    Status,
    _xml,
    build_apprec,
    build_msghead,
    parse_apprec,
    parse_msghead,
)
from mockkpr.envelope.apprec import FLAVOURS, Version
from mockkpr.envelope.codes import ERROR_OID
from tests.envelope.conftest import GEN_DATE, PAYLOAD

ORIGINAL = OriginalMsg("KPR_IPL", GEN_DATE, "0b7c1a52-3a4f-4bb0-9a43-5f8f6c8a1d2e",
                       "IPLOS-data til KPR")
RECEIPT_DATE = datetime(2019, 1, 5, 10, 31, tzinfo=UTC)
APPREC_ID = "2d0f5c1e-1111-4a2b-8c3d-4e5f60718293"
VERSIONS: tuple[Version, ...] = ("1.0", "1.1")
ERRORS = (
    ReceiptError(ErrorCode.T02, "TJ-TIMERUKE-RANGE: Timer per uke må være mellom 0,01 og 168 "
                 "(verdi 200)", "/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]/tjTimerUke"),
    ReceiptError(ErrorCode.E31, "PE-FNR: Fødselsnummeret er ugyldig"),
)


def build(outcome: ReceiptOutcome, version: Version, sender: Organisation,
          receiver: Organisation) -> bytes:
    return build_apprec(outcome, version=version, sender=sender, receiver=receiver,
                        original=ORIGINAL, gen_date=RECEIPT_DATE, apprec_id=APPREC_ID)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("outcome", [
    ReceiptOutcome(Status.OK),
    ReceiptOutcome(Status.OK_FEIL_I_DELMELDING, ERRORS[:1]),
    ReceiptOutcome(Status.AVVIST, ERRORS),
])
def test_round_trip(version: Version, outcome: ReceiptOutcome, kpr: Organisation,
                    municipality: Organisation) -> None:
    xml = build(outcome, version, kpr, municipality)
    _xml.schema(FLAVOURS[version].schema).assertValid(etree.fromstring(xml))
    info = parse_apprec(xml)
    assert info == AppRecInfo(
        version=version, mig_version=FLAVOURS[version].mig_version, software_name="mockkpr",
        software_version="0.1.0", gen_date=RECEIPT_DATE, apprec_id=APPREC_ID,
        # one identifier per level in an AppRec: the HER-id wins over the organisation number
        sender=kpr, receiver=replace(municipality, org_number=None), status=outcome.status,
        status_code=outcome.status.value, status_text=outcome.status.text,
        errors=tuple(AppRecErrorInfo(e.code.value, e.code.text, e.ot, ERROR_OID)
                     for e in outcome.errors),
        original=ORIGINAL,
    )
    assert all(e.known_code is o.code for e, o in zip(info.errors, outcome.errors, strict=True))


@pytest.mark.parametrize(("version", "namespace", "mig"), [
    ("1.0", "http://www.kith.no/xmlstds/apprec/2004-11-21", "1.0 2004-11-21"),
    ("1.1", "http://www.kith.no/xmlstds/apprec/2012-02-15", "v1.1 2012-02-15"),
])
def test_namespace_and_mig_version_per_version(version: Version, namespace: str, mig: str,
                                               kpr: Organisation,
                                               municipality: Organisation) -> None:
    root = etree.fromstring(build(ReceiptOutcome(Status.OK), version, kpr, municipality))
    assert root.tag == f"{{{namespace}}}AppRec"
    assert root.findtext(f"{{{namespace}}}MIGversion") == mig
    other: Version = "1.1" if version == "1.0" else "1.0"
    assert not _xml.schema(FLAVOURS[other].schema).validate(root)


def test_elements_carry_the_profiles_attributes(kpr: Organisation,
                                                municipality: Organisation) -> None:
    root = etree.fromstring(build(ReceiptOutcome(Status.AVVIST, ERRORS), "1.1", kpr,
                                  municipality))
    ns = {"a": FLAVOURS["1.1"].namespace}
    msg_type, status = root.find("a:MsgType", ns), root.find("a:Status", ns)
    assert msg_type is not None
    assert status is not None
    assert dict(msg_type.items()) == {"V": "APPREC", "DN": "Applikasjonskvittering"}
    assert dict(status.items()) == {"V": "2", "DN": "Avvist"}
    errors = root.findall("a:Error", ns)
    assert [dict(e.items()) for e in errors] == [
        {"V": "T02", "S": "2.16.578.1.12.4.1.1.8221", "DN": "XML validerer ikke",
         "OT": "/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]/tjTimerUke: TJ-TIMERUKE-RANGE: "
               "Timer per uke må være mellom 0,01 og 168 (verdi 200)"},
        {"V": "E31", "S": "2.16.578.1.12.4.1.1.8221", "DN": "Pasientens fødselsnummer er feil",
         "OT": "PE-FNR: Fødselsnummeret er ugyldig"},
    ]
    assert all(len(e) == 0 and e.text is None for e in errors)  # attributes only
    # the original sender's level-2 organisation is the receiver's Dept
    assert root.findtext("a:Receiver/a:HCP/a:Inst/a:Dept/a:Id", namespaces=ns) == "80002"
    assert root.findtext("a:OriginalMsgId/a:Id", namespaces=ns) == ORIGINAL.msg_id
    assert root.findtext("a:OriginalMsgId/a:IssueDate",
                         namespaces=ns) == "2019-01-05T10:30:15+00:00"


def test_original_comes_from_the_parsed_msghead(municipality: Organisation,
                                                kpr: Organisation) -> None:
    info = parse_msghead(build_msghead(PAYLOAD, msg_type="KPR_IDE", msg_id="m-1",
                                       gen_date=GEN_DATE, sender=municipality, receiver=kpr))
    # GenDate as the sender wrote it: the receipt echoes it verbatim in IssueDate
    assert OriginalMsg.from_msghead(info) == OriginalMsg("KPR_IDE", "2019-01-05T10:30:15+00:00",
                                                         "m-1", "Identitetsdata til KPR")


def test_organisation_number_is_used_without_her_id(kpr: Organisation) -> None:
    receiver = Organisation("Bare orgnr", None, "964338531")
    info = parse_apprec(build(ReceiptOutcome(Status.OK), "1.0", kpr, receiver))
    assert info.receiver == receiver


# A receipt as another system might write it: prefixes, Role, HCPerson, a code mockkpr does not
# know, an Error without OT.
FOREIGN = b"""<?xml version="1.0" encoding="utf-8"?>
<ar:AppRec xmlns:ar="http://www.kith.no/xmlstds/apprec/2012-02-15">
  <ar:MsgType V="APPREC" DN="Applikasjonskvittering"/>
  <ar:MIGversion>v1.1 2012-02-15</ar:MIGversion>
  <ar:GenDate>2019-01-05T11:00:00.1234567+01:00</ar:GenDate>
  <ar:Id>e0e0e0e0-0000-4000-8000-000000000001</ar:Id>
  <ar:Sender>
    <ar:Role V="MOTTAKER" DN="Mottaker"/>
    <ar:HCP>
      <ar:Inst>
        <ar:Name>KPR</ar:Name>
        <ar:Id>122612</ar:Id>
        <ar:TypeId V="HER" DN="HER-id"/>
        <ar:HCPerson><ar:Name>Saksbehandler</ar:Name></ar:HCPerson>
      </ar:Inst>
    </ar:HCP>
  </ar:Sender>
  <ar:Receiver>
    <ar:HCP>
      <ar:Inst>
        <ar:Name>Eksempel kommune</ar:Name>
        <ar:Id>80001</ar:Id>
        <ar:TypeId V="HER" DN="HER-id"/>
        <ar:Dept>
          <ar:Name>Saksbehandling</ar:Name>
          <ar:Id>80002</ar:Id>
          <ar:TypeId V="HER" DN="HER-id"/>
        </ar:Dept>
      </ar:Inst>
    </ar:HCP>
  </ar:Receiver>
  <ar:Status V="3" DN="OK, feil i delmelding"/>
  <ar:Error V="E99" S="2.16.578.1.12.4.1.1.8221" DN="Noe nytt" OT="linje 4"/>
  <ar:Error V="X99"/>
  <ar:OriginalMsgId>
    <ar:MsgType V="KPR_IPL" DN="IPLOS"/>
    <ar:IssueDate>2019-01-05T10:30:15</ar:IssueDate>
    <ar:Id>6f1c1f04-6a3d-4c3e-9d7e-0a5b3c2d1e0f</ar:Id>
  </ar:OriginalMsgId>
</ar:AppRec>
"""


def test_a_foreign_receipt_with_unknown_codes_is_read() -> None:
    info = parse_apprec(FOREIGN)
    assert (info.version, info.status, info.software_name) == ("1.1", Status.OK_FEIL_I_DELMELDING,
                                                               None)
    assert info.errors == (AppRecErrorInfo("E99", "Noe nytt", "linje 4", ERROR_OID),
                           AppRecErrorInfo("X99", None, None, None))
    assert [e.known_code for e in info.errors] == [None, ErrorCode.X99]
    assert info.sender == Organisation("KPR", 122612)
    assert info.receiver.child == Organisation("Saksbehandling", 80002)
    assert info.original.issue_date == datetime(2019, 1, 5, 10, 30, 15)


def _problem(xml: bytes) -> EnvelopeError:
    with pytest.raises(EnvelopeError) as caught:
        parse_apprec(xml)
    return caught.value


def test_unknown_apprec_namespace_is_t10() -> None:
    xml = FOREIGN.replace(b"apprec/2012-02-15", b"apprec/2099-01-01")
    [found] = _problem(xml).problems
    assert found.code is ErrorCode.T10
    assert found.text == ("AppRec namespace 'http://www.kith.no/xmlstds/apprec/2099-01-01' is "
                          "not supported; expected one of "
                          "http://www.kith.no/xmlstds/apprec/2004-11-21, "
                          "http://www.kith.no/xmlstds/apprec/2012-02-15")


def test_a_msghead_is_not_a_receipt() -> None:
    [found] = _problem(b'<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"/>'
                       ).problems
    assert found.code is ErrorCode.T02
    assert found.text.endswith("MsgHead; expected AppRec")


def test_a_status_outside_code_list_8258_is_read_as_written() -> None:
    info = parse_apprec(FOREIGN.replace(b'<ar:Status V="3"', b'<ar:Status V="4"'))
    assert (info.status, info.status_code) == (None, "4")


def test_an_s_on_status_or_type_id_is_t02() -> None:
    """Status and TypeId are of the KITH type CS in AppRec: V and DN only."""
    for old, new in ((b'DN="OK, feil i delmelding"/>',
                      b'DN="OK, feil i delmelding" S="2.16.578.1.12.4.1.1.8258"/>'),
                     (b'DN="HER-id"/>', b'DN="HER-id" S="2.16.578.1.12.4.1.1.9051"/>')):
        [found, *_] = _problem(FOREIGN.replace(old, new, 1)).problems
        assert found.code is ErrorCode.T02
        assert "attribute 'S': The attribute 'S' is not allowed" in found.text


def test_missing_original_msg_id_is_t02() -> None:
    start, end = FOREIGN.index(b"<ar:OriginalMsgId>"), FOREIGN.index(b"</ar:AppRec>")
    [found] = _problem(FOREIGN[:start] + FOREIGN[end:]).problems
    assert found.text == ("Element 'AppRec': Missing child element(s). Expected is one of "
                          "( Error, OriginalMsgId ).")


def test_error_with_children_is_t02() -> None:
    xml = FOREIGN.replace(b'<ar:Error V="X99"/>', b'<ar:Error V="X99"><ar:OT>x</ar:OT></ar:Error>')
    [found] = _problem(xml).problems
    assert found.code is ErrorCode.T02
    assert found.text.startswith("Element 'Error': Element content is not allowed")


def test_not_well_formed_receipt_is_t01() -> None:
    [found] = _problem(FOREIGN[:100]).problems
    assert found.code is ErrorCode.T01


def test_a_her_id_that_is_not_a_number_is_no_her_id() -> None:
    """The schema takes any string as Id; such a party simply has no HER-id."""
    info = parse_apprec(FOREIGN.replace(b"<ar:Id>122612</ar:Id>", b"<ar:Id>KPR</ar:Id>"))
    assert info.sender == Organisation("KPR", None)


def test_build_refuses_unknown_version(kpr: Organisation, municipality: Organisation) -> None:
    with pytest.raises(ValueError, match=r"unknown AppRec version '2\.0'"):
        build(ReceiptOutcome(Status.OK), "2.0", kpr, municipality)  # type: ignore[arg-type]


def test_build_refuses_empty_id(kpr: Organisation, municipality: Organisation) -> None:
    with pytest.raises(ValueError, match="apprec_id must not be empty"):
        build_apprec(ReceiptOutcome(Status.OK), version="1.0", sender=kpr,
                     receiver=municipality, original=ORIGINAL, gen_date=RECEIPT_DATE,
                     apprec_id="")


def test_software_fields_are_optional(kpr: Organisation, municipality: Organisation) -> None:
    xml = build_apprec(ReceiptOutcome(Status.OK), version="1.0", sender=kpr,
                       receiver=municipality, original=ORIGINAL, gen_date=RECEIPT_DATE,
                       apprec_id=APPREC_ID, software_name=None, software_version=None)
    info = parse_apprec(xml)
    assert (info.software_name, info.software_version) == (None, None)
    assert b"Software" not in xml
