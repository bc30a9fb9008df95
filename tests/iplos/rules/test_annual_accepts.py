"""What the annual rules accept: boundary values and permitted absences give no finding.

Each case edits a finding-free base document (fixtures/rules/_base) and expects no finding at
all, so an over-eager rule (or two rules firing on one value) shows up here. The defects
themselves are in the golden fixtures (fixtures/rules/<RULE-ID>/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockkpr.iplos import validate

BASE = Path(__file__).resolve().parents[3] / "fixtures" / "rules" / "_base"
P = '<PERSON pePeID="17">'
TJ_END = "<tjTilDato>99991231</tjTilDato>"


def edited(year: int, edits: list[tuple[str, str]]) -> bytes:
    text = (BASE / f"minimal-{year}.xml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.encode()


def drop(year: int, *names: str) -> list[tuple[str, str]]:
    """Edits removing the first element of each name (with its line)."""
    text = (BASE / f"minimal-{year}.xml").read_text(encoding="utf-8")
    out = []
    for name in names:
        start = text.index(f"<{name}>")
        end = text.index(f"</{name}>", start) + len(name) + 3
        line_start = text.rindex("\n", 0, start)
        out.append((text[line_start:end], ""))
    return out


ACCEPTED: dict[str, tuple[int, list[tuple[str, str]]]] = {
    # header
    "whole-kommune-file": (2018, [("<iiBydelsnr>03<", "<iiBydelsnr>00<")]),
    "kommune-without-bydeler": (2019, [("<iiKomnr>0301<", "<iiKomnr>0101<"),
                                       ("<iiBydelsnr>03<", "<iiBydelsnr>00<")]),
    "bydel-15": (2019, [("<iiBydelsnr>03<", "<iiBydelsnr>15<")]),
    "trondheim-5001-in-2018": (2018, [("<iiKomnr>0301<", "<iiKomnr>5001<"),
                                      ("<iiBydelsnr>03<", "<iiBydelsnr>02<")]),
    "made-on-the-last-day": (2018, [("<iiLagetDato>20190110<", "<iiLagetDato>20181231<")]),
    "second-file": (2019, [("<iiLopenr>1<", "<iiLopenr>2<")]),
    "long-system-version-2018": (2018, [("<iiSysVersjon>8.5.0<",
                                         "<iiSysVersjon>8.5.0-build-123456<")]),
    "phones": (2018, [("+47 99 99 99 01", "004799999901"), ("+47 99 99 99 02", "99999902")]),
    "four-contacts-2019": (2019, [("    <iiFraDato>", "    <iiKontakt><Type>1</Type><Navn>A B"
                                   "</Navn><Telefon>99999903</Telefon><Epost>a@b.no</Epost>"
                                   "</iiKontakt>\n" * 2 + "    <iiFraDato>")]),
    # person
    "newborn": (2019, [("<peAlder>84<", "<peAlder>0<")]),
    "age-130": (2018, [("<peAlder>84<", "<peAlder>130<")]),
    "abroad": (2019, [("<peKomnr>0301<", "<peKomnr>9000<"), ("<peBydelsnr>03<",
                                                              "<peBydelsnr>00<")]),
    "unknown-home": (2018, [("<peKomnr>0301<", "<peKomnr>9999<")]),
    "lives-in-marka": (2019, [("<peBydelsnr>03<", "<peBydelsnr>17<")]),
    "bydel-unknown": (2018, [("<peBydelsnr>03<", "<peBydelsnr>00<")]),
    "ten-digit-id": (2018, [(P, '<PERSON pePeID="1234567890">'),
                            ('fnPeID="17"', 'fnPeID="1234567890"'),
                            ('tjPeID="17"', 'tjPeID="1234567890"')]),
    "same-id-in-two-kinds": (2018, [('fnFnID="1"', 'fnFnID="3"')]),
    "id-zero": (2019, [(P, '<PERSON pePeID="0">'), ('fnPeID="17"', 'fnPeID="0"'),
                       ('tjPeID="17"', 'tjPeID="000"')]),
    "no-person-fields-2019": (2019, drop(2019, "peAlder", "peKjonn", "peKomnr", "peBydelsnr",
                                         "peFraDato", "peEndrDato")),
    "first-date": (2018, [("<peFraDato>20180201<", "<peFraDato>20050101<")]),
    "leap-day": (2018, [("<peFraDato>20180201<", "<peFraDato>20160229<")]),
    "last-date": (2019, [("<peEndrDato>20190215<", "<peEndrDato>20191231<")]),
    "died-the-day-the-service-began": (2019, [("<peEndrDato>", "<peDodDato>20190215</peDodDato>"
                                                               "<peEndrDato>")]),
    # functional assessment
    "vision-counts-as-a-score": (2019, [("<fnFunkType>7<", "<fnFunkType>13<")]),
    "low-scores-but-refused": (2018, [("<fnFunkVerdi>3<", "<fnFunkVerdi>2<"),
                                      ("<tjVedtak>2<", "<tjVedtak>1<")]),
    # services
    "hours-0.01": (2018, [("<tjTimerUke>3.50<", "<tjTimerUke>0.01<")]),
    "hours-168": (2019, [("<tjTimerUke>3.50<", "<tjTimerUke>168.00<")]),
    "orgnr-with-trailing-0": (2019, [("<tjInstOrgnr>974760673<", "<tjInstOrgnr>9747606730<")]),
    "refused-without-hours-or-orgnr": (2018, [("<tjVedtak>2<", "<tjVedtak>1<"),
                                              *drop(2018, "tjTimerUke", "tjInstOrgnr")]),
    "alarm-without-decision-2019": (2019, [("<tjTjenType>15<", "<tjTjenType>6<"),
                                           *drop(2019, "tjSoknadDato", "tjVedtDato", "tjVedtak",
                                                 "tjTimerUke")]),
    "housing-29-without-orgnr": (2019, [("<tjTjenType>15<", "<tjTjenType>29<"),
                                        *drop(2019, "tjTimerUke", "tjInstOrgnr")]),
    "housing-12-in-2018": (2018, [("<tjTjenType>15<", "<tjTjenType>12<"),
                                  *drop(2018, "tjSoknadDato", "tjVedtak", "tjTimerUke",
                                        "tjInstOrgnr")]),
    "rolling-respite": (2019, [("<tjTjenType>15<", "<tjTjenType>8<"),
                               ("<tjTimerUke>3.50</tjTimerUke>",
                                "<tjRullerende>2</tjRullerende>")]),
    "no-decision-series-2019": (2019, [(' tjVeID="5001" tjVeNrID="1"', "")]),
    "extension-without-its-first-decision": (2018, [('tjVeNrID="1"', 'tjVeNrID="2"')]),
    "appeal-the-same-day": (2018, [(TJ_END, TJ_END + "<tjKlageMottatt>20180210</tjKlageMottatt>"
                                    "<tjKlageBesvart>20180210</tjKlageBesvart>")]),
    "decided-the-day-applied": (2019, [("<tjVedtDato>20190210<", "<tjVedtDato>20190201<")]),
    "ended-on-new-years-day": (2019, [(TJ_END, "<tjTilDato>20190101</tjTilDato>"),
                                      ("<tjFraDato>20190215<", "<tjFraDato>20181201<")]),
    # other rows
    "details": (2019, [("  </PERSON>",
                        '    <DIAGNOSE diPeID="17" diDiID="1"><diKodeVersjon>ICD-10'
                        "</diKodeVersjon><diDiagKode>I63.9</diDiagKode><diFraDato>20190201"
                        "</diFraDato><diTilDato>99991231</diTilDato></DIAGNOSE>"
                        '<DIAGNOSE diPeID="17" diDiID="2"><diKodeVersjon>ICD-10</diKodeVersjon>'
                        "<diDiagKode>I639</diDiagKode><diFraDato>20190201</diFraDato>"
                        "<diTilDato>20190201</diTilDato></DIAGNOSE>"
                        '<DIAGNOSE diPeID="17" diDiID="3"><diKodeVersjon>ICPC-2</diKodeVersjon>'
                        "<diDiagKode>T90</diDiagKode><diFraDato>20190201</diFraDato>"
                        "<diTilDato>99991231</diTilDato></DIAGNOSE>"
                        '<DOGNTILBUD dgPeID="17" dgDgID="1"><dgFraDato>20190301</dgFraDato>'
                        "</DOGNTILBUD>\n  </PERSON>")]),
    "personal-information": (2019, [('    <FUNKSJON ',
                                     '    <PERSONOPPL poPeID="17" poPoID="1">'
                                     "<poHusstand>3</poHusstand><poPrivHjelp>6</poPrivHjelp>"
                                     "<poVurdTann>201901</poVurdTann><poVurdLege>201912</poVurdLege>"
                                     "<poArbBistBehov>9</poArbBistBehov><poArbBistMottar>3"
                                     "</poArbBistMottar><poFraDato>20190201</poFraDato>"
                                     "<poTilDato>20190201</poTilDato><poVenteliste>1"
                                     "</poVenteliste><poHab>2</poHab><poHabDato>20191231"
                                     "</poHabDato></PERSONOPPL>\n    <FUNKSJON ")]),
}


def _second_person(year: int) -> list[tuple[str, str]]:
    text = (BASE / f"minimal-{year}.xml").read_text(encoding="utf-8")
    person = text[text.index("  <PERSON "):text.index("</IPLOS>")]
    return [("</IPLOS>", person.replace('PeID="17"', 'PeID="18"') + "</IPLOS>")]


ACCEPTED["same-child-ids-in-two-persons"] = (2019, _second_person(2019))


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepted(case: str) -> None:
    year, edits = ACCEPTED[case]
    report = validate(edited(year, edits))
    assert [(f.rule_id, f.location, f.value) for f in report.findings] == []
    assert report.accepted
