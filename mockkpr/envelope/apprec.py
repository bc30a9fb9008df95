"""The application receipt (AppRec) 1.0 and 1.1: the outcome values, build and parse.

A :class:`ReceiptOutcome` (status and errors) is what :mod:`mockkpr.envelope.verdict` decides;
:func:`build_apprec` wraps it with the parties and the original message's identity. The two
versions differ only in namespace and ``MIGversion``.

What the builder writes, element by element: ``MsgType`` V/DN; ``Status`` V/DN (no S, the
conservative form for consumers that validate against a schema giving Status only V and DN);
each ``Error`` V/S/DN/OT with DN the code list text and OT the location and explanation;
parties as ``HCP/Inst`` with ``Name``, ``Id``, ``TypeId`` (HER, else ENH) and the level-2
organisation as one ``Dept``.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    IDENT_TYPE_OID,
    ErrorCode,
    MessageFunction,
    Status,
)
from mockkpr.envelope.msghead import MsgHeadInfo
from mockkpr.envelope.parties import Organisation
from mockkpr.envelope.problems import EnvelopeError, EnvelopeProblem, problem

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
    """The message a receipt answers: its ``MsgInfo/Type``, ``GenDate`` and ``MsgId``."""

    msg_type: str
    issue_date: datetime
    msg_id: str
    msg_type_text: str | None = None

    @classmethod
    def from_msghead(cls, info: MsgHeadInfo) -> OriginalMsg:
        """The identity of a parsed MsgHead, as its receipt names it."""
        return cls(info.msg_type, info.gen_date, info.msg_id, info.msg_type_text)


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
    """What a parsed AppRec says."""

    version: Version
    mig_version: str
    software_name: str | None
    software_version: str | None
    gen_date: datetime
    apprec_id: str
    sender: Organisation
    receiver: Organisation
    status: Status
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
    _xml.sub(original_element, ns, "IssueDate", _xml.format_datetime(original.issue_date))
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
    _xml.sub(parent, ns, "Name", org.name)
    if org.her_id is not None:
        value, (code, text) = str(org.her_id), HER_IDENT_TYPE
    elif org.org_number:
        value, (code, text) = org.org_number, ENH_IDENT_TYPE
    else:
        raise ValueError(f"organisation {org.name!r} needs a HER-id or an organisation number")
    _xml.sub(parent, ns, "Id", value)
    _xml.sub(parent, ns, "TypeId", V=code, DN=text, S=IDENT_TYPE_OID)


def parse_apprec(xml: bytes) -> AppRecInfo:
    """Read an AppRec 1.0 or 1.1 (told apart by namespace) with any number of errors.

    Raises :class:`EnvelopeError`: T01 not XML, T02 not valid against mockkpr's AppRec schema
    or an unreadable date, T10 an AppRec namespace other than the two known ones.
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
    problems: list[EnvelopeProblem] = []
    gen_date = _date(root, ns, ("GenDate",), problems)
    issue_date = _date(root, ns, ("OriginalMsgId", "IssueDate"), problems)
    sender = _read_inst(root, ns, "Sender", problems)
    receiver = _read_inst(root, ns, "Receiver", problems)
    if problems or gen_date is None or issue_date is None:
        raise EnvelopeError(problems)
    status = _xml.child(root, ns, "Status")
    original_type = _xml.child(root, ns, "OriginalMsgId", "MsgType")
    assert status is not None  # required by the schema
    assert original_type is not None
    return AppRecInfo(
        version=version,
        mig_version=_xml.text(root, ns, "MIGversion") or "",
        software_name=_xml.text(root, ns, "SoftwareName"),
        software_version=_xml.text(root, ns, "SoftwareVersion"),
        gen_date=gen_date,
        apprec_id=_xml.text(root, ns, "Id") or "",
        sender=sender,
        receiver=receiver,
        status=Status(status.get("V", "").strip()),
        status_text=status.get("DN"),
        errors=tuple(
            AppRecErrorInfo((e.get("V") or "").strip(), e.get("DN"), e.get("OT"), e.get("S"))
            for e in root.findall(f"{{{ns}}}Error")
        ),
        original=OriginalMsg(
            msg_type=(original_type.get("V") or "").strip(),
            issue_date=issue_date,
            msg_id=_xml.text(root, ns, "OriginalMsgId", "Id") or "",
            msg_type_text=original_type.get("DN"),
        ),
    )


def _date(root: etree._Element, ns: str, path: tuple[str, ...],
          problems: list[EnvelopeProblem]) -> datetime | None:
    value = _xml.text(root, ns, *path) or ""
    parsed = _xml.parse_datetime(value)
    if parsed is None:
        problems.append(problem(ErrorCode.T02, f"{path[-1]} {value!r} is not a date and time "
                                "mockkpr can read", "/AppRec/" + "/".join(path)))
    return parsed


def _read_inst(root: etree._Element, ns: str, role: str,
               problems: list[EnvelopeProblem]) -> Organisation:
    inst = _xml.child(root, ns, role, "HCP", "Inst")
    assert inst is not None
    dept = _xml.child(inst, ns, "Dept")
    path = f"/AppRec/{role}/HCP/Inst"
    return _named_id(inst, ns, path, problems,
                     None if dept is None else _named_id(dept, ns, f"{path}/Dept", problems))


def _named_id(element: etree._Element, ns: str, path: str, problems: list[EnvelopeProblem],
              child: Organisation | None = None) -> Organisation:
    value = _xml.text(element, ns, "Id")
    type_id = _xml.child(element, ns, "TypeId")
    kind = (type_id.get("V") or "").strip() if type_id is not None else ""
    her_id: int | None = None
    org_number: str | None = None
    if kind == HER_IDENT_TYPE[0] and value is not None:
        if value.isascii() and value.isdigit():
            her_id = int(value)
        else:
            problems.append(problem(ErrorCode.T02, f"HER-id {value!r} is not a number",
                                    f"{path}/Id"))
    elif kind == ENH_IDENT_TYPE[0]:
        org_number = value
    return Organisation(_xml.text(element, ns, "Name") or "", her_id, org_number, child)
