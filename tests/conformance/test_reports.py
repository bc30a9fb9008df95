"""The outputs of a run: JUnit XML that parses, JSON valid against its schema, HTML escaped."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from lxml import etree

from mockkpr.conformance import report_html, report_json, report_junit
from mockkpr.conformance.harness import EXIT_SENDER_FAILED
from mockkpr.registry import Registry
from tests.conformance.builders import NASTY_OUTPUT, certification

ROOT = Path(__file__).parents[2]
SCHEMA = json.loads((ROOT / "docs" / "conformance-summary.schema.json").read_text("utf-8"))


def test_summary_is_valid_against_its_schema(registry: Registry, tmp_path: Path) -> None:
    summary = json.loads(report_json.render(certification(registry, tmp_path)))
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert sorted(e.message for e in validator.iter_errors(summary)) == []
    assert SCHEMA["$id"] == report_json.SCHEMA_ID
    assert summary["schema_version"] == report_json.SCHEMA_VERSION
    assert summary["verdict"] == {"passed": False, "exit_code": EXIT_SENDER_FAILED,
                                  "counts": {"pass": 1, "fail": 1, "warn": 1, "not-judged": 0,
                                             "error": 1}, "max_time": None, "capped": False}
    by_id = {case["id"]: case for case in summary["cases"]}
    assert by_id["KPR-CONF-031"]["checks"][0] == {
        "name": "content encryption", "status": "fail", "expected": "aes-256-cbc",
        "actual": "KPR_IPL 1234: <aes-128-cbc>", "hint": "use AES-256", "evidence": []}
    assert by_id["KPR-CONF-001"]["error"] == ("TLS version: the endpoint recorded no "
                                              "wire.tls_protocol")
    assert by_id["KPR-CONF-015"]["sends"][0]["stdout"] == NASTY_OUTPUT


def test_a_summary_that_breaks_the_schema_is_caught(registry: Registry, tmp_path: Path) -> None:
    """The schema has teeth: a wrong status or a missing field is an error."""
    summary = json.loads(report_json.render(certification(registry, tmp_path)))
    summary["cases"][0]["status"] = "passed"
    del summary["run"]["seed"]
    errors = sorted(e.message for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(
        summary))
    assert errors == ["'passed' is not one of ['pass', 'fail', 'warn', 'not-judged', 'error']",
                      "'seed' is a required property"]


def test_junit_has_a_suite_per_group_and_failures_for_shall_cases(registry: Registry,
                                                                  tmp_path: Path) -> None:
    root = etree.fromstring(report_junit.render(certification(registry, tmp_path)))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "1")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert sorted(suites) == ["mockkpr conformance: Connection and authentication",
                              "mockkpr conformance: Message properties",
                              "mockkpr conformance: Security"]
    cases = {c.get("name").split()[0]: c for c in root.iter("testcase")}
    failure = cases["KPR-CONF-031"].find("failure")
    assert failure is not None
    assert failure.get("message") == ("content encryption: expected aes-256-cbc; actual "
                                      "KPR_IPL 1234: <aes-128-cbc>")
    assert "hint:     use AES-256" in (failure.text or "")
    assert cases["KPR-CONF-001"].find("error") is not None
    warned = cases["KPR-CONF-012"]
    assert warned.find("failure") is None
    assert (warned.findtext("system-out") or "").startswith("WARNING (should-case failed")
    assert cases["KPR-CONF-015"].get("classname") == "mockkpr.conformance.properties"
    properties = {p.get("name"): p.get("value") for p in suites[
        "mockkpr conformance: Security"].iter("property")}
    assert properties["seed"] == "7"
    assert properties["suite_digest"].startswith("sha256:")


def test_junit_carries_any_sender_output() -> None:
    assert report_junit.xml_text("a\x07b\x00c\ttab\nline æ") == "a\\x07b\\x00c\ttab\nline æ"


def test_html_escapes_what_the_sender_printed(registry: Registry, tmp_path: Path) -> None:
    page = report_html.render(certification(registry, tmp_path),
                              signer={"subject": "CN=<harness>", "fingerprint": "AB:CD"})
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp;" in page
    assert "KPR_IPL 1234: &lt;aes-128-cbc&gt;" in page
    assert "CN=&lt;harness&gt;" in page
    assert "FAILED (exit 1)" in page
    parsed = etree.fromstring(page.encode(), etree.HTMLParser())
    rows = {"".join(td.itertext()).strip() for td in parsed.iter("td")}
    assert "KPR-CONF-031 Encrypts with AES-256-CBC" in rows
