"""Drawing a block of annual persons' year of care at once (NumPy): the columns a block holds.

After the identities (:mod:`mockkpr.generator.draw_identity`) and the services
(:mod:`mockkpr.generator.draw_services`), the rest of each person: home kommune and bydel,
living situation (PERSONOPPL), one functional score per variable (FUNKSJON), diagnoses and
round-the-clock offers, and the PERSON's own dates. Each draw has its own column (slot) in
the block's person matrix, so what a person gets never depends on how many draws another
made before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mockkpr.generator import draw_identity as I
from mockkpr.generator import realism as R
from mockkpr.generator.draw_services import (
    TYPES,
    Services,
    choose_types,
    draw_services,
    timeline,
    uniform_day,
)
from mockkpr.generator.model import NORMAL_TABLE, ROW_ID_FACTOR, World
from mockkpr.generator.rows import FIRST_DATE, OPEN

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_T = len(TYPES)
CHOOSE = I.SLOTS
REFUSE = CHOOSE + _T
(PICK, LT_ONGOING, ADMISSION, DEATH, DEATH_DAY, OTHER_HOME, OTHER_KOMMUNE, OTHER_BYDEL,
 BYDEL, PO, HOUSEHOLD, PRIVATE_HELP, DENTIST, DENTIST_DAY, DOCTOR, DOCTOR_DAY, PLAN_YOUNG,
 PLAN, NEED, DIAGNOSIS_COUNT) = range(REFUSE + _T, REFUSE + _T + 20)
DIAGNOSIS = DIAGNOSIS_COUNT + 1
"""Three diagnosis slots of three draws each: system, code, start."""
SCORE = DIAGNOSIS + 9
"""Two draws per functional variable: score (or sensory reduction), sensory level."""
MAX_VARIABLES = 18
SLOTS = SCORE + 2 * MAX_VARIABLES

_NOISE = np.array(NORMAL_TABLE) * R.ITEM_NOISE
_NEED_NOISE = np.array(NORMAL_TABLE) * R.NEED_NOISE
_STEPS = len(NORMAL_TABLE)
_SENSORY_CUM = np.cumsum(np.array((0.6, 0.25, 0.1, 0.05)))  # scores 2..5 once reduced
_DIAGNOSIS_CUM = np.cumsum(np.array(R.DIAGNOSIS_COUNT_WEIGHTS))
_STAGES = ("child", "adult", "old")
SYSTEM_NAMES = ("ICPC-2", "ICD-10")
CODES = tuple(sorted({c for s in _STAGES for y in SYSTEM_NAMES for c in R.DIAGNOSES[s][y]}))
"""Every diagnosis code, for the code column (an index into this)."""
_CODE_LISTS = [[np.array([CODES.index(c) for c in R.DIAGNOSES[s][y]]) for y in SYSTEM_NAMES]
               for s in _STAGES]
SITUATION_CODES = ("1", "2", "3", "4")


@dataclass
class Block:
    """``size`` persons from index ``first`` on, as columns (0 where a date is absent)."""

    first: int
    size: int
    ident: I.Identities
    national_id: list[str] | None
    home_kommune: list[str]
    bydel: list[str]
    death: IntArray
    assessed_from: IntArray
    assessed_to: IntArray
    first_date: IntArray
    changed: IntArray
    situation: BoolArray
    household: IntArray
    """Code (text ``1``-``3``) of poHusstand; poIndPlan and poHarKoordinator share ``plan``."""
    private_help: IntArray
    dentist: IntArray
    doctor: IntArray
    plan: IntArray
    scores: npt.NDArray[np.int8]
    """Persons x variables of the year (``World.variables``): 1-5, 9."""
    services: Services
    diagnosis_person: IntArray
    diagnosis_system: IntArray
    diagnosis_code: IntArray
    diagnosis_start: IntArray


def draw_block(world: World, first: int, u: FloatArray, draws: Callable[[int], FloatArray],
               mix: FloatArray) -> Block:
    """The block of persons ``first`` .. ``first + len(u) - 1`` from its draws: ``u`` has a
    line of :data:`SLOTS` per person, ``draws(n)`` the next ``n`` lines of draws for
    services (:func:`~mockkpr.generator.draw_services.draw_services`)."""
    ident = I.draw_identities(u, world.year, world.spec.d_number_share)
    group, age = ident.group, ident.age
    chosen = choose_types(u[:, CHOOSE:REFUSE], u[:, PICK], group, mix)
    refusal = np.array([R.REFUSAL_SHARE.get(t, 0.0) for t in TYPES])
    refused = chosen & (u[:, REFUSE:REFUSE + _T] < refusal)
    long_term = chosen[:, TYPES.index(21)] & ~refused[:, TYPES.index(21)]
    line = timeline(world, u[:, LT_ONGOING], u[:, ADMISSION], u[:, DEATH], u[:, DEATH_DAY],
                    ident.birth, group, long_term)
    services = draw_services(world, line, group, chosen, refused, draws)
    if np.bincount(services.person).max() >= ROW_ID_FACTOR:
        raise OverflowError(f"more than {ROW_ID_FACTOR - 1} TJENESTE rows on one person")
    home_kommune, bydel = _homes(world, u)
    n = len(u)
    # The assessment period: from the first decision (or start) on record, to death or open.
    begin = np.where(services.decided > 0, services.decided,
                     np.where(services.start > 0, services.start, world.year_start))
    starts = np.flatnonzero(np.r_[True, services.person[1:] != services.person[:-1]])
    assessed = np.maximum(np.minimum.reduceat(begin, starts), line.earliest)
    end = np.where(line.death > 0, line.death, OPEN)
    old = age >= 67
    alone = np.where(old, R.LIVES_ALONE_SHARE_OLD, 0.4)
    household = np.where(age < 18, 3, np.where(u[:, HOUSEHOLD] < alone, 1, 2))
    ys = np.full(n, world.year_start)
    dentist = np.where(old & (u[:, DENTIST] < 0.4), uniform_day(u[:, DENTIST_DAY], ys, line.last),
                       0)
    doctor = np.where(u[:, DOCTOR] < 0.5, uniform_day(u[:, DOCTOR_DAY], ys, line.last), 0)
    plan = np.where((age < 50) & (u[:, PLAN_YOUNG] < 0.3), 1,
                    np.where(u[:, PLAN] < 0.7, 2, 4))
    scores = _scores(world, u, group, age, long_term)
    d_person, d_system, d_code, d_start = _diagnoses(u, age, line.earliest, assessed)
    first_date, changed = _person_dates(world, services, assessed, d_person, d_start,
                                        line.death, n)
    return Block(first, n, ident, None, home_kommune, bydel, line.death, assessed, end,
                 first_date, changed, u[:, PO] < R.PERSONOPPL_SHARE, household,
                 uniform_day(u[:, PRIVATE_HELP], 1, 6), dentist,
                 doctor, plan, scores, services, d_person, d_system, d_code, d_start)


def _homes(world: World, u: FloatArray) -> tuple[list[str], list[str]]:
    """Home kommune and bydel of each person."""
    n = len(u)
    if world.spec.bydel is not None:
        bydel = [world.spec.bydel] * n
    elif world.bydeler:
        pick = (u[:, BYDEL] * len(world.bydeler)).astype(np.int64)
        bydel = np.array(world.bydeler, dtype=object)[pick].tolist()
    else:
        bydel = ["00"] * n
    kommune = [world.kommune] * n
    if world.other_kommuner:
        elsewhere = np.flatnonzero(u[:, OTHER_HOME] < R.OTHER_HOME_KOMMUNE_SHARE)
        for person in elsewhere.tolist():
            other = world.other_kommuner[int(u[person, OTHER_KOMMUNE]
                                             * len(world.other_kommuner))]
            districts = world.bydeler_of(other)
            kommune[person] = other
            bydel[person] = (districts[int(u[person, OTHER_BYDEL] * len(districts))]
                             if districts else "00")
    return kommune, bydel


def _scores(world: World, u: FloatArray, group: IntArray, age: IntArray,
            institution: BoolArray) -> npt.NDArray[np.int8]:
    """One score per functional variable: a latent need (age, institution, noise) plus each
    variable's offset; sight and hearing on their own scales; 9 where not relevant."""
    variables = np.array(world.variables)
    offsets = np.array([offset for _, offset in world.variable_offsets])
    count = len(variables)
    draws = u[:, SCORE:SCORE + 2 * count:2]
    levels = u[:, SCORE + 1:SCORE + 2 * count:2]
    need = (np.array(R.NEED_BASE)[group] + np.where(institution, R.NEED_INSTITUTION, 0.0)
            + _NEED_NOISE[(u[:, NEED] * _STEPS).astype(np.int64)])
    raw = need[:, None] + offsets + _NOISE[(draws * _STEPS).astype(np.int64)]
    scaled = 1 + (np.clip(raw, 0.0, 0.999) * 5).astype(np.int64)
    sensory = np.isin(variables, (13, 14))
    not_relevant = (age[:, None] < R.CHILD_NOT_RELEVANT_AGE) & np.isin(variables, (2, 6, 9, 18))
    on_scale = ~sensory & ~not_relevant
    # Local practice: a person with a service has at least one score of 3 or more.
    top = np.where(on_scale, scaled, 0).max(axis=1)
    best = np.where(on_scale, raw, -9.0).argmax(axis=1)
    lift = (top < 3) & on_scale.any(axis=1)
    scaled[np.flatnonzero(lift), best[lift]] = 3
    reduced_p = np.minimum(1.0, np.array(R.SENSORY_REDUCED)[group]
                           + np.where(institution, 0.1, 0.0))
    level = 2 + np.minimum(np.searchsorted(_SENSORY_CUM, levels, "right"), 3)
    sensory_score = np.where(draws < reduced_p[:, None], level, 1)
    scores = np.where(sensory, sensory_score, np.where(not_relevant, 9, scaled))
    return scores.astype(np.int8)


def _diagnoses(u: FloatArray, age: IntArray, earliest: IntArray, assessed: IntArray
               ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Up to three diagnoses per person (never the same code twice), as flat rows."""
    count = np.minimum(np.searchsorted(_DIAGNOSIS_CUM, u[:, DIAGNOSIS_COUNT], "right"), 3)
    stage = np.where(age < 18, 0, np.where(age < 67, 1, 2))
    systems: list[IntArray] = []
    codes: list[IntArray] = []
    starts: list[IntArray] = []
    keep: list[BoolArray] = []
    low = np.maximum(earliest, assessed - 3 * 365)
    for slot in range(3):
        base = DIAGNOSIS + 3 * slot
        system = (u[:, base] >= R.ICPC2_SHARE).astype(np.int64)  # 0 ICPC-2, 1 ICD-10
        code = np.zeros(len(u), dtype=np.int64)
        for s in range(3):
            for y in range(2):
                at = (stage == s) & (system == y)
                if at.any():
                    table = _CODE_LISTS[s][y]
                    code[at] = table[(u[at, base + 1] * len(table)).astype(np.int64)]
        used = slot < count
        for earlier in range(slot):
            used &= ~(keep[earlier] & (codes[earlier] == code))
        systems.append(system)
        codes.append(code)
        starts.append(uniform_day(u[:, base + 2], low, assessed))
        keep.append(used)
    kept = np.stack(keep, axis=1)
    person = np.nonzero(kept)[0]
    return (person, np.stack(systems, axis=1)[kept], np.stack(codes, axis=1)[kept],
            np.stack(starts, axis=1)[kept])


def _person_dates(world: World, services: Services, assessed: IntArray, d_person: IntArray,
                  d_start: IntArray, death: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """peFraDato (the first date on record) and peEndrDato (the last change in the year)."""
    ys, ye = world.year_start, world.year_end
    s = services
    persons = np.concatenate([np.repeat(s.person, 6), np.arange(n), d_person])
    dates = np.concatenate([
        np.stack([s.applied, s.decided, s.start, s.end, s.appeal_received,
                  s.appeal_answered], axis=1).ravel(), assessed, d_start])
    real = (dates > 0) & (dates != OPEN)
    first = np.full(n, OPEN)
    np.minimum.at(first, persons[real], dates[real])
    first = np.maximum(FIRST_DATE, first)
    in_year = real & (dates >= ys) & (dates <= ye)
    changed = np.zeros(n, dtype=np.int64)
    np.maximum.at(changed, persons[in_year], dates[in_year])
    changed = np.where(changed > 0, changed, first)
    return first, np.maximum(changed, death)
