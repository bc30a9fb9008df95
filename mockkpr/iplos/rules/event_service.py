"""56.0.0 rules on the events of a notification (TjenesteStart, TjenesteSlutt,
TjenesteutforerEndret, MidlertidigStoppFra, MidlertidigStoppTil).

An event names a service (``tjenesteType``, 9151; only 18, 19, 20, 21 and 29 are in scope) and a
service instance (``tjenesteID``); endings, provider changes and pauses need an earlier start,
the end of a pause an earlier start of that pause. The memory across notifications is in
:mod:`mockkpr.iplos.rules.event_history`.

Optional attributes given empty (``tjenesteOrgNr=""``) are treated as not given.
"""

from __future__ import annotations

import re
from datetime import date

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.formats import DocumentKind
from mockkpr.iplos.identifiers import iplos_orgnr_problem
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.event_history import guid_key, history, notification_of
from mockkpr.iplos.rules.event_message import EVENT_KINDS
from mockkpr.iplos.rules.registry import EVENT, Context, Violation, declare, rule
from mockkpr.refdata.codelists import SERVICE_TYPE

_S2 = "iplos-format.md §2"
_S4 = "iplos-format.md §4, 56.0.0 attribute rules"
_ROW = Consequence.REJECT_ROW
_IPLOS = frozenset({DocumentKind.IPLOS})
_EVENTS = tuple(sorted(EVENT_KINDS))
PAUSES = ("MidlertidigStoppFra", "MidlertidigStoppTil")
IN_SCOPE = frozenset({"18", "19", "20", "21", "29"})
"""Service types in scope of the event message (iplos-format.md §2)."""
NEEDS_START = frozenset({"TjenesteSlutt", "TjenesteutforerEndret", "MidlertidigStoppFra"})

# Strict readers for the schema's xs:date / xs:dateTime (Python's fromisoformat accepts forms
# the schema rejects, such as 20210301, which the owning rule reports instead).
_XS_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:Z|[+-]\d\d:\d\d)?")
_XS_DATETIME_DATE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")


def _date(pattern: re.Pattern[str], text: str | None) -> date | None:
    match = pattern.fullmatch(text) if text is not None else None
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def xs_date(text: str | None) -> date | None:
    """The date of an ``xs:date`` value (``2021-03-01``, optionally with a zone), or None."""
    return _date(_XS_DATE, text)


def xs_datetime_date(text: str | None) -> date | None:
    """The date as written in an ``xs:dateTime`` value (local to its zone), or None."""
    return _date(_XS_DATETIME_DATE, text)


def _given(text: str | None) -> str | None:
    """A value that is present and not blank, stripped; None otherwise."""
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None


EV_HENDELSEREGTID_FORMAT = declare(
    "EV-HENDELSEREGTID-FORMAT", scope=_EVENTS, consequence=_ROW, generations=EVENT,
    kinds=_IPLOS, requirement=f"{_S2}: hendelseRegTid is a required xs:dateTime",
    xsd_fields=("@hendelseRegTid",), apprec_code="T02",
    no="Registreringstidspunktet for hendelsen må være et gyldig tidspunkt (xs:dateTime).",
    en="hendelseRegTid must be a valid date and time (xs:dateTime).",
)

EV_HENDELSEDATO_FORMAT = declare(
    "EV-HENDELSEDATO-FORMAT", scope=_EVENTS, consequence=_ROW, generations=EVENT,
    kinds=_IPLOS, requirement=f"{_S2}: hendelseDato is a required xs:date",
    xsd_fields=("@hendelseDato",), apprec_code="T02",
    no="Hendelsesdatoen må være en gyldig dato (xs:date).",
    en="hendelseDato must be a valid date (xs:date).",
)


@rule(
    "EV-TJENESTETYPE-CODE", scope=_EVENTS, consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: tjenesteType is required, code list 9151 as valid in the year",
    xsd_fields=("@tjenesteType",),
    no="Tjenestetypen må finnes i kodeverk 9151 og gjelde i året.",
    en="tjenesteType must be a code of code list 9151 valid in the year.",
)
def service_type_code(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("tjenesteType")
    if value is not None and not SERVICE_TYPE.valid(value, ctx.year):
        return [Violation("@tjenesteType", value, SERVICE_TYPE.expected(ctx.year))]
    return None


@rule(
    "EV-TJENESTETYPE-SCOPE", scope=_EVENTS, consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: only service types 18, 19, 20, 21 and 29 are in scope",
    no="Tjenestetypen er ikke med i hendelsesmeldingen (bare 18, 19, 20, 21 og 29).",
    en="The service type is not in scope of the event message (only 18, 19, 20, 21, 29).",
)
def service_type_scope(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("tjenesteType")
    if value is not None and value not in IN_SCOPE and SERVICE_TYPE.valid(value, ctx.year):
        return [Violation("@tjenesteType", value, "one of 18, 19, 20, 21, 29")]
    return None


@rule(
    "EV-TJENESTEID-REQUIRED", scope=_EVENTS, consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: tjenesteID is required (and not empty)",
    xsd_fields=("@tjenesteID",),
    no="Hendelsen må ha tjenesteID.", en="The event must have a tjenesteID.",
)
def service_id_required(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("tjenesteID")
    if value is not None and not value.strip():
        return [Violation("@tjenesteID", value, "a tjenesteID, not empty")]
    return None


@rule(
    "EV-STOPPID-REQUIRED", scope=PAUSES, consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: MidlertidigStoppFra/-Til require midlertidigStoppID (and not empty)",
    xsd_fields=("@midlertidigStoppID",),
    no="Midlertidig stopp må ha midlertidigStoppID.",
    en="A pause event must have a midlertidigStoppID.",
)
def pause_id_required(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("midlertidigStoppID")
    if value is not None and not value.strip():
        return [Violation("@midlertidigStoppID", value, "a midlertidigStoppID, not empty")]
    return None


@rule(
    "EV-START-MISSING", scope=_EVENTS, consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: TjenesteSlutt, TjenesteutforerEndret and MidlertidigStoppFra need an "
                "earlier TjenesteStart with the same tjenesteID, MidlertidigStoppTil an earlier "
                "MidlertidigStoppFra with the same midlertidigStoppID (in this message, or in the "
                "history a caller supplies); a C annuls the start or pause it refers to, and the "
                "events of a C are not checked",
    no="Hendelsen mangler en tidligere start (tjeneste eller midlertidig stopp).",
    en="The event has no earlier start (of the service or of the pause).",
)
def start_missing(row: Row, ctx: Context) -> list[Violation] | None:
    note = notification_of(row)
    attrs = note.attrs if note is not None else {}
    status = attrs.get("statusNotifikasjon")
    state = history(ctx)
    if status == "C":
        annulled = guid_key(attrs.get("notifikasjonRef"))
        for earlier, earlier_service, earlier_pause in state.events_by_guid.get(annulled or "", ()):
            if earlier == "TjenesteStart":
                state.started.discard(earlier_service)
            elif earlier == "MidlertidigStoppFra" and earlier_pause is not None:
                state.paused.discard(earlier_pause)
        return None
    kind = row.kind
    service = _given(row.attrs.get("tjenesteID"))
    pause = _given(row.attrs.get("midlertidigStoppID")) if kind in PAUSES else None
    found = None
    if kind in NEEDS_START and service is not None and service not in state.started:
        found = [Violation("@tjenesteID", row.attrs["tjenesteID"],
                           "the tjenesteID of an earlier TjenesteStart")]
    elif kind == "MidlertidigStoppTil" and pause is not None and pause not in state.paused:
        found = [Violation("@midlertidigStoppID", row.attrs["midlertidigStoppID"],
                           "the midlertidigStoppID of an earlier MidlertidigStoppFra")]
    if kind == "TjenesteStart" and service is not None:
        state.started.add(service)
    elif kind == "MidlertidigStoppFra" and pause is not None:
        state.paused.add(pause)
    own = guid_key(attrs.get("notifikasjonGUID"))
    if own is not None:
        state.events_by_guid.setdefault(own, []).append((kind, service or "", pause))
    return found


@rule(
    "EV-ORGNR-REQUIRED", scope="TjenesteutforerEndret", consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: TjenesteutforerEndret requires tjenesteOrgNr (the new provider)",
    xsd_fields=("@tjenesteOrgNr",),
    no="Endring av tjenesteutfører må ha organisasjonsnummeret til ny utfører.",
    en="A change of provider must give the new provider's organisation number.",
)
def orgnr_required(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("tjenesteOrgNr")
    if value is not None and not value.strip():
        return [Violation("@tjenesteOrgNr", value, "the new provider's organisation number")]
    return None


@rule(
    "EV-ORGNR-FORMAT", scope=_EVENTS, consequence=Consequence.REPORT_ONLY, generations=EVENT,
    requirement=f"{_S4}: tjenesteOrgNr \\d{{9}}0? (9), with the organisation number's mod-11 "
                "check digit (§5)",
    no="Organisasjonsnummeret må ha 9 sifre (eventuelt fulgt av 0) og riktig kontrollsiffer.",
    en="The organisation number must have 9 digits (optionally followed by 0) and a valid "
       "check digit.",
)
def orgnr_format(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("tjenesteOrgNr")
    if value is None or not value.strip():
        return None
    problem = iplos_orgnr_problem(value)
    if problem is not None:
        return [Violation("@tjenesteOrgNr", value,
                          f"9 digits with a valid check digit, optionally followed by 0 "
                          f"({problem})")]
    return None


@rule(
    "EV-HENDELSEDATO-ORDER", scope=_EVENTS, consequence=Consequence.REPORT_ONLY,
    generations=EVENT,
    requirement=f"{_S4}: hendelseDato ≤ hendelseRegTid (compared with the date of "
                "hendelseRegTid as written, in its own time zone)",
    no="Hendelsesdatoen kan ikke være etter registreringstidspunktet.",
    en="hendelseDato cannot be after hendelseRegTid.",
)
def event_date_order(row: Row, ctx: Context) -> list[Violation] | None:
    text = row.attrs.get("hendelseDato")
    happened = xs_date(text)
    registered = xs_datetime_date(row.attrs.get("hendelseRegTid"))
    if happened is not None and registered is not None and happened > registered:
        return [Violation("@hendelseDato", text,
                          f"on or before {registered.isoformat()} (the date of hendelseRegTid)")]
    return None
