"""The envelope corpus (fixtures/envelopes): mockkpr's schemas agree with every official mark,
every MsgHead gets the answer the manifest names, every AppRec reads as marked, and every AppRec
mockkpr writes is valid.

The marks were checked against the official KITH schemas (test_official_schemas.py); here they
are the expectation mockkpr's own schemas and receiver must meet.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from mockkpr.cms import protect, unprotect
from mockkpr.envelope import (
    EnvelopeError,
    Organisation,
    OriginalMsg,
    ReceiptError,
    ReceiptOutcome,
    Status,
    _xml,
    build_apprec,
    parse_apprec,
    parse_msghead,
)
from mockkpr.envelope.apprec import FLAVOURS, Version
from mockkpr.envelope.codes import ErrorCode
from mockkpr.journal.models import Outcome
from mockkpr.journal.store import Journal
from mockkpr.registry import Registry
from mockkpr.service.messages import CMS_CONTENT_TYPE, InboundMessage
from mockkpr.service.pipeline import Receiver
from mockkpr.settings import Settings
from tests.envelope.corpus import CORPUS, Case, cases

KPR, SENDER = 131725, 12345
MSGHEADS = cases("msghead")
APPRECS = cases("apprec")
SCHEMAS = {f.namespace: f.schema for f in FLAVOURS.values()}


def test_every_corpus_file_is_in_the_manifest_and_every_entry_has_its_file() -> None:
    on_disk = {f"{p.parent.name}/{p.stem}" for p in CORPUS.glob("*/*.xml")}
    assert on_disk == {str(c) for c in MSGHEADS + APPRECS}


def test_the_corpus_reproduces_every_case_of_issue_12() -> None:
    """Cases 1, 3, 4 and 5 of the issue, each in at least one file."""
    issues = [c.issue or "" for c in MSGHEADS + APPRECS]
    for number in ("1", "3", "4", "5"):
        assert any(i.startswith(f"{number}:") for i in issues), number


# ------------------------------------------------------------------ schemas vs official marks
@pytest.mark.parametrize("case", [c for c in MSGHEADS if c.official != "not-xml"], ids=str)
def test_mockkpr_msghead_schema_judges_as_the_official_one(case: Case) -> None:
    tree = case.tree()
    assert _xml.schema("msghead-1.2.xsd").validate(tree) is (case.official == "valid"), \
        _xml.schema("msghead-1.2.xsd").error_log


@pytest.mark.parametrize("case", [c for c in APPRECS if c.official != "other-namespace"],
                         ids=str)
def test_mockkpr_apprec_schemas_judge_as_the_official_ones(case: Case) -> None:
    tree = case.tree()
    schema = _xml.schema(SCHEMAS[etree.QName(tree.getroot()).namespace or ""])
    assert schema.validate(tree) is (case.official == "valid"), schema.error_log


# ------------------------------------------------------------------ the receiver's answers
@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory,
             session_registry: Registry) -> Iterator[Receiver]:
    data = tmp_path_factory.mktemp("corpus-journal")
    journal = Journal(f"sqlite:///{data / 'journal.sqlite3'}")
    yield Receiver(session_registry, journal, Settings(data_dir=data, kpr_her_id=KPR))
    journal.close()


def _send(receiver: Receiver, envelope: bytes) -> InboundMessage:
    sender = receiver.registry.party(SENDER)
    assert sender.signing is not None
    body = protect(envelope, signer_cert=sender.signing.certificate,
                   signer_key=sender.signing.key,
                   recipient_cert=receiver.kpr.encryption_certificate)
    message_id = str(uuid.uuid4())
    return InboundMessage(
        message_id=message_id, correlation_id=message_id, subject="KPR_IDE",
        to=f"{KPR}_async", reply_to=f"{SENDER}_async", content_type=CMS_CONTENT_TYPE,
        application_properties={"fromHerId": str(SENDER), "toHerId": str(KPR),
                                 "applicationTimeStamp": "2020-01-14T09:30:00Z"},
        body=body, queue=f"{KPR}_async")


@pytest.mark.parametrize("case", MSGHEADS, ids=str)
def test_each_msghead_gets_the_answer_the_manifest_names(receiver: Receiver,
                                                         case: Case) -> None:
    result = receiver.process(_send(receiver, case.data))
    assert result.entry_id is not None
    entry = receiver.journal.get(result.entry_id)  # type: ignore[attr-defined]
    assert entry is not None
    expected = case.expected
    if "apprec" in expected:
        assert [a.kind for a in entry.answers] == ["apprec"], entry.error_description
        sender = receiver.registry.party(SENDER)
        opened = unprotect(entry.answers[0].message.body, own_keys=sender.own_keys(),
                           expected_signer=receiver.kpr.signing_certificate,
                           ca_certs=[receiver.registry.ca_certificate],
                           crls=[receiver.registry.crl], now=datetime.now(UTC))
        apprec = parse_apprec(opened.payload)
        assert apprec.status_code == str(expected["apprec"]), apprec.errors
        assert [e.code for e in apprec.errors][:len(expected.get("errors", []))] == \
            expected.get("errors", [])
        assert apprec.receiver.her_ids[-1:] == (SENDER,) or not apprec.receiver.her_ids
    elif expected.get("receipt") == "none":
        assert entry.outcome is Outcome.NO_RECEIPT_REQUESTED
        assert entry.answers == []
    else:
        assert entry.outcome is Outcome.TRANSPORT_ERROR
        assert entry.error_condition == expected["transport"]
        assert [a.kind for a in entry.answers] == ["transport-error"]
        properties = entry.answers[0].message.application_properties
        assert properties["errorCondition"] == expected["transport"]
        if "code" in expected:
            with pytest.raises(EnvelopeError) as raised:
                parse_msghead(case.data)
            assert raised.value.problems[0].code == ErrorCode(expected["code"])


# ------------------------------------------------------------------ reading receipts
@pytest.mark.parametrize("case", APPRECS, ids=str)
def test_each_apprec_reads_as_the_manifest_says(case: Case) -> None:
    expected = case.expected
    if "error" in expected:
        with pytest.raises(EnvelopeError) as raised:
            parse_apprec(case.data)
        assert raised.value.problems[0].code == ErrorCode(expected["error"])
        return
    info = parse_apprec(case.data)
    assert list(info.sender.her_ids) == expected["sender"]
    assert list(info.receiver.her_ids) == expected["receiver"]
    assert info.status_code == expected["status"]
    assert info.status == (Status(expected["status"]) if expected["status"] in "123" else None)
    assert [e.code for e in info.errors] == expected.get("errors", [])
    assert info.original.msg_id == "7d4b0c1e-5f2a-4c0e-9b8d-2a1e3f4c5d6e"


def test_an_apprec_with_additional_ids_and_an_address_names_its_parties() -> None:
    info = parse_apprec((CORPUS / "apprec/inst-additional-id-1.1.xml").read_bytes())
    assert info.receiver.org_number == "964338531"
    assert info.receiver.name == "Testkommune"
    assert info.receiver.child is not None
    assert info.receiver.child.name == "Testkommune Saksbehandling"
    address = parse_apprec((CORPUS / "apprec/hcp-address-1.0.xml").read_bytes())
    assert address.sender.name == "KPR Validering"


# ------------------------------------------------------------------ what mockkpr writes
MUNICIPALITY = Organisation("Testkommune", 12340, "964338531",
                            Organisation("Testkommune Saksbehandling", 12345))
RECEIVERS = {
    "level-2": MUNICIPALITY,
    "her-id-only": Organisation("Testkommune Saksbehandling", 12345),
    "organisation-number-only": Organisation("Testkommune", None, "964338531"),
    # a party as an officially valid MsgHead may name it: no name, no identifier at level 1
    "parsed-without-name": Organisation("", None, None, Organisation("", 12345)),
}
OUTCOMES = {
    "1": ReceiptOutcome(Status.OK),
    "2": ReceiptOutcome(Status.AVVIST, (
        ReceiptError(ErrorCode.T02, "IN-KOMNR: Kommunenummer mangler", "/IPLOS/INNHINFO"),
        ReceiptError(ErrorCode.X99, "message rejected; see the detailed feedback"))),
    "3": ReceiptOutcome(Status.OK_FEIL_I_DELMELDING, tuple(
        ReceiptError(ErrorCode.E30, f"PE-IDENT-MISSING: mangler (verdi {n})",
                     f"/IPLOS/PERSON[@pePeID={n}]") for n in range(60))),
}


@pytest.mark.parametrize("version", ["1.0", "1.1"])
@pytest.mark.parametrize("status", sorted(OUTCOMES))
@pytest.mark.parametrize("receiver_name", sorted(RECEIVERS))
def test_every_apprec_mockkpr_writes_is_valid_and_types_ids_as_cs(
        version: Version, status: str, receiver_name: str) -> None:
    xml = build_apprec(OUTCOMES[status], version=version,
                       sender=Organisation("KPR Validering", KPR),
                       receiver=RECEIVERS[receiver_name],
                       original=OriginalMsg("KPR_IPL", "2020-01-13T24:00:00", "m-1"),
                       gen_date=datetime(2020, 1, 14, 9, 31, tzinfo=UTC),
                       apprec_id=str(uuid.uuid4()))
    root = etree.fromstring(xml)
    schema = _xml.schema(FLAVOURS[version].schema)
    assert schema.validate(root), schema.error_log
    ns = {"a": FLAVOURS[version].namespace}
    coded = [e for e in root.iter() if etree.QName(e).localname in ("TypeId", "Status", "MsgType")]
    assert coded
    assert all(set(e.attrib) <= {"V", "DN"} for e in coded)
    assert root.findtext("a:OriginalMsgId/a:IssueDate", namespaces=ns) == "2020-01-13T24:00:00"
    info = parse_apprec(xml)
    assert info.receiver.her_ids == RECEIVERS[receiver_name].her_ids
    assert info.status_code == status
    assert len(info.errors) == len(OUTCOMES[status].errors)


def test_the_corpus_directory_holds_only_the_manifest_readme_and_envelopes() -> None:
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_file()) == \
        ["README.md", "manifest.yaml"]
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) == ["apprec", "msghead"]
    assert all(p.suffix == ".xml" for p in Path(CORPUS).glob("*/*"))
