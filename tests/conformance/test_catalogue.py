"""The catalogue's integrity: ids, traceability both ways, scenarios used, docs, digest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mockkpr.conformance import cases as c
from mockkpr.conformance.model import Level, digest_of, requirements, requirements_bytes
from mockkpr.errors import ConfigError
from mockkpr.faults import library_names

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs" / "conformance.md"


def test_case_ids_are_unique_and_well_formed() -> None:
    ids = [case.id for case in c.CATALOGUE]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"KPR-CONF-\d{3}", i) for i in ids)
    assert ids == sorted(ids), "the catalogue is in id order"


def test_every_case_traces_to_existing_requirements() -> None:
    table = requirements()
    for case in c.CATALOGUE:
        assert case.requirements, case.id
        assert set(case.requirements) <= set(table), case.id


def test_every_requirement_has_a_case() -> None:
    covered = {r for case in c.CATALOGUE for r in case.requirements}
    assert set(requirements()) - covered == set()


def test_every_packaged_scenario_is_used_by_a_case() -> None:
    used = {case.run.prepare.scenario for case in c.CATALOGUE}
    assert set(library_names()) - used == set()


def test_requirements_table_rows_are_complete() -> None:
    data = yaml.safe_load(requirements_bytes())
    assert data["schema_version"] == 1
    for row in data["requirements"]:
        assert set(row) == {"id", "level", "source", "text"}, row
        assert re.fullmatch(r"REQ-[A-Z]+(-[A-Z0-9]+)+", row["id"]), row["id"]
        assert row["source"].split()[0] in {"nhn-amqp-profile.md", "iplos-format.md",
                                            "kpr-reporting.md", "kpr-http-api.md",
                                            "docs/http-api.md"}, row["id"]


def test_http_requirements_say_what_is_public_fact_and_what_mockkprs_choice() -> None:
    """The HTTP route's rows trace to the public facts (kpr-http-api.md) and name
    docs/http-api.md only for mockkpr's own choices, saying so."""
    rows = [r for r in requirements().values() if r.id.startswith("REQ-HTTP-")]
    assert len(rows) >= 10
    for row in rows:
        assert "kpr-http-api.md" in row.source or "docs/http-api.md" in row.source, row.id
        if "docs/http-api.md" in row.source:
            assert "mockkpr's choice" in row.source or "RFC" in row.source, row.id
    sources = (ROOT / "docs" / "http-api.md").read_text(encoding="utf-8")
    assert "## Conformance" in sources


def test_the_catalogue_has_an_http_route() -> None:
    http = c.select(None, "http")
    assert http
    assert {case.route.value for case in http} == {"http"}
    assert {case.route.value for case in c.select(None)} == {"amqp"}
    assert {case.group.value for case in http} == {"http"}
    assert all(run.route.value == "http" for case in http for run in case.runs)
    assert [x.id for x in c.select(["http"], "http")] == [x.id for x in http]
    with pytest.raises(ConfigError, match=r"--cases KPR-CONF-100: its cases judge the http "
                       r"route, not amqp \(give --route http\)"):
        c.select(["KPR-CONF-100"])
    with pytest.raises(ConfigError, match="judge the amqp route, not http"):
        c.select(["security"], "http")


def test_a_case_is_as_strict_as_its_strictest_requirement() -> None:
    table = requirements()
    for case in c.CATALOGUE:
        levels = {table[r].level for r in case.requirements}
        expected = Level.SHALL if Level.SHALL in levels else Level.SHOULD
        assert case.level is expected, case.id


def test_runs_with_one_name_are_one_run() -> None:
    """Cases share an execution by run name, so equal names must mean equal runs."""
    by_name = {}
    for case in c.CATALOGUE:
        assert by_name.setdefault(case.run.name, case.run) == case.run, case.run.name


def test_every_run_scenario_loads() -> None:
    from mockkpr.conformance.runs import scenario_of

    for case in c.CATALOGUE:
        scenario = scenario_of(case.run)
        assert (scenario is None) == (case.run.prepare.scenario is None), case.id
        if case.run.advance_clock_after is not None:
            assert scenario is not None
            assert case.run.advance_clock_after in scenario.fault_ids()


def test_docs_case_table_is_the_catalogue() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("<!-- cases:begin -->\n")[1].split("<!-- cases:end -->")[0]
    assert table == c.case_table()


def test_select_by_id_pattern_and_group() -> None:
    assert [x.id for x in c.select(["KPR-CONF-001"])] == ["KPR-CONF-001"]
    assert [x.id for x in c.select(["kpr-conf-03*"])] == [
        "KPR-CONF-030", "KPR-CONF-031", "KPR-CONF-032", "KPR-CONF-033", "KPR-CONF-034"]
    assert {x.group.value for x in c.select(["large-files"])} == {"large-files"}
    assert len(c.select(None)) + len(c.select(None, "http")) == len(c.CATALOGUE)


def test_select_names_what_it_does_not_know() -> None:
    with pytest.raises(ConfigError, match=r"--cases KPR-CONF-999: no such case id, pattern or "
                       r"group \(groups: apprec, connection"):
        c.select(["KPR-CONF-999"])


def test_suite_digest_covers_requirements_and_catalogue() -> None:
    digest = c.suite_digest()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    assert digest == c.suite_digest()
    assert digest_of(requirements_bytes() + b"#", c.catalogue_bytes()) != digest
    assert digest_of(requirements_bytes(), c.catalogue_bytes().replace(b"KPR-CONF-001",
                                                                       b"KPR-CONF-901")) != digest
    # the boundary between the two parts counts too
    assert digest_of(b"ab", b"c") != digest_of(b"a", b"bc")
