"""Date rules of the annual formats: every date in range, and the order of dates in a row.

iplos-format.md §4: any date lies between 2005-01-01 and ``iiTilDato`` (31 December of the
reporting year), written as 8 digits, or ``99991231`` where an end is open (consequence 2:
the row and its children are rejected). The open end is accepted in the ``*TilDato`` fields
only. ``iiLagetDato`` is not a data date (the file is made after the year) and has its own
rule. A date of the schema's shape that does not exist (``20190230``) is reported by the
range rule of its row; a date the schema rejects is reported through the schema by the same
rule, which owns the date fields of its row.

Order rules (consequence 9) compare only dates the range rule accepts, so a date that is
both out of range and out of order gives one finding.
"""

from __future__ import annotations

from collections.abc import Callable

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.formats import Generation
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.annual_common import (
    accept_date,
    accepted_dates,
    date_problem,
    last_date,
    usable_date,
)
from mockkpr.iplos.rules.registry import ANNUAL, Context, Violation, rule
from mockkpr.iplos.values import OPEN_END

# The date fields of each row kind: name -> may it be 99991231 (an open end)?
DATE_FIELDS: dict[str, dict[str, bool]] = {
    "PERSON": {"peFraDato": False, "peDodDato": False, "peEndrDato": False},
    "PERSONOPPL": {
        "poLegeMiddGjDato": False, "poErnKartlagtDato": False, "poErnRisikoDato": False,
        "poErnPlanDato": False, "poFraDato": False, "poTilDato": True,
        "poVentelisteDato": False, "poHabDato": False,
    },
    "FUNKSJON": {"fnFraDato": False, "fnTilDato": True},
    "TJENESTE": {
        "tjSoknadDato": False, "tjVedtDato": False, "tjFraDato": False, "tjTilDato": True,
        "tjKlageMottatt": False, "tjKlageBesvart": False,
    },
    "DIAGNOSE": {"diFraDato": False, "diTilDato": True},
    "DOGNTILBUD": {"dgFraDato": False, "dgTilDato": True},
}
_ITEMS = {kind: tuple(fields.items()) for kind, fields in DATE_FIELDS.items()}

_RANGE_NO = ("Datoen må være en gyldig dato mellom 01.01.2005 og 31.12 i rapporteringsåret "
             "(99991231 for åpen sluttdato).")
_RANGE_EN = ("The date must be a real date between 2005-01-01 and 31 December of the "
             "reporting year (99991231 for an open end).")
_RANGE_REQ = ("iplos-format.md §4: any date between 2005-01-01 and iiTilDato (8 digits, or "
              "99991231 where an end is open: the *TilDato fields)")


def date_range_check(kind: str) -> Callable[[Row, Context], list[Violation] | None]:
    """The range check of one row kind: every date field of the row exists and lies in the
    range (a value in the year's :func:`accepted_dates` is known to)."""
    items = _ITEMS[kind]

    def date_range(row: Row, ctx: Context) -> list[Violation] | None:
        fields = row.fields
        accepted = accepted_dates(ctx.year)
        found: list[Violation] | None = None
        for name, open_end in items:
            text = fields.get(name)
            if text is None or text in accepted or (open_end and text == OPEN_END):
                continue
            last = last_date(ctx)
            if accept_date(text, last, accepted):
                continue
            problem = date_problem(text, last, open_end)
            if problem is not None:
                found = found or []
                found.append(Violation(name, text, problem))
        return found

    return date_range


def _register_range(rule_id: str, kind: str, what: str) -> None:
    fields = tuple(DATE_FIELDS[kind])
    rule(rule_id, scope=kind, consequence=Consequence.REJECT_ROW,
         requirement=f"{_RANGE_REQ}; owns the dates of {kind}: {', '.join(fields)}",
         no=f"{what}: {_RANGE_NO}", en=f"{kind}: {_RANGE_EN}",
         xsd_fields=fields)(date_range_check(kind))


_register_range("PE-DATE-RANGE", "PERSON", "Person")
_register_range("PO-DATE-RANGE", "PERSONOPPL", "Personopplysning")
_register_range("FN-DATE-RANGE", "FUNKSJON", "Funksjon")
_register_range("TJ-DATE-RANGE", "TJENESTE", "Tjeneste")
_register_range("DI-DATE-RANGE", "DIAGNOSE", "Diagnose")
_register_range("DG-DATE-RANGE", "DOGNTILBUD", "Døgntilbud")


# ----------------------------------------------------------------------------- order


def _order(first: str, then: str, open_first: bool, open_then: bool, blame: str,
           relation: str) -> Callable[[Row, Context], list[Violation] | None]:
    """A check that ``first`` is on or before ``then``; the finding names ``blame``."""

    def check(row: Row, ctx: Context) -> list[Violation] | None:
        fields = row.fields
        a_text, b_text = fields.get(first), fields.get(then)
        if a_text is None or b_text is None or a_text <= b_text:
            return None  # YYYYMMDD strings sort by time; 99991231 after every date
        last = last_date(ctx)
        a = usable_date(a_text, last, open_first)
        b = usable_date(b_text, last, open_then)
        if a is None or b is None:
            return None  # the range rule's finding
        other = then if blame == first else first
        shown = b if blame == first else a
        value = a if blame == first else b
        return [Violation(blame, value, f"{relation} {other} {shown}")]

    return check


_ORDER_NO = "Datoene i raden står i feil rekkefølge."
_ORDER_EN = "The dates of the row are in the wrong order."


def _register_order(rule_id: str, kind: str, first: str, then: str, blame: str,
                    requirement: str, generations: frozenset[Generation] = ANNUAL) -> None:
    opens = DATE_FIELDS[kind]
    relation = "on or after" if blame == then else "on or before"
    rule(rule_id, scope=kind, consequence=Consequence.REPORT_ONLY,
         requirement=requirement, no=f"{_ORDER_NO} ({first} ≤ {then})",
         en=f"{_ORDER_EN} ({first} ≤ {then})", generations=generations,
         )(_order(first, then, opens[first], opens[then], blame, relation))


_TJ_ORDER = "iplos-format.md §4, date order: "
_register_order("TJ-DATE-ORDER-DECISION", "TJENESTE", "tjSoknadDato", "tjVedtDato",
                "tjVedtDato", _TJ_ORDER + "tjVedtDato ≥ tjSoknadDato")
_register_order("TJ-DATE-ORDER-PERIOD", "TJENESTE", "tjFraDato", "tjTilDato", "tjTilDato",
                _TJ_ORDER + "tjFraDato ≤ tjTilDato")
_register_order("TJ-DATE-ORDER-APPEAL", "TJENESTE", "tjVedtDato", "tjKlageMottatt",
                "tjKlageMottatt", _TJ_ORDER + "tjKlageMottatt ≥ tjVedtDato")
_register_order("TJ-DATE-ORDER-APPEAL-ANSWER", "TJENESTE", "tjKlageMottatt", "tjKlageBesvart",
                "tjKlageBesvart", _TJ_ORDER + "tjKlageBesvart ≥ tjKlageMottatt")
_PERIOD = ("iplos-format.md §1: a period from *FraDato to *TilDato; decision: the start on or "
           "before the end, reported only (9) like the service period")
_register_order("PO-DATE-ORDER", "PERSONOPPL", "poFraDato", "poTilDato", "poTilDato", _PERIOD)
_register_order("FN-DATE-ORDER", "FUNKSJON", "fnFraDato", "fnTilDato", "fnTilDato", _PERIOD)
_register_order("DI-DATE-ORDER", "DIAGNOSE", "diFraDato", "diTilDato", "diTilDato", _PERIOD)
_register_order("DG-DATE-ORDER", "DOGNTILBUD", "dgFraDato", "dgTilDato", "dgTilDato", _PERIOD)
