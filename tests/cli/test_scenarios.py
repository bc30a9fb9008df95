"""``mockkpr scenarios``: list, show, schema and check."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from mockkpr.cli import main
from mockkpr.faults import library_names


def test_list_names_every_packaged_scenario_with_its_question() -> None:
    result = CliRunner().invoke(main, ["scenarios", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == library_names()
    assert any(line.startswith("resend-after-reject ") and "rejects a delivery" in line
               for line in lines)


def test_show_prints_the_yaml() -> None:
    result = CliRunner().invoke(main, ["scenarios", "show", "missing-apprec"])
    assert result.exit_code == 0
    assert yaml.safe_load(result.output)["faults"][0]["kind"] == "no-apprec"


def test_show_an_unknown_name() -> None:
    result = CliRunner().invoke(main, ["scenarios", "show", "nope"])
    assert result.exit_code == 2
    assert result.output.startswith("mockkpr: error: no packaged scenario 'nope'; known: ")


def test_schema_is_json() -> None:
    result = CliRunner().invoke(main, ["scenarios", "schema"])
    assert json.loads(result.output)["title"] == "mockkpr scenario"


def test_check_a_good_and_a_bad_file(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: good\nfaults:\n  - {kind: no-apprec}\n")
    result = CliRunner().invoke(main, ["scenarios", "check", str(good)])
    assert result.exit_code == 0
    assert "scenario 'good' with 1 fault(s) and 0 expectation(s) is valid" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nfaults:\n  - {kind: no-apprec, times: 0}\n")
    result = CliRunner().invoke(main, ["scenarios", "check", str(bad)])
    assert result.exit_code == 2
    assert result.output == (f"mockkpr: error: {bad}: faults[0].times (line 3): times must be "
                             "once, always or a positive number, not 0\n")
