"""Row id rules of the annual formats: format, duplicates, and the person key of child rows.

iplos-format.md §4: every row id (``pePeID``, ``tjTjID``, ...) is 1 to 10 digits (consequence
2, the row and its children are rejected). The schema types the ids ``xs:long``: a value that
is not a long at all is the schema's finding, reported under the kind's ID-FORMAT rule; a
long that is not 1 to 10 digits (``-17``, ``+17``, 11 digits) is the rule's own finding.

Further checks (§4, "reasonable further checks"), also consequence 2: a ``pePeID`` seen
before in the document (the later person is rejected), a child row id seen before in the same
person and kind (the later row is rejected), a child row whose ``*PeID`` is not its person's.
Ids are compared as numbers (``017`` is ``17``); malformed ids are left to ID-FORMAT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.rows import KEY_ATTRIBUTES, Row
from mockkpr.iplos.rules.annual_common import LONG, ROW_ID_DIGITS, row_id, xs_integer
from mockkpr.iplos.rules.registry import Context, Violation, rule

_REJECT = Consequence.REJECT_ROW

ID_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "PERSON": ("pePeID",),
    "PERSONOPPL": ("poPeID", "poPoID"),
    "FUNKSJON": ("fnPeID", "fnFnID"),
    "TJENESTE": ("tjPeID", "tjTjID", "tjVeID", "tjVeNrID"),
    "DIAGNOSE": ("diPeID", "diDiID"),
    "DOGNTILBUD": ("dgPeID", "dgDgID"),
}
"""The id attributes of each annual row kind (all ``xs:long``)."""

PERSON_KEY: dict[str, str] = {kind: names[0] for kind, names in ID_ATTRIBUTES.items()
                              if kind != "PERSON"}
"""The attribute of each child kind that repeats its person's ``pePeID``."""

_FORMAT_REQ = "iplos-format.md §4: every row ID 1–10 digits (schema: xs:long)"


def id_format_check(kind: str) -> Callable[[Row, Context], list[Violation] | None]:
    """The id check of one row kind: each id attribute of the row is 1 to 10 digits."""
    names = ID_ATTRIBUTES[kind]

    def id_format(row: Row, ctx: Context) -> list[Violation] | None:
        found: list[Violation] | None = None
        attrs = row.attrs
        for name in names:
            value = attrs.get(name)
            if value is None or (len(value) <= ROW_ID_DIGITS and value.isdigit()
                                 and value.isascii()):
                continue  # absent (the schema says whether it may be) or fine
            if xs_integer(value, LONG) is None:
                continue  # not even an xs:long: the schema's finding
            found = found or []
            found.append(Violation(f"@{name}", value, "1 to 10 digits"))
        return found

    return id_format


def _register_format(rule_id: str, kind: str, what: str) -> None:
    names = ID_ATTRIBUTES[kind]
    rule(rule_id, scope=kind, consequence=_REJECT,
         requirement=f"{_FORMAT_REQ}; owns {', '.join('@' + n for n in names)}",
         no=f"{what}: ID-en må være 1–10 sifre.", en=f"{kind}: the ID must be 1 to 10 digits.",
         xsd_fields=tuple(f"@{n}" for n in names))(id_format_check(kind))


_register_format("PE-PEID-FORMAT", "PERSON", "Person")
_register_format("PO-ID-FORMAT", "PERSONOPPL", "Personopplysning")
_register_format("FN-ID-FORMAT", "FUNKSJON", "Funksjon")
_register_format("TJ-ID-FORMAT", "TJENESTE", "Tjeneste")
_register_format("DI-ID-FORMAT", "DIAGNOSE", "Diagnose")
_register_format("DG-ID-FORMAT", "DOGNTILBUD", "Døgntilbud")


@rule(
    "PE-PEID-DUPLICATE", scope="PERSON", consequence=_REJECT,
    requirement="iplos-format.md §1 (pePeID unique within a kommune) and §4 (duplicate "
                "pePeID): the later PERSON with an id seen before is rejected",
    no="Personen har samme pePeID som en tidligere person i filen.",
    en="The person has the same pePeID as an earlier person in the file.",
)
def duplicate_person(row: Row, ctx: Context) -> list[Violation] | None:
    key = row_id(row.attrs.get("pePeID"))
    if key is None:
        return None
    seen: dict[int, int] = ctx.rule_state("PE-PEID-DUPLICATE", dict)
    first = seen.get(key)
    if first is None:
        seen[key] = row.line
        return None
    return [Violation("@pePeID", row.attrs["pePeID"], f"an id not used before (line {first})")]


@dataclass(slots=True)
class _ChildFindings:
    """What one pass over a person's child rows found, for the rules that share the pass."""

    person: Row | None = None
    wrong_person: list[Violation] | None = None
    duplicates: dict[str, list[Violation]] | None = None


def check_children(row: Row) -> _ChildFindings:
    """One pass over a person's children: ``*PeID`` not the person's, and row ids already
    used by an earlier row of the same kind (per kind). Malformed ids are skipped."""
    out = _ChildFindings(row)
    person_text = row.attrs.get("pePeID")
    person = row_id(person_text)
    seen: dict[tuple[str, str], int] = {}
    for child in row.children:
        kind = child.kind
        names = _CHILD_KEYS.get(kind)
        if names is None:
            continue
        attrs = child.attrs
        person_name, key_name = names
        value = attrs.get(person_name)
        # The same text as the person's key is the same key; otherwise compare numbers
        # (row_id() inlined: this loop runs for every child row of every person).
        if (value is not None and value != person_text and person is not None
                and len(value) <= ROW_ID_DIGITS and value.isdigit() and value.isascii()
                and int(value) != person):
            out.wrong_person = out.wrong_person or []
            out.wrong_person.append(Violation(
                f"@{person_name}", value, f"{person} (the person's pePeID)", row=child))
        value = attrs.get(key_name)
        if (not value or len(value) > ROW_ID_DIGITS or not value.isdigit()
                or not value.isascii()):
            continue
        # Ids are numbers: 017 is 17 (and 0 is 00).
        key = (kind, value.lstrip("0") if value[0] == "0" else value)
        first = seen.get(key)
        if first is None:
            seen[key] = child.line
        else:
            out.duplicates = out.duplicates or {}
            out.duplicates.setdefault(kind, []).append(Violation(
                f"@{key_name}", value, f"an id not used before in this person (line {first})",
                row=child))
    return out


_CHILD_KEYS = {kind: (PERSON_KEY[kind], KEY_ATTRIBUTES[kind]) for kind in PERSON_KEY}


def _children(row: Row, ctx: Context) -> _ChildFindings:
    """The shared pass for this person, made by the first rule that asks for it."""
    memo: _ChildFindings = ctx.rule_state("annual-child-rows", _ChildFindings)
    if memo.person is not row:
        memo = check_children(row)
        ctx.state["annual-child-rows"] = memo
    return memo


@rule(
    "PE-CHILD-PEID", scope="PERSON", consequence=_REJECT,
    requirement="iplos-format.md §1: each child row repeats its person's key (poPeID, fnPeID, "
                "tjPeID, diPeID, dgPeID); a row filed under another person is rejected (2)",
    no="Raden har en annen person-ID (*PeID) enn personen den står under.",
    en="The row's person id (*PeID) differs from the person it is filed under.",
)
def child_person_key(row: Row, ctx: Context) -> list[Violation] | None:
    return _children(row, ctx).wrong_person


def duplicate_child(row: Row, ctx: Context, kind: str) -> list[Violation] | None:
    """Child rows of ``kind`` under this person whose id an earlier one of the kind has."""
    duplicates = _children(row, ctx).duplicates
    return duplicates.get(kind) if duplicates is not None else None


def _register_duplicate(rule_id: str, kind: str, what: str) -> None:
    name = KEY_ATTRIBUTES[kind]

    def check(row: Row, ctx: Context) -> list[Violation] | None:
        return duplicate_child(row, ctx, kind)

    rule(rule_id, scope="PERSON", consequence=_REJECT,
         requirement=f"iplos-format.md §4 (duplicate row IDs within a person): a {kind} whose "
                     f"{name} an earlier {kind} of the same person has is rejected",
         no=f"{what}: samme {name} er brukt før hos personen.",
         en=f"{kind}: the same {name} was used before for this person.")(check)


_register_duplicate("PO-ID-DUPLICATE", "PERSONOPPL", "Personopplysning")
_register_duplicate("FN-ID-DUPLICATE", "FUNKSJON", "Funksjon")
_register_duplicate("TJ-ID-DUPLICATE", "TJENESTE", "Tjeneste")
_register_duplicate("DI-ID-DUPLICATE", "DIAGNOSE", "Diagnose")
_register_duplicate("DG-ID-DUPLICATE", "DOGNTILBUD", "Døgntilbud")
