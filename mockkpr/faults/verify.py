"""Verification: did the sender do what the scenario expects? Checked over the journal.

An expectation counts journal entries matching a filter (``count``, ``min``, ``max``), finds a
sequence of matching entries in order, or counts a fault's firings. When one fails the message
explains the *nearest miss*: the entry that differs least from the filter, and for every field
that differed the expected and the actual value. "Least" weighs the fields: a different
message-id or MsgId counts most (it is another message), then sender and subject, then the
outcome fields::

    expect[0] (resent after the rejection): expected at least 2 entries matching
    {subject: KPR_IPL, outcome: accepted}, found 1. Nearest miss: journal entry 7
    (message-id 5c0f…, KPR_IPL from 12345): outcome expected 'accepted', actual 'rejected'

For Python tests: :func:`expect_count` and :func:`expect_sequence` raise
:class:`ExpectationFailed` (an ``AssertionError``) with that message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockkpr.faults.model import Expectation, Match, Scenario
from mockkpr.faults.plan import Firing
from mockkpr.journal.models import JournalEntry

#: How many nearest misses a message names.
MISSES_SHOWN = 3
#: How much a differing field puts an entry away from a filter (others: 1).
WEIGHTS = {"message_id": 100, "msg_id": 100, "sender": 10, "subject": 10}


class ExpectationFailed(AssertionError):
    """An expectation over the journal did not hold; the message explains the nearest miss."""


@dataclass(frozen=True)
class Difference:
    """One field of a filter that an entry does not have as expected."""

    field: str
    expected: str
    actual: str | None

    def __str__(self) -> str:
        return f"{self.field} expected {self.expected!r}, actual {self.actual!r}"


@dataclass(frozen=True)
class Result:
    """The verdict on one expectation."""

    name: str
    passed: bool
    message: str

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "passed": self.passed, "message": self.message}


def _actual(entry: JournalEntry, name: str) -> str | None:
    value: Any = {
        "subject": entry.subject, "sender": entry.sender_her_id,
        "message_id": entry.message_id, "msg_id": entry.msg_id,
        "outcome": entry.outcome.value, "apprec_status": entry.apprec_status,
        "error_condition": entry.error_condition,
    }[name]
    return None if value is None else str(value)


def as_match(value: Match | Mapping[str, Any]) -> Match:
    """A :class:`Match` from itself or a plain mapping (``{"outcome": "accepted"}``)."""
    return value if isinstance(value, Match) else Match.model_validate(dict(value))


def differences(match: Match, entry: JournalEntry) -> list[Difference]:
    """The fields of ``match`` that ``entry`` does not have; empty when it matches."""
    found = []
    for name, wanted in match.model_dump(exclude_none=True, mode="json").items():
        actual = _actual(entry, name)
        if actual != str(wanted):
            found.append(Difference(name, str(wanted), actual))
    return found


def describe(match: Match) -> str:
    """``{subject: KPR_IPL, outcome: accepted}`` (or ``any entry``)."""
    fields = match.model_dump(exclude_none=True, mode="json")
    if not fields:
        return "any entry"
    return "{" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}"


def _entry_label(entry: JournalEntry) -> str:
    who = f"{entry.subject or '(no subject)'} from {entry.sender_her_id or '(no sender)'}"
    return f"journal entry {entry.id} (message-id {entry.message_id}, {who})"


def nearest_misses(match: Match, entries: Sequence[JournalEntry],
                   limit: int = MISSES_SHOWN) -> list[tuple[JournalEntry, list[Difference]]]:
    """The non-matching entries that differ least (by :data:`WEIGHTS`), oldest first among
    equals."""
    scored = [(entry, differences(match, entry)) for entry in entries]
    misses = [(e, d) for e, d in scored if d]
    if not misses:
        return []

    def distance(diffs: list[Difference]) -> int:
        return sum(WEIGHTS.get(d.field, 1) for d in diffs)

    nearest = min(distance(d) for _, d in misses)
    return [(e, d) for e, d in misses if distance(d) == nearest][:limit]


def _miss_text(match: Match, entries: Sequence[JournalEntry]) -> str:
    misses = nearest_misses(match, entries)
    if not misses:
        return " The journal has no other entries." if not entries else ""
    parts = [f"{_entry_label(e)}: " + "; ".join(str(d) for d in diffs) for e, diffs in misses]
    label = "Nearest miss" if len(parts) == 1 else "Nearest misses"
    return f" {label}: " + " | ".join(parts)


def _bounds(count: int | None, low: int | None, high: int | None) -> str:
    if count is not None:
        return f"exactly {count}"
    if low is not None and high is not None:
        return f"between {low} and {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def _within(found: int, count: int | None, low: int | None, high: int | None) -> bool:
    if count is not None:
        return found == count
    return (low is None or found >= low) and (high is None or found <= high)


def check_count(match: Match, entries: Sequence[JournalEntry], *, count: int | None = None,
                low: int | None = None, high: int | None = None) -> tuple[bool, str]:
    """Whether the number of entries matching ``match`` is within bounds, and why not."""
    matching = [e for e in entries if not differences(match, e)]
    wanted = _bounds(count, low, high)
    head = (f"expected {wanted} entries matching {describe(match)}, found {len(matching)}")
    if _within(len(matching), count, low, high):
        return True, head
    if (count is not None and len(matching) > count) or (high is not None and
                                                          len(matching) > high):
        extra = matching[count if count is not None else high or 0:]
        return False, head + ". Beyond the expected: " + ", ".join(
            _entry_label(e) for e in extra[:MISSES_SHOWN])
    return False, head + "." + _miss_text(match, entries)


def check_sequence(steps: Sequence[Match], entries: Sequence[JournalEntry]
                   ) -> tuple[bool, str]:
    """Whether entries matching ``steps`` occur in this order (others may come between)."""
    position = 0
    matched: list[JournalEntry] = []
    for number, step in enumerate(steps, 1):
        rest = entries[position:]
        hit = next((i for i, e in enumerate(rest) if not differences(step, e)), None)
        if hit is None:
            after = f" after {_entry_label(matched[-1])} (step {number - 1})" if matched else ""
            text = (f"step {number} of {len(steps)} {describe(step)} not found{after}."
                    + _miss_text(step, rest))
            return False, text
        matched.append(rest[hit])
        position += hit + 1
    return True, "found " + ", ".join(str(e.id) for e in matched)


def check(expectation: Expectation, index: int, entries: Sequence[JournalEntry],
          firings: Sequence[Firing]) -> Result:
    """The verdict on one expectation of a scenario."""
    name = expectation.label(index)
    if expectation.sequence is not None:
        passed, text = check_sequence(expectation.sequence, entries)
    elif expectation.match is not None:
        passed, text = check_count(expectation.match, entries, count=expectation.count,
                                   low=expectation.min, high=expectation.max)
    else:
        fired = [f for f in firings if f.fault == expectation.fault]
        wanted = _bounds(expectation.count, expectation.min, expectation.max)
        passed = _within(len(fired), expectation.count, expectation.min, expectation.max)
        text = f"expected fault {expectation.fault!r} to fire {wanted} times, fired {len(fired)}"
    title = f"expect[{index}]" + (f" ({expectation.name})" if expectation.name else "")
    return Result(name, passed, f"{title}: {text}")


def verify(scenario: Scenario, entries: Sequence[JournalEntry],
           firings: Sequence[Firing]) -> list[Result]:
    """Every expectation of ``scenario`` checked over ``entries`` (oldest first)."""
    return [check(e, i, entries, firings) for i, e in enumerate(scenario.expect)]


def expect_count(entries: Sequence[JournalEntry], match: Match | Mapping[str, Any], *,
                 count: int | None = None, min: int | None = None,
                 max: int | None = None) -> None:
    """Raise :class:`ExpectationFailed` unless the matching entries are as many as said."""
    if count is None and min is None and max is None:
        raise ValueError("give count, min or max")
    passed, text = check_count(as_match(match), entries, count=count, low=min, high=max)
    if not passed:
        raise ExpectationFailed(text)


def expect_sequence(entries: Sequence[JournalEntry],
                    steps: Sequence[Match | Mapping[str, Any]]) -> None:
    """Raise :class:`ExpectationFailed` unless entries matching ``steps`` occur in order."""
    if not steps:
        raise ValueError("a sequence needs at least one step")
    passed, text = check_sequence([as_match(s) for s in steps], entries)
    if not passed:
        raise ExpectationFailed(text)
