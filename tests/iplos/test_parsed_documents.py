"""A document the endpoint has parsed already is judged from that parse, with the same report.

The endpoint reads a MsgHead whole, its document with it; the validator then judges that tree
(``ParsedDocument``, the MsgHead's ``document``) instead of parsing the document's bytes
again. The report must be the one the bytes give, finding for finding, lines included (a
MsgHead whose header spans several lines moves the document's lines down: the validator takes
that back). Where the parse cannot stand in for the bytes the validator reads the bytes.

Every golden rule fixture and every valid fixture is judged both ways: from a parse of the
document on its own, and from the MsgHead's parse of it, with the header on one line (as
mockkpr's sender writes it) and over several lines (as .NET writes it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from mockkpr.envelope import EnvelopeError, Organisation, _xml, build_msghead, parse_msghead
from mockkpr.iplos import ParsedDocument, validate
from mockkpr.iplos.engine import DocumentValidator
from mockkpr.iplos.findings import Report
from mockkpr.settings import Settings
from mockkpr.xmlsafe import line_of
from tests.iplos.test_fast_paths import FIXTURES, _cases, _summary

SENDER, KPR = Organisation("Testkommune", 12345), Organisation("KPR", 131725)
_COMMENT = re.compile(rb"<!--.*?-->", re.S)


def _judged_from_tree(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records what each ``run_parsed`` answered (True: the tree was judged)."""
    answers: list[bool] = []
    original = DocumentValidator.run_parsed

    def spy(self: DocumentValidator, *args: Any) -> bool:
        answers.append(original(self, *args))
        return answers[-1]

    monkeypatch.setattr(DocumentValidator, "run_parsed", spy)
    return answers


def _parseable() -> Iterator[Any]:
    """The cases whose document mockkpr's parser reads (comments taken out of them)."""
    for document, identity, spec in _cases():
        data = _COMMENT.sub(b"", document.read_bytes())
        try:
            _xml.parse_xml(data, "document")
        except EnvelopeError:
            continue  # not XML at all, or a DOCTYPE: nothing parses it
        yield pytest.param(data, identity, spec, id=document.parent.name + "/" + document.name)


def _report(source: bytes | ParsedDocument, identity: Path | None,
            spec: dict[str, Any]) -> Report:
    return validate(source, identity=identity, year=spec.get("year"),
                    settings=Settings(**spec.get("settings", {})))


def _envelope(data: bytes, *, header_lines: bool) -> bytes:
    envelope = build_msghead(data, msg_type="KPR_IPL", msg_id="m-1",
                             gen_date=datetime(2020, 1, 14, tzinfo=UTC), sender=SENDER,
                             receiver=KPR)
    if header_lines:  # a line break after every tag of the header, as .NET writes it
        head, content, rest = envelope.partition(b"<Content>")
        envelope = head.replace(b"><", b">\n  <") + content + rest
    return envelope


@pytest.mark.parametrize(("data", "identity", "spec"), list(_parseable()))
def test_the_tree_gives_the_report_of_the_bytes(
    data: bytes, identity: Path | None, spec: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On its own, in a one-line and in a many-line MsgHead: the bytes' report each time."""
    expected = _summary(_report(data, identity, spec))
    judged = _judged_from_tree(monkeypatch)
    own = ParsedDocument(_xml.parse_xml(data, "document"), data)
    assert _summary(_report(own, identity, spec)) == expected
    handed_over = 0
    for header_lines in (False, True):
        envelope = _envelope(data, header_lines=header_lines)
        info = parse_msghead(envelope)
        # given exactly when each element of the MsgHead's parse is on its payload line
        in_envelope = etree.fromstring(envelope).find(".//{*}Content/*")
        assert in_envelope is not None
        offset = info.payload_line - 1
        assert (info.document is not None) is (
            [line_of(e) - offset for e in in_envelope.iter(etree.Element)]
            == [line_of(e) for e in etree.fromstring(info.payload).iter(etree.Element)])
        if info.document is None:
            continue
        handed_over += 1
        assert info.document.line_offset == offset
        assert _summary(_report(info.document, identity, spec)) == \
            _summary(_report(info.payload, identity, spec))
    # The tree was judged unless the case puts text between the root's elements, which
    # the incremental parse may not see, or sets a size limit the document passes.
    stray = any(child.tail and child.tail.strip() for child in own.root)
    too_large = len(data) > Settings(**spec.get("settings", {})).max_payload_bytes
    assert judged == [not (stray or too_large)] * (1 + handed_over)


def _variants() -> dict[str, bytes]:
    """The 2019 fixture written in other ways a sender might write it."""
    text = _COMMENT.sub(b"", (FIXTURES / "valid" / "iplos-2019.xml").read_bytes())
    return {
        "as written": text,
        "crlf": text.replace(b"\n", b"\r\n"),
        "single quotes and empty elements": text.replace(b'"', b"'").replace(
            b"<iiLopenr>1</iiLopenr>", b"<iiLopenr>1</iiLopenr><iiKontakt></iiKontakt>"),
        "character references": text.replace(b"\xc3\xb8", b"&#248;"),
        "a start tag over three lines": text.replace(b'<PERSON pePeID="1001">',
                                                      b'<PERSON\n  pePeID="1001"\n>', 1),
        "an attribute value over two lines": text.replace(b'pePeID="1001"',
                                                          b'pePeID="10\n01"', 1),
        "a line feed as a reference": text.replace(b"<iiSysID>TESTEPJ",
                                                   b"<iiSysID>TEST&#10;EPJ", 1),
        "a lone carriage return": text.replace(b"<iiSysID>TESTEPJ", b"<iiSysID>TEST\rEPJ", 1),
        "an end tag over two lines": text.replace(b"</INNHINFO>", b"</INNHINFO\n>", 1),
        "a comment in a row": text.replace(b"<peAlder>88", b"<!-- x\n-->\n<peAlder>88", 1),
        "a trailing comment": text.replace(b"</IPLOS>", b"<!-- <diTilDato> -->\n</IPLOS>"),
    }


@pytest.mark.parametrize("variant", list(_variants()))
def test_the_msghead_hands_over_its_parse_only_with_the_documents_lines(variant: str) -> None:
    """Whenever ``document`` is given, each element's line in the MsgHead, less the offset,
    is its line in the document as parse_msghead returns it; it is given for the ways of
    writing that keep every line."""
    data = _variants()[variant]
    envelope = build_msghead(data, msg_type="KPR_IPL", msg_id="m-1",
                             gen_date=datetime(2020, 1, 14, tzinfo=UTC), sender=SENDER,
                             receiver=KPR)
    info = parse_msghead(envelope.replace(b"<MsgInfo>", b"\n<MsgInfo>\n"))
    own = etree.fromstring(info.payload)
    if info.document is not None:
        offset = info.document.line_offset
        assert [line_of(e) - offset for e in info.document.root.iter(etree.Element)] == \
            [line_of(e) for e in own.iter(etree.Element)]
    # a comment holding the last element's start tag is not searched: none is handed over
    keeps_lines = variant in ("as written", "crlf", "single quotes and empty elements",
                              "character references", "a comment in a row")
    assert (info.document is not None) is keeps_lines
    assert _summary(validate(info.document or info.payload)) == _summary(validate(info.payload))


def test_text_between_rows_is_left_to_the_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _variants()["as written"].replace(b"</INNHINFO>", b"</INNHINFO>stray", 1)
    judged = _judged_from_tree(monkeypatch)
    report = validate(ParsedDocument(_xml.parse_xml(data, "document"), data))
    assert judged == [False]
    assert _summary(report) == _summary(validate(data))
    assert "XML-STRUCTURE" in report.totals_per_rule


def test_a_comment_inside_a_field_is_left_to_the_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The validator's parser drops comments and joins the text around them: 8<!---->8 is
    88 there, but two text nodes in a tree that keeps comments."""
    data = _variants()["as written"].replace(b"<peAlder>88", b"<peAlder>8<!-- -->8", 1)
    judged = _judged_from_tree(monkeypatch)
    report = validate(ParsedDocument(_xml.parse_xml(data, "document"), data))
    assert judged == [False]
    assert _summary(report) == _summary(validate(data))


def test_a_document_over_the_limit_is_left_to_the_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _variants()["as written"]
    settings = Settings(max_payload_bytes=len(data) // 2)
    judged = _judged_from_tree(monkeypatch)
    report = validate(ParsedDocument(_xml.parse_xml(data, "document"), data),
                      settings=settings)
    assert judged == [False]
    assert _summary(report) == _summary(validate(data, settings=settings))
    assert "XML-TOO-LARGE" in report.totals_per_rule


def test_findings_of_a_document_in_a_many_line_msghead_name_the_documents_lines() -> None:
    """A rejected row's finding names its line in the document, not in the MsgHead."""
    data = _variants()["as written"].replace(b"<peAlder>88</peAlder>",
                                             b"<peAlder>x</peAlder>", 1)
    info = parse_msghead(_envelope(data, header_lines=True))
    assert info.document is not None
    assert info.payload_line > 1
    from_tree = validate(info.document)
    lines = [f.line for f in from_tree.findings if f.rule_id.startswith("PE-ALDER")]
    assert lines
    assert lines == [f.line for f in validate(info.payload).findings
                               if f.rule_id.startswith("PE-ALDER")]
    payload_lines = info.payload.split(b"\n")
    assert all(b"<peAlder>x" in payload_lines[line - 1] for line in lines if line)


def test_comments_around_the_document_in_the_msghead_do_not_hide_one_in_a_field(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A comment beside the document in Content is not in the document's bytes: it must not
    make up for one inside a field when the validator counts them."""
    data = _variants()["as written"].replace(b"<peAlder>88", b"<peAlder>8<!-- -->8", 1)
    envelope = _envelope(data, header_lines=False).replace(b"<Content>",
                                                           b"<Content><!-- beside -->", 1)
    info = parse_msghead(envelope)
    assert info.document is not None
    judged = _judged_from_tree(monkeypatch)
    assert _summary(validate(info.document)) == _summary(validate(info.payload))
    assert judged == [False]
