"""Text the pages are made of: documents by line, XML coloured and escaped, the MsgHead with
its document left out."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from mockkpr.control.web.document import DocumentCache, Lines
from mockkpr.control.web.xmlview import colour, pretty
from mockkpr.envelope import parse_msghead
from mockkpr.envelope.msghead import build_msghead
from mockkpr.envelope.parties import Organisation
from mockkpr.service.outline import envelope_outline

_pieces = st.sampled_from(["a", "bb", "\n", "ccc\n", "\r\n", "æ", "<x>", "\n\n"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_pieces, max_size=80), st.integers(1, 9))
def test_lines_are_the_documents_lines(pieces: list[str], chunk: int) -> None:
    """Whatever the chunk size, line n and any page are what splitting the text gives."""
    data = "".join(pieces).encode()
    lines = Lines(data, chunk)
    expected = data.split(b"\n")
    assert lines.count == len(expected)
    for number in range(1, lines.count + 1):
        assert data[lines.offset(number):].split(b"\n")[0] == expected[number - 1]
    for first in range(1, lines.count + 1):
        page = lines.page(first, 3)
        assert [line.text for line in page] == [
            raw.rstrip(b"\r").decode() for raw in expected[first - 1:first + 2]]
        assert [line.number for line in page] == list(range(first, first + len(page)))


def test_a_page_past_the_end_is_the_last_line() -> None:
    lines = Lines(b"one\ntwo")
    assert [line.text for line in lines.page(99)] == ["two"]


def test_the_cache_keeps_recent_documents_within_its_bound() -> None:
    cache = DocumentCache(max_bytes=10)
    loads: list[int] = []

    def loader(key: int, size: int):  # type: ignore[no-untyped-def]
        def load() -> bytes:
            loads.append(key)
            return b"x" * size
        return load

    cache.get(1, loader(1, 4))
    cache.get(1, loader(1, 4))
    cache.get(2, loader(2, 4))
    cache.get(3, loader(3, 4))  # 12 bytes > 10: the least recent (1) goes
    cache.get(1, loader(1, 4))
    cache.get(4, loader(4, 50))  # too big to keep: loaded every time
    cache.get(4, loader(4, 50))
    assert loads == [1, 2, 3, 1, 4, 4]
    assert cache.get(5, lambda: None) is None


@given(st.text(max_size=200))
def test_colour_escapes_everything(text: str) -> None:
    html = str(colour(text))
    assert "<" not in html.replace('<span class="x-', "").replace("</span>", "")
    stripped = html
    for tag in ('<span class="x-t">', '<span class="x-a">', '<span class="x-v">',
                '<span class="x-c">', "</span>"):
        stripped = stripped.replace(tag, "")
    assert stripped == (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                        .replace('"', "&#34;").replace("'", "&#39;"))


def test_colour_marks_tags_attributes_and_comments() -> None:
    html = str(colour('<Status V="3" DN="OK"/> text <!-- note -->'))
    assert html == ('<span class="x-t">&lt;Status</span> <span class="x-a">V</span>='
                    '<span class="x-v">&#34;3&#34;</span> <span class="x-a">DN</span>='
                    '<span class="x-v">&#34;OK&#34;</span><span class="x-t">/&gt;</span> text '
                    '<span class="x-c">&lt;!-- note --&gt;</span>')


def test_pretty_indents_and_refuses_entities() -> None:
    assert pretty(b"<a><b>1</b><!-- c --></a>") == "<a>\n  <b>1</b>\n  <!-- c -->\n</a>"
    assert pretty(b"not xml") is None
    bomb = (b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>')
    shown = pretty(bomb)
    assert shown is None or "root:" not in shown


def _envelope(document_xml: bytes, *, pretty_print: bool) -> bytes:
    xml = build_msghead(document_xml, msg_type="KPR_IPL", msg_id="m-1",
                        gen_date=datetime(2024, 5, 1, tzinfo=UTC),
                        sender=Organisation("Kommune", 12345),
                        receiver=Organisation("KPR", 131725))
    if pretty_print:
        root = etree.fromstring(xml, etree.XMLParser(remove_blank_text=False))
        etree.indent(root)
        xml = etree.tostring(root)
    return xml


def test_the_outline_keeps_the_envelope_and_names_the_documents_lines() -> None:
    payload = b'<IPLOS xmlns="urn:x">\n  <PERSON n="1"/>\n  <PERSON n="2"/>\n</IPLOS>'
    for pretty_print in (False, True):
        envelope = _envelope(payload, pretty_print=pretty_print)
        info = parse_msghead(envelope)
        outline = envelope_outline(envelope, info.payload, info.payload_line)
        assert outline is not None
        last = info.payload_line + info.payload.count(b"\n")
        assert f"<!-- lines {info.payload_line}-{last}: the IPLOS document".encode() in outline
        assert b"PERSON" not in outline
        assert b"<MsgId>m-1</MsgId>" in outline
        root = etree.fromstring(outline)  # still XML
        assert root.tag.endswith("MsgHead")
        # the lines before the document are the envelope's own, numbered as sent
        kept = outline.split(b"\n")[:info.payload_line - 1]
        assert kept == envelope.split(b"\n")[:info.payload_line - 1]


def test_an_outline_that_does_not_line_up_is_none() -> None:
    assert envelope_outline(b"<a>\n<b/>\n</a>", b"<b/>\n\n\n\n", 2) is None
    assert envelope_outline(b"<a><b/></a>", b"<b/>", 0) is None
    assert envelope_outline(b"<a><c/></a>", b"<b/>", 1) is None
