"""Reading field values the way the rules need them.

Each reader returns None for a value that is absent or malformed. Malformed values are reported
by the rule that owns the field's format (usually through the schema), so value rules that read
a field through these helpers simply skip what they cannot read: one defect, one finding.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

DATE8 = re.compile(r"\d{4}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
OPEN_END = "99991231"
_INT = re.compile(r"[+-]?\d+")


def as_int(text: str | None) -> int | None:
    """An integer field (``123``), or None."""
    if text is None or not _INT.fullmatch(text):
        return None
    return int(text)


def as_decimal(text: str | None) -> Decimal | None:
    """A decimal field (``37.5``), or None."""
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def is_date8_shape(text: str | None) -> bool:
    """True when ``text`` has the schema's ``YYYYMMDD`` shape (not necessarily a real date)."""
    return text is not None and DATE8.fullmatch(text) is not None


def as_date8(text: str | None) -> date | None:
    """A ``YYYYMMDD`` date, with ``99991231`` as ``date.max``; None when absent or impossible."""
    if not is_date8_shape(text):
        return None
    assert text is not None
    if text == OPEN_END:
        return date.max
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def as_iso_date(text: str | None) -> date | None:
    """An ``xs:date`` (``2021-03-01``), or None."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None


def as_datetime(text: str | None) -> datetime | None:
    """An ``xs:dateTime``, or None. A trailing ``Z`` is read as UTC."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
