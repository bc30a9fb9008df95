"""Helpers shared by the annual-format rules: schema-type readers, dates, row ids, service types.

Every helper here is on the validator's hot path (called for most rows), so the common case is
a few string operations: no regex compilation, no allocation beyond the result.

Readers follow the rule of :mod:`mockkpr.iplos.values`: a value the *schema* rejects reads as
None, because the rule owning the field reports it through the schema; rules skip such values
so that one defect gives one finding.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

from mockkpr.iplos.identifiers import iplos_orgnr_problem
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.registry import Context
from mockkpr.iplos.values import DATE8, OPEN_END
from mockkpr.refdata import kommuner as kommune_table
from mockkpr.refdata.codelists import SERVICE_TYPE

XML_SPACE = " \t\n\r"
LONG = (-(2**63), 2**63 - 1)
INT = (-(2**31), 2**31 - 1)
SHORT = (-(2**15), 2**15 - 1)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+)?(\.([0-9]*))?")

EARLIEST_DATE = "20050101"
"""No date in an annual file may lie before 1 January 2005 (iplos-format.md §4)."""

ROW_ID_DIGITS = 10
"""Row ids (``pePeID``, ``tjTjID``...) are 1 to 10 digits (iplos-format.md §4)."""


# ----------------------------------------------------------------------------- schema types


def xs_integer(text: str | None, bounds: tuple[int, int]) -> int | None:
    """The value of an ``xs:long``/``xs:int``/``xs:short`` as the schema reads it, or None.

    Leading and trailing XML white space is allowed (the types collapse it), as are a sign and
    leading zeros; ``bounds`` is the type's range.
    """
    if text is None:
        return None
    text = text.strip(XML_SPACE)
    if not _INTEGER.fullmatch(text):
        return None
    value = int(text)
    return value if bounds[0] <= value <= bounds[1] else None


def fits_decimal(text: str | None, total_digits: int, fraction_digits: int) -> bool:
    """True when the schema accepts ``text`` as an ``xs:decimal`` with these facets.

    Like libxml2, digits are counted on the value: leading zeros and trailing zeros after the
    point do not count (``003.50`` has 2 digits, 1 of them after the point).
    """
    if text is None:
        return False
    text = text.strip(XML_SPACE)
    match = _DECIMAL.fullmatch(text)
    if match is None or not (match.group(1) or match.group(3)):
        return False
    whole = (match.group(1) or "").lstrip("0")
    fraction = (match.group(3) or "").rstrip("0")
    return len(fraction) <= fraction_digits and len(whole) + len(fraction) <= total_digits


def hours(text: str | None) -> Decimal | None:
    """An hours-per-week value (``TimerPerUke``: 5 digits, 2 after the point), or None when
    absent or rejected by the schema."""
    if text is None or not fits_decimal(text, 5, 2):
        return None
    try:
        return Decimal(text.strip(XML_SPACE))
    except InvalidOperation:  # pragma: no cover - fits_decimal accepted it
        return None


MIN_HOURS = Decimal("0.01")
MAX_HOURS = Decimal("168")
_MIN_HOURS_FLOAT = float(MIN_HOURS)
_MAX_HOURS_FLOAT = float(MAX_HOURS)


def hours_in_range(text: str) -> bool:
    """True when an hours value lies in 0.01..168 (iplos-format.md §4) or is not a value the
    schema accepts (then the schema reports it).

    The common case (a plain number in range) costs one ``float()``: for values of at most
    two decimals, which is all the schema accepts, comparing floats with 0.01 and 168 gives
    the decimal answer.
    """
    try:
        number = float(text)
    except ValueError:
        return True  # not a number: the schema's finding
    if _MIN_HOURS_FLOAT <= number <= _MAX_HOURS_FLOAT:
        return True
    value = hours(text)
    return value is None or MIN_HOURS <= value <= MAX_HOURS


# ----------------------------------------------------------------------------- row ids


def is_row_id(text: str | None) -> bool:
    """True for a well-formed row id: 1 to 10 ASCII digits."""
    return (text is not None and 0 < len(text) <= ROW_ID_DIGITS and text.isdigit()
            and text.isascii())


def row_id(text: str | None) -> int | None:
    """A well-formed row id as a number (``017`` and ``17`` are the same id), or None."""
    if text is None or not is_row_id(text):
        return None
    return int(text)


# ----------------------------------------------------------------------------- dates

_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_real_date8(text: str) -> bool:
    """True when a ``YYYYMMDD`` text of the schema's shape names a day that exists.

    Only ASCII digits make a date: the schema's ``\\d`` also lets other Unicode decimal
    digits (e.g. ``٠``) through, and such a value is reported as not a real date.
    """
    if not text.isascii():
        return False
    day = int(text[6:])
    if day <= 28:
        return True
    month = int(text[4:6])
    if day > _MONTH_DAYS[month]:
        return False
    if month == 2 and day == 29:
        year = int(text[:4])
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return True


def last_date(ctx: Context) -> str:
    """The last date an annual file may carry: 31 December of the reporting year (iiTilDato)."""
    end = _YEAR_END.get(ctx.year)
    if end is None:
        end = _YEAR_END[ctx.year] = f"{ctx.year:04d}1231"
    return end


def first_date(ctx: Context) -> str:
    """1 January of the reporting year as ``YYYYMMDD``."""
    return f"{last_date(ctx)[:4]}0101"


_YEAR_END: dict[int, str] = {}

# Dates found real and in range, per reporting year: a file repeats a few thousand dates many
# times over, and a set lookup is cheaper than judging each anew. Only such dates are added,
# so a set holds at most the days from 2005 to the year's end; at most _MAX_YEARS years kept.
_ACCEPTED: dict[int, set[str]] = {}
_MAX_YEARS = 64


def accepted_dates(year: int) -> set[str]:
    """The dates already found real and within 2005-01-01..31 December of ``year`` (a cache:
    a date in it needs no further check; :func:`accept_date` adds to it)."""
    found = _ACCEPTED.get(year)
    if found is None:
        if len(_ACCEPTED) >= _MAX_YEARS:
            _ACCEPTED.clear()
        found = _ACCEPTED[year] = set()
    return found


def accept_date(text: str, last: str, accepted: set[str]) -> bool:
    """True when ``text`` is a real date from :data:`EARLIEST_DATE` to ``last`` (which is
    then remembered in ``accepted``, the set :func:`accepted_dates` gave for that year)."""
    if _schema_shaped(text) and EARLIEST_DATE <= text <= last and is_real_date8(text):
        accepted.add(text)
        return True
    return False


def _schema_shaped(text: str) -> bool:
    """True when ``text`` matches the schema's date pattern (YYYY, month 01-12, day 01-31).

    The fast test covers ASCII; anything else goes to the pattern itself, whose ``\\d`` (like
    libxml2's) matches every Unicode decimal digit.
    """
    if not text.isascii():
        return DATE8.fullmatch(text) is not None
    return (len(text) == 8 and text.isdigit()
            and "01" <= text[4:6] <= "12" and "01" <= text[6:] <= "31")


def date_problem(text: str, last: str, open_end: bool) -> str | None:
    """What is wrong with a schema-shaped date (the ``expected`` of a finding), or None.

    A date must exist and lie between :data:`EARLIEST_DATE` and ``last``; ``99991231`` is
    accepted where ``open_end`` (the ``*TilDato`` fields). Values the schema rejects are not
    judged here (None).
    """
    if open_end and text == OPEN_END:
        return None
    if not _schema_shaped(text):
        return None
    if EARLIEST_DATE <= text <= last and is_real_date8(text):
        return None
    bound = f"a real date from {EARLIEST_DATE} to {last}"
    return f"{bound} or {OPEN_END}" if open_end else bound


def usable_date(text: str | None, last: str, open_end: bool) -> str | None:
    """``text`` when it is a date the date-range rule accepts, else None.

    Order rules compare only such dates (as strings: ``YYYYMMDD`` sorts by time, and
    ``99991231`` after every other date), so a date already reported as out of range or
    malformed gives no second finding.
    """
    if text is None:
        return None
    if open_end and text == OPEN_END:
        return text
    if _schema_shaped(text) and EARLIEST_DATE <= text <= last and is_real_date8(text):
        return text
    return None


# ----------------------------------------------------------------------------- orgnr


@lru_cache(maxsize=4096)
def orgnr_problem(text: str) -> str | None:
    r"""Why an IPLOS orgnr field (``\d{9}0?`` with the mod-11 check digit) is not acceptable,
    or None. Cached: a kommune's files name the same few providers over and over."""
    return iplos_orgnr_problem(text)


# ----------------------------------------------------------------------------- kommuner


def bydel_codes(kommune: str, year: int, include_statistical: bool) -> frozenset[str]:
    """The 2-digit bydel codes of ``kommune`` in ``year`` (empty when it has none)."""
    key = (kommune, year, include_statistical)
    codes = _BYDELER.get(key)
    if codes is None:
        codes = _BYDELER[key] = frozenset(
            kommune_table.bydeler(kommune, year, include_statistical=include_statistical))
    return codes


def kommune_numbers(year: int) -> frozenset[str]:
    """The kommune numbers valid in ``year`` (a per-year lookup for the hot path)."""
    numbers = _KOMMUNER.get(year)
    if numbers is None:
        numbers = _KOMMUNER[year] = kommune_table.kommuner(year)
    return numbers


_BYDELER: dict[tuple[str, int, bool], frozenset[str]] = {}
_KOMMUNER: dict[int, frozenset[str]] = {}


def is_two_digits(text: str) -> bool:
    """True for exactly two ASCII digits."""
    return len(text) == 2 and text.isdigit() and text.isascii()


# ----------------------------------------------------------------------------- service types

NEEDS_SOKNADDATO = frozenset(
    {"1", "2", "3", "4", "5", "7", "8", "9", "11", "15", "17", "18", "19", "20", "21", "22", "29"})
NEEDS_VEDTDATO = NEEDS_SOKNADDATO | {"14", "23", "24"}
NEEDS_VEDTAK = NEEDS_SOKNADDATO | {"14", "23"}
NEEDS_HOURS = frozenset({"1", "2", "3", "4", "7", "9", "11", "15", "17", "22"})
NEEDS_ROLLING = frozenset({"8"})
NEEDS_ORGNR = frozenset(
    {"1", "2", "3", "4", "8", "15", "17", "18", "19", "20", "21", "22", "25"})
NO_ORGNR = frozenset({"12", "13", "26", "29"})
REFUSED = "1"
GRANTED = "2"


@cache
def service_types(year: int) -> frozenset[str]:
    """The 9151 service type codes in force in ``year``."""
    return frozenset(SERVICE_TYPE.codes_in(year))


def service_type(row: Row, ctx: Context) -> str | None:
    """The row's ``tjTjenType`` when it is a code in force in the reporting year, else None.

    Rules that depend on the service type skip rows whose type is malformed or unknown: those
    are reported by TJ-TJENTYPE-FORMAT / TJ-TJENTYPE-CODE and the type is set to NULL.
    """
    value = row.fields.get("tjTjenType")
    return value if value is not None and value in service_types(ctx.year) else None


def is_granted(row: Row, ctx: Context) -> bool:
    """True when a TJENESTE row is known to be granted.

    ``tjVedtak`` 2 is a grant. An absent ``tjVedtak`` counts as a grant only for service types
    that need no decision (a safety alarm, a municipal emergency bed): where the decision is
    required its absence is TJ-VEDTAK-REQUIRED's finding, and what was decided is unknown.
    A refusal (1), an unknown code or a row without a known service type is not a grant.
    """
    decision = row.fields.get("tjVedtak")
    if decision is not None:
        return decision == GRANTED
    kind = service_type(row, ctx)
    return kind is not None and kind not in NEEDS_VEDTAK
