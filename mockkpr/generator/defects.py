"""Controlled defects: inject exactly N violations of a validator rule and record where.

Each :class:`Injector` is keyed by a rule id of :data:`mockkpr.iplos.rules.REGISTRY` and changes
exactly one thing per violation, chosen so that the validator reports exactly one finding of
that rule at a known keyed location and nothing else. :class:`DefectPlan` places the defects
before anything is written: for each one it draws a person index from the seed, draws that
person (a pure function of seed and index), and asks the injector whether the person can host
it (a service with hours, say); the writer later draws the same person and applies the same
injectors in the same order. So the plan knows every location up front, and the output stays
streaming and deterministic.

**Which rules are injectable.** A rule is *injectable* when a valid generated document can be
changed in one place so that the rule, and only the rule, fires. Rules listed in
:data:`NOT_INJECTABLE` are not, by nature (the reason is given); every other registered rule
must have an injector (a meta-test checks it). *Exclusive* injectors (the document can no
longer be read: not well-formed, DOCTYPE, unknown format) hide every other finding of that
document, so they can only be requested alone and once; ``--defects all`` leaves them out.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, cast

from mockkpr.errors import ConfigError
from mockkpr.generator.hooks import Hooks
from mockkpr.generator.model import ROW_ID_FACTOR, derive_seed
from mockkpr.generator.rows import Diagnosis, IdentityRow, Notice, Person
from mockkpr.iplos.formats import DocumentKind, Generation
from mockkpr.iplos.rules import REGISTRY

ANNUAL = frozenset({Generation.ANNUAL_2018, Generation.ANNUAL_2019})
EVENT = frozenset({Generation.EVENT_56})
ALL = ANNUAL | EVENT


class Target(StrEnum):
    """Where an injector acts."""

    PERSON = "person"  # an annual PERSON (or what follows it at the root)
    IDENTITY = "identity"  # a PasientIdent of the identity file
    NOTIFICATION = "notification"  # one 56.0.0 notification (or what follows it)
    HEADER = "header"  # the header of an IPLOS document (INNHINFO, Kontaktperson)
    PROLOG = "prolog"  # between the XML declaration and the root
    NAMESPACE = "namespace"  # the root element's namespace


@dataclass(frozen=True)
class Injected:
    """One injected defect: the rule, the document, the validator's keyed location, the value
    the validator will report (None where it reports a parser message)."""

    rule: str
    document: str
    location: str
    value: str | None

    def as_json(self) -> dict[str, str | None]:
        return {"rule": self.rule, "document": self.document, "location": self.location,
                "value": self.value}


# An apply function changes its target and returns (location, value), or None when this target
# cannot host the defect (the plan then tries another person). ``variant`` is drawn by the plan.
# PERSON: apply(person, variant); IDENTITY: apply(identity_row, variant); NOTIFICATION:
# apply(notice, variant) with a mockkpr.generator.events.Notice. Document-level injectors
# (HEADER, PROLOG, NAMESPACE) get the root element name and return (markup, location, value).


@dataclass(frozen=True)
class Injector:
    """How to violate one rule once. ``apply`` matches ``target`` (see the Apply types)."""

    rule_id: str
    target: Target
    generations: frozenset[Generation]
    apply: Callable[..., Any]
    description: str
    exclusive: bool = False
    per_document: int | None = None
    """At most this many per document (the schema reports only the first header error)."""
    last_only: bool = False
    """NOTIFICATION injectors that must hit the very last notification (nothing after it can
    depend on it); at most one per output."""


INJECTORS: dict[str, list[Injector]] = {}
"""Injectors by rule id: one per set of generations."""


RowResult = tuple[str, str | None] | None
DocumentResult = tuple[str, str, str | None]


def apply_to_row(found: Injector, target: object, variant: int) -> RowResult:
    """Run a PERSON, IDENTITY or NOTIFICATION injector: (location, value) or None."""
    return cast(RowResult, found.apply(target, variant))


def apply_to_document(found: Injector, root: str, generation: str) -> DocumentResult:
    """Run a HEADER, PROLOG or NAMESPACE injector: (markup, location, value)."""
    return cast(DocumentResult, found.apply(root, generation))


def injector_for(rule_id: str, generation: Generation) -> Injector | None:
    """The injector of ``rule_id`` for ``generation``, or None."""
    return next((i for i in INJECTORS.get(rule_id, []) if generation in i.generations), None)

NOT_INJECTABLE: Mapping[str, str] = MappingProxyType({
    "XML-EMPTY": "an empty file has no content to generate; send an empty payload instead",
    "XML-TOO-LARGE": "depends on the receiver's max_payload_bytes setting, not on the "
                     "document; generate more persons or lower the setting",
})
"""Registered rules that no change to a generated document can trigger, with the reason."""

EXTRA_ELEMENT = "EKSTRA"
DEFECT_TEXT = "defekt"
UNKNOWN_NAMESPACE = "urn:mockkpr:unknown-format"


def injector(rule_id: str, target: Target, generations: frozenset[Generation], description: str,
             *, exclusive: bool = False, per_document: int | None = None,
             last_only: bool = False
             ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the injector of ``rule_id`` for ``generations``."""

    def register(apply: Callable[..., Any]) -> Callable[..., Any]:
        existing = INJECTORS.setdefault(rule_id, [])
        if any(generations & other.generations for other in existing):
            raise ValueError(f"injector for {rule_id} registered twice for a generation")
        existing.append(Injector(rule_id, target, generations, apply, description, exclusive,
                                 per_document, last_only))
        return apply

    return register


# ----------------------------------------------------------------------- locations
def person_path(person: Person) -> str:
    """The validator's keyed path of an annual PERSON."""
    return f"/IPLOS/PERSON[@pePeID={person.identity.key}]"


def _free_row_id(person: Person, used: list[int]) -> int | None:
    base = person.identity.key * ROW_ID_FACTOR
    candidates = [base + n for n in range(1, ROW_ID_FACTOR) if base + n not in used]
    return candidates[0] if candidates else None


# ----------------------------------------------------------------------- annual injectors
TOO_MANY_HOURS = ("200.00", "168.25", "999.99")


@injector("TJ-TIMERUKE-RANGE", Target.PERSON, ANNUAL,
          "tjTimerUke of one service set above 168 (a value the schema accepts)")
def _hours_out_of_range(person: Person, variant: int) -> tuple[str, str | None] | None:
    for service in person.services:
        if service.hours is not None and service.overrides is None and service.extra is None:
            value = TOO_MANY_HOURS[variant % len(TOO_MANY_HOURS)]
            service.override("tjTimerUke", value)
            return (f"{person_path(person)}/TJENESTE[@tjTjID={service.row_id}]/tjTimerUke",
                    value)
    return None


@injector("XSD-ROW", Target.PERSON, ANNUAL,
          "an unknown element at the end of one DIAGNOSE row (the row is rejected; nothing "
          "depends on a diagnosis). A diagnosis is added to a person who has none")
def _unknown_row_element(person: Person, variant: int) -> tuple[str, str | None] | None:
    target = next((d for d in person.diagnoses if d.extra is None and d.overrides is None),
                  None)
    if target is None:
        row_id = _free_row_id(person, [d.row_id for d in person.diagnoses])
        if row_id is None:
            return None
        end = person.death if person.death is not None else person.assessed_to
        target = Diagnosis(row_id, "ICPC-2", "A99", person.assessed_from, end)
        person.diagnoses.append(target)
    target.extra = f"      <diMerknad>{DEFECT_TEXT}</diMerknad>\n"
    return f"{person_path(person)}/DIAGNOSE[@diDiID={target.row_id}]/diMerknad", DEFECT_TEXT


@injector("XML-STRUCTURE", Target.PERSON, ANNUAL,
          "an unknown element at the root level after one PERSON")
def _unknown_root_element(person: Person, variant: int) -> tuple[str, str | None] | None:
    if person.after is not None:
        return None
    person.after = f"  <{EXTRA_ELEMENT}/>\n"
    return "/IPLOS", EXTRA_ELEMENT  # the value gets the namespace in DefectPlan


@injector("XML-NOT-WELL-FORMED", Target.PERSON, ANNUAL,
          "one unclosed element inside a TJENESTE row", exclusive=True)
def _not_well_formed(person: Person, variant: int) -> tuple[str, str | None] | None:
    if not person.services:
        return None
    person.services[0].extra = "      <tjMerknad>\n"
    return "/", None


@injector("XML-STRUCTURE", Target.NOTIFICATION, EVENT,
          "an unknown element at the root level after one notification")
def _unknown_root_element_56(notice: Notice, variant: int) -> tuple[str, str | None] | None:
    if notice.after:
        return None
    notice.after = f"  <{EXTRA_ELEMENT}/>\n"
    return "/Melding", EXTRA_ELEMENT


@injector("XSD-ROW", Target.NOTIFICATION, EVENT,
          "an unknown attribute on the last notification (the row is rejected; nothing after "
          "it refers to it)", last_only=True)
def _unknown_attribute_56(notice: Notice, variant: int) -> tuple[str, str | None] | None:
    notice.attributes += f' merknad="{DEFECT_TEXT}"'
    return f"{notice.path}/@merknad", DEFECT_TEXT


@injector("XML-NOT-WELL-FORMED", Target.HEADER, EVENT,
          "a '<' inside an attribute value of the first Kontaktperson", exclusive=True)
def _not_well_formed_56(root: str, generation: str) -> tuple[str, str, str | None]:
    return ' merknad="a<b"', "/", None


@injector("XSD-HEADER", Target.HEADER, ALL,
          "an unknown element at the end of the header", per_document=1)
def _unknown_header_element(root: str, generation: str) -> tuple[str, str, str | None]:
    if root == "Melding":
        return (f' merknad="{DEFECT_TEXT}"', "/Melding/Kontaktperson[1]/@merknad", DEFECT_TEXT)
    return (f"    <iiMerknad>{DEFECT_TEXT}</iiMerknad>\n", f"/{root}/INNHINFO/iiMerknad",
            DEFECT_TEXT)


@injector("XML-DOCTYPE", Target.PROLOG, ALL, "a DOCTYPE before the root element",
          exclusive=True)
def _doctype(root: str, generation: str) -> tuple[str, str, str | None]:
    return f"<!DOCTYPE {root}>\n", "/", f"<!DOCTYPE {root}>"


@injector("XML-UNKNOWN-FORMAT", Target.NAMESPACE, ALL,
          "the root element in a namespace no format uses", exclusive=True)
def _unknown_namespace(root: str, generation: str) -> tuple[str, str, str | None]:
    return UNKNOWN_NAMESPACE, "/", f"{{{UNKNOWN_NAMESPACE}}}{root}"


# ----------------------------------------------------------------------- requests
def parse_defects(text: str, generation: Generation) -> dict[str, int]:
    """Read ``--defects``: ``all`` or ``RULE=N,RULE=N``; raises ConfigError on bad syntax.

    ``all`` means one of each rule that is registered, has an injector for ``generation`` and
    is not exclusive.
    """
    text = text.strip()
    if text == "all":
        chosen = {}
        for rule_id in sorted(INJECTORS):
            found = injector_for(rule_id, generation)
            if rule_id in REGISTRY and found is not None and not found.exclusive:
                chosen[rule_id] = 1
        return chosen
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

    ``documents`` is the number of IPLOS documents with a header (annual 1, 56.0.0 the
    number of messages) for rules with a per-document limit; None skips that check (the
    number of messages is known only once the notifications are drawn).
    """
    for rule_id, count in defects.items():
        if rule_id not in REGISTRY:
            raise ConfigError(f"--defects: unknown rule {rule_id} (the validator knows "
                              f"{', '.join(r.id for r in REGISTRY)})")
        if count < 1:
            raise ConfigError(f"--defects: {rule_id}={count}: N must be 1 or more")
        if rule_id in NOT_INJECTABLE:
            raise ConfigError(f"--defects: rule {rule_id} cannot be injected: "
                              f"{NOT_INJECTABLE[rule_id]}")
        if rule_id not in INJECTORS:
            raise ConfigError(f"--defects: rule {rule_id} has no defect injector yet "
                              "(mockkpr.generator.defects)")
        found = injector_for(rule_id, generation)
        if found is None:
            raise ConfigError(f"--defects: rule {rule_id} has no injector for generation "
                              f"{generation.value} (it applies to "
                              f"{_generations(REGISTRY[rule_id].generations)})")
        if found.exclusive and (count != 1 or len(defects) != 1):
            raise ConfigError(f"--defects: {rule_id} makes the document unreadable and hides "
                              "every other finding: request it alone, as "
                              f"{rule_id}=1")
        if found.last_only and count > 1:
            raise ConfigError(f"--defects: {rule_id}={count}: at most 1 (it goes on the last "
                              "notification, which nothing else depends on)")
        if (found.per_document is not None and documents is not None
                and count > found.per_document * documents):
            raise ConfigError(f"--defects: {rule_id}={count}: at most "
                              f"{found.per_document * documents} in this output "
                              f"({found.per_document} per document)")


def _generations(generations: frozenset[Generation]) -> str:
    return ", ".join(sorted(g.value for g in generations))


# ----------------------------------------------------------------------- the plan
@dataclass
class _Placed:
    injector: Injector
    variant: int
    record: Injected | None
    markup: str = ""


PersonDraw = Callable[[int], Person]
_DOCUMENT_TARGETS = (Target.HEADER, Target.PROLOG, Target.NAMESPACE)


@dataclass
class DefectPlan(Hooks):
    """Where each requested defect goes, decided before writing; applied by the writers'
    hooks. Placement runs in phases (persons, documents, notifications) because a 56.0.0
    output knows its notifications only after drawing every person.

    :attr:`records` lists every placed defect for the manifest; notification defects are
    recorded when written (their location names the notification's GUID).
    """

    defects: Mapping[str, int]
    generation: Generation
    seed: int
    _records: list[Injected] = field(default_factory=list)
    _by_index: dict[tuple[Target, int], list[_Placed]] = field(default_factory=dict)
    _document: list[_Placed] = field(default_factory=list)
    _by_position: dict[int, list[_Placed]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(derive_seed(self.seed, "defects"))  # noqa: S311

    @property
    def records(self) -> list[Injected]:
        return sorted(self._records, key=lambda r: (r.rule, r.document, r.location))

    def _wanted(self, targets: tuple[Target, ...]) -> list[tuple[Injector, int]]:
        out = []
        for rule_id in sorted(self.defects):
            found = injector_for(rule_id, self.generation)
            if found is not None and found.target in targets:
                out += [(found, self._rng.randrange(1 << 16))
                        for _ in range(self.defects[rule_id])]
        return out

    # ------------------------------------------------------------------ placement
    def place_persons(self, persons: int, draw_person: PersonDraw, document: str,
                      namespace: str) -> None:
        """Place PERSON defects on annual persons (ConfigError when too few can host)."""
        for found, variant in self._wanted((Target.PERSON,)):
            self._place_person(found, variant, persons, draw_person, document, namespace)

    def place_documents(self, documents: list[str]) -> None:
        """Place header, prolog and namespace defects; header defects spread one per
        document, the others go to the first."""
        root = "Melding" if self.generation is Generation.EVENT_56 else "IPLOS"
        headers = 0
        for found, variant in self._wanted(_DOCUMENT_TARGETS):
            document = documents[headers % len(documents)]
            headers += found.target is Target.HEADER
            markup, location, value = apply_to_document(found, root, self.generation.value)
            record = Injected(found.rule_id, document, location, value)
            self._document.append(_Placed(found, variant, record, markup))
            self._records.append(record)

    def place_notifications(self, total: int) -> None:
        """Choose the notification positions (0-based, across all messages) of
        NOTIFICATION defects; ConfigError when there are too few notifications."""
        wanted = self._wanted((Target.NOTIFICATION,))
        taken: set[int] = set()
        for found, variant in wanted:
            if total == 0:
                raise ConfigError(f"--defects: {found.rule_id}: no notifications to put it in")
            if found.last_only:
                position = total - 1
            else:
                free = total - len(taken)
                if free <= 0:
                    raise ConfigError(f"--defects: {found.rule_id}: not enough notifications "
                                      f"({total}) for the defects asked for")
                position = self._rng.randrange(total)
                while position in taken:
                    position = (position + 1) % total
            taken.add(position)
            self._by_position.setdefault(position, []).append(_Placed(found, variant, None))

    def _place_person(self, found: Injector, variant: int, persons: int,
                      draw_person: PersonDraw, document: str, namespace: str) -> None:
        tried = [self._rng.randrange(persons) for _ in range(min(persons, 64))]
        order = tried + sorted(set(range(persons)) - set(tried)) if persons <= 4096 else tried
        for index in order:
            person = draw_person(index)
            for placed in self._by_index.get((Target.PERSON, index), []):
                apply_to_row(placed.injector, person, placed.variant)
            result = apply_to_row(found, person, variant)
            if result is None:
                continue
            location, value = result
            if found.rule_id == "XML-STRUCTURE" and value is not None:
                value = f"{{{namespace}}}{value}"
            record = Injected(found.rule_id, document, location, value)
            self._by_index.setdefault((Target.PERSON, index), []).append(
                _Placed(found, variant, record))
            self._records.append(record)
            return
        raise ConfigError(f"--defects: not enough places for {found.rule_id} in {persons} "
                          f"persons ({found.description}); generate more persons")

    # ------------------------------------------------------------------ hooks
    def _markups(self, target: Target, document: str) -> list[str]:
        return [p.markup for p in self._document
                if p.injector.target is target and p.record is not None
                and p.record.document == document]

    def prolog(self, kind: DocumentKind, document: str) -> str:
        return "".join(self._markups(Target.PROLOG, document))

    def namespace(self, kind: DocumentKind, namespace: str, document: str) -> str:
        if kind is DocumentKind.IPLOS:
            found = self._markups(Target.NAMESPACE, document)
            if found:
                return found[0]
        return namespace

    def header_extra(self, kind: DocumentKind, document: str, root: str) -> str:
        if kind is not DocumentKind.IPLOS:
            return ""
        return "".join(self._markups(Target.HEADER, document))

    def person(self, person: Person, document: str) -> None:
        for placed in self._by_index.get((Target.PERSON, person.identity.index), []):
            result = apply_to_row(placed.injector, person, placed.variant)
            assert placed.record is not None
            if result is None or result[0] != placed.record.location:
                raise AssertionError(f"defect {placed.record} not reproduced: {result}")

    def identity(self, row: IdentityRow, document: str) -> None:
        for placed in self._by_index.get((Target.IDENTITY, row.identity.index), []):
            apply_to_row(placed.injector, row, placed.variant)

    def notification(self, notice: Notice, position: int, document: str,
                     namespace: str) -> None:
        """Apply the NOTIFICATION defects placed at ``position`` and record them."""
        for placed in self._by_position.get(position, []):
            result = apply_to_row(placed.injector, notice, placed.variant)
            if result is None:
                raise AssertionError(f"{placed.injector.rule_id} cannot be applied to "
                                     f"notification {position}")
            location, value = result
            if placed.injector.rule_id == "XML-STRUCTURE" and value is not None:
                value = f"{{{namespace}}}{value}"
            self._records.append(Injected(placed.injector.rule_id, document, location, value))
