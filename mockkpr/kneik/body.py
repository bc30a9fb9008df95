"""Reading a submission's JSON body: the message header and the payload.

Shape (kpr-http-api.md)::

    {"messageHeader": {"fromHerId": 12345, "toHerId": 131725, "messageType": "IPLOS",
                       "messageVersion": "56.0.0", "messageId": "<guid>"},
     "payload": "<base64 of the CMS-protected document>"}

Names are matched case-insensitively, as ASP.NET's JSON binding does, so the demo client's
PascalCase (``MessageHeader``, ``FromHerId``...) is read too; other members are ignored.
HER-ids are JSON integers (``long``), the payload standard base64. A UTF-8 byte order mark
is skipped. Each problem is a :class:`SubmissionRefused` with its own
:class:`~mockkpr.kneik.codes.ValidationCode`; whatever could be read before it is kept, so
the journal records as much of a refused submission as there was.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from mockkpr.errors import TransportError
from mockkpr.kneik.codes import ValidationCode
from mockkpr.service.transport_errors import MISSING_FIELDS, UNSUPPORTED

IPLOS = "IPLOS"
HST = "HST"
MESSAGE_VERSION = "56.0.0"
_GUID = re.compile(r"\{?[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\}?")
_LONG = (-(2**63), 2**63 - 1)
HEADER_FIELDS = ("fromHerId", "toHerId", "messageType", "messageVersion", "messageId")


class SubmissionRefused(TransportError):
    """A request the front door refuses before the receiver looks at its payload."""

    def __init__(self, code: ValidationCode, description: str, data: tuple[str, ...] = (), *,
                 condition: str = MISSING_FIELDS) -> None:
        super().__init__(condition, description, data)
        self.validation_code = code


@dataclass
class Body:
    """What was read from a body: header values so far, the payload, and the problem if any.

    ``names`` holds the member names as the sender spelt them (``messageHeader.fromHerId`` →
    ``MessageHeader.FromHerId``), for the journal.
    """

    header: dict[str, Any] = field(default_factory=dict)
    payload: bytes | None = None
    names: list[str] = field(default_factory=list)
    problem: SubmissionRefused | None = None

    @property
    def from_her_id(self) -> int | None:
        value = self.header.get("fromHerId")
        return value if isinstance(value, int) else None

    @property
    def to_her_id(self) -> int | None:
        value = self.header.get("toHerId")
        return value if isinstance(value, int) else None

    @property
    def message_id(self) -> str | None:
        value = self.header.get("messageId")
        return value if isinstance(value, str) else None

    @property
    def message_type(self) -> str | None:
        value = self.header.get("messageType")
        return value if isinstance(value, str) else None


class _Refuse(Exception):
    def __init__(self, problem: SubmissionRefused) -> None:
        super().__init__(problem.description)
        self.problem = problem


def _members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Keep every member; a name given twice in any spelling is kept apart to be refused."""
    found: dict[str, Any] = {}
    for name, value in pairs:
        key = name if name not in found else f"{name}\0{len(found)}"
        found[key] = value
    return found


def _pick(obj: dict[str, Any], name: str, where: str, body: Body) -> Any:
    """The member called ``name`` in any letter case (None when absent)."""
    matches = [key for key in obj if key.split("\0")[0].lower() == name.lower()]
    if len(matches) > 1:
        spellings = sorted({key.split("\0")[0] for key in matches})
        raise _Refuse(SubmissionRefused(
            ValidationCode.AMBIGUOUS_FIELD, f"{where}{name} is given more than once",
            tuple(spellings)))
    if not matches:
        return None
    body.names.append(where + matches[0])
    return obj[matches[0]]


def read_body(raw: bytes) -> Body:
    """Read ``raw``; the result's ``problem`` says why it is refused, if it is."""
    body = Body()
    try:
        _read(raw, body)
    except _Refuse as refused:
        body.problem = refused.problem
    return body


def _read(raw: bytes, body: Body) -> None:
    try:
        document = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_members)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Refuse(SubmissionRefused(ValidationCode.NOT_JSON,
                                        "The body is not JSON", (str(exc)[:200],))) from None
    if not isinstance(document, dict):
        raise _Refuse(SubmissionRefused(ValidationCode.NOT_AN_OBJECT,
                                        "The body is not a JSON object"))
    header = _pick(document, "messageHeader", "", body)
    if header is None:
        raise _Refuse(SubmissionRefused(ValidationCode.MISSING_FIELD,
                                        "messageHeader is missing", ("messageHeader",)))
    if not isinstance(header, dict):
        raise _Refuse(SubmissionRefused(ValidationCode.NOT_AN_OBJECT,
                                        "messageHeader is not a JSON object"))
    prefix = body.names[-1] + "."
    values = {name: _pick(header, name, prefix, body) for name in HEADER_FIELDS}
    missing = [name for name, value in values.items() if value is None]
    # the strings first: a refusal for a HER-id's type still journals the messageId and type
    for name in ("messageType", "messageVersion", "messageId"):
        value = values[name]
        if value is not None:
            if not isinstance(value, str):
                raise _Refuse(SubmissionRefused(
                    ValidationCode.WRONG_TYPE, f"{name} is not a string",
                    (f"{name}={json.dumps(value)[:40]}",)))
            body.header[name] = value
    for name in ("fromHerId", "toHerId"):
        value = values[name]
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not _LONG[0] <= value <= _LONG[1]:
                raise _Refuse(SubmissionRefused(
                    ValidationCode.WRONG_TYPE, f"{name} is not an integer (long)",
                    (f"{name}={json.dumps(value)[:40]}",)))
            body.header[name] = value
    payload = _pick(document, "payload", "", body)
    if payload is None:
        missing.append("payload")
    if missing:
        raise _Refuse(SubmissionRefused(
            ValidationCode.MISSING_FIELD, "One or more fields are missing", tuple(missing)))
    _check_header(body)
    if not isinstance(payload, str):
        raise _Refuse(SubmissionRefused(ValidationCode.WRONG_TYPE,
                                        "payload is not a base64 string"))
    try:
        body.payload = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _Refuse(SubmissionRefused(ValidationCode.NOT_BASE64, "payload is not base64",
                                        condition=UNSUPPORTED)) from None


def _check_header(body: Body) -> None:
    message_id = body.header["messageId"]
    if not _GUID.fullmatch(message_id) or \
            message_id.startswith("{") != message_id.endswith("}"):
        raise _Refuse(SubmissionRefused(ValidationCode.BAD_MESSAGE_ID,
                                        "messageId is not a GUID",
                                        (f"messageId={message_id[:60]}",)))
    message_type = body.header["messageType"]
    if message_type == HST:
        raise _Refuse(SubmissionRefused(
            ValidationCode.UNSUPPORTED_MESSAGE_TYPE,
            "messageType HST is taken by the register but not checked by mockkpr",
            ("messageType=HST",), condition=UNSUPPORTED))
    if message_type != IPLOS:
        raise _Refuse(SubmissionRefused(ValidationCode.UNKNOWN_MESSAGE_TYPE,
                                        "messageType is not IPLOS or HST",
                                        (f"messageType={message_type[:40]}",)))
    version = body.header["messageVersion"]
    if version != MESSAGE_VERSION:
        raise _Refuse(SubmissionRefused(ValidationCode.WRONG_VERSION,
                                        f"messageVersion is not {MESSAGE_VERSION}",
                                        (f"messageVersion={version[:40]}",)))
