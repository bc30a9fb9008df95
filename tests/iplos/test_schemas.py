"""mockkpr's own XSDs: fixtures validate, the 2018/2019 differences, negative cases, streaming
validation of single rows, and the loader's refusal of anything that could need the network."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree

from mockkpr.errors import ConfigError
from mockkpr.iplos.formats import FORMATS, NS_56, NS_2018, NS_2019, NS_IDENTITY
from mockkpr.iplos.schemas import Violation, compile_schema, load_schema, violations

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "valid"
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "mockkpr" / "iplos" / "schemas"
XS = "{http://www.w3.org/2001/XMLSchema}"

# fixture file -> schema file
VALID_FIXTURES = {
    "iplos-2018.xml": "iplos-2018.xsd",
    "iplos-2019.xml": "iplos-2019.xsd",
    "iplos-56.xml": "iplos-56.xsd",
    "kpr-ide-1.xml": "kpr-ide-1.xsd",
    "kpr-ide-1-2018.xml": "kpr-ide-1.xsd",
}


def parse(text: str | bytes) -> etree._Element:
    data = text.encode() if isinstance(text, str) else text
    return etree.fromstring(data, etree.XMLParser(remove_blank_text=True))


def messages(schema_file: str, target: etree._Element) -> list[str]:
    return [v.message for v in violations(load_schema(schema_file), target)]


def find(root: etree._Element, path: str) -> etree._Element:
    """First element at ``path`` (``/``-separated local names below ``root``), any namespace."""
    found = root.find("/".join(f"{{*}}{step}" for step in path.split("/")))
    assert found is not None, path
    return found


def q(root: etree._Element, name: str) -> str:
    """``name`` in the namespace of ``root``."""
    return f"{{{etree.QName(root).namespace}}}{name}"


# ---------------------------------------------------------------- fixtures and global elements


@pytest.mark.parametrize(("fixture", "schema_file"), sorted(VALID_FIXTURES.items()))
def test_valid_fixture_validates_as_a_whole_document(fixture: str, schema_file: str) -> None:
    tree = etree.parse(str(FIXTURES / fixture))
    assert violations(load_schema(schema_file), tree) == []
    fmt = FORMATS[etree.QName(tree.getroot()).namespace or ""]
    assert (fmt.schema, fmt.root) == (schema_file, etree.QName(tree.getroot()).localname)
    assert tree.getroot().get("versjon") == fmt.version


def top_level_rows(path: Path) -> Iterator[etree._Element]:
    """The root's children as a streaming validator sees them: parsed incrementally, each
    yielded at its end tag while still attached to the partial document."""
    depth = 0
    for event, element in etree.iterparse(str(path), events=("start", "end")):
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth == 1:
            yield element


@pytest.mark.parametrize(("fixture", "schema_file"), sorted(VALID_FIXTURES.items()))
def test_every_top_level_row_of_a_fixture_validates_alone(fixture: str, schema_file: str) -> None:
    schema = load_schema(schema_file)
    seen = 0
    for row in top_level_rows(FIXTURES / fixture):
        assert violations(schema, row) == [], etree.QName(row).localname
        parent = row.getparent()
        assert parent is not None
        parent.remove(row)  # detached, as after clearing the partial tree
        assert violations(schema, row) == [], etree.QName(row).localname
        seen += 1
    assert seen >= 4


def global_elements(schema_file: str) -> set[str]:
    root = etree.parse(str(SCHEMA_DIR / schema_file)).getroot()
    return {el.get("name", "") for el in root.findall(f"{XS}element")}


@pytest.mark.parametrize(
    ("schema_file", "expected"),
    [
        ("iplos-2018.xsd", {"IPLOS", "INNHINFO", "PERSON"}),
        ("iplos-2019.xsd", {"IPLOS", "INNHINFO", "PERSON"}),
        ("iplos-56.xsd", {"Melding", "Notifikasjon", "Kontaktperson", "Kommune"}),
        ("kpr-ide-1.xsd", {"IdentMelding", "INNHINFO", "PasientIdent"}),
    ],
)
def test_schema_declares_the_root_and_its_children_globally(
    schema_file: str, expected: set[str]
) -> None:
    assert global_elements(schema_file) == expected
    root = etree.parse(str(SCHEMA_DIR / schema_file)).getroot()
    # the root refers to its children instead of declaring them locally
    root_decl = next(e for e in root.findall(f"{XS}element") if not e.get("type"))
    refs = {e.get("ref") for e in root_decl.iter(f"{XS}element") if e.get("ref")}
    assert refs == expected - {root_decl.get("name")}


def test_schemas_carry_no_enumerations_and_document_their_source() -> None:
    for schema_file in ("iplos-2018.xsd", "iplos-2019.xsd", "iplos-56.xsd", "kpr-ide-1.xsd"):
        root = etree.parse(str(SCHEMA_DIR / schema_file)).getroot()
        assert root.find(f".//{XS}enumeration") is None, schema_file
        text = root.findtext(f"{XS}annotation/{XS}documentation") or ""
        assert "mockkpr's OWN" in text, schema_file
        assert "iplos-format.md" in text, schema_file


def test_a_non_global_element_cannot_be_validated_alone() -> None:
    tree = etree.parse(str(FIXTURES / "iplos-2019.xml"))
    tjeneste = find(tree.getroot(), "PERSON/TJENESTE")
    (only,) = violations(load_schema("iplos-2019.xsd"), tjeneste)
    assert "No matching global declaration available for the validation root" in only.message


# ---------------------------------------------------------------- streaming: one PERSON alone


def person_row(root: etree._Element, key: str) -> etree._Element:
    found = root.find(f"{{*}}PERSON[@pePeID='{key}']")
    assert found is not None
    return found


def bad_person_2019() -> tuple[etree._Element, int]:
    """The 2019 fixture with a comma in the second person's first tjTimerUke; its line."""
    lines = (FIXTURES / "iplos-2019.xml").read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if "<tjTimerUke>5.00<" in line)
    lines[index] = lines[index].replace("5.00", "5,00")
    return etree.fromstring("\n".join(lines).encode()), index + 1


def test_person_validated_alone_while_attached_reports_the_type_error_with_line_and_element(
) -> None:
    root, line = bad_person_2019()
    person = person_row(root, "1002")
    (v,) = violations(load_schema("iplos-2019.xsd"), person)
    assert v == Violation(
        message=f"Element '{{{NS_2019}}}tjTimerUke': '5,00' is not a valid value of the atomic "
        f"type '{{{NS_2019}}}TimerPerUke'.",
        line=line,
        path="/*/*[10]/*[5]",  # PERSON / its 10th child (TJENESTE) / its 5th child
        element=find(person, "TJENESTE/tjTimerUke"),
    )
    assert v.element is not None
    tjeneste = v.element.getparent()
    assert tjeneste is not None
    assert tjeneste.get("tjTjID") == "3"


def test_person_validated_alone_when_detached_reports_the_same_error() -> None:
    root, line = bad_person_2019()
    person = person_row(root, "1002")
    root.remove(person)
    (v,) = violations(load_schema("iplos-2019.xsd"), person)
    assert v.line == line
    # detached, lxml gives the default namespace a generated prefix, so the path names steps
    assert re.fullmatch(r"/(ns\d+):PERSON/\1:TJENESTE\[1\]/\1:tjTimerUke", v.path), v.path
    assert v.element is not None
    assert etree.QName(v.element).localname == "tjTimerUke"
    assert v.element.text == "5,00"


def test_person_in_a_prefixed_document_gets_a_named_path() -> None:
    text = (FIXTURES / "iplos-2019.xml").read_text(encoding="utf-8")
    text = text.replace('<IPLOS xmlns="', '<IPLOS xmlns:i="')
    text = text.replace("<tjTimerUke>5.00<", "<tjTimerUke>x<")
    root = etree.fromstring(re.sub(r"<(/?)([A-Za-z])", r"<\1i:\2", text).encode())
    person = person_row(root, "1002")
    (v,) = violations(load_schema("iplos-2019.xsd"), person)
    assert v.path == "/i:PERSON/i:TJENESTE[1]/i:tjTimerUke"
    assert v.element is not None
    assert v.element.text == "x"


# ---------------------------------------------------------------- 2018 versus 2019

ANNUAL_BOTH = """\
<IPLOS xmlns="{ns}" versjon="3.7">
  <INNHINFO>
    <iiInnhType>P</iiInnhType>
    <iiKomnr>0301</iiKomnr>
    <iiBydelsnr>03</iiBydelsnr>
    <iiKontakt><Type>16</Type><Navn>A</Navn><Telefon>1</Telefon><Epost>a@x.no</Epost></iiKontakt>
    <iiKontakt><Type>17</Type><Navn>B</Navn><Telefon>2</Telefon><Epost>b@x.no</Epost></iiKontakt>
    <iiFraDato>20190101</iiFraDato>
    <iiTilDato>20191231</iiTilDato>
    <iiLagetDato>20200110</iiLagetDato>
    <iiSysID>TESTEPJ</iiSysID>
    <iiSysVersjon>1.0</iiSysVersjon>
    <iiLopenr>7</iiLopenr>
  </INNHINFO>
  <PERSON pePeID="1">
    <peAlder>80</peAlder>
    <peKjonn>K</peKjonn>
    <peKomnr>0301</peKomnr>
    <peBydelsnr>03</peBydelsnr>
    <peFraDato>20190105</peFraDato>
    <peEndrDato>20190105</peEndrDato>
    <PERSONOPPL poPeID="1" poPoID="1"><poHusstand>1</poHusstand></PERSONOPPL>
    <FUNKSJON fnPeID="1" fnFnID="1">
      <fnFunkType>5</fnFunkType><fnFunkVerdi>3</fnFunkVerdi>
      <fnFraDato>20190105</fnFraDato><fnTilDato>99991231</fnTilDato>
    </FUNKSJON>
    <TJENESTE tjPeID="1" tjTjID="1" tjVeID="9" tjVeNrID="1">
      <tjTjenType>15</tjTjenType>
      <tjSoknadDato>20190102</tjSoknadDato>
      <tjVedtDato>20190105</tjVedtDato>
      <tjVedtak>2</tjVedtak>
      <tjTimerUke>3.50</tjTimerUke>
      <tjInstOrgnr>974120003</tjInstOrgnr>
      <tjFraDato>20190106</tjFraDato>
      <tjTilDato>99991231</tjTilDato>
    </TJENESTE>
    <DIAGNOSE diPeID="1" diDiID="1">
      <diKodeVersjon>ICD-10</diKodeVersjon><diDiagKode>I50</diDiagKode>
      <diFraDato>20190105</diFraDato><diTilDato>99991231</diTilDato>
    </DIAGNOSE>
    <DOGNTILBUD dgPeID="1" dgDgID="1">
      <dgInstOrgnr>975230007</dgInstOrgnr><dgFraDato>20190105</dgFraDato>
    </DOGNTILBUD>
  </PERSON>
</IPLOS>
"""

Mutation = Callable[[etree._Element], None]


def annual(ns: str, mutate: Mutation | None = None) -> etree._Element:
    root = parse(ANNUAL_BOTH.format(ns=ns))
    if mutate is not None:
        mutate(root)
    return root


def set_attr(path: str, name: str, value: str | None) -> Mutation:
    def mutate(root: etree._Element) -> None:
        target = root if path == "" else find(root, path)
        if value is None:
            del target.attrib[name]
        else:
            target.set(name, value)

    return mutate


def set_text(path: str, value: str) -> Mutation:
    def mutate(root: etree._Element) -> None:
        find(root, path).text = value

    return mutate


def remove(path: str) -> Mutation:
    def mutate(root: etree._Element) -> None:
        target = find(root, path)
        parent = target.getparent()
        assert parent is not None
        parent.remove(target)

    return mutate


def add_after(path: str, name: str, value: str) -> Mutation:
    """Insert ``<name>value</name>`` right after the element at ``path``."""

    def mutate(root: etree._Element) -> None:
        anchor = find(root, path)
        new = etree.Element(q(root, name))
        new.text = value
        anchor.addnext(new)

    return mutate


def more_contacts(total: int) -> Mutation:
    def mutate(root: etree._Element) -> None:
        contact = find(root, "INNHINFO/iiKontakt")
        for _ in range(total - 2):
            contact.addnext(copy.deepcopy(contact))

    return mutate


def test_the_common_document_is_valid_in_both_years() -> None:
    assert messages("iplos-2018.xsd", annual(NS_2018)) == []
    assert messages("iplos-2019.xsd", annual(NS_2019)) == []


# (id, mutation, valid in 2018, valid in 2019, what the rejecting schema says)
DIFFERENCES: list[tuple[str, Mutation, bool, bool, str]] = [
    ("versjon 3.5", set_attr("", "versjon", "3.5"), True, False,
     "'3.5' does not match the fixed value constraint '3.7'"),
    ("versjon free text", set_attr("", "versjon", "3.5-beta"), True, False,
     "fixed value constraint '3.7'"),
    ("four contacts", more_contacts(4), False, True, "iiKontakt': This element is not expected"),
    ("three contacts", more_contacts(3), True, True, ""),
    ("iiLopenr not a number", set_text("INNHINFO/iiLopenr", "2019-07"), True, False,
     "'2019-07' is not a valid value of the atomic type 'xs:int'"),
    ("iiSysVersjon 16 characters", set_text("INNHINFO/iiSysVersjon", "1234567890123456"),
     True, False, "length of '16'; this exceeds the allowed maximum length of '15'"),
    ("iiSysVersjon 15 characters", set_text("INNHINFO/iiSysVersjon", "123456789012345"),
     True, True, ""),
    ("tjTjenUnderType", add_after("PERSON/TJENESTE/tjTjenType", "tjTjenUnderType", "1"),
     True, False, "tjTjenUnderType': This element is not expected"),
    *[
        (f"2019 adds {name}", add_after("PERSON/PERSONOPPL/poHusstand", name, value), False, True,
         f"{name}': This element is not expected")
        for name, value in [("poVenteliste", "2"), ("poVentelisteDato", "20190301"),
                            ("poHeldg", "2"), ("poHab", "1"), ("poHabDato", "20190301")]
    ],
    *[
        (f"no {name}", remove(f"PERSON/{name}"), False, True, f"}}{name} ).")
        for name in ("peAlder", "peKjonn", "peKomnr", "peBydelsnr", "peFraDato", "peEndrDato")
    ],
    ("no tjVeID", set_attr("PERSON/TJENESTE", "tjVeID", None), False, True,
     "The attribute 'tjVeID' is required but missing"),
    ("no tjVeNrID", set_attr("PERSON/TJENESTE", "tjVeNrID", None), False, True,
     "The attribute 'tjVeNrID' is required but missing"),
    ("no tjVedtDato", remove("PERSON/TJENESTE/tjVedtDato"), False, True,
     "tjVedtak': This element is not expected. Expected is ( "),
    ("no diFraDato", remove("PERSON/DIAGNOSE/diFraDato"), True, False,
     "diTilDato': This element is not expected. Expected is ( "),
    ("no diTilDato", remove("PERSON/DIAGNOSE/diTilDato"), True, False,
     "Missing child element(s). Expected is ( "),
    # decision: the orgnr elements are optional in both years (see the TjenesteType annotation)
    ("no tjInstOrgnr", remove("PERSON/TJENESTE/tjInstOrgnr"), True, True, ""),
    ("no dgInstOrgnr", remove("PERSON/DOGNTILBUD/dgInstOrgnr"), True, True, ""),
]


@pytest.mark.parametrize(
    ("mutate", "valid_2018", "valid_2019", "says"),
    [pytest.param(m, v18, v19, says, id=name) for name, m, v18, v19, says in DIFFERENCES],
)
def test_2018_and_2019_schemas_differ_exactly_there(
    mutate: Mutation, valid_2018: bool, valid_2019: bool, says: str
) -> None:
    found_2018 = messages("iplos-2018.xsd", annual(NS_2018, mutate))
    found_2019 = messages("iplos-2019.xsd", annual(NS_2019, mutate))
    assert (found_2018 == [], found_2019 == []) == (valid_2018, valid_2019)
    for found in (found_2018, found_2019):
        if found:
            (only,) = found
            assert says in only


def test_a_single_contact_is_too_few_in_both_years() -> None:
    for ns, schema_file in ((NS_2018, "iplos-2018.xsd"), (NS_2019, "iplos-2019.xsd")):
        (only,) = messages(schema_file, annual(ns, remove("INNHINFO/iiKontakt")))
        assert f"Element '{{{ns}}}iiFraDato': This element is not expected." in only


# ---------------------------------------------------------------- annual: negative cases

ANNUAL_BAD: list[tuple[str, Mutation, str]] = [
    ("wrong order", lambda root: find(root, "PERSON/peAlder").addprevious(
        find(root, "PERSON/peKjonn")),
     f"Element '{{{NS_2018}}}peKjonn': This element is not expected. "
     f"Expected is ( {{{NS_2018}}}peAlder )."),
    ("FUNKSJON without fnFunkVerdi", remove("PERSON/FUNKSJON/fnFunkVerdi"),
     f"Element '{{{NS_2018}}}fnFraDato': This element is not expected. "
     f"Expected is ( {{{NS_2018}}}fnFunkVerdi )."),
    ("INNHINFO missing", remove("INNHINFO"),
     f"Element '{{{NS_2018}}}PERSON': This element is not expected. "
     f"Expected is ( {{{NS_2018}}}INNHINFO )."),
    ("no PERSON", remove("PERSON"),
     f"Element '{{{NS_2018}}}IPLOS': Missing child element(s). "
     f"Expected is ( {{{NS_2018}}}PERSON )."),
    ("unknown element", add_after("PERSON/peEndrDato", "peFnr", "01018012345"),
     f"Element '{{{NS_2018}}}peFnr': This element is not expected."),
    ("no versjon", set_attr("", "versjon", None),
     f"Element '{{{NS_2018}}}IPLOS': The attribute 'versjon' is required but missing."),
    ("iiInnhType not P", set_text("INNHINFO/iiInnhType", "I"),
     f"Element '{{{NS_2018}}}iiInnhType': The actual value 'I' does not match the fixed value "
     "constraint 'P'."),
    ("non-numeric pePeID", set_attr("PERSON", "pePeID", "P-17"),
     f"Element '{{{NS_2018}}}PERSON', attribute 'pePeID': 'P-17' is not a valid value of the "
     "atomic type 'xs:long'."),
    ("non-numeric tjTjID", set_attr("PERSON/TJENESTE", "tjTjID", "3a"),
     "attribute 'tjTjID': '3a' is not a valid value of the atomic type 'xs:long'."),
    ("ID beyond xs:long", set_attr("PERSON", "pePeID", "99999999999999999999"),
     "'99999999999999999999' is not a valid value of the atomic type 'xs:long'."),
    ("peAlder beyond xs:short", set_text("PERSON/peAlder", "40000"),
     "'40000' is not a valid value of the atomic type 'xs:short'."),
    ("tjTjenType not a number", set_text("PERSON/TJENESTE/tjTjenType", "15a"),
     "'15a' is not a valid value of the atomic type 'xs:short'."),
    ("hours with a comma", set_text("PERSON/TJENESTE/tjTimerUke", "3,50"),
     "'3,50' is not a valid value of the atomic type "),
    ("hours with 3 decimals", set_text("PERSON/TJENESTE/tjTimerUke", "3.505"),
     "has more fractional digits than are allowed ('2')"),
    ("hours with 6 digits", set_text("PERSON/TJENESTE/tjTimerUke", "1234.56"),
     "has more digits than are allowed ('5')"),
]

BAD_DATES = ["2019-01-05", "190105", "201901055", "20191301", "20190001", "20190132",
             "20190100", "2019010a", ""]


@pytest.mark.parametrize(
    ("mutate", "says"), [pytest.param(m, says, id=name) for name, m, says in ANNUAL_BAD]
)
def test_annual_schema_rejects(mutate: Mutation, says: str) -> None:
    (only,) = messages("iplos-2018.xsd", annual(NS_2018, mutate))
    assert says in only


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize(
    "field", ["INNHINFO/iiFraDato", "PERSON/peFraDato", "PERSON/TJENESTE/tjVedtDato",
              "PERSON/FUNKSJON/fnTilDato", "PERSON/DOGNTILBUD/dgFraDato"]
)
def test_bad_dates_are_rejected_in_both_years(field: str, value: str) -> None:
    for ns, schema_file in ((NS_2018, "iplos-2018.xsd"), (NS_2019, "iplos-2019.xsd")):
        (only,) = messages(schema_file, annual(ns, set_text(field, value)))
        leaf = field.rpartition("/")[2]
        assert only == (f"Element '{{{ns}}}{leaf}': [facet 'pattern'] The value '{value}' is not "
                        f"accepted by the pattern "
                        "'[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])'.")


@pytest.mark.parametrize("value", ["99991231", "20190131", "20191231", "20190229", "00010101"])
def test_dates_the_pattern_accepts(value: str) -> None:
    """99991231 is the open end; day-in-month (20190229) and range are rules, not the schema."""
    assert messages("iplos-2019.xsd", annual(NS_2019, set_text("PERSON/peFraDato", value))) == []


@pytest.mark.parametrize("value", ["0.01", "168", "168.00", "999.99", "0", "-1", "200"])
def test_hours_the_schema_accepts_leaving_the_range_to_rules(value: str) -> None:
    mutate = set_text("PERSON/TJENESTE/tjTimerUke", value)
    assert messages("iplos-2019.xsd", annual(NS_2019, mutate)) == []


def test_codes_are_not_enumerated_so_unknown_codes_pass_the_schema() -> None:
    def mutate(root: etree._Element) -> None:
        find(root, "PERSON/peKjonn").text = "X"
        find(root, "PERSON/TJENESTE/tjTjenType").text = "10"
        find(root, "PERSON/TJENESTE/tjVedtak").text = "7"
        find(root, "PERSON/FUNKSJON/fnFunkVerdi").text = "8"
        find(root, "PERSON/PERSONOPPL/poHusstand").text = "4"

    assert messages("iplos-2018.xsd", annual(NS_2018, mutate)) == []
    assert messages("iplos-2019.xsd", annual(NS_2019, mutate)) == []


# ---------------------------------------------------------------- 56.0.0

GUID = "ff93e27b-39b8-4b8f-a09b-ddc47dab3296"


def event_message(mutate: Mutation | None = None) -> etree._Element:
    root = etree.parse(str(FIXTURES / "iplos-56.xml"), etree.XMLParser(remove_comments=True))
    element = root.getroot()
    if mutate is not None:
        mutate(element)
    return element


def notifications(root: etree._Element) -> list[etree._Element]:
    return root.findall(f"{{{NS_56}}}Notifikasjon")


def add_second_event(root: etree._Element) -> None:
    first = notifications(root)[0]
    slutt = copy.deepcopy(first[0])
    slutt.tag = f"{{{NS_56}}}TjenesteSlutt"
    first.append(slutt)


def duplicate_guid(root: etree._Element) -> None:
    first, second = notifications(root)[:2]
    second.set("notifikasjonGUID", first.get("notifikasjonGUID", ""))


def test_a_second_event_in_one_notification_is_schema_valid() -> None:
    """The specification allows one event; that is a rule, the schema allows several."""
    root = event_message(add_second_event)
    assert len(notifications(root)[0]) == 2
    assert messages("iplos-56.xsd", root) == []


def test_duplicate_notification_guid_is_rejected_by_xs_unique() -> None:
    (only,) = messages("iplos-56.xsd", event_message(duplicate_guid))
    assert only == (
        f"Element '{{{NS_56}}}Notifikasjon': Duplicate key-sequence ['{GUID}'] in unique "
        f"identity-constraint '{{{NS_56}}}uniqueNotifikasjonGUID'."
    )


def test_xs_unique_needs_the_whole_document_row_by_row_validation_misses_it() -> None:
    root = event_message(duplicate_guid)
    schema = load_schema("iplos-56.xsd")
    assert all(violations(schema, n) == [] for n in notifications(root)[:2])


def test_duplicate_kommune_is_rejected_by_xs_unique() -> None:
    def mutate(root: etree._Element) -> None:
        kommune = find(root, "Kommune")
        kommune.addnext(copy.deepcopy(kommune))

    (only,) = messages("iplos-56.xsd", event_message(mutate))
    assert "Duplicate key-sequence ['0301'] in unique identity-constraint" in only
    assert "uniqueKommuneNr" in only


@pytest.mark.parametrize(
    "value",
    [
        GUID,
        GUID.upper(),
        "{" + GUID + "}",
        "00000000-0000-0000-0000-000000000000",
    ],
)
def test_guids_the_schema_accepts(value: str) -> None:
    mutate = set_attr("Notifikasjon", "notifikasjonGUID", value)
    assert messages("iplos-56.xsd", event_message(mutate)) == []


@pytest.mark.parametrize(
    "value",
    [
        "not-a-guid",
        GUID.replace("-", ""),
        "{" + GUID,
        GUID + "}",
        GUID[:-1],
        GUID + "0",
        "g" + GUID[1:],
        "(" + GUID + ")",
        "",
    ],
)
@pytest.mark.parametrize(
    ("path", "attribute"),
    [
        ("Notifikasjon", "notifikasjonGUID"),
        ("Notifikasjon", "notifikasjonForrigeGUID"),
        ("Notifikasjon/TjenesteStart", "hendelseGUID"),
        ("Notifikasjon/TjenesteStart/Bruker", "pasientGUID"),
    ],
)
def test_bad_guids_are_rejected(path: str, attribute: str, value: str) -> None:
    (only,) = messages("iplos-56.xsd", event_message(set_attr(path, attribute, value)))
    assert f"attribute '{attribute}': [facet 'pattern'] The value '{value}' is not accepted" in (
        only
    )


def test_a_bad_guid_message_names_the_attribute_and_both_accepted_forms() -> None:
    mutate = set_attr("Notifikasjon", "notifikasjonRef", "1234")
    (only,) = violations(load_schema("iplos-56.xsd"), event_message(mutate))
    assert only.message == (
        f"Element '{{{NS_56}}}Notifikasjon', attribute 'notifikasjonRef': [facet 'pattern'] "
        "The value '1234' is not accepted by the pattern '[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}"
        "-[0-9A-Fa-f]{12}|\\{[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\\}'."
    )
    assert only.element is not None
    assert only.element.get("notifikasjonLopeNr") == "1"


def drop_first_event(root: etree._Element) -> None:
    notification = notifications(root)[0]
    notification.remove(notification[0])


def rename_first_event(name: str) -> Mutation:
    def mutate(root: etree._Element) -> None:
        notifications(root)[0][0].tag = f"{{{NS_56}}}{name}"

    return mutate


def move_kommune_before_contacts(root: etree._Element) -> None:
    find(root, "Kontaktperson").addprevious(find(root, "Kommune"))


EVENT_BAD: list[tuple[str, Mutation, str]] = [
    ("versjon 56.0.1", set_attr("", "versjon", "56.0.1"),
     "'56.0.1' does not match the fixed value constraint '56.0.0'"),
    ("meldingstype B", set_attr("", "meldingstype", "B"),
     "'B' does not match the fixed value constraint 'K'"),
    ("no leverandor", set_attr("", "leverandor", None),
     "The attribute 'leverandor' is required but missing"),
    ("notification without event", drop_first_event,
     f"Element '{{{NS_56}}}Notifikasjon': Missing child element(s)."),
    ("unknown event", rename_first_event("TjenesteEndret"),
     f"Element '{{{NS_56}}}TjenesteEndret': This element is not expected."),
    ("no notifikasjonLopeNr", set_attr("Notifikasjon", "notifikasjonLopeNr", None),
     "The attribute 'notifikasjonLopeNr' is required but missing"),
    ("notifikasjonTid without T", set_attr("Notifikasjon", "notifikasjonTid",
                                           "2021-02-01 10:15:00"),
     "'2021-02-01 10:15:00' is not a valid value of the atomic type 'xs:dateTime'"),
    ("hendelseDato not a date", set_attr("Notifikasjon/TjenesteStart", "hendelseDato",
                                         "20210201"),
     "'20210201' is not a valid value of the atomic type 'xs:date'"),
    ("hendelseDato month 13", set_attr("Notifikasjon/TjenesteStart", "hendelseDato",
                                       "2021-13-01"),
     "'2021-13-01' is not a valid value of the atomic type 'xs:date'"),
    ("provider change without orgnr",
     set_attr("Notifikasjon/TjenesteutforerEndret", "tjenesteOrgNr", None),
     "The attribute 'tjenesteOrgNr' is required but missing"),
    ("pause without its id", set_attr("Notifikasjon/MidlertidigStoppFra",
                                      "midlertidigStoppID", None),
     "The attribute 'midlertidigStoppID' is required but missing"),
    ("event without Bruker", remove("Notifikasjon/TjenesteStart/Bruker"),
     f"Element '{{{NS_56}}}TjenesteStart': Missing child element(s). "
     f"Expected is ( {{{NS_56}}}Bruker )."),
    ("Bruker without fid", set_attr("Notifikasjon/TjenesteStart/Bruker", "fid", None),
     "The attribute 'fid' is required but missing"),
    ("Bruker without typeID", set_attr("Notifikasjon/TjenesteStart/Bruker", "typeID", None),
     "The attribute 'typeID' is required but missing"),
    ("Kontaktperson without type", set_attr("Kontaktperson", "typeKontaktperson", None),
     "The attribute 'typeKontaktperson' is required but missing"),
    ("kommuneNr of 3 characters", set_attr("Kommune", "kommuneNr", "301"),
     "[facet 'length'] The value '301' has a length of '3'; this differs from the allowed "
     "length of '4'"),
    ("Kommune before Kontaktperson", move_kommune_before_contacts,
     f"Element '{{{NS_56}}}Kommune': This element is not expected. "
     f"Expected is one of ( {{{NS_56}}}Notifikasjon, {{{NS_56}}}Kontaktperson )."),
    ("attribute in the namespace", set_attr("Kommune", f"{{{NS_56}}}kommuneNr", "0301"),
     "The attribute '{http://www.npr.no/xmlstds/56_0_0_ipl}kommuneNr' is not allowed."),
]


@pytest.mark.parametrize(
    ("mutate", "says"), [pytest.param(m, says, id=name) for name, m, says in EVENT_BAD]
)
def test_event_schema_rejects(mutate: Mutation, says: str) -> None:
    (only,) = messages("iplos-56.xsd", event_message(mutate))
    assert says in only


def test_event_schema_leaves_codes_and_optional_attributes_to_rules() -> None:
    def mutate(root: etree._Element) -> None:
        del root.attrib["lokalident"]
        first = notifications(root)[0]
        first.set("statusNotifikasjon", "T")  # not to be used yet: a rule
        first[0].set("tjenesteType", "1")  # out of scope for 56.0.0: a rule
        del first[0].attrib["tjenesteOrgNr"]
        bruker = find(first, "TjenesteStart/Bruker")
        bruker.set("typeID", "99")
        del bruker.attrib["bydel"]
        del find(root, "Kontaktperson").attrib["meldTelefon"]

    assert messages("iplos-56.xsd", event_message(mutate)) == []


def drop_notifications(root: etree._Element) -> None:
    for notification in notifications(root):
        root.remove(notification)


def test_messages_without_notifications_are_valid() -> None:
    root = event_message(drop_notifications)
    assert notifications(root) == []
    assert messages("iplos-56.xsd", root) == []


# ---------------------------------------------------------------- identity message


def identity(mutate: Mutation | None = None) -> etree._Element:
    root = etree.parse(str(FIXTURES / "kpr-ide-1.xml"), etree.XMLParser(remove_comments=True))
    element = root.getroot()
    if mutate is not None:
        mutate(element)
    return element


def drop_identities(root: etree._Element) -> None:
    for ident in root.findall(f"{{{NS_IDENTITY}}}PasientIdent"):
        root.remove(ident)


IDENTITY_BAD: list[tuple[str, Mutation, str]] = [
    ("versjon 2.0", set_attr("", "versjon", "2.0"),
     "'2.0' does not match the fixed value constraint '1.0'"),
    ("fid of 21 characters", set_text("PasientIdent/fid", "1" * 21),
     "[facet 'maxLength'] The value has a length of '21'; this exceeds the allowed maximum "
     "length of '20'."),
    ("typeID not a number", set_text("PasientIdent/typeID", "fnr"),
     "'fnr' is not a valid value of the atomic type 'xs:short'"),
    ("non-numeric pePeID", set_attr("PasientIdent", "pePeID", "A1001"),
     "attribute 'pePeID': 'A1001' is not a valid value of the atomic type 'xs:long'"),
    ("no pePeID", set_attr("PasientIdent", "pePeID", None),
     "The attribute 'pePeID' is required but missing"),
    ("typeID before fid", lambda root: find(root, "PasientIdent/fid").addprevious(
        find(root, "PasientIdent/typeID")),
     f"Element '{{{NS_IDENTITY}}}typeID': This element is not expected. "
     f"Expected is ( {{{NS_IDENTITY}}}fid )."),
    ("iiLopenr not a number", set_text("INNHINFO/iiLopenr", "A"),
     "'A' is not a valid value of the atomic type 'xs:int'"),
    ("bad iiLagetDato", set_text("INNHINFO/iiLagetDato", "2020-01-14"),
     "The value '2020-01-14' is not accepted by the pattern"),
    ("no PasientIdent", drop_identities,
     f"Element '{{{NS_IDENTITY}}}IdentMelding': Missing child element(s). "
     f"Expected is ( {{{NS_IDENTITY}}}PasientIdent )."),
]


@pytest.mark.parametrize(
    ("mutate", "says"), [pytest.param(m, says, id=name) for name, m, says in IDENTITY_BAD]
)
def test_identity_schema_rejects(mutate: Mutation, says: str) -> None:
    (only,) = messages("kpr-ide-1.xsd", identity(mutate))
    assert says in only


def test_identity_bydel_is_optional() -> None:
    assert messages("kpr-ide-1.xsd", identity(remove("INNHINFO/iiBydelsnr"))) == []


# ---------------------------------------------------------------- the loader


def test_load_schema_is_cached_and_covers_every_format() -> None:
    for fmt in FORMATS.values():
        assert load_schema(fmt.schema) is load_schema(fmt.schema)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("nope.xsd", "no schema 'nope.xsd' in mockkpr.iplos.schemas"),
        ("../formats.py", "not a schema file name: '../formats.py'"),
        ("../schemas/iplos-56.xsd", "not a schema file name"),
        ("__init__.py", "not a schema file name: '__init__.py'"),
    ],
)
def test_load_schema_refuses_names_that_are_not_its_schemas(name: str, says: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(says)):
        load_schema(name)


SCHEMA_HEAD = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" ' \
    'xmlns="urn:t" elementFormDefault="qualified">'


@pytest.mark.parametrize(
    ("reference", "kind"),
    [
        ('<xs:import namespace="urn:x" schemaLocation="http://schemas.invalid/x.xsd"/>',
         "import"),
        ('<xs:include schemaLocation="https://schemas.invalid/y.xsd"/>', "include"),
        ('<xs:include schemaLocation="other.xsd"/>', "include"),
        ('<xs:redefine schemaLocation="ftp://schemas.invalid/z.xsd"/>', "redefine"),
    ],
)
def test_a_schema_that_refers_to_another_document_is_refused(reference: str, kind: str) -> None:
    location = re.search(r'schemaLocation="([^"]+)"', reference)
    assert location is not None
    source = f'{SCHEMA_HEAD}\n{reference}\n<xs:element name="A" type="xs:string"/></xs:schema>'
    with pytest.raises(ConfigError) as caught:
        compile_schema(source.encode(), "net.xsd")
    assert str(caught.value) == (
        f"schema net.xsd line 2: xs:{kind} of '{location.group(1)}' refused; mockkpr's schemas "
        "must be self-contained (no network, no other files)"
    )


def test_an_import_without_location_is_fine() -> None:
    source = (f'{SCHEMA_HEAD}<xs:import namespace="http://www.w3.org/XML/1998/namespace"/>'
              '<xs:element name="A" type="xs:string"/></xs:schema>')
    schema = compile_schema(source.encode(), "ok.xsd")
    assert schema.validate(etree.fromstring(b'<A xmlns="urn:t">x</A>'))


def test_external_entities_in_a_schema_are_not_resolved(tmp_path: Path) -> None:
    injected = tmp_path / "injected.xml"
    injected.write_text('<xs:element xmlns:xs="http://www.w3.org/2001/XMLSchema" name="B" '
                        'type="xs:string"/>')
    source = (f'<!DOCTYPE xs:schema [<!ENTITY inj SYSTEM "{injected.as_uri()}">]>\n'
              f'{SCHEMA_HEAD}<xs:element name="A" type="xs:string"/>&inj;</xs:schema>')
    schema = compile_schema(source.encode(), "entity.xsd")
    assert schema.validate(etree.fromstring(b'<A xmlns="urn:t">x</A>'))
    assert not schema.validate(etree.fromstring(b'<B xmlns="urn:t">x</B>'))


@pytest.mark.parametrize(
    ("source", "says"),
    [
        (b"<xs:schema", "schema bad.xsd is not well-formed XML"),
        (b"<schema/>", "schema bad.xsd is not an XML Schema (root element 'schema')"),
        (SCHEMA_HEAD.encode() + b'<xs:element name="A" type="Nope"/></xs:schema>',
         "schema bad.xsd does not compile"),
    ],
)
def test_compile_schema_errors_are_config_errors(source: bytes, says: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(says)):
        compile_schema(source, "bad.xsd")
