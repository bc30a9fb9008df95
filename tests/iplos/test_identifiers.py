"""National ids and organisation numbers: check digits, kinds, dates, the 2032 rule, generation.

All national ids here are invented: synthetic (month + 80), or ordinary-looking with birth dates
in 2039, which no living person has. Check digits are either worked out by hand in a comment or
computed by :func:`with_checks`, an independent brute-force formula: a valid number's weighted
sums including the check digit (weight 1) are divisible by 11.
"""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockkpr.errors import ConfigError
from mockkpr.iplos import identifiers as ids
from mockkpr.iplos.identifiers import Gender, IdKind, parse_national_id

W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _digit_completing(prefix: str, weights: tuple[int, ...]) -> int | None:
    total = sum(int(d) * w for d, w in zip(prefix, weights, strict=True))
    return next((k for k in range(10) if (total + k) % 11 == 0), None)


def with_checks(nine: str) -> str | None:
    """The 11-digit number with classic K1, K2 for ``nine``, or None when a check would be 10."""
    k1 = _digit_completing(nine, W1)
    if k1 is None:
        return None
    k2 = _digit_completing(f"{nine}{k1}", W2)
    return None if k2 is None else f"{nine}{k1}{k2}"


# 15838502447: synthetic woman born 15.03.1985 (83 = 3 + 80, individual 024, 4 even).
#   K1: 1*3+5*7+8*6+3*1+8*8+5*9+0*4+2*5+4*2 = 216; 216 mod 11 = 7; K1 = 11 - 7 = 4
#   K2: 1*5+5*4+8*3+3*2+8*7+5*6+0*5+2*4+4*3+4*2 = 169; 169 mod 11 = 4; K2 = 11 - 4 = 7
SYNTHETIC_WOMAN = "15838502447"


def test_hand_computed_synthetic_number() -> None:
    assert with_checks("158385024") == SYNTHETIC_WOMAN
    result = parse_national_id(SYNTHETIC_WOMAN)
    assert result == ids.NationalId(SYNTHETIC_WOMAN, IdKind.SYNTHETIC, date(1985, 3, 15),
                                    Gender.FEMALE, True, ())
    assert result.valid
    assert result.problem is None
    assert result.kind is IdKind.SYNTHETIC
    assert result.kind.is_synthetic


@pytest.mark.parametrize(("number", "kind", "born", "gender"), [
    ("24123950093", IdKind.ORDINARY, date(2039, 12, 24), Gender.FEMALE),
    ("64123950087", IdKind.D_NUMBER, date(2039, 12, 24), Gender.FEMALE),   # 64 = 24 + 40
    ("24523950076", IdKind.H_NUMBER, date(2039, 12, 24), Gender.FEMALE),   # 52 = 12 + 40
    # NAV's synthetic D-numbers (day + 40, month + 40) look like H-numbers: classified so.
    ("64523950140", IdKind.H_NUMBER, date(2039, 12, 24), Gender.MALE),
    ("71818501077", IdKind.SYNTHETIC_D_NUMBER, date(1985, 1, 31), Gender.FEMALE),  # 71 = 31+40
    ("69820050037", IdKind.SYNTHETIC_D_NUMBER, date(2000, 2, 29), Gender.FEMALE),  # leap year
    ("29820050043", IdKind.SYNTHETIC, date(2000, 2, 29), Gender.FEMALE),
])
def test_kinds_dates_and_gender(number: str, kind: IdKind, born: date, gender: Gender) -> None:
    assert with_checks(number[:9]) == number
    result = parse_national_id(number)
    assert (result.kind, result.birth_date, result.gender, result.problems) == (
        kind, born, gender, ())


def test_only_tenor_numbers_count_as_synthetic() -> None:
    assert {kind for kind in IdKind if kind.is_synthetic} == {
        IdKind.SYNTHETIC, IdKind.SYNTHETIC_D_NUMBER}


def test_fh_number_has_no_birth_date_or_gender() -> None:
    number = "81234567055"  # invented; first digit 8 marks an FH-number
    assert with_checks(number[:9]) == number
    result = parse_national_id(number)
    assert (result.kind, result.birth_date, result.gender, result.valid) == (
        IdKind.FH_NUMBER, None, None, True)


@pytest.mark.parametrize(("nine", "born"), [
    ("018100001", date(1900, 1, 1)),   # 000-499 -> 1900s
    ("018199481", date(1999, 1, 1)),
    ("018199730", date(1899, 1, 1)),   # 500-749 with YY >= 54 -> 1854-1899
    ("018154500", date(1854, 1, 1)),
    ("018100500", date(2000, 1, 1)),   # 500-999 with YY <= 39 -> 2000s
    ("018139980", date(2039, 1, 1)),
    ("018140900", date(1940, 1, 1)),   # 900-999 with YY >= 40 -> 1940-1999
])
def test_century_boundaries(nine: str, born: date) -> None:
    number = with_checks(nine)
    assert number is not None
    assert parse_national_id(number).birth_date == born


@pytest.mark.parametrize(("number", "problem"), [
    ("01815350002", "individual number 500 does not fit birth year 53 in any century"),
    ("01814075024", "individual number 750 does not fit birth year 40 in any century"),
    ("29820000100", "birth date 29.02.1900 does not exist"),  # 1900 was no leap year
    ("29820150064", "birth date 29.02.2001 does not exist"),
    ("31848501053", "birth date 31.04.1985 does not exist"),
    ("72818501006", "day field 72 is neither a day (01-31) nor a D-number day (41-71)"),
    ("40818501015", "day field 40 is neither a day (01-31) nor a D-number day (41-71)"),
    ("32818501012", "day field 32 is neither a day (01-31) nor a D-number day (41-71)"),
    ("00818501021", "day field 00 is neither a day (01-31) nor a D-number day (41-71)"),
    ("01138501023", "month field 13 is neither a month (01-12), an H-number month (41-52) "
                    "nor a synthetic month (81-92)"),
    ("01808501070", "month field 80 is neither a month (01-12), an H-number month (41-52) "
                    "nor a synthetic month (81-92)"),
    ("01938501099", "month field 93 is neither a month (01-12), an H-number month (41-52) "
                    "nor a synthetic month (81-92)"),
])
def test_impossible_structure_is_reported_with_checksums_still_checked(
        number: str, problem: str) -> None:
    assert with_checks(number[:9]) == number  # check digits fine: only the structure is wrong
    result = parse_national_id(number)
    assert result.problems == (problem,)
    assert result.checksum_ok
    assert result.birth_date is None
    assert not result.valid


@pytest.mark.parametrize(("text", "problem"), [
    ("", "must be 11 digits, is empty"),
    ("1583850244", "must be 11 digits, has 10"),
    ("158385024470", "must be 11 digits, has 12"),
    ("1583850244x", "must be 11 digits, has characters other than 0-9"),
    (" 15838502447", "must be 11 digits, has characters other than 0-9"),
    ("158385 2447", "must be 11 digits, has characters other than 0-9"),
    ("١٥٨٣٨٥٠٢٤٤٧", "must be 11 digits, has characters other than 0-9"),  # Arabic-Indic digits
])
def test_malformed_text_gives_a_reason_not_an_exception(text: str, problem: str) -> None:
    result = parse_national_id(text)
    assert result == ids.NationalId(text, None, None, None, False, (problem,))
    assert result.problem == problem


def test_wrong_check_digits() -> None:
    assert parse_national_id("15838502448").problems == ("check digit K2 is 8, expected 7",)
    # Ninth digit 4 -> 5 in SYNTHETIC_WOMAN: K1 sum 216 + 2 = 218, mod 11 = 9 -> K1 = 2;
    # K2 sum 169 + 3 = 172, mod 11 = 7 -> K2 = 4. The number keeps K1 = 4, K2 = 7.
    result = parse_national_id("15838502547")
    assert result.problems == ("check digit K1 is 4, expected 2",
                               "check digit K2 is 7, expected 4")
    assert result.birth_date == date(1985, 3, 15)  # still derived
    assert not result.checksum_ok


def test_check_digit_ten_means_no_valid_number() -> None:
    # 158385021: 216 - 4*2 + 1*2 = 210; 210 mod 11 = 1; 11 - 1 = 10 -> no K1 exists.
    # K2 over 1583850210: 1*5+5*4+8*3+3*2+8*7+5*6+0*5+2*4+1*3+0*2 = 152; 152 mod 11 = 9 -> 2.
    assert with_checks("158385021") is None
    assert parse_national_id("15838502102").problems == (
        "check digit K1 would be 10, so no valid number begins 158385021",)
    assert parse_national_id("15838502100").problems == (
        "check digit K1 would be 10, so no valid number begins 158385021",
        "check digit K2 is 0, expected 2")


def test_k2_of_ten_is_reported() -> None:
    # 1583850248: K2 sum = 169 - 4*2 + 8*2 = 177; 177 mod 11 = 1; 11 - 1 = 10.
    assert "check digit K2 would be 10, so no valid number begins 1583850248" in (
        parse_national_id("15838502480").problems)


def test_rule_from_2032_relaxes_k1_only_when_asked() -> None:
    # 158385024 has weighted sum 216 (remainder 7). From 2032 K1 may be 4, 5, 6 or 7:
    # (216 + K1) mod 11 in {0, 1, 2, 3}. K1 = 6: K2 sum = 169 - 8 + 12 = 173, mod 11 = 8 -> 3.
    relaxed = "15838502463"
    assert parse_national_id(relaxed).problems == ("check digit K1 is 6, expected 4",)
    assert parse_national_id(relaxed, as_of_year=2031).problems == (
        "check digit K1 is 6, expected 4",)
    assert parse_national_id(relaxed, as_of_year=2032).valid
    assert parse_national_id(relaxed, as_of_year=2040).valid
    # The classic K1 (remainder 0) stays valid under the new rule.
    assert parse_national_id(SYNTHETIC_WOMAN, as_of_year=2032).valid
    # K1 = 9: (216 + 9) mod 11 = 5, outside 0-3. K2 sum = 169 - 8 + 18 = 179, mod 11 = 3 -> 8.
    assert parse_national_id("15838502498", as_of_year=2032).problems == (
        "check digit K1 9 fails the rule from 2032 ((weighted sum + K1) mod 11 must be 0-3)",)


def test_synthetic_generation_is_deterministic_per_seed() -> None:
    first = ids.synthetic_national_id(date(1985, 3, 15), Gender.FEMALE, random.Random(7))
    again = ids.synthetic_national_id(date(1985, 3, 15), Gender.FEMALE, random.Random(7))
    assert first == again
    assert first[:6] == "158385"
    assert int(first[8]) % 2 == 0


def test_synthetic_d_number_day_plus_40() -> None:
    number = ids.synthetic_national_id(date(1990, 5, 31), Gender.MALE, random.Random(1),
                                       d_number=True)
    assert number[:6] == "718590"
    result = parse_national_id(number)
    assert (result.kind, result.birth_date, result.gender) == (
        IdKind.SYNTHETIC_D_NUMBER, date(1990, 5, 31), Gender.MALE)


@pytest.mark.parametrize("born", [date(1853, 12, 31), date(2040, 1, 1)])
def test_generation_outside_the_encodable_years_is_refused(born: date) -> None:
    with pytest.raises(ConfigError) as info:
        ids.synthetic_national_id(born, Gender.MALE, random.Random(0))
    assert str(info.value) == (f"birth year {born.year} cannot be written in a national id "
                               "(1854-2039 can)")


@given(born=st.dates(min_value=date(1854, 1, 1), max_value=date(2039, 12, 31)),
       gender=st.sampled_from(Gender), d_number=st.booleans(), seed=st.integers(0, 2**32))
def test_generated_numbers_parse_back(born: date, gender: Gender, d_number: bool,
                                      seed: int) -> None:
    number = ids.synthetic_national_id(born, gender, random.Random(seed), d_number=d_number)
    assert with_checks(number[:9]) == number  # classic check digits, by the independent formula
    for as_of_year in (None, 2032):
        result = parse_national_id(number, as_of_year=as_of_year)
        assert result.valid, result.problem
        assert result.birth_date == born
        assert result.gender is gender
        assert result.kind is (IdKind.SYNTHETIC_D_NUMBER if d_number else IdKind.SYNTHETIC)
        assert result.kind not in (IdKind.ORDINARY, IdKind.D_NUMBER, IdKind.H_NUMBER)


# Organisation numbers. 312345676 by hand: 3*3+1*2+2*7+3*6+4*5+5*4+6*3+7*2 = 115;
# 115 mod 11 = 5; check = 11 - 5 = 6. 31234467x: sum 111, mod 11 = 1 -> check would be 10.
@pytest.mark.parametrize(("text", "problem"), [
    ("312345676", None),
    ("312345670", "check digit is 0, expected 6"),
    ("312344670", "check digit would be 10, so no valid organisation number begins 31234467"),
    ("31234567", "must be 9 digits, has 8"),
    ("3123456760", "must be 9 digits, has 10"),
    ("31234567a", "must be 9 digits, has characters other than 0-9"),
    ("", "must be 9 digits, is empty"),
])
def test_orgnr(text: str, problem: str | None) -> None:
    assert ids.orgnr_problem(text) == problem
    assert ids.is_valid_orgnr(text) is (problem is None)


@pytest.mark.parametrize(("text", "problem", "orgnr"), [
    ("312345676", None, "312345676"),
    ("3123456760", None, "312345676"),     # \d{9}0? allows one trailing 0
    ("3123456761", "a 10-digit value must end in 0 (format \\d{9}0?)", None),
    ("3123456700", "check digit is 0, expected 6", None),
    ("31234567600", "must be 9 digits, optionally followed by 0, has 11", None),
    ("31234567", "must be 9 digits, optionally followed by 0, has 8", None),
    ("31234567a", "must be 9 digits, has characters other than 0-9", None),
])
def test_iplos_orgnr_field(text: str, problem: str | None, orgnr: str | None) -> None:
    assert ids.iplos_orgnr_problem(text) == problem
    assert ids.iplos_orgnr(text) == orgnr


@given(seed=st.integers(0, 2**32))
def test_synthetic_orgnr_is_valid_and_outside_the_real_range(seed: int) -> None:
    number = ids.synthetic_orgnr(random.Random(seed))
    assert ids.is_valid_orgnr(number)
    assert number[0] == "3"
    weights = (3, 2, 7, 6, 5, 4, 3, 2, 1)
    assert sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 11 == 0
