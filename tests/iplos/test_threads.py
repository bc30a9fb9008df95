"""Validation in several threads at once, as the endpoint's workers do it."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from mockkpr.iplos import validate
from mockkpr.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures"


def test_concurrent_validations_keep_their_own_schema_errors() -> None:
    """A schema error found in one thread is never lost to a validation in another.

    lxml keeps a schema's error log on the schema object; a schema shared between threads had
    another thread's validation clear it between ``validate`` and reading the log, so an
    invalid file was now and then reported without its finding.
    """
    settings = Settings()
    invalid = (FIXTURES / "rules/TJ-TIMERUKE-RANGE/not-a-number-2018.xml").read_bytes()
    valid = (FIXTURES / "valid/iplos-2018.xml").read_bytes()
    expected = [f.rule_id for f in validate(invalid, settings=settings, name="x").findings]
    assert expected == ["TJ-TIMERUKE-RANGE"]
    stop = threading.Event()
    seen: list[list[str]] = []

    def keep_validating_the_valid_file() -> None:
        while not stop.is_set():
            validate(valid, settings=settings, name="valid")

    other = threading.Thread(target=keep_validating_the_valid_file)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that the validations interleave
    other.start()
    try:
        for _ in range(1000):
            seen.append([f.rule_id for f in validate(invalid, settings=settings,
                                                      name="x").findings])
    finally:
        stop.set()
        other.join()
        sys.setswitchinterval(interval)
    assert [s for s in seen if s != expected] == []
