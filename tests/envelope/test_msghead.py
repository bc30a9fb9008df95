"""MsgHead 1.2: build, parse, and the exact problem a sender sees for each bad envelope."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from mockkpr.envelope import (
    EnvelopeError,
    MsgHeadInfo,
    Organisation,
    _xml,
    build_msghead,
    parse_msghead,
    receiver_her_ids,
    sender_her_ids,
)
from mockkpr.envelope.codes import ErrorCode
from mockkpr.envelope.msghead import MIG_VERSION, NAMESPACE, SCHEMA
from mockkpr.envelope.problems import NOT_WELL_FORMED, UNSUPPORTED
from mockkpr.errors import InputError, TransportError
from tests.envelope.conftest import GEN_DATE, HAND_WRITTEN, IPLOS_NS, PAYLOAD

MSG_ID = "0b7c1a52-3a4f-4bb0-9a43-5f8f6c8a1d2e"


def build(sender: Organisation, receiver: Organisation, **overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "msg_type": "KPR_IPL", "msg_id": MSG_ID, "gen_date": GEN_DATE,
        "sender": sender, "receiver": receiver,
    }
    arguments.update(overrides)
    payload = arguments.pop("payload", PAYLOAD)
    assert isinstance(payload, bytes)
    return build_msghead(payload, **arguments)  # type: ignore[arg-type]


def problems_of(xml: bytes) -> EnvelopeError:
    with pytest.raises(EnvelopeError) as caught:
        parse_msghead(xml)
    return caught.value


def replace(xml: bytes, old: str, new: str) -> bytes:
    text = xml.decode()
    assert old in text, old
    return text.replace(old, new, 1).encode()


# --- round trips -------------------------------------------------------------------------

def test_round_trip_keeps_every_field(municipality: Organisation, kpr: Organisation) -> None:
    info = parse_msghead(build(municipality, kpr))
    assert info == MsgHeadInfo(
        msg_type="KPR_IPL", msg_type_text="IPLOS-data til KPR", mig_version=MIG_VERSION,
        gen_date=GEN_DATE, gen_date_text=GEN_DATE.isoformat(), msg_id=MSG_ID, ack=True,
        sender=municipality, receiver=kpr,
        payload=PAYLOAD, payload_root=f"{{{IPLOS_NS}}}IPLOS", payload_line=1,
        container="Document",
    )


def test_built_msghead_is_valid_against_the_schema_and_has_no_declaration(
        municipality: Organisation, kpr: Organisation) -> None:
    xml = build(municipality, kpr, msg_type="KPR_IDE", ack=False)
    assert not xml.startswith(b"<?xml")
    root = etree.fromstring(xml)
    _xml.schema(SCHEMA).assertValid(root)
    ns = {"mh": NAMESPACE}
    assert root.xpath("string(mh:MsgInfo/mh:Type/@DN)", namespaces=ns) == "Identitetsdata til KPR"
    assert root.xpath("string(mh:MsgInfo/mh:Ack/@V)", namespaces=ns) == "N"
    assert root.xpath("string(//mh:RefDoc/mh:MsgType/@V)", namespaces=ns) == "XML"
    info = parse_msghead(xml)
    assert (info.msg_type, info.ack) == ("KPR_IDE", False)


def test_naive_and_offset_gen_dates_survive(municipality: Organisation, kpr: Organisation) -> None:
    for gen_date in (datetime(2019, 1, 5, 10, 0), datetime(2019, 1, 5, 10, 0, 0, 120_000,
                                                          tzinfo=timezone(timedelta(hours=1)))):
        assert parse_msghead(build(municipality, kpr, gen_date=gen_date)).gen_date == gen_date


def test_payload_with_declaration_comes_back_without_it(
        municipality: Organisation, kpr: Organisation) -> None:
    declared = b'<?xml version="1.0" encoding="UTF-8"?>\n' + PAYLOAD
    assert parse_msghead(build(municipality, kpr, payload=declared)).payload == PAYLOAD


def test_non_ascii_payload_stays_utf8(municipality: Organisation, kpr: Organisation) -> None:
    payload = f'<IPLOS xmlns="{IPLOS_NS}"><navn>Ærlig Øystein Åsen</navn></IPLOS>'.encode()
    assert parse_msghead(build(municipality, kpr, payload=payload)).payload == payload


def test_patient_report_container_round_trips(municipality: Organisation,
                                              kpr: Organisation) -> None:
    xml = build(municipality, kpr, container="PatientReport")
    _xml.schema(SCHEMA).assertValid(etree.fromstring(xml))
    info = parse_msghead(xml)
    assert (info.container, info.payload) == ("PatientReport", PAYLOAD)


def test_patient_report_is_case_no_then_document(municipality: Organisation,
                                                 kpr: Organisation) -> None:
    root = etree.fromstring(build(municipality, kpr, container="PatientReport", case_no="K-1"))
    report = root.find(f"{{{NAMESPACE}}}PatientReport")
    assert report is not None
    assert [etree.QName(e).localname for e in report] == ["CaseNo", "Document"]
    assert report.findtext(f"{{{NAMESPACE}}}CaseNo") == "K-1"


def test_the_payload_directly_in_patient_report_is_t02(municipality: Organisation,
                                                       kpr: Organisation) -> None:
    """A form mockkpr once wrote itself; the standard wants CaseNo and Document there."""
    xml = re.sub(rb"<PatientReport>.*</PatientReport>", b"<PatientReport>" + PAYLOAD +
                 b"</PatientReport>", build(municipality, kpr, container="PatientReport"))
    [found, *_] = problems_of(xml).problems
    assert found.code is ErrorCode.T02
    assert "This element is not expected. Expected is one of ( DocumentConnection, CaseNo )" \
        in found.text


def test_a_payload_without_namespace_stays_without_namespace(
        municipality: Organisation, kpr: Organisation) -> None:
    """The envelope's default namespace must not capture it (issue 12, case 7)."""
    xml = build(municipality, kpr, payload=b"<foo><bar/></foo>")
    content = etree.fromstring(xml).find(f".//{{{NAMESPACE}}}Content")
    assert content is not None
    assert [e.tag for e in content.iter()][1:] == ["foo", "bar"]
    assert b'<Content><foo xmlns=""><bar/></foo></Content>' in xml
    payload = etree.fromstring(parse_msghead(xml).payload)
    assert (payload.tag, payload[0].tag) == ("foo", "bar")


def test_payload_namespaces_and_undeclarations_are_kept(municipality: Organisation,
                                                       kpr: Organisation) -> None:
    inner = b'<x:a xmlns:x="urn:x"><b xmlns=""/><x:c/></x:a>'
    payload = etree.fromstring(parse_msghead(build(municipality, kpr, payload=inner)).payload)
    assert [e.tag for e in payload.iter()] == ["{urn:x}a", "b", "{urn:x}c"]


def test_level_two_organisation_gives_both_her_ids(municipality: Organisation,
                                                    kpr: Organisation) -> None:
    info = parse_msghead(build(municipality, kpr))
    assert info.sender.child == Organisation("Saksbehandling pleie og omsorg", 80002)
    assert sender_her_ids(info) == {80001, 80002}
    assert receiver_her_ids(info) == {131725}


def test_sender_without_level_two_has_one_her_id(kpr: Organisation) -> None:
    info = parse_msghead(build(Organisation("Liten kommune", 90001), kpr))
    assert sender_her_ids(info) == {90001}


def test_a_real_senders_msghead_with_extras_is_accepted() -> None:
    info = parse_msghead(HAND_WRITTEN)
    assert info.msg_type == "KPR_IPL"
    assert info.msg_id == "6f1c1f04-6a3d-4c3e-9d7e-0a5b3c2d1e0f"
    assert info.gen_date == datetime(2019, 1, 5, 10, 30, 15, 123456,
                                     tzinfo=timezone(timedelta(hours=1)))
    assert info.sender == Organisation("Eksempel kommune", 80001, "964338531",
                                       Organisation("Saksbehandling pleie og omsorg", 80002))
    assert sender_her_ids(info) == {80001, 80002}
    # the payload keeps the namespaces in scope (xsi) and points at its line in the envelope
    assert etree.fromstring(info.payload).find(f"{{{IPLOS_NS}}}PERSON") is not None
    assert info.payload.startswith(b'<IPLOS xmlns="http://www.npr.no/xmlstds/iplos/2019"')
    assert info.payload_line == HAND_WRITTEN.decode().splitlines().index(
        "        " + PAYLOAD.decode()) + 1


def test_ack_is_none_when_absent(municipality: Organisation, kpr: Organisation) -> None:
    xml = re.sub(rb"<Ack [^>]*/>", b"", build(municipality, kpr))
    assert parse_msghead(xml).ack is None


# --- bad envelopes -----------------------------------------------------------------------

def test_not_well_formed_is_t01(municipality: Organisation, kpr: Organisation) -> None:
    error = problems_of(build(municipality, kpr)[:-5])
    assert isinstance(error, TransportError)
    assert error.condition == NOT_WELL_FORMED
    assert error.description == "Could not deserialize payload"
    [found] = error.problems
    assert found.code is ErrorCode.T01
    assert found.location == "line 1"
    assert found.text.startswith("MsgHead is not well-formed XML: ")


@pytest.mark.parametrize("xml", [b"", b"   ", b"not xml at all", b"\xff\xfe<\x00"])
def test_empty_or_binary_input_is_t01(xml: bytes) -> None:
    [found] = problems_of(xml).problems
    assert (found.code, found.condition) == (ErrorCode.T01, NOT_WELL_FORMED)


def test_doctype_with_external_entity_is_refused_without_reading_it(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xml = replace(HAND_WRITTEN, "<mh:MsgHead",
                  f'<!DOCTYPE mh:MsgHead [<!ENTITY x SYSTEM "file://{secret}">]>\n<mh:MsgHead')
    xml = replace(xml, "<mh:MsgId>6f1c1f04", "<mh:MsgId>&x;6f1c1f04")
    error = problems_of(xml)
    [found] = error.problems
    assert (found.code, found.condition) == (ErrorCode.T01, NOT_WELL_FORMED)
    assert found.text == ("MsgHead has a DOCTYPE; DTDs and entity declarations are not allowed")
    assert "TOP-SECRET" not in str(error)


def test_entity_expansion_bomb_is_refused() -> None:
    entities = "".join(f'<!ENTITY e{i} "&e{i - 1};&e{i - 1};&e{i - 1};&e{i - 1};">'
                       for i in range(1, 12))
    xml = f'<!DOCTYPE m [<!ENTITY e0 "boom">{entities}]><m>&e11;</m>'.encode()
    [found] = problems_of(xml).problems
    assert found.code is ErrorCode.T01
    assert "DOCTYPE" in found.text


def test_bare_payload_without_msghead_is_t02() -> None:
    [found] = problems_of(PAYLOAD).problems
    assert (found.code, found.condition) == (ErrorCode.T02, NOT_WELL_FORMED)
    assert found.text == (f"the root element is {{{IPLOS_NS}}}IPLOS; expected MsgHead in "
                          f"namespace {NAMESPACE}")
    assert found.location == "/IPLOS"


def test_missing_msg_id_is_a_schema_error(municipality: Organisation, kpr: Organisation) -> None:
    xml = replace(build(municipality, kpr), f"<MsgId>{MSG_ID}</MsgId>", "")
    [found] = problems_of(xml).problems
    assert (found.code, found.condition) == (ErrorCode.T02, NOT_WELL_FORMED)
    assert found.text == ("Element 'Ack': This element is not expected. "
                          "Expected is ( MsgId ).")
    assert found.location == "/MsgHead/MsgInfo/Ack (line 1)"


def test_a_blank_msg_id_is_read_as_empty(municipality: Organisation, kpr: Organisation) -> None:
    """MsgId is any string in the standard, even a blank one."""
    xml = replace(build(municipality, kpr), f"<MsgId>{MSG_ID}</MsgId>", "<MsgId>  </MsgId>")
    assert parse_msghead(xml).msg_id == ""


def test_missing_type_is_a_schema_error(municipality: Organisation, kpr: Organisation) -> None:
    xml = re.sub(rb"<Type [^>]*/>", b"", build(municipality, kpr))
    [found] = problems_of(xml).problems
    assert found.code is ErrorCode.T02
    assert found.text == ("Element 'MIGversion': This element is not expected. "
                          "Expected is ( Type ).")


def test_type_without_v_names_no_function(municipality: Organisation, kpr: Organisation) -> None:
    """Every attribute of a CS is optional: valid, but no message function KPR receives."""
    xml = replace(build(municipality, kpr), 'V="KPR_IPL" ', "")
    [found] = problems_of(xml).problems
    assert (found.code, found.condition) == (ErrorCode.T10, UNSUPPORTED)
    assert found.text.startswith("message function '' is not supported")


def test_an_s_on_type_is_t02(municipality: Organisation, kpr: Organisation) -> None:
    """MsgInfo/Type is a CS (issue 12, case 4)."""
    xml = replace(build(municipality, kpr), 'V="KPR_IPL" ', 'V="KPR_IPL" S="1.2" ')
    [found] = problems_of(xml).problems
    assert found.code is ErrorCode.T02
    assert found.text == "Element 'Type', attribute 'S': The attribute 'S' is not allowed."


def test_unknown_message_function_is_t10_unsupported(municipality: Organisation,
                                                     kpr: Organisation) -> None:
    error = problems_of(build(municipality, kpr, msg_type="KPR_FOO"))
    assert error.condition == UNSUPPORTED
    [found] = error.problems
    assert found.code is ErrorCode.T10
    assert found.text == ("message function 'KPR_FOO' is not supported; "
                          "expected one of KPR_IDE, KPR_IPL")
    assert found.location == "/MsgHead/MsgInfo/Type/@V"
    assert error.description == found.text


def test_whitelist_can_be_narrowed(municipality: Organisation, kpr: Organisation) -> None:
    error = problems_of_with(build(municipality, kpr, msg_type="KPR_IDE"), {"KPR_IPL"})
    assert [p.code for p in error.problems] == [ErrorCode.T10]


def problems_of_with(xml: bytes, supported: set[str]) -> EnvelopeError:
    with pytest.raises(EnvelopeError) as caught:
        parse_msghead(xml, supported=supported)
    return caught.value


def test_two_documents_are_t10(municipality: Organisation, kpr: Organisation) -> None:
    xml = build(municipality, kpr)
    document = re.search(rb"<Document>.*</Document>", xml)
    assert document is not None
    twice = xml.replace(document.group(0), document.group(0) * 2)
    _xml.schema(SCHEMA).assertValid(etree.fromstring(twice))  # valid MsgHead, not for KPR
    error = problems_of(twice)
    assert error.condition == UNSUPPORTED
    [found] = error.problems
    assert found.code is ErrorCode.T10
    assert found.text == (
        "the MsgHead carries 2 documents (/MsgHead/Document/RefDoc/Content/IPLOS, "
        "/MsgHead/Document/RefDoc/Content/IPLOS); KPR takes exactly one per message")


def test_two_elements_in_one_content_are_t10(municipality: Organisation,
                                             kpr: Organisation) -> None:
    xml = replace(build(municipality, kpr), "</Content>", PAYLOAD.decode() + "</Content>")
    [found] = problems_of(xml).problems
    assert found.code is ErrorCode.T10
    assert "carries 2 documents" in found.text


def test_text_in_content_is_t02(municipality: Organisation, kpr: Organisation) -> None:
    xml = replace(build(municipality, kpr), PAYLOAD.decode(), "  some text, no element  ")
    [found] = problems_of(xml).problems
    assert (found.code, found.condition) == (ErrorCode.T02, NOT_WELL_FORMED)
    assert found.text == ("Element 'Content': Character content other than whitespace is not "
                          "allowed because the content type is 'element-only'.")


def test_content_without_an_element_is_t10(municipality: Organisation,
                                           kpr: Organisation) -> None:
    """A valid envelope that carries nothing KPR can read."""
    xml = replace(build(municipality, kpr), PAYLOAD.decode(), " <!-- nothing --> ")
    [found] = problems_of(xml).problems
    assert (found.code, found.condition) == (ErrorCode.T10, UNSUPPORTED)
    assert found.text == ("the MsgHead carries no XML document (no RefDoc/Content holds an "
                          "element); KPR needs exactly one")


def test_file_reference_is_t10(municipality: Organisation, kpr: Organisation) -> None:
    xml = replace(build(municipality, kpr), f"<Content>{PAYLOAD.decode()}</Content>",
                  "<FileReference>https://example.invalid/iplos.xml</FileReference>")
    [found] = problems_of(xml).problems
    assert found.code is ErrorCode.T10
    assert found.location == "/MsgHead/Document[1]/RefDoc/FileReference"


def test_elements_out_of_order_are_t02(municipality: Organisation, kpr: Organisation) -> None:
    xml = build(municipality, kpr)
    gen_date = re.search(rb"<GenDate>[^<]*</GenDate>", xml)
    assert gen_date is not None
    xml = xml.replace(gen_date.group(0), b"").replace(b"</MsgId>", b"</MsgId>" + gen_date.group(0))
    [found] = problems_of(xml).problems
    assert found.text == "Element 'MsgId': This element is not expected. Expected is ( GenDate )."


def test_unreadable_gen_date_is_t02(municipality: Organisation, kpr: Organisation) -> None:
    xml = re.sub(rb"<GenDate>[^<]*</GenDate>", b"<GenDate>05.01.2019 10:00</GenDate>",
                 build(municipality, kpr))
    [found] = problems_of(xml).problems
    assert found.code is ErrorCode.T02
    assert found.location == "/MsgHead/MsgInfo/GenDate (line 1)"
    assert "is not a valid value of the atomic type 'xs:dateTime'" in found.text


def test_a_her_id_that_is_not_a_number_is_no_her_id(municipality: Organisation,
                                                    kpr: Organisation) -> None:
    """Ident/Id is any string; the spoofing check then decides on the numeric ones."""
    xml = replace(build(municipality, kpr), "<Id>80002</Id>", "<Id>80002a</Id>")
    info = parse_msghead(xml)
    assert sender_her_ids(info) == {80001}
    assert info.sender.child == Organisation("Saksbehandling pleie og omsorg", None)


def test_ack_other_than_j_or_n_asks_for_nothing(municipality: Organisation,
                                                kpr: Organisation) -> None:
    xml = replace(build(municipality, kpr), '<Ack V="J"', '<Ack V="Y"')
    assert parse_msghead(xml).ack is None


def test_schema_problems_stop_before_the_message_function_is_judged(
        municipality: Organisation, kpr: Organisation) -> None:
    xml = replace(build(municipality, kpr, msg_type="KPR_FOO"), 'V="KPR_FOO"',
                  'V="KPR_FOO" S="x"')
    error = problems_of(xml)
    assert [p.code for p in error.problems] == [ErrorCode.T02]
    assert error.condition == NOT_WELL_FORMED


# --- building with bad arguments ---------------------------------------------------------

def test_build_refuses_a_payload_that_is_not_xml(municipality: Organisation,
                                                 kpr: Organisation) -> None:
    with pytest.raises(InputError, match=r"^cannot wrap the payload: line 1: payload is not "
                                         r"well-formed XML: "):
        build(municipality, kpr, payload=b"<IPLOS>")


def test_build_refuses_a_payload_with_doctype(municipality: Organisation,
                                              kpr: Organisation) -> None:
    with pytest.raises(InputError, match="payload has a DOCTYPE"):
        build(municipality, kpr, payload=b"<!DOCTYPE IPLOS><IPLOS/>")


def test_build_refuses_empty_msg_id(municipality: Organisation, kpr: Organisation) -> None:
    with pytest.raises(ValueError, match="msg_id must not be empty"):
        build(municipality, kpr, msg_id=" ")


def test_build_refuses_organisation_without_identifier(kpr: Organisation) -> None:
    with pytest.raises(ValueError, match="'Anonym' needs a HER-id or an organisation number"):
        build(Organisation("Anonym", None), kpr)


def test_organisation_number_only_is_allowed(kpr: Organisation) -> None:
    info = parse_msghead(build(Organisation("Bare orgnr", None, "964338531"), kpr))
    assert info.sender == Organisation("Bare orgnr", None, "964338531")
    assert sender_her_ids(info) == set()


def test_build_accepts_an_unsupported_function_for_negative_tests(
        municipality: Organisation, kpr: Organisation) -> None:
    root = etree.fromstring(build(municipality, kpr, msg_type="KPR_FOO"))
    type_element = root.find(f"{{{NAMESPACE}}}MsgInfo/{{{NAMESPACE}}}Type")
    assert type_element is not None
    assert dict(type_element.items()) == {"V": "KPR_FOO"}


def test_gen_date_in_utc_keeps_the_offset(municipality: Organisation, kpr: Organisation) -> None:
    xml = build(municipality, kpr, gen_date=datetime(2019, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert b"<GenDate>2019-01-02T03:04:05+00:00</GenDate>" in xml


def test_schema_errors_in_a_prefixed_msghead_point_at_the_element() -> None:
    xml = re.sub(rb"<mh:MsgId>[^<]*</mh:MsgId>\s*", b"", HAND_WRITTEN)
    [found] = problems_of(xml).problems
    assert found.text == ("Element 'ProcessingStatus': This element is not expected. "
                          "Expected is ( MsgId ).")
    assert found.location == "/MsgHead/MsgInfo/ProcessingStatus (line 9)"


# --- the document's own bytes in the envelope ----------------------------------------------

def _as_if_serialised(sender: Organisation, receiver: Organisation, document: bytes) -> bytes:
    """The payload the receiver reads when the document's root is written out by lxml first
    (what the sender did before it put the document's own bytes in)."""
    serialised = etree.tostring(etree.fromstring(document), encoding="UTF-8")
    return parse_msghead(build(sender, receiver, payload=serialised)).payload


@pytest.mark.parametrize("document", [
    b'<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- made by hand -->\r\n' + PAYLOAD.replace(
        b'"0301"', b"'0301'").replace(b"<tjTimerUke>", b"<tjTimerUke >") + b"\r\n",
    b"\xef\xbb\xbf<?xml version='1.0'?><?app x?>" + PAYLOAD.replace(b"7,5", b"&#55;,5"),
    f'<i:IPLOS xmlns:i="{IPLOS_NS}"><i:PERSON pePeID="17"></i:PERSON></i:IPLOS>\n\n'.encode(),
], ids=["crlf-quotes-comment", "bom-pi-reference", "prefixed"])
def test_the_envelope_carries_the_documents_own_bytes(
        municipality: Organisation, kpr: Organisation, document: bytes) -> None:
    """The root element goes in as written (it is parsed to refuse bad XML, not written out
    again); the receiver reads the same document as from a serialised one."""
    xml = build(municipality, kpr, payload=document)
    start = document.index(b"<" + (b"i:" if b"<i:" in document else b"") + b"IPLOS")
    assert document[start:].rstrip() in xml
    assert parse_msghead(xml).payload == _as_if_serialised(municipality, kpr, document)


def test_a_document_in_another_encoding_is_written_out_in_utf8(
        municipality: Organisation, kpr: Organisation) -> None:
    document = ('<?xml version="1.0" encoding="ISO-8859-1"?>'
                f'<IPLOS xmlns="{IPLOS_NS}"><navn>Ærlig Øystein</navn></IPLOS>').encode("latin-1")
    xml = build(municipality, kpr, payload=document)
    assert "<navn>Ærlig Øystein</navn>".encode() in xml
    assert parse_msghead(xml).payload == _as_if_serialised(municipality, kpr, document)


def test_a_comment_after_the_root_is_left_out(municipality: Organisation,
                                              kpr: Organisation) -> None:
    document = PAYLOAD + b"\n<!-- exported by EPJ -->\n"
    xml = build(municipality, kpr, payload=document)
    assert b"exported" not in xml
    assert parse_msghead(xml).payload == _as_if_serialised(municipality, kpr, document)


def test_a_document_without_namespace_written_as_is_gets_xmlns_empty(
        municipality: Organisation, kpr: Organisation) -> None:
    xml = build(municipality, kpr, payload=b'<?xml version="1.0"?>\n<foo\ta="1"><bar/></foo>\n')
    assert b'<Content><foo xmlns=""\ta="1"><bar/></foo></Content>' in xml
    assert etree.fromstring(parse_msghead(xml).payload).tag == "foo"
