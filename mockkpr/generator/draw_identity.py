"""Drawing the identities of a block of annual persons at once (NumPy).

Age group, age, gender, birth date and a synthetic national id (Tenor-style, month + 80; a
D-number also day + 40) for every person of a block, from the block's uniform draws
(:mod:`mockkpr.generator.blocks`). Ids are made unique in the population afterwards, in the
order persons are resolved (:class:`NationalIds`). Only arithmetic, comparisons and table
look-ups are used on floats, so the result is the same on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import accumulate

import numpy as np
import numpy.typing as npt

from mockkpr.errors import ConfigError
from mockkpr.generator import realism as R
from mockkpr.generator.ids import _choices, alternatives

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

ID_TRIES = 12
"""Individual numbers drawn per person; the first whose check digits are valid is taken
(about 0.2 of them are not: twelve all fail for one person in 10^9)."""
UNIX_DAY0 = date(1970, 1, 1).toordinal()

# Slots (columns) of the identity draws in the block's person matrix.
GROUP, AGE, GENDER, BIRTH, D_NUMBER, IDS = 0, 1, 2, 3, 4, 5
SLOTS = IDS + ID_TRIES

_GROUP_CUM = np.array(list(accumulate(R.AGE_GROUP_SHARES)))
_OLDEST = R.AGE_GROUPS[-1]
_OLDEST_CUM = np.array(list(accumulate(R.OLDEST_AGE_DECAY ** i
                                       for i in range(_OLDEST[1] - _OLDEST[0] + 1))))
_LOW = np.array([low for low, _ in R.AGE_GROUPS])
_WIDTH = np.array([high - low + 1 for low, high in R.AGE_GROUPS])
_FEMALE = np.array(R.FEMALE_SHARE)
_K1 = np.array((3, 7, 6, 1, 8, 9, 4, 5, 2))
_K2 = np.array((5, 4, 3, 2, 7, 6, 5, 4, 3, 2))


@dataclass
class Identities:
    """The identity columns of one block (one entry per person)."""

    group: IntArray
    age: IntArray
    female: BoolArray
    birth: IntArray
    """Birth date as an ordinal."""
    d_number: BoolArray
    drawn: IntArray
    """The drawn national id as an 11-digit number (before making it unique)."""


class _BirthYears:
    """Per birth year: first day (ordinal), days, and the individual-number ranges."""

    def __init__(self, year: int) -> None:
        self.first_year = year - _OLDEST[1] - 1
        years = range(self.first_year, year + 1)
        self.first = np.array([date(y, 1, 1).toordinal() for y in years])
        self.days = np.array([date(y, 12, 31).toordinal() - date(y, 1, 1).toordinal() + 1
                              for y in years])
        choices = [_choices(y) for y in years]
        self.low1 = np.array([c[0][0] for c in choices])
        self.size1 = np.array([c[1][0] for c in choices])
        self.low2 = np.array([c[0][1] if len(c[0]) > 1 else 0 for c in choices])
        self.total = np.array([c[2] for c in choices])


_YEARS: dict[int, _BirthYears] = {}


def draw_identities(u: FloatArray, year: int, d_number_share: float) -> Identities:
    """Identities from the identity slots of ``u`` (persons x slots)."""
    years = _YEARS.get(year)
    if years is None:
        years = _YEARS[year] = _BirthYears(year)
    last = len(R.AGE_GROUPS) - 1
    group = np.minimum(np.searchsorted(_GROUP_CUM, u[:, GROUP] * _GROUP_CUM[-1], "right"),
                       last)
    oldest = _OLDEST[0] + np.searchsorted(_OLDEST_CUM, u[:, AGE] * _OLDEST_CUM[-1], "right")
    age = np.where(group == last, oldest,
                   _LOW[group] + (u[:, AGE] * _WIDTH[group]).astype(np.int64))
    female = u[:, GENDER] < _FEMALE[group]
    row = year - age - years.first_year
    birth = years.first[row] + (u[:, BIRTH] * years.days[row]).astype(np.int64)
    d_number = u[:, D_NUMBER] < d_number_share
    # Birth day, month and year through datetime64 (exact calendar arithmetic).
    days = (birth - UNIX_DAY0).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    yy = (days.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
    mm = months.astype(np.int64) % 12 + 1 + 80
    dd = (days - months).astype(np.int64) + 1 + np.where(d_number, 40, 0)
    head = np.stack([dd // 10, dd % 10, mm // 10, mm % 10, yy // 10, yy % 10], axis=1)
    # Individual numbers: ID_TRIES candidates each, of the gender's parity and the century's
    # ranges; the first with valid check digits is taken.
    parity = (~female).astype(np.int64)[:, None]
    pick = (u[:, IDS:IDS + ID_TRIES] * years.total[row][:, None]).astype(np.int64)
    size1 = years.size1[row][:, None]
    low = np.where(pick < size1, years.low1[row][:, None], years.low2[row][:, None])
    pick = np.where(pick < size1, pick, pick - size1)
    individual = low + (low + parity) % 2 + 2 * pick
    i1, i2, i3 = individual // 100, individual // 10 % 10, individual % 10
    s1 = head @ _K1[:6]
    s2 = head @ _K2[:6]
    k1 = (11 - (s1[:, None] + 4 * i1 + 5 * i2 + 2 * i3) % 11) % 11
    k2 = (11 - (s2[:, None] + 5 * i1 + 4 * i2 + 3 * i3 + 2 * k1) % 11) % 11
    valid = (k1 < 10) & (k2 < 10)
    first = np.argmax(valid, axis=1)
    persons = np.arange(len(u))
    number = (((dd * 100 + mm) * 100 + yy) * 1000 + individual[persons, first]) * 100 \
        + k1[persons, first] * 10 + k2[persons, first]
    for n in np.flatnonzero(~valid.any(axis=1)).tolist():  # twelve bad draws: next valid
        stem = f"{int(number[n]) // 100:09d}00"
        number[n] = int(next(alternatives(stem, year - int(age[n]))))
    return Identities(group, age, female, birth, d_number, number)


class NationalIds:
    """Keeps national ids unique in a population: the first person resolved keeps its drawn
    id, a later one with the same id takes the next free one of the same birth date, gender
    and kind (:func:`mockkpr.generator.ids.alternatives`). A person resolved again gets the
    id it got the first time."""

    def __init__(self) -> None:
        self._owner: dict[int, int] = {}  # id -> the person index that has it
        self._moved: dict[int, int] = {}  # person index -> its id, when not the drawn one

    def resolve(self, first_index: int, drawn: IntArray, birth_years: IntArray) -> list[str]:
        """The ids of persons ``first_index``, ``first_index + 1``... as 11-digit texts."""
        owner, moved = self._owner, self._moved
        out = []
        setdefault = owner.setdefault
        for index, number in enumerate(drawn.tolist(), first_index):
            if setdefault(number, index) != index:
                number = moved.get(index) or self._move(number, index,
                                                       int(birth_years[index - first_index]))
            out.append(f"{number:011d}")
        return out

    def _move(self, number: int, index: int, birth_year: int) -> int:
        for other in alternatives(f"{number:011d}", birth_year):
            value = int(other)
            if self._owner.setdefault(value, index) == index:
                self._moved[index] = value
                return value
        born = f"{number:011d}"[:6]
        raise ConfigError(f"more persons born on {born} than synthetic ids for them")
