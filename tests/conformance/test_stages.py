"""Where the endpoint stopped with a message, and the requirement it failed (issue 15, point 6).

The expectations come from the order of checks in nhn-amqp-profile.md §4 and the conditions it
names; the journal entries are made by hand."""

from __future__ import annotations

import pytest

from mockkpr.conformance.stages import Stage, reached, stop_of
from mockkpr.journal.models import Outcome
from tests.conformance.builders import GOOD_DETAILS, message

CMS = {k: v for k, v in GOOD_DETAILS.items() if k.startswith("cms.")}
WIRE = {k: v for k, v in GOOD_DETAILS.items() if k.startswith("wire.")}


def stopped(condition: str, description: str, data: tuple[str, ...] = (), *,
            details: dict[str, object] | None = None, msghead: bool = False,
            outcome: Outcome = Outcome.TRANSPORT_ERROR) -> tuple[Stage, str, str]:
    m = message(details=details if details is not None else WIRE, outcome=outcome,
                report=None, apprec_status=None, answers=[], error_condition=condition,
                error_description=description, error_data=data,
                **({} if msghead else {"msghead": None, "payload": None}))
    stop = stop_of(m.entry, dict(m.details))
    assert stop is not None
    return stop.stage, stop.requirement, stop.answer


@pytest.mark.parametrize(("condition", "description", "data", "details", "msghead", "stage",
                          "requirement"), [
    ("transport:invalid-field-value", "One or more fields are missing",
     ("applicationTimeStamp",), WIRE, False, Stage.HEADERS, "REQ-MSG-TIMESTAMP"),
    ("transport:invalid-field-value", "One or more fields are missing", ("toHerId", "Label"),
     WIRE, False, Stage.HEADERS, "REQ-MSG-HERIDS"),
    ("transport:invalid-field-value", "A part ... lacks groupSize", ("groupSize",), WIRE,
     False, Stage.HEADERS, "REQ-LARGE-SPLIT"),
    ("transport:unsupported-message", "Unsupported content-type", ("text/xml",), WIRE, False,
     Stage.HEADERS, "REQ-MSG-CONTENT-TYPE"),
    ("transport:unsupported-message", "Unsupported digest algorithm: sha1", (), WIRE, False,
     Stage.CMS, "REQ-SEC-SIGN"),
    ("transport:invalid-certificate", "Invalid signature", (), WIRE, False, Stage.CMS,
     "REQ-SEC-SIGN"),
    ("transport:unsupported-message", "Unsupported content encryption algorithm: des", (),
     WIRE, False, Stage.CMS, "REQ-SEC-ENCRYPT"),
    ("transport:invalid-certificate", "Could not decrypt message: not encrypted to the "
     "receiver's certificate", (), WIRE, False, Stage.CMS, "REQ-SEC-RECIPIENT"),
    ("transport:expired-certificate", "Invalid end date", (), WIRE, False, Stage.CMS,
     "REQ-SEC-SIGNER"),
    ("transport:not-well-formed-xml", "Could not deserialize payload", (), {**WIRE, **CMS},
     False, Stage.MSGHEAD, "REQ-ENV-MSGHEAD"),
    ("abuse:spoofing-attack", "fromHerId does not match", (), {**WIRE, **CMS}, True,
     Stage.FUNCTION, "REQ-ENV-SENDER"),
    ("transport:unsupported-message", "KPR_IDE does not carry this document", (),
     {**WIRE, **CMS}, True, Stage.FUNCTION, "REQ-MSG-SUBJECT"),
])
def test_the_stage_and_requirement_of_a_stop(condition: str, description: str,
                                             data: tuple[str, ...], details: dict[str, object],
                                             msghead: bool, stage: Stage,
                                             requirement: str) -> None:
    found = stopped(condition, description, data, details=details, msghead=msghead)
    assert found[:2] == (stage, requirement)
    assert found[2].startswith(f"transport error {condition}: {description}")


def test_a_refused_delivery_stops_at_the_delivery() -> None:
    stage, requirement, answer = stopped(
        "amqp:unauthorized-access", "user mockkpr-12345 may not send as fromHerId 131725",
        outcome=Outcome.REFUSED)
    assert (stage, requirement) == (Stage.DELIVERY, "REQ-MSG-HERIDS")
    assert answer == ("refused the delivery amqp:unauthorized-access: user mockkpr-12345 may "
                      "not send as fromHerId 131725")


def test_accepted_and_rejected_messages() -> None:
    good = message()
    assert stop_of(good.entry, dict(good.details)) is None
    assert reached(good.entry, dict(good.details)) is Stage.ANSWERED
    bad = message(outcome=Outcome.REJECTED, apprec_status="2")
    stop = stop_of(bad.entry, dict(bad.details))
    assert stop is not None
    assert (stop.stage, stop.requirement, stop.answer) == (
        Stage.VALIDATION, "REQ-PAY-ACCEPTED", "AppRec status 2 (rejected)")


@pytest.mark.parametrize(("code", "condition", "cms", "stage", "requirement"), [
    (1004, "transport:invalid-field-value", False, Stage.HEADERS, "REQ-HTTP-BODY"),
    (1010, "transport:invalid-field-value", False, Stage.HEADERS, "REQ-HTTP-BODY"),
    (3001, "transport:missing-certificate", False, Stage.HEADERS, "REQ-HTTP-BODY"),
    (2005, "transport:unsupported-message", False, Stage.CMS, "REQ-HTTP-CMS"),
    (3002, "transport:invalid-certificate", False, Stage.CMS, "REQ-HTTP-CMS"),
    (4001, "transport:unsupported-message", True, Stage.MSGHEAD, "REQ-PAY-FORMAT"),
])
def test_an_http_refusal_stops_where_its_validation_code_says(
        code: int, condition: str, cms: bool, stage: Stage, requirement: str) -> None:
    """docs/http-api.md's code list: 10xx (and 3001) the request, 20xx/30xx the CMS and the
    signer, 4001 the document; the answer names the code as the API gave it."""
    details = {"http.validation_code": code, "http.status": 400, **(CMS if cms else {})}
    found = stopped(condition, "what the API said", details=details)
    assert found == (stage, requirement, f"HTTP 400 validationCode {code}: what the API said")
    m = message(details=details, outcome=Outcome.TRANSPORT_ERROR, report=None, answers=[],
                error_condition=condition, error_description="x", msghead=None)
    assert reached(m.entry, dict(m.details)) == Stage(stage - 1)
