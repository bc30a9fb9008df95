"""National identity numbers and organisation numbers (iplos-format.md §5). Pure functions.

**National ids** have 11 digits ``DDMMYY III K1 K2``. K1 is the mod-11 check digit of the first
nine digits (weights 3 7 6 1 8 9 4 5 2), K2 that of the first ten (5 4 3 2 7 6 5 4 3 2); a check
digit is ``11 - sum mod 11``, where 11 becomes 0 and 10 means no valid number exists. From 2032
K1 may be any digit with ``(weighted sum + K1) mod 11`` in {0, 1, 2, 3}; pass ``as_of_year``
≥ 2032 to accept that (the classic K1 is the case where the remainder is 0).

Kinds, told apart by offsets: D-number (day + 40), H-number (month + 40), FH-number (first digit
8 or 9, no birth date), synthetic Tenor number (month + 80) and synthetic Tenor D-number (day + 40
and month + 80). NAV's synthetic persons use month + 40 too, so they cannot be told from
H-numbers and are classified as :attr:`IdKind.H_NUMBER` (also with day + 40).

The century comes from the individual number ``III``: 000–499 -> 1900s; 500–749 with YY ≥ 54 ->
1854–1899; 500–999 with YY ≤ 39 -> 2000s; 900–999 with YY ≥ 40 -> 1940–1999. The ninth digit is
odd for men. :func:`parse_national_id` never raises: bad input gives a result whose ``problem``
says why.

**Organisation numbers** have 9 digits with a mod-11 check digit (weights 3 2 7 6 5 4 3 2). The
IPLOS fields take them as ``\\d{9}0?`` (an optional trailing 0).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import chain

from mockkpr.errors import ConfigError

K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
RELAXED_K1_FROM_YEAR = 2032
RELAXED_K1_REMAINDERS = frozenset({0, 1, 2, 3})
FIRST_BIRTH_YEAR = 1854
LAST_BIRTH_YEAR = 2039
SYNTHETIC_ORGNR_FIRST_DIGIT = "3"
"""Synthetic organisation numbers start with 3; real Enhetsregisteret numbers start with 8 or 9."""


class Gender(StrEnum):
    """Gender from the ninth digit; values as in code list 3100 (M, K)."""

    MALE = "M"
    FEMALE = "K"


class IdKind(StrEnum):
    """What kind of national id an 11-digit number is."""

    ORDINARY = "ordinary"
    D_NUMBER = "d-number"
    H_NUMBER = "h-number"
    FH_NUMBER = "fh-number"
    SYNTHETIC = "synthetic"
    SYNTHETIC_D_NUMBER = "synthetic-d-number"

    @property
    def is_synthetic(self) -> bool:
        """True for Tenor test numbers (month + 80), which can never name a real person."""
        return self in (IdKind.SYNTHETIC, IdKind.SYNTHETIC_D_NUMBER)


@dataclass(frozen=True, slots=True)
class NationalId:
    """What :func:`parse_national_id` found. ``problems`` is empty for a valid number."""

    text: str
    kind: IdKind | None
    birth_date: date | None
    gender: Gender | None
    checksum_ok: bool
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """True when the number has no problem at all."""
        return not self.problems

    @property
    def problem(self) -> str | None:
        """All problems in one sentence, or None when valid."""
        return "; ".join(self.problems) if self.problems else None


def mod11_check_digit(digits: str, weights: Sequence[int]) -> int | None:
    """``11 - (weighted sum mod 11)`` with 11 -> 0; None when it would be 10 (no valid digit)."""
    check = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    if check == 10:
        return None
    return 0 if check == 11 else check


def _is_digits(text: str, length: int) -> bool:
    return len(text) == length and text.isascii() and text.isdigit()


def _format_problem(text: str, length: int) -> str | None:
    if not text:
        return f"must be {length} digits, is empty"
    if not (text.isascii() and text.isdigit()):
        return f"must be {length} digits, has characters other than 0-9"
    if len(text) != length:
        return f"must be {length} digits, has {len(text)}"
    return None


def _check_digit_problems(text: str, relaxed_k1: bool) -> list[str]:
    problems = []
    k1 = int(text[9])
    if relaxed_k1:
        total = sum(int(d) * w for d, w in zip(text[:9], K1_WEIGHTS, strict=True)) + k1
        if total % 11 not in RELAXED_K1_REMAINDERS:
            problems.append(f"check digit K1 {k1} fails the rule from {RELAXED_K1_FROM_YEAR} "
                            "((weighted sum + K1) mod 11 must be 0-3)")
    else:
        expected = mod11_check_digit(text[:9], K1_WEIGHTS)
        if expected is None:
            problems.append(f"check digit K1 would be 10, so no valid number begins {text[:9]}")
        elif expected != k1:
            problems.append(f"check digit K1 is {k1}, expected {expected}")
    expected2 = mod11_check_digit(text[:10], K2_WEIGHTS)
    if expected2 is None:
        problems.append(f"check digit K2 would be 10, so no valid number begins {text[:10]}")
    elif expected2 != int(text[10]):
        problems.append(f"check digit K2 is {text[10]}, expected {expected2}")
    return problems


def birth_century(individual: int, yy: int) -> int | None:
    """The century (1800, 1900, 2000) of a birth year from the individual number, or None."""
    if individual <= 499:
        return 1900
    if individual <= 749 and yy >= 54:
        return 1800
    if yy <= 39:
        return 2000
    if individual >= 900:
        return 1900
    return None


def _structure(text: str) -> tuple[IdKind | None, date | None, Gender | None, list[str]]:
    if text[0] in "89":
        return IdKind.FH_NUMBER, None, None, []
    gender = Gender.MALE if int(text[8]) % 2 else Gender.FEMALE
    dd, mm, yy, individual = int(text[0:2]), int(text[2:4]), int(text[4:6]), int(text[6:9])
    problems = []
    d_number = 41 <= dd <= 71
    day = dd - 40 if d_number else dd
    if not 1 <= day <= 31:
        problems.append(f"day field {text[0:2]} is neither a day (01-31) nor a D-number day "
                        "(41-71)")
    kind: IdKind | None
    if 1 <= mm <= 12:
        kind, month = (IdKind.D_NUMBER if d_number else IdKind.ORDINARY), mm
    elif 41 <= mm <= 52:
        kind, month = IdKind.H_NUMBER, mm - 40
    elif 81 <= mm <= 92:
        kind, month = (IdKind.SYNTHETIC_D_NUMBER if d_number else IdKind.SYNTHETIC), mm - 80
    else:
        kind, month = None, 0
        problems.append(f"month field {text[2:4]} is neither a month (01-12), an H-number month "
                        "(41-52) nor a synthetic month (81-92)")
    century = birth_century(individual, yy)
    if century is None:
        problems.append(f"individual number {text[6:9]} does not fit birth year {text[4:6]} "
                        "in any century")
    if problems:
        return kind, None, gender, problems
    assert century is not None
    try:
        born = date(century + yy, month, day)
    except ValueError:
        return kind, None, gender, [f"birth date {day:02d}.{month:02d}.{century + yy} "
                                    "does not exist"]
    return kind, born, gender, []


def parse_national_id(text: str, *, as_of_year: int | None = None) -> NationalId:
    """Classify and check an 11-digit national id; never raises.

    ``as_of_year`` ≥ 2032 accepts K1 under the relaxed rule from 2032; otherwise K1 must be the
    classic check digit. Birth date and gender are derived where the structure allows, even when
    a check digit is wrong (``checksum_ok`` tells).
    """
    problem = _format_problem(text, 11)
    if problem is not None:
        return NationalId(text, None, None, None, False, (problem,))
    relaxed = as_of_year is not None and as_of_year >= RELAXED_K1_FROM_YEAR
    check_problems = _check_digit_problems(text, relaxed)
    kind, born, gender, structure_problems = _structure(text)
    return NationalId(text, kind, born, gender, not check_problems,
                      tuple(structure_problems + check_problems))


def _individual_ranges(year: int) -> tuple[range, ...]:
    if FIRST_BIRTH_YEAR <= year <= 1899:
        return (range(500, 750),)
    if 1900 <= year <= 1999:
        return (range(0, 500), range(900, 1000)) if year >= 1940 else (range(0, 500),)
    if 2000 <= year <= LAST_BIRTH_YEAR:
        return (range(500, 1000),)
    raise ConfigError(f"birth year {year} cannot be written in a national id "
                      f"({FIRST_BIRTH_YEAR}-{LAST_BIRTH_YEAR} can)")


def synthetic_national_id(birth_date: date, gender: Gender, rng: random.Random, *,
                          d_number: bool = False) -> str:
    """A Tenor-style synthetic national id: month + 80 (and day + 40 when ``d_number``).

    The individual number fits the birth year's century and ``gender``; numbers whose K1 or K2
    would be 10 are skipped, so both check digits are valid under the classic rule (and hence
    also under the rule from 2032). Raises :class:`ConfigError` for birth years outside
    1854-2039, which the number cannot express.
    """
    parity = 1 if gender is Gender.MALE else 0
    candidates = [range(r.start + (r.start + parity) % 2, r.stop, 2)
                  for r in _individual_ranges(birth_date.year)]
    total = sum(len(r) for r in candidates)
    day = birth_date.day + (40 if d_number else 0)
    prefix = f"{day:02d}{birth_date.month + 80:02d}{birth_date.year % 100:02d}"

    def nth(index: int) -> int:
        for r in candidates:
            if index < len(r):
                return r[index]
            index -= len(r)
        raise IndexError(index)

    # Random picks first; a full scan guarantees an answer if the dice are unkind.
    order = chain((rng.randrange(total) for _ in range(64)), range(total))
    for index in order:
        nine = f"{prefix}{nth(index):03d}"
        k1 = mod11_check_digit(nine, K1_WEIGHTS)
        if k1 is None:
            continue
        k2 = mod11_check_digit(f"{nine}{k1}", K2_WEIGHTS)
        if k2 is not None:
            return f"{nine}{k1}{k2}"
    raise ConfigError(f"no synthetic national id exists for {birth_date} ({gender.name})")


def orgnr_problem(text: str) -> str | None:
    """Why ``text`` is not a valid 9-digit organisation number, or None when it is."""
    problem = _format_problem(text, 9)
    if problem is not None:
        return problem
    expected = mod11_check_digit(text[:8], ORGNR_WEIGHTS)
    if expected is None:
        return f"check digit would be 10, so no valid organisation number begins {text[:8]}"
    if expected != int(text[8]):
        return f"check digit is {text[8]}, expected {expected}"
    return None


def is_valid_orgnr(text: str) -> bool:
    """True when ``text`` is 9 digits with a correct check digit."""
    return orgnr_problem(text) is None


def iplos_orgnr_problem(text: str) -> str | None:
    r"""Why an IPLOS orgnr field (``\d{9}0?``) is not acceptable, or None when it is."""
    if _is_digits(text, 10):
        if text[9] != "0":
            return "a 10-digit value must end in 0 (format \\d{9}0?)"
        return orgnr_problem(text[:9])
    if text.isascii() and text.isdigit() and len(text) != 9:
        return f"must be 9 digits, optionally followed by 0, has {len(text)}"
    return orgnr_problem(text)


def iplos_orgnr(text: str) -> str | None:
    r"""The 9-digit organisation number in an IPLOS field (``\d{9}0?``), or None if invalid."""
    return text[:9] if iplos_orgnr_problem(text) is None else None


def synthetic_orgnr(rng: random.Random) -> str:
    """A valid organisation number starting with 3, outside the range of real ones (8, 9)."""
    while True:
        first8 = SYNTHETIC_ORGNR_FIRST_DIGIT + "".join(str(rng.randrange(10)) for _ in range(7))
        check = mod11_check_digit(first8, ORGNR_WEIGHTS)
        if check is not None:
            return f"{first8}{check}"
