"""The rule registry: every check the validator knows, with its id, consequence and texts.

A rule is a small function registered with :func:`rule`. It receives one row and the
validation context and returns :class:`Violation` values (or None when all is well); the
engine turns them into findings (location, consequence, messages) and applies the
consequence. Rules never raise for bad data.

Scopes: a row kind (``PERSON``, ``TJENESTE``, ``Notifikasjon``, ``PasientIdent``...) runs the
rule on every such row; ``ROOT`` runs it once on the root element when the document starts;
``END`` once after the last row (for checks across the whole document); ``DOCUMENT`` rules have
no function: the engine raises them for documents it cannot read (not well-formed, DTD...).

A rule may *own* fields (``xsd_fields``): a schema type error on such a field in such a row is
reported under that rule, with the rule's consequence, instead of as a generic schema error.
A missing required field or attribute is reported by the rule owning ``+name`` when there is
one (a "required" rule: ``xsd_fields=("+tjVedtDato",)``), otherwise by the owner of ``name``.
Value rules skip values that are malformed, so that each defect gives exactly one finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.formats import DocumentKind, Generation
from mockkpr.iplos.rows import Row

ANNUAL = frozenset({Generation.ANNUAL_2018, Generation.ANNUAL_2019})
EVENT = frozenset({Generation.EVENT_56})
ALL_GENERATIONS = ANNUAL | EVENT

ROOT = "ROOT"
END = "END"
DOCUMENT = "DOCUMENT"


@dataclass(frozen=True, slots=True)
class Violation:
    """What a rule found. ``field`` is a field name, ``@attribute`` or None for the row itself.

    ``row`` defaults to the row the rule was called with; ``location`` overrides the computed
    location entirely (for END rules that point at something no longer in memory).
    """

    field: str | None
    value: str | None
    expected: str
    row: Row | None = None
    location: str | None = None
    line: int | None = None


@dataclass
class Identity:
    """One entry of the identity message, as the IPLOS rules need it.

    ``rejected`` marks an entry a rule of the identity message rejected (a wrong national id,
    say): the person key is known, so the join does not report the person as missing too.
    """

    national_id: str
    id_type: str
    location: str
    line: int
    matched: bool = False
    rejected: bool = False


@dataclass
class Context:
    """What rules may know beyond the row: the document's year, kommune, identities, options."""

    generation: Generation | None
    kind: DocumentKind
    year: int
    period_start: date
    period_end: date
    kommune: str | None = None
    accept_synthetic_ids: bool = True
    flag_real_ids: bool = True
    identities: dict[str, Identity] | None = None
    identity_header: Row | None = None
    """The identity message's INNHINFO when joining (to compare kommune and year)."""
    identity_missing: bool = False
    """A join was due and no identity message matched (``identities`` is then None)."""
    state: dict[str, Any] = field(default_factory=dict)

    def rule_state(self, rule_id: str, factory: Callable[[], Any]) -> Any:
        """Private, per-document state of one rule (seen ids, the previous notification...)."""
        if rule_id not in self.state:
            self.state[rule_id] = factory()
        return self.state[rule_id]


# A check returns its violations (a list, or a generator) or None when the row is fine;
# returning None keeps the common case cheap on the validator's hot path.
Check = Callable[[Row, Context], Iterable[Violation] | None]


@dataclass(frozen=True)
class Rule:
    """A registered rule. ``requirement`` names where the rule comes from."""

    id: str
    scopes: frozenset[str]
    consequence: Consequence
    requirement: str
    message_no: str
    message_en: str
    generations: frozenset[Generation]
    kinds: frozenset[DocumentKind]
    check: Check | None
    xsd_fields: tuple[str, ...] = ()
    apprec_code: str = "T99"


class RuleRegistry:
    """All rules by id, with a per-(generation, kind, scope) index for the engine."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}
        self._index: dict[tuple[Generation | None, DocumentKind, str], tuple[Rule, ...]] = {}
        self._owners: dict[tuple[Generation | None, DocumentKind, str, str], Rule | None] = {}
        self._checks: dict[tuple[Generation | None, DocumentKind, str],
                           tuple[tuple[Rule, Check], ...]] = {}

    def add(self, rule: Rule) -> None:
        if rule.id in self._rules:
            raise ValueError(f"rule {rule.id} registered twice")
        self._rules[rule.id] = rule
        self._index.clear()
        self._owners.clear()
        self._checks.clear()

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda r: r.id))

    def __len__(self) -> int:
        return len(self._rules)

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def for_scope(
        self, generation: Generation | None, kind: DocumentKind, scope: str
    ) -> tuple[Rule, ...]:
        """The rules to run on one scope of one format, in id order."""
        key = (generation, kind, scope)
        if key not in self._index:
            self._index[key] = tuple(
                r for r in self
                if scope in r.scopes and kind in r.kinds and r.check is not None
                and (generation is None or generation in r.generations)
            )
        return self._index[key]

    def checks_for(
        self, generation: Generation | None, kind: DocumentKind, scope: str
    ) -> tuple[tuple[Rule, Check], ...]:
        """:meth:`for_scope` with each rule's function beside it (what the engine calls)."""
        key = (generation, kind, scope)
        found = self._checks.get(key)
        if found is None:
            found = self._checks[key] = tuple(
                (r, r.check) for r in self.for_scope(generation, kind, scope)
                if r.check is not None)
        return found

    def owner_of(
        self, generation: Generation | None, kind: DocumentKind, scope: str, name: str
    ) -> Rule | None:
        """The rule that reports schema type errors of field ``name`` in rows of ``scope``."""
        key = (generation, kind, scope, name)
        if key not in self._owners:
            self._owners[key] = next(
                (r for r in self
                 if scope in r.scopes and name in r.xsd_fields and kind in r.kinds
                 and (generation is None or generation in r.generations)),
                None,
            )
        return self._owners[key]


REGISTRY = RuleRegistry()


def rule(
    rule_id: str,
    *,
    scope: str | tuple[str, ...],
    consequence: Consequence,
    requirement: str,
    no: str,
    en: str,
    generations: frozenset[Generation] = ANNUAL,
    kinds: frozenset[DocumentKind] = frozenset({DocumentKind.IPLOS}),
    xsd_fields: tuple[str, ...] = (),
    apprec_code: str = "T99",
) -> Callable[[Check], Check]:
    """Register the decorated function as rule ``rule_id``."""

    def register(check: Check) -> Check:
        REGISTRY.add(Rule(rule_id, _scopes(scope), consequence, requirement, no, en,
                          generations, kinds, check, xsd_fields, apprec_code))
        return check

    return register


def declare(
    rule_id: str,
    *,
    scope: str | tuple[str, ...],
    consequence: Consequence,
    requirement: str,
    no: str,
    en: str,
    generations: frozenset[Generation] = ALL_GENERATIONS,
    kinds: frozenset[DocumentKind] = frozenset({DocumentKind.IPLOS, DocumentKind.IDENTITY}),
    xsd_fields: tuple[str, ...] = (),
    apprec_code: str = "T99",
) -> Rule:
    """Register a rule without a function: the engine or the schema raises it."""
    r = Rule(rule_id, _scopes(scope), consequence, requirement, no, en, generations, kinds, None,
             xsd_fields, apprec_code)
    REGISTRY.add(r)
    return r


def _scopes(scope: str | tuple[str, ...]) -> frozenset[str]:
    return frozenset((scope,) if isinstance(scope, str) else scope)
