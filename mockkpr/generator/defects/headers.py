"""Injectors for what surrounds the rows: prolog, root, header (INNHINFO), contacts and the
56.0.0 reporting unit.

Each takes one slot of one document (a header field, a root attribute, a contact attribute)
and changes only it, so several header defects can share a document, one per slot. The values
avoid the schema's content-model errors (a missing or unexpected element stops the schema
from checking the rest of INNHINFO): fields are given wrong values, not left out. A header
finding that rejects the message (consequence 1) does not hide the row findings: the
validator still reports every one of them.

Slots shared by two rules (iiKomnr, the identity message's period, the contacts' types, the
56.0.0 kommuneNr) keep those rules out of one document; see the registry's policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockkpr.generator.defects.registry import ALL, ANNUAL, EVENT, Target, injector
from mockkpr.generator.hooks import HeaderEdits
from mockkpr.generator.model import World
from mockkpr.iplos.formats import DocumentKind, Generation
from mockkpr.refdata.kommuner import bydeler, is_valid_kommune, kommuner

IDENTITY = DocumentKind.IDENTITY
DEFECT_TEXT = "defekt"
UNKNOWN_NAMESPACE = "urn:mockkpr:unknown-format"
NO_KOMMUNE = "0000"
"""No kommune has ever had this number."""
CONTACT_TYPES = "the contacts' types"


@dataclass(frozen=True)
class DocumentInfo:
    """What a document-level injector needs to know of its document."""

    world: World
    root: str
    """``IPLOS``, ``IdentMelding`` or ``Melding``."""

    @property
    def year(self) -> int:
        return self.world.year

    @property
    def generation(self) -> Generation:
        return self.world.spec.generation


Result = tuple[str, str | None]


def _field(edits: HeaderEdits, doc: DocumentInfo, name: str, value: str) -> Result:
    edits.fields[name] = value
    return f"/{doc.root}/INNHINFO/{name}", value


def _register_field(rule_id: str, kind: DocumentKind, name: str, description: str,
                    value: str | None = None, *, slots: tuple[str, ...] = ()) -> None:
    """A header field given a wrong value; ``value`` None: the year's text from ``_YEARLY``."""

    @injector(rule_id, Target.DOCUMENT, ANNUAL, description, kind=kind,
              slots=slots or (f"{kind.value}:{name}",))
    def apply(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
        text = value if value is not None else _YEARLY[rule_id](doc.year)
        return _field(edits, doc, name, text)


_YEARLY = {
    "II-FRADATO": lambda year: f"{year}0102", "II-TILDATO": lambda year: f"{year}1230",
    "II-LAGETDATO": lambda year: f"{year}1130", "IDE-FRADATO": lambda year: f"{year}0102",
    "IDE-TILDATO": lambda year: f"{year}1230", "IDE-LAGETDATO": lambda year: f"{year + 1}0230",
}
KOMNR = (f"{DocumentKind.IPLOS.value}:iiKomnr",)
IDE_FROM = f"{IDENTITY.value}:iiFraDato"
IDE_TO = f"{IDENTITY.value}:iiTilDato"

_IPLOS = DocumentKind.IPLOS
_register_field("II-INNHTYPE", _IPLOS, "iiInnhType", "iiInnhType set to X (the schema fixes P)",
                "X")
_register_field("II-KOMNR-VALID", _IPLOS, "iiKomnr",
                f"iiKomnr set to {NO_KOMMUNE} (no kommune)", NO_KOMMUNE, slots=KOMNR)
_register_field("II-BYDELSNR", _IPLOS, "iiBydelsnr", "iiBydelsnr set to one digit", "3")
_register_field("II-FRADATO", _IPLOS, "iiFraDato", "iiFraDato set to 2 January of the year "
                "(the reporting year stays)")
_register_field("II-TILDATO", _IPLOS, "iiTilDato", "iiTilDato set to 30 December of the year")
_register_field("II-LAGETDATO", _IPLOS, "iiLagetDato",
                "iiLagetDato set to 30 November of the year (before the period ends)")
_register_field("II-LOPENR", _IPLOS, "iiLopenr", "iiLopenr set to 0", "0")
_register_field("II-SYSID", _IPLOS, "iiSysID", "iiSysID left empty", "")
_register_field("II-SYSVERSJON", _IPLOS, "iiSysVersjon", "iiSysVersjon left empty", "")
_register_field("IDE-KOMNR-VALID", IDENTITY, "iiKomnr",
                f"the identity message's iiKomnr set to {NO_KOMMUNE}", NO_KOMMUNE)
_register_field("IDE-BYDELSNR", IDENTITY, "iiBydelsnr",
                "the identity message's iiBydelsnr set to one digit", "3")
_register_field("IDE-FRADATO", IDENTITY, "iiFraDato",
                "the identity message's iiFraDato set to 2 January of the year", slots=(IDE_FROM,))
_register_field("IDE-TILDATO", IDENTITY, "iiTilDato",
                "the identity message's iiTilDato set to 30 December of the year",
                slots=(IDE_TO,))
_register_field("IDE-LAGETDATO", IDENTITY, "iiLagetDato",
                "the identity message's iiLagetDato set to 30 February (no such day)")
_register_field("IDE-LOPENR", IDENTITY, "iiLopenr", "the identity message's iiLopenr set to 0",
                "0")


@injector("II-KOMNR-FORMAT", Target.DOCUMENT, ANNUAL,
          "iiKomnr cut to its last three digits", slots=KOMNR)
def _kommune_format(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    return _field(edits, doc, "iiKomnr", doc.world.kommune[1:])


@injector("II-KONTAKT", Target.DOCUMENT, ANNUAL,
          "the phone number of the first contact cut to six digits",
          slots=("IPLOS:iiKontakt[1]/Telefon",))
def _contact(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    edits.contacts[(0, "Telefon")] = "99 99 99"
    return "/IPLOS/INNHINFO/iiKontakt[1]/Telefon", "99 99 99"


@injector("IDE-HEADER-MISMATCH", Target.DOCUMENT, ANNUAL,
          "the identity message's period moved to the year before or after (both dates, so "
          "that the identity message is right in itself; a year in which its kommune and "
          "bydel exist)", kind=IDENTITY, slots=(IDE_FROM, IDE_TO))
def _header_mismatch(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result | None:
    world = doc.world
    for year in (doc.year - 1, doc.year + 1):
        if is_valid_kommune(world.kommune, year) and (
                world.sending_bydel == "00"
                or world.sending_bydel in bydeler(world.kommune, year)):
            edits.fields["iiTilDato"] = f"{year}1231"
            return _field(edits, doc, "iiFraDato", f"{year}0101")
    return None


@injector("IPLOS-VERSJON", Target.DOCUMENT, ANNUAL,
          "versjon of the root set to the other annual format's (3.5 and 3.7 swapped)",
          slots=("IPLOS:@versjon",))
def _version(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    value = "3.7" if doc.generation is Generation.ANNUAL_2018 else "3.5"
    edits.root["versjon"] = value
    return "/IPLOS/@versjon", value


@injector("IDE-VERSJON", Target.DOCUMENT, ANNUAL, "versjon of the identity message set to 2.0",
          kind=IDENTITY, slots=("KPR_IDE:@versjon",))
def _identity_version(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    edits.root["versjon"] = "2.0"
    return "/IdentMelding/@versjon", "2.0"


@injector("XSD-HEADER", Target.DOCUMENT, ALL,
          "an unknown element at the end of INNHINFO (56.0.0: an unknown attribute on the "
          "first Kontaktperson)", slots=("XSD-HEADER",))
def _unknown_header_element(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    if doc.root == "Melding":
        edits.contact_markup[0] = edits.contact_markup.get(0, "") + f' merknad="{DEFECT_TEXT}"'
        return "/Melding/Kontaktperson[1]/@merknad", DEFECT_TEXT
    edits.extra += f"    <iiMerknad>{DEFECT_TEXT}</iiMerknad>\n"
    return f"/{doc.root}/INNHINFO/iiMerknad", DEFECT_TEXT


@injector("XML-DOCTYPE", Target.DOCUMENT, ALL, "a DOCTYPE before the root element",
          exclusive=True)
def _doctype(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    edits.prolog = f"<!DOCTYPE {doc.root}>\n"
    return "/", f"<!DOCTYPE {doc.root}>"


@injector("XML-UNKNOWN-FORMAT", Target.DOCUMENT, ALL,
          "the root element in a namespace no format uses", exclusive=True)
def _unknown_namespace(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    edits.namespace = UNKNOWN_NAMESPACE
    return "/", f"{{{UNKNOWN_NAMESPACE}}}{doc.root}"


@injector("XML-NOT-WELL-FORMED", Target.DOCUMENT, EVENT,
          "a '<' inside an attribute value of the first Kontaktperson", exclusive=True)
def _not_well_formed(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    edits.contact_markup[0] = ' merknad="a<b"'
    return "/", None


# ----------------------------------------------------------------------- 56.0.0 root
def _root(rule_id: str, name: str, description: str, value: str | None,
          *, slot: str | None = None) -> None:
    @injector(rule_id, Target.DOCUMENT, EVENT, description, slots=(slot or f"@{name}",))
    def apply(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
        edits.root[name] = value
        return f"/Melding/@{name}", value


_root("EV-VERSJON", "versjon", "versjon of the message set to 3.7", "3.7")
_root("EV-MELDINGSTYPE", "meldingstype", "meldingstype set to B (batch)", "B")
_root("EV-ROOT-REQUIRED", "navnEPJ", "navnEPJ left out of the message", None)
LONG_SUPPLIER = "mockkpr " + "A" * 93
_root("EV-ROOT-LENGTH", "leverandor", "leverandor made 101 characters long", LONG_SUPPLIER)


# ----------------------------------------------------------------------- 56.0.0 contacts
def _contact_attr(rule_id: str, position: int, name: str, description: str,
                  value: str, *, slot: str | None = None) -> None:
    @injector(rule_id, Target.DOCUMENT, EVENT, description,
              slots=(slot or f"Kontaktperson[{position + 1}]/@{name}",))
    def apply(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
        edits.contacts[(position, name)] = value
        return f"/Melding/Kontaktperson[{position + 1}]/@{name}", value


_contact_attr("EV-KONTAKT-REQUIRED", 1, "meldEpost1",
              "meldEpost1 of the second contact given empty", "")
_contact_attr("EV-TELEFON", 1, "meldTelefon",
              "meldTelefon of the second contact given a Swedish prefix", "+46 99 99 99 02")
_contact_attr("EV-EPOST", 0, "meldEpost1", "meldEpost1 of the first contact without '@'",
              "kontakt.example.com")
_contact_attr("EV-KONTAKTTYPE-CODE", 0, "typeKontaktperson",
              "typeKontaktperson of the first contact set to 20 (no such code in 8471); the "
              "rule on types 16 and 17 then stays silent", "20", slot=CONTACT_TYPES)


@injector("EV-KONTPERSON-LENGTH", Target.DOCUMENT, EVENT,
          "kontPerson of the first contact made 101 characters long",
          slots=("Kontaktperson[1]/@kontPerson",))
def _long_name(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    value = "Kari " + "T" * 96
    edits.contacts[(0, "kontPerson")] = value
    return "/Melding/Kontaktperson[1]/@kontPerson", value


@injector("EV-CONTACTS-16-17", Target.DOCUMENT, EVENT,
          "the second contact's type 17 changed to 15 (a valid type, but no 17 is left)",
          slots=(CONTACT_TYPES,))
def _no_17(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    edits.contacts[(1, "typeKontaktperson")] = "15"
    return "/Melding/Kontaktperson", None


# ----------------------------------------------------------------------- 56.0.0 Kommune
KOMMUNE_NR = "kommuneNr"


def _kommune_path(number: str) -> str:
    return f"/Melding/Kommune[@kommuneNr={number}]"


@injector("EV-KOMMUNENR", Target.DOCUMENT, EVENT,
          "kommuneNr with a letter for its third digit", slots=(KOMMUNE_NR,))
def _kommune_number(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    value = f"{doc.world.kommune[:2]}a{doc.world.kommune[3:]}"
    edits.kommune = value
    return f"{_kommune_path(value)}/@kommuneNr", value


@injector("EV-KOMMUNE-VALID", Target.DOCUMENT, EVENT, f"kommuneNr set to {NO_KOMMUNE}",
          slots=(KOMMUNE_NR,))
def _kommune_valid(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    edits.kommune = NO_KOMMUNE
    return f"{_kommune_path(NO_KOMMUNE)}/@kommuneNr", NO_KOMMUNE


@injector("EV-KOMMUNE-DUPLICATE", Target.DOCUMENT, EVENT,
          "the message's Kommune written twice", slots=(KOMMUNE_NR,))
def _kommune_twice(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    edits.more_kommuner.append(doc.world.kommune)
    return f"{_kommune_path(doc.world.kommune)}/@kommuneNr", doc.world.kommune


@injector("EV-ONE-UNIT", Target.DOCUMENT, EVENT,
          "a second Kommune, another kommune valid in the year", slots=("second kommune",))
def _two_units(edits: HeaderEdits, doc: DocumentInfo, variant: int) -> Result:
    other = min(kommuner(doc.year) - {doc.world.kommune})
    edits.more_kommuner.append(other)
    return _kommune_path(other), other
