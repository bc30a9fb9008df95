"""Injectors for the child rows of an annual PERSON (PERSONOPPL, FUNKSJON, TJENESTE,
DIAGNOSE, DOGNTILBUD).

Each takes one row nothing else has claimed and changes one field (or writes the row twice),
so that its rule fires once there. Families that exist for every row kind (dates in range,
date order, id format, duplicate ids) share one parametrised injector. A person without a
DIAGNOSE or DOGNTILBUD gets a valid one to host the defect (nothing in the rules depends on
having one). Values the validator reads are chosen so that the neighbouring rules stay silent:
a date out of range is not also out of order (order rules skip such dates), an appeal moved
before its decision stays before its answer, and so on (see each injector).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from mockkpr.generator.defects.registry import ANNUAL, Y2018, Target, injector
from mockkpr.generator.defects.units import (
    KEY_ATTRIBUTE,
    Hit,
    PersonUnit,
    after_year,
    before_2005,
    d8,
    impossible,
    is_date,
)
from mockkpr.generator.model import ROW_ID_FACTOR
from mockkpr.generator.rows import (
    FIRST_DATE,
    OPEN,
    Assessment,
    Diagnosis,
    Editable,
    RoundTheClock,
    Service,
    Situation,
)
from mockkpr.iplos.formats import Generation
from mockkpr.iplos.rules.annual_common import (
    NEEDS_HOURS,
    NEEDS_ORGNR,
    NEEDS_SOKNADDATO,
    NEEDS_VEDTAK,
    NEEDS_VEDTDATO,
    NO_ORGNR,
)

EXTRA_ELEMENT = "EKSTRA"
DEFECT_TEXT = "defekt"

Row = tuple[int, Editable, Callable[[], Editable]]
"""A child row: its id, a view of it (not to be changed) and how to get it as the editable
object the writer renders (for FUNKSJON rows, kept as plain tuples until a defect needs one)."""


# ----------------------------------------------------------------------- rows of a kind
def rows(unit: PersonUnit, kind: str) -> list[Row]:
    """The rows of ``kind``, free or not."""
    person = unit.person
    if kind == "FUNKSJON":
        out: list[Row] = []
        for position, row in enumerate(person.assessments):
            if isinstance(row, tuple):
                view = Assessment(row[0], row[1], row[2], person.assessed_from,
                                  person.assessed_to)
            else:
                view = row

            def get(position: int = position) -> Editable:
                return person.assessment(position)

            out.append((view.row_id, view, get))
        return out
    listed: list[Situation | Service | Diagnosis | RoundTheClock]
    if kind == "PERSONOPPL":
        listed = list(person.situations)
    elif kind == "TJENESTE":
        listed = list(person.services)
    elif kind == "DIAGNOSE":
        listed = list(person.diagnoses)
    else:
        listed = list(person.round_the_clock)
    return [(row.row_id, row, _same(row)) for row in listed]


def _same(row: Editable) -> Callable[[], Editable]:
    return lambda: row


def free_rows(unit: PersonUnit, kind: str) -> list[Row]:
    return [row for row in rows(unit, kind) if unit.row_free(kind, row[0])]


def _free_id(unit: PersonUnit, kind: str) -> int | None:
    used = {row[0] for row in rows(unit, kind)}
    base = unit.key * ROW_ID_FACTOR
    return next((base + n for n in range(1, ROW_ID_FACTOR) if base + n not in used), None)


def _new_row(unit: PersonUnit, kind: str) -> tuple[int, Diagnosis | RoundTheClock] | None:
    """A new, valid DIAGNOSE or DOGNTILBUD (not yet added) for a person whose rows of the
    kind are taken: a diagnosis A99 or an offer at the first institution, over the
    person's assessment period."""
    row_id = _free_id(unit, kind)
    if row_id is None:
        return None
    person = unit.person
    if kind == "DIAGNOSE":
        return row_id, Diagnosis(row_id, "ICPC-2", "A99", person.assessed_from,
                                 person.assessed_to)
    return row_id, RoundTheClock(row_id, unit.world.providers.institutions[0],
                                 person.assessed_from, person.assessed_to)


def pick(unit: PersonUnit, kind: str, variant: int,
         fits: Callable[[Editable], bool] = lambda row: True) -> tuple[int, Editable] | None:
    """A free row of ``kind`` that ``fits`` (chosen by ``variant``), claimed; for DIAGNOSE and
    DOGNTILBUD a new row when no free one fits."""
    found = [(row_id, get) for row_id, view, get in free_rows(unit, kind) if fits(view)]
    if found:
        row_id, get = found[variant % len(found)]
        row = get()
    elif kind in ("DIAGNOSE", "DOGNTILBUD") and unit.free():
        new = _new_row(unit, kind)
        if new is None or not fits(new[1]):
            return None
        row_id, row = new
        if isinstance(row, Diagnosis):
            unit.person.diagnoses.append(row)
        else:
            unit.person.round_the_clock.append(row)
    else:
        return None
    unit.take(f"{kind}:{row_id}")
    return row_id, row


# ----------------------------------------------------------------------- dates of a row
def _po_date(row: Situation, name: str) -> int | None:
    text = dict(row.values).get(name)
    if text is None or text == "99991231":
        return None if text is None else OPEN
    return date(int(text[:4]), int(text[4:6]), int(text[6:])).toordinal()


def dates(kind: str, row: Editable) -> dict[str, int | None]:
    """The date fields of a row as ordinals (None when absent, OPEN for the open end)."""
    if isinstance(row, Situation):
        return {"poFraDato": _po_date(row, "poFraDato"), "poTilDato": _po_date(row, "poTilDato")}
    if isinstance(row, Service):
        return {"tjSoknadDato": row.applied, "tjVedtDato": row.decided, "tjFraDato": row.start,
                "tjTilDato": row.end, "tjKlageMottatt": row.appeal_received,
                "tjKlageBesvart": row.appeal_answered}
    assert isinstance(row, Assessment | Diagnosis | RoundTheClock)
    prefix = {"FUNKSJON": "fn", "DIAGNOSE": "di", "DOGNTILBUD": "dg"}[kind]
    return {f"{prefix}FraDato": row.start, f"{prefix}TilDato": row.end}


PERIOD = {"PERSONOPPL": ("poFraDato", "poTilDato"), "FUNKSJON": ("fnFraDato", "fnTilDato"),
          "TJENESTE": ("tjFraDato", "tjTilDato"), "DIAGNOSE": ("diFraDato", "diTilDato"),
          "DOGNTILBUD": ("dgFraDato", "dgTilDato")}


def bad_date(unit: PersonUnit, variant: int) -> str:
    """A date every range rule rejects: before 2005, impossible, or after the year."""
    choices = (before_2005(), impossible(unit.world), after_year(unit.world))
    return choices[variant % len(choices)]


# ----------------------------------------------------------------------- families
def _register_date_range(rule_id: str, kind: str) -> None:
    @injector(rule_id, Target.PERSON, ANNUAL,
              f"one date of a {kind} row set before 2005, to a day that does not exist, or "
              "after the year (the date-order rules skip dates the range rule rejects)")
    def apply(unit: PersonUnit, variant: int) -> Hit | None:
        found = pick(unit, kind, variant, lambda row: any(
            d is not None for d in dates(kind, row).values()))
        if found is None:
            return None
        row_id, row = found
        name = [n for n, d in dates(kind, row).items() if d is not None]
        field = name[(variant // 3) % len(name)]
        value = bad_date(unit, variant)
        row.override(field, value)
        return Hit(f"{unit.row_path(kind, row_id)}/{field}", value)


def _register_date_order(rule_id: str, kind: str) -> None:
    start_name, end_name = PERIOD[kind]

    @injector(rule_id, Target.PERSON, ANNUAL,
              f"{end_name} of a {kind} row set to the day before {start_name}")
    def apply(unit: PersonUnit, variant: int) -> Hit | None:
        def fits(row: Editable) -> bool:
            start = dates(kind, row)[start_name]
            return is_date(start) and start is not None and start - 1 >= FIRST_DATE

        found = pick(unit, kind, variant, fits)
        if found is None:
            return None
        row_id, row = found
        start = dates(kind, row)[start_name]
        assert start is not None
        value = d8(start - 1)
        row.override(end_name, value)
        return Hit(f"{unit.row_path(kind, row_id)}/{end_name}", value)


def _register_id_format(rule_id: str, kind: str) -> None:
    key = KEY_ATTRIBUTE[kind]

    @injector(rule_id, Target.PERSON, ANNUAL,
              f"@{key} of a {kind} row made negative (an xs:long, but not 1-10 digits)")
    def apply(unit: PersonUnit, variant: int) -> Hit | None:
        found = pick(unit, kind, variant)
        if found is None:
            return None
        row_id, row = found
        value = f"-{row_id}"
        row.override(f"@{key}", value)
        return Hit(f"{unit.row_path(kind, value)}/@{key}", value)


def _register_duplicate(rule_id: str, kind: str) -> None:
    key = KEY_ATTRIBUTE[kind]

    @injector(rule_id, Target.PERSON, ANNUAL,
              f"a {kind} row written twice (the second has an id used before)")
    def apply(unit: PersonUnit, variant: int) -> Hit | None:
        found = pick(unit, kind, variant)
        if found is None:
            return None
        row_id, row = found
        row.twice = True
        return Hit(f"{unit.row_path(kind, row_id)}/@{key}", str(row_id))


for _prefix, _kind in (("PO", "PERSONOPPL"), ("FN", "FUNKSJON"), ("TJ", "TJENESTE"),
                       ("DI", "DIAGNOSE"), ("DG", "DOGNTILBUD")):
    _register_date_range(f"{_prefix}-DATE-RANGE", _kind)
    _register_id_format(f"{_prefix}-ID-FORMAT", _kind)
    _register_duplicate(f"{_prefix}-ID-DUPLICATE", _kind)
    if _kind != "TJENESTE":
        _register_date_order(f"{_prefix}-DATE-ORDER", _kind)


# ----------------------------------------------------------------------- helpers
def granted(service: Service) -> bool:
    """As the validator reads it: tjVedtak 2, or none where the type needs none."""
    if service.decision is not None:
        return service.decision == 2
    return str(service.type) not in NEEDS_VEDTAK


def wrong_orgnr(orgnr: str) -> str:
    """The organisation number with a wrong check digit."""
    return f"{orgnr[:8]}{(int(orgnr[8]) + 1) % 10}{orgnr[9:]}"


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


# ----------------------------------------------------------------------- PERSONOPPL
PO_ORDER = ("poHusstand", "poOmsorgBarn", "poPrivHjelp", "poBoligTilr", "poVurdTann",
            "poVurdLege", "poIndPlan", "poHarKoordinator")
"""The schema order of the PERSONOPPL fields up to poHarKoordinator."""
PO_BAD_CODES = (("poHusstand", "4"), ("poPrivHjelp", "7"), ("poIndPlan", "0"))


def _po(unit: PersonUnit, variant: int) -> tuple[int, Situation] | None:
    found = pick(unit, "PERSONOPPL", variant)
    if found is None:
        return None
    assert isinstance(found[1], Situation)
    return found[0], found[1]


@injector("PO-CODE", Target.PERSON, ANNUAL,
          "one coded PERSONOPPL field set to a code its list lacks (poHusstand 4, "
          "poPrivHjelp 7 or poIndPlan 0)")
def _po_code(unit: PersonUnit, variant: int) -> Hit | None:
    found = _po(unit, variant)
    if found is None:
        return None
    field, value = PO_BAD_CODES[variant % len(PO_BAD_CODES)]
    found[1].override(field, value)
    return Hit(f"{unit.row_path('PERSONOPPL', found[0])}/{field}", value)


@injector("PO-VURD-FORMAT", Target.PERSON, ANNUAL,
          "poVurdLege set (or added) to December of the year before")
def _po_month(unit: PersonUnit, variant: int) -> Hit | None:
    found = _po(unit, variant)
    if found is None:
        return None
    row_id, row = found
    value = f"{unit.world.year - 1}12"
    names = [name for name, _ in row.values]
    if "poVurdLege" in names:
        row.values[names.index("poVurdLege")] = ("poVurdLege", value)
    else:
        later = PO_ORDER[PO_ORDER.index("poVurdLege") + 1:]
        at = next((n for n, name in enumerate(names) if name in later), len(names))
        row.values.insert(at, ("poVurdLege", value))
    return Hit(f"{unit.row_path('PERSONOPPL', row_id)}/poVurdLege", value)


# ----------------------------------------------------------------------- FUNKSJON
@injector("FN-FUNKTYPE", Target.PERSON, ANNUAL,
          "fnFunkType of one assessment set to 19 (9111 has 1-18); the score is then not "
          "judged against a scale")
def _variable(unit: PersonUnit, variant: int) -> Hit | None:
    found = pick(unit, "FUNKSJON", variant)
    if found is None:
        return None
    found[1].override("fnFunkType", "19")
    return Hit(f"{unit.row_path('FUNKSJON', found[0])}/fnFunkType", "19")


@injector("FN-FUNKVERDI", Target.PERSON, ANNUAL, "fnFunkVerdi of one assessment set to 6")
def _score(unit: PersonUnit, variant: int) -> Hit | None:
    found = pick(unit, "FUNKSJON", variant)
    if found is None:
        return None
    found[1].override("fnFunkVerdi", "6")
    return Hit(f"{unit.row_path('FUNKSJON', found[0])}/fnFunkVerdi", "6")


# ----------------------------------------------------------------------- DIAGNOSE
@injector("DI-KODEVERSJON", Target.PERSON, ANNUAL,
          "diKodeVersjon of one diagnosis misspelt (icpc-2, ICD10); the code is then not "
          "judged")
def _code_system(unit: PersonUnit, variant: int) -> Hit | None:
    found = pick(unit, "DIAGNOSE", variant)
    if found is None:
        return None
    row = found[1]
    assert isinstance(row, Diagnosis)
    value = "icpc-2" if row.system == "ICPC-2" else "ICD10"
    row.override("diKodeVersjon", value)
    return Hit(f"{unit.row_path('DIAGNOSE', found[0])}/diKodeVersjon", value)


@injector("DI-DIAGKODE", Target.PERSON, ANNUAL,
          "diDiagKode of one diagnosis given a shape its system lacks (ICPC-2 I63, ICD-10 F0)")
def _diagnosis_code(unit: PersonUnit, variant: int) -> Hit | None:
    found = pick(unit, "DIAGNOSE", variant)
    if found is None:
        return None
    row = found[1]
    assert isinstance(row, Diagnosis)
    value = "I63" if row.system == "ICPC-2" else "F0"
    row.override("diDiagKode", value)
    return Hit(f"{unit.row_path('DIAGNOSE', found[0])}/diDiagKode", value)


@injector("XSD-ROW", Target.PERSON, ANNUAL,
          "an unknown element at the end of one DIAGNOSE row (the row is rejected; nothing "
          "depends on a diagnosis)")
def _unknown_row_element(unit: PersonUnit, variant: int) -> Hit | None:
    found = pick(unit, "DIAGNOSE", variant)
    if found is None:
        return None
    found[1].extra = f"      <diMerknad>{DEFECT_TEXT}</diMerknad>\n"
    return Hit(f"{unit.row_path('DIAGNOSE', found[0])}/diMerknad", DEFECT_TEXT)


# ----------------------------------------------------------------------- DOGNTILBUD
@injector("DG-INSTORGNR-FORMAT", Target.PERSON, ANNUAL,
          "dgInstOrgnr of one round-the-clock offer given a wrong check digit")
def _offer_orgnr(unit: PersonUnit, variant: int) -> Hit | None:
    found = pick(unit, "DOGNTILBUD", variant)
    if found is None:
        return None
    row = found[1]
    assert isinstance(row, RoundTheClock)
    value = wrong_orgnr(row.orgnr)
    row.orgnr = value
    return Hit(f"{unit.row_path('DOGNTILBUD', found[0])}/dgInstOrgnr", value)


@injector("DG-INSTORGNR-REQUIRED", Target.PERSON, Y2018,
          "dgInstOrgnr left out of one round-the-clock offer")
def _offer_orgnr_required(unit: PersonUnit, variant: int) -> Hit | None:
    found = pick(unit, "DOGNTILBUD", variant)
    if found is None:
        return None
    found[1].override("dgInstOrgnr", None)
    return Hit(f"{unit.row_path('DOGNTILBUD', found[0])}/dgInstOrgnr", None)


# ----------------------------------------------------------------------- document level
@injector("XML-STRUCTURE", Target.PERSON, ANNUAL,
          "an unknown element at the root level after one PERSON")
def _unknown_root_element(unit: PersonUnit, variant: int) -> Hit | None:
    if not unit.free("after"):
        return None
    unit.take("after")
    unit.person.after = f"  <{EXTRA_ELEMENT}/>\n"
    return Hit("/IPLOS", EXTRA_ELEMENT)  # the plan puts the namespace in the value


@injector("XML-NOT-WELL-FORMED", Target.PERSON, ANNUAL,
          "one unclosed element inside a TJENESTE row", exclusive=True)
def _not_well_formed(unit: PersonUnit, variant: int) -> Hit | None:
    found = pick(unit, "TJENESTE", variant)
    if found is None:
        return None
    found[1].extra = "      <tjMerknad>\n"
    return Hit("/", None)
