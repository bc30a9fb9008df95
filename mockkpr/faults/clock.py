"""The endpoint's controllable clock: "now" can be fixed, offset or moved on demand.

Every part of the endpoint that needs the time of day (AppRec ``GenDate`` and timestamps,
certificate validity, the journal's ``received_at``, when a late answer is due) asks one
:class:`Clock`. Tests and scenarios fix it (``2025-01-15T23:59:00Z``) or move it
(``advance(timedelta(hours=2))``) instead of waiting in real time. Listeners registered with
:meth:`Clock.subscribe` are called after every change (the broker re-checks held answers).

:func:`reporting_phase` places an instant in KPR's reporting calendar (kpr-reporting.md):
the reporting window 2–15 January, the ordinary deadline 15 January, the extension to
15 February, and data still accepted after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from mockkpr.log import get_logger

log = get_logger(__name__)

Listener = Callable[[], None]


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (e.g. 2025-01-15T12:00:00Z)")
    return value.astimezone(UTC)


class Clock:
    """A thread-safe clock: real time, real time plus an offset, or a fixed instant.

    ``source`` gives the real time (tests may pass their own). A fixed clock stands still until
    it is moved; an offset clock runs at real speed. :meth:`advance` moves either kind.
    """

    def __init__(self, source: Callable[[], datetime] | None = None) -> None:
        self._source = source or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._fixed: datetime | None = None
        self._offset = timedelta(0)
        self._listeners: list[Listener] = []

    def now(self) -> datetime:
        """The endpoint's current time, timezone-aware in UTC."""
        with self._lock:
            if self._fixed is not None:
                return self._fixed
            return _aware(self._source(), "the clock source's time") + self._offset

    @property
    def fixed(self) -> bool:
        """True when the clock stands still."""
        with self._lock:
            return self._fixed is not None

    @property
    def offset(self) -> timedelta:
        """How far the clock is from real time (for a fixed clock: at this instant)."""
        real = _aware(self._source(), "the clock source's time")
        with self._lock:
            if self._fixed is not None:
                return self._fixed - real
            return self._offset

    def fix(self, at: datetime) -> None:
        """Stop the clock at ``at`` (timezone-aware)."""
        at = _aware(at, "the fixed time")
        with self._lock:
            self._fixed = at
        self._changed("fix", at)

    def set_offset(self, offset: timedelta) -> None:
        """Run at real speed, ``offset`` away from real time (negative: in the past)."""
        with self._lock:
            self._fixed = None
            self._offset = offset
        self._changed("offset", self.now())

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by ``delta`` (negative moves it back); return the new time."""
        with self._lock:
            if self._fixed is not None:
                self._fixed += delta
            else:
                self._offset += delta
        now = self.now()
        self._changed("advance", now)
        return now

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._fixed = None
            self._offset = timedelta(0)
        self._changed("reset", self.now())

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener()`` after every change (on the thread that made the change)."""
        with self._lock:
            self._listeners.append(listener)

    def _changed(self, how: str, now: datetime) -> None:
        log.info("clock.changed", how=how, now=now.isoformat())
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:  # a listener's failure must not undo the change
                log.exception("clock.listener_failed")

    def state(self) -> dict[str, object]:
        """JSON-ready description: now, fixed, offset seconds and the reporting phase."""
        now = self.now()
        phase = reporting_phase(now)
        return {"now": now.isoformat(), "fixed": self.fixed,
                "offset_seconds": self.offset.total_seconds(),
                "reporting": {"year": phase.year, "phase": phase.phase.value,
                              "deadline": phase.deadline.isoformat() if phase.deadline
                              else None}}


class Phase(StrEnum):
    """Where an instant falls in KPR's reporting calendar for the previous year's data."""

    BEFORE_WINDOW = "before-window"  # 1 January: the window opens on the 2nd
    WINDOW = "window"  # 2–15 January: the ordinary reporting window
    EXTENSION = "extension"  # 16 January–15 February: extended deadline
    LATE = "late"  # after 15 February: still accepted, too late for the deadlines


@dataclass(frozen=True)
class ReportingPhase:
    """The reporting year (the data's year), the phase and the next deadline, if any."""

    year: int
    phase: Phase
    deadline: date | None


WINDOW_OPENS = (1, 2)
ORDINARY_DEADLINE = (1, 15)
EXTENDED_DEADLINE = (2, 15)


ANCHORS = {"window-opens": WINDOW_OPENS, "ordinary-deadline": ORDINARY_DEADLINE,
           "extended-deadline": EXTENDED_DEADLINE}


def next_calendar_day(anchor: str, now: datetime) -> datetime:
    """00:00 UTC of the next ``anchor`` day (``window-opens``, ``ordinary-deadline``,
    ``extended-deadline``) after the day of ``now``."""
    month, day = ANCHORS[anchor]
    candidate = date(now.year, month, day)
    if candidate <= now.date():
        candidate = date(now.year + 1, month, day)
    return datetime(candidate.year, candidate.month, candidate.day, tzinfo=UTC)


def reporting_phase(now: datetime) -> ReportingPhase:
    """The phase of the report for the year before ``now`` (dates in Norway are close enough
    to UTC for whole days; the deadline day counts as in time)."""
    day = now.date()
    year = day.year - 1
    opens = date(day.year, *WINDOW_OPENS)
    ordinary = date(day.year, *ORDINARY_DEADLINE)
    extended = date(day.year, *EXTENDED_DEADLINE)
    if day < opens:
        return ReportingPhase(year, Phase.BEFORE_WINDOW, ordinary)
    if day <= ordinary:
        return ReportingPhase(year, Phase.WINDOW, ordinary)
    if day <= extended:
        return ReportingPhase(year, Phase.EXTENSION, extended)
    return ReportingPhase(year, Phase.LATE, None)
