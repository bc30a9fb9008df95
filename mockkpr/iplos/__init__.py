"""IPLOS formats, schemas, rules and the validator (pure domain code: no AMQP here)."""

from mockkpr.iplos.findings import Consequence, Finding, Report, RowCounts
from mockkpr.iplos.formats import DocumentFormat, DocumentKind, Generation
from mockkpr.iplos.validate import ParsedDocument, sniff_format, validate

__all__ = [
    "Consequence",
    "DocumentFormat",
    "DocumentKind",
    "Finding",
    "Generation",
    "ParsedDocument",
    "Report",
    "RowCounts",
    "sniff_format",
    "validate",
]
