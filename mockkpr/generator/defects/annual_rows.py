"""Injectors for the child rows of an annual PERSON (PERSONOPPL, FUNKSJON, DIAGNOSE,
DOGNTILBUD, and the families shared with TJENESTE; the rest of TJENESTE is in
:mod:`.annual_services`).

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


def wrong_orgnr(orgnr: str) -> str:
    """The organisation number with a wrong check digit."""
    return f"{orgnr[:8]}{(int(orgnr[8]) + 1) % 10}{orgnr[9:]}"


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
