"""The generated data as plain objects: one :class:`Person` with its rows, before any XML.

Dates are proleptic ordinals (``date.toordinal()``) so that drawing and comparing them is cheap;
:data:`OPEN` stands for the open end ``99991231``. Every row may carry defect edits, which the
writers honour: ``overrides`` (field name, or ``@attribute``, -> raw text written instead of the
generated value, or None to leave it out), ``extra`` (markup appended inside the row, already
escaped) and ``twice`` (the row is written twice in a row). Rows without edits take the writers'
fast paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from mockkpr.iplos.identifiers import Gender

OPEN = 3_652_059  # date(9999, 12, 31).toordinal()
FIRST_DATE = date(2005, 1, 1).toordinal()
"""The earliest date the annual rules accept (iplos-format.md §4)."""


@lru_cache(maxsize=16384)
def date8(ordinal: int) -> str:
    """``YYYYMMDD`` for an ordinal; :data:`OPEN` gives ``99991231``."""
    day = date.fromordinal(ordinal)
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


@lru_cache(maxsize=16384)
def iso_date(ordinal: int) -> str:
    """``YYYY-MM-DD`` (``xs:date``) for an ordinal."""
    return date.fromordinal(ordinal).isoformat()


def hours_text(hundredths: int) -> str:
    """Hours per week as the schema's decimal with two places (``3.50``)."""
    return f"{hundredths // 100}.{hundredths % 100:02d}"


@dataclass(slots=True)
class Editable:
    """Defect hooks shared by every row."""

    overrides: dict[str, str | None] | None = field(default=None, kw_only=True)
    extra: str | None = field(default=None, kw_only=True)
    twice: bool = field(default=False, kw_only=True)

    def override(self, name: str, text: str | None) -> None:
        """Write ``text`` (raw, already escaped) for field ``name`` (``@name``: the attribute)
        instead of its value; None leaves the field out."""
        if self.overrides is None:
            self.overrides = {}
        self.overrides[name] = text

    @property
    def edited(self) -> bool:
        """True when a defect changed this row (the writers' slow path)."""
        return self.overrides is not None or self.extra is not None or self.twice


@dataclass(slots=True)
class Identity:
    """Who a person is: drawn from the identity stream alone, so the identity file can be
    written without the rest of the person."""

    index: int
    key: int
    group: int
    age: int
    gender: Gender
    birth: int
    national_id: str
    id_type: int


@dataclass(slots=True)
class Service(Editable):
    """One TJENESTE row: a decision on one service type."""

    row_id: int
    type: int
    series: int | None = None
    series_no: int | None = None
    applied: int | None = None
    decided: int | None = None
    decision: int | None = None
    hours: int | None = None  # hundredths of an hour
    two_staff_hours: int | None = None
    rolling: int | None = None
    orgnr: str | None = None
    start: int | None = None
    end: int | None = None
    appeal_received: int | None = None
    appeal_answered: int | None = None

    @property
    def granted(self) -> bool:
        return self.decision != 1


@dataclass(slots=True)
class Assessment(Editable):
    """One FUNKSJON row."""

    row_id: int
    variable: int
    score: str
    start: int
    end: int


@dataclass(slots=True)
class Diagnosis(Editable):
    """One DIAGNOSE row."""

    row_id: int
    system: str
    code: str
    start: int
    end: int


@dataclass(slots=True)
class Situation(Editable):
    """One PERSONOPPL row: ordered (field, text) pairs in schema order."""

    row_id: int
    values: list[tuple[str, str]]


@dataclass(slots=True)
class RoundTheClock(Editable):
    """One DOGNTILBUD row."""

    row_id: int
    orgnr: str
    start: int
    end: int


ScoreRow = tuple[int, int, str]
"""A FUNKSJON row as (row id, variable, score) with the person's assessment period: plain
tuples because every person has one per variable. :meth:`Person.assessment` turns one into an
editable :class:`Assessment`."""


@dataclass(slots=True)
class Person(Editable):
    """One PERSON with all its rows, in the order the schema wants them."""

    identity: Identity
    home_kommune: str
    bydel: str
    first_date: int
    changed: int
    death: int | None = None
    assessed_from: int = 0
    assessed_to: int = OPEN
    situations: list[Situation] = field(default_factory=list)
    assessments: list[ScoreRow | Assessment] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    round_the_clock: list[RoundTheClock] = field(default_factory=list)
    after: str | None = None
    """Markup written after this PERSON (at the root level), for structure defects."""
    skip: bool = False
    """Leave this PERSON out of the IPLOS file (its identity stays: a join defect)."""

    def assessment(self, position: int) -> Assessment:
        """The FUNKSJON row at ``position`` as an editable :class:`Assessment`."""
        row = self.assessments[position]
        if isinstance(row, Assessment):
            return row
        editable = Assessment(row[0], row[1], row[2], self.assessed_from, self.assessed_to)
        self.assessments[position] = editable
        return editable


@dataclass(slots=True)
class IdentityRow(Editable):
    """One PasientIdent row of the identity file."""

    identity: Identity
    after: str | None = None
    """Markup written after this row (another PasientIdent), for defects."""
    skip: bool = False
    """Leave this row out (its PERSON stays: a join defect)."""


@dataclass(slots=True)
class Notice:
    """One 56.0.0 notification as written: pre-rendered parts plus what the writer fills in
    (previous GUID, running number). A defect replaces the whole text (``text``: the
    notification and any markup after it at the root level)."""

    guid: str
    head: str
    body: str
    previous: str = ""
    number: int = 0
    text: str | None = None

    def render(self) -> str:
        if self.text is not None:
            return self.text
        return (f'{self.head} notifikasjonForrigeGUID="{self.previous}" '
                f'notifikasjonLopeNr="{self.number}"{self.body}')
