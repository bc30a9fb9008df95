"""Rules on TJENESTE rows of the annual formats (iplos-format.md §4, annual table).

The service type decides which fields a row needs. Every rule that depends on it reads it
through :func:`~mockkpr.iplos.rules.annual_common.service_type`, which gives None for a type
that is malformed (TJ-TJENTYPE-FORMAT) or not a code in force in the reporting year
(TJ-TJENTYPE-CODE, value set to NULL): such rows are not judged on their other fields.

Refusals: hours per week (the granted time) and the provider's organisation number describe
what was granted, so they are required only for granted services (see
:func:`~mockkpr.iplos.rules.annual_common.is_granted`); dates, the decision itself and the
rolling-respite flag are required whatever the decision.
"""

from __future__ import annotations

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.formats import Generation
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.annual_common import (
    LONG,
    NEEDS_HOURS,
    NEEDS_ORGNR,
    NEEDS_ROLLING,
    NEEDS_SOKNADDATO,
    NEEDS_VEDTAK,
    NEEDS_VEDTDATO,
    NO_ORGNR,
    SHORT,
    first_date,
    hours_in_range,
    is_granted,
    last_date,
    orgnr_problem,
    service_type,
    usable_date,
    xs_integer,
)
from mockkpr.iplos.rules.registry import Context, Violation, rule
from mockkpr.refdata.codelists import DECISION, SERVICE_TYPE, YES_NO

_REPORT = Consequence.REPORT_ONLY
_NULL = Consequence.SET_NULL
_REJECT = Consequence.REJECT_ROW


def _types(codes: frozenset[str]) -> str:
    return ", ".join(sorted(codes, key=int))


# ----------------------------------------------------------------------------- service type


@rule(
    "TJ-TJENTYPE-FORMAT", scope="TJENESTE", consequence=_REJECT,
    requirement="iplos-format.md §4: tjTjenType 1–2 digits (type error: 2); required (schema)",
    no="Tjenestetypen (tjTjenType) mangler eller er ikke ett eller to sifre.",
    en="The service type (tjTjenType) is missing or is not one or two digits.",
    xsd_fields=("tjTjenType",),
)
def service_type_format(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("tjTjenType")
    if value is None or (0 < len(value) <= 2 and value.isdigit() and value.isascii()):
        return None
    if xs_integer(value, SHORT) is None:
        return None  # not an xs:short: the schema's finding
    return [Violation("tjTjenType", value, "1 or 2 digits")]


@rule(
    "TJ-TJENTYPE-CODE", scope="TJENESTE", consequence=_NULL,
    requirement="iplos-format.md §3, §4: tjTjenType in 9151 as of the reporting year (unknown "
                "code: 7)",
    no="Tjenestetypen (tjTjenType) finnes ikke i kodeverk 9151 for rapporteringsåret.",
    en="The service type (tjTjenType) is not in code list 9151 for the reporting year.",
)
def service_type_code(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("tjTjenType")
    if value is None or service_type(row, ctx) is not None:
        return None
    if not (0 < len(value) <= 2 and value.isdigit() and value.isascii()):
        return None  # TJ-TJENTYPE-FORMAT
    return [Violation("tjTjenType", value, SERVICE_TYPE.expected(ctx.year))]


# ----------------------------------------------------------------------------- required fields


def _missing(row: Row, ctx: Context, name: str, needed: frozenset[str],
             granted_only: bool = False) -> list[Violation] | None:
    if name in row.fields:
        return None
    kind = service_type(row, ctx)
    if kind is None or kind not in needed or (granted_only and not is_granted(row, ctx)):
        return None
    what = "a granted service" if granted_only else "service"
    return [Violation(name, None, f"{name} for {what} type {kind}")]


@rule(
    "TJ-SOKNADDATO-REQUIRED", scope="TJENESTE", consequence=_REJECT,
    requirement="iplos-format.md §4: tjSoknadDato required for service types "
                f"{_types(NEEDS_SOKNADDATO)}",
    no="Søknadsdato (tjSoknadDato) mangler for tjenestetypen.",
    en="The application date (tjSoknadDato) is missing for the service type.",
)
def application_date_required(row: Row, ctx: Context) -> list[Violation] | None:
    return _missing(row, ctx, "tjSoknadDato", NEEDS_SOKNADDATO)


@rule(
    "TJ-VEDTDATO-REQUIRED", scope="TJENESTE", consequence=_REJECT,
    requirement="iplos-format.md §4: tjVedtDato required for service types "
                f"{_types(NEEDS_VEDTDATO)}; 2018: required for every service (schema)",
    no="Vedtaksdato (tjVedtDato) mangler.",
    en="The decision date (tjVedtDato) is missing.",
    xsd_fields=("+tjVedtDato",),
)
def decision_date_required(row: Row, ctx: Context) -> list[Violation] | None:
    if ctx.generation is Generation.ANNUAL_2018:
        return None  # the 2018 schema requires it: its finding comes through the schema
    return _missing(row, ctx, "tjVedtDato", NEEDS_VEDTDATO)


@rule(
    "TJ-VEDTAK-REQUIRED", scope="TJENESTE", consequence=_NULL,
    requirement=f"iplos-format.md §4: tjVedtak required for service types {_types(NEEDS_VEDTAK)}",
    no="Vedtak (tjVedtak) mangler for tjenestetypen.",
    en="The decision (tjVedtak) is missing for the service type.",
)
def decision_required(row: Row, ctx: Context) -> list[Violation] | None:
    return _missing(row, ctx, "tjVedtak", NEEDS_VEDTAK)


@rule(
    "TJ-TIMERUKE-REQUIRED", scope="TJENESTE", consequence=_REPORT,
    requirement="iplos-format.md §4: tjTimerUke required for service types "
                f"{_types(NEEDS_HOURS)}; decision: only when granted (tjVedtak 2), since the "
                "field is the granted time per week and a refusal grants none",
    no="Timer per uke (tjTimerUke) mangler for en innvilget tjeneste av denne typen.",
    en="Hours per week (tjTimerUke) are missing for a granted service of this type.",
)
def hours_required(row: Row, ctx: Context) -> list[Violation] | None:
    return _missing(row, ctx, "tjTimerUke", NEEDS_HOURS, granted_only=True)


@rule(
    "TJ-RULLERENDE-REQUIRED", scope="TJENESTE", consequence=_NULL,
    requirement="iplos-format.md §4: tjRullerende required for service type 8 (whatever the "
                "decision: it says what kind of respite was applied for)",
    no="Rullerende avlastning (tjRullerende) mangler for avlastning i institusjon.",
    en="Rolling respite (tjRullerende) is missing for respite in an institution.",
)
def rolling_required(row: Row, ctx: Context) -> list[Violation] | None:
    return _missing(row, ctx, "tjRullerende", NEEDS_ROLLING)


@rule(
    "TJ-ORGNR-REQUIRED", scope="TJENESTE", consequence=_REPORT,
    requirement="iplos-format.md §4 (guidance): the provider's orgnr required for service "
                f"types {_types(NEEDS_ORGNR)}; decision: only when granted (a refusal has no "
                "provider). The 2018 annotation 'required' for tjInstOrgnr is read as this "
                "per-type rule, since the guidance forbids it for some types",
    no="Organisasjonsnummer (tjInstOrgnr) mangler for en innvilget tjeneste av denne typen.",
    en="The organisation number (tjInstOrgnr) is missing for a granted service of this type.",
)
def orgnr_required(row: Row, ctx: Context) -> list[Violation] | None:
    return _missing(row, ctx, "tjInstOrgnr", NEEDS_ORGNR, granted_only=True)


@rule(
    "TJ-ORGNR-FORBIDDEN", scope="TJENESTE", consequence=_REPORT,
    requirement="iplos-format.md §4 (guidance): no orgnr for service types 12, 13, 26 and "
                "(most likely) 29",
    no="Organisasjonsnummer (tjInstOrgnr) skal ikke oppgis for tjenestetypen.",
    en="An organisation number (tjInstOrgnr) must not be given for the service type.",
)
def orgnr_forbidden(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("tjInstOrgnr")
    if value is None:
        return None
    kind = service_type(row, ctx)
    if kind is None or kind not in NO_ORGNR:
        return None
    return [Violation("tjInstOrgnr", value, f"no tjInstOrgnr for service type {kind}")]


# ----------------------------------------------------------------------------- codes and values


@rule(
    "TJ-VEDTAK-CODE", scope="TJENESTE", consequence=_NULL,
    requirement="iplos-format.md §3, §4: tjVedtak in code list 9171",
    no="Vedtak (tjVedtak) er ikke i kodeverk 9171 (1 avslag, 2 innvilget).",
    en="The decision (tjVedtak) is not in code list 9171 (1 refused, 2 granted).",
    xsd_fields=("tjVedtak",),
)
def decision_code(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("tjVedtak")
    if value is None or value in DECISION.codes:
        return None
    return [Violation("tjVedtak", value, DECISION.expected(ctx.year))]


@rule(
    "TJ-RULLERENDE-CODE", scope="TJENESTE", consequence=_NULL,
    requirement="iplos-format.md §3, §4: tjRullerende in code list 1101",
    no="Rullerende avlastning (tjRullerende) er ikke i kodeverk 1101 (1 ja, 2 nei).",
    en="Rolling respite (tjRullerende) is not in code list 1101 (1 yes, 2 no).",
    xsd_fields=("tjRullerende",),
)
def rolling_code(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("tjRullerende")
    if value is None or value in YES_NO.codes:
        return None
    return [Violation("tjRullerende", value, YES_NO.expected(ctx.year))]


def _hours_range(row: Row, name: str) -> list[Violation] | None:
    text = row.fields.get(name)
    if text is None or hours_in_range(text):
        return None
    return [Violation(name, text, "0.01..168")]


@rule(
    "TJ-TIMERUKE-RANGE", scope="TJENESTE", consequence=_REPORT,
    requirement="iplos-format.md §4: tjTimerUke 0.01 ≤ value ≤ 168 (guidance: never over 168)",
    no="Timer per uke må være mellom 0,01 og 168.",
    en="Hours per week must be between 0.01 and 168.",
    xsd_fields=("tjTimerUke",),
)
def hours_per_week_range(row: Row, ctx: Context) -> list[Violation] | None:
    return _hours_range(row, "tjTimerUke")


@rule(
    "TJ-RESTIMERUKE-RANGE", scope="TJENESTE", consequence=_REPORT,
    requirement="iplos-format.md §1, §4: tjResTimerUke hours per week (same type as "
                "tjTimerUke); decision: the same 0.01..168 rule, reported only",
    no="Timer per uke med flere ansatte (tjResTimerUke) må være mellom 0,01 og 168.",
    en="Hours per week with two or more staff (tjResTimerUke) must be between 0.01 and 168.",
    xsd_fields=("tjResTimerUke",),
)
def extra_staff_hours_range(row: Row, ctx: Context) -> list[Violation] | None:
    return _hours_range(row, "tjResTimerUke")


@rule(
    "TJ-INSTORGNR-FORMAT", scope="TJENESTE", consequence=_REPORT,
    requirement="iplos-format.md §4, §5: tjInstOrgnr format \\d{9}0? and the orgnr check "
                "digit (a row where the orgnr is forbidden is TJ-ORGNR-FORBIDDEN's)",
    no="Organisasjonsnummeret (tjInstOrgnr) er ikke et gyldig organisasjonsnummer.",
    en="The organisation number (tjInstOrgnr) is not a valid organisation number.",
    xsd_fields=("tjInstOrgnr",),
)
def orgnr_format(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("tjInstOrgnr")
    if value is None:
        return None
    problem = orgnr_problem(value)
    if problem is None or service_type(row, ctx) in NO_ORGNR:
        return None
    return [Violation("tjInstOrgnr", value, f"an organisation number \\d{{9}}0? ({problem})")]


@rule(
    "TJ-VENR-RANGE", scope="TJENESTE", consequence=_REPORT,
    requirement="iplos-format.md §1: tjVeNrID numbers the decisions of a series (an extension "
                "gets 2); decision: it starts at 1, so 0 is reported (9). Gaps are not: earlier "
                "decisions of a series may lie in earlier years",
    no="Vedtaksnummeret i serien (tjVeNrID) må være 1 eller høyere.",
    en="The number in the decision series (tjVeNrID) must be 1 or more.",
)
def decision_number(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("tjVeNrID")
    if value is None or value.strip("0") or xs_integer(value, LONG) is None:
        return None  # absent, not zero, or not a number at all (TJ-ID-FORMAT)
    return [Violation("@tjVeNrID", value, "1 or more")]


@rule(
    "TJ-PERIOD-OUTSIDE-YEAR", scope="TJENESTE", consequence=_REPORT,
    requirement="iplos-format.md §4 (reasonable further checks): a TJENESTE whose period lies "
                "wholly outside the year (it ended, tjTilDato, before 1 January; a start after "
                "the year is already TJ-DATE-RANGE's)",
    no="Tjenesteperioden ligger helt utenfor rapporteringsåret.",
    en="The service period lies wholly outside the reporting year.",
)
def period_outside_year(row: Row, ctx: Context) -> list[Violation] | None:
    end_text = row.fields.get("tjTilDato")
    if end_text is None:
        return None
    first = first_date(ctx)
    if end_text >= first:
        return None
    last = last_date(ctx)
    end = usable_date(end_text, last, True)
    if end is None:
        return None
    start_text = row.fields.get("tjFraDato")
    if start_text is not None and start_text > end_text \
            and usable_date(start_text, last, False) is not None:
        return None  # TJ-DATE-ORDER-PERIOD: the period is reversed
    return [Violation("tjTilDato", end, f"on or after {first}")]
