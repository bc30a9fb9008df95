"""Scenario files: the format, its schema, and the message a bad file gets."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from mockkpr.errors import ConfigError
from mockkpr.faults import library, library_names, load_scenario, parse_scenario
from mockkpr.faults.load import library_text, scenario_schema, shipped_schema
from mockkpr.faults.model import FAULT_KINDS, LateApprec, Reject, Stage

GOOD = """\
name: good
description: One of each part.
clock: {offset: -P30D}
faults:
  - id: first
    kind: reject
    condition: amqp:resource-limit-exceeded
    when: {subject: KPR_IPL, sender: 12345, nth: 2}
    times: 3
  - kind: late-apprec
    delay: PT2H
expect:
  - {name: fired, fault: first, min: 1}
  - {match: {outcome: accepted}, max: 4}
  - sequence: [{outcome: rejected}, {outcome: accepted}]
"""


def test_a_good_scenario() -> None:
    scenario = parse_scenario(GOOD)
    first, second = scenario.faults
    assert isinstance(first, Reject)
    assert (first.condition, first.when.sender, first.when.nth, first.limit) == (
        "amqp:resource-limit-exceeded", "12345", 2, 3)
    assert first.stage is Stage.MESSAGE
    assert isinstance(second, LateApprec)
    assert second.delay == timedelta(hours=2)
    assert scenario.fault_ids() == ["first", "2-late-apprec"]
    assert scenario.clock is not None
    assert scenario.clock.offset == timedelta(days=-30)


def test_json_is_accepted_too() -> None:
    scenario = parse_scenario(json.dumps(yaml.safe_load(GOOD)))
    assert scenario == parse_scenario(GOOD)


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\nfaults: [\n", "<scenario>: not valid YAML at line 3, column 1: expected the "
     "node content, but found '<stream end>'"),
    ("- just\n- a list\n", "<scenario>: a scenario is a mapping with name, faults and expect; "
     "found list"),
    ("name: x\nfaults:\n  - kind: explode\n",
     "<scenario>: faults[0] (line 3): unknown fault kind 'explode'; known: "
     + ", ".join(FAULT_KINDS)),
    ("name: x\nfaults:\n  - when: {nth: 1}\n",
     "<scenario>: faults[0] (line 3): a fault needs a kind: one of " + ", ".join(FAULT_KINDS)),
    ("name: x\nfaults:\n  - kind: reject\n    when:\n      nth: 0\n",
     "<scenario>: faults[0].when.nth (line 5): Input should be greater than 0"),
    ("name: x\nfaults:\n  - kind: reject\n    when: {probability: 1.5}\n",
     "<scenario>: faults[0].when.probability (line 4): Input should be less than or equal to 1"),
    ("name: x\nfaults:\n  - kind: reject\n    when: {seed: 3}\n",
     "<scenario>: faults[0].when (line 4): seed is only used with probability"),
    ("name: x\nfaults:\n  - kind: reject\n    when: {colour: red}\n",
     "<scenario>: faults[0].when.colour (line 4): unknown key (not part of the scenario "
     "format; see `mockkpr docs scenarios`)"),
    ("name: x\nfaults:\n  - kind: reject\n    times: never\n",
     "<scenario>: faults[0].times (line 4): times must be once, always or a positive number, "
     "not 'never'"),
    ("name: x\nfaults:\n  - kind: tls-handshake-failure\n    when: {subject: KPR_IPL}\n",
     "<scenario>: faults[0].when.subject (line 4): cannot select a tls-handshake-failure "
     "fault by it: before the TLS handshake nothing but the connection's number is known"),
    ("name: x\nfaults:\n  - kind: apprec-status\n    status: 2\n",
     "<scenario>: faults[0] (line 3): status 2 needs at least one error (code and text)"),
    ("name: x\nfaults:\n  - kind: apprec-status\n    status: 2\n    errors: [{code: Q12}]\n",
     "<scenario>: faults[0].errors[0].code (line 5): Input should be 'E10', 'E20', 'E21', "
     "'E30', 'E31', 'E32', 'E35', 'E36', 'E53', 'E54', 'S01', 'S02', 'S03', 'S99', 'T01', "
     "'T02', 'T10', 'T99' or 'X99'"),
    ("name: x\nexpect:\n  - {fault: nowhere, count: 1}\n",
     "<scenario>: expect[0].fault (line 3): no fault with id 'nowhere' (ids: )"),
    ("name: x\nexpect:\n  - {match: {outcome: fine}, count: 1}\n",
     "<scenario>: expect[0].match.outcome (line 3): Input should be 'pending', 'accepted', "
     "'partial', 'rejected', 'transport-error', 'unanswerable', 'no-receipt' or 'duplicate'"),
    ("name: x\nexpect:\n  - {match: {outcome: accepted}}\n",
     "<scenario>: expect[0] (line 3): match needs count, min or max"),
    ("name: x\nclock: {fixed: 2027-01-15T12:00:00}\n",
     "<scenario>: clock.fixed (line 2): Input should have timezone info"),
    ("name: x\nfaults:\n  - {kind: release}\n  - {kind: release, id: 1-release}\n",
     "<scenario>: faults[1] (line 4): id '1-release' is used twice"),
])
def test_bad_scenarios_say_where_and_what(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as failed:
        parse_scenario(text)
    assert str(failed.value) == message


def test_files_are_named_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nfaults:\n  - {kind: late-apprec, delay: -PT1H}\n")
    with pytest.raises(ConfigError) as failed:
        load_scenario(path)
    assert str(failed.value) == f"{path}: faults[0].delay (line 3): delay must be positive"
    with pytest.raises(ConfigError, match=r"cannot read scenario file .*missing\.yaml: No such"):
        load_scenario(tmp_path / "missing.yaml")


def test_a_packaged_name_loads_the_library_scenario() -> None:
    assert load_scenario(Path("missing-apprec")).name == "missing-apprec"


def test_every_library_scenario_is_valid_named_as_its_file_and_described() -> None:
    entries = library()
    assert [e.name for e in entries] == library_names()
    assert len(entries) >= 8
    schema = shipped_schema()
    for entry in entries:
        assert entry.description.strip()
        jsonschema.validate(yaml.safe_load(library_text(entry.name)), schema)


def test_the_shipped_schema_is_the_generated_one() -> None:
    """Regenerate with `mockkpr scenarios schema > mockkpr/faults/scenario.schema.json`."""
    assert shipped_schema() == scenario_schema()
    jsonschema.Draft202012Validator.check_schema(shipped_schema())


def test_the_schema_rejects_what_the_loader_rejects() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "faults": [{"kind": "explode"}]}, shipped_schema())
