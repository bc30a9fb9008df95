"""The join of an annual IPLOS file with its identity message (KPR_IPL + KPR_IDE).

The engine validates the identity message first and, when it was read to its end, hands its
entries to the IPLOS file's context (``ctx.identities``, person key -> :class:`Identity`) with
the identity header (``ctx.identity_header``). These rules then run in the IPLOS document:

- each PERSON needs an identity (PE-IDENT-MISSING), an identity without a PERSON is reported
  at the end (IDE-ORPHAN), located in the identity message;
- age and gender in PERSON agree with the birth date and gender the national id carries;
- the two files are for the same kommune and year (IDE-HEADER-MISMATCH);
- where a join is due (the endpoint) and no identity message matched, IDE-NONE says so once,
  in the header, and reports only: the two shipments' order is not prescribed and KPR takes
  data even when incomplete, so the persons are not rejected for it.

Keys are compared as numbers (``017`` is ``17``). A person whose identity the identity rules
rejected is not reported missing again. When a PERSON key is unreadable (another rule reports
it), the join cannot tell which identity it meant, so orphans are not reported for that file.
Without an identity message (``ctx.identities`` is None) none of these rules runs; the
endpoint picks the identity message (:mod:`mockkpr.iplos.pairing`) and says which it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.identifiers import NationalId
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules import person_ids
from mockkpr.iplos.rules.identity import id_type_code, person_key
from mockkpr.iplos.rules.registry import END, Context, Identity, Violation, rule
from mockkpr.iplos.values import as_date8, as_int
from mockkpr.refdata.kommuner import is_valid_kommune

_JOIN = "iplos-format.md, introduction (KPR_IPL and KPR_IDE are joined on the person key)"
_STATE = "IDE-JOIN"
GENDERS = frozenset({"M", "K"})


@dataclass
class JoinState:
    """The identities by normalised key, and what PE-IDENT-MISSING saw of the persons."""

    by_key: dict[str, tuple[str, Identity]] = field(default_factory=dict)
    persons: int = 0
    unreadable_keys: int = 0


def _state(ctx: Context) -> JoinState:
    def build() -> JoinState:
        state = JoinState()
        for key, identity in (ctx.identities or {}).items():
            normal = person_key(key)
            if normal is not None:
                state.by_key.setdefault(normal, (key, identity))
        return state

    joined: JoinState = ctx.rule_state(_STATE, build)
    return joined


def _identity_of(row: Row, ctx: Context) -> Identity | None:
    key = person_key(row.attrs.get("pePeID"))
    entry = _state(ctx).by_key.get(key) if key is not None else None
    return entry[1] if entry is not None else None


def _birth_facts(identity: Identity, ctx: Context) -> NationalId | None:
    """The parsed national id of an accepted identity whose number is valid, else None."""
    if identity.rejected:
        return None
    return person_ids.valid_id(identity.national_id, id_type_code(identity.id_type), ctx.year)


def age_at(born: date, day: date) -> int:
    """Whole years from ``born`` to ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@rule(
    "PE-IDENT-MISSING", scope="PERSON", consequence=Consequence.REJECT_ROW,
    requirement=f"{_JOIN}: every PERSON has an identity (PasientIdent with its pePeID) (2)",
    apprec_code="E30",
    no="Personen mangler identitet i identmeldingen.",
    en="The person has no identity in the identity message.",
)
def identity_missing(row: Row, ctx: Context) -> list[Violation] | None:
    if ctx.identities is None:
        return None
    state = _state(ctx)
    state.persons += 1
    text = row.attrs.get("pePeID")
    key = person_key(text)
    if key is None:
        state.unreadable_keys += 1
        return None
    entry = state.by_key.get(key)
    if entry is None:
        return [Violation(None, text, f"a PasientIdent with pePeID {key} in the identity "
                                      "message")]
    entry[1].matched = True
    return None


@rule(
    "IDE-ORPHAN", scope=END, consequence=Consequence.REPORT_ONLY,
    requirement=f"{_JOIN}: every identity belongs to a PERSON of the IPLOS file (9); not judged "
                "when a PERSON key is unreadable or the file has no PERSON",
    no="Identiteten hører ikke til noen person i IPLOS-filen.",
    en="The identity belongs to no person in the IPLOS file.",
)
def orphan(row: Row, ctx: Context) -> list[Violation] | None:
    if ctx.identities is None:
        return None
    state = _state(ctx)
    if state.persons == 0 or state.unreadable_keys:
        return None
    found = None
    for key, identity in state.by_key.values():
        if not identity.matched:
            found = found or []
            found.append(Violation(None, key, f"a PERSON with pePeID {key} in the IPLOS file",
                                   location=identity.location, line=identity.line))
    return found


@rule(
    "PE-ALDER-IDENT", scope="PERSON", consequence=Consequence.REPORT_ONLY,
    requirement="iplos-format.md §1 (peAlder is the age at 31.12 of the reporting year) and §4, "
                "further checks: age consistent with the identity message (9); not judged when "
                "the id carries no birth date (FH-number, other id types) or is invalid",
    no="Alderen stemmer ikke med fødselsdatoen i fødselsnummeret.",
    en="The age does not match the birth date in the national id.",
)
def age_matches_identity(row: Row, ctx: Context) -> list[Violation] | None:
    if ctx.identities is None:
        return None
    text = row.fields.get("peAlder")
    age = as_int(text)
    identity = _identity_of(row, ctx) if age is not None and age >= 0 else None
    parsed = _birth_facts(identity, ctx) if identity is not None else None
    if parsed is None or parsed.birth_date is None:
        return None
    expected = age_at(parsed.birth_date, ctx.period_end)
    if age != expected:
        return [Violation("peAlder", text,
                          f"{expected} (age on {ctx.period_end:%d.%m.%Y} by the birth date in "
                          "the identity message)")]
    return None


@rule(
    "PE-KJONN-IDENT", scope="PERSON", consequence=Consequence.REPORT_ONLY,
    requirement="iplos-format.md §5 (the ninth digit is odd for men) and §4, further checks: "
                "gender consistent with the identity message (9); not judged where the id "
                "carries no gender",
    no="Kjønn stemmer ikke med fødselsnummeret.",
    en="The gender does not match the national id.",
)
def gender_matches_identity(row: Row, ctx: Context) -> list[Violation] | None:
    if ctx.identities is None:
        return None
    value = row.fields.get("peKjonn")
    identity = _identity_of(row, ctx) if value in GENDERS else None
    parsed = _birth_facts(identity, ctx) if identity is not None else None
    if parsed is None or parsed.gender is None:
        return None
    if value != parsed.gender.value:
        return [Violation("peKjonn", value,
                          f"{parsed.gender.value} (by the national id in the identity message)")]
    return None


@rule(
    "IDE-HEADER-MISMATCH", scope="INNHINFO", consequence=Consequence.REJECT_MESSAGE,
    requirement=f"{_JOIN}: the identity message belongs to the IPLOS file: the same kommune and "
                "reporting year. mockkpr rejects the pair (1): joined to another kommune's or "
                "year's identities, persons would get wrong national ids. Not judged where "
                "either kommune is invalid or either period start unreadable (other rules)",
    no="Identmeldingen gjelder en annen kommune eller et annet år enn IPLOS-filen.",
    en="The identity message is for another kommune or year than the IPLOS file.",
)
def header_mismatch(row: Row, ctx: Context) -> list[Violation] | None:
    header = ctx.identity_header
    if ctx.identities is None or header is None:
        return None
    found = None
    own_start = as_date8(row.fields.get("iiFraDato"))
    their_start = as_date8(header.fields.get("iiFraDato"))
    if own_start is not None and their_start is not None and own_start.year != their_start.year \
            and date.max not in (own_start, their_start):
        found = [Violation("iiFraDato", header.fields.get("iiFraDato"),
                           f"a period in {own_start.year} (the IPLOS file's iiFraDato)",
                           row=header)]
    own = row.fields.get("iiKomnr") or ""
    theirs = header.fields.get("iiKomnr") or ""
    their_year = their_start.year if their_start is not None else ctx.year
    if own != theirs and is_valid_kommune(own, ctx.year) and is_valid_kommune(theirs, their_year):
        found = found or []
        found.append(Violation("iiKomnr", theirs, f"{own} (the IPLOS file's iiKomnr)",
                               row=header))
    return found


@rule(
    "IDE-NONE", scope="INNHINFO", consequence=Consequence.REPORT_ONLY,
    requirement=f"{_JOIN}; iplos-format.md §1 (one file per kommune per year) and "
                "kpr-reporting.md (data must be sent even when incomplete): an annual file is "
                "joined with the identity message of its kommune and year (and bydel) sent "
                "before it; when there is none, the persons cannot be identified yet, which "
                "the feedback reports once (9)",
    apprec_code="E30",
    no="Ingen identmelding for samme kommune og år er mottatt før IPLOS-filen; personene er "
       "ikke identifisert.",
    en="No identity message for the same kommune and year was received before the IPLOS "
       "file; the persons are not identified.",
)
def identity_none(row: Row, ctx: Context) -> list[Violation] | None:
    if not ctx.identity_missing:
        return None
    kommune = row.fields.get("iiKomnr") or ""
    district = row.fields.get("iiBydelsnr")
    where = f"kommune {kommune}, {ctx.year}" + (
        f", bydel {district}" if district and district != "00" else "")
    return [Violation("iiKomnr", kommune, f"a KPR_IDE for {where}, sent before this file")]
