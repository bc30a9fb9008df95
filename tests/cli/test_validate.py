"""`mockkpr validate`: formats, exit codes, options and every kind of bad input a user meets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from lxml import etree

from mockkpr.cli import main
from mockkpr.generator import GenerationSpec, write
from mockkpr.iplos import Generation

ROOT = Path(__file__).parents[2]
VALID = ROOT / "fixtures" / "valid"
RULES = ROOT / "fixtures" / "rules"
SCHEMA = json.loads((ROOT / "docs" / "report-schema.json").read_text(encoding="utf-8"))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args])
    return result.exit_code, result.output


def test_valid_file_exits_0_with_a_readable_summary() -> None:
    code, out = run(str(VALID / "iplos-2019.xml"))
    assert code == 0, out
    assert "IPLOS annual 2019 (3.7) (kommune 0301, year 2019)" in out
    assert "Verdict: ACCEPTED / GODKJENT - 0 finding(s) / funn" in out


def test_rejected_file_exits_1_and_groups_findings_by_rule_in_both_languages() -> None:
    code, out = run(str(RULES / "II-KOMNR-VALID" / next(
        p.name for p in (RULES / "II-KOMNR-VALID").glob("*.xml"))))
    assert code == 1
    assert "REJECTED / AVVIST" in out
    assert "II-KOMNR-VALID" in out
    assert "  no: " in out
    assert "  en: " in out
    assert "/IPLOS/INNHINFO/iiKomnr" in out


def test_report_only_findings_pass_unless_fail_on_report() -> None:
    path = str(RULES / "TJ-TIMERUKE-RANGE" / "over-168.xml")
    assert run(path)[0] == 0
    code, out = run(path, "--fail-on", "report")
    assert code == 1
    assert "TJ-TIMERUKE-RANGE" in out


def test_json_output_follows_the_documented_schema(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code, _ = run(str(VALID / "iplos-2018.xml"), str(RULES / "TJ-TIMERUKE-RANGE" /
                                                     "over-168.xml"),
                  "--format", "json", "--output", str(out))
    assert code == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(document, SCHEMA)
    assert [r["verdict"]["accepted"] for r in document["reports"]] == [True, True]
    finding = document["reports"][1]["findings"][0]
    assert finding["rule_id"] == "TJ-TIMERUKE-RANGE"
    assert finding["location"] == "/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]/tjTimerUke"
    assert finding["value"] == "200"


def test_junit_output_has_a_failing_case_for_a_rejecting_rule() -> None:
    path = next((RULES / "II-KOMNR-VALID").glob("*.xml"))
    code, out = run(str(path), "--format", "junit")
    assert code == 1
    suites = etree.fromstring(out.encode())
    failures = suites.findall(".//testcase[failure]")
    assert [case.get("name") for case in failures] == ["II-KOMNR-VALID"]


@pytest.mark.parametrize(("generation", "year", "rule", "prefix"), [
    (Generation.ANNUAL_2019, 2019, "II-FRADATO", "KPR_IPL"),
    (Generation.ANNUAL_2018, 2018, "TJ-TIMERUKE-RANGE", "KPR_IPL"),
    (Generation.ANNUAL_2019, 2019, "IDE-FID-CHECKSUM", "KPR_IDE")])
def test_every_format_gives_the_line_of_the_field_not_of_its_row(
    tmp_path: Path, generation: Generation, year: int, rule: str, prefix: str,
) -> None:
    """Text, JSON and JUnit say the line of the field a finding names (not of its row): the
    line is found in the generated file by the field's name and the injected value."""
    manifest = write(GenerationSpec(kommune="0301", year=year, persons=5, seed=7,
                                    generation=generation, defects={rule: 1}), tmp_path)
    (defect,) = manifest["defects"]
    path = tmp_path / next(d["name"] for d in manifest["documents"]
                           if d["name"].startswith(prefix))
    name = defect["location"].rsplit("/", 1)[1]
    lines = path.read_text(encoding="utf-8").splitlines()
    (line,) = [n for n, text in enumerate(lines, 1)
               if f"<{name}>{defect['value']}</{name}>" in text]
    files = [str(tmp_path / d["name"]) for d in manifest["documents"]]
    _, text = run(*files)
    assert f"{defect['location']} (line {line}): " in text, text
    report = tmp_path / "report.json"
    run(*files, "--format", "json", "--output", str(report))
    (finding,) = [f for r in json.loads(report.read_text(encoding="utf-8"))["reports"]
                  for f in r["findings"]]
    assert (finding["rule_id"], finding["location"], finding["line"]) == (
        rule, defect["location"], line)
    _, junit = run(*files, "--format", "junit")
    case = etree.fromstring(junit.encode()).find(f".//testcase[@name='{rule}']")
    assert case is not None
    assert f"{defect['location']} (line {line}): " in "".join(case.itertext())


def test_identity_and_iplos_given_together_are_joined() -> None:
    code, out = run(str(VALID / "iplos-2019.xml"), str(VALID / "kpr-ide-1-2018.xml"))
    # The 2018 identity file does not belong to the 2019 report: the join says so.
    assert code == 1
    assert "IDE-HEADER-MISMATCH" in out
    code, out = run(str(VALID / "iplos-2019.xml"), str(VALID / "kpr-ide-1.xml"))
    assert code == 0, out


def test_split_event_messages_are_judged_as_one_stream(tmp_path: Path) -> None:
    manifest = write(GenerationSpec(kommune="0301", year=2022, persons=40, seed=2,
                                    generation=Generation.EVENT_56, messages=2), tmp_path)
    files = [str(tmp_path / d["name"]) for d in manifest["documents"]]
    code, out = run(*files)
    assert code == 0, out
    code, out = run("--fail-on", "row", files[1])  # the second alone breaks the chain
    assert code == 1
    assert "EV-CHAIN" in out


def test_year_option_judges_another_reporting_year() -> None:
    code, out = run(str(VALID / "iplos-2019.xml"), "--year", "2020")
    assert code == 1
    assert "II-FRADATO" in out


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"", "XML-EMPTY"),
        (b"\x00\x01\x02 not xml", "XML-NOT-WELL-FORMED"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
         b'<IPLOS xmlns="http://www.npr.no/xmlstds/iplos/2019">&e;</IPLOS>', "XML-DOCTYPE"),
        (b'<IPLOS xmlns="urn:other"/>', "XML-UNKNOWN-FORMAT"),
        ('<?xml version="1.0" encoding="UTF-8"?><IPLOS xmlns="http://www.npr.no/xmlstds/'
         'iplos/2019" versjon="3.7"><x>\u00e5</x></IPLOS>'.encode("latin-1"),
         "XML-NOT-WELL-FORMED"),
    ],
    ids=["empty", "binary", "xxe", "unknown-namespace", "wrong-encoding"],
)
def test_unreadable_documents_give_a_clear_rejecting_finding(tmp_path: Path, content: bytes,
                                                             rule: str) -> None:
    path = tmp_path / "input.xml"
    path.write_bytes(content)
    code, out = run(str(path))
    assert code == 1
    assert rule in out
    assert "root:" not in out  # nothing from /etc/passwd was read into the report


def test_a_bom_and_a_missing_xml_declaration_are_accepted(tmp_path: Path) -> None:
    text = (VALID / "iplos-2019.xml").read_bytes()
    bom = tmp_path / "bom.xml"
    bom.write_bytes(b"\xef\xbb\xbf" + text)
    bare = tmp_path / "bare.xml"
    bare.write_bytes(text.split(b"?>", 1)[1])
    assert run(str(bom))[0] == 0
    assert run(str(bare))[0] == 0


def test_a_2_gb_file_is_refused_unread(tmp_path: Path) -> None:
    """A sparse 2 GiB file: over MOCKKPR_MAX_PAYLOAD_BYTES (1 GiB), refused from its size."""
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:
        handle.truncate(2 << 30)
    code, out = run(str(path))
    assert code == 1
    assert "XML-TOO-LARGE" in out
    assert "at most 1073741824 bytes" in out


def test_missing_file_and_bad_options_exit_2_with_a_message(tmp_path: Path) -> None:
    code, out = run(str(tmp_path / "nope.xml"))
    assert code == 2
    assert "does not exist" in out
    code, out = run(str(VALID / "iplos-2019.xml"), "--format", "pdf")
    assert code == 2
    assert "'pdf' is not one of 'text', 'json', 'junit'" in out
    code, out = run(str(VALID / "iplos-2019.xml"), "--year", "19")
    assert code == 2


def test_unwritable_output_exits_2(tmp_path: Path) -> None:
    code, out = run(str(VALID / "iplos-2019.xml"), "--output",
                    str(tmp_path / "no-such-dir" / "r.txt"))
    assert code == 2
    assert "cannot write" in out


def test_invalid_setting_in_the_environment_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKKPR_MAX_FINDINGS", "many")
    code, out = run(str(VALID / "iplos-2019.xml"))
    assert code == 2
    assert "MOCKKPR_MAX_FINDINGS" in out


# ------------------------------------------------------------------ standard input and pipes
MOCKKPR = [sys.executable, "-m", "mockkpr"]


def test_standard_input_is_read_as_a_file() -> None:
    """`cat f.xml | mockkpr validate -`, in a real process (not click's test runner)."""
    document = (VALID / "iplos-2019.xml").read_bytes()
    done = subprocess.run([*MOCKKPR, "validate", "-"], input=document, capture_output=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith(
        "<stdin>: IPLOS annual 2019 (3.7) (kommune 0301, year 2019)")
    empty = subprocess.run([*MOCKKPR, "validate", "-"], input=b"", capture_output=True,
                           timeout=120, check=False)
    assert empty.returncode == 1
    assert b"XML-EMPTY" in empty.stdout


def test_dev_stdin_and_process_substitution_are_read_once() -> None:
    """`cat f | mockkpr validate /dev/stdin` and `validate <(cat f) identity.xml`: the pipe is
    read once (its format told from the bytes read ahead), and still paired and joined."""
    document = (VALID / "iplos-2019.xml").read_bytes()
    done = subprocess.run([*MOCKKPR, "validate", "/dev/stdin"], input=document,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert b"Rows: 35 total, 35 kept" in done.stdout
    read, write = os.pipe()
    with subprocess.Popen([*MOCKKPR, "validate", f"/dev/fd/{read}",
                           str(VALID / "kpr-ide-1.xml")], pass_fds=[read],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        os.close(read)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(document)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.decode().startswith(f"/dev/fd/{read}: IPLOS annual 2019")
    assert b"Rows: 40 total, 40 kept" in out  # joined with the identity file


def test_a_named_pipe_fed_by_a_writer_is_read_as_it_streams(tmp_path: Path) -> None:
    """A FIFO holds no more than its buffer: a reader that opened it twice (to sniff, then to
    validate) waited for ever. 40 copies of a file's persons, written as they are read."""
    fifo = tmp_path / "feed.xml"
    os.mkfifo(fifo)
    head, rest = (VALID / "iplos-2019.xml").read_bytes().split(b"<PERSON ", 1)
    persons, tail = rest.rsplit(b"</IPLOS>", 1)
    process = subprocess.Popen([*MOCKKPR, "validate", "--format", "json", str(fifo)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with fifo.open("wb") as feed:
        feed.write(head)
        for _ in range(40):  # the same persons again: findings, but read to the end
            feed.write(b"<PERSON " + persons)
        feed.write(b"</IPLOS>" + tail)
    out, err = process.communicate(timeout=300)
    report = json.loads(out)["reports"][0]
    assert report["format"]["generation"] == "2019", err
    assert report["rows"]["total"] == 35 * 40


def test_standard_input_twice_is_a_usage_error() -> None:
    code, out = run("-", "-")
    assert code == 2
    assert "standard input (-) can be given once" in out


def test_a_50_mb_attribute_is_reported_as_the_limit_it_passes(tmp_path: Path) -> None:
    """A huge value in the root's start tag: libxml2's own words (as the endpoint says),
    not a document "cut short" at the first megabyte."""
    text = (VALID / "iplos-2019.xml").read_text(encoding="utf-8")
    root = text.index("<IPLOS ") + len("<IPLOS ")
    path = tmp_path / "huge-attribute.xml"
    path.write_text(text[:root] + 'x="' + "x" * (50 << 20) + '" ' + text[root:],
                    encoding="utf-8")
    code, out = run(str(path))
    assert code == 1
    assert "XML-NOT-WELL-FORMED" in out
    assert "Buffer size limit exceeded" in out
    assert "AttValue" not in out
