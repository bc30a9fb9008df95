"""The injector registry and the defect policy: what can be injected, and what together.

Each :class:`Injector` is keyed by a rule id of :data:`mockkpr.iplos.rules.REGISTRY` and changes
one thing per violation, chosen so that the validator reports exactly one finding of that rule
at a known keyed location and nothing else.

**Policy.** A rule is *injectable* in a generation when one change to a valid generated
document makes that rule, and only it, fire. Rules in :data:`NOT_INJECTABLE` (every generation)
or :data:`NOT_INJECTABLE_IN` (one generation) are not, by nature, and say why; every other
registered rule has an injector (a meta-test checks it). *Exclusive* injectors make the
document unreadable and hide every other finding in it: they can only be requested alone and
once. *Slots* name what of a document an injector takes (``iiKomnr``, the person keys of the
join...): two different rules that take the same slot cannot go in one document (the second
would hide or change the first), and a rule whose injector is not *repeatable* takes its slot
once per document. ``--defects all`` is one of each injectable rule of the generation, leaving
out the exclusive ones and, of rules that share a slot, all but the first (by rule id).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from mockkpr.errors import ConfigError
from mockkpr.iplos.formats import DocumentKind, Generation
from mockkpr.iplos.rules import REGISTRY

ANNUAL = frozenset({Generation.ANNUAL_2018, Generation.ANNUAL_2019})
EVENT = frozenset({Generation.EVENT_56})
ALL = ANNUAL | EVENT
Y2018 = frozenset({Generation.ANNUAL_2018})
Y2019 = frozenset({Generation.ANNUAL_2019})


class Target(StrEnum):
    """What an injector changes (and so what its ``apply`` receives)."""

    PERSON = "person"
    """An annual person with its identity row: ``apply(unit: PersonUnit, variant)``."""
    DOCUMENT = "document"
    """The prolog, root, header or reporting unit of one document:
    ``apply(edits: HeaderEdits, doc: DocumentInfo, variant)``."""
    NOTIFICATION = "notification"
    """The notifications of one 56.0.0 person: ``apply(unit: EventUnit, variant)``."""


@dataclass(frozen=True)
class Injected:
    """One injected defect: the rule, the document, the validator's keyed location, the value
    the validator will report (None where it reports no value or a parser message)."""

    rule: str
    document: str
    location: str
    value: str | None

    def as_json(self) -> dict[str, str | None]:
        return {"rule": self.rule, "document": self.document, "location": self.location,
                "value": self.value}


@dataclass(frozen=True)
class Injector:
    """How to violate one rule once (see :class:`Target` for what ``apply`` gets)."""

    rule_id: str
    target: Target
    generations: frozenset[Generation]
    apply: Callable[..., Any]
    description: str
    kind: DocumentKind = DocumentKind.IPLOS
    """DOCUMENT injectors: the kind of document they edit."""
    exclusive: bool = False
    slots: frozenset[str] = frozenset()
    """What of a document the injector takes (see the module docstring)."""
    repeatable: bool = True
    """False: at most one per document (each DOCUMENT injector; a header field is one)."""
    last_only: bool = False
    """NOTIFICATION injectors that must change the very last notification: at most one."""
    early: bool = False
    """PERSON injectors that need a person nothing else touched: placed before the others."""
    peer: bool = False
    """PERSON injectors that also read the identity of the person before (which no other
    injector may then change)."""


INJECTORS: dict[str, list[Injector]] = {}
"""Injectors by rule id: one per set of generations."""

NOT_INJECTABLE: Mapping[str, str] = MappingProxyType({
    "XML-EMPTY": "an empty file has no content to generate; send an empty payload instead",
    "XML-TOO-LARGE": "depends on the receiver's max_payload_bytes setting, not on the "
                     "document; generate more persons or lower the setting",
    "II-YEAR-GENERATION": "the reporting year is the one iiFraDato states, so a year the format "
                          "is not for re-judges every date, age and assessment month of the "
                          "file (and its identity message) against that year: no single change "
                          "to a generated file gives this finding alone",
    "EV-SYNTHETIC-ID": "it fires only when the receiver refuses synthetic ids "
                       "(accept_synthetic_ids=false), and then for every person, since the "
                       "generator writes synthetic national ids only",
    "IDE-NONE": "it fires when the endpoint finds no identity message of the file's kommune "
                "and year from the sender: a matter of what was sent before, not of the "
                "document; send the annual file without its identity message instead",
    "IDE-SYNTHETIC-ID": "it fires only when the receiver refuses synthetic ids "
                        "(accept_synthetic_ids=false), and then for every person, since the "
                        "generator writes synthetic national ids only",
})
"""Registered rules that no change to a generated document can trigger alone, with why."""

NOT_INJECTABLE_IN: Mapping[tuple[str, Generation], str] = MappingProxyType({
    ("IDE-REAL-ID", Generation.ANNUAL_2018): (
        "the real-looking number must be born in the future (it must name nobody), and the "
        "2018 format requires peAlder, which the join then finds at odds with that birth "
        "date (PE-ALDER-IDENT): inject it in a 2019 file"),
})
"""Rules that are not injectable in one generation (but are in another), with why."""


def injector(rule_id: str, target: Target, generations: frozenset[Generation],
             description: str, *, kind: DocumentKind = DocumentKind.IPLOS,
             exclusive: bool = False, slots: tuple[str, ...] = (),
             repeatable: bool | None = None, last_only: bool = False, early: bool = False,
             peer: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the injector of ``rule_id`` for ``generations``.

    DOCUMENT injectors are not repeatable unless said otherwise (each changes a header
    field); the others are.
    """
    again = repeatable if repeatable is not None else target is not Target.DOCUMENT

    def register(apply: Callable[..., Any]) -> Callable[..., Any]:
        existing = INJECTORS.setdefault(rule_id, [])
        if any(generations & other.generations for other in existing):
            raise ValueError(f"injector for {rule_id} registered twice for a generation")
        existing.append(Injector(rule_id, target, generations, apply, description, kind,
                                 exclusive, frozenset(slots), again, last_only, early, peer))
        return apply

    return register


def injector_for(rule_id: str, generation: Generation) -> Injector | None:
    """The injector of ``rule_id`` for ``generation``, or None."""
    return next((i for i in INJECTORS.get(rule_id, []) if generation in i.generations), None)


# ----------------------------------------------------------------------- requests
def all_defects(generation: Generation) -> dict[str, int]:
    """``--defects all``: one of each rule with a non-exclusive injector for ``generation``,
    leaving out a rule that takes a slot an earlier rule (by id) took (:func:`left_out`)."""
    chosen: dict[str, int] = {}
    taken: set[str] = set()
    for rule_id in sorted(INJECTORS):
        found = injector_for(rule_id, generation)
        if rule_id in REGISTRY and found is not None and not found.exclusive \
                and not found.slots & taken:
            chosen[rule_id] = 1
            taken |= found.slots
    return chosen


def left_out(generation: Generation) -> dict[str, str]:
    """Rules injectable in ``generation`` that ``all`` leaves out, with the reason."""
    chosen = all_defects(generation)
    out = {}
    for rule_id in sorted(INJECTORS):
        found = injector_for(rule_id, generation)
        if found is None or rule_id in chosen:
            continue
        if found.exclusive:
            out[rule_id] = "exclusive: it makes the document unreadable"
            continue
        other = next(r for r in chosen if found.slots & _slots(r, generation))
        out[rule_id] = f"takes {', '.join(sorted(found.slots & _slots(other, generation)))} " \
                       f"like {other}"
    return out


def _slots(rule_id: str, generation: Generation) -> frozenset[str]:
    found = injector_for(rule_id, generation)
    return found.slots if found is not None else frozenset()


def parse_defects(text: str, generation: Generation) -> dict[str, int]:
    """Read ``--defects``: ``all`` or ``RULE=N,RULE=N``; raises ConfigError on bad syntax."""
    text = text.strip()
    if text == "all":
        return all_defects(generation)
    wanted: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        rule_id, sep, count = item.partition("=")
        rule_id = rule_id.strip()
        if not sep or not rule_id:
            raise ConfigError(f"--defects {text!r}: {item!r} is not RULE_ID=N (or use 'all')")
        try:
            number = int(count)
        except ValueError:
            raise ConfigError(f"--defects: {rule_id}={count.strip()!r}: N must be a whole "
                              "number") from None
        if rule_id in wanted:
            raise ConfigError(f"--defects: {rule_id} given twice")
        wanted[rule_id] = number
    if not wanted:
        raise ConfigError("--defects: empty; give RULE_ID=N[,RULE_ID=N...] or 'all'")
    return wanted


def check_defects(defects: Mapping[str, int], generation: Generation,
                  documents: int | None) -> None:
    """Raise ConfigError naming the rule when ``defects`` cannot be injected as asked.

    ``documents`` is the number of IPLOS documents (annual 1, 56.0.0 the number of
    messages; an annual output has one identity message too) for the per-document limits;
    None skips those checks (the number of messages is known only once the notifications
    are drawn).
    """
    for rule_id, count in defects.items():
        found = _checked(rule_id, count, generation)
        if found.exclusive and (count != 1 or len(defects) != 1):
            raise ConfigError(f"--defects: {rule_id} makes the document unreadable and hides "
                              f"every other finding: request it alone, as {rule_id}=1")
        if found.last_only and count > 1:
            raise ConfigError(f"--defects: {rule_id}={count}: at most 1 (it goes on the last "
                              "notification, which nothing else depends on)")
        limit = _documents(found, generation, documents)
        if not found.repeatable and limit is not None and count > limit:
            raise ConfigError(f"--defects: {rule_id}={count}: at most {limit} in this output "
                              "(1 per document)")
    _check_slots(defects, generation, documents)


def _checked(rule_id: str, count: int, generation: Generation) -> Injector:
    if rule_id not in REGISTRY:
        raise ConfigError(f"--defects: unknown rule {rule_id} (the validator knows "
                          f"{', '.join(r.id for r in REGISTRY)})")
    if count < 1:
        raise ConfigError(f"--defects: {rule_id}={count}: N must be 1 or more")
    if rule_id in NOT_INJECTABLE:
        raise ConfigError(f"--defects: rule {rule_id} cannot be injected: "
                          f"{NOT_INJECTABLE[rule_id]}")
    if (rule_id, generation) in NOT_INJECTABLE_IN:
        raise ConfigError(f"--defects: rule {rule_id} cannot be injected in generation "
                          f"{generation.value}: {NOT_INJECTABLE_IN[(rule_id, generation)]}")
    if rule_id not in INJECTORS:
        raise ConfigError(f"--defects: rule {rule_id} has no defect injector yet "
                          "(mockkpr.generator.defects)")
    found = injector_for(rule_id, generation)
    if found is None:
        raise ConfigError(f"--defects: rule {rule_id} has no injector for generation "
                          f"{generation.value} (it applies to "
                          f"{_generations(REGISTRY[rule_id].generations)})")
    return found


def _documents(found: Injector, generation: Generation, documents: int | None) -> int | None:
    """How many documents the injector can spread over (None: not known yet)."""
    if found.target is not Target.DOCUMENT or found.kind is DocumentKind.IDENTITY:
        return 1 if generation is not Generation.EVENT_56 else documents
    return documents


def _check_slots(defects: Mapping[str, int], generation: Generation,
                 documents: int | None) -> None:
    users: dict[str, list[tuple[Injector, int]]] = {}
    for rule_id, count in sorted(defects.items()):
        found = injector_for(rule_id, generation)
        assert found is not None
        for slot in found.slots:
            users.setdefault(slot, []).append((found, count))
    for slot, taking in sorted(users.items()):
        if len(taking) < 2:
            continue
        limit = _documents(taking[0][0], generation, documents)
        needed = sum(1 if found.repeatable else count for found, count in taking)
        if limit is not None and needed > limit:
            names = " and ".join(found.rule_id for found, _ in taking)
            raise ConfigError(f"--defects: {names} both take {slot} and cannot go in one "
                              f"document ({limit} in this output): request them in separate "
                              "runs")


def _generations(generations: frozenset[Generation]) -> str:
    return ", ".join(sorted(g.value for g in generations))
