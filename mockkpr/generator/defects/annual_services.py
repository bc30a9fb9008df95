"""Injectors for TJENESTE rows of an annual PERSON (the service decisions).

Each takes one service nothing else has claimed (:func:`annual_rows.pick`) and changes one
field, chosen so that only its rule fires: a required field is left out only where the
service type needs it (and, for the granted-only rules, only on a granted decision); a
service type that lacks the field a rule needs gets a complete decision of another type
turned into that type (respite in an institution, housing); dates are moved so that the
other order rules stay in order.
"""

from __future__ import annotations

from collections.abc import Callable

from mockkpr.generator.defects.annual_rows import pick, wrong_orgnr
from mockkpr.generator.defects.registry import ANNUAL, Target, injector
from mockkpr.generator.defects.units import Hit, PersonUnit, d8, is_date
from mockkpr.generator.rows import FIRST_DATE, Service
from mockkpr.iplos.formats import Generation
from mockkpr.iplos.rules.annual_common import (
    NEEDS_HOURS,
    NEEDS_ORGNR,
    NEEDS_SOKNADDATO,
    NEEDS_VEDTAK,
    NEEDS_VEDTDATO,
    NO_ORGNR,
)


# ----------------------------------------------------------------------- helpers
def granted(service: Service) -> bool:
    """As the validator reads it: tjVedtak 2, or none where the type needs none."""
    if service.decision is not None:
        return service.decision == 2
    return str(service.type) not in NEEDS_VEDTAK


def _tj(unit: PersonUnit, variant: int, fits: Callable[[Service], bool]
        ) -> tuple[int, Service] | None:
    found = pick(unit, "TJENESTE", variant,
                 lambda row: isinstance(row, Service) and fits(row))
    if found is None:
        return None
    row_id, row = found
    assert isinstance(row, Service)
    return row_id, row


def _tj_hit(unit: PersonUnit, row_id: int, field: str, value: str | None) -> Hit:
    return Hit(f"{unit.row_path('TJENESTE', row_id)}/{field}", value)


# ----------------------------------------------------------------------- TJENESTE
@injector("TJ-TJENTYPE-FORMAT", Target.PERSON, ANNUAL,
          "tjTjenType of one service set to 100 (an xs:short, not 1-2 digits)")
def _type_format(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: True)
    if found is None:
        return None
    found[1].override("tjTjenType", "100")
    return _tj_hit(unit, found[0], "tjTjenType", "100")


@injector("TJ-TJENTYPE-CODE", Target.PERSON, ANNUAL,
          "tjTjenType of one service set to 10 (no such code in 9151); the type-dependent "
          "rules then skip the row")
def _type_code(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: True)
    if found is None:
        return None
    found[1].override("tjTjenType", "10")
    return _tj_hit(unit, found[0], "tjTjenType", "10")


@injector("TJ-VEDTAK-CODE", Target.PERSON, ANNUAL, "tjVedtak of one decision set to 3")
def _decision_code(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: s.decision is not None)
    if found is None:
        return None
    found[1].override("tjVedtak", "3")
    return _tj_hit(unit, found[0], "tjVedtak", "3")


@injector("TJ-VEDTAK-REQUIRED", Target.PERSON, ANNUAL,
          "tjVedtak left out of a service whose type needs it (what was decided is then "
          "unknown, so the granted-only rules skip the row)")
def _decision_required(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: s.decision is not None
                and str(s.type) in NEEDS_VEDTAK)
    if found is None:
        return None
    found[1].decision = None
    return _tj_hit(unit, found[0], "tjVedtak", None)


@injector("TJ-SOKNADDATO-REQUIRED", Target.PERSON, ANNUAL,
          "tjSoknadDato left out of a service whose type needs it")
def _application_required(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: s.applied is not None
                and str(s.type) in NEEDS_SOKNADDATO)
    if found is None:
        return None
    found[1].applied = None
    return _tj_hit(unit, found[0], "tjSoknadDato", None)


@injector("TJ-VEDTDATO-REQUIRED", Target.PERSON, ANNUAL,
          "tjVedtDato left out of a service whose type needs it (2018: of any service; the "
          "schema's error)")
def _decision_date_required(unit: PersonUnit, variant: int) -> Hit | None:
    every = unit.world.spec.generation is Generation.ANNUAL_2018
    found = _tj(unit, variant, lambda s: s.decided is not None
                and (every or str(s.type) in NEEDS_VEDTDATO))
    if found is None:
        return None
    found[1].decided = None
    return _tj_hit(unit, found[0], "tjVedtDato", None)


@injector("TJ-TIMERUKE-REQUIRED", Target.PERSON, ANNUAL,
          "tjTimerUke left out of a granted service whose type needs it")
def _hours_required(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: s.hours is not None and granted(s)
                and str(s.type) in NEEDS_HOURS)
    if found is None:
        return None
    found[1].hours = None
    return _tj_hit(unit, found[0], "tjTimerUke", None)


TOO_MANY_HOURS = ("200.00", "168.25", "999.99")


@injector("TJ-TIMERUKE-RANGE", Target.PERSON, ANNUAL,
          "tjTimerUke of one service set above 168 (a value the schema accepts)")
def _hours_range(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: s.hours is not None)
    if found is None:
        return None
    value = TOO_MANY_HOURS[variant % len(TOO_MANY_HOURS)]
    found[1].override("tjTimerUke", value)
    return _tj_hit(unit, found[0], "tjTimerUke", value)


@injector("TJ-RESTIMERUKE-RANGE", Target.PERSON, ANNUAL,
          "tjResTimerUke of one service with hours set (or added) outside 0.01-168")
def _two_staff_range(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: s.hours is not None)
    if found is None:
        return None
    value = ("170.00", "0.00")[variant % 2]
    found[1].override("tjResTimerUke", value)
    return _tj_hit(unit, found[0], "tjResTimerUke", value)


@injector("TJ-RULLERENDE-CODE", Target.PERSON, ANNUAL,
          "tjRullerende of one service set (or added) to 3 (1101 has 1 and 2)")
def _rolling_code(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: True)
    if found is None:
        return None
    found[1].override("tjRullerende", "3")
    return _tj_hit(unit, found[0], "tjRullerende", "3")


def _respite_source(service: Service) -> bool:
    """A decision that stays complete as respite in an institution (8)."""
    return (service.applied is not None and service.decided is not None
            and service.decision is not None and (service.orgnr is not None
                                                  or not granted(service)))


@injector("TJ-RULLERENDE-REQUIRED", Target.PERSON, ANNUAL,
          "tjRullerende left out of respite in an institution (8); a person without one has "
          "a complete decision of another type turned into 8")
def _rolling_required(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: (s.type == 8 and s.rolling is not None)
                or (s.type != 8 and _respite_source(s)))
    if found is None:
        return None
    row_id, service = found
    service.type, service.rolling = 8, None
    return _tj_hit(unit, row_id, "tjRullerende", None)


@injector("TJ-ORGNR-REQUIRED", Target.PERSON, ANNUAL,
          "tjInstOrgnr left out of a granted service whose type needs it")
def _orgnr_required(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: s.orgnr is not None and granted(s)
                and str(s.type) in NEEDS_ORGNR)
    if found is None:
        return None
    found[1].orgnr = None
    return _tj_hit(unit, found[0], "tjInstOrgnr", None)


@injector("TJ-ORGNR-FORBIDDEN", Target.PERSON, ANNUAL,
          "a provider orgnr on housing (2018: 12 omsorgsbolig, 2019: 29): added to such a "
          "service, or a complete decision with an orgnr turned into that type")
def _orgnr_forbidden(unit: PersonUnit, variant: int) -> Hit | None:
    housing = 12 if unit.world.spec.generation is Generation.ANNUAL_2018 else 29

    def convertible(s: Service) -> bool:
        if s.type == housing:
            return s.orgnr is None
        needs = str(housing) in NEEDS_SOKNADDATO
        return s.orgnr is not None and (not needs or (
            s.applied is not None and s.decided is not None and s.decision is not None))

    found = _tj(unit, variant, convertible)
    if found is None:
        return None
    row_id, service = found
    if service.orgnr is None:
        service.orgnr = unit.world.providers.other_units[0]
    service.type = housing
    return _tj_hit(unit, row_id, "tjInstOrgnr", service.orgnr)


@injector("TJ-INSTORGNR-FORMAT", Target.PERSON, ANNUAL,
          "tjInstOrgnr of one service given a wrong check digit")
def _orgnr_format(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: s.orgnr is not None and str(s.type) not in NO_ORGNR)
    if found is None:
        return None
    assert found[1].orgnr is not None
    value = wrong_orgnr(found[1].orgnr)
    found[1].orgnr = value
    return _tj_hit(unit, found[0], "tjInstOrgnr", value)


@injector("TJ-VENR-RANGE", Target.PERSON, ANNUAL, "tjVeNrID of one decision set to 0")
def _series_number(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: s.series_no is not None)
    if found is None:
        return None
    found[1].override("@tjVeNrID", "0")
    return _tj_hit(unit, found[0], "@tjVeNrID", "0")


@injector("TJ-PERIOD-OUTSIDE-YEAR", Target.PERSON, ANNUAL,
          "a service moved to end on 31 December before the year (its start moved a month "
          "earlier when needed, so that the period stays in order)")
def _period_outside(unit: PersonUnit, variant: int) -> Hit | None:
    end = unit.world.year_start - 1
    found = _tj(unit, variant, lambda s: is_date(s.start) and s.end is not None
                and min(s.start or 0, end - 31) >= FIRST_DATE)
    if found is None:
        return None
    row_id, service = found
    assert service.start is not None
    service.start = min(service.start, end - 31)
    service.end = end
    return _tj_hit(unit, row_id, "tjTilDato", d8(end))


@injector("TJ-DATE-ORDER-DECISION", Target.PERSON, ANNUAL,
          "tjVedtDato moved to the day before tjSoknadDato")
def _decided_before_applied(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: is_date(s.applied) and s.decided is not None
                and (s.applied or 0) - 1 >= FIRST_DATE)
    if found is None:
        return None
    row_id, service = found
    assert service.applied is not None
    service.decided = service.applied - 1
    return _tj_hit(unit, row_id, "tjVedtDato", d8(service.decided))


@injector("TJ-DATE-ORDER-PERIOD", Target.PERSON, ANNUAL,
          "tjTilDato moved to the day before tjFraDato (TJ-PERIOD-OUTSIDE-YEAR skips a "
          "reversed period)")
def _ends_before_start(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: is_date(s.start) and s.end is not None
                and (s.start or 0) - 1 >= FIRST_DATE)
    if found is None:
        return None
    row_id, service = found
    assert service.start is not None
    service.end = service.start - 1
    return _tj_hit(unit, row_id, "tjTilDato", d8(service.end))


@injector("TJ-DATE-ORDER-APPEAL", Target.PERSON, ANNUAL,
          "tjKlageMottatt set (or added) to the day before tjVedtDato")
def _appeal_before_decision(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: is_date(s.decided)
                and (s.decided or 0) - 1 >= FIRST_DATE)
    if found is None:
        return None
    row_id, service = found
    assert service.decided is not None
    service.appeal_received = service.decided - 1
    return _tj_hit(unit, row_id, "tjKlageMottatt", d8(service.appeal_received))


@injector("TJ-DATE-ORDER-APPEAL-ANSWER", Target.PERSON, ANNUAL,
          "tjKlageBesvart set (or added) to the day before tjKlageMottatt (an appeal received "
          "on the decision day is added where there is none)")
def _answer_before_appeal(unit: PersonUnit, variant: int) -> Hit | None:
    found = _tj(unit, variant, lambda s: is_date(s.decided)
                and (s.appeal_received or s.decided or 0) - 1 >= FIRST_DATE)
    if found is None:
        return None
    row_id, service = found
    received = service.appeal_received or service.decided
    assert received is not None
    service.appeal_received, service.appeal_answered = received, received - 1
    return _tj_hit(unit, row_id, "tjKlageBesvart", d8(received - 1))
