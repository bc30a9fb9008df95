"""Annual persons in blocks: seeding, drawing and caching blocks, and single persons from them.

Persons are drawn :data:`BLOCK` at a time with NumPy, block ``b`` (persons ``b x BLOCK`` to
``b x BLOCK + BLOCK - 1``) from its own PCG64 stream seeded with ``SeedSequence((sub-seed,
b))``. Only the bit generator's raw 64-bit output is used (turned into uniforms in
``[0, 1)`` here), which NumPy keeps stable across versions and platforms (NEP 19), and a
whole block is always drawn, however many persons are asked for: so a person is a pure
function of (seed, index), as before, and the first N persons of a larger population are the
same persons. The defect plan draws single persons (:meth:`Population.person`): their block is
drawn (and kept, a few at a time) and the person made into a :class:`Person` with its rows.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import numpy.typing as npt

from mockkpr.generator import draw_care as C
from mockkpr.generator.draw_identity import NationalIds
from mockkpr.generator.draw_services import ROW_SLOTS, mix_table
from mockkpr.generator.model import ROW_ID_FACTOR, World, derive_seed
from mockkpr.generator.rows import (
    Assessment,
    Diagnosis,
    Identity,
    Person,
    RoundTheClock,
    ScoreRow,
    Service,
    Situation,
    date8,
)
from mockkpr.iplos.formats import Generation
from mockkpr.iplos.identifiers import Gender

BLOCK = 512
"""Persons per block (part of the seed contract: changing it changes the output)."""
CACHED_BLOCKS = 4
_TO_UNIT = 2.0 ** -53


def uniforms(bits: np.random.PCG64, shape: tuple[int, int]) -> npt.NDArray[np.float64]:
    """Uniform doubles in [0, 1) from the top 53 bits of the raw 64-bit outputs."""
    raw = bits.random_raw(shape[0] * shape[1])
    return ((raw >> np.uint64(11)).astype(np.float64) * _TO_UNIT).reshape(shape)


class Population:
    """The annual persons of one spec, drawn block by block (see the module docstring)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.persons = world.spec.persons
        self._seed = derive_seed(world.spec.seed, "annual-block")
        self._mix = mix_table(world)
        self._ids = NationalIds(self.persons, world.year)
        self._cache: OrderedDict[int, C.Block] = OrderedDict()

    def block(self, number: int) -> C.Block:
        """Block ``number`` with its national ids resolved (drawn or from the cache)."""
        found = self._cache.get(number)
        if found is not None:
            self._cache.move_to_end(number)
            return found
        bits = np.random.PCG64(np.random.SeedSequence((self._seed, number)))
        block = C.draw_block(self.world, number * BLOCK, uniforms(bits, (BLOCK, C.SLOTS)),
                             lambda rows: uniforms(bits, (rows, ROW_SLOTS)), self._mix)
        size = min(BLOCK, self.persons - number * BLOCK)
        block.national_id = self._ids.resolve(number * BLOCK, block.ident, size)
        self._cache[number] = block
        if len(self._cache) > CACHED_BLOCKS:
            self._cache.popitem(last=False)
        return block

    def identity(self, index: int) -> Identity:
        """Person ``index``'s identity."""
        block = self.block(index // BLOCK)
        return identity_of(block, index - block.first)

    def person(self, index: int) -> Person:
        """Person ``index`` with all its rows, as objects defects can change."""
        block = self.block(index // BLOCK)
        return person_of(self.world, block, index - block.first)


def identity_of(block: C.Block, n: int) -> Identity:
    ident = block.ident
    assert block.national_id is not None
    index = block.first + n
    return Identity(index, index + 1, int(ident.group[n]), int(ident.age[n]),
                    Gender.FEMALE if ident.female[n] else Gender.MALE, int(ident.birth[n]),
                    block.national_id[n], 2 if ident.d_number[n] else 1)


def _opt(value: int) -> int | None:
    return None if value == 0 else value


def person_of(world: World, block: C.Block, n: int) -> Person:
    """Person ``n`` of ``block`` as a :class:`Person` (what the writers' slow path renders)."""
    identity = identity_of(block, n)
    base = identity.key * ROW_ID_FACTOR
    death = _opt(int(block.death[n]))
    assessed_from, assessed_to = int(block.assessed_from[n]), int(block.assessed_to[n])
    person = Person(identity, block.home_kommune[n], block.bydel[n],
                    first_date=int(block.first_date[n]), changed=int(block.changed[n]),
                    death=death, assessed_from=assessed_from, assessed_to=assessed_to)
    if block.situation[n]:
        person.situations.append(Situation(base + 1, situation_values(world, block, n)))
    scores: list[ScoreRow | Assessment] = []
    for position, (variable, score) in enumerate(zip(world.variables,
                                                     block.scores[n].tolist(), strict=True)):
        scores.append((base + 1 + position, variable, str(score)))
    person.assessments = scores
    s = block.services
    rows = np.flatnonzero(s.person == n).tolist()
    orgnrs = world.providers.all()
    for rank, row in enumerate(rows, 1):
        series_no = int(s.series_no[row])
        orgnr = int(s.orgnr[row])
        service = Service(
            base + rank, int(s.type[row]),
            series=None if series_no == 0 else base + rank - series_no + 1,
            series_no=None if series_no == 0 else series_no,
            applied=_opt(int(s.applied[row])), decided=_opt(int(s.decided[row])),
            decision=_opt(int(s.decision[row])), hours=_opt(int(s.hours[row])),
            two_staff_hours=_opt(int(s.two_staff[row])), rolling=_opt(int(s.rolling[row])),
            orgnr=None if orgnr < 0 else orgnrs[orgnr], start=_opt(int(s.start[row])),
            end=_opt(int(s.end[row])), appeal_received=_opt(int(s.appeal_received[row])),
            appeal_answered=_opt(int(s.appeal_answered[row])))
        person.services.append(service)
    for rank, row in enumerate(np.flatnonzero(block.diagnosis_person == n).tolist(), 1):
        person.diagnoses.append(Diagnosis(
            base + rank, C.SYSTEM_NAMES[int(block.diagnosis_system[row])],
            C.CODES[int(block.diagnosis_code[row])], int(block.diagnosis_start[row]),
            assessed_to))
    rank = 0
    for row in rows:
        if s.round_the_clock[row]:
            rank += 1
            person.round_the_clock.append(RoundTheClock(
                base + rank, orgnrs[int(s.dg_orgnr[row])], int(s.start[row]),
                int(s.end[row])))
    return person


def situation_values(world: World, block: C.Block, n: int) -> list[tuple[str, str]]:
    """The PERSONOPPL fields of person ``n`` in schema order."""
    values = [("poHusstand", str(block.household[n])),
              ("poPrivHjelp", str(block.private_help[n]))]
    if block.dentist[n]:
        values.append(("poVurdTann", date8(int(block.dentist[n]))[:6]))
    if block.doctor[n]:
        values.append(("poVurdLege", date8(int(block.doctor[n]))[:6]))
    plan = str(block.plan[n])
    values += [("poIndPlan", plan), ("poHarKoordinator", plan),
               ("poFraDato", date8(int(block.assessed_from[n]))),
               ("poTilDato", date8(int(block.assessed_to[n])))]
    if world.spec.generation is Generation.ANNUAL_2019:
        values.append(("poVenteliste", "2"))
    return values
