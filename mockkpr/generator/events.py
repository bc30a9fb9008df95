"""A year of 56.0.0 event messages: notifications in time order, chained, in one or more
messages.

Each person's events are drawn from the person's own stream (as in the annual model): the
in-scope services (18, 19, 20, 21, 29) start, some end, long-term stays change provider and
pause, some starts are corrected (``M``) and some mistaken starts annulled (``C``), each
correction pointing at the ``N`` it concerns. Notifications of all persons must come out in
time order with strictly increasing running numbers and each one's
``notifikasjonForrigeGUID`` naming the one before (the very first: the all-zero GUID), so the
writer sorts them without holding them all: the first pass spills each rendered notification
into one temporary file per week of the year, the second reads the weeks in order, sorts each
and writes. Memory is bounded by one week of notifications.
"""

from __future__ import annotations

import pickle
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from mockkpr import __version__
from mockkpr.errors import ConfigError
from mockkpr.generator import realism as R
from mockkpr.generator.contacts import Contact
from mockkpr.generator.document import GeneratedDocument
from mockkpr.generator.hooks import Hooks
from mockkpr.generator.model import World, uniform_day
from mockkpr.generator.rows import Notice, iso_date
from mockkpr.generator.stats import Stats
from mockkpr.iplos.formats import NS_56, DocumentKind, Generation

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
OSLO = ZoneInfo("Europe/Oslo")
MINUTES_PER_DAY = 1440
OFFICE_START = 8 * 60
OFFICE_MINUTES = 7 * 60
BUCKET_MINUTES = 7 * MINUTES_PER_DAY
SUPPLIER = "mockkpr"
EPJ_NAME = "MOCKKPR"
EXTRACT_VERSION = "1.0"

Progress = Callable[[int], None]


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


class _Clock:
    """Minutes since 1 January 00:00 local time -> ``xs:dateTime`` with the Oslo offset."""

    def __init__(self, year: int) -> None:
        self.origin = datetime(year, 1, 1)
        self._cache: dict[int, str] = {}

    def stamp(self, minute: int) -> str:
        text = self._cache.get(minute)
        if text is None:
            local = (self.origin + timedelta(minutes=minute)).replace(tzinfo=OSLO)
            text = local.isoformat(timespec="seconds")
            if len(self._cache) < 100_000:
                self._cache[minute] = text
        return text


@dataclass(frozen=True)
class _Sent:
    """An N notification as a correction of it needs it."""

    kind: str
    service_type: int
    service_id: str
    day: int
    event_guid: str
    notified: int
    guid: str
    orgnr: str | None
    stop_id: str | None


class _Person:
    """Drawing one person's notifications."""

    def __init__(self, world: World, index: int, clock: _Clock, stats: Stats) -> None:
        self.world = world
        self.identity = world.identity(index)
        self.rng = world.current_rng
        self.clock = clock
        self.stats = stats
        self.year_start, self.year_end = world.year_start, world.year_end
        self.last_minute = (self.year_end - self.year_start) * MINUTES_PER_DAY + 16 * 60
        self.previous = -1  # the person's last notification minute
        self.out: list[tuple[int, str, str, str]] = []
        kommune, bydel = world.home(self.rng)
        ident = self.identity
        district = f' bydel="{kommune}{bydel}"' if bydel != "00" else ""
        self.user = (f'<Bruker pasientGUID="{self.guid()}" brukerNr="{ident.key}" '
                     f'fid="{ident.national_id}" typeID="{ident.id_type}"{district}/>')

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def draw(self) -> list[tuple[int, str, str, str]]:
        ident, rng = self.identity, self.rng
        types = self.world.choose_types(rng, ident.group)[:len(R.EVENTS_PER_PERSON_WEIGHTS)]
        earliest = max(self.year_start, ident.birth + 30)
        span = (self.year_end - earliest + 1) // max(1, len(types))
        for n, service_type in enumerate(sorted(types)):
            low = earliest + n * span
            self._service(service_type, f"T{service_type}-{ident.key}-{n + 1}", low,
                          low + span - 1)
        if rng.random() < R.ANNULMENT_SHARE:
            self._mistake(earliest)
        return self.out

    # ------------------------------------------------------------------ services
    def _provider(self, service_type: int, avoid: str | None = None) -> str | None:
        if service_type == 29:
            return None  # housing: no provider orgnr (as in the annual rules)
        pool = [p for p in self.world.providers.institutions if p != avoid]
        return pool[int(self.rng.random() * len(pool))]

    def _service(self, service_type: int, service_id: str, low: int, high: int) -> None:
        rng = self.rng
        if high - low < 4:
            return
        start = uniform_day(rng, low, low + (high - low) // 2)
        orgnr = self._provider(service_type)
        started = self._notify("TjenesteStart", service_type, service_id, start, orgnr)
        if started is None:
            return
        self.stats.services[service_type] += 1
        if rng.random() < R.CORRECTION_SHARE:
            self._correct(started)
        cursor = start
        events: list[tuple[str, int, str | None, str | None]] = []
        if service_type in R.SHORT_STAY_TYPES:
            days = R.SHORT_STAY_DAYS[service_type]
            end = start + uniform_day(rng, days[0], days[1])
            if end <= high:
                events.append(("TjenesteSlutt", end, orgnr, None))
        elif service_type == 21:
            if rng.random() < R.PROVIDER_CHANGE_SHARE and cursor + 7 < high:
                cursor = uniform_day(rng, cursor + 7, min(high, cursor + 120))
                orgnr = self._provider(21, avoid=orgnr)
                events.append(("TjenesteutforerEndret", cursor, orgnr, None))
            if rng.random() < R.PAUSE_SHARE and cursor + 30 < high:
                pause = uniform_day(rng, cursor + 1, min(high - 25, cursor + 90))
                resume = pause + uniform_day(rng, 3, 20)
                pause_id = f"S-{service_id}-1"
                events.append(("MidlertidigStoppFra", pause, orgnr, pause_id))
                events.append(("MidlertidigStoppTil", resume, orgnr, pause_id))
                cursor = resume
            if rng.random() < R.END_SHARE_LONG_TERM and cursor + 1 < high:
                events.append(("TjenesteSlutt", uniform_day(rng, cursor + 1, high), orgnr, None))
        elif rng.random() < R.END_SHARE_HOUSING:
            events.append(("TjenesteSlutt", uniform_day(rng, start + 30, high), orgnr, None))
        for kind, day, org, stop_id in events:
            if day > high or self._notify(kind, service_type, service_id, day, org,
                                          stop_id) is None:
                break  # too late in the year: the rest of the story falls outside it

    def _mistake(self, earliest: int) -> None:
        """A start registered by mistake and annulled by a C notification."""
        rng = self.rng
        service_type = R.EVENT_SERVICE_TYPES[int(rng.random() * 4)]  # an institution stay
        day = uniform_day(rng, earliest, self.year_end - 10)
        started = self._notify("TjenesteStart", service_type,
                               f"T{service_type}-{self.identity.key}-X", day,
                               self._provider(service_type))
        if started is not None:
            self._follow_up(started, "C", started.day, delay_days=(1, 5))

    def _correct(self, started: _Sent) -> None:
        """An M notification replacing a start with an earlier, corrected date."""
        day = max(self.year_start, started.day - uniform_day(self.rng, 1, 3))
        self._follow_up(started, "M", day, delay_days=(1, 10))

    # ------------------------------------------------------------------ notifications
    def _minute(self, day: int, delay: int) -> int:
        registered_day = min(day + delay, self.year_end)
        return ((registered_day - self.year_start) * MINUTES_PER_DAY + OFFICE_START
                + int(self.rng.random() * OFFICE_MINUTES))

    def _event(self, kind: str, service_type: int, service_id: str, day: int, event_guid: str,
               registered: int, orgnr: str | None, stop_id: str | None) -> str:
        org = f' tjenesteOrgNr="{orgnr}"' if orgnr else ""
        stop = f' midlertidigStoppID="{stop_id}"' if stop_id else ""
        return (f'    <{kind} tjenesteType="{service_type}" '
                f'hendelseRegTid="{self.clock.stamp(registered)}" '
                f'hendelseDato="{iso_date(day)}" tjenesteID="{service_id}" '
                f'hendelseGUID="{event_guid}"{org}{stop}>\n'
                f"      {self.user}\n"
                f"    </{kind}>\n")

    def _notify(self, kind: str, service_type: int, service_id: str, day: int,
                orgnr: str | None, stop_id: str | None = None) -> _Sent | None:
        """Add an N notification; returns what a correction needs, or None if it would fall
        after the end of the year."""
        registered = max(self._minute(day, uniform_day(self.rng, 0, 2)), self.previous + 1)
        notified = registered + 1 + int(self.rng.random() * 30)
        if notified > self.last_minute or registered // MINUTES_PER_DAY + self.year_start < day:
            return None
        event_guid = self.guid()
        guid = self._add("N", notified, None,
                         self._event(kind, service_type, service_id, day, event_guid,
                                     registered, orgnr, stop_id))
        self.stats.events[kind] += 1
        return _Sent(kind, service_type, service_id, day, event_guid, notified, guid, orgnr,
                     stop_id)

    def _follow_up(self, sent: _Sent, status: str, day: int,
                   delay_days: tuple[int, int]) -> None:
        earliest = sent.notified + uniform_day(self.rng, *delay_days) * MINUTES_PER_DAY
        registered = max(earliest, self.previous + 1)
        follow = registered + 1 + int(self.rng.random() * 30)
        if follow > self.last_minute:
            return
        self._add(status, follow, sent.guid,
                  self._event(sent.kind, sent.service_type, sent.service_id, day,
                              sent.event_guid, registered, sent.orgnr, sent.stop_id))

    def _add(self, status: str, minute: int, reference: str | None, event: str) -> str:
        guid = self.guid()
        self.previous = max(self.previous, minute)
        ref = f' notifikasjonRef="{reference}"' if reference else ""
        head = (f'  <Notifikasjon statusNotifikasjon="{status}" '
                f'notifikasjonTid="{self.clock.stamp(minute)}" notifikasjonGUID="{guid}"')
        body = f"{ref}>\n{event}  </Notifikasjon>\n"
        self.out.append((minute, guid, head, body))
        self.stats.notifications[status] += 1
        return guid


class EventRun:
    """The two passes of a 56.0.0 generation (see the module docstring)."""

    def __init__(self, world: World, stats: Stats, progress: Progress | None) -> None:
        self.world = world
        self.stats = stats
        self.progress = progress
        self.total = 0
        self.last_key = -1
        self.last_guid: str | None = None
        """The very last notification of the output (in time order)."""
        self.sizes: list[int] = []
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._clock = _Clock(world.year)

    # ------------------------------------------------------------------ pass 1
    def prepare(self) -> None:
        """Draw every person and spill their notifications into weekly buckets."""
        spec, world = self.world.spec, self.world
        clock = self._clock
        self._dir = tempfile.TemporaryDirectory(prefix="mockkpr-events-")
        buckets: dict[int, IO[bytes]] = {}
        try:
            for index in range(spec.persons):
                person = _Person(world, index, clock, self.stats)
                notes = person.draw()
                self.stats.add_identity(person.identity)
                for seq, (minute, guid, head, body) in enumerate(notes):
                    bucket = minute // BUCKET_MINUTES
                    stream = buckets.get(bucket)
                    if stream is None:
                        path = Path(self._dir.name) / f"{bucket:02d}.pickle"
                        stream = buckets[bucket] = path.open("wb")
                    key = (minute << 40) | (index << 8) | seq
                    if key > self.last_key:
                        self.last_key, self.last_guid = key, guid
                    pickle.dump((key, guid, head, body), stream, pickle.HIGHEST_PROTOCOL)
                self.total += len(notes)
                if self.progress is not None and (index + 1) % 1000 == 0:
                    self.progress(1000)
            if self.progress is not None and spec.persons % 1000:
                self.progress(spec.persons % 1000)
        finally:
            for stream in buckets.values():
                stream.close()
        self.sizes = self._split(spec.messages, spec.max_notifications)

    def person_notes(self, index: int) -> list[tuple[int, str, str, str]]:
        """Person ``index``'s notifications as (sort key, GUID, head, body), in the order they
        are written: drawn again, counting nothing (for placing defects)."""
        notes = _Person(self.world, index, self._clock, Stats()).draw()
        keyed = [((minute << 40) | (index << 8) | seq, guid, head, body)
                 for seq, (minute, guid, head, body) in enumerate(notes)]
        return sorted(keyed)

    def _split(self, messages: int | None, limit: int | None) -> list[int]:
        total = self.total
        if limit is not None:
            count = max(1, -(-total // limit))
        else:
            count = messages or 1
            if count > max(total, 1):
                raise ConfigError(f"--messages {count}: more messages than notifications "
                                  f"({total}); use fewer messages or more persons")
        base, rest = divmod(total, count)
        return [base + (1 if n < rest else 0) for n in range(count)]

    def message_names(self) -> list[str]:
        spec = self.world.spec
        return [f"KPR_IPL_{spec.kommune}_{spec.year}_56_{n + 1:03d}.xml"
                for n in range(len(self.sizes))]

    # ------------------------------------------------------------------ pass 2
    def _sorted(self) -> Iterator[tuple[str, str, str]]:
        assert self._dir is not None
        folder = Path(self._dir.name)
        for path in sorted(folder.glob("*.pickle")):
            items = []
            with path.open("rb") as stream:
                while True:
                    try:
                        items.append(pickle.load(stream))  # noqa: S301 - our own temp file
                    except EOFError:
                        break
            path.unlink()
            items.sort(key=lambda item: item[0])
            for _, guid, head, body in items:
                yield guid, head, body
        self._dir.cleanup()

    def documents(self, contacts: list[Contact], plan: Hooks
                  ) -> Iterator[GeneratedDocument]:
        """The messages in order; each must be consumed before the next is produced."""
        stream = self._sorted()
        state: dict[str, int | str] = {"previous": ZERO_GUID, "number": 0, "position": 0,
                                       "document": 0}
        names = self.message_names()
        for name, size in zip(names, self.sizes, strict=True):
            yield GeneratedDocument(
                name, DocumentKind.IPLOS, Generation.EVENT_56,
                _producer(self, name, size, stream, state, contacts, plan))

    def message(self, name: str, size: int, stream: Iterator[tuple[str, str, str]],
                state: dict[str, int | str], contacts: list[Contact], plan: Hooks
                ) -> Iterator[bytes]:
        if self.message_names()[int(state["document"])] != name:
            raise ConfigError(f"{name}: 56.0.0 messages must be generated in order (running "
                              "numbers and chaining continue from the previous message)")
        state["document"] = int(state["document"]) + 1
        edits = plan.header(DocumentKind.IPLOS, name)
        root: dict[str, str | None] = {
            "versjon": "56.0.0", "meldingstype": "K", "leverandor": SUPPLIER,
            "navnEPJ": EPJ_NAME, "versjonEPJ": __version__, "versjonUt": EXTRACT_VERSION}
        root.update(edits.root)
        attributes = "".join(f' {key}="{_attr(value)}"' for key, value in root.items()
                             if value is not None)
        head = ('<?xml version="1.0" encoding="UTF-8"?>\n' + edits.prolog
                + f'<Melding xmlns="{edits.namespace or NS_56}"{attributes}>\n')
        buffer = [head]
        for _ in range(size):
            guid, start, body = next(stream)
            number = int(state["number"]) + 1
            notice = Notice(guid, start, body, str(state["previous"]), number)
            plan.notification(notice, int(state["position"]), name, NS_56)
            state["previous"], state["number"] = guid, number
            state["position"] = int(state["position"]) + 1
            buffer.append(notice.render())
            if len(buffer) >= 512:
                yield "".join(buffer).encode()
                buffer.clear()
        for n, contact in enumerate(contacts):
            values = (("kontPerson", contact.name), ("meldTelefon", contact.phone or None),
                      ("meldEpost1", contact.email),
                      ("typeKontaktperson", str(contact.type)))
            shown = "".join(f' {key}="{_attr(text)}"' for key, text in
                            ((key, edits.contacts.get((n, key), text)) for key, text in values)
                            if text is not None)
            buffer.append(f"  <Kontaktperson{shown}{edits.contact_markup.get(n, '')}/>\n")
        kommune = edits.kommune if edits.kommune is not None else self.world.kommune
        for number_text in (kommune, *edits.more_kommuner):
            buffer.append(f'  <Kommune kommuneNr="{_attr(number_text)}"/>\n')
        buffer.append("</Melding>\n")
        yield "".join(buffer).encode()


def _producer(run: EventRun, name: str, size: int, stream: Iterator[tuple[str, str, str]],
              state: dict[str, int | str], contacts: list[Contact], plan: Hooks
              ) -> Callable[[], Iterator[bytes]]:
    def produce() -> Iterator[bytes]:
        return run.message(name, size, stream, state, contacts, plan)

    return produce
