"""One person's year of care for the annual formats: services, scores, diagnoses, situation.

The person's story is drawn on a small time line: an optional long-term admission (before or
during the year), an optional death, home services and housing before the admission,
time-limited stays in between, refusals and appeals. Every date keeps the rules of
iplos-format.md §4: between 2005-01-01 and 31.12 of the year (or ``99991231`` for an open end),
application ≤ decision ≤ start ≤ end, appeal received ≥ decision, answered ≥ received, nothing
after a death, nothing before birth, and every service overlaps the reporting year.
"""

from __future__ import annotations

import random

from mockkpr.generator import realism as R
from mockkpr.generator.model import NORMAL_TABLE, ROW_ID_FACTOR, World, gauss, uniform_day
from mockkpr.generator.rows import (
    FIRST_DATE,
    OPEN,
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

_NOT_RELEVANT_FOR_CHILDREN = frozenset({2, 6, 9, 18})
_SENSORY_WEIGHTS = (0.6, 0.25, 0.1, 0.05)  # scores 2..5 once reduced (assumption)
_DIGITS = ("0", "1", "2", "3", "4", "5")


class _Ids:
    """Row ids of one person: key x 32 + a running number per row kind."""

    __slots__ = ("base", "next")

    def __init__(self, key: int) -> None:
        self.base = key * ROW_ID_FACTOR
        self.next: dict[str, int] = {}

    def take_many(self, kind: str, count: int) -> int:
        """Reserve ``count`` consecutive ids; returns the first."""
        first = self.next.get(kind, 1)
        if first + count > ROW_ID_FACTOR:
            raise OverflowError(f"more than {ROW_ID_FACTOR - 1} {kind} rows on one person")
        self.next[kind] = first + count
        return self.base + first

    def take(self, kind: str) -> int:
        n = self.next.get(kind, 1)
        if n >= ROW_ID_FACTOR:
            raise OverflowError(f"more than {ROW_ID_FACTOR - 1} {kind} rows on one person")
        self.next[kind] = n + 1
        return self.base + n


class _Timeline:
    """The bounds within which a person's services can lie."""

    def __init__(self, world: World, identity: Identity, rng: random.Random,
                 long_term: bool) -> None:
        self.year_start, self.year_end = world.year_start, world.year_end
        self.earliest = max(FIRST_DATE, identity.birth + 30)
        self.long_term_ongoing = False
        self.admission: int | None = None
        if long_term:
            if self.earliest < self.year_start and rng.random() < R.ONGOING_SHARE:
                self.long_term_ongoing = True
                self.admission = uniform_day(rng, max(self.earliest, self.year_start - 5 * 365),
                                             self.year_start - 1)
            else:
                self.admission = uniform_day(rng, max(self.year_start, self.earliest) + 30,
                                             self.year_end - 14)
        mortality = R.DEATH_SHARE_LONG_TERM if long_term else R.DEATH_SHARE[identity.group]
        self.death: int | None = None
        if rng.random() < mortality:
            low = max(self.year_start, self.earliest) + 20
            if self.admission is not None and self.admission >= self.year_start:
                low = self.admission + 20
            if low <= self.year_end:
                self.death = uniform_day(rng, low, self.year_end)
        self.last = self.death if self.death is not None else self.year_end
        """The last day anything can happen in the year."""

    def home_limit(self) -> int:
        """The last day of home-based services (the day before a long-term admission)."""
        if self.admission is not None:
            return min(self.admission - 1, self.last)
        return self.last


def draw_annual_person(world: World, index: int) -> Person:
    """Person ``index``'s annual record: rows in schema order, each rule of §4 kept.

    The identity is drawn first and the care draws continue the same stream
    (:meth:`World.identity`), so the person depends on nothing but (seed, index).
    """
    identity = world.identity(index)
    rng = world.current_rng
    group = identity.group
    types = world.choose_types(rng, group)
    refused = {t for t in types if rng.random() < R.REFUSAL_SHARE.get(t, 0.0)}
    line = _Timeline(world, identity, rng, 21 in types and 21 not in refused)
    ids = _Ids(identity.key)
    services: list[Service] = []
    for service_type in types:
        services.extend(_services(world, identity, rng, line, ids, service_type,
                                  refused=service_type in refused))
    if not services:  # every window closed: fall back on a home-care decision
        services.extend(_services(world, identity, rng, line, ids, 15, refused=False))
    assert services, f"person {identity.key}: no service could be placed"
    home_kommune, bydel = world.home(rng)
    assessed = min(s.decided if s.decided is not None else (s.start or line.year_start)
                   for s in services)
    assessed = max(assessed, line.earliest)
    end = line.death if line.death is not None else OPEN
    person = Person(identity, home_kommune, bydel, first_date=0, changed=0, death=line.death,
                    assessed_from=assessed, assessed_to=end)
    institution = any(s.type == 21 and s.granted for s in services)
    if rng.random() < R.PERSONOPPL_SHARE:
        person.situations.append(_situation(world, identity, rng, ids, assessed, end,
                                            line.last))
    person.assessments = _assessments(world, identity, rng, ids, institution)
    person.services = services
    person.diagnoses = _diagnoses(identity, rng, ids, line.earliest, assessed, end)
    person.round_the_clock = _round_the_clock(world, rng, ids, services)
    _set_person_dates(world, person)
    return person


# ---------------------------------------------------------------------- services
def _services(world: World, identity: Identity, rng: random.Random, line: _Timeline,
              ids: _Ids, service_type: int, *, refused: bool) -> list[Service]:
    group = identity.group
    if line.long_term_ongoing and service_type != 21:
        return []  # in long-term care all year: no home services, no other stays
    if refused:
        return [_refusal(world, identity, rng, line, ids, service_type)]
    if service_type == 21:
        assert line.admission is not None
        window = (line.admission, line.last)
        ongoing = line.long_term_ongoing
    elif service_type in R.SHORT_STAY_TYPES or service_type in (8, 17, 22):
        window = (max(line.year_start, line.earliest), line.home_limit())
        ongoing = service_type not in R.SHORT_STAY_TYPES and _ongoing(rng, line)
    else:
        window = (max(line.year_start, line.earliest), line.home_limit())
        ongoing = _ongoing(rng, line)
    if window[1] < window[0] and not (ongoing and window[1] >= line.year_start):
        return []
    if service_type == 21:
        start = window[0]
    elif ongoing:
        start = uniform_day(rng, max(line.earliest, line.year_start - 5 * 365),
                            line.year_start - 1)
    else:
        start = uniform_day(rng, window[0], window[1])
    if service_type in R.SHORT_STAY_TYPES:
        low, high = R.SHORT_STAY_DAYS[service_type]
        end = start + uniform_day(rng, low, high)
        end = end if end <= window[1] else (OPEN if window[1] == line.year_end else window[1])
    elif window[1] < line.year_end:
        end = window[1]  # admission or death closes it
    elif service_type != 21 and rng.random() < R.ENDED_IN_YEAR_SHARE:
        end = uniform_day(rng, max(start, line.year_start), line.year_end)
    else:
        end = OPEN
    service = _granted(world, identity, rng, ids, service_type, start, end, line)
    rows = [service]
    if (ongoing and service_type in R.NEEDS_APPLICATION and service_type != 21
            and rng.random() < R.EXTENSION_SHARE):
        rows = _extend(world, group, rng, ids, service, line)
    return rows


def _ongoing(rng: random.Random, line: _Timeline) -> bool:
    return line.earliest < line.year_start and rng.random() < R.ONGOING_SHARE


def _decision_dates(rng: random.Random, start: int, earliest: int) -> tuple[int, int]:
    applied = max(earliest, FIRST_DATE, start - uniform_day(rng, 7, 60))
    decided = min(start, applied + uniform_day(rng, 0, 21))
    return min(applied, decided), decided


def _granted(world: World, identity: Identity, rng: random.Random, ids: _Ids,
             service_type: int, start: int, end: int, line: _Timeline) -> Service:
    row_id = ids.take("tj")
    service = Service(row_id, service_type, start=start, end=end,
                      orgnr=world.provider(rng, service_type))
    with_decision = service_type in R.NEEDS_DECISION_DATE or (
        service_type == 6 and rng.random() < 0.5)
    if world.spec.generation is Generation.ANNUAL_2018:
        with_decision = True  # tjVedtDato, tjVeID and tjVeNrID are required in 2018
    if with_decision:
        service.series, service.series_no = row_id, 1
        if service_type in R.NEEDS_APPLICATION or service_type == 6:
            service.applied, service.decided = _decision_dates(rng, start, line.earliest)
        else:
            service.decided = start
        service.decision = 2
    _fill_amounts(world, identity.group, rng, service)
    if service.decided is not None and rng.random() < R.APPEAL_SHARE_GRANTED:
        _appeal(rng, service, line)
    return service


def _refusal(world: World, identity: Identity, rng: random.Random, line: _Timeline,
             ids: _Ids, service_type: int) -> Service:
    row_id = ids.take("tj")
    low = max(line.year_start, line.earliest)
    high = max(low, line.last - 10)
    applied = uniform_day(rng, low, high)
    decided = min(line.last, applied + uniform_day(rng, 3, 30))
    service = Service(row_id, service_type, series=row_id, series_no=1, applied=applied,
                      decided=decided, decision=1, orgnr=world.provider(rng, service_type))
    # The format requires tjTimerUke (and tjRullerende) for these types whatever the decision:
    # a refusal carries the hours applied for.
    _fill_amounts(world, identity.group, rng, service)
    if rng.random() < R.APPEAL_SHARE_REFUSED.get(service_type, 0.02):
        _appeal(rng, service, line)
    return service


def _fill_amounts(world: World, group: int, rng: random.Random, service: Service) -> None:
    if service.type in R.NEEDS_HOURS:
        service.hours = world.hours(rng, service.type, group)
        if service.type in (3, 15) and rng.random() < R.TWO_STAFF_SHARE:
            service.two_staff_hours = min(service.hours, 25 * uniform_day(rng, 2, 40))
    if service.type in R.NEEDS_ROLLING:
        service.rolling = 1 if rng.random() < R.ROLLING_RESPITE_SHARE else 2


def _appeal(rng: random.Random, service: Service, line: _Timeline) -> None:
    assert service.decided is not None
    received = max(service.decided, line.year_start) + uniform_day(rng, 5, 21)
    if received > line.last:
        return
    service.appeal_received = received
    answered = received + uniform_day(rng, 7, 42)
    if answered <= line.last and rng.random() < R.APPEAL_ANSWERED_SHARE:
        service.appeal_answered = answered


def _extend(world: World, group: int, rng: random.Random, ids: _Ids, first: Service,
            line: _Timeline) -> list[Service]:
    """Split an ongoing decision into the original and its renewal in the same series."""
    assert first.start is not None
    assert first.end is not None
    assert first.decided is not None
    last_day = min(first.end, line.year_end)
    cut_low = max(line.year_start + 30, first.decided + 1)
    if last_day - cut_low < 14:
        return [first]
    cut = uniform_day(rng, cut_low, last_day - 7)
    second = Service(ids.take("tj"), first.type, series=first.series, series_no=2,
                     orgnr=first.orgnr, start=cut, end=first.end, decision=2)
    second.applied = max(first.decided, cut - uniform_day(rng, 7, 30))
    second.decided = min(cut, second.applied + uniform_day(rng, 0, 14))
    _fill_amounts(world, group, rng, second)
    first.end = cut - 1
    return [first, second]


# ---------------------------------------------------------------------- other rows
def _assessments(world: World, identity: Identity, rng: random.Random, ids: _Ids,
                 institution: bool) -> list[ScoreRow | Assessment]:
    """One score per variable: a latent need (age, institution, noise) plus each variable's
    offset; sight and hearing on their own scales; 9 where a variable is not relevant."""
    group = identity.group
    need = R.NEED_BASE[group] + (R.NEED_INSTITUTION if institution else 0.0)
    need += gauss(rng, R.NEED_NOISE)
    sensory_p = min(1.0, R.SENSORY_REDUCED[group] + (0.1 if institution else 0.0))
    rows: list[ScoreRow | Assessment] = []
    append = rows.append
    best_raw, best_at, top = -9.0, -1, 0
    random_ = rng.random
    noise, steps = _item_noise(), len(NORMAL_TABLE)
    first_id = ids.take_many("fn", len(world.variable_offsets))
    plan = _score_plan(world, identity.age < R.CHILD_NOT_RELEVANT_AGE)
    for position, variable, offset, how in plan:
        row_id = first_id + position
        if how == _SCALED:
            raw = need + offset + noise[int(random_() * steps)]
            score = 1 + int((0.0 if raw < 0.0 else (0.999 if raw > 0.999 else raw)) * 5)
            if score > top:
                top = score
            if raw > best_raw:
                best_raw, best_at = raw, position
            append((row_id, variable, _DIGITS[score]))
        elif how == _SENSORY:
            score = 1
            if random_() < sensory_p:
                pick = random_()
                score = 2
                for weight in _SENSORY_WEIGHTS:
                    pick -= weight
                    if pick < 0:
                        break
                    score += 1
                score = min(score, 5)
            append((row_id, variable, _DIGITS[score]))
        else:
            append((row_id, variable, "9"))
    # Local practice: a person with a service has at least one score of 3 or more.
    if top < 3 and best_at >= 0:
        row = rows[best_at]
        assert isinstance(row, tuple)
        rows[best_at] = (row[0], row[1], "3")
    return rows


_SCALED, _SENSORY, _NOT_RELEVANT = 0, 1, 2
_PLANS: dict[tuple[tuple[tuple[int, float], ...], bool],
             tuple[tuple[int, int, float, int], ...]] = {}
_NOISE: list[tuple[float, ...]] = []


def _score_plan(world: World, child: bool) -> tuple[tuple[int, int, float, int], ...]:
    """(position, variable, offset, how) for each functional variable of the year: scored on
    the latent need, on the sensory scale, or 9 (not relevant for a child)."""
    key = (world.variable_offsets, child)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = tuple(
            (position, variable, offset,
             _SENSORY if variable in (13, 14) else
             _NOT_RELEVANT if child and variable in _NOT_RELEVANT_FOR_CHILDREN else _SCALED)
            for position, (variable, offset) in enumerate(world.variable_offsets))
    return plan


def _item_noise() -> tuple[float, ...]:
    """The normal quantile table times the item noise (the products gauss() would make)."""
    if not _NOISE:
        _NOISE.append(tuple(value * R.ITEM_NOISE for value in NORMAL_TABLE))
    return _NOISE[0]


def _diagnoses(identity: Identity, rng: random.Random, ids: _Ids, earliest: int,
               assessed: int, end: int) -> list[Diagnosis]:
    pick = rng.random()
    count = 0
    for weight in R.DIAGNOSIS_COUNT_WEIGHTS:
        pick -= weight
        if pick < 0:
            break
        count += 1
    count = min(count, len(R.DIAGNOSIS_COUNT_WEIGHTS) - 1)
    stage = "child" if identity.age < 18 else ("adult" if identity.age < 67 else "old")
    rows: list[Diagnosis] = []
    used: set[str] = set()
    for _ in range(count):
        system = "ICPC-2" if rng.random() < R.ICPC2_SHARE else "ICD-10"
        codes = R.DIAGNOSES[stage][system]
        code = codes[int(rng.random() * len(codes))]
        if code in used:
            continue
        used.add(code)
        start = uniform_day(rng, max(earliest, assessed - 3 * 365), assessed)
        rows.append(Diagnosis(ids.take("di"), system, code, start, end))
    return rows


def _situation(world: World, identity: Identity, rng: random.Random, ids: _Ids,
               start: int, end: int, last: int) -> Situation:
    old = identity.age >= 67
    if identity.age < 18:
        household = "3"
    else:
        household = "1" if rng.random() < (R.LIVES_ALONE_SHARE_OLD if old else 0.4) else "2"
    values = [("poHusstand", household),
              ("poPrivHjelp", str(uniform_day(rng, 1, 6)))]
    if old and rng.random() < 0.4:
        values.append(("poVurdTann", date8(uniform_day(rng, world.year_start, last))[:6]))
    if rng.random() < 0.5:
        values.append(("poVurdLege", date8(uniform_day(rng, world.year_start, last))[:6]))
    plan = "1" if identity.age < 50 and rng.random() < 0.3 else ("2" if rng.random() < 0.7
                                                                  else "4")
    values.append(("poIndPlan", plan))
    values.append(("poHarKoordinator", "1" if plan == "1" else ("2" if plan == "2" else "4")))
    values.append(("poFraDato", date8(start)))
    values.append(("poTilDato", date8(end)))
    if world.spec.generation is Generation.ANNUAL_2019:
        values.append(("poVenteliste", "2"))
    return Situation(ids.take("po"), values)


def _round_the_clock(world: World, rng: random.Random, ids: _Ids,
                     services: list[Service]) -> list[RoundTheClock]:
    rows: list[RoundTheClock] = []
    for service in services:
        if not service.granted or service.start is None or service.end is None:
            continue
        if service.type == 21 or (service.type in (12, 29)
                                  and rng.random() < R.STAFFED_HOUSING_SHARE):
            orgnr = service.orgnr or world.providers.institutions[
                int(rng.random() * len(world.providers.institutions))]
            rows.append(RoundTheClock(ids.take("dg"), orgnr, service.start, service.end))
    return rows


def _set_person_dates(world: World, person: Person) -> None:
    """peFraDato: the first date on record; peEndrDato: the last change in the year."""
    dates: list[int] = []
    for s in person.services:
        dates.extend(d for d in (s.applied, s.decided, s.start, s.end, s.appeal_received,
                                 s.appeal_answered) if d is not None and d != OPEN)
    dates.append(person.assessed_from)
    dates.extend(d.start for d in person.diagnoses)
    first = max(FIRST_DATE, min(dates))
    in_year = [d for d in dates if world.year_start <= d <= world.year_end]
    person.first_date = first
    person.changed = max(in_year) if in_year else first
    if person.death is not None:
        person.changed = max(person.changed, person.death)
