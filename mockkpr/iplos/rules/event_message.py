"""56.0.0 rules on the message root (``Melding``) and on each ``Notifikasjon``.

The engine validates each child of the root against the schema on its own, never the root, so
the root's fixed and required attributes are checked here. Notifications are judged as a stream
(running numbers, the GUID chain, references from M and C to an earlier N) with the memory in
:mod:`mockkpr.iplos.rules.event_history`; a message is judged on its own unless a caller supplies
the history of earlier messages.
"""

from __future__ import annotations

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.formats import DocumentKind
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.event_history import ZERO_GUID, guid_key, history
from mockkpr.iplos.rules.registry import EVENT, ROOT, Context, Violation, declare, rule
from mockkpr.refdata.codelists import NOTIFICATION_STATUS

_S2 = "iplos-format.md §2"
_S4 = "iplos-format.md §4, 56.0.0 attribute rules"
_ROW = Consequence.REJECT_ROW
_IPLOS = frozenset({DocumentKind.IPLOS})

VERSION = "56.0.0"
MESSAGE_TYPE = "K"
REQUIRED_ROOT = ("leverandor", "navnEPJ", "versjonEPJ", "versjonUt")
MAX_ROOT_LENGTH = 100
EVENT_KINDS = frozenset({"TjenesteStart", "TjenesteSlutt", "TjenesteutforerEndret",
                         "MidlertidigStoppFra", "MidlertidigStoppTil"})
CORRECTIONS = frozenset({"M", "C"})
_UNREADABLE = ""  # EventHistory.last_guid when the previous notification's GUID was malformed


# ----------------------------------------------------------------------------- root

@rule(
    "EV-VERSJON", scope=ROOT, consequence=Consequence.REJECT_MESSAGE, generations=EVENT,
    requirement=f"{_S2}: Melding@versjon is required and fixed to 56.0.0", apprec_code="T10",
    no="Meldingen må ha versjon 56.0.0.", en="The message must have versjon 56.0.0.",
)
def version(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("versjon")
    if value != VERSION:
        return [Violation("@versjon", value, VERSION)]
    return None


@rule(
    "EV-MELDINGSTYPE", scope=ROOT, consequence=Consequence.REJECT_MESSAGE, generations=EVENT,
    requirement=f"{_S2}: Melding@meldingstype is required and fixed to K (7371, continuous)",
    no="Meldingstype må være K (kontinuerlige oppdateringer).",
    en="meldingstype must be K (continuous updates).",
)
def message_type(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("meldingstype")
    if value != MESSAGE_TYPE:
        return [Violation("@meldingstype", value, "K (code list 7371: continuous updates)")]
    return None


@rule(
    "EV-ROOT-REQUIRED", scope=ROOT, consequence=Consequence.REJECT_MESSAGE, generations=EVENT,
    requirement=f"{_S2}: Melding@leverandor, @navnEPJ, @versjonEPJ and @versjonUt are required",
    no="Leverandør, EPJ-navn, EPJ-versjon og versjon ut må være oppgitt.",
    en="leverandor, navnEPJ, versjonEPJ and versjonUt must be given.",
)
def root_required(row: Row, ctx: Context) -> list[Violation] | None:
    found = None
    for name in REQUIRED_ROOT:
        value = row.attrs.get(name)
        if value is None or not value.strip():
            found = found or []
            found.append(Violation(f"@{name}", value, "present and not empty"))
    return found


@rule(
    "EV-ROOT-LENGTH", scope=ROOT, consequence=Consequence.SET_NULL, generations=EVENT,
    requirement=f"{_S4}: leverandor, navnEPJ, versjonEPJ, versjonUt at most 100 characters (7)",
    no="Leverandør, EPJ-navn og versjoner kan ha høyst 100 tegn.",
    en="leverandor, navnEPJ, versjonEPJ and versjonUt may have at most 100 characters.",
)
def root_length(row: Row, ctx: Context) -> list[Violation] | None:
    found = None
    for name in REQUIRED_ROOT:
        value = row.attrs.get(name)
        if value is not None and len(value) > MAX_ROOT_LENGTH:
            found = found or []
            found.append(Violation(f"@{name}", value, f"at most {MAX_ROOT_LENGTH} characters"))
    return found


# ----------------------------------------------------------------------------- notification

EV_NOTIFIKASJONTID = declare(
    "EV-NOTIFIKASJONTID", scope="Notifikasjon", consequence=_ROW, generations=EVENT, kinds=_IPLOS,
    requirement=f"{_S2}: Notifikasjon@notifikasjonTid is a required xs:dateTime",
    xsd_fields=("@notifikasjonTid",), apprec_code="T02",
    no="Notifikasjonstidspunktet må være et gyldig tidspunkt (xs:dateTime).",
    en="notifikasjonTid must be a valid date and time (xs:dateTime).",
)

EV_GUID_FORMAT = declare(
    "EV-GUID-FORMAT", scope=("Notifikasjon", *sorted(EVENT_KINDS), "Bruker"), consequence=_ROW,
    generations=EVENT, kinds=_IPLOS,
    requirement=f"{_S2}: notifikasjonGUID, hendelseGUID and pasientGUID are required GUIDs "
                "(8-4-4-4-12 hex digits, bare or in braces)",
    xsd_fields=("@notifikasjonGUID", "@hendelseGUID", "@pasientGUID"), apprec_code="T02",
    no="GUID må oppgis som 8-4-4-4-12 heksadesimale sifre.",
    en="A GUID must be given as 8-4-4-4-12 hexadecimal digits.",
)


@rule(
    "EV-STATUS-CODE", scope="Notifikasjon", consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: statusNotifikasjon is required, code list 7316 (N, M, T, C)",
    xsd_fields=("@statusNotifikasjon",),
    no="Status for notifikasjonen må finnes i kodeverk 7316.",
    en="statusNotifikasjon must be a code of code list 7316.",
)
def status_code(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.attrs.get("statusNotifikasjon")
    if value is not None and value not in NOTIFICATION_STATUS:
        return [Violation("@statusNotifikasjon", value, NOTIFICATION_STATUS.expected(ctx.year))]
    return None


@rule(
    "EV-STATUS-T", scope="Notifikasjon", consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: T (supplement) is not to be used yet",
    no="Status T (korriger/suppler) skal ikke brukes ennå.",
    en="Status T (correct/supplement) is not to be used yet.",
)
def status_t(row: Row, ctx: Context) -> list[Violation] | None:
    if row.attrs.get("statusNotifikasjon") == "T":
        return [Violation("@statusNotifikasjon", "T", "N, M or C (T is not in use yet)")]
    return None


@rule(
    "EV-EVENT-COUNT", scope="Notifikasjon", consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: exactly one event per notification (the schema allows several; a "
                "notification without an event fails the schema and is XSD-ROW)",
    no="En notifikasjon skal ha nøyaktig én hendelse.",
    en="A notification must hold exactly one event.",
)
def event_count(row: Row, ctx: Context) -> list[Violation] | None:
    count = sum(1 for child in row.children if child.kind in EVENT_KINDS)
    if count > 1:
        return [Violation(None, str(count), "exactly one event")]
    return None


@rule(
    "EV-REF-REQUIRED", scope="Notifikasjon", consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: M (correct and replace) and C (annul) need notifikasjonRef",
    no="En korrigering (M) eller annullering (C) må ha notifikasjonRef.",
    en="A correction (M) or annulment (C) needs notifikasjonRef.",
)
def ref_required(row: Row, ctx: Context) -> list[Violation] | None:
    status = row.attrs.get("statusNotifikasjon")
    if status in CORRECTIONS and "notifikasjonRef" not in row.attrs:
        return [Violation("@notifikasjonRef", None,
                          f"the GUID of the N notification this {status} concerns")]
    return None


@rule(
    "EV-REF-UNEXPECTED", scope="Notifikasjon", consequence=Consequence.REPORT_ONLY,
    generations=EVENT,
    requirement=f"{_S2}: notifikasjonRef belongs to M and C; on a new event (N) it has no "
                "meaning (mockkpr: reported only, the reference is ignored)",
    no="En ny hendelse (N) skal ikke ha notifikasjonRef.",
    en="A new event (N) should not have notifikasjonRef.",
)
def ref_unexpected(row: Row, ctx: Context) -> list[Violation] | None:
    ref = row.attrs.get("notifikasjonRef")
    if ref is not None and row.attrs.get("statusNotifikasjon") == "N":
        return [Violation("@notifikasjonRef", ref, "no notifikasjonRef on an N notification")]
    return None


@rule(
    "EV-REF-TARGET", scope="Notifikasjon", consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: the notifikasjonRef of M and C points at an earlier N notification "
                "(of this message, or of the history a caller supplies)",
    xsd_fields=("@notifikasjonRef",),
    no="notifikasjonRef må peke på en tidligere notifikasjon med status N.",
    en="notifikasjonRef must point at an earlier notification with status N.",
)
def ref_target(row: Row, ctx: Context) -> list[Violation] | None:
    state = history(ctx)
    status = row.attrs.get("statusNotifikasjon")
    ref_text = row.attrs.get("notifikasjonRef")
    found = None
    if status in CORRECTIONS and ref_text is not None:
        ref = guid_key(ref_text)
        if ref is not None:
            target = state.status_by_guid.get(ref)
            if target != "N":
                why = "no earlier notification has this GUID" if target is None \
                    else f"that notification has status {target}"
                found = [Violation("@notifikasjonRef", ref_text,
                                   f"the GUID of an earlier N notification ({why})")]
    own = guid_key(row.attrs.get("notifikasjonGUID"))
    if own is not None and own not in state.status_by_guid:
        state.status_by_guid[own] = status or ""
    return found


@rule(
    "EV-LOPENR-ORDER", scope="Notifikasjon", consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: notifikasjonLopeNr is a running number, strictly increasing per "
                "kommune (each number is compared with the one before it)",
    xsd_fields=("@notifikasjonLopeNr",),
    no="Løpenummeret må være et heltall større enn forrige notifikasjons.",
    en="notifikasjonLopeNr must be a whole number greater than the previous notification's.",
)
def running_number(row: Row, ctx: Context) -> list[Violation] | None:
    text = row.attrs.get("notifikasjonLopeNr")
    if text is None:
        return None  # the schema reports the missing attribute
    state = history(ctx)
    last = state.last_lopenr
    number = int(text) if text.isascii() and text.isdigit() else None
    if number is None or number < 1:
        bound = f"greater than {last}" if last is not None else "from 1"
        return [Violation("@notifikasjonLopeNr", text, f"a whole number {bound}")]
    state.last_lopenr = number
    if last is not None and number <= last:
        return [Violation("@notifikasjonLopeNr", text,
                          f"greater than {last} (the previous notification's)")]
    return None


@rule(
    "EV-CHAIN", scope="Notifikasjon", consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: notifikasjonForrigeGUID is the previous notification's GUID; the very "
                f"first notification uses {ZERO_GUID} (a message judged on its own is taken as "
                "the first)",
    xsd_fields=("@notifikasjonForrigeGUID",),
    no="notifikasjonForrigeGUID må være GUID-en til forrige notifikasjon.",
    en="notifikasjonForrigeGUID must be the previous notification's GUID.",
)
def chain(row: Row, ctx: Context) -> list[Violation] | None:
    state = history(ctx)
    text = row.attrs.get("notifikasjonForrigeGUID")
    previous = guid_key(text)
    found = None
    if previous is not None and state.last_guid != _UNREADABLE:
        if state.last_guid is None:
            wanted, why = ZERO_GUID, "the first notification"
        else:
            wanted, why = state.last_guid, "the previous notification's notifikasjonGUID"
        if previous != wanted:
            found = [Violation("@notifikasjonForrigeGUID", text, f"{wanted} ({why})")]
    own = guid_key(row.attrs.get("notifikasjonGUID"))
    state.last_guid = own if own is not None else _UNREADABLE
    return found


@rule(
    "EV-GUID-DUPLICATE", scope="Notifikasjon", consequence=_ROW, generations=EVENT,
    requirement=f"{_S2}: notifikasjonGUID is unique (the schema's xs:unique, which does not "
                "fire when rows are validated one by one); GUIDs compare without case or braces",
    apprec_code="T02",
    no="notifikasjonGUID er brukt av en tidligere notifikasjon.",
    en="notifikasjonGUID is already used by an earlier notification.",
)
def guid_duplicate(row: Row, ctx: Context) -> list[Violation] | None:
    text = row.attrs.get("notifikasjonGUID")
    own = guid_key(text)
    if own is None:
        return None
    seen = history(ctx).guids
    if own in seen:
        return [Violation("@notifikasjonGUID", text, "a GUID no earlier notification has")]
    seen.add(own)
    return None
