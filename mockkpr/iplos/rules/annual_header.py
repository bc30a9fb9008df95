"""Rules on the root and the header (INNHINFO) of the annual formats (iplos-format.md §4).

The header decides the reporting year and the kommune, so the rules that reject the message
(consequence 1) are here: version, content type, kommune, period. The other header fields are
"present/format" checks that are only reported (consequence 9).

The engine takes the reporting year from ``iiFraDato`` unless ``--year`` forces it; the period
rules compare the header with that year, and II-YEAR-GENERATION compares the year the file
states with the years its format is for.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.formats import DocumentKind, Generation
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.annual_common import (
    INT,
    bydel_codes,
    is_real_date8,
    is_two_digits,
    last_date,
    xs_integer,
)
from mockkpr.iplos.rules.registry import ROOT, Context, Violation, declare, rule
from mockkpr.iplos.values import DATE8, OPEN_END
from mockkpr.refdata.codelists import CONTACT_TYPE
from mockkpr.refdata.kommuner import is_valid_kommune

_REJECT = Consequence.REJECT_MESSAGE
_REPORT = Consequence.REPORT_ONLY
_IPLOS = frozenset({DocumentKind.IPLOS})
_ANNUAL = frozenset({Generation.ANNUAL_2018, Generation.ANNUAL_2019})
VERSIONS = {Generation.ANNUAL_2018: "3.5", Generation.ANNUAL_2019: "3.7"}
"""The ``versjon`` each annual generation must carry (iplos-format.md, table of generations)."""

FIRST_YEAR = {Generation.ANNUAL_2018: 2018, Generation.ANNUAL_2019: 2019}
LAST_YEAR = {Generation.ANNUAL_2018: 2018, Generation.ANNUAL_2019: None}
"""Reporting years each annual format is for: 2018 only, and 2019 onwards."""

PHONE = re.compile(r"(\+47|0047|)( *\d *){8}")
"""A Norwegian phone number, as the 56.0.0 rules write it (the annual rules give no format)."""


# ----------------------------------------------------------------------------- root


@rule(
    "IPLOS-VERSJON", scope=ROOT, consequence=_REJECT, apprec_code="T10",
    requirement="iplos-format.md §4: versjon present, the version of the generation "
                "(2018: 3.5, 2019: 3.7)",
    no="Versjon mangler eller er ikke versjonen for meldingsformatet.",
    en="versjon is missing or is not the version of the message format.",
)
def version(row: Row, ctx: Context) -> list[Violation] | None:
    assert ctx.generation is not None
    wanted = VERSIONS[ctx.generation]
    value = row.attrs.get("versjon")
    if value == wanted:
        return None
    return [Violation("@versjon", value, f"{wanted} for the {ctx.generation} format")]


# ----------------------------------------------------------------------------- INNHINFO

II_INNHTYPE = declare(
    "II-INNHTYPE", scope="INNHINFO", consequence=_REJECT, generations=_ANNUAL, kinds=_IPLOS,
    requirement="iplos-format.md §4: iiInnhType present (P); the schema fixes the value",
    no="Innholdstype (iiInnhType) mangler eller er ikke P.",
    en="The content type (iiInnhType) is missing or is not P.",
    xsd_fields=("iiInnhType",),
)


@rule(
    "II-KOMNR-FORMAT", scope="INNHINFO", consequence=_REJECT,
    requirement="iplos-format.md §4: iiKomnr 4 digits",
    no="Kommunenummer (iiKomnr) må være fire sifre.",
    en="The kommune number (iiKomnr) must be four digits.",
    xsd_fields=("iiKomnr",),
)
def kommune_format(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("iiKomnr")
    if value is None or (len(value) == 4 and value.isdigit() and value.isascii()):
        return None
    return [Violation("iiKomnr", value, "4 digits")]


@rule(
    "II-KOMNR-VALID", scope="INNHINFO", consequence=_REJECT,
    requirement="iplos-format.md §4 and §6: iiKomnr a kommune valid in the reporting year",
    no="Kommunenummeret (iiKomnr) er ikke en kommune i rapporteringsåret.",
    en="The kommune number (iiKomnr) is not a kommune in the reporting year.",
)
def kommune_valid(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("iiKomnr")
    if value is None or len(value) != 4 or not (value.isdigit() and value.isascii()):
        return None
    if is_valid_kommune(value, ctx.year):
        return None
    return [Violation("iiKomnr", value, f"a kommune valid in {ctx.year}")]


@rule(
    "II-FRADATO", scope="INNHINFO", consequence=_REJECT,
    requirement="iplos-format.md §4: iiFraDato exactly 01.01 of the reporting year",
    no="Periodens startdato (iiFraDato) må være 1. januar i rapporteringsåret.",
    en="The period start (iiFraDato) must be 1 January of the reporting year.",
    xsd_fields=("iiFraDato",),
)
def period_start(row: Row, ctx: Context) -> list[Violation] | None:
    return period_violation("iiFraDato", "0101", row, ctx)


@rule(
    "II-TILDATO", scope="INNHINFO", consequence=_REJECT,
    requirement="iplos-format.md §4: iiTilDato exactly 31.12 of the reporting year",
    no="Periodens sluttdato (iiTilDato) må være 31. desember i rapporteringsåret.",
    en="The period end (iiTilDato) must be 31 December of the reporting year.",
    xsd_fields=("iiTilDato",),
)
def period_end(row: Row, ctx: Context) -> list[Violation] | None:
    return period_violation("iiTilDato", "1231", row, ctx)


def period_violation(field: str, month_day: str, row: Row, ctx: Context
                     ) -> list[Violation] | None:
    """A header date that is not ``month_day`` of the reporting year (the identity message's
    header follows the same rule). A value of the wrong shape is the schema's to report."""
    value = row.fields.get(field)
    wanted = f"{ctx.year:04d}{month_day}"
    if value is None or value == wanted or not DATE8.fullmatch(value):
        return None
    return [Violation(field, value, wanted)]


@rule(
    "II-YEAR-GENERATION", scope="INNHINFO", consequence=_REJECT, apprec_code="T10",
    requirement="iplos-format.md, table of generations: the 2018 format is for reporting year "
                "2018, the 2019 format (3.7) for 2019 onwards; the year is iiFraDato's. "
                "Consequence 1 chosen: the file is in a format KPR does not take for that year",
    no="Rapporteringsåret (iiFraDato) passer ikke med meldingsformatet.",
    en="The reporting year (iiFraDato) does not fit the message format.",
)
def year_fits_generation(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("iiFraDato")
    if value is None or not DATE8.fullmatch(value):
        return None
    assert ctx.generation is not None
    year, first, last = int(value[:4]), FIRST_YEAR[ctx.generation], LAST_YEAR[ctx.generation]
    if year >= first and (last is None or year <= last):
        return None
    years = f"{first}" if last == first else f"{first} or later"
    return [Violation("iiFraDato", value,
                      f"a reporting year {years} for the {ctx.generation} format")]


@rule(
    "II-LOPENR", scope="INNHINFO", consequence=_REPORT,
    requirement="iplos-format.md §4: iiLopenr present/format: a running number 1, 2, ... "
                "(2018 a string, 2019 an xs:int)",
    no="Løpenummeret (iiLopenr) må være et helt tall fra 1 og oppover.",
    en="The running number (iiLopenr) must be a whole number from 1 up.",
    xsd_fields=("iiLopenr",),
)
def running_number(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("iiLopenr")
    if value is None:
        return None
    number = xs_integer(value, INT)
    if number is None and ctx.generation is Generation.ANNUAL_2019:
        return None  # not an xs:int: the schema's finding
    if number is not None and number >= 1:
        return None
    return [Violation("iiLopenr", value, "a whole number 1 or more")]


@rule(
    "II-BYDELSNR", scope="INNHINFO", consequence=_REPORT,
    requirement="iplos-format.md §1, §4, §6: iiBydelsnr 2 digits, 00 for a whole kommune, "
                "else a bydel of iiKomnr in the reporting year (decision: 00 is accepted for "
                "every kommune, a kommune with bydeler may send one file for all of them; the "
                "statistical units Oslo 16 and 17 do not send)",
    no="Bydelsnummeret (iiBydelsnr) må være 00 eller en bydel i kommunen.",
    en="The city district (iiBydelsnr) must be 00 or a bydel of the kommune.",
    xsd_fields=("iiBydelsnr",),
)
def sending_bydel(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("iiBydelsnr")
    if value is None or value == "00":
        return None
    if not is_two_digits(value):
        return [Violation("iiBydelsnr", value, "2 digits")]
    kommune = row.fields.get("iiKomnr")
    if kommune is None or not is_valid_kommune(kommune, ctx.year):
        return None  # II-KOMNR-*: the kommune is already wrong
    codes = bydel_codes(kommune, ctx.year, False)
    if value in codes:
        return None
    known = ", ".join(sorted(codes))
    expected = f"00 or a bydel of {kommune} in {ctx.year}: {known}" if codes else \
        f"00 ({kommune} has no bydeler in {ctx.year})"
    return [Violation("iiBydelsnr", value, expected)]


@rule(
    "II-LAGETDATO", scope="INNHINFO", consequence=_REPORT,
    requirement="iplos-format.md §4: iiLagetDato present/format; decision: a real date not "
                "before iiTilDato (the file is made after the year, normally in January)",
    no="Dato for når filen ble laget (iiLagetDato) må være en gyldig dato etter perioden.",
    en="The creation date (iiLagetDato) must be a real date after the period.",
    xsd_fields=("iiLagetDato",),
)
def created(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("iiLagetDato")
    if value is None or not DATE8.fullmatch(value):
        return None
    end = last_date(ctx)
    if value != OPEN_END and value >= end and is_real_date8(value):
        return None
    return [Violation("iiLagetDato", value, f"a real date on or after {end}")]


@rule(
    "II-SYSID", scope="INNHINFO", consequence=_REPORT,
    requirement="iplos-format.md §4: iiSysID present",
    no="Systemkoden (iiSysID) mangler.",
    en="The system code (iiSysID) is missing.",
    xsd_fields=("iiSysID",),
)
def system_id(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("iiSysID")
    return [Violation("iiSysID", value, "the EPJ system's code")] if value == "" else None


@rule(
    "II-SYSVERSJON", scope="INNHINFO", consequence=_REPORT,
    requirement="iplos-format.md §4: iiSysVersjon present (2019: at most 15 characters, "
                "the schema's)",
    no="Systemversjonen (iiSysVersjon) mangler eller er for lang.",
    en="The system version (iiSysVersjon) is missing or too long.",
    xsd_fields=("iiSysVersjon",),
)
def system_version(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("iiSysVersjon")
    return [Violation("iiSysVersjon", value, "the EPJ system's version")] if value == "" \
        else None


@rule(
    "II-KONTAKT", scope=("INNHINFO", "iiKontakt"), consequence=_REPORT,
    requirement="iplos-format.md §1, §4: contacts present/format (2018: 2..3, 2019: 2 or more, "
                "the schema's); decisions: Type in 8471, Navn not empty, Telefon as the 56.0.0 "
                "rule ^(\\+47|0047|)( *\\d *){8}$, Epost an e-mail address",
    no="Kontaktpersonen mangler eller har ugyldig type, navn, telefon eller e-post.",
    en="A contact is missing or has an invalid type, name, phone or e-mail.",
    xsd_fields=("iiKontakt", "Type", "Navn", "Telefon", "Epost"),
)
def contact(row: Row, ctx: Context) -> list[Violation] | None:
    if row.kind != "iiKontakt":
        return None
    found: list[Violation] = []
    fields = row.fields
    kind = fields.get("Type")
    if kind is not None and kind not in CONTACT_TYPE:
        found.append(Violation("Type", kind, CONTACT_TYPE.expected(ctx.year)))
    name = fields.get("Navn")
    if name == "":
        found.append(Violation("Navn", name, "the contact's name"))
    phone = fields.get("Telefon")
    if phone is not None and not PHONE.fullmatch(phone):
        found.append(Violation("Telefon", phone, "8 digits, optionally after +47 or 0047"))
    mail = fields.get("Epost")
    if mail is not None and not _is_email(mail):
        found.append(Violation("Epost", mail, "an e-mail address (name@domain.no)"))
    return found or None


def _is_email(text: str) -> bool:
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
