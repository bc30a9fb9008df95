"""The fast synthetic id generator agrees with the project's own id parser."""

from __future__ import annotations

import random
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from mockkpr.generator.ids import fast_synthetic_id
from mockkpr.iplos.identifiers import Gender, IdKind, parse_national_id


@given(st.dates(date(1854, 1, 1), date(2039, 12, 31)), st.sampled_from(list(Gender)),
       st.booleans(), st.integers(0, 2**32))
def test_fast_ids_are_valid_synthetic_numbers_for_the_birth_date_and_gender(
        born: date, gender: Gender, d_number: bool, seed: int) -> None:
    """Every number is synthetic (month + 80), has valid check digits, and encodes the birth
    date and gender it was made for; D-numbers when asked."""
    number = fast_synthetic_id(born, gender, random.Random(seed), d_number=d_number)
    parsed = parse_national_id(number)
    assert parsed.valid, parsed.problem
    assert parsed.kind is (IdKind.SYNTHETIC_D_NUMBER if d_number else IdKind.SYNTHETIC)
    assert parsed.birth_date == born
    assert parsed.gender is gender
