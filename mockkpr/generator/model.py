"""What all persons of a generation share, and drawing one 56.0.0 person's identity.

:class:`World` holds what is shared: the year, the kommune, its bydeler, the fixed pool of
providers, the service mix and the functional variables of the year. A 56.0.0 person is drawn
from its own ``random.Random``, seeded from (seed, person index): identity first (age, gender,
birth date, synthetic national id), then its events (:mod:`mockkpr.generator.events`), so a
person does not depend on the persons before it. Annual persons are drawn in blocks
(:mod:`mockkpr.generator.blocks`); :meth:`World.identity` hands those out for them.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from statistics import NormalDist
from typing import TYPE_CHECKING

from mockkpr.errors import ConfigError
from mockkpr.generator import realism as R
from mockkpr.generator.ids import alternatives, fast_synthetic_id
from mockkpr.generator.rows import Identity
from mockkpr.generator.spec import GenerationSpec
from mockkpr.iplos.formats import Generation
from mockkpr.iplos.identifiers import Gender, synthetic_orgnr
from mockkpr.refdata import codelists, kommuner

if TYPE_CHECKING:
    from mockkpr.generator.blocks import Population

ROW_ID_FACTOR = 32
"""Row ids are ``person key x 32 + n``: unique in the file, readable, at most 10 digits."""

_NORMAL_STEPS = 1024
NORMAL_TABLE = tuple(NormalDist().inv_cdf((i + 0.5) / _NORMAL_STEPS)
                     for i in range(_NORMAL_STEPS))
"""Normal deviates from one uniform draw: a 1024-step quantile table (plenty for synthetic
data; a table look-up, so the same values on every machine)."""


def derive_seed(seed: int, label: str) -> int:
    """A 64-bit sub-seed for one named stream, stable across Python versions and platforms."""
    digest = hashlib.blake2b(f"mockkpr:{seed}:{label}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True)
class Providers:
    """The kommune's fixed pool of synthetic providers (organisation numbers)."""

    institutions: tuple[str, ...]
    home_care: tuple[str, ...]
    other_units: tuple[str, ...]

    @classmethod
    def for_kommune(cls, kommune: str) -> Providers:
        """The same pool for a kommune whatever the seed: a provider is a fixed thing."""
        rng = random.Random(f"mockkpr-providers-{kommune}")  # noqa: S311 - synthetic data
        numbers: list[str] = []
        total = R.INSTITUTION_POOL_SIZE + R.HOME_CARE_POOL_SIZE + R.OTHER_PROVIDER_POOL_SIZE
        while len(numbers) < total:
            number = synthetic_orgnr(rng)
            if number not in numbers:
                numbers.append(number)
        a, b = R.INSTITUTION_POOL_SIZE, R.INSTITUTION_POOL_SIZE + R.HOME_CARE_POOL_SIZE
        return cls(tuple(numbers[:a]), tuple(numbers[a:b]), tuple(numbers[b:]))

    def all(self) -> tuple[str, ...]:
        return self.institutions + self.home_care + self.other_units


class World:
    """What all persons of one spec share, computed once."""

    def __init__(self, spec: GenerationSpec) -> None:
        self.spec = spec
        self.year = spec.year
        self.year_start = date(spec.year, 1, 1).toordinal()
        self.year_end = date(spec.year, 12, 31).toordinal()
        self.kommune = spec.kommune
        self.providers = Providers.for_kommune(spec.kommune)
        self.bydeler = tuple(sorted(kommuner.bydeler(spec.kommune, spec.year,
                                                     include_statistical=False)))
        self.sending_bydel = spec.bydel or "00"
        self.other_kommuner = tuple(sorted(kommuner.kommuner(spec.year) - {spec.kommune}))
        self._person_base = derive_seed(spec.seed, "person") << 32
        self._rng = random.Random()  # noqa: S311 - reseeded per person; synthetic data only
        self._years: dict[int, tuple[int, int]] = {}
        self._national_ids: dict[str, int] = {}  # id -> the person index that has it
        self._group_cum = list(accumulate(R.AGE_GROUP_SHARES))
        oldest = R.AGE_GROUPS[-1]
        self._oldest_cum = list(accumulate(R.OLDEST_AGE_DECAY ** i
                                           for i in range(oldest[1] - oldest[0] + 1)))
        event = spec.generation is Generation.EVENT_56
        allowed = [t for t in R.SERVICE_MIX
                   if codelists.SERVICE_TYPE.valid(t, spec.year)
                   and (not event or t in R.EVENT_SERVICE_TYPES)]
        self.mix: tuple[tuple[tuple[int, float], ...], ...] = tuple(
            tuple((t, R.SERVICE_MIX[t][g]) for t in allowed if R.SERVICE_MIX[t][g] > 0)
            for g in range(len(R.AGE_GROUPS))
        )
        # The 2018 annotations mark tjInstOrgnr required: give it wherever it is allowed.
        self.orgnr_always = spec.generation is Generation.ANNUAL_2018
        self.variables = tuple(int(c) for c in codelists.FUNCTIONAL_VARIABLE.codes_in(spec.year))
        self.variable_offsets = tuple((v, R.VARIABLE_OFFSET.get(v, 0.0))
                                      for v in self.variables)
        self.annual: Population | None = None
        """The annual persons (set by the run for annual generations)."""

    # ------------------------------------------------------------------ streams
    def person_rng(self, index: int) -> random.Random:
        """Person ``index``'s own stream, seeded from (seed, index): identity draws come
        first, care draws continue the same stream (see :meth:`identity`)."""
        self._rng.seed(self._person_base + index)
        return self._rng

    @property
    def current_rng(self) -> random.Random:
        """The stream of the person whose identity was drawn last."""
        return self._rng

    def _year_days(self, year: int) -> tuple[int, int]:
        days = self._years.get(year)
        if days is None:
            first = date(year, 1, 1).toordinal()
            days = self._years[year] = (first, date(year, 12, 31).toordinal() - first + 1)
        return days

    # ------------------------------------------------------------------ identity
    def identity(self, index: int) -> Identity:
        """Person ``index``'s age, gender, birth date and synthetic national id (annual
        generations: from the person's block, :mod:`mockkpr.generator.blocks`).

        These are the first draws of the person's stream, so the identity file needs nothing
        else; :meth:`person_rng` left positioned after them is what the care model continues.
        """
        if self.annual is not None:
            return self.annual.identity(index)
        rng = self.person_rng(index)
        group = min(bisect(self._group_cum, rng.random() * self._group_cum[-1]),
                    len(R.AGE_GROUPS) - 1)
        low, high = R.AGE_GROUPS[group]
        if group == len(R.AGE_GROUPS) - 1:
            age = low + bisect(self._oldest_cum, rng.random() * self._oldest_cum[-1])
        else:
            age = low + int(rng.random() * (high - low + 1))
        gender = Gender.FEMALE if rng.random() < R.FEMALE_SHARE[group] else Gender.MALE
        birth_year = self.year - age  # age at 31.12 = year - birth year
        first, days = self._year_days(birth_year)
        birth = first + int(rng.random() * days)
        d_number = rng.random() < self.spec.d_number_share
        national_id = self._unique(
            fast_synthetic_id(date.fromordinal(birth), gender, rng, d_number=d_number),
            index, birth_year)
        return Identity(index, index + 1, group, age, gender, birth, national_id,
                        2 if d_number else 1)

    def _unique(self, national_id: str, index: int, birth_year: int) -> str:
        """The drawn id, or the next free one of the same date, gender and kind when another
        person already has it: a kommune never reports two persons with one national id."""
        owner = self._national_ids.setdefault(national_id, index)
        if owner == index:
            return national_id
        for other in alternatives(national_id, birth_year):
            if self._national_ids.setdefault(other, index) == index:
                return other
        raise ConfigError(f"more persons born on {national_id[:6]} than synthetic ids for them")

    # ------------------------------------------------------------------ helpers
    def bydeler_of(self, kommune: str) -> tuple[str, ...]:
        """The bydeler of ``kommune`` in the year, sorted (statistical units left out)."""
        return tuple(sorted(kommuner.bydeler(kommune, self.year, include_statistical=False)))

    def home(self, rng: random.Random) -> tuple[str, str]:
        """Home kommune and bydel of a person."""
        kommune = self.kommune
        if self.other_kommuner and rng.random() < R.OTHER_HOME_KOMMUNE_SHARE:
            kommune = self.other_kommuner[int(rng.random() * len(self.other_kommuner))]
            districts = self.bydeler_of(kommune)
            bydel = districts[int(rng.random() * len(districts))] if districts else "00"
            return kommune, bydel
        if self.spec.bydel is not None:
            return kommune, self.spec.bydel
        if self.bydeler:
            return kommune, self.bydeler[int(rng.random() * len(self.bydeler))]
        return kommune, "00"

    def choose_types(self, rng: random.Random, group: int) -> list[int]:
        """The service types a person of ``group`` has decisions on (at least one)."""
        mix = self.mix[group]
        chosen = [t for t, p in mix if rng.random() < p]
        if not chosen:
            total = sum(p for _, p in mix)
            pick = rng.random() * total
            for t, p in mix:
                pick -= p
                if pick < 0:
                    chosen = [t]
                    break
            else:
                chosen = [mix[-1][0]]
        housing = [t for t in chosen if t in R.HOUSING_TYPES]
        for extra in housing[1:]:
            chosen.remove(extra)  # one kind of housing at a time
        return chosen



def uniform_day(rng: random.Random, low: int, high: int) -> int:
    """A day between ``low`` and ``high`` inclusive (``low`` when the range is empty)."""
    if high <= low:
        return low
    return low + int(rng.random() * (high - low + 1))
