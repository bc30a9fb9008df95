"""Where the engine puts a schema error: on the field that is wrong or missing, so that the
field's owning rule reports it (one defect, one finding, under the right rule)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from mockkpr.iplos.engine import Placement, place_schema_error
from mockkpr.iplos.schemas import load_schema, required_children, violations

M, V, S = Placement.MISSING, Placement.VALUE, Placement.STRUCTURE
BASE = Path(__file__).resolve().parents[2] / "fixtures" / "rules" / "_base"


def test_required_children_of_the_annual_schemas() -> None:
    r2018, r2019 = required_children("iplos-2018.xsd"), required_children("iplos-2019.xsd")
    assert {"peKjonn", "tjVedtDato", "tjTjenType", "iiKontakt", "Telefon"} <= r2018
    assert "tjVedtDato" not in r2019
    assert "peKjonn" not in r2019
    assert {"diFraDato", "diTilDato"} <= r2019 - r2018
    assert "tjSoknadDato" not in r2018  # optional
    assert "PERSON" not in r2018  # referenced from the root, not declared in a complex type


def test_alternatives_of_a_choice_are_not_required() -> None:
    assert required_children("iplos-56.xsd") == {"Bruker"}


def _placements(name: str, old: str, new: str) -> list[tuple[str, str | None, Placement]]:
    text = (BASE / name).read_text(encoding="utf-8")
    assert old in text
    root = etree.fromstring(text.replace(old, new, 1).encode())
    schema_file = "iplos-2018.xsd" if "2018" in name else "iplos-2019.xsd"
    out = []
    for top in root:
        for v in violations(load_schema(schema_file), top):
            target = v.element if v.element is not None else top
            holder, field, how, _ = place_schema_error(
                top, target, v.message, required_children(schema_file))
            out.append((etree.QName(holder).localname, field, how))
    return out


@pytest.mark.parametrize(
    ("old", "new", "placed"),
    [
        # a required child missing in the middle: libxml2 names the next element
        ("<peKjonn>K</peKjonn>", "", ("PERSON", "peKjonn", M)),
        ("<tjVedtDato>20180210</tjVedtDato>", "", ("TJENESTE", "tjVedtDato", M)),
        ("<iiSysID>TESTEPJ</iiSysID>", "", ("INNHINFO", "iiSysID", M)),
        # ... the last one: libxml2 says "Missing child element(s)"
        ("<iiLopenr>1</iiLopenr>", "", ("INNHINFO", "iiLopenr", M)),
        # ... with optional ones before it in the expected list
        ("<peEndrDato>20180215</peEndrDato>", "", ("PERSON", "peEndrDato", M)),
        # too few of a repeated element
        ("<iiKontakt><Type>17</Type><Navn>Ola Prøvesen</Navn><Telefon>+47 99 99 99 02</Telefon>"
         "<Epost>ola.provesen@sagene.example</Epost></iiKontakt>", "",
         ("INNHINFO", "iiKontakt", M)),
        # a child of a part row (a contact)
        ("<Telefon>+47 99 99 99 01</Telefon>", "", ("iiKontakt", "Telefon", M)),
        # a missing attribute
        ('tjVeID="5001" ', "", ("TJENESTE", "@tjVeID", M)),
        # a bad value: the field itself, not missing
        ("<tjTimerUke>3.50</tjTimerUke>", "<tjTimerUke>x</tjTimerUke>",
         ("TJENESTE", "tjTimerUke", V)),
        ('tjTjID="3"', 'tjTjID="x"', ("TJENESTE", "@tjTjID", V)),
        # out of order: the unexpected element is blamed, not the one it displaced
        ("<peAlder>84</peAlder>\n    <peKjonn>K</peKjonn>",
         "<peKjonn>K</peKjonn>\n    <peAlder>84</peAlder>", ("PERSON", "peKjonn", S)),
        # repeated: the second one is blamed
        ("<peKjonn>K</peKjonn>", "<peKjonn>K</peKjonn><peKjonn>K</peKjonn>",
         ("PERSON", "peKjonn", S)),
        # an unknown element after the last optional one is blamed itself
        ("<tjTilDato>99991231</tjTilDato>", "<tjTilDato>99991231</tjTilDato><tjX>1</tjX>",
         ("TJENESTE", "tjX", S)),
        # an optional element out of order is not taken for a missing one
        ("<tjFraDato>20180215</tjFraDato>\n      <tjTilDato>99991231</tjTilDato>",
         "<tjTilDato>99991231</tjTilDato>\n      <tjFraDato>20180215</tjFraDato>",
         ("TJENESTE", "tjFraDato", S)),
    ],
)
def test_placement_2018(old: str, new: str, placed: tuple[str, str, Placement]) -> None:
    assert _placements("minimal-2018.xml", old, new) == [placed]


def test_a_field_optional_in_2019_is_not_taken_for_missing() -> None:
    # In 2019 peKjonn is optional: peAlder after it is out of place, nothing is missing.
    placed = _placements("minimal-2019.xml", "<peAlder>84</peAlder>\n    <peKjonn>K</peKjonn>",
                         "<peKjonn>K</peKjonn>\n    <peAlder>84</peAlder>")
    assert placed == [("PERSON", "peAlder", S)]
