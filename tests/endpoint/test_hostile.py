"""Hostile and broken senders against the whole endpoint (issue 18), over real connections.

Each attack is provoked as an attacker would and the clean answer shown: split-message groups
that are too large, too many, never complete or numbered by nonsense; forged messages on
another party's queues (sent with Node's rhea, a client independent of proton); SASL spoken
in clear on the TLS port; password guessing; HER-ids with leading zeros; thousands of short
connections. Attacks the endpoint already withstood are kept in test_robustness.py.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from proton import Message, Timeout
from proton.utils import BlockingConnection

from mockkpr.client import DeliveryFailed, KprClient, SentMessage
from mockkpr.endpoint.broker import _HandshakeDeadline
from mockkpr.envelope import Status
from mockkpr.pki import GeneratedPki
from mockkpr.service.groups import MAX_GROUP_PARTS
from tests.endpoint.rawamqp import (
    AMQP_HEADER,
    FRAME_SASL,
    OUTCOME_AUTH,
    OUTCOME_OK,
    SASL_HEADER,
    SASL_INIT,
    RawConnection,
    frame,
    performative,
    plain_response,
)
from tests.endpoint.support import (
    BERGEN,
    EXCHANGE,
    FOURTH,
    KPR,
    OSLO,
    THIRD,
    Running,
    fixture,
    running_endpoint,
)

pytestmark = pytest.mark.integration

IDENTITY = fixture("valid/kpr-ide-1.xml")
HOSTILE_JS = Path(__file__).parent / "js" / "hostile.js"
MAX_PAYLOAD = 256 << 10  # groups may hold this plus 1 MiB of envelope
GROUP_LIMIT = MAX_PAYLOAD + (1 << 20)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory,
            endpoint_pki: GeneratedPki) -> Iterator[Running]:
    with running_endpoint(tmp_path_factory.mktemp("hostile"), endpoint_pki.registry_file,
                          max_payload_bytes=MAX_PAYLOAD, max_open_groups=3,
                          login_failures_per_minute=0) as found:
        yield found


@pytest.fixture(scope="module")
def oslo(running: Running) -> Iterator[KprClient]:
    with running.client(OSLO) as client:
        yield client


def account(registry: Any, her_id: int) -> tuple[str, str]:
    sasl = registry.party(her_id).sasl
    assert sasl is not None
    return sasl.user, sasl.password


def port_of(url: str | None) -> int:
    assert url is not None
    return int(url.rsplit(":", 1)[1])


def parts_of(client: KprClient, body: bytes, size: int) -> tuple[str, list[Message]]:
    """(group-id, parts) of an already protected ``body`` cut into ``size``-byte parts."""
    client.split_bytes = size
    try:
        return client.messages_for(body, subject="KPR_IDE")
    finally:
        client.split_bytes = 1 << 20


def protected(client: KprClient, document: bytes = IDENTITY) -> bytes:
    xml, _, _ = client.envelope(document)
    return client.protect(xml)


def group_answer(client: KprClient, group_id: str, timeout: float = 20) -> Any:
    """The answer the sender gets for a group (the group-id is its original message-id)."""
    return client.wait_answer(SentMessage(group_id, "", "KPR_IDE", 0, 0, time.monotonic()),
                              timeout=timeout)


def assert_group_error(answer: Any, group_id: str, description: str, data: tuple[str, ...]
                       ) -> None:
    assert answer.kind == "transport-error", answer
    assert answer.properties["originalMessageId"] == group_id
    assert answer.wire.correlation_id == group_id
    assert answer.error_condition == "transport:invalid-field-value"
    assert description in (answer.error_description or "")
    assert answer.error_data == data
    assert answer.wire.body == b""  # about the group, which never travelled as one message


# ------------------------------------------------------------------ 2. groupSize
@pytest.mark.parametrize("size", [
    "999999999999999999999999", "0", "-3", "3.0", " 3", "\u0663", str(MAX_GROUP_PARTS + 1)])
def test_group_size_that_is_no_sane_number_is_refused_naming_the_field(
        running: Running, oslo: KprClient, size: str) -> None:
    """Once a poison message (an integer no column holds: modified, for ever); now the part is
    accepted and its sender told, about the group, which field is wrong."""
    group_id, parts = parts_of(oslo, protected(oslo), 1024)
    assert parts[0].properties is not None
    parts[0].properties["groupSize"] = size
    oslo.send_messages(parts[:1])  # accepted: send_messages raises on anything else
    assert_group_error(group_answer(oslo, group_id), group_id,
                       f"groupSize {size!r} is not a whole number from 1 to {MAX_GROUP_PARTS}",
                       ("groupSize",))
    assert [e["outcome"] for e in running.entries(group_id)] == ["transport-error"]
    assert running.entry(group_id)["details"]["group.part_message_id"] == str(parts[0].id)


# ------------------------------------------------------------------ 1. bounded groups
def test_a_group_declaring_more_than_the_limit_is_refused_at_its_first_part(
        running: Running, oslo: KprClient) -> None:
    body = os.urandom(2 * GROUP_LIMIT)
    group_id, parts = parts_of(oslo, body, 64 << 10)
    declared = (len(parts) - 1) * (64 << 10) + 1
    oslo.send_messages(parts[:1])
    assert_group_error(group_answer(oslo, group_id), group_id,
                       f"{len(parts)} parts of {64 << 10} bytes make at least {declared} bytes",
                       ("groupSize", f"bytes>={declared}", f"limit={GROUP_LIMIT}"))
    oslo.send_messages(parts[1:4])  # the rest of a refused group: taken and dropped
    assert group_answer(oslo, group_id, timeout=0.5).kind == "none"
    assert [e["outcome"] for e in running.entries(group_id)] == ["transport-error"]
    assert not stored_parts(running, group_id)


def stored_parts(running: Running, group_id: str) -> bool:
    """Whether any part of the group is stored (incomplete groups, whatever their age)."""
    journal = running.endpoint.journal
    assert journal is not None
    stale = journal.stale_groups(datetime.now(UTC) + timedelta(days=1), limit=10_000)
    return any(s.group_id == group_id for s in stale)


def test_a_group_whose_parts_pass_the_limit_is_refused_when_they_do(
        running: Running, oslo: KprClient) -> None:
    """Parts of uneven size (the last one may be any size): refused once the bytes received
    pass the limit, and the parts stored so far are dropped."""
    group_id, [first, _, last] = parts_of(oslo, os.urandom(3 * (400 << 10)), 400 << 10)
    last.body = os.urandom(GROUP_LIMIT - (200 << 10))
    oslo.send_messages([last])
    assert stored_parts(running, group_id)
    oslo.send_messages([first])
    received = GROUP_LIMIT - (200 << 10) + (400 << 10)
    assert_group_error(group_answer(oslo, group_id), group_id,
                       f"its parts so far hold {received} bytes",
                       ("groupSize", f"bytes={received}", f"limit={GROUP_LIMIT}"))
    assert not stored_parts(running, group_id)


def test_a_sender_may_keep_only_so_many_groups_open(running: Running) -> None:
    """MOCKKPR_MAX_OPEN_GROUPS=3 here: a fourth group of one sender is refused, another sender
    is not affected, and the open groups still complete and are answered."""
    with running.client(THIRD) as third, running.client(FOURTH) as fourth:
        groups = [parts_of(third, protected(third), 2048) for _ in range(4)]
        for _, parts in groups[:3]:
            third.send_messages(parts[:1])
        fourth_id, fourth_parts = parts_of(fourth, protected(fourth), 2048)
        fourth.send_messages(fourth_parts[:1])
        refused_id, refused_parts = groups[3]
        third.send_messages(refused_parts[:1])
        assert_group_error(group_answer(third, refused_id), refused_id,
                           "already has 3 incomplete split messages",
                           ("group-id", "open=3", "limit=3"))
        for group_id, parts in [*groups[:3], (fourth_id, fourth_parts)]:
            client = fourth if group_id == fourth_id else third
            client.send_messages(parts[1:])
            answer = group_answer(client, group_id)
            assert answer.kind == "apprec", answer
            assert answer.status is Status.OK


def test_an_incomplete_group_expires_with_a_transport_error(
        tmp_path: Path, endpoint_pki: GeneratedPki) -> None:
    with running_endpoint(tmp_path, endpoint_pki.registry_file, group_timeout=1.0) as quick, \
            quick.client(OSLO) as client:
        group_id, parts = parts_of(client, protected(client), 1024)
        assert len(parts) >= 3
        started = time.monotonic()
        client.send_messages(parts[:2])
        answer = group_answer(client, group_id, timeout=15)
        assert time.monotonic() - started >= 1.0
        assert_group_error(answer, group_id,
                           f"2 of {len(parts)} parts came within 1 s; the group was dropped",
                           ("group-sequence", "received=2", f"groupSize={len(parts)}"))
        assert answer.wire.subject == "KPR_IDE"
        client.send_messages(parts[2:-1])  # too late: dropped, not a new group
        assert group_answer(client, group_id, timeout=0.5).kind == "none"
        assert len(quick.entries(group_id)) == 1
        assert quick.entry(group_id)["details"]["group.refused"] == "expired"
        client.send_messages(parts[-1:])  # the last part: the group's answer again
        again = group_answer(client, group_id)
        assert (again.kind, again.wire.message_id) == ("transport-error", answer.wire.message_id)


# ------------------------------------------------------------------ 3. other parties' queues
def rhea(rhea_dir: Path, *args: str) -> dict[str, Any]:
    completed = subprocess.run(
        ["node", str(HOSTILE_JS), *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, "NODE_PATH": str(rhea_dir / "node_modules")}, check=False)
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def forge(rhea_dir: Path, running: Running, as_her_id: int, target: str, to: str,
          original: str, claimed: int = KPR) -> dict[str, Any]:
    user, password = account(running.registry, as_her_id)
    return rhea(rhea_dir, "forge", "localhost", str(port_of(running.endpoint.urls.amqps)),
                str(running.registry.ca_path), user, password, target, to, original,
                str(claimed))


@pytest.mark.parametrize("target", [
    f"/exchange/{EXCHANGE}/{BERGEN}_error", f"/exchange/{EXCHANGE}/{BERGEN}_async",
    f"/queues/{BERGEN}_error", f"{BERGEN}_dl", f"{OSLO}_error"])
def test_an_account_cannot_attach_to_write_another_partys_queue(
        rhea_dir: Path, running: Running, target: str) -> None:
    """Only mockkpr writes to the parties' queues: a forged 'transport error from KPR' for
    23456 is refused at attach (even a party's own queues are written by mockkpr alone)."""
    result = forge(rhea_dir, running, OSLO, target, "", str(uuid.uuid4()))
    queue = target.rsplit("/", 1)[-1]
    assert result == {"result": "link-refused", "condition": "amqp:unauthorized-access",
                      "description": f"user 'mockkpr-{OSLO}' may not send to {queue}"}
    assert forged_in(running, queue) == []


def forged_in(running: Running, queue: str) -> list[Any]:
    """The forged messages (errorDescription "Forged") waiting in ``queue``."""
    assert running.endpoint.journal is not None
    return [q for q in running.endpoint.journal.queued(queue)
            if q.message.application_properties.get("errorDescription") == "Forged"]


def test_the_anonymous_relay_cannot_reach_another_partys_queue(
        rhea_dir: Path, running: Running) -> None:
    result = forge(rhea_dir, running, OSLO, "-", f"{BERGEN}_error", str(uuid.uuid4()))
    assert result == {"result": "rejected", "condition": "amqp:unauthorized-access",
                      "description": f"user 'mockkpr-{OSLO}' may not send to {BERGEN}_error"}
    assert forged_in(running, f"{BERGEN}_error") == []


@pytest.fixture
def partners(tmp_path: Path, endpoint_pki: GeneratedPki) -> Iterator[Running]:
    """An endpoint whose registry lets 23456 address 12345 (``may_send_to``)."""
    directory = tmp_path / "pki"
    shutil.copytree(endpoint_pki.registry_file.parent, directory)
    registry_file = directory / "registry.yaml"
    spec = yaml.safe_load(registry_file.read_text())
    for party in spec["parties"]:
        if party["her_id"] == BERGEN:
            party["may_send_to"] = [OSLO]
    registry_file.write_text(yaml.safe_dump(spec))
    with running_endpoint(tmp_path / "data", registry_file) as found:
        yield found


def test_a_party_the_registry_allows_may_write_but_cannot_pass_for_kpr(
        rhea_dir: Path, partners: Running) -> None:
    """23456 may write to 12345's queues; its error about 12345's message, naming itself as
    sender, is delivered but is not taken by KprClient for KPR's answer."""
    with partners.client(OSLO) as oslo:
        xml, msg_id, function = oslo.envelope(IDENTITY)
        sent = oslo.prepare(oslo.protect(xml), subject=function, msg_id=msg_id)
        result = forge(rhea_dir, partners, BERGEN, f"/exchange/{EXCHANGE}/{OSLO}_error", "",
                       sent.message_id, claimed=BERGEN)
        assert result == {"result": "accepted", "condition": None, "description": None}
        answer = oslo.deliver(sent, time.monotonic() + 30)
        assert answer.kind == "apprec", answer
        assert answer.status is Status.OK
        forged = [m for m in oslo.mailbox if (m.properties or {}).get("errorDescription")
                  == "Forged"]
        assert len(forged) == 1  # it came, and was not mistaken for the answer


# ------------------------------------------------------------------ 4. the TLS port
def test_sasl_in_clear_on_the_tls_port_is_closed_before_any_reply(running: Running) -> None:
    """Right or wrong password, a client that skips TLS gets no SASL header and no outcome:
    the connection is closed before a byte is sent back."""
    port = port_of(running.endpoint.urls.amqps)
    user, password = account(running.registry, OSLO)
    for attempt in (password, "wrong"):
        init = frame(performative(SASL_INIT, ("symbol", "PLAIN"),
                                  ("binary", plain_response(user, attempt))), kind=FRAME_SASL)
        with RawConnection.open_socket(port) as raw:
            raw.send(SASL_HEADER + init)
            assert raw.read_all() == b""
        with RawConnection.open_socket(port) as raw:
            assert raw.sasl_plain(user, attempt) is None  # the header alone: closed


def test_rhea_without_tls_on_the_tls_port_learns_nothing(
        rhea_dir: Path, running: Running) -> None:
    port = str(port_of(running.endpoint.urls.amqps))
    user, password = account(running.registry, OSLO)
    right = rhea(rhea_dir, "plain", "localhost", port, user, password)
    wrong = rhea(rhea_dir, "plain", "localhost", port, user, "wrong")
    assert right["result"] == wrong["result"] == "disconnected"
    assert right["condition"] is wrong["condition"] is None


def test_amqp_header_without_sasl_gets_the_sasl_header_back(running: Running) -> None:
    """AMQP 1.0 part 5, 5.3.1: a server that needs SASL answers a bare AMQP header with its
    SASL header before closing (proton alone closed without a word)."""
    with RawConnection.open_socket(port_of(running.endpoint.urls.amqp)) as raw:
        raw.send(AMQP_HEADER)
        assert raw.read_all() == SASL_HEADER
    with RawConnection.open_socket(port_of(running.endpoint.urls.amqps)) as raw:
        raw.send(AMQP_HEADER)  # and on the TLS port, no plain bytes at all
        assert raw.read_all() == b""


def test_sasl_over_tls_and_on_the_plain_port_still_works(running: Running) -> None:
    user, password = account(running.registry, OSLO)
    with RawConnection.open_socket(port_of(running.endpoint.urls.amqps),
                                   ca=running.registry.ca_path) as raw:
        assert raw.sasl_plain(user, password) == OUTCOME_OK
        assert raw.open_and_close()
    with RawConnection.open_socket(port_of(running.endpoint.urls.amqp)) as raw:
        assert raw.sasl_plain(user, password) == OUTCOME_OK


def login(port: int, ca: Path, user: str, password: str, source: str = "127.0.0.1"
          ) -> int | None:
    """The SASL outcome of one login over TLS from the address ``source``."""
    with RawConnection.open_socket(port, ca=ca, source=source) as raw:
        return raw.sasl_plain(user, password)


def test_failed_logins_are_throttled_per_account_and_per_address(
        tmp_path: Path, endpoint_pki: GeneratedPki) -> None:
    """3 failures a minute: a fourth login of the account is refused unchecked, even with the
    right password, from any address; from the same address every account is refused; from
    another address another account still logs in."""
    with running_endpoint(tmp_path, endpoint_pki.registry_file,
                          login_failures_per_minute=3) as guarded:
        port, ca = port_of(guarded.endpoint.urls.amqps), guarded.registry.ca_path
        oslo_user, oslo_password = account(guarded.registry, OSLO)
        bergen_user, bergen_password = account(guarded.registry, BERGEN)
        assert [login(port, ca, oslo_user, f"guess-{i}") for i in range(3)] == [OUTCOME_AUTH] * 3
        assert login(port, ca, oslo_user, oslo_password) == OUTCOME_AUTH  # right, unchecked
        assert login(port, ca, bergen_user, bergen_password) == OUTCOME_AUTH  # same address
        assert login(port, ca, oslo_user, oslo_password, "127.0.0.2") == OUTCOME_AUTH
        assert login(port, ca, bergen_user, bergen_password, "127.0.0.2") == OUTCOME_OK


# ------------------------------------------------------------------ 6. HER-ids
def test_leading_zeros_in_from_her_id_are_the_same_sender(
        running: Running, oslo: KprClient) -> None:
    """The same message-id as 12345, 012345 and 0012345: one AppRec, then two duplicates."""
    _, [message] = oslo.messages_for(protected(oslo), subject="KPR_IDE")
    answers = []
    for written in ("12345", "012345", "0012345"):
        assert message.properties is not None
        message.properties["fromHerId"] = written
        message.properties["toHerId"] = "0" + str(KPR)
        answers.append(oslo.wait_answer(oslo.send_messages([message])))
    assert [a.kind for a in answers] == ["apprec"] * 3
    assert len({a.wire.message_id for a in answers}) == 1  # the same AppRec each time
    entries = running.entries(str(message.id))
    assert [e["outcome"] for e in entries] == ["accepted", "duplicate", "duplicate"]
    assert {e["sender_her_id"] for e in entries} == {str(OSLO)}
    detail = running.http.get(f"/api/messages/{message.id}").json()
    assert detail["application_properties"]["fromHerId"] == str(OSLO)


def test_her_id_in_other_digits_is_not_the_sender(running: Running, oslo: KprClient) -> None:
    """Fullwidth digits read as 12345 by int(): not a HER-id, so not the account's."""
    _, [message] = oslo.messages_for(protected(oslo), subject="KPR_IDE")
    assert message.properties is not None
    message.properties["fromHerId"] = "\uff11\uff12\uff13\uff14\uff15"
    with pytest.raises(DeliveryFailed, match="amqp:unauthorized-access"):
        oslo.send_messages([message], timeout=10)


# ------------------------------------------------------------------ 5. memory per connection
def test_short_connections_leave_nothing_behind(running: Running) -> None:
    """300 short TLS connections, logins right and wrong: none of them is kept afterwards
    (before, the handshake timer held each transport, its TLS state and buffers for the
    whole handshake timeout). benchmarks/soak.py measures 10,000 of them."""
    port, ca = port_of(running.endpoint.urls.amqps), running.registry.ca_path
    user, password = account(running.registry, OSLO)

    def once(i: int) -> None:
        with RawConnection.open_socket(port, ca=ca) as raw:
            if raw.sasl_plain(user, password if i % 2 else "wrong") == OUTCOME_OK:
                raw.open_and_close()

    def held() -> list[Any]:
        gc.collect()
        return [o for o in gc.get_objects()
                if isinstance(o, _HandshakeDeadline) and o.transport is not None]

    once(1)
    before = len(held())
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(once, range(300)))
    deadline = time.monotonic() + 5
    while len(held()) > before and time.monotonic() < deadline:
        time.sleep(0.1)  # the last connections' close events
    assert len(held()) <= before
    broker = running.endpoint._amqp.broker if running.endpoint._amqp else None
    assert broker is not None
    assert len(broker._deadlines) <= before


def test_message_to_kpr_still_needs_no_permission(running: Running, oslo: KprClient) -> None:
    """The write permission concerns the parties' queues: every account sends to KPR's."""
    answer = oslo.send_and_wait(IDENTITY, timeout=30)
    assert answer.kind == "apprec"
    assert answer.status is Status.OK


# ------------------------------------------------------------------ 7. a reset keeps owed answers
def test_a_reset_keeps_the_answers_owed_unless_asked(running: Running) -> None:
    """An AppRec not yet fetched survives POST /api/reset and is delivered afterwards;
    with drop_queued it is gone from the queue too."""
    fourth = running.client(FOURTH)  # wraps and protects only; AMQP by hand below
    user, password = account(running.registry, FOURTH)

    def send_one() -> str:
        message_id, [message] = fourth.messages_for(protected(fourth), subject="KPR_IDE")
        connection = BlockingConnection(running.endpoint.urls.amqp, user=user,
                                        password=password, allowed_mechs="PLAIN",
                                        allow_insecure_mechs=True, timeout=20)
        try:
            connection.create_sender(f"{KPR}_async").send(message)
        finally:
            connection.close()
        running.wait_entry(message_id)
        return message_id

    def fetch(timeout: float) -> Message | None:
        connection = BlockingConnection(running.endpoint.urls.amqp, user=user,
                                        password=password, allowed_mechs="PLAIN",
                                        allow_insecure_mechs=True, timeout=20)
        try:
            receiver = connection.create_receiver(f"/amq/queue/{FOURTH}_async")
            try:
                message = receiver.receive(timeout=timeout)
            except Timeout:
                return None
            receiver.accept()
            return message
        finally:
            connection.close()

    owed = send_one()
    reset = running.http.post("/api/reset", json={})
    assert reset.json()["queued_kept"] >= 1
    answer = fetch(20)
    assert answer is not None
    assert answer.correlation_id == owed
    send_one()
    assert running.http.post("/api/reset", json={"drop_queued": True}).json()[
        "queued_kept"] == 0
    assert fetch(1) is None
