"""The judges on observations made by hand: what a vendor reads for each kind of miss.

These pin the exact texts of checks (expected, actual) for observations the endpoint records
(``details``: the contract's ``wire.*``, ``cms.*``, ``group.*`` keys), including the case where
it does not record them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockkpr.conformance import judges as j
from mockkpr.conformance.judge import Context, same_document
from mockkpr.conformance.model import Level, Role, Status, case_status
from mockkpr.conformance.runs import LARGE_FILE, REJECTED_APPREC
from mockkpr.conformance.senders import SendOutcome
from mockkpr.journal.models import Outcome
from mockkpr.registry import Registry
from tests.conformance.builders import GOOD_DETAILS, IPLOS, message, observe, only, send


@pytest.fixture
def context(registry: Registry) -> Context:
    return Context(registry, 12345, 131725, "NHNTESTServiceBus")


# ------------------------------------------------------------------ recorded or not
def test_a_good_message_passes_the_wire_and_cms_judges(context: Context) -> None:
    obs = observe(context, message("KPR_IDE"), message())
    for judge in (j.tls, j.sasl, j.target, j.receipts_taken, j.reuse, j.body, j.strings,
                  j.durable, j.encrypted, j.recipient, j.sign_details, j.correlation,
                  j.to_reply_to, j.content_type, j.her_ids, j.timestamp, j.msghead,
                  j.msg_type, j.msghead_sender, j.msghead_receiver, j.ack, j.rows,
                  j.synthetic):
        checks = judge(obs)
        assert checks, judge.__name__
        assert all(c.passed for c in checks), (judge.__name__, checks)


def test_an_observation_not_recorded_makes_the_case_an_error(context: Context) -> None:
    check = only(j.tls(observe(context, message(details={}))))
    assert check.passed is None
    assert check.actual.startswith("the endpoint recorded no wire.tls_protocol for KPR_IPL ")
    assert "judge with an endpoint of this mockkpr version" in check.hint
    assert case_status(Level.SHALL, [check]) is Status.ERROR


def test_a_message_refused_before_the_cms_leaves_the_cms_cases_not_judged(
        context: Context) -> None:
    """Issue 15 point 6: a case that could not observe what it judges is not judged, with the
    reason and the root cause; the case of the root cause fails."""
    refused = message(details={}, outcome=Outcome.TRANSPORT_ERROR, payload=None, msghead=None,
                      report=None, apprec_status=None, answers=[],
                      application_properties={"fromHerId": "12345", "toHerId": "131725"},
                      error_condition="transport:invalid-field-value",
                      error_description="One or more fields are missing",
                      error_data=("applicationTimeStamp",))
    obs = observe(context, refused)
    check = only(j.encrypted(obs))
    assert (check.passed, check.blocked, check.status) == (None, True, "not-judged")
    assert check.actual.endswith(
        ": not observed - the endpoint stopped while checking the header fields: transport "
        "error transport:invalid-field-value: One or more fields are missing "
        "[applicationTimeStamp]")
    assert check.hint == "root cause REQ-MSG-TIMESTAMP"
    assert case_status(Level.SHALL, [check]) is Status.NOT_JUDGED
    stamp = j.timestamp(obs)  # the root cause's own case judges and fails
    assert [c.passed for c in stamp] == [False, False]
    assert stamp[0].actual.endswith(": None")


def test_an_unsupported_subject_is_not_a_signature_failure(context: Context) -> None:
    """A subject swap is refused after the CMS opened: the signature case passes on what the
    endpoint recorded; the subject case fails with the endpoint's answer."""
    swapped = message("KPR_IDE", outcome=Outcome.TRANSPORT_ERROR, report=None,
                      apprec_status=None, answers=[],
                      error_condition="transport:unsupported-message",
                      error_description="KPR_IDE does not carry this document",
                      error_data=("document=IPLOS 2019",))
    obs = observe(context, swapped)
    assert [c.passed for c in j.signed(obs)] == [True, True]
    (subject,) = j.subject(obs)
    assert subject.passed is False
    assert [c.status for c in j.rows(obs)] == ["not-judged"]


def test_aes_128_fails_with_the_value_seen(context: Context) -> None:
    weak = message(details={**GOOD_DETAILS, "cms.cipher": "aes-128-cbc"})
    check = only(j.encrypted(observe(context, message(), weak)))
    assert (check.passed, check.expected) == (False, "aes-256-cbc")
    assert check.actual == f"{weak.label}: aes-128-cbc"


def test_nothing_arrived_names_the_nearest_miss(context: Context) -> None:
    identity, iplos = j.separate(observe(context, message("KPR_IDE")))
    assert identity.passed is True
    assert (iplos.name, iplos.passed) == ("a KPR_IPL arrived", False)
    assert iplos.expected == "at least one KPR_IPL on 131725_async"
    assert iplos.actual.startswith("expected at least 1 entries matching {subject: KPR_IPL}, "
                                   "found 0. Nearest miss: journal entry 1")
    assert "subject expected 'KPR_IPL', actual 'KPR_IDE'" in iplos.actual
    empty = only(j.content_type(observe(context)))  # nothing arrived: not judged here...
    assert (empty.passed, empty.blocked) == (None, True)
    assert empty.actual == "not observed - no message arrived"
    assert empty.hint == "root cause REQ-CONN-TARGET: nothing reached KPR's queue"
    (target,) = j.target(observe(context))  # ...but the root cause's case fails
    assert target.passed is False
    assert target.actual.endswith("found 0. The journal has no other entries.")


def test_a_message_with_another_fromherid_is_still_judged(context: Context) -> None:
    other = message(application_properties={"fromHerId": "23456", "toHerId": "131725",
                                            "applicationTimeStamp": "2026-01-10T11:59:58Z"})
    sender, _receiver = j.her_ids(observe(context, other))
    assert sender.passed is False
    assert sender.actual.endswith(": '23456'")


# ------------------------------------------------------------------ connection
def test_target_of_another_exchange_or_queue_fails(context: Context) -> None:
    wrong = message(details={**GOOD_DETAILS,
                             "wire.target": "/exchange/OtherBus/131725_async"})
    checks = j.target(observe(context, wrong))
    assert [c.passed for c in checks] == [True, False]
    assert checks[1].actual.endswith(": /exchange/OtherBus/131725_async")
    for accepted in ("131725_async", "/queues/131725_async",
                     "/exchanges/NHNTESTServiceBus/131725_async"):
        ok = message(details={**GOOD_DETAILS, "wire.target": accepted})
        assert all(c.passed for c in j.target(observe(context, ok))), accepted


def test_an_apprec_left_unsettled_fails_receipts_taken(context: Context) -> None:
    check = only(j.receipts_taken(observe(context, message(dispositions=(None,)))))
    assert check.passed is False
    assert check.actual.endswith("AppRec dispositions [None]")
    unrecorded = only(j.receipts_taken(observe(context, message(dispositions=None))))
    assert unrecorded.passed is None


def test_one_process_with_two_connections_warns(context: Context) -> None:
    second = message(details={**GOOD_DETAILS, "wire.connection_id": 8})
    check = only(j.reuse(observe(context, message(), second)))
    assert check.passed is False
    assert check.actual == "the run: 2 connection(s) (7, 8)"
    # a new container-id per connection changes nothing: connections are judged
    separate = message(details={**GOOD_DETAILS, "wire.container_id": "c-2",
                                "wire.connection_id": 8})
    assert only(j.reuse(observe(context, message(), separate))).passed is False
    assert only(j.reuse(observe(context, message(), message()))).passed is True


# ------------------------------------------------------------------ properties
def test_a_number_as_fromherid_fails_the_string_judge(context: Context) -> None:
    types = {**GOOD_DETAILS["wire.property_types"], "fromHerId": "int"}
    check = only(j.strings(observe(context, message(details={**GOOD_DETAILS,
                                                             "wire.property_types": types}))))
    assert check.passed is False
    assert "'fromHerId': 'int'" in check.actual
    assert check.hint == "send fromHerId, toHerId and every other property as strings"


def test_an_amqp_value_body_fails(context: Context) -> None:
    value = message(details={**GOOD_DETAILS, "wire.body_sections": ["amqp-value"]},
                    properties={**message().entry.properties, "body-kind": "amqp-value-binary"})
    checks = j.body(observe(context, value))
    assert [c.passed for c in checks] == [False, False]
    assert checks[0].actual.endswith(": amqp-value-binary")


def test_message_ids_must_be_uuids_and_new(context: Context) -> None:
    first = message()
    again = message(message_id=first.entry.message_id)
    short = message(message_id="12345")
    checks = j.message_id(observe(context, first, again, short))
    form, _, fresh = checks
    assert form.passed is False
    assert form.actual.endswith(": 12345")
    assert fresh.passed is False
    assert fresh.actual == first.entry.message_id


def test_application_timestamp_form_and_time(context: Context) -> None:
    local = message(application_properties={"fromHerId": "12345", "toHerId": "131725",
                                            "applicationTimeStamp": "2026-01-10 12:59:58"})
    old = message(application_properties={"fromHerId": "12345", "toHerId": "131725",
                                          "applicationTimeStamp": "2025-01-10T11:59:58Z"})
    form, when = j.timestamp(observe(context, local, old))
    assert form.passed is False
    assert "'2026-01-10 12:59:58'" in form.actual
    assert when.passed is False
    assert "2025-01-10T11:59:58Z (received 2026-01-10T12:00:00Z)" \
        in when.actual


def test_subject_must_match_the_payload(context: Context) -> None:
    check = only(j.subject(observe(context, message("KPR_IDE"))))
    assert check.passed is False
    assert check.actual.endswith("subject 'KPR_IDE', payload KPR_IPL")


# ------------------------------------------------------------------ envelope and payload
def test_a_sender_missing_from_the_msghead_fails(context: Context) -> None:
    spoof = message(msghead={**message().entry.msghead,  # type: ignore[dict-item]
                             "sender": {"name": "x", "her_ids": [99999]}})
    checks = j.msghead_sender(observe(context, spoof))
    assert [c.passed for c in checks] == [True, False]
    assert checks[1].actual.endswith(": [99999]")


def test_rejected_data_fails_with_the_list_of_findings(context: Context) -> None:
    finding = {"rule_id": "XSD-HEADER", "consequence": 1, "location": "/IPLOS/INNHINFO/x",
               "message": {"en": "unexpected element", "no": "uventet element"}}
    rejected = message(outcome=Outcome.REJECTED, apprec_status="2", report={
        "format": {"generation": "2019"}, "verdict": {"accepted": False},
        "findings": [finding]})
    _generation, accepted = j.accepted(observe(context, rejected), "2019")
    assert accepted.passed is False
    assert accepted.actual.endswith("rejected: XSD-HEADER at /IPLOS/INNHINFO/x: unexpected "
                                    "element")


def test_the_payload_must_be_the_file_given(context: Context, tmp_path: Path) -> None:
    record = send(tmp_path, SendOutcome(0, "", "", 1.0),
                  content=b'<?xml version="1.0"?>\n' + IPLOS)
    same = same_document(message(), record.document)
    assert same == (True, "the payload equals iplos.xml")
    changed = message(payload=IPLOS.replace(b"3.7", b"3.5"))
    ok, text = same_document(changed, record.document)
    assert not ok
    assert text.startswith("the payload differs from iplos.xml")
    check = only(j.payload(observe(context, changed, sends=(record,))))
    assert check.passed is False
    assert check.hint.startswith("send the file as it is")


# ------------------------------------------------------------------ the sender's outcome
def test_exit_code_and_output_judges(context: Context, tmp_path: Path) -> None:
    ignored = send(tmp_path, SendOutcome(0, "all fine", "", 0.5))
    obs = observe(context, message(), sends=(ignored,), run=REJECTED_APPREC)
    checks = j.REJECTED(obs)
    exit_check, shows = checks[-2:]
    assert exit_check.passed is False
    assert exit_check.expected.startswith("exit 1 (the AppRec says rejected, status 2, or "
                                          "accepted with errors, status 3)")
    assert exit_check.actual == "exit 0 (the AppRec says OK: status 1) after 0.5 s"
    assert shows.passed is False
    assert shows.actual == "missing T02, E10 in: all fine"


def test_a_sender_that_never_finished_fails_its_exit_check(context: Context,
                                                          tmp_path: Path) -> None:
    hung = send(tmp_path, None, failure="the sender did not finish within 23 s")
    check = j.exit_code(observe(context, sends=(hung,)), Role.IPLOS, 0, "the AppRec is OK")
    assert (check.passed, check.actual) == (False, "the sender did not finish within 23 s")


def test_large_file_needs_enough_parts(context: Context, tmp_path: Path) -> None:
    record = send(tmp_path, SendOutcome(0, "", "", 1.0))
    few = message(details={**GOOD_DETAILS, "group.parts": 2}, body_size=3 << 20)
    split = j.large(observe(context, few, sends=(record,), run=LARGE_FILE))[0]
    assert split.passed is False
    assert split.actual.endswith(": 2 parts for 3145728 bytes")
    whole = message(details=GOOD_DETAILS, body_size=3 << 20)
    split = j.large(observe(context, whole, sends=(record,), run=LARGE_FILE))[0]
    assert split.passed is False
    assert split.actual.endswith(": sent whole, one message of 3145728 bytes")
    enough = message(details={**GOOD_DETAILS, "group.parts": 3}, body_size=3 << 20)
    assert all(c.passed for c in j.large(observe(context, enough, sends=(record,))))
    unobserved = message(details={}, body_size=3 << 20)
    assert only(j.large(observe(context, unobserved, sends=(record,)))).passed is None


def test_parts_on_different_connections_warn(context: Context) -> None:
    parts = message(details={**GOOD_DETAILS, "group.parts": 2,
                             "group.connection_ids": [7, 9]})
    check = only(j.reuse(observe(context, message(), parts)))
    assert check.passed is False
    assert check.actual == "the run: 2 connection(s) (7, 9)"
    same = message(details={**GOOD_DETAILS, "group.parts": 2, "group.connection_ids": [7, 7]})
    assert only(j.reuse(observe(context, same))).passed is True


def test_a_certificate_named_by_key_identifier_warns(context: Context) -> None:
    ski = message(details={**GOOD_DETAILS, "cms.signer_id": "subject-key-identifier"})
    checks = j.sign_details(observe(context, ski))
    assert [c.passed for c in checks] == [False, True, True]
    assert checks[0].actual.endswith(": subject-key-identifier")
