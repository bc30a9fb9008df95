"""The words of the pages: the checks of docs/endpoint.md a transport error names, the code
lists in English, the verdicts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockkpr.control.web.words import CHECKS, ERROR_EN, STATUS_EN, transport_check, verdict
from mockkpr.envelope.codes import ErrorCode, Status
from mockkpr.journal.models import Outcome

ENDPOINT_DOC = Path(__file__).resolve().parents[2] / "docs" / "endpoint.md"


def _rows() -> dict[str, str]:
    """The rows of docs/endpoint.md's table of checks on a message, by number."""
    text = ENDPOINT_DOC.read_text("utf-8")
    table = text.split("## A message sent to KPR's queue", 1)[1].split("\n### ", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"\d+[a-z]?", cells[0]):
            rows[cells[0]] = line
    return rows


# (condition, description, data) as docs/endpoint.md describes them, and the row it names
EXAMPLES = [
    ("transport:invalid-field-value", "One or more fields are missing", ("toHerId",), "5"),
    ("transport:invalid-field-value", "toHerId is not this receiver",
     ("toHerId=1", "expected=131725"), "5b"),
    ("transport:invalid-field-value", "One or more fields are missing", ("groupSize",), "4"),
    ("transport:invalid-field-value", "split message group 'g': part 3 is outside 0..1",
     ("group-sequence",), "4"),
    ("transport:unsupported-message", "Unencrypted messages are not accepted by this receiver",
     ("text/plain",), "6"),
    ("transport:unsupported-message", "Unsupported content-type", ("text/xml",), "6b"),
    ("transport:invalid-certificate", "Could not decrypt message: the payload is not a CMS "
     "structure", (), "7"),
    ("transport:unsupported-message", "Unsupported content encryption algorithm: rc2", (),
     "7b"),
    ("transport:invalid-certificate", "Message is not signed by the sender's certificate", (),
     "7c"),
    ("transport:invalid-certificate", "Invalid signature", (), "7c"),
    ("transport:missing-certificate", "The signer's certificate is not embedded", (), "7c"),
    ("transport:expired-certificate", "Invalid end date", (), "7d"),
    ("transport:invalid-certificate", "Invalid key usage: no nonRepudiation", (), "7d"),
    ("transport:unverified-certificate", "Certificate is not issued by a trusted certificate "
     "authority", (), "7d"),
    ("transport:revoked-certificate", "Certificate has been revoked", (), "7d"),
    ("transport:invalid-certificate", "More than one error with certificate", (), "7d"),
    ("transport:not-well-formed-xml", "Could not deserialize payload",
     ("line 1: MsgHead is not well-formed XML",), "8"),
    ("abuse:spoofing-attack", "fromHerId does not match the sender in the MsgHead",
     ("fromHerId=12345", "MsgHead=23456"), "9"),
    ("transport:unsupported-message", "message function 'KPR_FOO' is not supported; expected "
     "one of KPR_IDE, KPR_IPL", (), "10"),
    ("transport:unsupported-message", "KPR_IPL does not carry this document",
     ("document=identity message (KPR_IDE) 1.0",), "10b"),
]


@pytest.mark.parametrize(("condition", "description", "data", "number"), EXAMPLES)
def test_a_transport_error_names_the_row_of_docs_endpoint_md(
        condition: str, description: str, data: tuple[str, ...], number: str) -> None:
    check = transport_check(condition, description, data)
    assert check is not None
    assert check.number == number
    row = _rows()[number]
    assert condition in row
    if number not in ("4", "7c", "7d"):  # those rows name several descriptions in other words
        assert description.split(":")[0].split("'")[0].strip() in row


def test_every_check_named_is_a_row_of_the_doc() -> None:
    rows = _rows()
    assert set(CHECKS) <= set(rows)
    assert {n for *_, n in EXAMPLES} == set(CHECKS)


def test_a_condition_no_check_gives_is_none() -> None:
    assert transport_check("amqp:internal-error", "scenario fault", ()) is None
    assert transport_check(None, None, ()) is None
    unknown = transport_check("transport:missing-certificate",
                              "Sender is not in the address register", ("fromHerId=9",))
    assert unknown is not None
    assert unknown.number == "-"


def test_every_code_and_status_has_english_words() -> None:
    assert set(ERROR_EN) == {code.value for code in ErrorCode}
    assert set(STATUS_EN) == {status.value for status in Status}
    css = (Path(__file__).resolve().parents[2] / "mockkpr" / "control" / "web" / "static"
           / "app.css").read_text("utf-8")
    for outcome in Outcome:
        words = verdict(outcome)
        assert words.no
        assert words.en
        assert words.meaning
        assert f".o-{outcome.value} {{" in css, f"no colour for {outcome.value}"
