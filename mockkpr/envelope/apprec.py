"""The application receipt (AppRec) 1.0 and 1.1: the outcome values, build and parse.

A :class:`ReceiptOutcome` (status and errors) is what :mod:`mockkpr.envelope.verdict` decides;
:func:`build_apprec` wraps it with the parties and the original message's identity. The two
versions differ only in namespace and ``MIGversion``.

What the builder writes, element by element (docs/receipts.md has the table): ``MsgType``
V/DN; ``Status`` V/DN; each ``Error`` V/S/DN/OT with DN the code list text and OT the location
and explanation; parties as ``HCP/Inst`` with ``Name``, ``Id``, ``TypeId`` (HER, else ENH) and
the level-2 organisation as one ``Dept``. Every code but ``Error`` is of the KITH type CS
(V and DN only), so none of them carries an ``S``.

The reader takes any receipt the official schemas accept: an ``Inst`` without ``Name`` or
``Id``, a professional (``HCProf``) instead of an institution, ``AdditionalId``s, an
``Address``, a ``Status`` outside code list 8258 (``status`` is then None).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from lxml import etree

import mockkpr
from mockkpr.envelope import _xml
from mockkpr.envelope.codes import (
    APPREC_MSG_TYPE,
    ENH_IDENT_TYPE,
    ERROR_OID,
    HER_IDENT_TYPE,
    ErrorCode,
    MessageFunction,
    Status,
)
from mockkpr.envelope.msghead import MsgHeadInfo
from mockkpr.envelope.parties import Organisation
from mockkpr.envelope.problems import EnvelopeError, problem

Version = Literal["1.0", "1.1"]


@dataclass(frozen=True, slots=True)
class _Flavour:
    namespace: str
    mig_version: str
    schema: str


FLAVOURS: dict[Version, _Flavour] = {
    "1.0": _Flavour("http://www.kith.no/xmlstds/apprec/2004-11-21", "1.0 2004-11-21",
                    "apprec-1.0.xsd"),
    "1.1": _Flavour("http://www.kith.no/xmlstds/apprec/2012-02-15", "v1.1 2012-02-15",
                    "apprec-1.1.xsd"),
}
_BY_NAMESPACE: dict[str, Version] = {f.namespace: v for v, f in FLAVOURS.items()}


@dataclass(frozen=True, slots=True)
class ReceiptError:
    """One ``Error`` of a receipt to build: the code (V, and DN from the code list) and OT.

    OT is ``"{location}: {text}"``, or ``text`` alone when there is no location.
    """

    code: ErrorCode
    text: str
    location: str | None = None

    @property
    def ot(self) -> str:
        """The ``OT`` attribute: where, then what."""
        return f"{self.location}: {self.text}" if self.location else self.text


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    """The verdict a receipt carries: status (code list 8258) and errors (code list 8221)."""

    status: Status
    errors: tuple[ReceiptError, ...] = ()


@dataclass(frozen=True, slots=True)
class OriginalMsg:
    """The message a receipt answers: its ``MsgInfo/Type``, ``GenDate`` and ``MsgId``.

    ``issue_date`` is a datetime, or the xs:dateTime text exactly as the original carried
    it (written verbatim; a read receipt gives text only when Python cannot hold the date).
    """

    msg_type: str
    issue_date: datetime | str
    msg_id: str
    msg_type_text: str | None = None

    @classmethod
    def from_msghead(cls, info: MsgHeadInfo) -> OriginalMsg:
        """The identity of a parsed MsgHead, as its receipt names it (GenDate as written)."""
        return cls(info.msg_type, info.gen_date_text, info.msg_id, info.msg_type_text)


@dataclass(frozen=True, slots=True)
class AppRecErrorInfo:
    """An ``Error`` as read from a receipt: the raw V, DN, OT and S (any code, even unknown)."""

    code: str
    text: str | None
    detail: str | None
    system: str | None

    @property
    def known_code(self) -> ErrorCode | None:
        """The code as an :class:`ErrorCode`, or None when code list 8221 has no such code."""
        try:
            return ErrorCode(self.code)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class AppRecInfo:
    """What a parsed AppRec says.

    ``status`` is None when ``Status/@V`` is missing or not in code list 8258;
    ``status_code`` is the value as written. ``gen_date`` is None only for a date Python
    cannot hold (a year beyond 9999).
    """

    version: Version
    mig_version: str
    software_name: str | None
    software_version: str | None
    gen_date: datetime | None
    apprec_id: str
    sender: Organisation
    receiver: Organisation
    status: Status | None
    status_code: str
    status_text: str | None
    errors: tuple[AppRecErrorInfo, ...]
    original: OriginalMsg


def build_apprec(
    outcome: ReceiptOutcome,
    *,
    version: Version,
    sender: Organisation,
    receiver: Organisation,
    original: OriginalMsg,
    gen_date: datetime,
    apprec_id: str,
    software_name: str | None = "mockkpr",
    software_version: str | None = mockkpr.__version__,
) -> bytes:
    """The AppRec ``version`` for ``outcome``, as UTF-8 bytes without an XML declaration.

    ``sender`` is the receipt's sender (KPR), ``receiver`` the original sender (with its
    level-2 organisation, which becomes ``Dept``).
    """
    if version not in FLAVOURS:
        raise ValueError(f"unknown AppRec version {version!r}; expected 1.0 or 1.1")
    if not apprec_id.strip():
        raise ValueError("apprec_id must not be empty")
    flavour = FLAVOURS[version]
    ns = flavour.namespace
    root = _xml.root_element(ns, "AppRec")
    _xml.sub(root, ns, "MsgType", V=APPREC_MSG_TYPE[0], DN=APPREC_MSG_TYPE[1])
    _xml.sub(root, ns, "MIGversion", flavour.mig_version)
    if software_name:
        _xml.sub(root, ns, "SoftwareName", software_name)
    if software_version:
        _xml.sub(root, ns, "SoftwareVersion", software_version)
    _xml.sub(root, ns, "GenDate", _xml.format_datetime(gen_date))
    _xml.sub(root, ns, "Id", apprec_id)
    for role, party in (("Sender", sender), ("Receiver", receiver)):
        _add_inst(_xml.sub(_xml.sub(root, ns, role), ns, "HCP"), ns, party)
    _xml.sub(root, ns, "Status", V=outcome.status.value, DN=outcome.status.text)
    for error in outcome.errors:
        _xml.sub(root, ns, "Error", V=error.code.value, S=ERROR_OID, DN=error.code.text,
                 OT=error.ot)
    original_element = _xml.sub(root, ns, "OriginalMsgId")
    type_text = original.msg_type_text or _function_text(original.msg_type)
    attributes = {"V": original.msg_type} | ({"DN": type_text} if type_text else {})
    _xml.sub(original_element, ns, "MsgType", **attributes)
    issue_date = original.issue_date
    _xml.sub(original_element, ns, "IssueDate", issue_date if isinstance(issue_date, str)
             else _xml.format_datetime(issue_date))
    _xml.sub(original_element, ns, "Id", original.msg_id)
    return _xml.serialise(root)


def _function_text(msg_type: str) -> str | None:
    try:
        return MessageFunction(msg_type).text
    except ValueError:
        return None


def _add_inst(hcp: etree._Element, ns: str, org: Organisation) -> None:
    inst = _xml.sub(hcp, ns, "Inst")
    _add_named_id(inst, ns, org)
    if org.child is not None:
        _add_named_id(_xml.sub(inst, ns, "Dept"), ns, org.child)


def _add_named_id(parent: etree._Element, ns: str, org: Organisation) -> None:
    """``Name``, ``Id`` and ``TypeId`` (a CS: V and DN, no S), each only when known.

    The receipt's receiver is the original message's sender as its MsgHead named it, which
    the standard lets go without a name or a HER-id; the standard lets the receipt go
    without them too.
    """
    if org.name:
        _xml.sub(parent, ns, "Name", org.name)
    if org.her_id is not None:
        value, (code, text) = str(org.her_id), HER_IDENT_TYPE
    elif org.org_number:
        value, (code, text) = org.org_number, ENH_IDENT_TYPE
    else:
        return
    _xml.sub(parent, ns, "Id", value)
    _xml.sub(parent, ns, "TypeId", V=code, DN=text)


def parse_apprec(xml: bytes) -> AppRecInfo:
    """Read an AppRec 1.0 or 1.1 (told apart by namespace): any receipt its schema accepts.

    Raises :class:`EnvelopeError`: T01 not XML, T02 not valid against the AppRec schema, T10
    an AppRec namespace other than the two known ones.
    """
    root = _xml.parse_xml(xml, "AppRec")
    qname = etree.QName(root)
    version = _BY_NAMESPACE.get(qname.namespace or "")
    if qname.localname != "AppRec":
        raise EnvelopeError([problem(ErrorCode.T02, f"the root element is {root.tag}; expected "
                                     "AppRec", _xml.readable_path(root))])
    if version is None:
        raise EnvelopeError([problem(ErrorCode.T10, f"AppRec namespace {qname.namespace!r} is "
                                     f"not supported; expected one of {', '.join(_BY_NAMESPACE)}",
                                     "/AppRec")])
    flavour = FLAVOURS[version]
    schema_problems = _xml.validate(root, flavour.schema)
    if schema_problems:
        raise EnvelopeError(schema_problems)
    ns = flavour.namespace
    status = _xml.child(root, ns, "Status")
    original_type = _xml.child(root, ns, "OriginalMsgId", "MsgType")
    assert status is not None  # required by the schema
    assert original_type is not None
    status_code = (status.get("V") or "").strip()
    issue_text = _xml.text(root, ns, "OriginalMsgId", "IssueDate") or ""
    return AppRecInfo(
        version=version,
        mig_version=_xml.text(root, ns, "MIGversion") or flavour.mig_version,
        software_name=_xml.text(root, ns, "SoftwareName"),
        software_version=_xml.text(root, ns, "SoftwareVersion"),
        gen_date=_xml.parse_datetime(_xml.text(root, ns, "GenDate") or ""),
        apprec_id=_xml.text(root, ns, "Id") or "",
        sender=_read_party(root, ns, "Sender"),
        receiver=_read_party(root, ns, "Receiver"),
        status=Status(status_code) if status_code in Status.__members__.values() else None,
        status_code=status_code,
        status_text=status.get("DN"),
        errors=tuple(
            AppRecErrorInfo((e.get("V") or "").strip(), e.get("DN"), e.get("OT"), e.get("S"))
            for e in root.findall(f"{{{ns}}}Error")
        ),
        original=OriginalMsg(
            msg_type=(original_type.get("V") or "").strip(),
            issue_date=_xml.parse_datetime(issue_text) or issue_text,
            msg_id=_xml.text(root, ns, "OriginalMsgId", "Id") or "",
            msg_type_text=original_type.get("DN"),
        ),
    )


def _read_party(root: etree._Element, ns: str, role: str) -> Organisation:
    """The party of ``Sender`` or ``Receiver``: its ``Inst`` (level 1) with one level-2
    ``Dept`` or ``HCPerson`` as the child, or its ``HCProf``.

    The child is the first ``Dept``, then ``HCPerson``, that has a HER-id (as NHN's library
    reads level 2), else the first ``Dept``.
    """
    hcp = _xml.child(root, ns, role, "HCP")
    assert hcp is not None  # required by the schema
    inst = _xml.child(hcp, ns, "Inst")
    if inst is None:
        professional = _xml.child(hcp, ns, "HCProf")
        assert professional is not None  # the schema's choice
        return _named_id(professional, ns)
    lower = [_named_id(e, ns) for e in (*inst.findall(f"{{{ns}}}Dept"),
                                        *inst.findall(f"{{{ns}}}HCPerson"))]
    depts = inst.findall(f"{{{ns}}}Dept")
    child = next((o for o in lower if o.her_id is not None),
                 _named_id(depts[0], ns) if depts else None)
    return replace(_named_id(inst, ns), child=child)


def _named_id(element: etree._Element, ns: str) -> Organisation:
    """Name and identifiers of an ``Inst``, ``Dept``, ``HCPerson`` or ``HCProf``.

    The HER-id is ``Id`` when ``TypeId/@V`` is ``HER``, else an ``AdditionalId`` of type
    ``HER``; the same for ``ENH``. A HER-id that is not a number is none.
    """
    pairs = [(_xml.text(element, ns, "Id") or "", _code(_xml.child(element, ns, "TypeId")))]
    pairs += [(_xml.text(extra, ns, "Id") or "", _code(_xml.child(extra, ns, "Type")))
              for extra in element.findall(f"{{{ns}}}AdditionalId")]
    her_ids = [v for v, kind in pairs if kind == HER_IDENT_TYPE[0] and v.isascii() and v.isdigit()]
    org_numbers = [v for v, kind in pairs if kind == ENH_IDENT_TYPE[0] and v]
    return Organisation(_xml.text(element, ns, "Name") or "",
                        int(her_ids[0]) if her_ids else None,
                        org_numbers[0] if org_numbers else None)


def _code(element: etree._Element | None) -> str:
    return (element.get("V") or "").strip() if element is not None else ""
