"""Identity message rules and the join with the annual IPLOS file, beyond the golden fixtures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mockkpr.iplos import validate
from mockkpr.iplos.findings import Report
from mockkpr.iplos.rules.identity import id_type_code, person_key
from mockkpr.iplos.rules.identity_join import age_at

ROOT = Path(__file__).resolve().parents[3]
VALID = ROOT / "fixtures" / "valid"
BASE = ROOT / "fixtures" / "rules" / "_base"
IPLOS = (BASE / "minimal-2019.xml").read_text(encoding="utf-8")
IDENT = (BASE / "minimal-ide.xml").read_text(encoding="utf-8")
JOIN_RULES = {"PE-IDENT-MISSING", "IDE-ORPHAN", "PE-ALDER-IDENT", "PE-KJONN-IDENT",
              "IDE-HEADER-MISMATCH"}


def joined(iplos: str, identity: str | bytes) -> Report:
    ident = identity.encode() if isinstance(identity, str) else identity
    return validate(iplos.encode(), identity=ident)


def rules(report: Report) -> list[str]:
    return [f.rule_id for f in report.findings]


@pytest.mark.parametrize("name", ["kpr-ide-1.xml", "kpr-ide-1-2018.xml"])
def test_valid_identity_messages_alone_give_no_finding(name: str) -> None:
    assert rules(validate(VALID / name)) == []


@pytest.mark.parametrize(("iplos", "identity"), [("iplos-2019.xml", "kpr-ide-1.xml"),
                                                 ("iplos-2018.xml", "kpr-ide-1-2018.xml")])
def test_valid_pairs_join_without_finding(iplos: str, identity: str) -> None:
    report = validate(VALID / iplos, identity=VALID / identity)
    assert rules(report) == []
    assert report.accepted


def test_an_unreadable_identity_message_is_not_joined() -> None:
    report = joined(IPLOS, b"<IdentMelding xmlns='urn:mockkpr:xmlstds:kpr-ide:1' versjon='1.0'>")
    assert rules(report) == ["XML-NOT-WELL-FORMED"]


def test_the_join_runs_only_with_an_identity_message() -> None:
    wrong_age = IPLOS.replace("<peAlder>84</peAlder>", "<peAlder>85</peAlder>")
    assert rules(validate(wrong_age.encode())) == []
    assert rules(joined(wrong_age, IDENT)) == ["PE-ALDER-IDENT"]


def test_a_person_with_an_unreadable_key_leaves_orphans_unjudged() -> None:
    report = joined(IPLOS.replace('pePeID="17"', 'pePeID="17x"', 1), IDENT)
    assert len(report.findings) == 1
    assert not JOIN_RULES & set(rules(report))


def test_fh_numbers_carry_no_birth_date_or_gender_to_compare() -> None:
    fh = IDENT.replace("<fid>14833516451</fid>", "<fid>81234567055</fid>").replace(
        "<typeID>1</typeID>", "<typeID>12</typeID>")
    odd = IPLOS.replace("<peAlder>84</peAlder>", "<peAlder>3</peAlder>").replace(
        "<peKjonn>K</peKjonn>", "<peKjonn>M</peKjonn>")
    assert rules(joined(odd, fh)) == ["IDE-TYPEID-NO-REGISTER"]


def test_identity_rules_read_type_id_as_a_number() -> None:
    padded = IDENT.replace("<typeID>1</typeID>", "<typeID>01</typeID>")
    assert rules(joined(IPLOS, padded)) == []


def test_identity_rules_do_not_run_on_the_iplos_header() -> None:
    # IDE-BYDELSNR would reject 16 (a statistical unit) in an identity message.
    iplos = IPLOS.replace("<iiBydelsnr>03</iiBydelsnr>", "<iiBydelsnr>16</iiBydelsnr>")
    assert "IDE-BYDELSNR" not in rules(validate(iplos.encode()))


def test_a_rejected_identity_row_still_joins_by_key_but_is_not_compared() -> None:
    bad = IDENT.replace("<fid>14833516451</fid>", "<fid>14833516452</fid>")
    odd = IPLOS.replace("<peAlder>84</peAlder>", "<peAlder>3</peAlder>")
    report = joined(odd, bad)
    assert rules(report) == ["IDE-FID-CHECKSUM"]
    assert report.rows.dropped == 1  # the PasientIdent; PERSON and its rows are kept


@pytest.mark.parametrize(("text", "key"), [("17", "17"), ("017", "17"), (" 17 ", "17"),
                                           ("0", "0"), ("-17", None), ("17x", None),
                                           ("12345678901", None), (None, None)])
def test_person_key(text: str | None, key: str | None) -> None:
    assert person_key(text) == key


@pytest.mark.parametrize(("text", "code"), [("1", "1"), ("01", "1"), ("12", "12"),
                                            ("x", "x"), ("40000", "40000")])
def test_id_type_code(text: str, code: str) -> None:
    assert id_type_code(text) == code


@pytest.mark.parametrize(("born", "age"), [(date(1935, 8, 14), 84), (date(1935, 12, 31), 84),
                                           (date(2019, 12, 31), 0), (date(2020, 1, 1), -1)])
def test_age_at_the_end_of_the_year(born: date, age: int) -> None:
    assert age_at(born, date(2019, 12, 31)) == age
