"""56.0.0 rules on ``Bruker``: the user of an event, identified inline by ``fid`` and ``typeID``.

The national-id checks are shared with the identity message (:mod:`.person_ids`). Reading order
keeps one defect to one finding: a missing or too long ``fid`` is reported by EV-FID /
EV-FID-LENGTH only; the checksum rule reads only 11-digit Norwegian id types (1, 2, 3, 12); the
type, synthetic and real-person rules read only numbers that pass the checksum rule.
"""

from __future__ import annotations

import re

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules import person_ids
from mockkpr.iplos.rules.event_history import history, notification_of
from mockkpr.iplos.rules.registry import EVENT, Context, Violation, rule
from mockkpr.refdata.codelists import ID_TYPE

_S2 = "iplos-format.md §2"
_S4 = "iplos-format.md §4, 56.0.0 attribute rules"
_S5 = "iplos-format.md §5"
_ROW = Consequence.REJECT_ROW
MAX_BRUKERNR_LENGTH = 100
_BYDEL = re.compile(r"\d{2,6}")


def _event_status(row: Row) -> str | None:
    event = row.parent
    note = notification_of(event) if event is not None else None
    return note.attrs.get("statusNotifikasjon") if note is not None else None


@rule(
    "EV-FID", scope="Bruker", consequence=Consequence.REJECT_MESSAGE, generations=EVENT,
    requirement=f"{_S4}: fid is required (1)", xsd_fields=("@fid",), apprec_code="E30",
    no="Brukerens fødselsnummer (fid) mangler.", en="The user's national id (fid) is missing.",
)
def fid_required(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("fid")
    if value is not None and not value.strip():
        return [Violation("@fid", value, "a national id, not empty")]
    return None


@rule(
    "EV-FID-LENGTH", scope="Bruker", consequence=Consequence.REJECT_MESSAGE, generations=EVENT,
    requirement=f"{_S4}: fid max 20 characters (1)", apprec_code="E31",
    no="Brukerens fid kan ha høyst 20 tegn.", en="The user's fid may have at most 20 characters.",
)
def fid_length(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("fid")
    if value is not None and len(value) > person_ids.MAX_FID_LENGTH:
        return [Violation("@fid", value, f"at most {person_ids.MAX_FID_LENGTH} characters")]
    return None


@rule(
    "EV-TYPEID-REQUIRED", scope="Bruker", consequence=Consequence.REJECT_MESSAGE,
    generations=EVENT, requirement=f"{_S4}: typeID is required (1)", xsd_fields=("@typeID",),
    no="Brukerens identitetstype (typeID) mangler.", en="The user's id type (typeID) is missing.",
)
def type_required(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("typeID")
    if value is not None and not value.strip():
        return [Violation("@typeID", value, "an id type of code list 9032, not empty")]
    return None


@rule(
    "EV-TYPEID-CODE", scope="Bruker", consequence=_ROW, generations=EVENT,
    requirement=f"{_S4}: typeID in code list 9032 (2)",
    no="Identitetstypen må finnes i kodeverk 9032.", en="typeID must be a code of code list 9032.",
)
def type_code(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("typeID")
    if value is not None and value.strip() and value not in person_ids.KNOWN_ID_TYPES:
        return [Violation("@typeID", value, ID_TYPE.expected(ctx.year))]
    return None


@rule(
    "EV-TYPEID-NO-REGISTER", scope="Bruker", consequence=Consequence.REPORT_ONLY,
    generations=EVENT,
    requirement=f"{_S2}: only id types 1, 2 and 10 give a register identity; other types are "
                "accepted but reported back as a deficiency",
    no="Identitetstypen gir ikke identitet i folkeregisteret (bare 1, 2 og 10 gjør det).",
    en="The id type gives no register identity (only 1, 2 and 10 do).",
)
def type_no_register(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("typeID")
    if value in person_ids.KNOWN_ID_TYPES and value not in person_ids.REGISTER_ID_TYPES:
        return [Violation("@typeID", value,
                          "1, 2 or 10 (fødselsnummer, D-nummer, DUF-nummer) for a register "
                          "identity")]
    return None


@rule(
    "EV-FID-CHECKSUM", scope="Bruker", consequence=_ROW, generations=EVENT,
    requirement=f"{_S5}: an fid of type 1, 2, 3 or 12 is 11 digits with valid mod-11 check "
                "digits and a possible birth date (relaxed K1 from 2032)",
    apprec_code="E31",
    no="Fødselsnummeret er ugyldig (lengde, fødselsdato eller kontrollsiffer).",
    en="The national id is invalid (length, birth date or check digits).",
)
def fid_checksum(row: Row, ctx: Context) -> list[Violation] | None:
    fid = row.attrs.get("fid")
    expected = person_ids.checksum_expected(fid, row.attrs.get("typeID"), ctx.year)
    if expected is not None:
        return [Violation("@fid", fid, expected)]
    return None


@rule(
    "EV-FID-TYPE-MISMATCH", scope="Bruker", consequence=Consequence.REPORT_ONLY,
    generations=EVENT,
    requirement=f"{_S5}: the id type matches the number (D-number day + 40, H-number month + 40, "
                "FH-number first digit 8 or 9)",
    no="Identitetstypen stemmer ikke med nummeret.",
    en="The id type does not match the number.",
)
def fid_type_mismatch(row: Row, ctx: Context) -> list[Violation] | None:
    id_type = row.attrs.get("typeID")
    expected = person_ids.type_mismatch_expected(row.attrs.get("fid"), id_type, ctx.year)
    if expected is not None:
        return [Violation("@typeID", id_type, expected)]
    return None


@rule(
    "EV-SYNTHETIC-ID", scope="Bruker", consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: test persons must never be reported (only when the endpoint does not "
                "accept synthetic ids, setting accept_synthetic_ids)",
    apprec_code="E31",
    no="Testpersoner (syntetiske fødselsnumre) skal ikke rapporteres.",
    en="Test persons (synthetic national ids) must not be reported.",
)
def synthetic_id(row: Row, ctx: Context) -> list[Violation] | None:
    if ctx.accept_synthetic_ids:
        return None
    fid = row.attrs.get("fid")
    if person_ids.is_synthetic(fid, row.attrs.get("typeID"), ctx.year):
        return [Violation("@fid", fid, "the national id of a real person, not a test person")]
    return None


@rule(
    "EV-REAL-ID", scope="Bruker", consequence=Consequence.REPORT_ONLY, generations=EVENT,
    requirement=f"{_S5}: test data must be synthetic (month + 80); reported when the setting "
                "flag_real_ids is on. The value is shown masked.",
    apprec_code="X99",
    no="Nummeret ser ut som en ekte person; testdata skal være syntetiske.",
    en="The number looks like a real person; test data must be synthetic.",
)
def real_id(row: Row, ctx: Context) -> list[Violation] | None:
    if not ctx.flag_real_ids:
        return None
    fid = row.attrs.get("fid")
    kind = person_ids.real_kind(fid, row.attrs.get("typeID"), ctx.year)
    if kind is not None and fid is not None:
        return [Violation("@fid", person_ids.masked(fid),
                          f"a synthetic national id (month + 80), not {kind}")]
    return None


@rule(
    "EV-BRUKERNR", scope="Bruker", consequence=_ROW, generations=EVENT,
    requirement=f"{_S4}: brukerNr is required, max 100 characters (2)", xsd_fields=("@brukerNr",),
    no="Brukernummeret må være oppgitt og kan ha høyst 100 tegn.",
    en="brukerNr must be given and may have at most 100 characters.",
)
def user_number(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("brukerNr")
    if value is not None and (not value.strip() or len(value) > MAX_BRUKERNR_LENGTH):
        return [Violation("@brukerNr", value,
                          f"1..{MAX_BRUKERNR_LENGTH} characters, not blank")]
    return None


@rule(
    "EV-BRUKERNR-UNIQUE", scope="Bruker", consequence=_ROW, generations=EVENT,
    requirement=f"{_S4}: brukerNr is unique per kommune (2): one brukerNr, one person. Judged "
                "within the message (or the history a caller supplies): the first pair seen "
                "holds, and the events of a C notification are not checked",
    no="Samme brukernummer er brukt for ulike personer, eller samme person har ulike "
       "brukernumre.",
    en="The same brukerNr is used for different persons, or one person has different brukerNr.",
)
def user_number_unique(row: Row, ctx: Context) -> list[Violation] | None:
    number = row.attrs.get("brukerNr")
    fid = row.attrs.get("fid")
    if (number is None or not number.strip() or len(number) > MAX_BRUKERNR_LENGTH
            or not person_ids.fid_is_readable(fid) or _event_status(row) == "C"):
        return None
    assert fid is not None
    state = history(ctx)
    known_fid = state.fid_by_brukernr.setdefault(number, fid)
    known_number = state.brukernr_by_fid.setdefault(fid, number)
    if known_fid != fid:
        return [Violation("@brukerNr", number,
                          "a brukerNr not used for another person earlier in the message")]
    if known_number != number:
        return [Violation("@brukerNr", number,
                          f"{known_number} (this person's brukerNr earlier in the message)")]
    return None


@rule(
    "EV-BYDEL", scope="Bruker", consequence=Consequence.REPORT_ONLY, generations=EVENT,
    requirement=f"{_S4}: bydel 2-6 digits (9); given empty counts as not given",
    no="Bydel må ha 2 til 6 sifre.", en="bydel must have 2 to 6 digits.",
)
def district(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("bydel")
    if value is not None and value.strip() and not (value.isascii() and _BYDEL.fullmatch(value)):
        return [Violation("@bydel", value, "2 to 6 digits")]
    return None
