"""The controllable clock and KPR's reporting calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mockkpr.faults.clock import Clock, Phase, next_calendar_day, reporting_phase

REAL = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_real_time_by_default_and_offset_runs_with_it() -> None:
    real = [REAL]
    clock = Clock(lambda: real[0])
    assert clock.now() == REAL
    clock.set_offset(timedelta(days=-30))
    real[0] += timedelta(seconds=5)
    assert clock.now() == REAL + timedelta(days=-30, seconds=5)
    assert clock.offset == timedelta(days=-30)
    assert not clock.fixed


def test_fixed_clock_stands_still_until_moved() -> None:
    real = [REAL]
    clock = Clock(lambda: real[0])
    clock.fix(datetime(2027, 1, 15, 23, 59, tzinfo=UTC))
    real[0] += timedelta(hours=1)
    assert clock.now() == datetime(2027, 1, 15, 23, 59, tzinfo=UTC)
    assert clock.advance(timedelta(minutes=2)) == datetime(2027, 1, 16, 0, 1, tzinfo=UTC)
    clock.reset()
    assert clock.now() == real[0]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Clock().fix(datetime(2027, 1, 15))


def test_listeners_hear_every_change_and_a_failing_one_does_not_undo_it() -> None:
    clock = Clock(lambda: REAL)
    heard: list[datetime] = []

    def broken() -> None:
        raise RuntimeError("listener bug")

    clock.subscribe(broken)
    clock.subscribe(lambda: heard.append(clock.now()))
    clock.fix(REAL + timedelta(days=1))
    clock.advance(timedelta(days=1))
    clock.reset()
    assert heard == [REAL + timedelta(days=1), REAL + timedelta(days=2), REAL]


@pytest.mark.parametrize(("day", "phase", "deadline"), [
    (date(2027, 1, 1), Phase.BEFORE_WINDOW, date(2027, 1, 15)),
    (date(2027, 1, 2), Phase.WINDOW, date(2027, 1, 15)),
    (date(2027, 1, 15), Phase.WINDOW, date(2027, 1, 15)),
    (date(2027, 1, 16), Phase.EXTENSION, date(2027, 2, 15)),
    (date(2027, 2, 15), Phase.EXTENSION, date(2027, 2, 15)),
    (date(2027, 2, 16), Phase.LATE, None),
    (date(2027, 11, 30), Phase.LATE, None),
])
def test_reporting_phase(day: date, phase: Phase, deadline: date | None) -> None:
    found = reporting_phase(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
    assert (found.year, found.phase, found.deadline) == (2026, phase, deadline)


def test_next_calendar_day_is_after_today() -> None:
    assert next_calendar_day("ordinary-deadline", REAL) == datetime(2027, 1, 15, tzinfo=UTC)
    on_the_day = datetime(2027, 1, 15, 8, tzinfo=UTC)
    assert next_calendar_day("ordinary-deadline", on_the_day) == \
        datetime(2028, 1, 15, tzinfo=UTC)
    assert next_calendar_day("extended-deadline", on_the_day) == \
        datetime(2027, 2, 15, tzinfo=UTC)
    assert next_calendar_day("window-opens", REAL) == datetime(2027, 1, 2, tzinfo=UTC)


def test_state_is_json_ready() -> None:
    clock = Clock(lambda: REAL)
    clock.fix(datetime(2027, 1, 20, tzinfo=UTC))
    assert clock.state() == {
        "now": "2027-01-20T00:00:00+00:00", "fixed": True,
        "offset_seconds": (datetime(2027, 1, 20, tzinfo=UTC) - REAL).total_seconds(),
        "reporting": {"year": 2026, "phase": "extension", "deadline": "2027-02-15"}}
