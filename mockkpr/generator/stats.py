"""Counts of what was generated, for the manifest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mockkpr.generator.rows import Identity, Person


@dataclass
class Stats:
    """Running totals over the persons and notifications written."""

    persons: int = 0
    women: int = 0
    d_numbers: int = 0
    deaths: int = 0
    age_groups: Counter[str] = field(default_factory=Counter)
    services: Counter[int] = field(default_factory=Counter)
    refusals: int = 0
    appeals: int = 0
    decision_series_extended: int = 0
    assessments: int = 0
    diagnoses: int = 0
    situations: int = 0
    round_the_clock: int = 0
    notifications: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)

    def add_identity(self, ident: Identity) -> None:
        """Count one person (age group, gender, id type)."""
        self.persons += 1
        self.women += ident.gender.value == "K"
        self.d_numbers += ident.id_type == 2
        self.age_groups[age_group(ident.age)] += 1

    def add_person(self, person: Person) -> None:
        """Count one annual person and its rows."""
        self.add_identity(person.identity)
        self.deaths += person.death is not None
        for service in person.services:
            self.services[service.type] += 1
            self.refusals += service.decision == 1
            self.appeals += service.appeal_received is not None
            self.decision_series_extended += service.series_no == 2
        self.assessments += len(person.assessments)
        self.diagnoses += len(person.diagnoses)
        self.situations += len(person.situations)
        self.round_the_clock += len(person.round_the_clock)

    def as_json(self) -> dict[str, Any]:
        """The totals as JSON (keys sorted, so the manifest is byte-stable)."""
        return {
            "persons": self.persons,
            "women": self.women,
            "d_numbers": self.d_numbers,
            "deaths": self.deaths,
            "age_groups": dict(sorted(self.age_groups.items())),
            "services_by_type": {str(k): v for k, v in sorted(self.services.items())},
            "refusals": self.refusals,
            "appeals": self.appeals,
            "decision_series_extended": self.decision_series_extended,
            "functional_assessments": self.assessments,
            "diagnoses": self.diagnoses,
            "personoppl": self.situations,
            "dogntilbud": self.round_the_clock,
            "notifications_by_status": dict(sorted(self.notifications.items())),
            "events_by_kind": dict(sorted(self.events.items())),
        }


def age_group(age: int) -> str:
    """The manifest's age group of ``age`` (SSB's groups)."""
    for low, high in ((0, 17), (18, 49), (50, 66), (67, 79), (80, 89)):
        if low <= age <= high:
            return f"{low:02d}-{high}"
    return "90+"
