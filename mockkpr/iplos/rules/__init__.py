"""All validation rules. Importing this package registers every rule in ``REGISTRY``."""

from mockkpr.iplos.rules import (
    annual_dates,
    annual_details,
    annual_header,
    annual_ids,
    annual_person,
    annual_service,
    document,
    event_message,
    event_service,
    event_unit,
    event_user,
    identity,
    identity_join,
)
from mockkpr.iplos.rules.registry import REGISTRY

__all__ = [
    "REGISTRY",
    "annual_dates",
    "annual_details",
    "annual_header",
    "annual_ids",
    "annual_person",
    "annual_service",
    "document",
    "event_message",
    "event_service",
    "event_unit",
    "event_user",
    "identity",
    "identity_join",
]
