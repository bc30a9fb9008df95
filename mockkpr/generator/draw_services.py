"""Drawing the services (TJENESTE rows) of a block of annual persons at once (NumPy).

The story of one person, vectorised over the block: which service types it has decisions on,
its time line (an optional long-term admission, before or during the year, an optional
death), then one row per decision: granted (period, decision dates, provider, hours, appeal)
or refused (application, decision, hours applied for, appeal), and for some ongoing home
services a renewal in the same series. Every date keeps the rules of iplos-format.md §4:
between 2005-01-01 and 31.12 of the year (or ``99991231`` for an open end), application ≤
decision ≤ start ≤ end, appeal received ≥ decision, answered ≥ received, nothing after a
death, nothing before birth (+30 days), and every service overlaps the reporting year.

Absent values are 0 in the columns (dates are ordinals, hours hundredths ≥ 25), providers an
index into :meth:`Providers.all` or -1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mockkpr.generator import realism as R
from mockkpr.generator.model import NORMAL_TABLE, World
from mockkpr.generator.rows import FIRST_DATE, OPEN
from mockkpr.iplos.formats import Generation
from mockkpr.refdata import codelists

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

TYPES = tuple(R.SERVICE_MIX)
"""Every type the generator knows, in the order a person's services are written."""
_COLUMN = {t: n for n, t in enumerate(TYPES)}

# Columns of the per-service draws.
(ONGOING, START, LENGTH, ENDED, END_DAY, ORG_OPTIONAL, ORG, DECISION6, APPLIED, DECIDED,
 HOURS, TWO, TWO_HOURS, ROLLING, APPEAL, APPEAL_RECEIVED, APPEAL_ANSWERED, ANSWERED,
 EXTEND, CUT, X_APPLIED, X_DECIDED, X_HOURS, X_TWO, X_TWO_HOURS, X_ROLLING,
 DG, DG_ORG, X_DG, X_DG_ORG) = range(30)
ROW_SLOTS = 30

_STEPS = len(NORMAL_TABLE)
_HOURS_FACTOR = np.array([math.exp(v * R.HOURS_SPREAD) for v in NORMAL_TABLE])
"""exp(gauss x spread) for each step of the normal quantile table (computed once, in
Python's math, so that NumPy's vectorised exp never decides a value)."""


_IN: dict[frozenset[int], BoolArray] = {}


def _in(types: IntArray, members: frozenset[int] | set[int] | tuple[int, ...]) -> BoolArray:
    """``types`` in ``members``, by a look-up table per set of types."""
    key = frozenset(members)
    table = _IN.get(key)
    if table is None:
        table = _IN[key] = np.isin(np.arange(max(TYPES) + 1), np.array(sorted(key)))
    return table[types]


def _table(values: dict[int, float], default: float = 0.0) -> FloatArray:
    return np.array([values.get(t, default) for t in range(max(TYPES) + 1)])


_REFUSAL = _table(dict(R.REFUSAL_SHARE))
_APPEAL_REFUSED = _table(dict(R.APPEAL_SHARE_REFUSED), 0.02)
_STAY_LOW = np.array([R.SHORT_STAY_DAYS.get(t, (0, 0))[0] for t in range(max(TYPES) + 1)])
_STAY_HIGH = np.array([R.SHORT_STAY_DAYS.get(t, (0, 0))[1] for t in range(max(TYPES) + 1)])
_HOURS_MEDIAN = np.array([R.HOURS_MEDIAN.get(t, (1.0,) * len(R.AGE_GROUPS))
                          for t in range(max(TYPES) + 1)])


def uniform_day(u: FloatArray, low: IntArray | int, high: IntArray | int) -> IntArray:
    """A day between ``low`` and ``high`` inclusive (``low`` when the range is empty)."""
    span = np.asarray(high - low + 1)
    return np.where(span <= 1, low, low + (u * np.maximum(span, 1)).astype(np.int64))


@dataclass
class Timeline:
    """Per person: the bounds within which its services can lie."""

    earliest: IntArray
    long_term: BoolArray
    long_term_ongoing: BoolArray
    admission: IntArray
    """0 without a long-term admission."""
    death: IntArray
    """0 when the person lives through the year."""
    last: IntArray
    """The last day anything can happen in the year."""
    home_limit: IntArray
    """The last day of home-based services (the day before a long-term admission)."""


def mix_table(world: World) -> FloatArray:
    """Probability per age group (rows) and type (columns of :data:`TYPES`) of a decision,
    0 for types not valid in the year (and, for 56.0.0, not in scope)."""
    event = world.spec.generation is Generation.EVENT_56
    return np.array([[R.SERVICE_MIX[t][g] if codelists.SERVICE_TYPE.valid(t, world.year)
                      and (not event or t in R.EVENT_SERVICE_TYPES) else 0.0
                      for t in TYPES] for g in range(len(R.AGE_GROUPS))])


def choose_types(u_choose: FloatArray, u_pick: FloatArray, group: IntArray,
                 mix: FloatArray) -> BoolArray:
    """Persons x types: the types each person has decisions on (at least one; one kind of
    housing at most, the first)."""
    p = mix[group]
    chosen = u_choose < p
    none = ~chosen.any(axis=1)
    if none.any():
        cum = np.cumsum(p[none], axis=1)
        at = (cum > (u_pick[none] * cum[:, -1])[:, None]).argmax(axis=1)
        chosen[np.flatnonzero(none), at] = True
    housing = np.array([t in R.HOUSING_TYPES for t in TYPES])
    extra = chosen & housing & (np.cumsum(chosen & housing, axis=1) > 1)
    chosen &= ~extra
    return chosen


def timeline(world: World, u_ongoing: FloatArray, u_admission: FloatArray,
             u_death: FloatArray, u_death_day: FloatArray, birth: IntArray, group: IntArray,
             long_term: BoolArray) -> Timeline:
    ys, ye = world.year_start, world.year_end
    earliest = np.maximum(FIRST_DATE, birth + 30)
    ongoing = long_term & (earliest < ys) & (u_ongoing < R.ONGOING_SHARE)
    admission = np.where(
        ongoing, uniform_day(u_admission, np.maximum(earliest, ys - 5 * 365), ys - 1),
        uniform_day(u_admission, np.maximum(ys, earliest) + 30, ye - 14))
    admission = np.where(long_term, admission, 0)
    mortality = np.where(long_term, R.DEATH_SHARE_LONG_TERM, np.array(R.DEATH_SHARE)[group])
    low = np.where(admission >= ys, admission + 20, np.maximum(ys, earliest) + 20)
    dies = (u_death < mortality) & (low <= ye)
    death = np.where(dies, uniform_day(u_death_day, low, ye), 0)
    last = np.where(dies, death, ye)
    home_limit = np.where(long_term, np.minimum(admission - 1, last), last)
    return Timeline(earliest, long_term, ongoing, admission, death, last, home_limit)


@dataclass
class Services:
    """The TJENESTE rows of a block, person by person in writing order."""

    person: IntArray
    type: IntArray
    series_no: IntArray
    """1 or 2 (a renewal in the series of the row before); 0: no decision series."""
    applied: IntArray
    decided: IntArray
    decision: IntArray
    hours: IntArray
    two_staff: IntArray
    rolling: IntArray
    orgnr: IntArray
    start: IntArray
    end: IntArray
    appeal_received: IntArray
    appeal_answered: IntArray
    round_the_clock: BoolArray
    """The row has a DOGNTILBUD (round-the-clock offer)..."""
    dg_orgnr: IntArray
    """... at this provider."""


class _Drawer:
    """The services of candidate (person, type) pairs; refused or granted."""

    def __init__(self, world: World, line: Timeline, group: IntArray) -> None:
        self.world, self.line, self.group = world, line, group
        self.pools = (len(world.providers.institutions), len(world.providers.home_care),
                      len(world.providers.other_units))

    def provider(self, t: IntArray, u_optional: FloatArray, u_pick: FloatArray) -> IntArray:
        n_inst, n_home, n_other = self.pools
        institution = _in(t, R.INSTITUTION_TYPES)
        home = _in(t, {1, 2, 5, 6, 15})
        size = np.where(institution, n_inst, np.where(home, n_home, n_other))
        first = np.where(institution, 0, np.where(home, n_inst, n_inst + n_home))
        orgnr = first + (u_pick * size).astype(np.int64)
        none = _in(t, R.ORGNR_FORBIDDEN)
        if not self.world.orgnr_always:
            none |= _in(t, R.ORGNR_OPTIONAL) & (u_optional >= R.ORGNR_OPTIONAL_SHARE)
        return np.where(none, -1, orgnr)

    def amounts(self, t: IntArray, group: IntArray, u_hours: FloatArray, u_two: FloatArray,
                u_two_hours: FloatArray, u_rolling: FloatArray
                ) -> tuple[IntArray, IntArray, IntArray]:
        """Hours (hundredths, quarter hours), two-staff hours and rolling respite."""
        factor = _HOURS_FACTOR[(u_hours * _STEPS).astype(np.int64)]
        value = np.clip(_HOURS_MEDIAN[t, group] * factor, R.MIN_HOURS, R.MAX_HOURS)
        quarters = np.maximum(1, np.rint(value / R.HOURS_STEP).astype(np.int64))
        needs = _in(t, R.NEEDS_HOURS)
        hours = np.where(needs, quarters * 25, 0)
        extra = 25 * uniform_day(u_two_hours, 2, 40)
        two = np.where(needs & _in(t, {3, 15}) & (u_two < R.TWO_STAFF_SHARE),
                       np.minimum(hours, extra), 0)
        rolling = np.where(_in(t, R.NEEDS_ROLLING),
                           np.where(u_rolling < R.ROLLING_RESPITE_SHARE, 1, 2), 0)
        return hours, two, rolling

    def appeal(self, decided: IntArray, last: IntArray, ok: BoolArray, u: FloatArray
               ) -> tuple[IntArray, IntArray]:
        ys = self.world.year_start
        received = np.maximum(decided, ys) + uniform_day(
            u[:, APPEAL_RECEIVED], 5, 21)
        ok = ok & (received <= last)
        answered = received + uniform_day(u[:, APPEAL_ANSWERED], 7,
                                          42)
        answered_ok = ok & (answered <= last) & (u[:, ANSWERED] < R.APPEAL_ANSWERED_SHARE)
        return np.where(ok, received, 0), np.where(answered_ok, answered, 0)

    def draw(self, p: IntArray, t: IntArray, refused: BoolArray, u: FloatArray) -> Services:
        """Rows for candidates ``p`` (person in the block), ``t`` (type): none, one, or a
        decision and its renewal."""
        world, line = self.world, self.line
        ys, ye = world.year_start, world.year_end
        g = self.group[p]
        earliest, last, admission = line.earliest[p], line.last[p], line.admission[p]
        home_limit, lt_ongoing = line.home_limit[p], line.long_term_ongoing[p]
        long_term_type = t == 21
        short = _in(t, R.SHORT_STAY_TYPES)
        may_be_ongoing = (earliest < ys) & (u[:, ONGOING] < R.ONGOING_SHARE)
        ongoing = np.where(long_term_type, lt_ongoing, ~short & may_be_ongoing)
        w0 = np.where(long_term_type, admission, np.maximum(ys, earliest))
        w1 = np.where(long_term_type, last, home_limit)
        granted = ~refused & ~(lt_ongoing & ~long_term_type) & \
            ~((w1 < w0) & ~(ongoing & (w1 >= ys)))
        # period
        start = np.where(long_term_type, w0, np.where(
            ongoing, uniform_day(u[:, START], np.maximum(earliest, ys - 5 * 365),
                                 ys - 1),
            uniform_day(u[:, START], w0, w1)))
        stay_end = start + uniform_day(u[:, LENGTH], _STAY_LOW[t], _STAY_HIGH[t])
        stay_end = np.where(stay_end <= w1, stay_end, np.where(w1 == ye, OPEN, w1))
        ended = ~long_term_type & (u[:, ENDED] < R.ENDED_IN_YEAR_SHARE)
        end = np.where(short, stay_end, np.where(
            w1 < ye, w1, np.where(ended, uniform_day(u[:, END_DAY], np.maximum(start, ys),
                                                     ye), OPEN)))
        # refusal dates: application in the year, decision 3-30 days later
        r_low = np.maximum(ys, earliest)
        r_applied = uniform_day(u[:, APPLIED], r_low, np.maximum(r_low, last - 10))
        r_decided = np.minimum(last, r_applied + uniform_day(
            u[:, DECIDED], 3, 30))
        # granted decision dates
        with_decision = _in(t, R.NEEDS_DECISION_DATE) | ((t == 6) & (u[:, DECISION6] < 0.5))
        if world.spec.generation is Generation.ANNUAL_2018:
            with_decision[:] = True  # tjVedtDato, tjVeID and tjVeNrID are required in 2018
        applies = _in(t, R.NEEDS_APPLICATION) | (t == 6)
        g_applied = np.maximum(np.maximum(earliest, FIRST_DATE), start - uniform_day(
            u[:, APPLIED], 7, 60))
        g_decided = np.minimum(start, g_applied + uniform_day(
            u[:, DECIDED], 0, 21))
        g_applied = np.minimum(g_applied, g_decided)
        applied = np.where(refused, r_applied, np.where(with_decision & applies, g_applied, 0))
        decided = np.where(refused, r_decided, np.where(
            with_decision, np.where(applies, g_decided, start), 0))
        decision = np.where(refused, 1, np.where(with_decision, 2, 0))
        series_no = np.where(refused | with_decision, 1, 0)
        orgnr = self.provider(t, u[:, ORG_OPTIONAL], u[:, ORG])
        hours, two, rolling = self.amounts(t, g, u[:, HOURS], u[:, TWO], u[:, TWO_HOURS],
                                           u[:, ROLLING])
        appeal_p = np.where(refused, _APPEAL_REFUSED[t], R.APPEAL_SHARE_GRANTED)
        received, answered = self.appeal(decided, last, (decided > 0) & (u[:, APPEAL] < appeal_p),
                                         u)
        # renewal of an ongoing home service in the same series
        last_day = np.minimum(end, ye)
        cut_low = np.maximum(ys + 30, decided + 1)
        extend = granted & ongoing & ~long_term_type & _in(t, R.NEEDS_APPLICATION) & \
            (u[:, EXTEND] < R.EXTENSION_SHARE) & (last_day - cut_low >= 14)
        cut = uniform_day(u[:, CUT], cut_low, last_day - 7)
        x_applied = np.maximum(decided, cut - uniform_day(u[:, X_APPLIED], 7,
                                                          30))
        x_decided = np.minimum(cut, x_applied + uniform_day(u[:, X_DECIDED], 0,
                                                            14))
        x_hours, x_two, x_rolling = self.amounts(t, g, u[:, X_HOURS], u[:, X_TWO],
                                                 u[:, X_TWO_HOURS], u[:, X_ROLLING])
        keep = granted | (refused & ~(lt_ongoing & ~long_term_type))
        count = keep.astype(np.int64) + extend
        at = np.repeat(np.arange(len(p)), count)
        second = np.zeros(len(at), dtype=bool)
        second[1:] = at[1:] == at[:-1]
        first_end = np.where(extend, cut - 1, end)

        def pick(first: IntArray, renewal: IntArray | None = None) -> IntArray:
            values = first[at]
            return values if renewal is None else np.where(second, renewal[at], values)

        refused_row = refused[at]
        tt = t[at]
        round_the_clock = ~refused_row & (
            (tt == 21) | (_in(tt, {12, 29}) & (
                np.where(second, u[at, X_DG], u[at, DG]) < R.STAFFED_HOUSING_SHARE)))
        inst_pick = (np.where(second, u[at, X_DG_ORG], u[at, DG_ORG])
                     * self.pools[0]).astype(np.int64)
        row_orgnr = orgnr[at]
        return Services(
            person=p[at], type=tt,
            series_no=np.where(second, 2, series_no[at]),
            applied=pick(applied, x_applied), decided=pick(decided, x_decided),
            decision=np.where(second, 2, decision[at]),
            hours=pick(hours, x_hours), two_staff=pick(two, x_two),
            rolling=pick(rolling, x_rolling), orgnr=row_orgnr,
            start=np.where(refused_row, 0, pick(start, cut)),
            end=np.where(refused_row, 0, pick(first_end, end)),
            appeal_received=np.where(second, 0, received[at]),
            appeal_answered=np.where(second, 0, answered[at]),
            round_the_clock=round_the_clock,
            dg_orgnr=np.where(row_orgnr >= 0, row_orgnr, inst_pick))


def concat(parts: list[Services]) -> Services:
    """The rows of several draws, person by person (each part is in person order)."""
    names = list(Services.__dataclass_fields__)
    joined = {name: np.concatenate([getattr(part, name) for part in parts]) for name in names}
    order = np.argsort(joined["person"], kind="stable")
    return Services(**{name: values[order] for name, values in joined.items()})


def draw_services(world: World, line: Timeline, group: IntArray, chosen: BoolArray,
                  refused: BoolArray, draws: Callable[[int], FloatArray]) -> Services:
    """Every service row of a block. ``draws(n)`` gives the next ``n`` lines of
    :data:`ROW_SLOTS` draws: one per chosen (person, type) in person-major order, then one per
    person left without a service (every window closed), who gets a home-care decision."""
    drawer = _Drawer(world, line, group)
    p, column = np.nonzero(chosen)
    t = np.array(TYPES)[column]
    main = drawer.draw(p, t, refused[p, column], draws(len(p)))
    missing = np.flatnonzero(np.bincount(main.person, minlength=len(group)) == 0)
    if not len(missing):
        return main
    extra = drawer.draw(missing, np.full(len(missing), 15), np.zeros(len(missing), bool),
                        draws(len(missing)))
    if len(np.unique(extra.person)) != len(missing):
        raise AssertionError("a person without any service that could be placed")
    return concat([main, extra])
