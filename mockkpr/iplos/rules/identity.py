"""Rules of the identity message (KPR_IDE, ``urn:mockkpr:xmlstds:kpr-ide:1``).

The message is mockkpr's own layout (schemas/kpr-ide-1.xsd): a header with the annual format's
INNHINFO fields and one ``PasientIdent`` per person (``@pePeID``, ``fid``, ``typeID``). Its
rules follow the annual format's for the header (iplos-format.md §4: kommune and period 1, the
rest 9) and the national-id checks of §5, shared with the 56.0.0 ``Bruker`` rules
(:mod:`.person_ids`). A person whose identity is rejected stays known to the join
(:mod:`.identity_join`), which then does not report the person as missing as well.

The identity document has no generation, so these rules run for every identity message; the
reporting year is the one of its own ``iiFraDato`` (or the forced year).
"""

from __future__ import annotations

import re

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.formats import DocumentKind
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules import person_ids
from mockkpr.iplos.rules.annual_header import period_violation
from mockkpr.iplos.rules.registry import ANNUAL, ROOT, Context, Violation, rule
from mockkpr.iplos.values import as_date8, as_int, is_date8_shape
from mockkpr.refdata.codelists import ID_TYPE
from mockkpr.refdata.kommuner import bydeler, is_valid_kommune

_IDE = frozenset({DocumentKind.IDENTITY})
_S4 = "iplos-format.md §4 (annual table, applied to the identity header)"
_S5 = "iplos-format.md §5"
_FMT = "kpr-ide-1.xsd (mockkpr's own KPR_IDE 1.0 layout)"
_ROW = Consequence.REJECT_ROW
VERSION = "1.0"
NO_BYDEL = "00"
_KEY = re.compile(r"[0-9]{1,10}")


LONG = range(-(2**63), 2**63)
SHORT = range(-(2**15), 2**15)


def _integer(text: str | None, bounds: range) -> int | None:
    """An xs:long/xs:short value as the schema reads it (whitespace collapsed), or None."""
    value = as_int(text.strip()) if text is not None else None
    return value if value is not None and value in bounds else None


def person_key(text: str | None) -> str | None:
    """A person key (``pePeID``) as compared across files: 1-10 digits, leading zeros dropped."""
    if text is None:
        return None
    text = text.strip()
    return str(int(text)) if _KEY.fullmatch(text) else None


def id_type_code(text: str | None) -> str | None:
    """The identity message's ``typeID`` (an xs:short) as a 9032 code string (``01`` -> ``1``)."""
    value = _integer(text, SHORT)
    return str(value) if value is not None else text


# ----------------------------------------------------------------------------- header

@rule(
    "IDE-VERSJON", scope=ROOT, consequence=Consequence.REJECT_MESSAGE, kinds=_IDE,
    generations=ANNUAL, requirement=f"{_FMT}: IdentMelding@versjon is required and fixed to 1.0",
    apprec_code="T10",
    no="Identmeldingen må ha versjon 1.0.", en="The identity message must have versjon 1.0.",
)
def version(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("versjon")
    if value != VERSION:
        return [Violation("@versjon", value, VERSION)]
    return None


@rule(
    "IDE-KOMNR-VALID", scope="INNHINFO", consequence=Consequence.REJECT_MESSAGE, kinds=_IDE,
    generations=ANNUAL,
    requirement=f"{_S4}: iiKomnr 4 digits, a kommune valid in the reporting year (1)",
    xsd_fields=("iiKomnr",),
    no="Kommunenummeret må være en kommune som gjelder i rapporteringsåret.",
    en="iiKomnr must be a kommune valid in the reporting year.",
)
def kommune(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("iiKomnr")
    if value is not None and not is_valid_kommune(value, ctx.year):
        return [Violation("iiKomnr", value, f"a kommune valid in {ctx.year} (4 digits)")]
    return None


@rule(
    "IDE-BYDELSNR", scope="INNHINFO", consequence=Consequence.REPORT_ONLY, kinds=_IDE,
    generations=ANNUAL,
    requirement=f"{_S4}: iiBydelsnr 2 digits, 00 or a bydel of iiKomnr in the year (9)",
    xsd_fields=("iiBydelsnr",),
    no="Bydelsnummeret må være 00 eller en bydel i kommunen.",
    en="iiBydelsnr must be 00 or a bydel of the kommune.",
)
def bydel(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("iiBydelsnr")
    if value is None or value == NO_BYDEL:
        return None
    if len(value) != 2 or not (value.isascii() and value.isdigit()):
        return [Violation("iiBydelsnr", value, "2 digits")]
    komnr = row.fields.get("iiKomnr") or ""
    if is_valid_kommune(komnr, ctx.year):
        known = bydeler(komnr, ctx.year, include_statistical=False)
        if value not in known:
            codes = ", ".join([NO_BYDEL, *known])
            return [Violation("iiBydelsnr", value, f"one of {codes} (kommune {komnr})")]
    return None


@rule(
    "IDE-FRADATO", scope="INNHINFO", consequence=Consequence.REJECT_MESSAGE, kinds=_IDE,
    generations=ANNUAL, requirement=f"{_S4}: iiFraDato is 01.01 of the reporting year (1)",
    xsd_fields=("iiFraDato",),
    no="Periodens startdato må være 1. januar i rapporteringsåret.",
    en="iiFraDato must be 1 January of the reporting year.",
)
def period_start(row: Row, ctx: Context) -> list[Violation] | None:
    return period_violation("iiFraDato", "0101", row, ctx)


@rule(
    "IDE-TILDATO", scope="INNHINFO", consequence=Consequence.REJECT_MESSAGE, kinds=_IDE,
    generations=ANNUAL, requirement=f"{_S4}: iiTilDato is 31.12 of the reporting year (1)",
    xsd_fields=("iiTilDato",),
    no="Periodens sluttdato må være 31. desember i rapporteringsåret.",
    en="iiTilDato must be 31 December of the reporting year.",
)
def period_end(row: Row, ctx: Context) -> list[Violation] | None:
    return period_violation("iiTilDato", "1231", row, ctx)


@rule(
    "IDE-LAGETDATO", scope="INNHINFO", consequence=Consequence.REPORT_ONLY, kinds=_IDE,
    generations=ANNUAL, requirement=f"{_S4}: iiLagetDato present, a real date (9)",
    xsd_fields=("iiLagetDato",),
    no="Dato filen ble laget må være en gyldig dato.",
    en="iiLagetDato must be a valid date.",
)
def created(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("iiLagetDato")
    if is_date8_shape(value) and as_date8(value) is None:
        return [Violation("iiLagetDato", value, "a real date YYYYMMDD")]
    return None


@rule(
    "IDE-LOPENR", scope="INNHINFO", consequence=Consequence.REPORT_ONLY, kinds=_IDE,
    generations=ANNUAL,
    requirement=f"{_S4}: iiLopenr present, a running number from 1 (+1 per file) (9)",
    xsd_fields=("iiLopenr",),
    no="Løpenummeret må være et heltall fra 1.", en="iiLopenr must be a whole number from 1.",
)
def running_number(row: Row, ctx: Context) -> list[Violation] | None:
    text = row.fields.get("iiLopenr")
    value = as_int(text)
    if value is not None and value < 1:
        return [Violation("iiLopenr", text, "1 or more")]
    return None


# ----------------------------------------------------------------------------- PasientIdent

@rule(
    "IDE-PEID-FORMAT", scope="PasientIdent", consequence=_ROW, kinds=_IDE, generations=ANNUAL,
    requirement=f"{_S4}: every row ID (pePeID) 1-10 digits (2)", xsd_fields=("@pePeID",),
    no="Personnøkkelen (pePeID) må ha 1 til 10 sifre.", en="pePeID must have 1 to 10 digits.",
)
def key_format(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("pePeID")
    if _integer(value, LONG) is not None and person_key(value) is None:
        return [Violation("@pePeID", value, "1 to 10 digits")]
    return None


@rule(
    "IDE-PEID-DUPLICATE", scope="PasientIdent", consequence=_ROW, kinds=_IDE,
    generations=ANNUAL,
    requirement=f"{_S4}, further checks: one PasientIdent per person key (2); 017 and 17 are "
                "the same key",
    no="Samme personnøkkel (pePeID) forekommer flere ganger.",
    en="The same person key (pePeID) occurs more than once.",
)
def key_duplicate(row: Row, ctx: Context) -> list[Violation] | None:
    key = person_key(row.attrs.get("pePeID"))
    if key is None:
        return None
    seen: set[str] = ctx.rule_state("IDE-PEID-DUPLICATE", set)
    if key in seen:
        return [Violation("@pePeID", row.attrs["pePeID"], "a person key not used before")]
    seen.add(key)
    return None


@rule(
    "IDE-FID", scope="PasientIdent", consequence=_ROW, kinds=_IDE, generations=ANNUAL,
    requirement=f"{_FMT}: fid is required, at most 20 characters (as 56.0.0 fid, §4)",
    xsd_fields=("fid",), apprec_code="E30",
    no="Fødselsnummeret (fid) mangler eller er for langt.",
    en="The national id (fid) is missing or too long.",
)
def fid_required(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("fid")
    if value is not None and not value:
        return [Violation("fid", value, "a national id, not empty")]
    return None


@rule(
    "IDE-FID-CHECKSUM", scope="PasientIdent", consequence=_ROW, kinds=_IDE, generations=ANNUAL,
    requirement=f"{_S5}: an fid of type 1, 2, 3 or 12 is 11 digits with valid mod-11 check "
                "digits and a possible birth date (relaxed K1 from 2032)",
    apprec_code="E31",
    no="Fødselsnummeret er ugyldig (lengde, fødselsdato eller kontrollsiffer).",
    en="The national id is invalid (length, birth date or check digits).",
)
def fid_checksum(row: Row, ctx: Context) -> list[Violation] | None:
    fid = row.fields.get("fid")
    expected = person_ids.checksum_expected(fid, id_type_code(row.fields.get("typeID")),
                                            ctx.year)
    if expected is not None:
        return [Violation("fid", fid, expected)]
    return None


@rule(
    "IDE-TYPEID-CODE", scope="PasientIdent", consequence=_ROW, kinds=_IDE, generations=ANNUAL,
    requirement=f"{_FMT} and §4: typeID is required, code list 9032 (2)",
    xsd_fields=("typeID",),
    no="Identitetstypen må finnes i kodeverk 9032.", en="typeID must be a code of code list 9032.",
)
def type_code(row: Row, ctx: Context) -> list[Violation] | None:
    text = row.fields.get("typeID")
    if _integer(text, SHORT) is not None and id_type_code(text) not in person_ids.KNOWN_ID_TYPES:
        return [Violation("typeID", text, ID_TYPE.expected(ctx.year))]
    return None


@rule(
    "IDE-TYPEID-NO-REGISTER", scope="PasientIdent", consequence=Consequence.REPORT_ONLY,
    kinds=_IDE, generations=ANNUAL,
    requirement="iplos-format.md §2: only id types 1, 2 and 10 give a register identity; other "
                "types are accepted but reported back as a deficiency",
    no="Identitetstypen gir ikke identitet i folkeregisteret (bare 1, 2 og 10 gjør det).",
    en="The id type gives no register identity (only 1, 2 and 10 do).",
)
def type_no_register(row: Row, ctx: Context) -> list[Violation] | None:
    text = row.fields.get("typeID")
    code = id_type_code(text)
    if code in person_ids.KNOWN_ID_TYPES and code not in person_ids.REGISTER_ID_TYPES:
        return [Violation("typeID", text,
                          "1, 2 or 10 (fødselsnummer, D-nummer, DUF-nummer) for a register "
                          "identity")]
    return None


@rule(
    "IDE-FID-TYPE-MISMATCH", scope="PasientIdent", consequence=Consequence.REPORT_ONLY,
    kinds=_IDE, generations=ANNUAL,
    requirement=f"{_S5}: the id type matches the number (D-number day + 40, H-number month + 40, "
                "FH-number first digit 8 or 9)",
    no="Identitetstypen stemmer ikke med nummeret.", en="The id type does not match the number.",
)
def fid_type_mismatch(row: Row, ctx: Context) -> list[Violation] | None:
    text = row.fields.get("typeID")
    expected = person_ids.type_mismatch_expected(row.fields.get("fid"), id_type_code(text),
                                                 ctx.year)
    if expected is not None:
        return [Violation("typeID", text, expected)]
    return None


@rule(
    "IDE-SYNTHETIC-ID", scope="PasientIdent", consequence=_ROW, kinds=_IDE, generations=ANNUAL,
    requirement="iplos-format.md §2: test persons must never be reported (only when the "
                "endpoint does not accept synthetic ids, setting accept_synthetic_ids)",
    apprec_code="E31",
    no="Testpersoner (syntetiske fødselsnumre) skal ikke rapporteres.",
    en="Test persons (synthetic national ids) must not be reported.",
)
def synthetic_id(row: Row, ctx: Context) -> list[Violation] | None:
    if ctx.accept_synthetic_ids:
        return None
    fid = row.fields.get("fid")
    if person_ids.is_synthetic(fid, id_type_code(row.fields.get("typeID")), ctx.year):
        return [Violation("fid", fid, "the national id of a real person, not a test person")]
    return None


@rule(
    "IDE-REAL-ID", scope="PasientIdent", consequence=Consequence.REPORT_ONLY, kinds=_IDE,
    generations=ANNUAL,
    requirement=f"{_S5}: test data must be synthetic (month + 80); reported when the setting "
                "flag_real_ids is on. The value is shown masked.",
    apprec_code="X99",
    no="Nummeret ser ut som en ekte person; testdata skal være syntetiske.",
    en="The number looks like a real person; test data must be synthetic.",
)
def real_id(row: Row, ctx: Context) -> list[Violation] | None:
    if not ctx.flag_real_ids:
        return None
    fid = row.fields.get("fid")
    kind = person_ids.real_kind(fid, id_type_code(row.fields.get("typeID")), ctx.year)
    if kind is not None and fid is not None:
        return [Violation("fid", person_ids.masked(fid),
                          f"a synthetic national id (month + 80), not {kind}")]
    return None


@rule(
    "IDE-FID-DUPLICATE", scope="PasientIdent", consequence=_ROW, kinds=_IDE, generations=ANNUAL,
    requirement=f"{_S5}: one national id names one person: the same fid under two person keys "
                "(2); a repeated key is IDE-PEID-DUPLICATE",
    apprec_code="E31",
    no="Samme fødselsnummer er oppgitt for flere personnøkler.",
    en="The same national id is given for more than one person key.",
)
def fid_duplicate(row: Row, ctx: Context) -> list[Violation] | None:
    fid = row.fields.get("fid")
    key = person_key(row.attrs.get("pePeID"))
    if key is None or not person_ids.fid_is_readable(fid):
        return None
    assert fid is not None
    seen: dict[str, str] = ctx.rule_state("IDE-FID-DUPLICATE", dict)
    first = seen.setdefault(fid, key)
    if first != key:
        return [Violation("fid", fid, f"a national id not given for pePeID {first} already")]
    return None
