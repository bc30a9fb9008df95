"""Where each requested defect goes, decided before writing, and the writer hooks that apply
it.

Placement runs in phases, because a 56.0.0 output knows its notifications only after drawing
every person: annual persons, then documents (headers), then 56.0.0 notifications. For a
person defect the plan draws a person index from the seed, draws that person (a pure function
of seed and index), replays the defects already placed on it, and asks the injector whether
the person can still host the new one. The writer later draws the same person and replays the
same injectors in the same order, so every decision, and every location, comes out the same:
the plan knows them all before anything is written, and output stays streaming and
deterministic. Defects that need a whole person are placed first. 56.0.0 notification defects
are replayed once after placement and kept as the changed notifications (only those), which
the writer swaps in; what depends on the position in the output (previous GUID, running
number) is filled in then, and their records are made when written.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import cast

from mockkpr.errors import ConfigError
from mockkpr.generator.defects.headers import DocumentInfo
from mockkpr.generator.defects.notifications import EventUnit, NoteHit, NoteView
from mockkpr.generator.defects.registry import Injected, Injector, Target, injector_for
from mockkpr.generator.defects.units import Hit, PersonUnit
from mockkpr.generator.hooks import NO_EDITS, HeaderEdits, Hooks
from mockkpr.generator.model import World, derive_seed
from mockkpr.generator.rows import IdentityRow, Notice, Person
from mockkpr.iplos.formats import DocumentKind, Generation

PersonDraw = Callable[[int], Person]
NotesDraw = Callable[[int], list[tuple[int, str, str, str]]]
"""Person index -> its 56.0.0 notifications as (sort key, GUID, head, body), in time order."""
RANDOM_TRIES = 64
FULL_SCAN = 4096


@dataclass
class _Placed:
    injector: Injector
    variant: int
    location: str | None = None
    """Annual: where the finding is (checked when the writer replays the injector)."""


@dataclass
class _Note:
    """A 56.0.0 notification changed by defects, with what they will report."""

    view: NoteView
    hits: list[tuple[str, NoteHit]] = field(default_factory=list)


class DefectPlan(Hooks):
    """The defects of one output and where they go (see the module docstring).

    :attr:`records` lists every placed defect for the manifest; 56.0.0 notification defects
    are recorded when written (their location names the notification's GUID and message).
    """

    def __init__(self, defects: Mapping[str, int], world: World) -> None:
        self.defects = dict(defects)
        self.world = world
        self.generation = world.spec.generation
        rng = random.Random(derive_seed(world.spec.seed, "defects"))  # noqa: S311
        self._rng = rng
        wanted = []
        for rule_id in sorted(self.defects):
            found = injector_for(rule_id, self.generation)
            if found is not None:
                wanted += [(found, rng.randrange(1 << 16)) for _ in range(self.defects[rule_id])]
        self._wanted = sorted(wanted, key=lambda item: not item[0].early)
        self._records: list[Injected] = []
        self._persons: dict[int, list[_Placed]] = {}
        self._reserved: set[int] = set()
        self._draw: PersonDraw | None = None
        self._documents = ("", "")
        self._namespace = ""
        self._headers: dict[str, HeaderEdits] = {}
        self._events: dict[int, list[_Placed]] = {}
        self._notes: dict[str, _Note] = {}

    @property
    def records(self) -> list[Injected]:
        return sorted(self._records, key=lambda r: (r.rule, r.document, r.location))

    def _of(self, target: Target) -> list[tuple[Injector, int]]:
        return [(found, variant) for found, variant in self._wanted if found.target is target]

    def _order(self, persons: int, first: int | None = None) -> list[int]:
        """Person indexes to try: ``first``, then random ones, then (small outputs) all."""
        tried = [self._rng.randrange(persons) for _ in range(min(persons, RANDOM_TRIES))]
        if first is not None:
            tried.insert(0, first)
        if persons <= FULL_SCAN:
            tried += sorted(set(range(persons)) - set(tried))
        return tried

    # ------------------------------------------------------------------ annual persons
    def place_persons(self, persons: int, draw_person: PersonDraw, documents: tuple[str, str],
                      namespace: str) -> None:
        """Place PERSON defects on annual persons (ConfigError when too few can host).
        ``documents`` are the IPLOS and identity file names."""
        self._draw, self._documents, self._namespace = draw_person, documents, namespace
        for found, variant in self._of(Target.PERSON):
            self._place_person(found, variant, persons)

    def _unit(self, index: int, person: Person | None = None,
              row: IdentityRow | None = None) -> tuple[PersonUnit, list[Hit]]:
        """Person ``index`` (drawn unless given) with its placed defects applied again."""
        if person is None:
            assert self._draw is not None
            person = self._draw(index)
        claims = {"ident-reserved"} if index in self._reserved else set()
        unit = PersonUnit(person, row or IdentityRow(person.identity), self.world, claims)
        hits = []
        for placed in self._persons.get(index, []):
            hit = cast(Hit | None, placed.injector.apply(unit, placed.variant))
            if hit is None or hit.location != placed.location:
                raise AssertionError(f"{placed.injector.rule_id} not reproduced on person "
                                     f"{index}: {hit}")
            hits.append(hit)
        return unit, hits

    def _place_person(self, found: Injector, variant: int, persons: int) -> None:
        for index in self._order(persons):
            if found.peer and (index == 0 or "ident" in self._unit(index - 1)[0].claims):
                continue
            unit, _ = self._unit(index)
            hit = cast(Hit | None, found.apply(unit, variant))
            if hit is None:
                continue
            value = hit.value
            if found.rule_id == "XML-STRUCTURE" and value is not None:
                value = f"{{{self._namespace}}}{value}"
            document = self._documents[1] if hit.identity else self._documents[0]
            self._records.append(Injected(found.rule_id, document, hit.location, value))
            self._persons.setdefault(index, []).append(_Placed(found, variant, hit.location))
            if found.peer:
                self._reserved.add(index - 1)
            return
        raise ConfigError(f"--defects: not enough places for {found.rule_id} in {persons} "
                          f"persons ({found.description}); generate more persons")

    # ------------------------------------------------------------------ documents
    def place_documents(self, iplos: list[str], identity: list[str]) -> None:
        """Place header, prolog and namespace defects: each goes to the first document
        (after the one its rule used last) where its slots are free."""
        names = {DocumentKind.IPLOS: iplos, DocumentKind.IDENTITY: identity}
        event = self.generation is Generation.EVENT_56
        roots = {DocumentKind.IPLOS: "Melding" if event else "IPLOS",
                 DocumentKind.IDENTITY: "IdentMelding"}
        taken: dict[str, dict[str, str]] = {}
        turn: dict[str, int] = {}
        for found, variant in self._of(Target.DOCUMENT):
            documents = names[found.kind]
            start = turn.get(found.rule_id, 0)
            for step in range(len(documents)):
                document = documents[(start + step) % len(documents)]
                slots = taken.setdefault(document, {})
                if all(slot not in slots or (slots[slot] == found.rule_id and found.repeatable)
                       for slot in found.slots):
                    break
            else:
                raise ConfigError(f"--defects: {found.rule_id}: no document left for it (its "
                                  f"{', '.join(sorted(found.slots))} are taken)")
            turn[found.rule_id] = start + step + 1
            slots.update((slot, found.rule_id) for slot in found.slots)
            edits = self._headers.setdefault(document, HeaderEdits())
            result = found.apply(edits, DocumentInfo(self.world, roots[found.kind]), variant)
            if result is None:
                raise ConfigError(f"--defects: {found.rule_id} cannot be injected for kommune "
                                  f"{self.world.kommune} in {self.world.year} "
                                  f"({found.description})")
            location, value = result
            self._records.append(Injected(found.rule_id, document, location, value))

    # ------------------------------------------------------------------ notifications
    def place_notifications(self, total: int, last_key: int, notes: NotesDraw) -> None:
        """Place 56.0.0 notification defects on persons' notifications; ``last_key`` is the
        sort key of the output's last notification (ConfigError when too few can host)."""
        persons = self.world.spec.persons
        wanted = self._of(Target.NOTIFICATION)
        last_index = (last_key >> 8) & 0xFFFFFFFF if last_key >= 0 and wanted else None
        last_guid = None
        if last_index is not None:
            last_guid = next(guid for key, guid, _, _ in notes(last_index) if key == last_key)
        for found, variant in wanted:
            if found.last_only and total < 2:
                raise ConfigError(f"--defects: {found.rule_id}: needs two notifications or "
                                  f"more (there are {total})")
            order = [last_index] if found.last_only and last_index is not None \
                else self._order(persons)
            for index in order:
                unit, _ = self._event_unit(index, notes, last_guid)
                if found.apply(unit, variant) is not None:
                    self._events.setdefault(index, []).append(_Placed(found, variant))
                    break
            else:
                raise ConfigError(f"--defects: not enough places for {found.rule_id} in the "
                                  f"notifications of {persons} persons ({found.description}); "
                                  "generate more persons")
        for index in sorted(self._events):
            unit, hits = self._event_unit(index, notes, last_guid)
            views = {view.guid: view for view in unit.notes}
            for rule_id, hit in hits:
                entry = self._notes.setdefault(hit.guid, _Note(views[hit.guid]))
                entry.hits.append((rule_id, hit))

    def _event_unit(self, index: int, notes: NotesDraw, last_guid: str | None
                    ) -> tuple[EventUnit, list[tuple[str, NoteHit]]]:
        views = [NoteView.parse(key, head, body) for key, _, head, body in notes(index)]
        unit = EventUnit(index, views, last_guid)
        hits = []
        for placed in self._events.get(index, []):
            hit = cast(NoteHit | None, placed.injector.apply(unit, placed.variant))
            if hit is None:
                raise AssertionError(f"{placed.injector.rule_id} not reproduced on person "
                                     f"{index}")
            hits.append((placed.injector.rule_id, hit))
        return unit, hits

    # ------------------------------------------------------------------ hooks
    def header(self, kind: DocumentKind, document: str) -> HeaderEdits:
        return self._headers.get(document, NO_EDITS)

    def person(self, person: Person, document: str) -> None:
        if person.identity.index in self._persons:
            self._unit(person.identity.index, person=person)

    def identity(self, row: IdentityRow, document: str) -> None:
        index = row.identity.index
        if index in self._persons:
            self._unit(index, row=row)

    def edits_person(self, index: int) -> bool:
        return index in self._persons

    def notification(self, notice: Notice, position: int, document: str,
                     namespace: str) -> None:
        """Swap in a notification defects changed, and record its defects."""
        entry = self._notes.get(notice.guid)
        if entry is None:
            return
        view = entry.view
        view.previous = view.written_previous = notice.previous
        view.number = str(notice.number)
        values = [hit.late(view) if hit.late is not None else hit.value
                  for _, hit in entry.hits]
        notice.text = view.render()
        for (rule_id, hit), value in zip(entry.hits, values, strict=True):
            location = hit.location if hit.absolute \
                else view.path + hit.location.format(kind=view.event.kind)
            if rule_id == "XML-STRUCTURE" and value is not None:
                value = f"{{{namespace}}}{value}"
            self._records.append(Injected(rule_id, document, location, value))
