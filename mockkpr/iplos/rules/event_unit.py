"""56.0.0 rules on the reporting unit: ``Kontaktperson`` and ``Kommune``.

A message holds one reporting unit (one kommune) with at least one contact of type 16 (IPLOS
kontaktperson) and one of type 17 (innsendingsansvarlig). Contact details follow the 56.0.0
attribute rules; optional attributes given empty count as not given.

E-mail addresses are checked with a simple, documented pattern (``local@domain.tld``: no
spaces, one ``@``, a domain of at least two non-empty dot-separated labels), not a full RFC 5322
parser: the requirement is a format check, and KPR's own check is a pattern, not delivery.
"""

from __future__ import annotations

import re

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.registry import END, EVENT, Context, Violation, rule
from mockkpr.refdata.codelists import CONTACT_TYPE
from mockkpr.refdata.kommuner import is_valid_kommune

_S2 = "iplos-format.md §2"
_S4 = "iplos-format.md §4, 56.0.0 attribute rules"
_REPORT = Consequence.REPORT_ONLY
MAX_NAME_LENGTH = 100
REQUIRED_CONTACT = ("kontPerson", "meldEpost1", "typeKontaktperson")
NEEDED_CONTACT_TYPES = ("16", "17")

# The reference pattern is ^(\+47|0047|)( *\d *){8}$. Written as is, "( *\d *){8}" can split a
# run of spaces between two groups in many ways and backtracks badly on long failing input; the
# form below accepts the same ASCII strings without that ambiguity (tests/iplos/rules compare
# both). Digits are ASCII 0-9: Python's \d would also take other scripts' digits.
TELEPHONE = re.compile(r"(?:\+47|0047|) *(?:[0-9] *){8}")
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


@rule(
    "EV-KONTAKT-REQUIRED", scope="Kontaktperson", consequence=_REPORT, generations=EVENT,
    requirement=f"{_S2}: kontPerson, meldEpost1 and typeKontaktperson are required; contact "
                "details are consequence 9 as in the annual format's table (§4)",
    xsd_fields=tuple(f"@{name}" for name in REQUIRED_CONTACT),
    no="Kontaktpersonen må ha navn, e-post og type.",
    en="A contact must have a name, an e-mail address and a type.",
)
def contact_required(row: Row, ctx: Context) -> list[Violation] | None:
    found = None
    for name in REQUIRED_CONTACT:
        value = row.attrs.get(name)
        if value is not None and not value.strip():
            found = found or []
            found.append(Violation(f"@{name}", value, "present and not empty"))
    return found


@rule(
    "EV-KONTPERSON-LENGTH", scope="Kontaktperson", consequence=Consequence.SET_NULL,
    generations=EVENT, requirement=f"{_S4}: kontPerson max 100 characters (7)",
    no="Navnet på kontaktpersonen kan ha høyst 100 tegn.",
    en="The contact's name may have at most 100 characters.",
)
def contact_name_length(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("kontPerson")
    if value is not None and len(value) > MAX_NAME_LENGTH:
        return [Violation("@kontPerson", value, f"at most {MAX_NAME_LENGTH} characters")]
    return None


@rule(
    "EV-TELEFON", scope="Kontaktperson", consequence=_REPORT, generations=EVENT,
    requirement=f"{_S4}: meldTelefon ^(\\+47|0047|)( *\\d *){{8}}$ (9)",
    no="Telefonnummeret må ha 8 sifre, eventuelt med +47 eller 0047 foran.",
    en="The telephone number must have 8 digits, optionally after +47 or 0047.",
)
def telephone(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("meldTelefon")
    if value is not None and value.strip() and TELEPHONE.fullmatch(value) is None:
        return [Violation("@meldTelefon", value, "8 digits, optionally after +47 or 0047")]
    return None


@rule(
    "EV-EPOST", scope="Kontaktperson", consequence=_REPORT, generations=EVENT,
    requirement=f"{_S4}: meldEpost1 and meldEpost2 have e-mail format (9): local@domain.tld",
    no="E-postadressen har ikke gyldig format.", en="The e-mail address is not well-formed.",
)
def email(row: Row, ctx: Context) -> list[Violation] | None:
    found = None
    for name in ("meldEpost1", "meldEpost2"):
        value = row.attrs.get(name)
        if value is not None and value.strip() and EMAIL.fullmatch(value) is None:
            found = found or []
            found.append(Violation(f"@{name}", value, "an e-mail address like name@domain.no"))
    return found


@rule(
    "EV-KONTAKTTYPE-CODE", scope="Kontaktperson", consequence=_REPORT, generations=EVENT,
    requirement=f"{_S2}: typeKontaktperson in code list 8471 (consequence 9, as contacts in §4)",
    no="Kontaktpersontypen må finnes i kodeverk 8471.",
    en="typeKontaktperson must be a code of code list 8471.",
)
def contact_type_code(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("typeKontaktperson")
    if value is not None and value.strip() and value not in CONTACT_TYPE:
        return [Violation("@typeKontaktperson", value, CONTACT_TYPE.expected(ctx.year))]
    return None


@rule(
    "EV-CONTACTS-16-17", scope=("Kontaktperson", END), consequence=_REPORT, generations=EVENT,
    requirement=f"{_S2}: each kommune needs a contact of type 16 (IPLOS kontaktperson) and one of "
                "type 17 (innsendingsansvarlig); not judged when a contact's type is missing or "
                "unknown (another rule reports that)",
    no="Meldingen mangler kontaktperson av type 16 eller 17.",
    en="The message lacks a contact of type 16 or 17.",
)
def contacts_16_17(row: Row, ctx: Context) -> list[Violation] | None:
    # The contacts' types, each with its line (the finding points at the first contact).
    types: list[tuple[str | None, int]] = ctx.rule_state("EV-CONTACTS-16-17", list)
    if row.kind == "Kontaktperson":
        types.append((row.attrs.get("typeKontaktperson"), row.line))
        return None
    if not types or any(t is None or t not in CONTACT_TYPE for t, _ in types):
        return None
    found = None
    given = {t for t, _ in types}
    for needed in NEEDED_CONTACT_TYPES:
        if needed not in given:
            found = found or []
            found.append(Violation(
                None, None, f"a Kontaktperson with typeKontaktperson {needed} "
                            f"({CONTACT_TYPE.text(needed)})",
                location=f"{row.path}/Kontaktperson", line=types[0][1]))
    return found


@rule(
    "EV-KOMMUNENR", scope="Kommune", consequence=_REPORT, generations=EVENT,
    requirement=f"{_S4}: kommuneNr 4 digits (9)", xsd_fields=("@kommuneNr",),
    no="Kommunenummeret må ha 4 sifre.", en="kommuneNr must have 4 digits.",
)
def kommune_number(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("kommuneNr")
    if value is not None and len(value) == 4 and not (value.isascii() and value.isdigit()):
        return [Violation("@kommuneNr", value, "4 digits")]
    return None


@rule(
    "EV-KOMMUNE-VALID", scope="Kommune", consequence=_REPORT, generations=EVENT,
    requirement=f"{_S4} and §6: kommuneNr is a kommune valid in the year of the events (the "
                "year of the first notification); consequence 9 like the 4-digit rule",
    no="Kommunenummeret gjelder ikke i året.", en="kommuneNr is not a kommune in the year.",
)
def kommune_valid(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("kommuneNr")
    if (value is not None and len(value) == 4 and value.isascii() and value.isdigit()
            and not is_valid_kommune(value, ctx.year)):
        return [Violation("@kommuneNr", value, f"a kommune valid in {ctx.year}")]
    return None


@rule(
    "EV-KOMMUNE-DUPLICATE", scope="Kommune", consequence=Consequence.REJECT_MESSAGE,
    generations=EVENT,
    requirement=f"{_S2}: kommuneNr is unique (the schema's xs:unique, which does not fire when "
                "rows are validated one by one; a schema error outside the data rows rejects "
                "the message)",
    apprec_code="T02",
    no="Samme kommune er oppgitt to ganger.", en="The same kommune is given twice.",
)
def kommune_duplicate(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("kommuneNr")
    seen: set[str] = ctx.rule_state("EV-KOMMUNE-DUPLICATE", set)
    if value is None:
        return None
    if value in seen:
        return [Violation("@kommuneNr", value, "each kommuneNr once")]
    seen.add(value)
    return None


@rule(
    "EV-ONE-UNIT", scope="Kommune", consequence=Consequence.REJECT_MESSAGE, generations=EVENT,
    requirement=f"{_S2}: a message holds one reporting unit only (a repeated kommuneNr is "
                "EV-KOMMUNE-DUPLICATE)",
    no="En melding kan bare gjelde én rapporteringsenhet (én kommune).",
    en="A message may hold one reporting unit (one kommune) only.",
)
def one_unit(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("kommuneNr")
    first: list[str] = ctx.rule_state("EV-ONE-UNIT", list)
    if value is None:
        return None
    if not first:
        first.append(value)
    elif value != first[0]:
        return [Violation(None, value, f"only kommune {first[0]} (one reporting unit)")]
    return None
