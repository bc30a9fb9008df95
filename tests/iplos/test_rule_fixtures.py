"""Golden rule fixtures: every rule has minimal invalid documents with the exact findings.

Layout: ``fixtures/rules/<RULE-ID>/<case>.xml`` with ``<case>.yaml`` beside it::

    document: <case>.xml          # optional, defaults to the yaml's name with .xml
    identity: <case>.ide.xml      # optional KPR_IDE partner, joined with the document
    identity_required: true       # optional: the document must be joined (as the endpoint does)
    year: 2019                    # optional forced reporting year
    settings: {accept_synthetic_ids: false}   # optional settings overrides
    accepted: true                # optional expected verdict
    findings:                     # exactly these findings, no more, no fewer
      - rule: TJ-TIMERUKE-RANGE
        location: /IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]/tjTimerUke
        value: "200"              # optional; checked when given
        line: 34                  # optional; checked when given (counted in the file)

A finding's line is the line of the element its location names (a field's own line; for a
missing field, its row's); tests/iplos/test_finding_lines.py checks that for every finding of
every fixture against the file. A meta-test fails when a registered rule has no fixture or a
fixture names no known rule.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockkpr.iplos import validate
from mockkpr.iplos.rules import REGISTRY
from mockkpr.settings import Settings

RULES_DIR = Path(__file__).parents[2] / "fixtures" / "rules"


def _cases() -> list[Path]:
    return sorted(RULES_DIR.glob("*/*.yaml"))


def _load(case: Path) -> dict[str, Any]:
    data = yaml.safe_load(case.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{case}: not a mapping"
    return data


def _run(case: Path) -> tuple[dict[str, Any], Any]:
    spec = _load(case)
    document = case.parent / spec.get("document", case.with_suffix(".xml").name)
    identity = case.parent / spec["identity"] if spec.get("identity") else None
    settings = Settings(**spec.get("settings", {}))
    report = validate(document, identity=identity, year=spec.get("year"), settings=settings,
                      identity_required=bool(spec.get("identity_required")))
    return spec, report


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_gives_exactly_its_findings(case: Path) -> None:
    """Each fixture produces exactly the findings its yaml lists (rule, location, value)."""
    spec, report = _run(case)
    expected = Counter((f["rule"], f["location"]) for f in spec["findings"])
    actual = Counter((f.rule_id, f.location) for f in report.findings)
    assert actual == expected, "\n".join(
        f"{f.rule_id} {f.location} value={f.value!r} expected={f.expected}"
        for f in report.findings
    )
    values = {(f.rule_id, f.location): f.value for f in report.findings}
    lines = {(f.rule_id, f.location): f.line for f in report.findings}
    for item in spec["findings"]:
        if "value" in item:
            assert values[(item["rule"], item["location"])] == item["value"]
        if "line" in item:
            assert lines[(item["rule"], item["location"])] == item["line"]
    if "accepted" in spec:
        assert report.accepted is spec["accepted"]


def test_every_rule_has_a_fixture_and_every_fixture_a_rule() -> None:
    """The meta-test: no rule without a golden fixture, no fixture for an unknown rule."""
    covered: set[str] = set()
    for case in _cases():
        assert case.parent.name in REGISTRY, f"{case}: directory names no registered rule"
        rules_in_case = {f["rule"] for f in _load(case)["findings"]}
        assert case.parent.name in rules_in_case, f"{case}: does not expect its own rule"
        unknown = rules_in_case - {r.id for r in REGISTRY}
        assert not unknown, f"{case}: unknown rules {unknown}"
        covered |= rules_in_case
    missing = sorted({r.id for r in REGISTRY} - {p.name for p in RULES_DIR.iterdir()})
    assert not missing, f"rules without a fixture directory: {missing}"


@pytest.mark.parametrize(
    ("document", "identity"),
    [("minimal-2018.xml", None), ("minimal-2019.xml", "minimal-ide.xml"),
     ("minimal-56.xml", None)],
)
def test_base_documents_pass_every_rule(document: str, identity: str | None) -> None:
    """The bases the rule fixtures are made from give no finding at all."""
    base = RULES_DIR / "_base"
    if not (base / document).exists():
        pytest.fail(f"missing base document {document}")
    report = validate(base / document, identity=base / identity if identity else None)
    assert report.findings == []
    assert report.accepted
