"""The valid annual fixtures pass every rule, alone and joined with their identity files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockkpr.iplos import validate

VALID = Path(__file__).resolve().parents[3] / "fixtures" / "valid"


@pytest.mark.parametrize(("document", "identity"),
                         [("iplos-2018.xml", "kpr-ide-1-2018.xml"),
                          ("iplos-2019.xml", "kpr-ide-1.xml")])
def test_valid_annual_fixture_gives_no_finding(document: str, identity: str) -> None:
    for report in (validate(VALID / document), validate(VALID / document,
                                                        identity=VALID / identity)):
        assert [(f.rule_id, f.location) for f in report.findings] == []
        assert report.accepted
        assert report.rows.dropped == 0
        assert report.rows.blanked == 0
