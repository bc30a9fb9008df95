"""Controlled defects: inject exactly N violations of a validator rule and record where.

- :mod:`.registry`: the injector registry and the policy (injectable, exclusive, slots,
  not injectable with the reason), ``--defects`` parsing and checks;
- :mod:`.plan`: :class:`DefectPlan`, which places the defects before writing and applies them
  through the writers' hooks;
- the injectors: :mod:`.annual_rows` (child rows of a PERSON and the families shared by
  every kind), :mod:`.annual_services` (TJENESTE), :mod:`.annual_person` (the
  PERSON, its identity and the join), :mod:`.headers` (prolog, root, header, contacts,
  reporting unit), :mod:`.notifications` (56.0.0 notifications, events and users).

Importing the package registers every injector.
"""

from mockkpr.generator.defects import (
    annual_person,
    annual_rows,
    annual_services,
    headers,
    notifications,
)
from mockkpr.generator.defects.plan import DefectPlan
from mockkpr.generator.defects.registry import (
    ALL,
    ANNUAL,
    EVENT,
    INJECTORS,
    NOT_INJECTABLE,
    NOT_INJECTABLE_IN,
    Injected,
    Injector,
    Target,
    all_defects,
    check_defects,
    injector,
    injector_for,
    left_out,
    parse_defects,
)

__all__ = [
    "ALL",
    "ANNUAL",
    "EVENT",
    "INJECTORS",
    "NOT_INJECTABLE",
    "NOT_INJECTABLE_IN",
    "DefectPlan",
    "Injected",
    "Injector",
    "Target",
    "all_defects",
    "annual_person",
    "annual_rows",
    "annual_services",
    "check_defects",
    "headers",
    "injector",
    "injector_for",
    "left_out",
    "notifications",
    "parse_defects",
]
