"""Fault injection on a real endpoint: what a sender sees for each fault.

One endpoint serves the module (TLS and plain listeners, control API); each test arms its own
scenario with ``endpoint.armed(...)`` and looks from the sender's side: the outcome or error
condition a raw proton client gets, or the answer the reference sender (KprClient) reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from proton import Delivery, Message
from proton.handlers import MessagingHandler
from proton.reactor import Container

from mockkpr.client.sender import KprClient
from mockkpr.cms import CmsError, unprotect
from mockkpr.cms.unprotect import read_unverified
from mockkpr.endpoint.app import Endpoint
from mockkpr.envelope import Status
from mockkpr.errors import ConfigError, EndpointError
from mockkpr.faults import Scenario
from mockkpr.faults.forged import ForgedKeys
from mockkpr.faults.verify import ExpectationFailed, expect_count
from mockkpr.journal.models import MessageFilter, Outcome
from mockkpr.pki.files import load_certificate
from mockkpr.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
# An annual file: 56.0.0 messages form one stream per sender, so resending the same event
# message would (rightly) break its chain; an annual report can be sent again and again.
DOCUMENT = (ROOT / "fixtures" / "valid" / "iplos-2019.xml").read_bytes()
KPR_TARGET = "/exchange/NHNTESTServiceBus/131725_async"


def scenario(*faults: dict[str, Any], **extra: Any) -> Scenario:
    """A scenario with these faults (dicts as in a scenario file)."""
    return Scenario.model_validate({"name": "test", "faults": list(faults), **extra})


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("faults"), amqps_port=0, amqp_port=0,
                        control_port=0)
    with Endpoint(settings) as running:
        yield running


@pytest.fixture
def client(endpoint: Endpoint) -> Iterator[KprClient]:
    assert endpoint.registry is not None
    with KprClient(endpoint.urls.amqps + "/NHNTESTServiceBus", endpoint.registry,
                   12345) as connected:
        yield connected


# ------------------------------------------------------------------ a raw proton sender
@dataclass
class Seen:
    """What a raw sender saw."""

    outcomes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    credit_seen: bool = False
    by_id: dict[str, str] = field(default_factory=dict)  # message-id -> outcome
    sent: dict[str, str] = field(default_factory=dict)  # delivery tag -> message-id


class _RawSender(MessagingHandler):
    def __init__(self, url: str, messages: list[Message], seen: Seen, timeout: float) -> None:
        super().__init__(auto_settle=True)
        self.url, self.messages, self.seen, self.timeout = url, messages, seen, timeout
        self.pending = len(messages)
        self.conn: Any = None

    def on_start(self, event: Any) -> None:
        self.conn = event.container.connect(
            self.url, user="mockkpr-12345", password="test-12345", allowed_mechs="PLAIN",
            allow_insecure_mechs=True, reconnect=False)
        event.container.create_sender(self.conn, KPR_TARGET)
        self.timer = event.container.schedule(self.timeout, self)

    def on_timer_task(self, event: Any) -> None:
        self.seen.errors.append("timeout")
        self.conn.close()

    def on_sendable(self, event: Any) -> None:
        self.seen.credit_seen = True
        while self.messages and event.sender.credit:
            sent = self.messages.pop(0)
            self.seen.sent[event.sender.send(sent).tag] = str(sent.id)

    def _outcome(self, text: str, delivery: Any) -> None:
        self.seen.outcomes.append(text)
        self.seen.by_id[self.seen.sent.get(delivery.tag, "?")] = text
        self.pending -= 1
        if self.pending <= 0:
            self.timer.cancel()
            self.conn.close()

    def on_accepted(self, event: Any) -> None:
        self._outcome("accepted", event.delivery)

    def on_rejected(self, event: Any) -> None:
        condition = event.delivery.remote.condition
        self._outcome(f"rejected:{condition.name if condition else ''}", event.delivery)

    def on_released(self, event: Any) -> None:
        delivery = event.delivery
        if delivery.remote_state == Delivery.MODIFIED:
            remote = delivery.remote
            self._outcome(f"modified:failed={remote.failed}:undeliverable={remote.undeliverable}",
                          delivery)
        else:
            self._outcome("released", delivery)

    def _error(self, where: str, condition: Any) -> None:
        self.seen.errors.append(f"{where}:{condition.name if condition else ''}:"
                                f"{condition.description if condition else ''}")
        self.timer.cancel()

    def on_link_error(self, event: Any) -> None:
        self._error("link", event.link.remote_condition)
        self.conn.close()

    def on_session_error(self, event: Any) -> None:
        self._error("session", event.session.remote_condition)
        self.conn.close()

    def on_connection_error(self, event: Any) -> None:
        self._error("connection", event.connection.remote_condition)

    def on_transport_error(self, event: Any) -> None:
        self._error("transport", event.transport.condition)

    def on_connection_closed(self, event: Any) -> None:
        event.container.stop()

    def on_disconnected(self, event: Any) -> None:
        event.container.stop()


def raw_send(endpoint: Endpoint, *messages: Message, timeout: float = 8.0) -> Seen:
    """Send ``messages`` over plain AMQP as 12345 and report what came back."""
    seen = Seen()
    assert endpoint.urls.amqp is not None
    Container(_RawSender(endpoint.urls.amqp, list(messages), seen, timeout)).run()
    return seen


def message(subject: str = "KPR_IPL", size: int = 10) -> Message:
    now = datetime.now(UTC)
    return Message(id=str(uuid.uuid4()), subject=subject, body=b"x" * size, inferred=True,
                   content_type="application/pkcs7-mime; smime-type=signed-and-enveloped-data",
                   properties={"fromHerId": "12345", "toHerId": "131725",
                               "applicationTimeStamp": now.strftime("%Y-%m-%dT%H:%M:%SZ")})


def journaled(endpoint: Endpoint, message_id: str) -> bool:
    assert endpoint.journal is not None
    return endpoint.journal.count(MessageFilter(message_id=message_id)) > 0


# ------------------------------------------------------------------ dispositions
@pytest.mark.parametrize(("fault", "expected"), [
    ({"kind": "reject", "condition": "amqp:resource-limit-exceeded"},
     "rejected:amqp:resource-limit-exceeded"),
    ({"kind": "reject"}, "rejected:amqp:internal-error"),
    ({"kind": "release"}, "released"),
    ({"kind": "modify"}, "modified:failed=True:undeliverable=False"),
    ({"kind": "modify", "delivery_failed": False, "undeliverable_here": True},
     "modified:failed=False:undeliverable=True"),
])
def test_disposition_faults_settle_the_delivery_without_processing_it(
        endpoint: Endpoint, fault: dict[str, Any], expected: str) -> None:
    sent = message()
    with endpoint.armed(scenario(fault)):
        seen = raw_send(endpoint, sent)
    assert seen.outcomes == [expected], seen.errors
    assert not journaled(endpoint, str(sent.id))
    again = raw_send(endpoint, sent)  # once: the same message sent again is processed
    assert again.outcomes == ["accepted"]
    assert journaled(endpoint, str(sent.id))


def test_reject_after_processing_answers_and_then_rejects(
        endpoint: Endpoint, client: KprClient) -> None:
    xml, msg_id, function = client.envelope(DOCUMENT)
    [sent] = client.prepare(client.protect(xml), subject=function, msg_id=msg_id).messages
    with endpoint.armed(scenario({"kind": "reject", "after_processing": True})):
        seen = raw_send(endpoint, sent)
    assert seen.outcomes == ["rejected:amqp:internal-error"]
    entry = endpoint.journal.get_by_message_id(msg_id) if endpoint.journal else None
    assert entry is not None
    assert entry.outcome is Outcome.ACCEPTED
    assert len(entry.answers) == 1  # the AppRec went out although the delivery was rejected


def test_nth_selects_the_second_matching_message_only(endpoint: Endpoint) -> None:
    sent = [message("KPR_IPL"), message("KPR_IDE"), message("KPR_IDE"), message("KPR_IDE")]
    ids = [str(m.id) for m in sent]
    with endpoint.armed(scenario({"kind": "reject", "when": {"subject": "KPR_IDE", "nth": 2}})):
        seen = raw_send(endpoint, *sent)
        state = endpoint.faults.state()
    assert [seen.by_id[i] for i in ids] == [
        "accepted", "accepted", "rejected:amqp:internal-error", "accepted"]
    assert state["faults"][0]["seen"] == 3
    assert [f["stage"] for f in state["fired"]] == ["message"]


def test_probability_with_a_seed_fires_the_same_messages_every_run(endpoint: Endpoint) -> None:
    fault = {"kind": "release", "times": "always", "when": {"probability": 0.5, "seed": 7}}
    runs = []
    for _ in range(2):
        sent = [message() for _ in range(8)]
        with endpoint.armed(scenario(fault)):
            seen = raw_send(endpoint, *sent)
        runs.append([seen.by_id[str(m.id)] for m in sent])
    assert runs[0] == runs[1]
    assert "released" in runs[0]
    assert "accepted" in runs[0]


def test_withheld_settlement_answers_but_never_settles(
        endpoint: Endpoint) -> None:
    sent = message()
    with endpoint.armed(scenario({"kind": "withhold-settlement"})):
        seen = raw_send(endpoint, sent, timeout=1.5)
    assert seen.outcomes == []
    assert seen.errors == ["timeout"]
    assert journaled(endpoint, str(sent.id))  # processed and answered all the same


def test_withheld_settlement_for_a_while_then_accepted(endpoint: Endpoint) -> None:
    with endpoint.armed(scenario({"kind": "withhold-settlement", "seconds": 0.5})):
        seen = raw_send(endpoint, message())
    assert seen.outcomes == ["accepted"]


def test_slow_accept_processes_after_the_delay(endpoint: Endpoint) -> None:
    sent = message()
    with endpoint.armed(scenario({"kind": "slow-accept", "seconds": 0.5})):
        seen = raw_send(endpoint, sent)
    assert seen.outcomes == ["accepted"]
    assert journaled(endpoint, str(sent.id))


# ------------------------------------------------------------------ links, sessions, connections
@pytest.mark.parametrize(("kind", "where"), [
    ("detach-link", "link"), ("close-session", "session"), ("close-connection", "connection"),
])
def test_ending_faults_carry_the_chosen_condition(endpoint: Endpoint, kind: str,
                                                  where: str) -> None:
    sent = message()
    fault = {"kind": kind, "condition": "amqp:precondition-failed",
             "error_description": "mockkpr test"}
    with endpoint.armed(scenario(fault)):
        seen = raw_send(endpoint, sent)
    assert f"{where}:amqp:precondition-failed:mockkpr test" in seen.errors
    assert seen.outcomes == []
    assert not journaled(endpoint, str(sent.id))


def test_dropped_connection_looks_like_an_abort(endpoint: Endpoint) -> None:
    with endpoint.armed(scenario({"kind": "drop-connection"})):
        seen = raw_send(endpoint, message())
    assert "transport:amqp:connection:framing-error:connection aborted" in seen.errors
    assert seen.outcomes == []


@pytest.mark.parametrize("kind", ["detach-link", "drop-connection"])
def test_mid_transfer_faults_act_before_the_message_is_complete(endpoint: Endpoint,
                                                               kind: str) -> None:
    big = message(size=2 << 20)  # many frames
    with endpoint.armed(scenario({"kind": kind, "mid_transfer": True})):
        seen = raw_send(endpoint, big)
        fired = endpoint.faults.firings()
    assert [f.stage for f in fired] == ["transfer"]
    assert seen.outcomes == []
    assert seen.errors
    assert not journaled(endpoint, str(big.id))


# ------------------------------------------------------------------ credit, login, TLS
def test_starved_link_gets_no_credit(endpoint: Endpoint) -> None:
    with endpoint.armed(scenario({"kind": "starve-credit", "when": {"sender": "12345"}})):
        seen = raw_send(endpoint, message(), timeout=1.5)
    assert not seen.credit_seen
    assert seen.errors == ["timeout"]


def test_starved_link_gets_credit_after_the_delay(endpoint: Endpoint) -> None:
    with endpoint.armed(scenario({"kind": "starve-credit", "seconds": 0.5})):
        seen = raw_send(endpoint, message())
    assert seen.outcomes == ["accepted"]


def test_refused_login_then_accepted(endpoint: Endpoint) -> None:
    assert endpoint.registry is not None
    url = endpoint.urls.amqps + "/NHNTESTServiceBus"
    with endpoint.armed(scenario({"kind": "refuse-login", "when": {"sender": "12345"}})):
        with pytest.raises(EndpointError, match="amqp:unauthorized-access"):
            KprClient(url, endpoint.registry, 12345).connect()
        with KprClient(url, endpoint.registry, 12345):  # once only
            pass


def test_tls_handshake_failure(endpoint: Endpoint) -> None:
    assert endpoint.registry is not None
    url = endpoint.urls.amqps + "/NHNTESTServiceBus"
    with endpoint.armed(scenario({"kind": "tls-handshake-failure"})):
        with pytest.raises(EndpointError, match="SSL"):
            KprClient(url, endpoint.registry, 12345).connect()
        with KprClient(url, endpoint.registry, 12345):
            pass


# ------------------------------------------------------------------ AppRec faults
def test_apprec_status_and_codes_as_chosen(endpoint: Endpoint, client: KprClient) -> None:
    with endpoint.armed("rejected-apprec"):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
    assert answer.kind == "apprec"
    assert answer.status is Status.AVVIST
    assert answer.apprec is not None
    errors = [(e.code, e.text, e.detail) for e in answer.apprec.errors]
    assert errors == [("T02", "XML validerer ikke", "XML validerer ikke (mockkpr fault)"),
                      ("E10", "Ugyldig meldingsidentifikator",
                       "MsgHead/MsgInfo/MsgId: Ugyldig meldingsidentifikator")]
    entry = endpoint.journal.get_by_message_id(answer.sent.message_id) \
        if endpoint.journal else None
    assert entry is not None
    assert (entry.outcome, entry.apprec_status) == (Outcome.REJECTED, "2")


def test_no_apprec(endpoint: Endpoint, client: KprClient) -> None:
    with endpoint.armed("missing-apprec"):
        answer = client.send_and_wait(DOCUMENT, timeout=2)
    assert answer.kind == "none"


def test_late_apprec_arrives_once_the_clock_is_moved(endpoint: Endpoint,
                                                     client: KprClient) -> None:
    with endpoint.armed("late-apprec"):
        sent = client.send_document(DOCUMENT)
        assert client.wait_answer(sent, timeout=2).kind == "none"
        endpoint.clock.advance(timedelta(days=2, minutes=1))
        answer = client.wait_answer(sent, timeout=10)
    assert answer.kind == "apprec"
    assert answer.status is Status.OK
    assert answer.apprec is not None
    assert answer.apprec.gen_date < datetime.now(UTC) + timedelta(minutes=5)


def test_duplicate_apprec(endpoint: Endpoint, client: KprClient) -> None:
    with endpoint.armed(scenario({"kind": "duplicate-apprec", "copies": 3})):
        sent = client.send_document(DOCUMENT)
        answers = [client.wait_answer(sent, timeout=10) for _ in range(3)]
    assert [a.kind for a in answers] == ["apprec"] * 3
    assert len({a.properties.get("applicationTimeStamp") for a in answers}) == 1
    assert len({a.apprec.apprec_id for a in answers if a.apprec}) == 1


@pytest.mark.parametrize(("problem", "seen_by_its_own_certificate"), [
    ("expired-certificate", "transport:expired-certificate"),
    ("revoked-certificate", "transport:revoked-certificate"),
    ("unknown-certificate", "transport:unverified-certificate"),
    ("wrong-key", None),
    ("wrong-recipient", None),
])
def test_forged_apprec_is_reported_invalid(endpoint: Endpoint, client: KprClient,
                                           problem: str,
                                           seen_by_its_own_certificate: str | None) -> None:
    with endpoint.armed(scenario({"kind": "forged-apprec", "problem": problem})):
        sent = client.send_document(DOCUMENT)
        answer = client.wait_answer(sent, timeout=20)
    assert answer.kind == "invalid-apprec"
    if seen_by_its_own_certificate is None:
        assert answer.problem is not None
        assert "decrypt" in answer.problem.lower() or "recipient" in answer.problem.lower()
        return
    assert answer.problem == "transport:invalid-certificate: Message is not signed by the " \
        "sender's certificate"
    # A sender that trusted the certificate in the message would meet the forgery's flaw.
    assert endpoint.registry is not None
    assert endpoint.journal is not None
    forged = endpoint.registry.path.parent / "parties" / "131725" / "forged"
    cert = load_certificate(forged / f"{problem.split('-')[0]}-signing-cert.pem")
    entry = endpoint.journal.get_by_message_id(sent.message_id)
    assert entry is not None
    with pytest.raises(CmsError) as failure:
        unprotect(entry.answers[0].message.body, own_keys=client.sender.own_keys(),
                  expected_signer=cert, ca_certs=[endpoint.registry.ca_certificate],
                  crls=[endpoint.registry.crl], now=datetime.now(UTC))
    assert failure.value.condition == seen_by_its_own_certificate


def test_forged_apprec_signed_by_another_party_or_changed_is_refused(
        endpoint: Endpoint, client: KprClient) -> None:
    """Another party's certificate chains to the same CA: only the check that KPR's registered
    certificate signed it refuses the AppRec. A changed AppRec under KPR's own signature fails
    the signature check."""
    assert endpoint.registry is not None
    assert endpoint.journal is not None
    for problem, description in (("other-party-certificate", "Message is not signed by the "
                                  "sender's certificate"), ("changed-content",
                                                            "Invalid signature")):
        with endpoint.armed(scenario({"kind": "forged-apprec", "problem": problem})):
            sent = client.send_document(DOCUMENT)
            answer = client.wait_answer(sent, timeout=20)
        assert answer.kind == "invalid-apprec", problem
        assert answer.problem is not None, problem
        assert answer.problem.endswith(description), answer.problem
        entry = endpoint.journal.get_by_message_id(sent.message_id)
        assert entry is not None
        body = entry.answers[0].message.body
        if problem == "other-party-certificate":  # valid for the party whose certificate it is
            signer = ForgedKeys(endpoint.registry, 131725).other_party(12345).certificate
            # a valid certificate of the register that is not KPR's (this registry has no
            # third party: the recipient's own, which chains to the same CA)
            assert signer != endpoint.registry.party(131725).signing_certificate
            opened = unprotect(body, own_keys=client.sender.own_keys(), expected_signer=signer,
                               ca_certs=[endpoint.registry.ca_certificate],
                               crls=[endpoint.registry.crl], now=datetime.now(UTC))
            assert b"<" in opened.payload
        else:  # the content under the signature says rejected, KPR signed OK
            content = read_unverified(body, client.sender.own_keys())
            assert b'V="2"' in content
            assert b"Avvist" in content


def test_orphan_apprec_matches_nothing(endpoint: Endpoint, client: KprClient) -> None:
    fault = {"kind": "orphan-apprec", "original_msg_id": "00000000-0000-4000-8000-000000000000"}
    with endpoint.armed(scenario(fault)):
        sent = client.send_document(DOCUMENT)
        answer = client.wait_answer(sent, timeout=3)
    assert answer.kind == "none"
    orphans = [m for m in client.mailbox if m.subject == "APPREC"]
    assert len(orphans) == 1
    assert str(orphans[0].correlation_id) != sent.message_id
    body = orphans[0].body
    assert isinstance(body, bytes | memoryview)
    apprec = client.open_apprec(bytes(body))
    assert apprec.original.msg_id == "00000000-0000-4000-8000-000000000000"


def test_transport_error_instead_of_the_apprec(endpoint: Endpoint, client: KprClient) -> None:
    fault = {"kind": "transport-error", "condition": "transport:unsupported-message",
             "error_description": "mockkpr test", "data": ["a", "b"]}
    with endpoint.armed(scenario(fault)):
        answer = client.send_and_wait(DOCUMENT, timeout=20)
    assert answer.kind == "transport-error"
    assert (answer.error_condition, answer.error_description, answer.error_data) == (
        "transport:unsupported-message", "mockkpr test", ("a", "b"))


# ------------------------------------------------------------------ arming, readiness, API
def test_verification_explains_the_nearest_miss(endpoint: Endpoint,
                                               client: KprClient) -> None:
    text = """
name: expects-too-much
faults:
  - {id: avvist, kind: apprec-status, status: 2, errors: [{code: X99}]}
expect:
  - {name: fired twice, fault: avvist, count: 2}
"""
    with endpoint.armed(text):
        sent = client.send_document(DOCUMENT)
        assert client.wait_answer(sent, timeout=20).status is Status.AVVIST
        with pytest.raises(ExpectationFailed) as failed:
            endpoint.check()
    assert str(failed.value) == ("expect[0] (fired twice): expected fault 'avvist' to fire "
                                 "exactly 2 times, fired 1")
    entry = endpoint.journal.get_by_message_id(sent.message_id) if endpoint.journal else None
    assert entry is not None
    with pytest.raises(ExpectationFailed) as missed:
        expect_count(endpoint.entries(), {"message_id": sent.message_id, "outcome": "accepted"},
                     count=1)
    assert str(missed.value) == (
        f"expected exactly 1 entries matching {{message_id: {sent.message_id}, outcome: "
        f"accepted}}, found 0. Nearest miss: journal entry {entry.id} (message-id "
        f"{sent.message_id}, KPR_IPL from 12345): outcome expected 'accepted', actual "
        "'rejected'")


def test_readiness_waits_for_the_requested_scenario(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, amqps_port=0, control_port=0,
                        scenario=Path("missing-apprec"))
    with Endpoint(settings) as running:
        body = httpx.get(running.urls.control + "/readyz").json()
        assert body["checks"]["scenario"] is True
        assert running.faults.scenario is not None
        running.faults.disarm()  # behind the endpoint's back: the requested one is gone
        response = httpx.get(running.urls.control + "/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["scenario"] is False


def test_a_bad_scenario_stops_the_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nfaults:\n  - kind: reject\n    when: {nth: 0}\n")
    settings = Settings(data_dir=tmp_path / "data", amqps_port=0, control_port=0,
                        scenario=bad)
    with pytest.raises(ConfigError, match=r"bad.yaml: faults\[0\]\.when\.nth \(line 4\): "
                                          r"Input should be greater than 0"):
        Endpoint(settings).start()


def test_control_api_arms_shows_verifies_and_disarms(endpoint: Endpoint) -> None:
    base = endpoint.urls.control
    body = "name: api\nfaults:\n  - {id: r, kind: release}\nexpect:\n  - {fault: r, count: 1}\n"
    armed = httpx.post(base + "/api/scenario", content=body,
                       headers={"Content-Type": "application/yaml"})
    assert armed.status_code == 200, armed.text
    assert armed.json()["name"] == "api"
    seen = raw_send(endpoint, message())
    assert seen.outcomes == ["released"]
    state = httpx.get(base + "/api/scenario").json()
    assert [(f["fault"], f["kind"], f["stage"]) for f in state["fired"]] == [
        ("r", "release", "message")]
    verdict = httpx.get(base + "/api/scenario/verify").json()
    assert verdict["passed"] is True
    assert httpx.delete(base + "/api/scenario").json() == {"armed": False, "disarmed": "api"}
    assert httpx.get(base + "/api/scenario/verify").status_code == 409


def test_control_api_refuses_a_bad_scenario_with_its_path(endpoint: Endpoint) -> None:
    response = httpx.post(endpoint.urls.control + "/api/scenario",
                          content="name: x\nfaults:\n  - kind: explode\n",
                          headers={"Content-Type": "application/yaml"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(
        "request body: faults[0] (line 3): unknown fault kind 'explode'; known: reject,")
    named = httpx.post(endpoint.urls.control + "/api/scenario?name=nope", json={})
    assert named.status_code == 422
    assert "no packaged scenario 'nope'" in named.json()["detail"]


def test_control_api_moves_the_clock(endpoint: Endpoint) -> None:
    base = endpoint.urls.control
    try:
        fixed = httpx.post(base + "/api/clock", json={"fixed": "2027-01-15T23:59:00Z"}).json()
        assert fixed["now"] == "2027-01-15T23:59:00+00:00"
        assert fixed["reporting"] == {"year": 2026, "phase": "window",
                                      "deadline": "2027-01-15"}
        moved = httpx.post(base + "/api/clock", json={"advance": "PT2M"}).json()
        assert moved["reporting"]["phase"] == "extension"
        both = httpx.post(base + "/api/clock", json={"advance": 60, "reset": True})
        assert both.status_code == 422
    finally:
        assert httpx.post(base + "/api/clock", json={"reset": True}).json()["fixed"] is False


def test_verification_looks_only_at_messages_since_arming(endpoint: Endpoint) -> None:
    raw_send(endpoint, message())  # before: not counted
    text = "name: since\nexpect:\n  - {match: {subject: KPR_IPL, sender: 12345}, count: 1}\n"
    with endpoint.armed(text):
        raw_send(endpoint, message())
        [result] = endpoint.verify()
    assert result.passed, result.message
