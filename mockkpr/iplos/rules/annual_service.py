"""Rules on TJENESTE rows of the annual formats (iplos-format.md §4, annual table)."""

from __future__ import annotations

from decimal import Decimal

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.registry import Context, Violation, rule
from mockkpr.iplos.values import as_decimal

MIN_HOURS = Decimal("0.01")
MAX_HOURS = Decimal("168")


@rule(
    "TJ-TIMERUKE-RANGE", scope="TJENESTE", consequence=Consequence.REPORT_ONLY,
    requirement="iplos-format.md §4: tjTimerUke 0.01 ≤ value ≤ 168 (guidance: never over 168)",
    no="Timer per uke må være mellom 0,01 og 168.",
    en="Hours per week must be between 0.01 and 168.",
    xsd_fields=("tjTimerUke",),
)
def hours_per_week_range(row: Row, ctx: Context) -> list[Violation] | None:
    text = row.fields.get("tjTimerUke")
    value = as_decimal(text)
    if value is not None and not MIN_HOURS <= value <= MAX_HOURS:
        return [Violation("tjTimerUke", text, "0.01..168")]
    return None
