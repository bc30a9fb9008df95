"""JUnit XML of a certification run (``junit.xml``), as CI systems read it.

One ``testsuite`` per group, one ``testcase`` per case (``classname`` ``mockkpr.conformance.
{group}``, ``name`` the case id and title). A failed shall-case is a ``failure`` (type
``shall``), a case not judged because of what the sender did a ``failure`` too (type
``not-judged``, its message naming the root cause and, when nothing arrived, the sender's exit
code and the end of its stderr), a case the harness could not judge an ``error``; a failed
should-case passes with its warning in ``system-out`` (JUnit has no warnings), so that CI never
goes red on a should.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

from mockkpr.conformance.harness import CaseResult, Certification
from mockkpr.conformance.model import Group, Status

# characters XML 1.0 cannot carry (sender output may hold any byte)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    """``text`` with the characters XML cannot carry shown as ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _checks_text(result: CaseResult) -> str:
    lines = [f"{result.case.id} {result.case.title} [{result.case.level.value}; "
             f"{', '.join(result.case.requirements)}; run {result.case.run.name}]"]
    for check in result.checks:
        lines.append(f"{check.status.upper():5} {check.name}")
        lines.append(f"      expected: {check.expected}")
        lines.append(f"      actual:   {check.actual}")
        if check.hint:
            lines.append(f"      hint:     {check.hint}")
    return "\n".join(lines) + "\n"


def _first_problem(result: CaseResult, limit: int = 900) -> str:
    failed = [c for c in result.checks if c.passed is False]
    for check in failed or [c for c in result.checks if not c.passed]:
        text = f"{check.name}: expected {check.expected}; actual {check.actual}"
        if check.passed is None and check.hint:
            text = f"not judged ({check.hint}) - {text}"
        return text[:limit]
    return result.status.value


def _testcase(parent: etree._Element, result: CaseResult) -> None:
    case = result.case
    element = etree.SubElement(parent, "testcase", classname=f"mockkpr.conformance."
                               f"{case.group.value}", name=f"{case.id} {case.title}",
                               time=f"{result.execution.seconds:.3f}")
    text = _checks_text(result)
    if result.status in (Status.FAIL, Status.NOT_JUDGED):
        failure = etree.SubElement(element, "failure", message=xml_text(_first_problem(result)),
                                   type="shall" if result.status is Status.FAIL
                                   else "not-judged")
        failure.text = xml_text(text)
    elif result.status is Status.ERROR:
        error = etree.SubElement(element, "error", message=xml_text(result.error or "")[:500],
                                 type="harness")
        error.text = xml_text(text)
    out = etree.SubElement(element, "system-out")
    prefix = (f"WARNING (should-case failed, the run is not failed): {_first_problem(result)}\n"
              if result.status is Status.WARN else "")
    out.text = xml_text(prefix + text)


def _seconds(results: Sequence[CaseResult]) -> float:
    """Wall time of the runs behind ``results`` (cases share runs: each counted once)."""
    runs = {id(r.execution): r.execution.seconds for r in results}
    return sum(runs.values())


def _suite(parent: etree._Element, group: Group, results: Sequence[CaseResult],
           certification: Certification) -> None:
    failures = sum(1 for r in results if r.status in (Status.FAIL, Status.NOT_JUDGED))
    errors = sum(1 for r in results if r.status is Status.ERROR)
    suite = etree.SubElement(parent, "testsuite", name=f"mockkpr conformance: {group.heading}",
                             tests=str(len(results)), failures=str(failures),
                             errors=str(errors), skipped="0",
                             time=f"{_seconds(results):.3f}",
                             timestamp=certification.started_at.strftime("%Y-%m-%dT%H:%M:%S"))
    properties = etree.SubElement(suite, "properties")
    for name, value in (("suite_digest", certification.suite_digest),
                        ("mockkpr_version", certification.tool_version),
                        ("seed", str(certification.seed)), ("run_id", certification.run_id),
                        ("warnings", str(sum(1 for r in results if r.status is Status.WARN)))):
        etree.SubElement(properties, "property", name=name, value=value)
    for result in results:
        _testcase(suite, result)


def render(certification: Certification) -> bytes:
    """``junit.xml``'s bytes (UTF-8, with declaration)."""
    results = certification.results
    root = etree.Element("testsuites", name="mockkpr conformance",
                         tests=str(len(results)),
                         failures=str(sum(1 for r in results
                                          if r.status in (Status.FAIL, Status.NOT_JUDGED))),
                         errors=str(sum(1 for r in results if r.status is Status.ERROR)),
                         time=f"{certification.seconds:.3f}")
    for group in Group:
        members = [r for r in results if r.case.group is group]
        if members:
            _suite(root, group, members, certification)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
