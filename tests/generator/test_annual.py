"""Annual output (2018, 2019): schema-valid, accepted by the validator without findings, and
keeping the content rules of iplos-format.md §4 the validator does not check yet."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from mockkpr.generator import realism as R
from mockkpr.generator.spec import GenerationSpec
from mockkpr.iplos import validate
from mockkpr.iplos.formats import NS_2018, NS_2019, NS_IDENTITY, Generation
from mockkpr.iplos.identifiers import IdKind, is_valid_orgnr, parse_national_id
from mockkpr.iplos.schemas import load_schema
from mockkpr.refdata import codelists, kommuner
from tests.generator.helpers import Output, run

CASES = [
    (Generation.ANNUAL_2018, 2018, "0301", 3),
    (Generation.ANNUAL_2018, 2018, "5001", 4),  # Trondheim's number from 2018
    (Generation.ANNUAL_2019, 2019, "1201", 5),  # Bergen, with bydeler
    (Generation.ANNUAL_2019, 2021, "3005", 6),  # Drammen after the reform, no bydeler
]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0].value}-{c[1]}-{c[2]}")
def output(request: pytest.FixtureRequest) -> tuple[GenerationSpec, Output]:
    generation, year, kommune, seed = request.param
    spec = GenerationSpec(kommune, year, 300, seed=seed, generation=generation,
                          d_number_share=0.1)
    return spec, run(spec)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _text(element: etree._Element, ns: str, name: str) -> str | None:
    child = element.find(_q(ns, name))
    return None if child is None else child.text


def _date(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def test_documents_validate_against_the_schemas_as_a_whole(
        output: tuple[GenerationSpec, Output]) -> None:
    """Full-document validation with lxml against mockkpr's XSDs (not row by row)."""
    spec, out = output
    iplos = load_schema(f"iplos-{spec.generation.value}.xsd")
    identity = load_schema("kpr-ide-1.xsd")
    assert iplos.validate(out.tree("KPR_IPL")), iplos.error_log
    assert identity.validate(out.tree("KPR_IDE")), identity.error_log


def test_validator_accepts_without_any_finding(output: tuple[GenerationSpec, Output]) -> None:
    spec, out = output
    report = validate(out.only("KPR_IPL"), identity=out.only("KPR_IDE"))
    assert [(f.rule_id, f.location) for f in report.findings] == []
    assert report.accepted
    assert report.year == spec.year
    assert report.rows.dropped == 0


def test_header_names_the_kommune_year_and_contacts(
        output: tuple[GenerationSpec, Output]) -> None:
    spec, out = output
    ns = NS_2018 if spec.generation is Generation.ANNUAL_2018 else NS_2019
    root = out.tree("KPR_IPL")
    assert root.get("versjon") == ("3.5" if spec.generation is Generation.ANNUAL_2018
                                   else "3.7")
    head = root.find(_q(ns, "INNHINFO"))
    assert head is not None
    assert _text(head, ns, "iiKomnr") == spec.kommune
    assert kommuner.is_valid_kommune(spec.kommune, spec.year)
    assert _text(head, ns, "iiFraDato") == f"{spec.year}0101"
    assert _text(head, ns, "iiTilDato") == f"{spec.year}1231"
    types = [c.findtext(_q(ns, "Type")) for c in head.findall(_q(ns, "iiKontakt"))]
    assert types[:2] == ["16", "17"]
    for contact in head.findall(_q(ns, "iiKontakt")):
        assert (contact.findtext(_q(ns, "Epost")) or "").split("@")[1].startswith("example.")
        assert " " in (contact.findtext(_q(ns, "Navn")) or "")


def test_persons_agree_with_their_synthetic_identities(
        output: tuple[GenerationSpec, Output]) -> None:
    """Age at 31.12 matches the birth date in the identity file, peKjonn the gender digit;
    every id is synthetic (never an ordinary fødselsnummer or D-number); typeID 2 exactly
    for the synthetic D-numbers."""
    spec, out = output
    ns = NS_2018 if spec.generation is Generation.ANNUAL_2018 else NS_2019
    ids = {p.get("pePeID"): (p.findtext(_q(NS_IDENTITY, "fid")),
                             p.findtext(_q(NS_IDENTITY, "typeID")))
           for p in out.tree("KPR_IDE").findall(_q(NS_IDENTITY, "PasientIdent"))}
    persons = out.tree("KPR_IPL").findall(_q(ns, "PERSON"))
    assert len(persons) == len(ids) == spec.persons
    kinds = Counter()
    for person in persons:
        fid, id_type = ids[person.get("pePeID")]
        assert fid is not None
        parsed = parse_national_id(fid)
        assert parsed.valid, (fid, parsed.problem)
        assert parsed.kind is not None, fid
        assert parsed.kind.is_synthetic, fid
        assert parsed.kind not in (IdKind.ORDINARY, IdKind.D_NUMBER)
        kinds[parsed.kind] += 1
        assert id_type == ("2" if parsed.kind is IdKind.SYNTHETIC_D_NUMBER else "1")
        assert parsed.birth_date is not None
        assert int(_text(person, ns, "peAlder") or "-1") == spec.year - parsed.birth_date.year
        assert _text(person, ns, "peKjonn") == parsed.gender.value  # type: ignore[union-attr]
    assert kinds[IdKind.SYNTHETIC_D_NUMBER] > 0


def test_home_kommune_and_bydel_are_valid_for_the_year(
        output: tuple[GenerationSpec, Output]) -> None:
    spec, out = output
    ns = NS_2018 if spec.generation is Generation.ANNUAL_2018 else NS_2019
    own = 0
    for person in out.tree("KPR_IPL").findall(_q(ns, "PERSON")):
        home = _text(person, ns, "peKomnr") or ""
        bydel = _text(person, ns, "peBydelsnr") or ""
        assert kommuner.is_valid_kommune(home, spec.year)
        if kommuner.has_bydeler(home, spec.year):
            assert kommuner.is_valid_bydel(home, bydel, spec.year, include_statistical=False)
        else:
            assert bydel == "00"
        own += home == spec.kommune
    assert own >= spec.persons * 0.95


def test_services_keep_the_field_rules_of_each_type(
        output: tuple[GenerationSpec, Output]) -> None:
    """Codes valid in the year; required fields per type; orgnr required/forbidden; dates
    between 2005-01-01 and 31.12 (or open), in order, within life; hours 0.01..168."""
    spec, out = output
    ns = NS_2018 if spec.generation is Generation.ANNUAL_2018 else NS_2019
    year_start, year_end = date(spec.year, 1, 1), date(spec.year, 12, 31)
    seen_types: Counter[int] = Counter()
    for person in out.tree("KPR_IPL").findall(_q(ns, "PERSON")):
        death = _text(person, ns, "peDodDato")
        services = person.findall(_q(ns, "TJENESTE"))
        assert services, "a person without any service"
        for service in services:
            kind = int(_text(service, ns, "tjTjenType") or "0")
            seen_types[kind] += 1
            assert codelists.SERVICE_TYPE.valid(kind, spec.year), kind
            value = {n: _text(service, ns, n) for n in (
                "tjSoknadDato", "tjVedtDato", "tjVedtak", "tjTimerUke", "tjRullerende",
                "tjInstOrgnr", "tjFraDato", "tjTilDato", "tjKlageMottatt", "tjKlageBesvart")}
            if kind in R.NEEDS_APPLICATION:
                assert value["tjSoknadDato"]
                assert value["tjVedtDato"]
                assert value["tjVedtak"]
            if kind in R.NEEDS_HOURS:
                assert Decimal("0.01") <= Decimal(value["tjTimerUke"] or "0") <= 168
            if kind in R.NEEDS_ROLLING:
                assert value["tjRullerende"] in ("1", "2")
            if kind in R.ORGNR_REQUIRED:
                assert value["tjInstOrgnr"]
                assert is_valid_orgnr(value["tjInstOrgnr"])
            if kind in R.ORGNR_FORBIDDEN:
                assert value["tjInstOrgnr"] is None
            elif spec.generation is Generation.ANNUAL_2018:
                assert value["tjInstOrgnr"], "2018 marks tjInstOrgnr required"
            dates = {n: _date(v) for n, v in value.items()
                     if n.endswith(("Dato", "Mottatt", "Besvart")) and v and v != "99991231"}
            for name, day in dates.items():
                assert date(2005, 1, 1) <= day <= year_end, (name, day)
                if death:
                    assert day <= _date(death), (name, day, death)
            order = ["tjSoknadDato", "tjVedtDato", "tjKlageMottatt", "tjKlageBesvart"]
            chain = [dates[n] for n in order if n in dates]
            assert chain == sorted(chain)
            if "tjFraDato" in dates:
                end = dates.get("tjTilDato", date.max)
                assert dates["tjFraDato"] <= end
                assert end >= year_start
            if value["tjVedtak"] == "1":
                assert value["tjFraDato"] is None
            if spec.generation is Generation.ANNUAL_2018:
                assert service.get("tjVeID")
                assert service.get("tjVeNrID")
    for kind in (12, 13, 16):
        assert (seen_types[kind] > 0) is (spec.year <= 2018)
    assert seen_types[29] == 0 or spec.year >= 2019


def test_functional_scores_use_the_right_scale_and_one_is_three_or_more(
        output: tuple[GenerationSpec, Output]) -> None:
    spec, out = output
    ns = NS_2018 if spec.generation is Generation.ANNUAL_2018 else NS_2019
    for person in out.tree("KPR_IPL").findall(_q(ns, "PERSON")):
        scores = {int(f.findtext(_q(ns, "fnFunkType")) or 0): f.findtext(_q(ns, "fnFunkVerdi"))
                  for f in person.findall(_q(ns, "FUNKSJON"))}
        assert set(scores) == {int(c) for c in codelists.FUNCTIONAL_VARIABLE.codes_in(spec.year)}
        for variable, score in scores.items():
            assert score in codelists.scale_for_variable(variable).codes
        general = [int(s or 0) for v, s in scores.items() if v not in (13, 14) and s != "9"]
        assert max(general) >= 3


def test_realism_mostly_old_but_some_services_for_children(
        output: tuple[GenerationSpec, Output]) -> None:
    spec, out = output
    counts = out.manifest["counts"]
    old = sum(n for group, n in counts["age_groups"].items()
              if group in ("67-79", "80-89", "90+"))
    assert 0.45 * spec.persons <= old <= 0.75 * spec.persons
    assert counts["age_groups"]["00-17"] > 0
    assert counts["deaths"] > 0
    assert counts["refusals"] > 0
    assert counts["decision_series_extended"] > 0
