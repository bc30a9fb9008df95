"""Kommune and bydel numbers valid in each year, from SSB's classifications (Klass 131 and 103).

The tables ``kommuner.csv`` and ``bydeler.csv`` beside this module are read once (on first use)
with :mod:`importlib.resources`. A number is *valid in year Y* when it was in force on 1 January Y;
every change in 2017–2025 took effect on 1 January, so this equals "valid during Y". A report for
year Y sent in January Y+1 is judged against Y (iplos-format.md §6).

Years outside the table (2017–2025) are judged against the **nearest** year in the table: a report
for 2026 uses the 2025 numbers, one for 2015 the 2017 numbers. :func:`table_year` tells which year
was used, so a caller can say so in its report. Numbers are compared as exact strings: ``"0301"``
is Oslo, ``"301"`` is nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from mockkpr.errors import ConfigError

FIRST_YEAR = 2017
LAST_YEAR = 2025
YEARS: tuple[int, ...] = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
"""The years the tables cover (as of 1 January)."""

SPECIAL_HOME_KOMMUNER: Mapping[str, str] = MappingProxyType(
    {"9000": "Utlandet", "9900": "EU/EØS", "9999": "Uoppgitt"}
)
"""Home-kommune values that are not kommuner: abroad, EU/EEA, unknown (56.0.0 ``peKomnr``)."""

STATISTICAL_BYDELER: frozenset[tuple[str, str]] = frozenset({("0301", "16"), ("0301", "17")})
"""Oslo 16 Sentrum and 17 Marka: statistical units in Klass 103, not bydel administrations."""

_KOMMUNE_HEADER = ["kommunenummer", "navn", "fra_aar", "til_aar"]
_BYDEL_HEADER = ["kommunenummer", "bydelsnummer", "navn", "fra_aar", "til_aar"]


def table_year(year: int) -> int:
    """The table year used to judge ``year``: ``year`` itself, or the nearest of :data:`YEARS`."""
    return min(max(year, FIRST_YEAR), LAST_YEAR)


@dataclass(frozen=True)
class _Tables:
    names: Mapping[int, Mapping[str, str]]  # year -> kommunenummer -> name
    sets: Mapping[int, frozenset[str]]
    bydeler: Mapping[int, Mapping[str, Mapping[str, str]]]  # year -> kommune -> bydel -> name


def _years(row: dict[str, str], where: str) -> range:
    try:
        first = int(row["fra_aar"])
        last = int(row["til_aar"]) if row["til_aar"] else LAST_YEAR
    except ValueError:
        raise ConfigError(f"{where}: years {row['fra_aar']!r}..{row['til_aar']!r} are not "
                          "numbers") from None
    if not FIRST_YEAR <= first <= last <= LAST_YEAR:
        raise ConfigError(f"{where}: years {first}..{last} are outside "
                          f"{FIRST_YEAR}..{LAST_YEAR}")
    return range(first, last + 1)


def _rows(text: str, name: str, header: list[str]) -> list[tuple[str, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != header:
        raise ConfigError(f"packaged table {name}: header {reader.fieldnames} is not {header}")
    return [(f"packaged table {name} line {reader.line_num}", row) for row in reader]


def parse_kommuner(text: str) -> dict[int, dict[str, str]]:
    """Parse ``kommuner.csv`` into year -> kommunenummer -> name; bad rows raise ConfigError."""
    out: dict[int, dict[str, str]] = {year: {} for year in YEARS}
    for where, row in _rows(text, "kommuner.csv", _KOMMUNE_HEADER):
        number = row["kommunenummer"]
        if len(number) != 4 or not number.isdigit():
            raise ConfigError(f"{where}: kommunenummer {number!r} is not 4 digits")
        for year in _years(row, where):
            if number in out[year]:
                raise ConfigError(f"{where}: kommune {number} appears twice in {year}")
            out[year][number] = row["navn"]
    return out


def parse_bydeler(text: str) -> dict[int, dict[str, dict[str, str]]]:
    """Parse ``bydeler.csv`` into year -> kommune -> 2-digit bydel -> name."""
    out: dict[int, dict[str, dict[str, str]]] = {year: {} for year in YEARS}
    for where, row in _rows(text, "bydeler.csv", _BYDEL_HEADER):
        kommune, bydel = row["kommunenummer"], row["bydelsnummer"]
        if len(kommune) != 4 or not kommune.isdigit() or len(bydel) != 2 or not bydel.isdigit():
            raise ConfigError(f"{where}: bydel {kommune!r}/{bydel!r} is not 4+2 digits")
        for year in _years(row, where):
            out[year].setdefault(kommune, {})[bydel] = row["navn"]
    return out


@cache
def _tables() -> _Tables:
    package = resources.files(__package__ or "mockkpr.refdata")
    names = parse_kommuner(package.joinpath("kommuner.csv").read_text(encoding="utf-8"))
    districts = parse_bydeler(package.joinpath("bydeler.csv").read_text(encoding="utf-8"))
    for year, per_kommune in districts.items():
        for kommune in per_kommune:
            if kommune not in names[year]:
                raise ConfigError(f"packaged table bydeler.csv: kommune {kommune} has bydeler "
                                  f"in {year} but is not a kommune that year")
    return _Tables(
        names={year: MappingProxyType(table) for year, table in names.items()},
        sets={year: frozenset(table) for year, table in names.items()},
        bydeler={year: {k: MappingProxyType(v) for k, v in table.items()}
                 for year, table in districts.items()},
    )


def kommuner(year: int) -> frozenset[str]:
    """The kommune numbers valid in ``year`` (nearest table year outside 2017–2025)."""
    return _tables().sets[table_year(year)]


def kommune_names(year: int) -> Mapping[str, str]:
    """Kommune number -> SSB's name, for the numbers valid in ``year``."""
    return _tables().names[table_year(year)]


def is_valid_kommune(number: str, year: int) -> bool:
    """True when ``number`` (4 digits as a string) is a kommune in ``year``."""
    return number in kommuner(year)


def kommune_name(number: str, year: int) -> str | None:
    """SSB's name of kommune ``number`` in ``year`` (Sámi/Kven forms included), or None."""
    return kommune_names(year).get(number)


def valid_years(number: str) -> tuple[int, ...]:
    """The table years in which ``number`` is a kommune (empty when never), for messages."""
    return tuple(year for year in YEARS if number in _tables().sets[year])


def is_valid_home_kommune(number: str, year: int) -> bool:
    """A kommune valid in ``year``, or one of :data:`SPECIAL_HOME_KOMMUNER` (9000, 9900, 9999)."""
    return number in SPECIAL_HOME_KOMMUNER or is_valid_kommune(number, year)


def bydeler(kommune: str, year: int, *, include_statistical: bool = True) -> dict[str, str]:
    """The bydeler of ``kommune`` in ``year``: 2-digit code -> name (empty when it has none).

    Oslo's 16 Sentrum and 17 Marka are statistical units, not bydel administrations; pass
    ``include_statistical=False`` to leave them out (for the *sending* bydel, say).
    """
    table = _tables().bydeler[table_year(year)].get(kommune, {})
    return {code: name for code, name in table.items()
            if include_statistical or (kommune, code) not in STATISTICAL_BYDELER}


def has_bydeler(kommune: str, year: int) -> bool:
    """True when ``kommune`` is divided into bydeler in ``year`` (Oslo, Bergen, Trondheim,
    Stavanger)."""
    return kommune in _tables().bydeler[table_year(year)]


def is_valid_bydel(kommune: str, bydel: str, year: int, *,
                   include_statistical: bool = True) -> bool:
    """True when the 2-digit ``bydel`` is a bydel of ``kommune`` in ``year``.

    ``"00"`` ("no bydeler") is not a bydel; whether it is acceptable is the caller's rule.
    """
    return bydel in bydeler(kommune, year, include_statistical=include_statistical)
