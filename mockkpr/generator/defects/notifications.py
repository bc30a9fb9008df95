"""Injectors for 56.0.0 notifications, their events and users (Bruker).

A 56.0.0 defect is placed on one person's notifications (an :class:`EventUnit`: all of them,
in time order), because the event message is a stream: a correction refers to an earlier
notification, an ending needs its start, a brukerNr is bound to its fid at its first use. The
injectors keep these ties: a status is changed only on an N nothing refers to, a tjenesteID is
blanked only on an event nothing later needs, a national id is changed only together with a
brukerNr of its own (else the pair would clash with the person's other notifications), and
EV-BRUKERNR-UNIQUE leaves the person's first notification alone. What depends on the position
in the whole output (the previous GUID, the running number, the very last notification) is
set when the notification is written (``late``).

Each notification keeps claims like an annual row: ``status`` (status and reference),
``previous``, ``number``, ``guid``, ``time``, ``event:<attribute>`` / ``event`` (all of it),
``user:<attribute>`` / ``user``, ``user-anchor`` (the person's first use of its brukerNr),
``extra``, ``after``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import NamedTuple

from mockkpr.generator.defects.registry import EVENT, Target, injector
from mockkpr.generator.defects.units import REAL_LOOKING_LIMIT, real_looking_id
from mockkpr.iplos.identifiers import Gender
from mockkpr.iplos.rules.event_history import ZERO_GUID

EXTRA_ELEMENT = "EKSTRA"
DEFECT_TEXT = "defekt"
OTHER_GUID = "ffffffff-ffff-4fff-bfff-ffffffffffff"
"""A well-formed GUID no generated notification has (a wrong previous GUID or reference)."""
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
_BODY = re.compile(r"(?P<ref>[^>]*)>\n    <(?P<kind>\w+) (?P<event>[^>]*)>\n"
                   r"      <Bruker (?P<user>[^>]*)/>\n    </\w+>\n  </Notifikasjon>\n")
NEEDS_START = ("TjenesteSlutt", "TjenesteutforerEndret", "MidlertidigStoppFra")
ENDS = ("TjenesteSlutt", "TjenesteutforerEndret", "MidlertidigStoppTil")


def _attributes(text: str) -> dict[str, str | None]:
    return dict(_ATTRIBUTE.findall(text))


def _text(attributes: dict[str, str | None]) -> str:
    return " ".join(f'{k}="{v}"' for k, v in attributes.items() if v is not None)


@dataclass
class Event:
    """One event of a notification with its Bruker: attribute texts (raw; None: left out)."""

    kind: str
    attrs: dict[str, str | None]
    user: dict[str, str | None]

    def render(self) -> str:
        return (f"    <{self.kind} {_text(self.attrs)}>\n      <Bruker {_text(self.user)}/>\n"
                f"    </{self.kind}>\n")


@dataclass
class NoteView:
    """One notification as defects see it: parsed from the generator's own text."""

    key: int
    """The writer's sort key (time order)."""
    attrs: dict[str, str | None]
    events: list[Event]
    after: str = ""
    previous: str = ""
    number: str = ""
    written_previous: str = ""
    """The previous notification's GUID as the writer chained it (set when written)."""
    claims: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, key: int, head: str, body: str) -> NoteView:
        match = _BODY.fullmatch(body)
        if match is None:  # pragma: no cover - the generator writes exactly this shape
            raise ValueError(f"unexpected notification text: {body!r}")
        attrs = _attributes(head)
        attrs.update(_attributes(match["ref"]))
        event = Event(match["kind"], _attributes(match["event"]), _attributes(match["user"]))
        return cls(key, attrs, [event])

    @property
    def guid(self) -> str:
        return self.attrs["notifikasjonGUID"] or ""

    @property
    def status(self) -> str | None:
        return self.attrs.get("statusNotifikasjon")

    @property
    def event(self) -> Event:
        return self.events[0]

    @property
    def path(self) -> str:
        """The validator's keyed path of this notification."""
        return f"/Melding/Notifikasjon[@notifikasjonGUID={self.guid}]"

    def render(self) -> str:
        head = {k: self.attrs.get(k) for k in ("statusNotifikasjon", "notifikasjonTid",
                                                "notifikasjonGUID")}
        head["notifikasjonForrigeGUID"] = self.previous
        head["notifikasjonLopeNr"] = self.number
        rest = {k: v for k, v in self.attrs.items() if k not in head}
        return (f"  <Notifikasjon {_text({**head, **rest})}>\n"
                + "".join(e.render() for e in self.events) + "  </Notifikasjon>\n" + self.after)

    # ------------------------------------------------------------------ claims
    def free(self, *names: str) -> bool:
        for name in names:
            group = name.split(":")[0]
            if name in self.claims or group in self.claims:
                return False
            if ":" not in name and any(c.startswith(f"{name}:") for c in self.claims):
                return False
            if group == "user" and "user-anchor" in self.claims:
                return False
        return True


Late = Callable[[NoteView], str | None]
"""Changes a notification when it is written (knowing its previous GUID and running number)
and returns the value the validator will report."""


class NoteHit(NamedTuple):
    """Where an injected 56.0.0 defect is reported: in the notification ``guid``, at
    ``location`` (relative to the notification unless ``absolute``; ``{kind}`` stands for the
    event's element name)."""

    guid: str
    location: str
    value: str | None
    late: Late | None = None
    absolute: bool = False


@dataclass
class EventUnit:
    """The notifications of one 56.0.0 person, in time order, as defects change them."""

    index: int
    notes: list[NoteView]
    last_guid: str | None
    """The GUID of the output's very last notification."""
    claims: set[str] = field(default_factory=set)

    def pick(self, variant: int, fits: Callable[[NoteView], bool], *claims: str
             ) -> NoteView | None:
        """A notification that ``fits`` with ``claims`` free (chosen by ``variant``),
        claimed."""
        found = [note for note in self.notes if note.free(*claims) and fits(note)]
        if not found:
            return None
        note = found[variant % len(found)]
        note.claims.update(claims)
        return note

    def referenced(self, note: NoteView) -> bool:
        """True when a later notification (an M or C) refers to ``note``."""
        return any(other.attrs.get("notifikasjonRef") == note.guid for other in self.notes)

    def position(self, note: NoteView) -> int:
        return self.notes.index(note)


def _event_path(note: NoteView, name: str) -> str:
    """The location of an event attribute below the notification; ``{kind}`` is filled in
    when the notification is written (a later defect may rename the event)."""
    return f"/{{kind}}[1]/@{name}"


def _user_path(note: NoteView, name: str) -> str:
    return f"/{{kind}}[1]/Bruker[1]/@{name}"


def _is_n(note: NoteView) -> bool:
    return note.status == "N"


# ----------------------------------------------------------------------- notification
def _attribute(rule_id: str, name: str, description: str, change: Callable[[str], str],
               fits: Callable[[EventUnit, NoteView], bool] = lambda unit, note: True,
               claim: str | None = None) -> None:
    """One notification attribute changed to what ``change`` makes of it."""

    @injector(rule_id, Target.NOTIFICATION, EVENT, description)
    def apply(unit: EventUnit, variant: int) -> NoteHit | None:
        note = unit.pick(variant, lambda n: fits(unit, n), claim or name)
        if note is None:
            return None
        value = change(note.attrs.get(name) or "")
        note.attrs[name] = value
        return NoteHit(note.guid, f"/@{name}", value)


def _unreferenced_n(unit: EventUnit, note: NoteView) -> bool:
    return _is_n(note) and not unit.referenced(note)


_attribute("EV-NOTIFIKASJONTID", "notifikasjonTid", "notifikasjonTid written with a space "
           "instead of T (not an xs:dateTime)", lambda t: t.replace("T", " ", 1), claim="time")
_attribute("EV-STATUS-CODE", "statusNotifikasjon", "the status of an N nothing refers to set "
           "to X", lambda t: "X", _unreferenced_n, claim="status")
_attribute("EV-STATUS-T", "statusNotifikasjon", "the status of an N nothing refers to set to T",
           lambda t: "T", _unreferenced_n, claim="status")


@injector("EV-REF-REQUIRED", Target.NOTIFICATION, EVENT,
          "an N nothing refers to marked M (a correction) without notifikasjonRef")
def _ref_required(unit: EventUnit, variant: int) -> NoteHit | None:
    note = unit.pick(variant, lambda n: _unreferenced_n(unit, n), "status")
    if note is None:
        return None
    note.attrs["statusNotifikasjon"] = "M"
    return NoteHit(note.guid, "/@notifikasjonRef", None)


@injector("EV-REF-UNEXPECTED", Target.NOTIFICATION, EVENT,
          "a notifikasjonRef (a GUID no notification has) added to an N")
def _ref_unexpected(unit: EventUnit, variant: int) -> NoteHit | None:
    note = unit.pick(variant, _is_n, "status")
    if note is None:
        return None
    value = OTHER_GUID
    note.attrs["notifikasjonRef"] = value
    return NoteHit(note.guid, "/@notifikasjonRef", value)


@injector("EV-REF-TARGET", Target.NOTIFICATION, EVENT,
          "the notifikasjonRef of an M or C pointed at a GUID no notification has (a person "
          "without one gets an N nothing refers to marked M with that reference)")
def _ref_target(unit: EventUnit, variant: int) -> NoteHit | None:
    note = unit.pick(variant, lambda n: n.status in ("M", "C"), "status") \
        or unit.pick(variant, lambda n: _unreferenced_n(unit, n), "status")
    if note is None:
        return None
    value = OTHER_GUID
    note.attrs["statusNotifikasjon"] = note.status if note.status in ("M", "C") else "M"
    note.attrs["notifikasjonRef"] = value
    return NoteHit(note.guid, "/@notifikasjonRef", value)


@injector("EV-EVENT-COUNT", Target.NOTIFICATION, EVENT,
          "the event of one notification written twice in it")
def _two_events(unit: EventUnit, variant: int) -> NoteHit | None:
    note = unit.pick(variant, lambda n: True, "event", "user")
    if note is None:
        return None
    event = note.event
    note.events.append(replace(event, attrs=dict(event.attrs), user=dict(event.user)))
    return NoteHit(note.guid, "", "2")


def _late_previous(view: NoteView) -> str:
    view.previous = OTHER_GUID if view.previous == ZERO_GUID else ZERO_GUID
    return view.previous


@injector("EV-CHAIN", Target.NOTIFICATION, EVENT,
          "notifikasjonForrigeGUID of one notification set to the all-zero GUID (of the "
          "first notification: to another GUID)")
def _chain(unit: EventUnit, variant: int) -> NoteHit | None:
    note = unit.pick(variant, lambda n: True, "previous")
    if note is None:
        return None
    return NoteHit(note.guid, "/@notifikasjonForrigeGUID", None, _late_previous)


def _late_number(view: NoteView) -> str:
    view.number = "0"
    return "0"


@injector("EV-LOPENR-ORDER", Target.NOTIFICATION, EVENT,
          "notifikasjonLopeNr of one notification set to 0 (the next one is compared with the "
          "number before)")
def _running_number(unit: EventUnit, variant: int) -> NoteHit | None:
    note = unit.pick(variant, lambda n: True, "number")
    if note is None:
        return None
    return NoteHit(note.guid, "/@notifikasjonLopeNr", None, _late_number)


def _late_guid(view: NoteView) -> str:
    view.attrs["notifikasjonGUID"] = view.written_previous
    return view.written_previous


@injector("EV-GUID-DUPLICATE", Target.NOTIFICATION, EVENT,
          "the very last notification given the GUID of the one before it (nothing after it "
          "chains to it)", last_only=True)
def _guid_duplicate(unit: EventUnit, variant: int) -> NoteHit | None:
    note = unit.pick(variant, lambda n: n.guid == unit.last_guid, "guid")
    if note is None:
        return None
    return NoteHit(note.guid, "/@notifikasjonGUID", None, _late_guid)


@injector("XSD-ROW", Target.NOTIFICATION, EVENT,
          "an unknown attribute on one notification (the row is rejected; the rules on the "
          "stream still read it, so nothing else changes)")
def _unknown_attribute(unit: EventUnit, variant: int) -> NoteHit | None:
    note = unit.pick(variant, lambda n: True, "extra")
    if note is None:
        return None
    note.attrs["merknad"] = DEFECT_TEXT
    return NoteHit(note.guid, "/@merknad", DEFECT_TEXT)


@injector("XML-STRUCTURE", Target.NOTIFICATION, EVENT,
          "an unknown element at the root level after one notification")
def _unknown_root_element(unit: EventUnit, variant: int) -> NoteHit | None:
    note = unit.pick(variant, lambda n: True, "after")
    if note is None:
        return None
    note.after = f"  <{EXTRA_ELEMENT}/>\n"
    return NoteHit(note.guid, "/Melding", EXTRA_ELEMENT, absolute=True)  # the plan adds the ns


# ----------------------------------------------------------------------- event
def _event_attribute(rule_id: str, name: str, description: str,
                     change: Callable[[str], str],
                     fits: Callable[[EventUnit, NoteView], bool] = lambda unit, note: True
                     ) -> None:
    @injector(rule_id, Target.NOTIFICATION, EVENT, description)
    def apply(unit: EventUnit, variant: int) -> NoteHit | None:
        note = unit.pick(variant, lambda n: fits(unit, n), f"event:{name}")
        if note is None:
            return None
        value = change(note.event.attrs.get(name) or "")
        note.event.attrs[name] = value
        return NoteHit(note.guid, _event_path(note, name), value)


def _next_day(registered: str) -> str:
    return (date.fromisoformat(registered[:10]) + timedelta(days=1)).isoformat()


def _ends(unit: EventUnit, note: NoteView) -> bool:
    """An event nothing later needs the tjenesteID of (an ending, a provider change, the end
    of a pause), not in a C."""
    return note.event.kind in ENDS and note.status != "C"


def _wrong_orgnr(orgnr: str) -> str:
    return f"{orgnr[:8]}{(int(orgnr[8]) + 1) % 10}{orgnr[9:]}"


_event_attribute("EV-HENDELSEREGTID-FORMAT", "hendelseRegTid",
                 "hendelseRegTid of one event written without seconds",
                 lambda t: t[:16] + t[19:])
_event_attribute("EV-HENDELSEDATO-FORMAT", "hendelseDato",
                 "hendelseDato of one event written as YYYYMMDD", lambda t: t.replace("-", ""))
_event_attribute("EV-TJENESTETYPE-CODE", "tjenesteType",
                 "tjenesteType of one event set to 10 (no such code in 9151)", lambda t: "10")
_event_attribute("EV-TJENESTETYPE-SCOPE", "tjenesteType",
                 "tjenesteType of one event set to 15 (home nursing: not in scope)",
                 lambda t: "15")
_event_attribute("EV-TJENESTEID-REQUIRED", "tjenesteID",
                 "tjenesteID of an ending, a provider change or the end of a pause given "
                 "empty (nothing later needs it)", lambda t: "", _ends)
_event_attribute("EV-START-MISSING", "tjenesteID",
                 "tjenesteID of an ending, a provider change or the start of a pause set to "
                 "one no TjenesteStart has",
                 lambda t: f"{t}-UKJENT",
                 lambda unit, note: note.event.kind in NEEDS_START and note.status != "C")
_event_attribute("EV-ORGNR-FORMAT", "tjenesteOrgNr",
                 "tjenesteOrgNr of one event given a wrong check digit", _wrong_orgnr,
                 lambda unit, note: bool(note.event.attrs.get("tjenesteOrgNr")))
_event_attribute("EV-GUID-FORMAT", "hendelseGUID",
                 "hendelseGUID of one event given a g for its last digit",
                 lambda t: t[:-1] + "g")


@injector("EV-HENDELSEDATO-ORDER", Target.NOTIFICATION, EVENT,
          "hendelseDato of one event set to the day after its hendelseRegTid")
def _event_after_registration(unit: EventUnit, variant: int) -> NoteHit | None:
    note = unit.pick(variant, lambda n: True, "event:hendelseDato", "event:hendelseRegTid")
    if note is None:
        return None
    value = _next_day(note.event.attrs["hendelseRegTid"] or "")
    note.event.attrs["hendelseDato"] = value
    return NoteHit(note.guid, _event_path(note, "hendelseDato"), value)


def _renamed(note: NoteView, kind: str, sources: tuple[str, ...]) -> bool:
    return note.status != "C" and (note.event.kind == kind or note.event.kind in sources)


@injector("EV-STOPPID-REQUIRED", Target.NOTIFICATION, EVENT,
          "midlertidigStoppID of the end of a pause given blank (a person without one has an "
          "ending turned into the end of a pause)")
def _pause_id(unit: EventUnit, variant: int) -> NoteHit | None:
    kind = "MidlertidigStoppTil"
    note = unit.pick(variant, lambda n: _renamed(n, kind, ("TjenesteSlutt",)), "event")
    if note is None:
        return None
    note.event.kind = kind
    note.event.attrs["midlertidigStoppID"] = " "
    return NoteHit(note.guid, _event_path(note, "midlertidigStoppID"), " ")


@injector("EV-ORGNR-REQUIRED", Target.NOTIFICATION, EVENT,
          "tjenesteOrgNr of a change of provider given empty (a person without one has an "
          "ending turned into a change of provider: both need the start)")
def _provider_required(unit: EventUnit, variant: int) -> NoteHit | None:
    kind = "TjenesteutforerEndret"
    note = unit.pick(variant, lambda n: _renamed(n, kind, ("TjenesteSlutt",)), "event")
    if note is None:
        return None
    note.event.kind = kind
    note.event.attrs["tjenesteOrgNr"] = ""
    return NoteHit(note.guid, _event_path(note, "tjenesteOrgNr"), "")


# ----------------------------------------------------------------------- Bruker
def _user_attribute(rule_id: str, name: str, description: str,
                    change: Callable[[str], str], *also: str) -> None:
    @injector(rule_id, Target.NOTIFICATION, EVENT, description)
    def apply(unit: EventUnit, variant: int) -> NoteHit | None:
        note = unit.pick(variant, lambda n: True, f"user:{name}", *also)
        if note is None:
            return None
        value = change(note.event.user.get(name) or "")
        note.event.user[name] = value
        return NoteHit(note.guid, _user_path(note, name), value)


_user_attribute("EV-FID", "fid", "fid of one user given empty (the message is rejected)",
                lambda t: "")
_user_attribute("EV-FID-LENGTH", "fid", "fid of one user made 21 characters long",
                lambda t: t + "0123456789")
_user_attribute("EV-TYPEID-REQUIRED", "typeID", "typeID of one user given empty",
                lambda t: "")
_user_attribute("EV-TYPEID-CODE", "typeID", "typeID of one user set to 11 (no such code "
                "in 9032)", lambda t: "11")
_user_attribute("EV-TYPEID-NO-REGISTER", "typeID", "typeID of one user set to 4 (a passport: "
                "no register identity)", lambda t: "4")
_user_attribute("EV-FID-TYPE-MISMATCH", "typeID", "typeID of one user swapped between 1 "
                "(fødselsnummer) and 2 (D-number); the number stays", lambda t: "2" if t == "1"
                else "1", "user:fid")
_user_attribute("EV-BRUKERNR", "brukerNr", "brukerNr of one user given empty", lambda t: "")
_user_attribute("EV-BYDEL", "bydel", "bydel of one user set (or added) to one digit",
                lambda t: "3")


@injector("EV-FID-CHECKSUM", Target.NOTIFICATION, EVENT,
          "the national id of one user given a wrong last check digit, with a brukerNr of "
          "its own (the person's other notifications keep theirs); its typeID stays, since "
          "only Norwegian id types are checked")
def _fid_checksum(unit: EventUnit, variant: int) -> NoteHit | None:
    note = unit.pick(variant, lambda n: True, "user:fid", "user:brukerNr", "user:typeID")
    if note is None:
        return None
    user = note.event.user
    fid = user["fid"] or ""
    value = f"{fid[:10]}{(int(fid[10]) + 1) % 10}"
    user["fid"] = value
    user["brukerNr"] = f"{user['brukerNr']}-F"  # the same for each such notification
    return NoteHit(note.guid, _user_path(note, "fid"), value)


@injector("EV-REAL-ID", Target.NOTIFICATION, EVENT,
          "the national id (type 1) of one user replaced by an ordinary-form number born in "
          "2039, which names nobody, with a brukerNr of its own")
def _real_id(unit: EventUnit, variant: int) -> NoteHit | None:
    if unit.index >= REAL_LOOKING_LIMIT:
        return None
    note = unit.pick(variant, lambda n: n.event.user.get("typeID") == "1",
                     "user:fid", "user:brukerNr", "user:typeID")
    if note is None:
        return None
    user = note.event.user
    value = real_looking_id(unit.index, Gender.FEMALE)
    user["fid"] = value
    user["brukerNr"] = f"{user['brukerNr']}-R"
    return NoteHit(note.guid, _user_path(note, "fid"), f"{value[:6]}*****")


@injector("EV-BRUKERNR-UNIQUE", Target.NOTIFICATION, EVENT,
          "brukerNr of one user changed on a later notification of the person (its first "
          "notification, which binds brukerNr and fid, is left alone)")
def _user_number_unique(unit: EventUnit, variant: int) -> NoteHit | None:
    checked = [note for note in unit.notes if note.status != "C"]
    if len(checked) < 2:
        return None
    first = checked[0]
    if not (first.free("user") or "user-anchor" in first.claims):
        return None
    note = unit.pick(variant, lambda n: n is not first and n.status != "C",
                     "user:brukerNr", "user:fid")
    if note is None:
        return None
    first.claims.add("user-anchor")
    user = note.event.user
    value = f"{user['brukerNr']}-U{unit.position(note)}"
    user["brukerNr"] = value
    return NoteHit(note.guid, _user_path(note, "brukerNr"), value)
