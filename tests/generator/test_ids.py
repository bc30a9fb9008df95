"""The fast synthetic id generator agrees with the project's own id parser."""

from __future__ import annotations

import random
from datetime import date

import pytest
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


@pytest.mark.parametrize("annual", [True, False], ids=["annual-blocks", "56-per-person"])
def test_national_ids_are_unique_in_a_large_population(annual: bool) -> None:
    """Drawn ids collide often at national scale (many persons per birth date); the
    generator moves a later person to the next free id of the same date, gender and kind.
    Annual persons come in blocks (:mod:`mockkpr.generator.blocks`), 56.0.0 persons one by
    one."""
    from mockkpr.generator.blocks import Population
    from mockkpr.generator.model import World
    from mockkpr.generator.spec import GenerationSpec

    world = World(GenerationSpec(kommune="0301", year=2019, persons=40_000, seed=3,
                                 d_number_share=0.2))
    if annual:
        world.annual = Population(world)
    identities = [world.identity(i) for i in range(40_000)]
    seen = [identity.national_id for identity in identities]
    assert len(set(seen)) == len(seen)
    again = [world.identity(i).national_id for i in range(0, 40_000, 97)]
    assert again == seen[::97]  # a second pass (the identity file) gives the same ids
    for identity in identities[::7]:
        parsed = parse_national_id(identity.national_id)
        assert parsed.valid, parsed.problem
        assert parsed.kind is (IdKind.SYNTHETIC_D_NUMBER if identity.id_type == 2
                               else IdKind.SYNTHETIC)
        assert parsed.birth_date == date.fromordinal(identity.birth)
        assert parsed.gender is identity.gender
