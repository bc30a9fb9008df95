"""The MsgHead 1.2 envelope around an IPLOS or identity document: build and parse.

Parsing runs in three steps, each of which stops with an :class:`EnvelopeError`:

1. well-formed XML without a DOCTYPE (else T01, ``transport:not-well-formed-xml``);
2. mockkpr's MsgHead schema, which accepts what the official KITH schema accepts (else T02,
   ``transport:not-well-formed-xml``);
3. what KPR needs beyond the schema: a supported message function (else T10,
   ``transport:unsupported-message``) and exactly one XML payload, in
   ``Document/RefDoc/Content`` or in ``PatientReport/Document/RefDoc/Content`` (none, several
   or a ``FileReference``: T10).

Everything else the schema allows is read leniently: a HER-id that is not a number is no
HER-id (the spoofing check then decides), an ``Ack`` other than ``J``/``N`` means nothing, an
empty ``Organisation`` is a party without a name or identifiers, and ``GenDate`` is kept as
written (it is echoed in the AppRec's ``OriginalMsgId/IssueDate``).

The payload comes back re-serialised as UTF-8 without an XML declaration; namespace
declarations in scope in the envelope are carried onto its root (a payload in no namespace
keeps the ``xmlns=""`` that put it there), and its line ``n`` is line
``payload_line + n - 1`` of the envelope where the sender wrote no line break inside a tag.
It also comes back parsed (``MsgHeadInfo.document``), so that the validator need not parse
it again, whenever the envelope's parse has exactly the payload's line numbers (see
:func:`_same_lines`).

Building puts the document's own bytes into the envelope: it is parsed once to refuse what
is not well-formed XML, but not written out again, unless it is not in UTF-8 or has more than
an XML declaration, comments, processing instructions and white space around its root
element (then the parsed document is written out, as UTF-8).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from lxml import etree

from mockkpr.envelope import _xml
from mockkpr.envelope.codes import (
    ENH_IDENT_TYPE,
    HER_IDENT_TYPE,
    IDENT_TYPE_OID,
    XML_DOCUMENT_TYPE,
    ErrorCode,
    MessageFunction,
)
from mockkpr.envelope.parties import Organisation
from mockkpr.envelope.problems import EnvelopeError, EnvelopeProblem, problem
from mockkpr.errors import InputError
from mockkpr.iplos.validate import ParsedDocument

NAMESPACE = "http://www.kith.no/xmlstds/msghead/2006-05-24"
MIG_VERSION = "v1.2 2006-05-24"
SCHEMA = "msghead-1.2.xsd"
#: The message functions KPR accepts (profile §7).
SUPPORTED = frozenset(MessageFunction)

Container = Literal["Document", "PatientReport"]
# Stands where the payload goes while the envelope is serialised (see _splice).
_PLACEHOLDER = b"<!--mockkpr:payload-->"


@dataclass(frozen=True, slots=True)
class MsgHeadInfo:
    """What a parsed MsgHead says; ``payload`` is the one document it carries.

    ``gen_date_text`` is ``GenDate`` as written (whitespace trimmed); ``gen_date`` the same
    as a datetime, None when Python cannot hold it (a year beyond 9999). ``ack`` is True for
    ``Ack V="J"``, False for ``V="N"`` and None otherwise. ``container`` says whether the
    payload's ``Document`` sits directly in the MsgHead or in a ``PatientReport``.
    """

    msg_type: str
    msg_type_text: str | None
    mig_version: str
    gen_date: datetime | None
    gen_date_text: str
    msg_id: str
    ack: bool | None
    sender: Organisation
    receiver: Organisation
    payload: bytes
    payload_root: str
    payload_line: int
    container: Container
    #: The payload as the envelope's parse holds it, for the validator; None when its line
    #: numbers there are not those of ``payload`` (plus ``payload_line - 1``).
    document: ParsedDocument | None = field(default=None, repr=False, compare=False)


def build_msghead(
    payload_xml: bytes,
    *,
    msg_type: MessageFunction | str,
    msg_id: str,
    gen_date: datetime,
    sender: Organisation,
    receiver: Organisation,
    ack: bool = True,
    container: Container = "Document",
    case_no: str | None = None,
) -> bytes:
    """Wrap ``payload_xml`` in a MsgHead 1.2 and return its UTF-8 bytes (no declaration).

    ``container="PatientReport"`` writes the register-reporting form: ``PatientReport`` with
    ``CaseNo`` (``case_no``, default ``msg_id``) and the ``Document``. ``msg_type`` may be any
    string so that tests can build unsupported messages; the two KPR functions get their
    display text. Raises InputError when the payload is not XML and ValueError for an empty
    ``msg_id`` or an organisation without a name or any identifier.
    """
    if not msg_id.strip():
        raise ValueError("msg_id must not be empty")
    try:
        payload = _xml.parse_xml(payload_xml, "payload")
    except EnvelopeError as exc:
        raise InputError(f"cannot wrap the payload: {exc.problems[0]}") from None

    root = _xml.root_element(NAMESPACE, "MsgHead")
    info = _xml.sub(root, NAMESPACE, "MsgInfo")
    function = MessageFunction(msg_type) if msg_type in SUPPORTED else None
    if function is not None:
        _xml.sub(info, NAMESPACE, "Type", V=function.value, DN=function.text)
    else:
        _xml.sub(info, NAMESPACE, "Type", V=str(msg_type))
    _xml.sub(info, NAMESPACE, "MIGversion", MIG_VERSION)
    _xml.sub(info, NAMESPACE, "GenDate", _xml.format_datetime(gen_date))
    _xml.sub(info, NAMESPACE, "MsgId", msg_id)
    _xml.sub(info, NAMESPACE, "Ack", V="J" if ack else "N", DN="Ja" if ack else "Nei")
    _add_organisation(_xml.sub(info, NAMESPACE, "Sender"), sender)
    _add_organisation(_xml.sub(info, NAMESPACE, "Receiver"), receiver)
    parent = root
    if container == "PatientReport":
        parent = _xml.sub(root, NAMESPACE, "PatientReport")
        _xml.sub(parent, NAMESPACE, "CaseNo", case_no if case_no is not None else msg_id)
    ref_doc = _xml.sub(_xml.sub(parent, NAMESPACE, "Document"), NAMESPACE, "RefDoc")
    _xml.sub(ref_doc, NAMESPACE, "IssueDate", V=_xml.format_datetime(gen_date))
    _xml.sub(ref_doc, NAMESPACE, "MsgType", V=XML_DOCUMENT_TYPE[0], DN=XML_DOCUMENT_TYPE[1])
    _xml.sub(ref_doc, NAMESPACE, "MimeType", "text/xml")
    _xml.sub(ref_doc, NAMESPACE, "Content").append(etree.Comment(_PLACEHOLDER[4:-3].decode()))
    return _splice(_xml.serialise(root), payload_xml, payload)


def _splice(envelope: bytes, data: bytes, payload: etree._Element) -> bytes:
    """The envelope with the payload (``data``, parsed as ``payload``) in place of the
    placeholder.

    The payload's root element goes in as the document writes it (:func:`_own_bytes`), or
    serialised on its own; either way it keeps its namespaces exactly. A root in no namespace
    gets ``xmlns=""``, since the envelope's default namespace is in scope around it (appending
    it to the envelope's tree would silently move it into the MsgHead namespace), unless it
    already declares it.
    """
    text = _own_bytes(data, payload)
    if text is None:
        text = memoryview(etree.tostring(payload, encoding="UTF-8", xml_declaration=False,
                                         with_tail=False))
    parts: list[bytes | memoryview] = [text]
    if etree.QName(payload).namespace is None and payload.nsmap.get(None) is None:
        name = etree.QName(payload).localname.encode()
        parts = [b"<" + name + b' xmlns=""', text[len(name) + 1:]]
    before, found, after = envelope.partition(_PLACEHOLDER)
    assert found, "the envelope lost its payload placeholder"
    return b"".join((before, *parts, after))


_BLANK_BYTES = (b" ", b"\t", b"\r", b"\n")
_UTF8_BOM = b"\xef\xbb\xbf"


def _own_bytes(data: bytes, root: etree._Element) -> memoryview | None:
    """The root element of the well-formed document ``data`` (parsed as ``root``) as the
    document writes it; None when ``data`` is not XML 1.0 in UTF-8 or has comments or
    processing instructions after its root element.

    Before the root come an optional XML declaration, comments, processing instructions and
    white space (a DOCTYPE was refused). A comment cannot hold "--" and a declaration or
    processing instruction cannot hold "?>", so each ends at the first such mark.
    """
    info = root.getroottree().docinfo
    if (info.xml_version != "1.0" or (info.encoding or "").upper() not in ("UTF-8", "UTF8")
            or data.startswith((b"\xff\xfe", b"\xfe\xff"))
            or next(root.itersiblings(), None) is not None):
        return None
    start = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    while True:
        while data[start:start + 1] in _BLANK_BYTES:
            start += 1
        if data.startswith(b"<?", start):
            start = data.index(b"?>", start) + 2
        elif data.startswith(b"<!--", start):
            start = data.index(b"-->", start) + 3
        else:
            break
    qname = etree.QName(root)
    name = (f"{root.prefix}:{qname.localname}" if root.prefix else qname.localname).encode()
    end = len(data)
    while data[end - 1:end] in _BLANK_BYTES:
        end -= 1
    after = start + len(name) + 1
    if not (data.startswith(b"<" + name, start) and data.endswith(b">", start, end)
            and data[after:after + 1] in (*_BLANK_BYTES, b"/", b">")):
        return None  # not what was parsed: leave it to the serialiser
    return memoryview(data)[start:end]


def _add_organisation(parent: etree._Element, org: Organisation) -> None:
    if not org.name.strip():
        raise ValueError("an organisation needs a name")
    if org.her_id is None and not org.org_number:
        raise ValueError(f"organisation {org.name!r} needs a HER-id or an organisation number")
    element = _xml.sub(parent, NAMESPACE, "Organisation")
    _xml.sub(element, NAMESPACE, "OrganisationName", org.name)
    for value, (code, text) in ((org.her_id, HER_IDENT_TYPE), (org.org_number, ENH_IDENT_TYPE)):
        if value is not None:
            ident = _xml.sub(element, NAMESPACE, "Ident")
            _xml.sub(ident, NAMESPACE, "Id", str(value))
            # TypeId is a CV in MsgHead: the code list OID (S) belongs here
            _xml.sub(ident, NAMESPACE, "TypeId", V=code, DN=text, S=IDENT_TYPE_OID)
    if org.child is not None:
        _add_organisation(element, org.child)


def parse_msghead(xml: bytes, *, supported: Collection[str] = SUPPORTED) -> MsgHeadInfo:
    """Read a MsgHead 1.2; raise :class:`EnvelopeError` with every problem found.

    ``supported`` is the whitelist of message functions (``MsgInfo/Type/@V``).
    """
    root = _xml.parse_xml(xml, "MsgHead")
    if root.tag != f"{{{NAMESPACE}}}MsgHead":
        raise EnvelopeError([problem(
            ErrorCode.T02, f"the root element is {root.tag}; expected MsgHead in namespace "
            f"{NAMESPACE}", _xml.readable_path(root))])
    schema_problems = _xml.validate(root, SCHEMA)
    if schema_problems:
        raise EnvelopeError(schema_problems)

    problems: list[EnvelopeProblem] = []
    info = _xml.child(root, NAMESPACE, "MsgInfo")
    assert info is not None  # the schema requires it, as it requires the elements read below
    msg_type_element = _xml.child(info, NAMESPACE, "Type")
    assert msg_type_element is not None
    msg_type = (msg_type_element.get("V") or "").strip()
    if msg_type not in supported:
        problems.append(problem(
            ErrorCode.T10, f"message function {msg_type!r} is not supported; expected one of "
            f"{', '.join(sorted(supported))}", "/MsgHead/MsgInfo/Type/@V"))
    gen_date_text = _xml.text(info, NAMESPACE, "GenDate") or ""
    payload = _find_payload(root, problems)
    if problems or payload is None:
        raise EnvelopeError(problems)
    element, container = payload
    text = etree.tostring(element, encoding="UTF-8", xml_declaration=False, with_tail=False)
    line = _line(element)
    return MsgHeadInfo(
        msg_type=msg_type,
        msg_type_text=msg_type_element.get("DN"),
        mig_version=_xml.text(info, NAMESPACE, "MIGversion") or MIG_VERSION,
        gen_date=_xml.parse_datetime(gen_date_text),
        gen_date_text=gen_date_text,
        msg_id=_xml.text(info, NAMESPACE, "MsgId") or "",
        ack=_ack(_xml.child(info, NAMESPACE, "Ack")),
        sender=_read_organisation(info, "Sender"),
        receiver=_read_organisation(info, "Receiver"),
        payload=text,
        payload_root=str(element.tag),
        payload_line=line,
        container=container,
        document=ParsedDocument(element, text, line - 1)
        if _same_lines(xml, element, text, line) else None,
    )


# A character reference to a line feed: the parser makes it one, which serialising writes out.
_LINE_FEED_REFERENCE = re.compile(rb"&#(?:0*10|[xX]0*[aA]);")
# Beyond this libxml2 may count lines differently in a tree and in an incremental parse.
_MAX_LINE = 65_535


def _same_lines(xml: bytes, element: etree._Element, text: bytes, line: int) -> bool:
    """Whether each element below ``element`` (the payload, parsed in the envelope ``xml``)
    is on line ``n + line - 1`` of ``xml`` where its start tag ends on line ``n`` of ``text``
    (the payload serialised on its own), so that the validator can judge the tree.

    Serialising keeps every line break of the content and comments and writes none of its
    own, but for two: it drops line breaks inside tags (between attributes; in attribute
    values the parser made them spaces already) and it writes a line feed that the sender gave
    as a character reference. With neither of the latter in the envelope, and no lone
    carriage return (which the parser reads as a line feed), only drops remain: then when
    the last element's line is the same in both, no line break was dropped before any
    element, and every element's line is the same.
    """
    if ((b"\r" in xml and xml.count(b"\r") != xml.count(b"\r\n"))
            or (b"&" in xml and _LINE_FEED_REFERENCE.search(xml) is not None)):
        return False
    last = element
    while True:  # the last element in document order
        child = next((c for c in reversed(last) if isinstance(c.tag, str)), None)
        if child is None:
            break
        last = child
    last_line = _line(last)
    if last_line >= _MAX_LINE:
        return False
    if last is element:
        return True
    qname = etree.QName(last)
    name = f"{last.prefix}:{qname.localname}" if last.prefix else qname.localname
    # The serialiser writes text escaped (no CDATA) and ">" in attribute values as "&gt;": the
    # last "<name" followed by a space, "/" or ">" outside comments and processing
    # instructions is the last element's start tag, and the first ">" after it ends it.
    tag = f"<{name}".encode()
    start = len(text)
    while (start := text.rfind(tag, 0, start)) >= 0 and \
            text[start + len(tag):start + len(tag) + 1] not in (b" ", b"/", b">"):
        pass
    if start < 0 or any(text.find(closing, start) >= 0 and text.rfind(opening, 0, start) >= 0
                        for opening, closing in ((b"<!--", b"-->"), (b"<?", b"?>"))):
        return False  # possibly inside a comment or processing instruction
    return text.count(b"\n", 0, text.index(b">", start)) + line == last_line


def _ack(element: etree._Element | None) -> bool | None:
    value = (element.get("V") or "").strip() if element is not None else ""
    return {"J": True, "N": False}.get(value)


def _read_organisation(info: etree._Element, role: str) -> Organisation:
    element = _xml.child(info, NAMESPACE, role, "Organisation")
    assert element is not None
    return _organisation(element)


def _organisation(element: etree._Element) -> Organisation:
    """The organisation with the first numeric HER-id and the first ENH of its level."""
    her_id: int | None = None
    org_number: str | None = None
    for ident in element.findall(f"{{{NAMESPACE}}}Ident"):
        value = _xml.text(ident, NAMESPACE, "Id") or ""
        type_id = _xml.child(ident, NAMESPACE, "TypeId")
        kind = (type_id.get("V") or "").strip() if type_id is not None else ""
        if kind == HER_IDENT_TYPE[0] and her_id is None and value.isascii() and value.isdigit():
            her_id = int(value)
        elif kind == ENH_IDENT_TYPE[0] and org_number is None and value:
            org_number = value
    nested = _xml.child(element, NAMESPACE, "Organisation")
    return Organisation(
        name=_xml.text(element, NAMESPACE, "OrganisationName") or "",
        her_id=her_id,
        org_number=org_number,
        child=None if nested is None else _organisation(nested),
    )


def _find_payload(root: etree._Element, problems: list[EnvelopeProblem]
                  ) -> tuple[etree._Element, Container] | None:
    """The one payload element and its container; problems when there is not exactly one."""
    documents: list[tuple[etree._Element, Container, str]] = [
        (d, "Document", f"/MsgHead/Document[{i}]")
        for i, d in enumerate(root.findall(f"{{{NAMESPACE}}}Document"), start=1)]
    for r, report in enumerate(root.findall(f"{{{NAMESPACE}}}PatientReport"), start=1):
        documents += [(d, "PatientReport", f"/MsgHead/PatientReport[{r}]/Document[{i}]")
                      for i, d in enumerate(report.findall(f"{{{NAMESPACE}}}Document"),
                                            start=1)]
    found: list[tuple[etree._Element, Container]] = []
    by_reference = 0
    for document, container, path in documents:
        ref_doc = _xml.child(document, NAMESPACE, "RefDoc")
        assert ref_doc is not None
        if _xml.child(ref_doc, NAMESPACE, "FileReference") is not None:
            problems.append(problem(
                ErrorCode.T10, "the document is given as a FileReference; KPR needs the XML "
                "inline in Content", f"{path}/RefDoc/FileReference"))
            by_reference += 1
            continue
        content = _xml.child(ref_doc, NAMESPACE, "Content")
        found += [(e, container) for e in (_elements(content) if content is not None else [])]
    if len(found) == 1:
        return found[0]
    if not found and not by_reference:
        problems.append(problem(ErrorCode.T10, "the MsgHead carries no XML document "
                                "(no RefDoc/Content holds an element); KPR needs exactly one",
                                "/MsgHead"))
    elif len(found) > 1:
        places = ", ".join(_xml.readable_path(e) for e, _ in found[:5])
        problems.append(problem(ErrorCode.T10, f"the MsgHead carries {len(found)} documents "
                                f"({places}); KPR takes exactly one per message", "/MsgHead"))
    return None


def _line(element: etree._Element) -> int:
    line: int | None = element.sourceline  # type: ignore[assignment]  # stubs say Ellipsis
    return line or 1


def _elements(parent: etree._Element) -> list[etree._Element]:
    """Child elements, without comments and processing instructions."""
    return [e for e in parent if isinstance(e.tag, str)]


def sender_her_ids(info: MsgHeadInfo) -> set[int]:
    """The sender's HER-ids at level 1 and 2 (and below): one must equal ``fromHerId``.

    The endpoint answers a mismatch with ``abuse:spoofing-attack`` (profile §4, item 4).
    """
    return set(info.sender.her_ids)


def receiver_her_ids(info: MsgHeadInfo) -> set[int]:
    """The receiver's HER-ids at level 1 and 2 (and below), e.g. to compare with ``toHerId``."""
    return set(info.receiver.her_ids)
