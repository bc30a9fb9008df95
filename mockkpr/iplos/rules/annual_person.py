"""Rules on PERSON rows of the annual formats (iplos-format.md §4).

``peKjonn`` is checked against 3100 with consequence 2; the other ``pe*`` fields are "format"
checks that are only reported (9). In 2018 the schema requires every ``pe*`` field but
``peDodDato``, in 2019 none: a missing field is then the schema's finding, reported by the
rule owning the field. The rest are the reference's "reasonable further checks" (9).

Person-level rules that look at child rows (PE-NO-SERVICE, PE-SCORE-MIN) run before the
child rows' own rules, so they see every child row the person has, rejected or not: whether a
child row is later rejected for another defect does not change their verdict.
"""

from __future__ import annotations

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.annual_common import (
    SHORT,
    bydel_codes,
    is_granted,
    is_two_digits,
    kommune_numbers,
    last_date,
    usable_date,
    xs_integer,
)
from mockkpr.iplos.rules.registry import Context, Violation, rule
from mockkpr.refdata.codelists import FUNCTIONAL_VARIABLE, GENDER
from mockkpr.refdata.kommuner import SPECIAL_HOME_KOMMUNER

_REPORT = Consequence.REPORT_ONLY
MAX_AGE = 130
HIGH_SCORES = frozenset({"3", "4", "5"})
SCORES = frozenset({"1", "2", "3", "4", "5", "9"})
_VARIABLES = frozenset(FUNCTIONAL_VARIABLE.codes)
_SPECIAL = ", ".join(SPECIAL_HOME_KOMMUNER)


@rule(
    "PE-KJONN", scope="PERSON", consequence=Consequence.REJECT_ROW,
    requirement="iplos-format.md §4: peKjonn in code list 3100 (M, K); 2018 required (schema)",
    no="Kjønn (peKjonn) mangler eller er ikke M eller K (kodeverk 3100).",
    en="Gender (peKjonn) is missing or is not M or K (code list 3100).",
    xsd_fields=("peKjonn",),
)
def gender(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("peKjonn")
    if value is None or value in GENDER.codes:
        return None
    return [Violation("peKjonn", value, GENDER.expected(ctx.year))]


@rule(
    "PE-ALDER", scope="PERSON", consequence=_REPORT,
    requirement="iplos-format.md §1, §4: peAlder, the age at 31.12 (xs:short), format "
                f"(9); decision: 0..{MAX_AGE}",
    no=f"Alder (peAlder) må være mellom 0 og {MAX_AGE} år.",
    en=f"The age (peAlder) must be between 0 and {MAX_AGE}.",
    xsd_fields=("peAlder",),
)
def age(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("peAlder")
    if value is None or (len(value) <= 2 and value.isdigit() and value.isascii()):
        return None
    years = xs_integer(value, SHORT)
    if years is None or 0 <= years <= MAX_AGE:
        return None
    return [Violation("peAlder", value, f"0..{MAX_AGE}")]


@rule(
    "PE-KOMNR", scope="PERSON", consequence=_REPORT,
    requirement="iplos-format.md §1, §4, §6: peKomnr, the home kommune, format (9): a kommune "
                f"valid in the reporting year, or {_SPECIAL} (abroad, EU/EEA, unknown)",
    no="Bostedskommunen (peKomnr) er ikke en kommune i rapporteringsåret.",
    en="The home kommune (peKomnr) is not a kommune in the reporting year.",
    xsd_fields=("peKomnr",),
)
def home_kommune(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("peKomnr")
    if value is None or value in kommune_numbers(ctx.year) or value in SPECIAL_HOME_KOMMUNER:
        return None
    return [Violation("peKomnr", value, f"a kommune valid in {ctx.year}, or {_SPECIAL}")]


@rule(
    "PE-BYDELSNR", scope="PERSON", consequence=_REPORT,
    requirement="iplos-format.md §1, §4, §6: peBydelsnr format (9); decision: 2 digits, and "
                "when peKomnr is a kommune of the year, 00 or one of its bydeler (Oslo's 16 "
                "Sentrum and 17 Marka included: people live there); 00 only for a kommune "
                "without bydeler would reject 'bydel unknown', so 00 is always accepted",
    no="Bydel (peBydelsnr) må være 00 eller en bydel i bostedskommunen.",
    en="The city district (peBydelsnr) must be 00 or a bydel of the home kommune.",
    xsd_fields=("peBydelsnr",),
)
def home_bydel(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("peBydelsnr")
    if value is None or value == "00":
        return None
    if not is_two_digits(value):
        return [Violation("peBydelsnr", value, "2 digits")]
    kommune = row.fields.get("peKomnr")
    if kommune is None or kommune not in kommune_numbers(ctx.year):
        return None
    codes = bydel_codes(kommune, ctx.year, True)
    if value in codes:
        return None
    expected = f"00 or a bydel of {kommune} in {ctx.year}: {', '.join(sorted(codes))}" \
        if codes else f"00 ({kommune} has no bydeler in {ctx.year})"
    return [Violation("peBydelsnr", value, expected)]


@rule(
    "PE-NO-SERVICE", scope="PERSON", consequence=_REPORT,
    requirement="iplos-format.md §4 (reasonable further checks): a person with no TJENESTE "
                "at all",
    no="Personen har ingen tjenester (TJENESTE).",
    en="The person has no service (TJENESTE).",
)
def no_service(row: Row, ctx: Context) -> list[Violation] | None:
    for child in row.children:
        if child.kind == "TJENESTE":
            return None
    return [Violation(None, None, "at least one TJENESTE")]


@rule(
    "PE-SCORE-MIN", scope="PERSON", consequence=_REPORT,
    requirement="iplos-format.md §3 (local practice): a person granted a service has at "
                "least one functional variable scored 3 or higher. Decisions: granted = "
                "tjVedtak 2, or no tjVedtak on a service type that needs none; 9 (not "
                "relevant) is not a score of 3 or higher; Syn and Hørsel count like the "
                "others; a person with an unknown variable or score is not judged (FN-FUNKTYPE"
                " / FN-FUNKVERDI report it)",
    no="Personen har fått tjenester, men ingen funksjonsvariabel har skår 3 eller høyere.",
    en="The person was granted a service but no functional variable scores 3 or higher.",
)
def score_minimum(row: Row, ctx: Context) -> list[Violation] | None:
    granted = False
    high = False
    best: str | None = None
    for child in row.children:
        kind = child.kind
        if kind == "FUNKSJON":
            score = child.fields.get("fnFunkVerdi")
            if score not in SCORES or child.fields.get("fnFunkType") not in _VARIABLES:
                return None
            if score in HIGH_SCORES:
                high = True
            elif score != "9" and (best is None or score > best):
                best = score
        elif kind == "TJENESTE" and not granted:
            granted = is_granted(child, ctx)
    if not granted or high:
        return None
    return [Violation(None, best, "a FUNKSJON scored 3, 4 or 5 (the highest score is "
                                  f"{best or 'none'})")]


@rule(
    "PE-DEATH-BEFORE-SERVICE", scope="PERSON", consequence=_REPORT,
    requirement="iplos-format.md §4 (reasonable further checks): a death date before service "
                "dates. Decision: one finding per person, on peDodDato, when a service starts "
                "(tjFraDato) after it; the expected value names the latest such start",
    no="Dødsdatoen (peDodDato) er før starten på en av personens tjenester.",
    en="The date of death (peDodDato) is before the start of one of the person's services.",
)
def death_before_service(row: Row, ctx: Context) -> list[Violation] | None:
    death_text = row.fields.get("peDodDato")
    if death_text is None:
        return None
    last = last_date(ctx)
    death = usable_date(death_text, last, False)
    if death is None:
        return None  # PE-DATE-RANGE's finding
    latest: str | None = None
    for child in row.children:
        if child.kind != "TJENESTE":
            continue
        start_text = child.fields.get("tjFraDato")
        if start_text is None or start_text <= death or (latest and start_text <= latest):
            continue
        if usable_date(start_text, last, False) is not None:
            latest = start_text
    if latest is None:
        return None
    return [Violation("peDodDato", death, f"on or after the last service start tjFraDato "
                                          f"{latest}")]
