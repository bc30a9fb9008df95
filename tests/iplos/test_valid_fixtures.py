"""The valid fixtures keep the content rules of iplos-format.md §4 and §5, not only the schemas:
synthetic national ids, organisation numbers with check digits, dates in the reporting year,
required fields per service type, and the pairing of each IPLOS file with its identity file."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "valid"

# iplos-format.md §4
NEEDS_SOKNAD = {1, 2, 3, 4, 5, 7, 8, 9, 11, 15, 17, 18, 19, 20, 21, 22, 29}
NEEDS_VEDTDATO = NEEDS_SOKNAD | {14, 23, 24}
NEEDS_VEDTAK = NEEDS_SOKNAD | {14, 23}
NEEDS_TIMER = {1, 2, 3, 4, 7, 9, 11, 15, 17, 22}
NEEDS_ORGNR = {1, 2, 3, 4, 8, 15, 17, 18, 19, 20, 21, 22, 25}
NO_ORGNR = {12, 13, 26, 29}
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def load(name: str) -> etree._Element:
    return etree.parse(str(FIXTURES / name), etree.XMLParser(remove_comments=True)).getroot()


def mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    """The mod-11 check digit (11 -> 0), None where it would be 10 (no valid number)."""
    check = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return {11: 0, 10: None}.get(check, check)


def valid_orgnr(value: str) -> bool:
    return (len(value) == 9 and value.isdigit()
            and mod11(value[:8], (3, 2, 7, 6, 5, 4, 3, 2)) == int(value[8]))


def synthetic_birth(fid: str) -> tuple[date, bool]:
    """Birth date and male? of a Tenor-style synthetic fødselsnummer; asserts it is one."""
    assert re.fullmatch(r"[0-9]{11}", fid), fid
    day, month, yy, individual = int(fid[:2]), int(fid[2:4]), int(fid[4:6]), int(fid[6:9])
    assert 81 <= month <= 92, f"{fid} is not synthetic (month + 80)"
    assert mod11(fid[:9], (3, 7, 6, 1, 8, 9, 4, 5, 2)) == int(fid[9]), f"K1 of {fid}"
    assert mod11(fid[:10], (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)) == int(fid[10]), f"K2 of {fid}"
    if individual <= 499:
        century = 1900
    else:
        assert yy < 40, f"{fid}: individual number {individual} is for 2000-2039 births"
        century = 2000
    return date(century + yy, month - 80, day), individual % 2 == 1


def age_at(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return element.findall(f"{{*}}{name}")


def text(element: etree._Element, name: str) -> str | None:
    return element.findtext(f"{{*}}{name}")


ANNUAL_PAIRS = [("iplos-2018.xml", "kpr-ide-1-2018.xml", 2018),
                ("iplos-2019.xml", "kpr-ide-1.xml", 2019)]


@pytest.mark.parametrize(("iplos", "ident", "year"), ANNUAL_PAIRS)
def test_identity_file_is_the_partner_of_its_iplos_file(iplos: str, ident: str, year: int) -> None:
    iplos_root, ident_root = load(iplos), load(ident)
    persons = children(iplos_root, "PERSON")
    idents = children(ident_root, "PasientIdent")
    assert [p.get("pePeID") for p in persons] == [i.get("pePeID") for i in idents]
    assert 3 <= len(persons) <= 5
    for field in ("iiKomnr", "iiBydelsnr", "iiFraDato", "iiTilDato", "iiLagetDato", "iiLopenr"):
        assert text(ident_root[0], field) == text(iplos_root[0], field), field
    fid_of = {i.get("pePeID"): text(i, "fid") or "" for i in idents}
    for person in persons:
        born, male = synthetic_birth(fid_of[person.get("pePeID")])
        assert text(person, "peKjonn") == ("M" if male else "K")
        assert text(person, "peAlder") == str(age_at(born, date(year, 12, 31)))
    assert {text(i, "typeID") for i in idents} == {"1"}


@pytest.mark.parametrize(("iplos", "ident", "year"), ANNUAL_PAIRS)
def test_annual_fixture_keeps_the_content_rules(iplos: str, ident: str, year: int) -> None:
    root = load(iplos)
    info = root[0]
    assert (text(info, "iiKomnr"), text(info, "iiBydelsnr")) == ("0301", "03")
    assert (text(info, "iiFraDato"), text(info, "iiTilDato")) == (f"{year}0101", f"{year}1231")
    assert (text(info, "iiLagetDato") or "").startswith(f"{year + 1}01")
    for element in root.iter():
        name = etree.QName(element).localname
        if name.endswith("Dato") and not name.startswith("ii"):
            assert element.text == "99991231" or (element.text or "").startswith(str(year)), (
                name, element.text)
    for person in children(root, "PERSON"):
        scores = [int(text(f, "fnFunkVerdi") or 0) for f in children(person, "FUNKSJON")]
        services = children(person, "TJENESTE")
        assert services, person.get("pePeID")
        assert max(scores) >= 3, person.get("pePeID")
        for service in services:
            check_service(service)
        for offer in children(person, "DOGNTILBUD"):
            assert valid_orgnr(text(offer, "dgInstOrgnr") or "")


def check_service(service: etree._Element) -> None:
    kind = int(text(service, "tjTjenType") or 0)
    where = service.get("tjTjID")
    present = {etree.QName(child).localname for child in service}
    for needed, field in ((NEEDS_SOKNAD, "tjSoknadDato"), (NEEDS_VEDTDATO, "tjVedtDato"),
                          (NEEDS_VEDTAK, "tjVedtak"), (NEEDS_TIMER, "tjTimerUke"),
                          (NEEDS_ORGNR, "tjInstOrgnr"), ({8}, "tjRullerende")):
        if kind in needed:
            assert field in present, (where, kind, field)
    if kind in NO_ORGNR:
        assert "tjInstOrgnr" not in present, where
    if "tjInstOrgnr" in present:
        assert valid_orgnr(text(service, "tjInstOrgnr") or ""), where
    if "tjTimerUke" in present:
        assert Decimal("0.01") <= Decimal(text(service, "tjTimerUke") or "0") <= 168, where
    ordered = [("tjSoknadDato", "tjVedtDato"), ("tjFraDato", "tjTilDato"),
               ("tjVedtDato", "tjKlageMottatt"), ("tjKlageMottatt", "tjKlageBesvart")]
    for first, then in ordered:
        a, b = text(service, first), text(service, then)
        if a and b:
            assert a <= b, (where, first, then)


def test_event_fixture_keeps_the_56_rules() -> None:
    root = load("iplos-56.xml")
    notes = children(root, "Notifikasjon")
    assert 6 <= len(notes) <= 10
    status_of = {n.get("notifikasjonGUID"): n.get("statusNotifikasjon") for n in notes}
    previous, lope = ZERO_GUID, 0
    started: dict[str, str] = {}
    paused: set[str] = set()
    for note in notes:
        assert note.get("notifikasjonForrigeGUID") == previous
        previous = note.get("notifikasjonGUID") or ""
        assert int(note.get("notifikasjonLopeNr") or 0) > lope
        lope = int(note.get("notifikasjonLopeNr") or 0)
        status = note.get("statusNotifikasjon")
        assert status in {"N", "M", "C"}
        if status in {"M", "C"}:
            assert status_of[note.get("notifikasjonRef")] == "N"
        (event,) = list(note)
        kind = etree.QName(event).localname
        assert event.get("tjenesteType") in {"18", "19", "20", "21", "29"}
        assert (event.get("hendelseDato") or "") <= (event.get("hendelseRegTid") or "")[:10]
        assert (event.get("hendelseRegTid") or "") <= (note.get("notifikasjonTid") or "")
        org = event.get("tjenesteOrgNr")
        if org is not None:
            assert valid_orgnr(org)
        bruker = event[0]
        born, _ = synthetic_birth(bruker.get("fid") or "")
        assert born.year < 2021
        assert bruker.get("typeID") == "1"
        assert (bruker.get("bydel") or "").startswith("0301")
        service = event.get("tjenesteID") or ""
        day = event.get("hendelseDato") or ""
        if kind == "TjenesteStart" and status == "N":
            started[service] = day
        elif kind != "TjenesteStart":
            assert service in started, (kind, service)
            assert started[service] < day, (kind, service)
        if kind == "MidlertidigStoppFra":
            paused.add(event.get("midlertidigStoppID") or "")
        if kind == "MidlertidigStoppTil":
            assert event.get("midlertidigStoppID") in paused
    contact_types = {c.get("typeKontaktperson") for c in children(root, "Kontaktperson")}
    assert {"16", "17"} <= contact_types
    assert [k.get("kommuneNr") for k in children(root, "Kommune")] == ["0301"]


@pytest.mark.parametrize(
    ("fid", "problem"),
    [
        ("14033111249", "is not synthetic"),  # an ordinary (real-looking) number
        ("14833111248", "K2 of"),
        ("14833111259", "K1 of"),
    ],
)
def test_the_fixture_id_check_rejects_what_it_should(fid: str, problem: str) -> None:
    with pytest.raises(AssertionError, match=problem):
        synthetic_birth(fid)


def test_the_orgnr_check_rejects_a_wrong_check_digit() -> None:
    assert valid_orgnr("974120003")
    assert not valid_orgnr("974120004")
    assert not valid_orgnr("97412000")
