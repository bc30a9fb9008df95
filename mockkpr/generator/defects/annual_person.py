"""Injectors for the PERSON row itself, its identity row and the join of the two files.

PERSON-level rules that look at child rows claim what they depend on: PE-SCORE-MIN every
FUNKSJON and the granted service it needs, PE-NO-SERVICE every TJENESTE, PE-DEATH-BEFORE-SERVICE
the service that starts after the death. Rules on the person key or its presence take the whole
person (nothing else may change it): PE-PEID-FORMAT, PE-PEID-DUPLICATE and IDE-ORPHAN.

The join (iplos-format.md, introduction): an unreadable PERSON key stops IDE-ORPHAN for the
whole file, so PE-PEID-FORMAT and IDE-ORPHAN take the slot ``person keys`` and cannot be
combined. The age and gender checks read an identity that must stay as drawn (``ident-read``);
every change to an identity row claims ``ident``. Identity defects that reject the row (a
wrong number, say) keep the key known to the join, so the PERSON is not reported missing.
"""

from __future__ import annotations

from mockkpr.generator.defects.annual_rows import bad_date, pick, rows
from mockkpr.generator.defects.annual_services import granted
from mockkpr.generator.defects.registry import ANNUAL, Y2019, Target, injector
from mockkpr.generator.defects.units import (
    KINDS,
    PERSON_ATTRIBUTE,
    REAL_LOOKING_LIMIT,
    Hit,
    PersonUnit,
    d8,
    is_date,
    real_looking_id,
)
from mockkpr.generator.identity import render_identity
from mockkpr.generator.rows import FIRST_DATE, Assessment, IdentityRow, Service
from mockkpr.iplos.identifiers import Gender

PERSON_KEYS = "person keys"
"""The slot of the rules that need every PERSON key readable (or make one unreadable)."""
HIGH = frozenset({"3", "4", "5"})


# ----------------------------------------------------------------------- PERSON fields
def _field(unit: PersonUnit, *names: str) -> bool:
    """Claim PERSON fields when they are free."""
    claims = [f"pe:{name}" for name in names]
    if not unit.free(*claims):
        return False
    unit.take(*claims)
    return True


@injector("PE-KJONN", Target.PERSON, ANNUAL, "peKjonn set to X or k (3100 has M and K)")
def _gender(unit: PersonUnit, variant: int) -> Hit | None:
    if not _field(unit, "peKjonn"):
        return None
    value = ("X", "k")[variant % 2]
    unit.person.override("peKjonn", value)
    return Hit(f"{unit.path}/peKjonn", value)


@injector("PE-ALDER", Target.PERSON, ANNUAL,
          "peAlder set to -1 (the join does not compare a negative age)")
def _age(unit: PersonUnit, variant: int) -> Hit | None:
    if not _field(unit, "peAlder"):
        return None
    unit.person.override("peAlder", "-1")
    return Hit(f"{unit.path}/peAlder", "-1")


@injector("PE-KOMNR", Target.PERSON, ANNUAL,
          "peKomnr set to 1601 (Trondheim until 2017); peBydelsnr is then not judged")
def _home_kommune(unit: PersonUnit, variant: int) -> Hit | None:
    if not _field(unit, "peKomnr", "peBydelsnr"):
        return None
    unit.person.override("peKomnr", "1601")
    return Hit(f"{unit.path}/peKomnr", "1601")


@injector("PE-BYDELSNR", Target.PERSON, ANNUAL, "peBydelsnr set to one digit")
def _home_bydel(unit: PersonUnit, variant: int) -> Hit | None:
    if not _field(unit, "peBydelsnr"):
        return None
    unit.person.override("peBydelsnr", "3")
    return Hit(f"{unit.path}/peBydelsnr", "3")


@injector("PE-DATE-RANGE", Target.PERSON, ANNUAL,
          "peFraDato, peEndrDato or peDodDato set before 2005, to a day that does not exist, "
          "or after the year")
def _person_date(unit: PersonUnit, variant: int) -> Hit | None:
    names = ["peFraDato", "peEndrDato"] + (["peDodDato"] if unit.person.death else [])
    names = [name for name in names if unit.free(f"pe:{name}")]
    if not names:
        return None
    name = names[(variant // 3) % len(names)]
    unit.take(f"pe:{name}")
    value = bad_date(unit, variant)
    unit.person.override(name, value)
    return Hit(f"{unit.path}/{name}", value)


# ----------------------------------------------------------------------- PERSON and its rows
@injector("PE-NO-SERVICE", Target.PERSON, ANNUAL, "every TJENESTE of one person left out")
def _no_service(unit: PersonUnit, variant: int) -> Hit | None:
    if not unit.all_free("TJENESTE") or not unit.person.services:
        return None
    unit.take("TJENESTE:*")
    unit.person.services = []
    return Hit(unit.path, None)


@injector("PE-SCORE-MIN", Target.PERSON, ANNUAL,
          "every functional score of 3, 4 or 5 of a person with a granted service lowered "
          "to 2")
def _score_minimum(unit: PersonUnit, variant: int) -> Hit | None:
    if not unit.all_free("FUNKSJON"):
        return None
    if pick(unit, "TJENESTE", variant,
            lambda row: isinstance(row, Service) and granted(row)) is None:
        return None
    unit.take("FUNKSJON:*")
    person = unit.person
    for position, row in enumerate(person.assessments):
        if isinstance(row, Assessment):  # pragma: no cover - FUNKSJON rows were free
            continue
        if row[2] in HIGH:
            person.assessments[position] = (row[0], row[1], "2")
    return Hit(unit.path, "2")


@injector("PE-DEATH-BEFORE-SERVICE", Target.PERSON, ANNUAL,
          "peDodDato set (or added) to the day before the latest service start")
def _death_before_service(unit: PersonUnit, variant: int) -> Hit | None:
    if not unit.free("pe:peDodDato"):
        return None
    starts = [s for s in unit.person.services if is_date(s.start)]
    if not starts:
        return None
    latest = max(starts, key=lambda s: s.start or 0)
    assert latest.start is not None
    if latest.start - 1 < FIRST_DATE or not unit.row_free("TJENESTE", latest.row_id):
        return None
    unit.take("pe:peDodDato", f"TJENESTE:{latest.row_id}")
    unit.person.death = latest.start - 1
    return Hit(f"{unit.path}/peDodDato", d8(latest.start - 1))


@injector("PE-CHILD-PEID", Target.PERSON, ANNUAL,
          "the person key (*PeID) of one child row set to the next person's key")
def _child_key(unit: PersonUnit, variant: int) -> Hit | None:
    kinds = [kind for kind in KINDS if any(unit.row_free(kind, row[0])
                                           for row in rows(unit, kind))]
    if not kinds:
        return None
    kind = kinds[variant % len(kinds)]
    found = pick(unit, kind, variant // len(kinds))
    assert found is not None
    attribute, value = PERSON_ATTRIBUTE[kind], str(unit.key + 1)
    found[1].override(f"@{attribute}", value)
    return Hit(f"{unit.row_path(kind, found[0])}/@{attribute}", value)


# ----------------------------------------------------------------------- the person key
@injector("PE-PEID-FORMAT", Target.PERSON, ANNUAL,
          "pePeID of one person made negative (an xs:long, but not 1-10 digits); its identity "
          "is then unmatched, which the join does not report while a key is unreadable",
          slots=(PERSON_KEYS,), early=True)
def _person_key_format(unit: PersonUnit, variant: int) -> Hit | None:
    if not unit.whole():
        return None
    unit.take("person")
    value = f"-{unit.key}"
    unit.person.override("@pePeID", value)
    return Hit(f"/IPLOS/PERSON[@pePeID={value}]/@pePeID", value)


@injector("PE-PEID-DUPLICATE", Target.PERSON, ANNUAL,
          "one PERSON written twice (the second has a key used before)", early=True)
def _person_twice(unit: PersonUnit, variant: int) -> Hit | None:
    if not unit.whole():
        return None
    unit.take("person")
    unit.person.twice = True
    return Hit(f"{unit.path}/@pePeID", str(unit.key))


# ----------------------------------------------------------------------- the join
@injector("PE-IDENT-MISSING", Target.PERSON, ANNUAL,
          "the identity row of one person (never the first) left out of the identity message")
def _identity_missing(unit: PersonUnit, variant: int) -> Hit | None:
    if unit.index == 0 or not unit.ident_free():
        return None  # the first identity stays, so that the message has a PasientIdent
    unit.take("ident")
    unit.ident.skip = True
    return Hit(unit.path, str(unit.key))


@injector("IDE-ORPHAN", Target.PERSON, ANNUAL,
          "one PERSON (never the first) left out of the IPLOS file; its identity stays",
          slots=(PERSON_KEYS,), early=True)
def _orphan(unit: PersonUnit, variant: int) -> Hit | None:
    if unit.index == 0 or not unit.whole():
        return None  # the first person stays, so that the file has a PERSON
    unit.take("person")
    unit.person.skip = True
    return Hit(unit.ident_path, str(unit.key), identity=True)


@injector("PE-ALDER-IDENT", Target.PERSON, ANNUAL,
          "peAlder one year off the age the national id gives")
def _age_ident(unit: PersonUnit, variant: int) -> Hit | None:
    if not unit.ident_readable() or not _field(unit, "peAlder"):
        return None
    unit.take("ident-read")
    value = str(unit.person.identity.age + 1)
    unit.person.override("peAlder", value)
    return Hit(f"{unit.path}/peAlder", value)


@injector("PE-KJONN-IDENT", Target.PERSON, ANNUAL,
          "peKjonn set to the other gender than the national id's")
def _gender_ident(unit: PersonUnit, variant: int) -> Hit | None:
    if not unit.ident_readable() or not _field(unit, "peKjonn"):
        return None
    unit.take("ident-read")
    value = "M" if unit.person.identity.gender is Gender.FEMALE else "K"
    unit.person.override("peKjonn", value)
    return Hit(f"{unit.path}/peKjonn", value)


# ----------------------------------------------------------------------- identity rows
def _ident(unit: PersonUnit) -> IdentityRow | None:
    """The identity row, claimed, when it may be changed."""
    if not unit.ident_free():
        return None
    unit.take("ident")
    return unit.ident


@injector("IDE-FID", Target.PERSON, ANNUAL, "fid of one identity left empty")
def _fid_empty(unit: PersonUnit, variant: int) -> Hit | None:
    row = _ident(unit)
    if row is None:
        return None
    row.override("fid", "")
    return Hit(f"{unit.ident_path}/fid", "", identity=True)


@injector("IDE-FID-CHECKSUM", Target.PERSON, ANNUAL,
          "the national id of one identity given a wrong last check digit (the row is "
          "rejected; its key stays known to the join)")
def _fid_checksum(unit: PersonUnit, variant: int) -> Hit | None:
    row = _ident(unit)
    if row is None:
        return None
    fid = unit.person.identity.national_id
    value = f"{fid[:10]}{(int(fid[10]) + 1) % 10}"
    row.override("fid", value)
    return Hit(f"{unit.ident_path}/fid", value, identity=True)


@injector("IDE-FID-TYPE-MISMATCH", Target.PERSON, ANNUAL,
          "typeID of one identity swapped between 1 (fødselsnummer) and 2 (D-number)")
def _type_mismatch(unit: PersonUnit, variant: int) -> Hit | None:
    row = _ident(unit)
    if row is None:
        return None
    value = "2" if unit.person.identity.id_type == 1 else "1"
    row.override("typeID", value)
    return Hit(f"{unit.ident_path}/typeID", value, identity=True)


@injector("IDE-TYPEID-CODE", Target.PERSON, ANNUAL,
          "typeID of one identity set to 11 (no such code in 9032)")
def _type_code(unit: PersonUnit, variant: int) -> Hit | None:
    row = _ident(unit)
    if row is None:
        return None
    row.override("typeID", "11")
    return Hit(f"{unit.ident_path}/typeID", "11", identity=True)


@injector("IDE-TYPEID-NO-REGISTER", Target.PERSON, ANNUAL,
          "typeID of one identity set to 4 (a passport: no register identity)")
def _type_no_register(unit: PersonUnit, variant: int) -> Hit | None:
    row = _ident(unit)
    if row is None:
        return None
    row.override("typeID", "4")
    return Hit(f"{unit.ident_path}/typeID", "4", identity=True)


@injector("IDE-FID-DUPLICATE", Target.PERSON, ANNUAL,
          "the national id of the person before given to one identity as well (the later "
          "row is rejected; the earlier identity is left alone)", peer=True)
def _fid_duplicate(unit: PersonUnit, variant: int) -> Hit | None:
    if unit.index == 0:
        return None
    before = unit.world.identity(unit.index - 1)
    if before.id_type != unit.person.identity.id_type:
        return None  # the number must fit the typeID (else IDE-FID-TYPE-MISMATCH too)
    row = _ident(unit)
    if row is None:
        return None
    value = before.national_id
    row.override("fid", value)
    return Hit(f"{unit.ident_path}/fid", value, identity=True)


@injector("IDE-PEID-DUPLICATE", Target.PERSON, ANNUAL,
          "one identity row written twice (the second repeats the key)")
def _key_twice(unit: PersonUnit, variant: int) -> Hit | None:
    row = _ident(unit)
    if row is None:
        return None
    row.twice = True
    return Hit(f"{unit.ident_path}/@pePeID", str(unit.key), identity=True)


@injector("IDE-PEID-FORMAT", Target.PERSON, ANNUAL,
          "a copy of one identity row with a negative key after it (a row with an "
          "unreadable key joins no PERSON and is not an orphan)")
def _key_format(unit: PersonUnit, variant: int) -> Hit | None:
    row = _ident(unit)
    if row is None:
        return None
    value = f"-{unit.key}"
    copy = IdentityRow(unit.person.identity)
    copy.override("@pePeID", value)
    row.after = render_identity(copy)
    return Hit(f"/IdentMelding/PasientIdent[@pePeID={value}]/@pePeID", value, identity=True)


@injector("IDE-REAL-ID", Target.PERSON, Y2019,
          "the national id of one identity (type 1) replaced by an ordinary-form number born "
          "in 2039, of the person's gender; the PERSON's peAlder (optional in 2019) is left "
          "out, since no age matches a birth date in the future")
def _real_id(unit: PersonUnit, variant: int) -> Hit | None:
    ident = unit.person.identity
    if ident.id_type != 1 or unit.index >= REAL_LOOKING_LIMIT:
        return None
    if not unit.ident_free() or not unit.free("pe:peAlder"):
        return None
    unit.take("ident", "pe:peAlder")
    value = real_looking_id(unit.index, ident.gender)
    unit.ident.override("fid", value)
    unit.person.override("peAlder", None)
    return Hit(f"{unit.ident_path}/fid", f"{value[:6]}*****", identity=True)
