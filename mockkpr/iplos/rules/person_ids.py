"""National-id checks shared by the 56.0.0 ``Bruker`` rules and the identity message rules.

Both formats carry a national id (``fid``) with its id type (``typeID``, code list 9032). The
checks here are the same for both; each format registers its own rules (``EV-...``, ``IDE-...``)
that call them, so that a finding names the format's own field.

Decisions (iplos-format.md §5 says "same checksums for all"): the 11-digit checks apply to the
id types that are Norwegian 11-digit numbers, 1 fnr, 2 D-nummer, 3 H-nummer and 12 FH-nummer;
other types (passports, foreign numbers, DUF) have no format known to mockkpr and are not read.
"""

from __future__ import annotations

from functools import lru_cache

from mockkpr.iplos.identifiers import RELAXED_K1_FROM_YEAR, IdKind, NationalId, parse_national_id
from mockkpr.refdata.codelists import ID_TYPE

MAX_FID_LENGTH = 20
"""``fid`` is at most 20 characters (iplos-format.md §4, 56.0.0 attribute rules)."""

CHECKED_ID_TYPES = frozenset({"1", "2", "3", "12"})
"""9032 types that are 11-digit Norwegian numbers with mod-11 check digits."""

REGISTER_ID_TYPES = frozenset({"1", "2", "10"})
"""9032 types that give a register identity (fnr, D-nummer, DUF); iplos-format.md §2."""

KNOWN_ID_TYPES = frozenset(ID_TYPE.codes)

_TYPE_OF_KIND = {
    IdKind.ORDINARY: "1",
    IdKind.SYNTHETIC: "1",
    IdKind.D_NUMBER: "2",
    IdKind.SYNTHETIC_D_NUMBER: "2",
    IdKind.H_NUMBER: "3",
    IdKind.FH_NUMBER: "12",
}
_KIND_TEXT = {
    IdKind.ORDINARY: "a fødselsnummer",
    IdKind.SYNTHETIC: "a synthetic fødselsnummer (month + 80)",
    IdKind.D_NUMBER: "a D-number",
    IdKind.SYNTHETIC_D_NUMBER: "a synthetic D-number (day + 40, month + 80)",
    IdKind.H_NUMBER: "an H-number (month + 40)",
    IdKind.FH_NUMBER: "an FH-number",
}
REAL_KINDS = frozenset({IdKind.ORDINARY, IdKind.D_NUMBER})
"""Kinds that can name a real person and that test data must not use (§5)."""


@lru_cache(maxsize=8192)
def _parse(fid: str, relaxed: bool) -> NationalId:
    return parse_national_id(fid, as_of_year=RELAXED_K1_FROM_YEAR if relaxed else None)


def fid_is_readable(fid: str | None) -> bool:
    """True when ``fid`` is present, not blank and within the length limit (else another rule)."""
    return fid is not None and fid.strip() != "" and len(fid) <= MAX_FID_LENGTH


def checked_id(fid: str | None, id_type: str | None, year: int) -> NationalId | None:
    """The parsed number when ``id_type`` is an 11-digit Norwegian type and ``fid`` readable.

    ``year`` is the reporting year: from 2032 the relaxed K1 rule applies.
    """
    if id_type not in CHECKED_ID_TYPES or not fid_is_readable(fid):
        return None
    assert fid is not None
    return _parse(fid, year >= RELAXED_K1_FROM_YEAR)


def valid_id(fid: str | None, id_type: str | None, year: int) -> NationalId | None:
    """The parsed number when it is checked (see :func:`checked_id`) and has no problem."""
    parsed = checked_id(fid, id_type, year)
    return parsed if parsed is not None and parsed.valid else None


def checksum_expected(fid: str | None, id_type: str | None, year: int) -> str | None:
    """What a wrong number should have been (for the finding), or None when it is fine."""
    parsed = checked_id(fid, id_type, year)
    if parsed is None or parsed.valid:
        return None
    return f"an 11-digit national id with valid check digits ({parsed.problem})"


def type_mismatch_expected(fid: str | None, id_type: str | None, year: int) -> str | None:
    """The typeID a valid number calls for when it differs from ``id_type``, else None."""
    parsed = valid_id(fid, id_type, year)
    if parsed is None or parsed.kind is None:
        return None
    wanted = _TYPE_OF_KIND[parsed.kind]
    if wanted == id_type:
        return None
    return f"{wanted} ({ID_TYPE.text(wanted)}): the number is {_KIND_TEXT[parsed.kind]}"


def is_synthetic(fid: str | None, id_type: str | None, year: int) -> bool:
    """True for a valid Tenor test number (month + 80)."""
    parsed = valid_id(fid, id_type, year)
    return parsed is not None and parsed.kind is not None and parsed.kind.is_synthetic


def real_kind(fid: str | None, id_type: str | None, year: int) -> str | None:
    """How a valid number that may name a real person reads ("a fødselsnummer"), else None."""
    parsed = valid_id(fid, id_type, year)
    if parsed is None or parsed.kind not in REAL_KINDS:
        return None
    assert parsed.kind is not None
    return _KIND_TEXT[parsed.kind]


def masked(fid: str) -> str:
    """A real-looking number as shown in a report: the birth date part, the rest hidden."""
    return fid[:6] + "*" * (len(fid) - 6)
