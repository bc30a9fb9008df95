"""Where the engine places schema errors: a missing field in the middle of a sequence is the
missing field's defect, not the defect of the known field that follows it."""

from __future__ import annotations

from pathlib import Path

from mockkpr.iplos import schemas, validate

BASE = Path(__file__).resolve().parents[2] / "fixtures" / "rules" / "_base"
IDENT = (BASE / "minimal-ide.xml").read_text(encoding="utf-8")
PERSON = "/IdentMelding/PasientIdent[@pePeID=17]"
FID = "<fid>14833516451</fid>"


def _places(text: str) -> list[tuple[str, str]]:
    return [(f.location, f.expected) for f in validate(text.encode()).findings]


def test_a_missing_field_before_a_known_one_is_reported_at_the_missing_field() -> None:
    ((location, detail),) = _places(IDENT.replace(FID, ""))
    assert location == f"{PERSON}/fid"
    assert "Expected is ( {urn:mockkpr:xmlstds:kpr-ide:1}fid )" in detail


def test_a_missing_header_field_is_reported_at_the_missing_field() -> None:
    ((location, _),) = _places(IDENT.replace("<iiKomnr>0301</iiKomnr>", ""))
    assert location == "/IdentMelding/INNHINFO/iiKomnr"


def test_an_element_the_format_does_not_have_stays_the_defect() -> None:
    ((location, detail),) = _places(IDENT.replace(FID, "<foo>1</foo>" + FID))
    assert location == f"{PERSON}/foo"
    assert "not expected" in detail


def test_a_field_out_of_order_stays_the_defect_when_the_expected_one_is_present() -> None:
    swapped = IDENT.replace(FID, "").replace("</typeID>", "</typeID>" + FID)
    ((location, _),) = _places(swapped)
    assert location == f"{PERSON}/typeID"


def test_declared_elements_lists_the_schema_s_element_names() -> None:
    names = schemas.declared_elements("kpr-ide-1.xsd")
    assert {"IdentMelding", "INNHINFO", "PasientIdent", "fid", "typeID", "iiKomnr"} <= names
    assert "foo" not in names
    assert "Bruker" in schemas.declared_elements("iplos-56.xsd")
