"""What annual injectors work on: one person with its identity row, and what is taken.

An injector changes a :class:`PersonUnit` (the drawn :class:`~mockkpr.generator.rows.Person`
and its :class:`~mockkpr.generator.rows.IdentityRow`) and *claims* what its finding depends on,
so that a later defect on the same person leaves it alone. Claims are plain strings:

* ``TJENESTE:129`` one row (kind and row id), ``TJENESTE:*`` every row of a kind;
* ``pe:peKjonn`` one PERSON field, ``after`` the markup after the PERSON;
* ``ident`` the identity row is changed (or left out), ``ident-read`` the join reads it
  unchanged (age, gender), ``ident-reserved`` the next person's defect reads its number;
* ``person`` the whole person (its key, its presence): nothing else may touch it.

The plan replays the injectors of a person in the same order on a freshly drawn person, so
the claims (kept in the unit) and every decision come out the same each time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from mockkpr.generator.model import World
from mockkpr.generator.rows import FIRST_DATE, OPEN, IdentityRow, Person, date8
from mockkpr.iplos.identifiers import K1_WEIGHTS, K2_WEIGHTS, Gender, mod11_check_digit

KINDS = ("PERSONOPPL", "FUNKSJON", "TJENESTE", "DIAGNOSE", "DOGNTILBUD")
KEY_ATTRIBUTE = {"PERSON": "pePeID", "PERSONOPPL": "poPoID", "FUNKSJON": "fnFnID",
                 "TJENESTE": "tjTjID", "DIAGNOSE": "diDiID", "DOGNTILBUD": "dgDgID"}
PERSON_ATTRIBUTE = {"PERSONOPPL": "poPeID", "FUNKSJON": "fnPeID", "TJENESTE": "tjPeID",
                    "DIAGNOSE": "diPeID", "DOGNTILBUD": "dgPeID"}


class Hit(NamedTuple):
    """Where the validator will report an injected defect, and the value it reports."""

    location: str
    value: str | None
    identity: bool = False
    """True when the finding is in the identity message, not the IPLOS file."""


@dataclass
class PersonUnit:
    """One annual person, its identity row and the claims of the defects placed on it."""

    person: Person
    ident: IdentityRow
    world: World
    claims: set[str] = field(default_factory=set)

    # ------------------------------------------------------------------ facts
    @property
    def key(self) -> int:
        return self.person.identity.key

    @property
    def index(self) -> int:
        return self.person.identity.index

    @property
    def path(self) -> str:
        """The validator's keyed path of the PERSON."""
        return f"/IPLOS/PERSON[@pePeID={self.key}]"

    def row_path(self, kind: str, row_id: int | str) -> str:
        """The keyed path of a child row."""
        return f"{self.path}/{kind}[@{KEY_ATTRIBUTE[kind]}={row_id}]"

    @property
    def ident_path(self) -> str:
        return f"/IdentMelding/PasientIdent[@pePeID={self.key}]"

    # ------------------------------------------------------------------ claims
    def free(self, *names: str) -> bool:
        """True when none of ``names`` (nor the whole person) is claimed."""
        return "person" not in self.claims and not any(n in self.claims for n in names)

    def take(self, *names: str) -> None:
        self.claims.update(names)

    def row_free(self, kind: str, row_id: int) -> bool:
        return self.free(f"{kind}:*", f"{kind}:{row_id}")

    def all_free(self, kind: str) -> bool:
        """True when no row of ``kind`` is claimed."""
        return "person" not in self.claims and not any(
            c.startswith(f"{kind}:") for c in self.claims)

    def ident_free(self) -> bool:
        """True when the identity row may be changed."""
        return self.free("ident", "ident-read", "ident-reserved")

    def ident_readable(self) -> bool:
        """True when the identity row is (and stays) as drawn."""
        return self.free("ident")

    def whole(self) -> bool:
        """True when nothing of the person is claimed (the next person may read its id)."""
        return not self.claims - {"ident-reserved"}


# ----------------------------------------------------------------------- dates
def d8(ordinal: int) -> str:
    """``YYYYMMDD`` of an ordinal."""
    return date8(ordinal)


def is_date(ordinal: int | None) -> bool:
    """A real date the rules accept as a start or end (not the open end)."""
    return ordinal is not None and ordinal != OPEN and ordinal >= FIRST_DATE


def before_2005() -> str:
    """A date the range rules reject: before 1 January 2005."""
    return "20041231"


def impossible(world: World) -> str:
    """A date of the schema's shape that does not exist, in the reporting year."""
    return f"{world.year:04d}0230"


def after_year(world: World) -> str:
    """The first day after the reporting year (after iiTilDato)."""
    return f"{world.year + 1:04d}0101"


# ----------------------------------------------------------------------- national ids
FUTURE_BIRTH_YEAR = 2039
"""The birth year of the real-looking numbers: the last the number scheme can write."""
REAL_LOOKING_LIMIT = 10_000
"""How many different real-looking numbers per gender :func:`real_looking_id` gives."""


@lru_cache(maxsize=2)
def _real_looking(male: bool) -> tuple[str, ...]:
    numbers: list[str] = []
    day = date(FUTURE_BIRTH_YEAR, 12, 31)
    while len(numbers) < REAL_LOOKING_LIMIT:
        for individual in range(500 + male, 1000, 2):
            nine = f"{day:%d%m%y}{individual:03d}"
            k1 = mod11_check_digit(nine, K1_WEIGHTS)
            k2 = mod11_check_digit(f"{nine}{k1}", K2_WEIGHTS) if k1 is not None else None
            if k2 is not None:
                numbers.append(f"{nine}{k1}{k2}")
        day -= timedelta(days=1)
    return tuple(numbers[:REAL_LOOKING_LIMIT])


def real_looking_id(n: int, gender: Gender) -> str:
    """The ``n``-th (from 0) ordinary-form fødselsnummer of ``gender`` born in 2039.

    Valid check digits and the form of an ordinary number, so that the REAL-ID rules take it
    for a real person's; but the birth date (counting back from 31 December 2039) lies in the
    future, so no person has it: the generator never writes a number a living person can have.
    Different ``n`` give different numbers (``n`` < :data:`REAL_LOOKING_LIMIT`).
    """
    return _real_looking(gender is Gender.MALE)[n]
