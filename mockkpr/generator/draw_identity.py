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
    """Keeps national ids unique in a population, a block of persons at a time, in the order
    blocks are first resolved: a person keeps its drawn id unless a person resolved before
    it (or before it in its block) has it; then it takes the next free id of the same birth
    date, gender and kind (:func:`mockkpr.generator.ids.alternatives`). A block resolved
    again gets the ids it got the first time.

    Taken ids are bits, one per (birth date, kind, individual number) of the birth years the
    population can have (about 10 MB), and each person's id is kept as an int: far less
    memory than a set of 350 000 numbers."""

    def __init__(self, persons: int, year: int) -> None:
        self._year = year
        self._first_day = date(year - _OLDEST[1] - 1, 1, 1).toordinal()
        days = date(year, 12, 31).toordinal() - self._first_day + 1
        self._taken = np.zeros((days * 2000 + 7) // 8, dtype=np.uint8)
        self._ids = np.zeros(persons, dtype=np.int64)  # 0: not resolved yet

    def _slots(self, numbers: IntArray, birth: IntArray) -> IntArray:
        d_number = numbers // 10**10 >= 4  # day field 41-71
        return ((birth - self._first_day) * 2 + d_number) * 1000 + numbers // 100 % 1000

    def _is_taken(self, slots: IntArray) -> BoolArray:
        bits = self._taken[slots >> 3] >> (slots & 7).astype(np.uint8)
        taken: BoolArray = (bits & 1).astype(bool)
        return taken

    def _take(self, slots: IntArray) -> None:
        np.bitwise_or.at(self._taken, slots >> 3,
                         np.left_shift(1, slots & 7).astype(np.uint8))

    def resolve(self, first_index: int, ident: Identities, size: int) -> list[str]:
        """The ids of persons ``first_index`` .. ``first_index + size - 1`` (the first
        ``size`` of ``ident``'s block) as 11-digit texts."""
        ids = self._ids[first_index:first_index + size]
        if size and not ids[0]:
            drawn, birth = ident.drawn[:size], ident.birth[:size]
            slots = self._slots(drawn, birth)
            first_seen = np.zeros(size, dtype=bool)
            first_seen[np.unique(slots, return_index=True)[1]] = True
            keep = first_seen & ~self._is_taken(slots)
            self._take(slots[keep])
            ids[:] = drawn
            for n in np.flatnonzero(~keep).tolist():
                ids[n] = self._move(int(drawn[n]), int(birth[n]),
                                    self._year - int(ident.age[n]))
        return [f"{number:011d}" for number in ids.tolist()]

    def _move(self, number: int, birth: int, birth_year: int) -> int:
        for other in alternatives(f"{number:011d}", birth_year):
            value = np.array([int(other)])
            slot = self._slots(value, np.array([birth]))
            if not self._is_taken(slot)[0]:
                self._take(slot)
                return int(other)
        born = f"{number:011d}"[:6]
        raise ConfigError(f"more persons born on {born} than synthetic ids for them")
