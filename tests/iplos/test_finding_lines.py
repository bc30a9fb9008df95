"""Each finding's line is the line of the element its location names, read from the file.

The expectations come from the documents themselves, not from the validator's rows: this
module reads a finding's location (a keyed XPath such as
``/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]/tjTimerUke``) with its own small reader,
finds the elements it names in the document as lxml parses it, and expects

- the finding's line to be the start line of one of those elements (for an attribute,
  ``.../@x``, of its element; for a field or element that is absent, of the row it is absent
  from);
- that line to hold the element's start tag (``<tjTimerUke>``) or, for a start tag spread over
  several lines, its end: libxml2 numbers an element by the line its start tag ends on.

An element that does not belong where it is (XML-STRUCTURE) is named by its value, its
location being the parent it was found in: the line holds that element. Findings on the
whole document (location ``/``) name no element; their line, when there is one, lies in it.

Documents: every golden rule fixture, and generated files with each injectable defect
(``mockkpr generate --defects RULE=1``) in each generation; each judged both from one parse
(small documents) and incrementally (the path large files take, where elements are freed
after their rules ran).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from mockkpr.generator import defects as D
from mockkpr.generator.api import GenerationRun
from mockkpr.generator.spec import GenerationSpec
from mockkpr.iplos import engine, validate
from mockkpr.iplos.findings import Finding, Report
from mockkpr.iplos.formats import Generation
from mockkpr.iplos.rules.event_history import EventHistory
from mockkpr.settings import Settings

RULES_DIR = Path(__file__).parents[2] / "fixtures" / "rules"
YEAR = {Generation.ANNUAL_2018: 2018, Generation.ANNUAL_2019: 2019, Generation.EVENT_56: 2022}
PERSONS = 8
_STEP = re.compile(r"([^\[\]/@]+)(?:\[(?:@([^=\]]+)=([^\]]*)|(\d+))\])?")
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


# ----------------------------------------------------------------------- reading a location
def _steps(location: str) -> list[str]:
    """``/a/b[@k=x/y]/c`` -> ``["a", "b[@k=x/y]", "c"]`` (a slash inside [...] is a value)."""
    steps, depth, current = [], 0, ""
    for char in location[1:]:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "/" and depth == 0:
            steps.append(current)
            current = ""
        else:
            current += char
    steps.append(current)
    return steps


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


@dataclass
class Named:
    """What a location names in one document: the elements whose lines may be given."""

    elements: list[etree._Element]
    absent: bool  # the last step names nothing: ``elements`` are the rows it is absent from


def resolve(root: etree._Element, location: str) -> Named | None:
    """The elements ``location`` names in the document of ``root``, or None when its first
    step is not this document's root. Fails when a step other than the last names nothing."""
    steps = _steps(location)
    if steps[0] != _local(root):
        return None
    current = [root]
    for number, step in enumerate(steps[1:], start=2):
        if step.startswith("@"):
            # An attribute (present or missing) is on its element's line.
            assert number == len(steps), f"{location}: an attribute step before the last"
            return Named(current, absent=False)
        match = _STEP.fullmatch(step)
        assert match is not None, f"{location}: cannot read step {step!r}"
        name, key, value, position = match.groups()
        found = []
        for element in current:
            children = [c for c in element if isinstance(c.tag, str) and _local(c) == name]
            if key is not None:
                found += [c for c in children if c.get(key) == value]
            elif position is not None:
                found += children[int(position) - 1:int(position)]
            else:
                found += children
        if not found:
            assert number == len(steps), f"{location}: step {step!r} names nothing"
            return Named(current, absent=True)
        current = found
    return Named(current, absent=False)


def _opens(lines: list[str], number: int, name: str) -> bool:
    """Whether line ``number`` (1-based) is a line of a start tag of an element ``name`` that
    ends on it: the tag opens on this line or, spread over lines, on one above it."""
    opening = re.compile(rf"<(?:[\w.-]+:)?{re.escape(name)}(?=[\s/>]|$)")
    text = lines[number - 1]
    for above in range(number - 1, -1, -1):
        line = lines[above]
        found = list(opening.finditer(line))
        if found:
            rest = line[found[-1].end():] if above < number - 1 else ""
            between = "\n".join([rest, *lines[above + 1:number - 1]])
            return above == number - 1 or ("<" not in between and ">" not in between
                                           and ">" in text)
        if "<" in line or (above < number - 1 and ">" in line):
            return False
    return False


@dataclass
class Document:
    """One judged document: its lines and, when it is well-formed, its parsed root."""

    lines: list[str]
    root: etree._Element | None

    @classmethod
    def of(cls, data: bytes) -> Document:
        try:
            root = etree.fromstring(data, _SAFE)
        except etree.XMLSyntaxError:
            root = None
        return cls(data.decode("utf-8", "replace").splitlines(), root)


def check_line(finding: Finding, documents: list[Document]) -> None:
    """The finding's line is the start line of an element its location names (see above)."""
    where = f"{finding.rule_id} {finding.location} (line {finding.line})"
    if finding.location == "/":
        if finding.line is not None:
            assert any(1 <= finding.line <= len(d.lines) for d in documents), where
        return
    for document in documents:
        if document.root is None:
            continue
        named = resolve(document.root, finding.location)
        if named is None:
            continue
        assert finding.line is not None, where
        text = document.lines[finding.line - 1]
        if (finding.rule_id == "XML-STRUCTURE" and finding.value is not None
                and finding.value.startswith("{")):
            # An element out of place: the location is its parent, the value names it.
            name = finding.value.rpartition("}")[2]
            assert _opens(document.lines, finding.line, name), f"{where}: {text!r}"
            return
        lines = {e.sourceline for e in named.elements}
        assert finding.line in lines, f"{where}: expected one of {sorted(lines)}"
        element = next(e for e in named.elements if e.sourceline == finding.line)
        assert _opens(document.lines, finding.line, _local(element)), f"{where}: {text!r}"
        return
    pytest.fail(f"{where}: no judged document has this location's root")


@contextmanager
def _incremental() -> Iterator[None]:
    """Judge documents incrementally even when small (the path large files take)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine.DocumentValidator, "_whole", lambda *args: None)
        yield


# ----------------------------------------------------------------------- golden fixtures
def _fixture_cases() -> list[Path]:
    return sorted(RULES_DIR.glob("*/*.yaml"))


def _judge_fixture(case: Path) -> tuple[Report, list[Document]]:
    spec: dict[str, Any] = yaml.safe_load(case.read_text(encoding="utf-8"))
    document = case.parent / spec.get("document", case.with_suffix(".xml").name)
    identity = case.parent / spec["identity"] if spec.get("identity") else None
    report = validate(document, identity=identity, year=spec.get("year"),
                      settings=Settings(**spec.get("settings", {})),
                      identity_required=bool(spec.get("identity_required")))
    files = [document] + ([identity] if identity is not None else [])
    return report, [Document.of(f.read_bytes()) for f in files]


@pytest.mark.parametrize("incremental", [False, True], ids=["one-parse", "incremental"])
@pytest.mark.parametrize("case", _fixture_cases(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_golden_fixture_finding_is_on_its_elements_line(case: Path,
                                                             incremental: bool) -> None:
    if incremental:
        with _incremental():
            report, documents = _judge_fixture(case)
    else:
        report, documents = _judge_fixture(case)
    assert report.findings, "a golden fixture has findings"
    for finding in report.findings:
        check_line(finding, documents)


# ----------------------------------------------------------------------- generated defects
def _defect_cases() -> list[tuple[Generation, str]]:
    return [(generation, rule_id) for generation in Generation for rule_id in sorted(D.INJECTORS)
            if D.injector_for(rule_id, generation) is not None]


def _judge_generated(generation: Generation, rule_id: str) -> list[tuple[Report, list[Document]]]:
    spec = GenerationSpec(kommune="0301", year=YEAR[generation], persons=PERSONS, seed=5,
                          generation=generation, defects={rule_id: 1})
    documents = {doc.name: doc.read() for doc in GenerationRun(spec).documents()}
    if generation is Generation.EVENT_56:
        history = EventHistory()
        return [(validate(data, name=name, history=history), [Document.of(data)])
                for name, data in sorted(documents.items())]
    iplos = next(data for name, data in documents.items() if name.startswith("KPR_IPL"))
    identity = next(data for name, data in documents.items() if name.startswith("KPR_IDE"))
    return [(validate(iplos, identity=identity), [Document.of(iplos), Document.of(identity)])]


@pytest.mark.parametrize("incremental", [False, True], ids=["one-parse", "incremental"])
@pytest.mark.parametrize(("generation", "rule_id"), _defect_cases(),
                         ids=lambda v: v.value if isinstance(v, Generation) else v)
def test_each_injected_defect_is_found_on_its_elements_line(generation: Generation,
                                                            rule_id: str,
                                                            incremental: bool) -> None:
    if incremental:
        with _incremental():
            judged = _judge_generated(generation, rule_id)
    else:
        judged = _judge_generated(generation, rule_id)
    rules = {f.rule_id for report, _ in judged for f in report.findings}
    assert rule_id in rules, f"the injected {rule_id} was not found"
    for report, documents in judged:
        for finding in report.findings:
            check_line(finding, documents)


# ----------------------------------------------------------------------- single cases
def test_the_issue_example_points_at_the_field_not_its_row() -> None:
    """`generate --kommune 0301 --year 2019 --persons 5 --seed 7 --defects II-FRADATO=1`:
    the finding is on the line of <iiFraDato>, not on the line of <INNHINFO>."""
    spec = GenerationSpec(kommune="0301", year=2019, persons=5, seed=7,
                          generation=Generation.ANNUAL_2019, defects={"II-FRADATO": 1})
    data = next(d.read() for d in GenerationRun(spec).documents() if d.name.startswith("KPR_IPL"))
    lines = data.decode().splitlines()
    field = next(n for n, text in enumerate(lines, 1) if "<iiFraDato>" in text)
    row = next(n for n, text in enumerate(lines, 1) if "<INNHINFO>" in text)
    assert field != row
    for judge in (validate, _incrementally):
        (finding,) = judge(data).findings
        assert (finding.rule_id, finding.location) == ("II-FRADATO", "/IPLOS/INNHINFO/iiFraDato")
        assert finding.line == field


def _incrementally(data: bytes) -> Report:
    with _incremental():
        return validate(data)


def test_a_header_that_outlives_its_element_keeps_its_fields_lines() -> None:
    """The identity message's header is joined after its elements were freed: a mismatch
    on one of its fields points at the field in the identity message."""
    base = RULES_DIR / "_base"
    iplos = (base / "minimal-2019.xml").read_bytes()
    identity = (base / "minimal-ide.xml").read_bytes()
    start = re.search(rb"<iiFraDato>(\d{4})", identity)
    assert start is not None
    other = str(int(start.group(1)) - 1).encode()
    identity = identity.replace(b"<iiFraDato>" + start.group(1),
                                b"<iiFraDato>" + other, 1)
    lines = identity.decode().splitlines()
    field = next(n for n, text in enumerate(lines, 1) if "<iiFraDato>" in text)
    for incremental in (False, True):
        if incremental:
            with _incremental():
                report = validate(iplos, identity=identity)
        else:
            report = validate(iplos, identity=identity)
        found = [f for f in report.findings
                 if f.rule_id == "IDE-HEADER-MISMATCH" and f.location.endswith("/iiFraDato")]
        assert found, [(f.rule_id, f.location) for f in report.findings]
        assert {f.line for f in found} == {field}


def test_rows_let_go_of_their_elements_once_judged() -> None:
    """After a document is judged no row holds its element (memory stays flat); the header
    still knows its fields' lines."""
    data = (RULES_DIR / "_base" / "minimal-2019.xml").read_bytes()
    lines = data.decode().splitlines()
    checker = engine.DocumentValidator(Report(source="x"), engine.Options())
    with _incremental():
        checker.run(io.BytesIO(data))
    header = checker.header
    assert header is not None
    assert header.element is None
    field = next(n for n, text in enumerate(lines, 1) if "<iiKomnr>" in text)
    assert header.line_for("iiKomnr") == field
    assert header.line_for("@nothing") == header.line
