"""The MsgHead 1.2 envelope around an IPLOS or identity document: build and parse.

Parsing runs in three steps, each of which stops with an :class:`EnvelopeError`:

1. well-formed XML without a DOCTYPE (else T01, ``transport:not-well-formed-xml``);
2. mockkpr's MsgHead schema (else T02, ``transport:not-well-formed-xml``);
3. what KPR needs beyond the schema: a supported message function (else T10,
   ``transport:unsupported-message``), a readable GenDate and numeric HER-ids (T02), and
   exactly one XML payload, in ``Document/RefDoc/Content`` or in ``PatientReport`` (none: T02;
   several, or a ``FileReference``: T10).

The payload comes back re-serialised as UTF-8 without an XML declaration; namespace
declarations in scope in the envelope are carried onto its root, and its line ``n`` is line
``payload_line + n - 1`` of the envelope.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
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

NAMESPACE = "http://www.kith.no/xmlstds/msghead/2006-05-24"
MIG_VERSION = "v1.2 2006-05-24"
SCHEMA = "msghead-1.2.xsd"
#: The message functions KPR accepts (profile §7).
SUPPORTED = frozenset(MessageFunction)

Container = Literal["Document", "PatientReport"]


@dataclass(frozen=True, slots=True)
class MsgHeadInfo:
    """What a parsed MsgHead says; ``payload`` is the one document it carries."""

    msg_type: str
    msg_type_text: str | None
    mig_version: str
    gen_date: datetime
    msg_id: str
    ack: bool | None
    sender: Organisation
    receiver: Organisation
    payload: bytes
    payload_root: str
    payload_line: int
    container: Container


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
) -> bytes:
    """Wrap ``payload_xml`` in a MsgHead 1.2 and return its UTF-8 bytes (no declaration).

    ``msg_type`` may be any string so that tests can build unsupported messages; the two KPR
    functions get their display text. Raises InputError when the payload is not XML and
    ValueError for an empty ``msg_id`` or an organisation without any identifier.
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
    if container == "Document":
        ref_doc = _xml.sub(_xml.sub(root, NAMESPACE, "Document"), NAMESPACE, "RefDoc")
        _xml.sub(ref_doc, NAMESPACE, "IssueDate", V=_xml.format_datetime(gen_date))
        _xml.sub(ref_doc, NAMESPACE, "MsgType", V=XML_DOCUMENT_TYPE[0], DN=XML_DOCUMENT_TYPE[1])
        _xml.sub(ref_doc, NAMESPACE, "MimeType", "text/xml")
        _xml.sub(ref_doc, NAMESPACE, "Content").append(payload)
    else:
        _xml.sub(root, NAMESPACE, "PatientReport").append(payload)
    return _xml.serialise(root)


def _add_organisation(parent: etree._Element, org: Organisation) -> None:
    if org.her_id is None and not org.org_number:
        raise ValueError(f"organisation {org.name!r} needs a HER-id or an organisation number")
    element = _xml.sub(parent, NAMESPACE, "Organisation")
    _xml.sub(element, NAMESPACE, "OrganisationName", org.name)
    for value, (code, text) in ((org.her_id, HER_IDENT_TYPE), (org.org_number, ENH_IDENT_TYPE)):
        if value is not None:
            ident = _xml.sub(element, NAMESPACE, "Ident")
            _xml.sub(ident, NAMESPACE, "Id", str(value))
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
    gen_date = _xml.parse_datetime(gen_date_text)
    if gen_date is None:
        problems.append(problem(ErrorCode.T02, f"GenDate {gen_date_text!r} is not a date and "
                                "time mockkpr can read", "/MsgHead/MsgInfo/GenDate"))
    ack_element = _xml.child(info, NAMESPACE, "Ack")
    sender = _read_organisation(info, "Sender", problems)
    receiver = _read_organisation(info, "Receiver", problems)
    payload = _find_payload(root, problems)
    if problems or gen_date is None or payload is None:
        # T01/T02 before T10, as the receiver checks XML before the message function.
        problems.sort(key=lambda p: p.code is ErrorCode.T10)
        raise EnvelopeError(problems)
    element, container = payload
    return MsgHeadInfo(
        msg_type=msg_type,
        msg_type_text=msg_type_element.get("DN"),
        mig_version=_xml.text(info, NAMESPACE, "MIGversion") or "",
        gen_date=gen_date,
        msg_id=_xml.text(info, NAMESPACE, "MsgId") or "",
        ack=None if ack_element is None else ack_element.get("V", "").strip() == "J",
        sender=sender,
        receiver=receiver,
        payload=etree.tostring(element, encoding="UTF-8", xml_declaration=False,
                               with_tail=False),
        payload_root=str(element.tag),
        payload_line=_line(element),
        container=container,
    )


def _read_organisation(info: etree._Element, role: str,
                       problems: list[EnvelopeProblem]) -> Organisation:
    element = _xml.child(info, NAMESPACE, role, "Organisation")
    assert element is not None
    return _organisation(element, f"/MsgHead/MsgInfo/{role}/Organisation", problems)


def _organisation(element: etree._Element, path: str,
                  problems: list[EnvelopeProblem]) -> Organisation:
    her_id: int | None = None
    org_number: str | None = None
    for index, ident in enumerate(element.findall(f"{{{NAMESPACE}}}Ident"), start=1):
        value = _xml.text(ident, NAMESPACE, "Id") or ""
        type_id = _xml.child(ident, NAMESPACE, "TypeId")
        kind = (type_id.get("V") or "").strip() if type_id is not None else ""
        if kind == HER_IDENT_TYPE[0] and her_id is None:
            if value.isascii() and value.isdigit():
                her_id = int(value)
            else:
                problems.append(problem(ErrorCode.T02, f"HER-id {value!r} is not a number",
                                        f"{path}/Ident[{index}]/Id"))
        elif kind == ENH_IDENT_TYPE[0] and org_number is None:
            org_number = value
    nested = _xml.child(element, NAMESPACE, "Organisation")
    return Organisation(
        name=_xml.text(element, NAMESPACE, "OrganisationName") or "",
        her_id=her_id,
        org_number=org_number,
        child=None if nested is None else _organisation(nested, f"{path}/Organisation",
                                                        problems),
    )


def _find_payload(root: etree._Element, problems: list[EnvelopeProblem]
                  ) -> tuple[etree._Element, Container] | None:
    """The one payload element and its container; problems when there is not exactly one."""
    found: list[tuple[etree._Element, Container]] = []
    by_reference = 0
    for index, document in enumerate(root.findall(f"{{{NAMESPACE}}}Document"), start=1):
        ref_doc = _xml.child(document, NAMESPACE, "RefDoc")
        assert ref_doc is not None
        content = _xml.child(ref_doc, NAMESPACE, "Content")
        if content is None:
            problems.append(problem(
                ErrorCode.T10, "the document is given as a FileReference; KPR needs the XML "
                "inline in Content", f"/MsgHead/Document[{index}]/RefDoc/FileReference"))
            by_reference += 1
            continue
        found += [(e, "Document") for e in _elements(content)]
    for report in root.findall(f"{{{NAMESPACE}}}PatientReport"):
        content = _xml.child(report, NAMESPACE, "Content")
        candidates = _elements(content if content is not None else report)
        found += [(e, "PatientReport") for e in candidates
                  if content is not None or etree.QName(e).namespace != NAMESPACE]
    if len(found) == 1:
        return found[0]
    if not found and not by_reference:
        problems.append(problem(ErrorCode.T02, "the MsgHead carries no XML document (Content "
                                "holds no element)", "/MsgHead"))
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
