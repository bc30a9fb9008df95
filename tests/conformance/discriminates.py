"""The check shared by the discrimination tests of both routes: a broken sender fails (or,
for a should-case, warns on) exactly the cases that name its flaw, and every case it leaves
not judged names one of their requirements as its root cause."""

from __future__ import annotations

from collections.abc import Iterable

from mockkpr.conformance.cases import by_id
from mockkpr.conformance.harness import Certification
from mockkpr.conformance.model import Status


def fails_exactly(certification: Certification, expected: frozenset[str],
                  other_causes: Iterable[str] = ()) -> None:
    """Assert it; ``other_causes`` may be named as root causes besides the failing cases'
    requirements (nothing arrived)."""
    flagged = {r.case.id for r in certification.results
               if r.status in (Status.FAIL, Status.WARN)}
    errors = {r.case.id: r.error for r in certification.results if r.status is Status.ERROR}
    assert errors == {}
    assert sorted(flagged - expected) == [], "failed but should not have"
    assert sorted(expected - flagged) == [], "should have failed but did not"
    causes = {req for r in certification.results if r.case.id in expected
              for req in r.case.requirements} | set(other_causes)
    for result in certification.results:
        if result.status is Status.NOT_JUDGED:  # blocked by the flaw, saying so
            named = {c.hint.removeprefix("root cause ").split(":")[0]
                     for c in result.checks if c.passed is None}
            assert named, result.case.id
            assert named <= causes, (result.case.id, named)
    assert certification.exit_code == (0 if all(
        by_id()[c].level.value == "should" for c in expected) else 1)
