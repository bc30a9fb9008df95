"""The scenario format: faults with selectors, a clock setting and expectations.

A scenario (docs/scenarios.md; JSON Schema ``scenario.schema.json`` beside this module) is::

    name: resend-after-reject
    description: One line saying what it asks of the sender.
    clock: {fixed: 2025-01-15T23:59:00Z}        # optional: or {offset: -P30D}
    faults:
      - kind: reject                            # what goes wrong (one of FAULT_KINDS)
        condition: amqp:internal-error
        when: {subject: KPR_IPL, nth: 1}        # which messages (all criteria must hold)
        times: once                             # once (default), always or a number
    expect:
      - name: the sender sends again
        match: {subject: KPR_IPL, outcome: accepted}
        min: 1

Each fault acts at one *stage* of the endpoint's work (:class:`Stage`), which decides what a
selector can know: the subject and message-id of a message are known once it has arrived, the
sender HER-id from the login on (through the account's HER-ids), and at the TLS handshake only
the connection's number. The HTTP route (docs/http-api.md) has stages of its own: a token
request at the fake HelseID, and a submission once its token and body are read.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from mockkpr.envelope.codes import ErrorCode
from mockkpr.journal.models import Outcome

_STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)

# YAML writers put numbers where mockkpr keeps strings (HER-ids, statuses) and seconds where
# it keeps durations; the schema says what the loader accepts.
HerId = Annotated[str | None, WithJsonSchema({"anyOf": [
    {"type": "string", "pattern": "^[0-9]+$"}, {"type": "integer", "minimum": 1},
    {"type": "null"}]})]
Text = Annotated[str | None, WithJsonSchema({"anyOf": [
    {"type": "string", "minLength": 1}, {"type": "integer"}, {"type": "null"}]})]
StatusCode = Literal["1", "2", "3"]
_STATUS_SCHEMA = {"enum": ["1", "2", "3", 1, 2, 3]}
_DURATION_SCHEMA = {"anyOf": [{"type": "string", "format": "duration"}, {"type": "number"}]}
Duration = Annotated[timedelta, WithJsonSchema(_DURATION_SCHEMA)]


class Stage(StrEnum):
    """Where in the endpoint's work a fault acts."""

    CONNECTION = "connection"  # TCP accepted, before the TLS handshake
    LOGIN = "login"  # the SASL PLAIN check
    ATTACH = "attach"  # a sender attaches a link to KPR's queue (credit)
    TRANSFER = "transfer"  # the first frame of a multi-frame message has arrived
    MESSAGE = "message"  # a whole message has arrived, before it is processed
    SETTLE = "settle"  # the message was processed and answered; its disposition is next
    ANSWER = "answer"  # the receiver's answer (AppRec or transport error) is being queued
    TOKEN = "token"  # noqa: S105  (a stage's name) HTTP route: a token request at HelseID
    REQUEST = "request"  # HTTP route: a submission, token and body read, before processing


class Selector(BaseModel):
    """Which messages (links, logins, connections) a fault applies to; all given must hold.

    ``nth`` counts, from 1, the events at the fault's stage that pass the other criteria since
    the scenario was armed: the fault can fire from the nth on. ``probability`` then fires each
    candidate with that chance, drawn from a random generator seeded with ``seed``, so the
    same sequence of messages gives the same faults.
    """

    model_config = _STRICT

    subject: str | None = Field(None, min_length=1,
                                description="AMQP subject (message function), e.g. KPR_IPL.")
    sender: HerId = Field(None, pattern=r"^[0-9]+$",
                          description="Sender HER-id (fromHerId; before a message has "
                          "arrived: any HER-id of the logged-in account).")
    message_id: Text = Field(None, min_length=1, description="AMQP message-id.")
    nth: PositiveInt | None = Field(None, description="Fire from the nth candidate on.")
    probability: float | None = Field(None, ge=0, le=1,
                                      description="Chance that a candidate fires.")
    seed: int = Field(0, description="Seed of the probability's random generator.")

    @field_validator("sender", mode="before")
    @classmethod
    def _sender_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("message_id", mode="before")
    @classmethod
    def _message_id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _seed_with_probability(self) -> Selector:
        if "seed" in self.model_fields_set and self.probability is None:
            raise ValueError("seed is only used with probability")
        return self


Times = Literal["once", "always"] | PositiveInt


class _Fault(BaseModel):
    """What every fault has: an id, a selector, how often, a note."""

    model_config = _STRICT

    id: str | None = Field(None, min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$",
                           description="Name in the scenario state; default: '{n}-{kind}'.")
    when: Selector = Field(default_factory=Selector, description="Which events it applies to.")
    times: Times = Field("once", description="once, always, or how many times it fires.")
    description: str | None = Field(None, description="Free text.")

    @field_validator("times", mode="before")
    @classmethod
    def _times(cls, value: Any) -> Any:
        if value in ("once", "always") or (isinstance(value, int) and not
                                           isinstance(value, bool) and value > 0):
            return value
        raise ValueError(f"times must be once, always or a positive number, not {value!r}")

    @property
    def stage(self) -> Stage:
        """The stage the fault acts at."""
        raise NotImplementedError

    @property
    def limit(self) -> int | None:
        """How many times the fault may fire; None is unlimited."""
        if self.times == "once":
            return 1
        if self.times == "always":
            return None
        return int(self.times)


# ------------------------------------------------------------------ AMQP level
class _Disposition(_Fault):
    after_processing: bool = Field(
        False, description="Process and answer the message first, then settle it this way "
        "(default: settle it this way instead of processing it).")

    @property
    def stage(self) -> Stage:
        return Stage.SETTLE if self.after_processing else Stage.MESSAGE


class Reject(_Disposition):
    """Settle the delivery ``rejected`` with an error condition."""

    kind: Literal["reject"]
    condition: str = Field("amqp:internal-error", min_length=1)
    error_description: str = Field("mockkpr fault: rejected", min_length=1)


class Release(_Disposition):
    """Settle the delivery ``released`` (not delivered, try again)."""

    kind: Literal["release"]


class Modify(_Disposition):
    """Settle the delivery ``modified`` with ``delivery-failed`` / ``undeliverable-here``."""

    kind: Literal["modify"]
    delivery_failed: bool = True
    undeliverable_here: bool = False


class WithholdSettlement(_Fault):
    """Process and answer at once, but settle the delivery only after ``seconds`` (or never)."""

    kind: Literal["withhold-settlement"]
    seconds: float | None = Field(None, gt=0, description="Unset: never settle.")

    @property
    def stage(self) -> Stage:
        return Stage.SETTLE


class SlowAccept(_Fault):
    """Wait ``seconds`` (real time) before processing and accepting the message."""

    kind: Literal["slow-accept"]
    seconds: float = Field(gt=0)

    @property
    def stage(self) -> Stage:
        return Stage.MESSAGE


class _Ending(_Fault):
    mid_transfer: bool = Field(
        False, description="Act when the first frame of a multi-frame message arrives, "
        "not when the whole message is in.")

    @property
    def stage(self) -> Stage:
        return Stage.TRANSFER if self.mid_transfer else Stage.MESSAGE


class _EndingWithError(_Ending):
    condition: str = Field("amqp:internal-error", min_length=1)
    error_description: str = Field("mockkpr fault", min_length=1)


class DetachLink(_EndingWithError):
    """Detach (close) the sender's link with an error; the delivery stays unsettled."""

    kind: Literal["detach-link"]


class CloseSession(_EndingWithError):
    """End the sender's session with an error."""

    kind: Literal["close-session"]


class CloseConnection(_EndingWithError):
    """Close the sender's connection with an error."""

    kind: Literal["close-connection"]


class DropConnection(_Ending):
    """Drop the TCP connection without any AMQP close."""

    kind: Literal["drop-connection"]


class StarveCredit(_Fault):
    """Grant a sender link no credit for ``seconds`` (or never)."""

    kind: Literal["starve-credit"]
    seconds: float | None = Field(None, gt=0, description="Unset: never grant credit.")

    @property
    def stage(self) -> Stage:
        return Stage.ATTACH


class RefuseLogin(_Fault):
    """Refuse the SASL PLAIN login even with the right password."""

    kind: Literal["refuse-login"]

    @property
    def stage(self) -> Stage:
        return Stage.LOGIN


class TlsHandshakeFailure(_Fault):
    """Abort the connection before the TLS handshake completes."""

    kind: Literal["tls-handshake-failure"]

    @property
    def stage(self) -> Stage:
        return Stage.CONNECTION


# ------------------------------------------------------------------ register level
class _AnswerFault(_Fault):
    @property
    def stage(self) -> Stage:
        return Stage.ANSWER


class ApprecErrorSpec(BaseModel):
    """One ``Error`` of a faulted AppRec: an 8221 code, its text (DN is the code list's),
    and ``OT``."""

    model_config = _STRICT

    code: ErrorCode
    text: str | None = Field(None, description="OT; default: the code list text.")
    location: str | None = Field(None, description="Prefixed to OT as 'location: '.")


class ApprecStatus(_AnswerFault):
    """Answer with this AppRec status (2 Avvist, 3 OK feil i delmelding, 1 OK) and errors."""

    kind: Literal["apprec-status"]
    status: Annotated[StatusCode, WithJsonSchema(_STATUS_SCHEMA)]
    errors: tuple[ApprecErrorSpec, ...] = ()

    @field_validator("status", mode="before")
    @classmethod
    def _status_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _errors_for_negative(self) -> ApprecStatus:
        if self.status in ("2", "3") and not self.errors:
            raise ValueError(f"status {self.status} needs at least one error (code and text)")
        if self.status == "1" and self.errors:
            raise ValueError("status 1 (OK) carries no errors")
        return self


class LateApprec(_AnswerFault):
    """Deliver the AppRec only once the endpoint's clock reaches ``delay`` after the answer."""

    kind: Literal["late-apprec"]
    delay: Duration = Field(description="ISO 8601 duration (PT2H, P3D) or seconds.")

    @field_validator("delay")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("delay must be positive")
        return value


class NoApprec(_AnswerFault):
    """Send no AppRec at all."""

    kind: Literal["no-apprec"]


class DuplicateApprec(_AnswerFault):
    """Send the AppRec ``copies`` times."""

    kind: Literal["duplicate-apprec"]
    copies: int = Field(2, ge=2, le=100)
    new_message_id: bool = Field(
        False, description="Give each copy its own AMQP message-id (default: the same one, "
        "as a broker's redelivery would).")


class ForgedApprec(_AnswerFault):
    """Sign the AppRec with a bad certificate, or encrypt it to the wrong key."""

    kind: Literal["forged-apprec"]
    problem: Literal["expired-certificate", "revoked-certificate", "unknown-certificate",
                     "other-party-certificate", "changed-content", "wrong-key",
                     "wrong-recipient"] = Field(description=(
        "expired-, revoked-, unknown-certificate: signed with a certificate in KPR's name that "
        "is expired, revoked or from an untrusted CA; other-party-certificate: signed with "
        "another party's valid certificate (same CA); changed-content: KPR's own signature "
        "over an AppRec changed afterwards (Status); wrong-key: encrypted to KPR's own key; "
        "wrong-recipient: encrypted to another party of the register"))


class OrphanApprec(_AnswerFault):
    """An AppRec whose ``OriginalMsgId`` (and correlation-id) match no message sent."""

    kind: Literal["orphan-apprec"]
    original_msg_id: str | None = Field(None, min_length=1, description="Default: a new UUID.")
    keep_correlation_id: bool = Field(
        False, description="Keep the AMQP correlation-id of the real message.")


class TransportErrorAnswer(_AnswerFault):
    """Answer with a transport error message on the sender's ``_error`` queue instead."""

    kind: Literal["transport-error"]
    condition: str = Field("transport:internal-error", min_length=1)
    error_description: str = Field("mockkpr fault: transport error", min_length=1)
    data: tuple[str, ...] = ()
    keep_apprec: bool = Field(False, description="Send the AppRec as well.")


# ------------------------------------------------------------------ the HTTP route
class _RequestFault(_Fault):
    @property
    def stage(self) -> Stage:
        return Stage.REQUEST


class HttpError(_RequestFault):
    """Answer a submission with an HTTP error (500 with an errorCode, 429 or 503 with
    ``Retry-After``, 400 with a validationCode...) instead of processing it, or after
    processing it."""

    kind: Literal["http-error"]
    status: Literal[400, 429, 500, 502, 503, 504] = 500
    error_code: int = Field(1002, description="errorCode in the body (validationCode with "
                            "status 400).")
    error_message: str = Field("mockkpr fault: technical error", min_length=1,
                               description="errorMessage (validationMessage with status 400).")
    retry_after: int | None = Field(
        None, ge=0, description="Seconds in Retry-After (default 1 with 429 and 503).")
    after_processing: bool = Field(
        False, description="Process and record the submission first, then answer the error "
        "(the sender never hears it was received); not with status 400.")

    @model_validator(mode="after")
    def _refusal_before_processing(self) -> HttpError:
        if self.status == 400 and self.after_processing:
            raise ValueError("status 400 refuses the submission: it cannot come after "
                             "processing (a received message is not refused)")
        return self


class SlowResponse(_RequestFault):
    """Wait ``seconds`` (real time) before processing a submission, or before answering it."""

    kind: Literal["slow-response"]
    seconds: float = Field(gt=0)
    after_processing: bool = Field(False, description="Process first, then wait.")


class ExpireToken(_RequestFault):
    """Treat the submission's access token as expired from now on: 401 ``invalid_token``."""

    kind: Literal["expire-token"]


class TokenEndpointDown(_Fault):
    """The fake HelseID's token endpoint answers an HTTP error instead of a token."""

    kind: Literal["token-endpoint-down"]
    status: Literal[500, 502, 503, 504] = 503
    retry_after: int | None = Field(None, ge=0, description="Seconds in Retry-After.")

    @property
    def stage(self) -> Stage:
        return Stage.TOKEN


Fault = Annotated[
    Reject | Release | Modify | WithholdSettlement | SlowAccept | DetachLink | CloseSession
    | CloseConnection | DropConnection | StarveCredit | RefuseLogin | TlsHandshakeFailure
    | ApprecStatus | LateApprec | NoApprec | DuplicateApprec | ForgedApprec | OrphanApprec
    | TransportErrorAnswer | HttpError | SlowResponse | ExpireToken | TokenEndpointDown,
    Field(discriminator="kind"),
]

#: Every fault kind, in documentation order.
FAULT_KINDS = (
    "reject", "release", "modify", "withhold-settlement", "slow-accept", "detach-link",
    "close-session", "close-connection", "drop-connection", "starve-credit", "refuse-login",
    "tls-handshake-failure", "apprec-status", "late-apprec", "no-apprec", "duplicate-apprec",
    "forged-apprec", "orphan-apprec", "transport-error", "http-error", "slow-response",
    "expire-token", "token-endpoint-down",
)

#: What a selector can know at each stage.
KNOWN_AT: dict[Stage, frozenset[str]] = {
    Stage.CONNECTION: frozenset(),
    Stage.LOGIN: frozenset({"sender"}),
    Stage.ATTACH: frozenset({"sender"}),
    Stage.TRANSFER: frozenset({"sender"}),
    Stage.MESSAGE: frozenset({"sender", "subject", "message_id"}),
    Stage.SETTLE: frozenset({"sender", "subject", "message_id"}),
    Stage.ANSWER: frozenset({"sender", "subject", "message_id"}),
    Stage.TOKEN: frozenset({"sender"}),
    Stage.REQUEST: frozenset({"sender", "subject", "message_id"}),
}

_WHY_UNKNOWN = {
    Stage.CONNECTION: "before the TLS handshake nothing but the connection's number is known",
    Stage.LOGIN: "at the login only the account (sender) is known",
    Stage.ATTACH: "when a link attaches only the account (sender) is known",
    Stage.TRANSFER: "mid-transfer only the account (sender) is known",
    Stage.TOKEN: "at the token endpoint only the client (sender) is known",
}


# ------------------------------------------------------------------ expectations
class Match(BaseModel):
    """A filter over journal entries; every given field must equal the entry's."""

    model_config = _STRICT

    subject: str | None = None
    sender: HerId = Field(None, pattern=r"^[0-9]+$")
    message_id: Text = None
    msg_id: Text = Field(None, description="MsgHead MsgId.")
    outcome: Outcome | None = None
    apprec_status: Annotated[StatusCode | None, WithJsonSchema(
        {"anyOf": [_STATUS_SCHEMA, {"type": "null"}]})] = None
    error_condition: str | None = None

    @field_validator("sender", "apprec_status", "message_id", "msg_id", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class Expectation(BaseModel):
    """What the sender should have done: a count of matching messages, a sequence, or how
    often a fault fired."""

    model_config = _STRICT

    name: str | None = None
    match: Match | None = Field(None, description="Count the journal entries matching this.")
    fault: str | None = Field(None, description="Count the firings of the fault with this id.")
    sequence: tuple[Match, ...] | None = Field(
        None, min_length=1, description="These must match entries in this order (others may "
        "come between).")
    count: int | None = Field(None, ge=0, description="Exactly this many.")
    min: int | None = Field(None, ge=0, description="At least this many.")
    max: int | None = Field(None, ge=0, description="At most this many.")

    @model_validator(mode="after")
    def _one_kind(self) -> Expectation:
        kinds = [k for k in ("match", "fault", "sequence") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("an expectation needs exactly one of match, fault or sequence")
        bounds = [b for b in ("count", "min", "max") if getattr(self, b) is not None]
        if self.sequence is not None and bounds:
            raise ValueError("a sequence takes no count, min or max")
        if self.sequence is None and not bounds:
            raise ValueError(f"{kinds[0]} needs count, min or max")
        if self.count is not None and len(bounds) > 1:
            raise ValueError("count excludes min and max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is larger than max {self.max}")
        return self

    def label(self, index: int) -> str:
        """The expectation's name, or ``expect[index]``."""
        return self.name or f"expect[{index}]"


class ClockSpec(BaseModel):
    """The endpoint's clock while the scenario is armed.

    ``fixed`` stops it at an instant; ``offset`` runs it at real speed that far from real
    time; ``next`` stops it at 00:00 UTC of the next day of KPR's reporting calendar (after
    today): ``window-opens`` (2 January), ``ordinary-deadline`` (15 January) or
    ``extended-deadline`` (15 February), moved by ``shift`` (``PT23H59M``: a minute before
    the day ends). Certificates are checked at the endpoint's time too.
    """

    model_config = _STRICT

    fixed: AwareDatetime | None = Field(None, description="ISO 8601 with offset, e.g. "
                                        "2027-01-15T23:59:00Z.")
    offset: Annotated[timedelta | None, WithJsonSchema(
        {"anyOf": [_DURATION_SCHEMA, {"type": "null"}]})] = Field(
        None, description="ISO 8601 duration from real time, e.g. -P30D.")
    next: Literal["window-opens", "ordinary-deadline", "extended-deadline"] | None = Field(
        None, description="The next such day of the reporting calendar, at 00:00 UTC.")
    shift: Duration = Field(timedelta(0), description="Added to next (ISO 8601 duration).")

    @model_validator(mode="after")
    def _one(self) -> ClockSpec:
        given = [n for n in ("fixed", "offset", "next") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("clock needs exactly one of fixed, offset or next")
        if "shift" in self.model_fields_set and self.next is None:
            raise ValueError("shift is only used with next")
        return self


class Scenario(BaseModel):
    """A named sequence of faults and expectations."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="mockkpr scenario",
                              defer_build=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = Field("", description="One line: the question the scenario asks.")
    clock: ClockSpec | None = None
    faults: tuple[Fault, ...] = ()
    expect: tuple[Expectation, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        seen: set[str] = set()
        for index, fault in enumerate(self.faults):
            fault_id = fault_id_of(fault, index)
            if fault_id in seen:
                raise ValueError(f"faults[{index}]: id {fault_id!r} is used twice")
            seen.add(fault_id)
            unknown = {name for name in ("subject", "sender", "message_id")
                       if getattr(fault.when, name) is not None} - KNOWN_AT[fault.stage]
            if unknown:
                raise ValueError(f"faults[{index}].when.{sorted(unknown)[0]}: cannot select a "
                                 f"{fault.kind} fault by it: {_WHY_UNKNOWN[fault.stage]}")
        for index, expectation in enumerate(self.expect):
            if expectation.fault is not None and expectation.fault not in seen:
                raise ValueError(f"expect[{index}].fault: no fault with id "
                                 f"{expectation.fault!r} (ids: {', '.join(sorted(seen))})")
        return self

    def fault_ids(self) -> list[str]:
        """The id of each fault, in order."""
        return [fault_id_of(fault, index) for index, fault in enumerate(self.faults)]


def fault_id_of(fault: _Fault, index: int) -> str:
    """A fault's own id, or ``'{index + 1}-{kind}'``."""
    return fault.id or f"{index + 1}-{getattr(fault, 'kind', 'fault')}"
