"""56.0.0 output: schema-valid messages, notifications in time order, running numbers and
GUID chaining across messages, corrections pointing at N notifications, stories that make
sense (ends after starts, pauses closed), only in-scope service types."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from lxml import etree

from mockkpr.generator import realism as R
from mockkpr.generator.events import ZERO_GUID
from mockkpr.generator.spec import GenerationSpec
from mockkpr.iplos import validate
from mockkpr.iplos.formats import NS_56, Generation
from mockkpr.iplos.identifiers import parse_national_id
from mockkpr.iplos.rules.event_history import EventHistory
from mockkpr.iplos.schemas import load_schema
from tests.generator.helpers import Output, run

EVENTS = ("TjenesteStart", "TjenesteSlutt", "TjenesteutforerEndret", "MidlertidigStoppFra",
          "MidlertidigStoppTil")


@pytest.fixture(scope="module")
def three_messages() -> tuple[GenerationSpec, Output]:
    spec = GenerationSpec("0301", 2022, 250, seed=11, generation=Generation.EVENT_56,
                          messages=3)
    return spec, run(spec)


def _notifications(out: Output) -> list[etree._Element]:
    found = []
    for name in sorted(out.documents):
        found += etree.fromstring(out.documents[name]).findall(f"{{{NS_56}}}Notifikasjon")
    return found


def _event(notification: etree._Element) -> etree._Element:
    events = [child for child in notification if etree.QName(child).localname in EVENTS]
    assert len(events) == 1
    return events[0]


def test_messages_are_schema_valid_and_accepted(three_messages: tuple[GenerationSpec, Output]
                                                ) -> None:
    """Validated in order with one shared event history, as KPR judges a kommune's stream."""
    spec, out = three_messages
    schema = load_schema("iplos-56.xsd")
    assert len(out.documents) == 3
    history = EventHistory()
    for name, data in sorted(out.documents.items()):
        assert schema.validate(etree.fromstring(data)), (name, schema.error_log)
        report = validate(data, history=history)
        assert report.findings == [], name
        assert report.year == spec.year


def test_a_later_message_alone_breaks_the_chain(three_messages: tuple[GenerationSpec, Output]
                                                ) -> None:
    """Without the earlier messages, the second message's first notification does not chain
    to the all-zero GUID: the history is what makes a split year valid."""
    _, out = three_messages
    second = sorted(out.documents.items())[1][1]
    assert "EV-CHAIN" in validate(second).totals_per_rule


def test_running_numbers_and_chaining_continue_across_messages(
        three_messages: tuple[GenerationSpec, Output]) -> None:
    _, out = three_messages
    notes = _notifications(out)
    sizes = [len(etree.fromstring(d).findall(f"{{{NS_56}}}Notifikasjon"))
             for _, d in sorted(out.documents.items())]
    assert max(sizes) - min(sizes) <= 1
    previous, times = ZERO_GUID, []
    for number, note in enumerate(notes, start=1):
        assert note.get("notifikasjonLopeNr") == str(number)
        assert note.get("notifikasjonForrigeGUID") == previous
        previous = note.get("notifikasjonGUID") or ""
        times.append(datetime.fromisoformat(note.get("notifikasjonTid") or ""))
    assert times == sorted(times)
    assert len({n.get("notifikasjonGUID") for n in notes}) == len(notes)


def test_corrections_and_annulments_point_at_earlier_n_notifications(
        three_messages: tuple[GenerationSpec, Output]) -> None:
    _, out = three_messages
    seen: dict[str, etree._Element] = {}
    statuses = set()
    for note in _notifications(out):
        status = note.get("statusNotifikasjon")
        statuses.add(status)
        if status in ("M", "C"):
            target = seen[note.get("notifikasjonRef") or ""]
            assert target.get("statusNotifikasjon") == "N"
            assert _event(target).get("hendelseGUID") == _event(note).get("hendelseGUID")
            assert _event(target).get("tjenesteID") == _event(note).get("tjenesteID")
        else:
            assert status == "N"
            assert note.get("notifikasjonRef") is None
        seen[note.get("notifikasjonGUID") or ""] = note
    assert statuses == {"N", "M", "C"}


def test_service_stories_make_sense(three_messages: tuple[GenerationSpec, Output]) -> None:
    """Only types 18-21 and 29; every later event has an earlier start of the same service;
    provider changes carry an orgnr; each pause end follows its start; event dates are not
    after their registration; ids synthetic."""
    spec, out = three_messages
    started: dict[str, date] = {}
    paused: set[str] = set()
    kinds = set()
    for note in _notifications(out):
        event = _event(note)
        kind = etree.QName(event).localname
        kinds.add(kind)
        assert int(event.get("tjenesteType") or 0) in R.EVENT_SERVICE_TYPES
        day = date.fromisoformat(event.get("hendelseDato") or "")
        assert day.year == spec.year
        assert day <= datetime.fromisoformat(event.get("hendelseRegTid") or "").date()
        service = event.get("tjenesteID") or ""
        user = event.find(f"{{{NS_56}}}Bruker")
        assert user is not None
        parsed = parse_national_id(user.get("fid") or "")
        assert parsed.valid
        assert parsed.kind is not None
        assert parsed.kind.is_synthetic
        if note.get("statusNotifikasjon") != "N":
            continue
        if kind == "TjenesteStart":
            started[service] = day
            continue
        assert service in started, (kind, service)
        assert started[service] <= day, (kind, service)
        if kind == "TjenesteutforerEndret":
            assert event.get("tjenesteOrgNr")
        elif kind == "MidlertidigStoppFra":
            paused.add(event.get("midlertidigStoppID") or "")
        elif kind == "MidlertidigStoppTil":
            assert event.get("midlertidigStoppID") in paused
    assert kinds == set(EVENTS)


def test_contacts_and_kommune(three_messages: tuple[GenerationSpec, Output]) -> None:
    spec, out = three_messages
    for data in out.documents.values():
        root = etree.fromstring(data)
        types = [c.get("typeKontaktperson") for c in root.findall(f"{{{NS_56}}}Kontaktperson")]
        assert types == ["16", "17"]
        assert [k.get("kommuneNr") for k in root.findall(f"{{{NS_56}}}Kommune")] == [spec.kommune]


def test_max_notifications_caps_each_message() -> None:
    spec = GenerationSpec("5001", 2023, 40, seed=2, generation=Generation.EVENT_56,
                          max_notifications=20)
    out = run(spec)
    sizes = [len(etree.fromstring(d).findall(f"{{{NS_56}}}Notifikasjon"))
             for d in out.documents.values()]
    assert max(sizes) <= 20
    assert len(sizes) >= 2
    assert sum(sizes) == sum(out.manifest["counts"]["notifications_by_status"].values())
