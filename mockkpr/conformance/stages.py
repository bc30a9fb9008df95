"""How far the endpoint got with a message, and the first requirement it failed.

The endpoint checks a message in the profile's order (nhn-amqp-profile.md §4): the delivery
(the account may send as ``fromHerId``), the header fields, the CMS, the MsgHead, spoofing and
the message function, then the IPLOS validation. A message answered with a transport error
stopped at one of these; what the journal entry holds (``cms.*`` details, a MsgHead, a
validation report) says how far it got, the condition and its data say why. Nothing here
needs the endpoint's descriptions to be exact: they refine, the stage decides.

A case that judges something the endpoint only observes after the stop (the cipher of a
message refused for its SHA-1 signature) is *not judged* for that message, and the report
names the stop as the root cause (:class:`Stop`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from mockkpr.journal.models import JournalEntry, Outcome


class Stage(IntEnum):
    """The endpoint's checks in order; a message that passed one reached the next."""

    DELIVERY = 0  # the delivery on KPR's queue: wire.*, the account may send as fromHerId
    HEADERS = 1  # AMQP and application properties: fromHerId, toHerId, subject, ...
    CMS = 2  # decrypted and verified: cms.*
    MSGHEAD = 3  # the MsgHead read: msghead
    FUNCTION = 4  # spoofing, the message function carries this document
    VALIDATION = 5  # the IPLOS validation: report
    ANSWERED = 6  # answered with an AppRec (any status)

    @property
    def label(self) -> str:
        """What the endpoint does at this stage, for reports."""
        return _LABELS[self]


_LABELS = {
    Stage.DELIVERY: "taking the delivery", Stage.HEADERS: "checking the header fields",
    Stage.CMS: "opening the CMS (decrypt, signer, signature, certificates)",
    Stage.MSGHEAD: "reading the MsgHead", Stage.FUNCTION: "checking sender and message function",
    Stage.VALIDATION: "validating the document", Stage.ANSWERED: "answering",
}

#: Transport error data items (missing header fields) → the requirement they break.
_FIELD_REQUIREMENTS = {
    "toHerId": "REQ-MSG-HERIDS", "fromHerId": "REQ-MSG-HERIDS", "Label": "REQ-MSG-SUBJECT",
    "applicationTimeStamp": "REQ-MSG-TIMESTAMP", "ContentType": "REQ-MSG-CONTENT-TYPE",
    "groupSize": "REQ-LARGE-SPLIT", "group-sequence": "REQ-LARGE-SPLIT",
}


@dataclass(frozen=True)
class Stop:
    """Where and why the endpoint stopped with a message (``stage``: the check it failed)."""

    stage: Stage
    requirement: str
    answer: str  # the endpoint's own answer, e.g. "transport error transport:...: ..."


def answer_text(entry: JournalEntry, details: dict[str, object] | None = None) -> str:
    """The endpoint's answer to an entry, in a few words."""
    code = (details if details is not None else entry.details).get("http.validation_code")
    if entry.error_condition and isinstance(code, int):
        data = f" [{'; '.join(entry.error_data)}]" if entry.error_data else ""
        return f"HTTP 400 validationCode {code}: {entry.error_description or ''}{data}"
    if entry.error_condition:
        data = f" [{'; '.join(entry.error_data)}]" if entry.error_data else ""
        kind = "refused the delivery" if entry.outcome is Outcome.REFUSED else "transport error"
        return f"{kind} {entry.error_condition}: {entry.error_description or ''}{data}"
    if entry.outcome is Outcome.PENDING:
        return "not answered yet (still being processed, or a part waiting for the rest)"
    if entry.apprec_status:
        return f"AppRec status {entry.apprec_status} ({entry.outcome.value})"
    return entry.outcome.value


#: The HTTP route's validationCode ranges (docs/http-api.md) → the stage that failed and the
#: requirement it breaks; 3001 (fromHerId not in the register) is the request's.
_HTTP_STOPS = ((1000, 2000, Stage.HEADERS, "REQ-HTTP-BODY"),
               (3001, 3002, Stage.HEADERS, "REQ-HTTP-BODY"),
               (2000, 4000, Stage.CMS, "REQ-HTTP-CMS"),
               (4000, 5000, Stage.MSGHEAD, "REQ-PAY-FORMAT"))


def _http_stop(entry: JournalEntry, details: dict[str, object]) -> tuple[Stage, str] | None:
    """Where an HTTP submission refused with a 400 stopped (by its validationCode)."""
    code = details.get("http.validation_code")
    if not entry.error_condition or not isinstance(code, int):
        return None
    for low, high, stage, requirement in _HTTP_STOPS:
        if low <= code < high:
            return stage, requirement
    return Stage.HEADERS, "REQ-HTTP-BODY"


def reached(entry: JournalEntry, details: dict[str, object] | None = None) -> Stage:
    """The furthest stage the endpoint completed for ``entry`` (its last check passed)."""
    found = details if details is not None else entry.details
    http = _http_stop(entry, found)
    if http is not None:
        return Stage(http[0] - 1)
    if entry.outcome is Outcome.REFUSED:
        return Stage.DELIVERY
    if entry.report is not None:
        return Stage.ANSWERED if not entry.error_condition else Stage.VALIDATION
    if entry.msghead is not None:
        return Stage.MSGHEAD if entry.error_condition else Stage.FUNCTION
    if any(key.startswith("cms.") for key in found):
        return Stage.CMS
    if entry.error_condition and _header_problem(entry):
        return Stage.DELIVERY
    if entry.error_condition:
        return Stage.HEADERS
    return Stage.DELIVERY


def _header_problem(entry: JournalEntry) -> bool:
    condition, description = entry.error_condition or "", entry.error_description or ""
    if condition == "transport:invalid-field-value":
        return True
    if condition == "transport:missing-certificate" and "address register" in description:
        return True  # an unknown fromHerId: no sender to take keys from
    return condition == "transport:unsupported-message" and (
        "content-type" in description.lower() or "unencrypted" in description.lower())


def stop_of(entry: JournalEntry, details: dict[str, object] | None = None) -> Stop | None:
    """Where the endpoint stopped with ``entry``; None when it was accepted whole (status 1)
    or is not answered yet."""
    if entry.outcome in (Outcome.PENDING, Outcome.DUPLICATE):
        return None
    answer = answer_text(entry, details)
    http = _http_stop(entry, details if details is not None else entry.details)
    if http is not None:
        return Stop(http[0], http[1], answer)
    done = reached(entry, details)
    if entry.outcome is Outcome.REFUSED:
        return Stop(Stage.DELIVERY, "REQ-MSG-HERIDS", answer)
    if not entry.error_condition:
        if entry.outcome in (Outcome.REJECTED, Outcome.PARTIAL):
            return Stop(Stage.VALIDATION, "REQ-PAY-ACCEPTED" if entry.outcome is
                        Outcome.REJECTED else "REQ-PAY-ROWS", answer)
        return None
    stage = Stage(min(done + 1, Stage.ANSWERED))
    return Stop(stage, _requirement(entry, stage), answer)


def _requirement(entry: JournalEntry, stage: Stage) -> str:
    condition = entry.error_condition or ""
    description = (entry.error_description or "").lower()
    if stage is Stage.HEADERS:
        for item in entry.error_data:
            name = item.split("=", 1)[0]
            if name in _FIELD_REQUIREMENTS:
                return _FIELD_REQUIREMENTS[name]
        if "content-type" in description or "unencrypted" in description:
            return "REQ-MSG-CONTENT-TYPE"
        return "REQ-MSG-HERIDS"
    if stage is Stage.CMS:
        if "digest" in description or "signature algorithm" in description or \
                "invalid signature" in description or "not a cms signeddata" in description \
                or "detached" in description:
            return "REQ-SEC-SIGN"
        if "content encryption" in description or "key transport" in description:
            return "REQ-SEC-ENCRYPT"
        if "decrypt" in description:
            return "REQ-SEC-RECIPIENT"
        return "REQ-SEC-SIGNER"
    if stage is Stage.MSGHEAD:
        return "REQ-ENV-MSGHEAD"
    if stage is Stage.FUNCTION:
        return "REQ-ENV-SENDER" if condition.startswith("abuse:") else "REQ-MSG-SUBJECT"
    return "REQ-PAY-FORMAT"
