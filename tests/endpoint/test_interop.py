"""An independent AMQP 1.0 client against the whole endpoint: Node's rhea, not proton.

Python prepares protected messages (MsgHead, CMS sign-then-encrypt) as files; rhea sends them
over TLS with SASL PLAIN as data sections with string application properties and binary
delivery tags, pipelined, and receives the AppRecs with one receiver that settles first and one
with rcv-settle-mode second. Python then verifies the AppRecs rhea wrote to files.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mockkpr.cms import unprotect
from mockkpr.envelope import Status, parse_apprec
from mockkpr.pki import GeneratedPki
from mockkpr.service.messages import CMS_CONTENT_TYPE
from tests.endpoint.support import KPR, OSLO, Running, fixture, running_endpoint

pytestmark = pytest.mark.integration

ROUNDTRIP = Path(__file__).parent / "js" / "kpr_roundtrip.js"
MESSAGES = 6


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory,
            endpoint_pki: GeneratedPki) -> Iterator[Running]:
    with running_endpoint(tmp_path_factory.mktemp("interop"),
                          endpoint_pki.registry_file) as found:
        yield found


def rhea_roundtrip(rhea_dir: Path, running: Running, work: Path,
                   messages: list[dict[str, Any]]) -> dict[str, Any]:
    registry = running.registry
    account = registry.party(OSLO).sasl
    assert account is not None
    job = work / "job.json"
    job.write_text(json.dumps({
        "target": f"/exchange/NHNTESTServiceBus/{KPR}_async",
        "source": f"/amq/queue/{OSLO}_async", "expect": len(messages), "messages": messages}))
    port = running.endpoint.urls.amqps.rsplit(":", 1)[1]
    completed = subprocess.run(
        ["node", str(ROUNDTRIP), "localhost", port, str(registry.ca_path), account.user,
         account.password, str(job), str(work)],
        env={**os.environ, "NODE_PATH": str(rhea_dir / "node_modules")},
        capture_output=True, text=True, timeout=90, check=False)
    assert completed.stdout, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def test_rhea_sends_pipelined_protected_messages_and_receives_verified_apprecs(
        rhea_dir: Path, running: Running, tmp_path: Path) -> None:
    sender = running.client(OSLO)  # only wraps and protects; rhea does the AMQP
    document = fixture("valid/kpr-ide-1.xml")
    messages: list[dict[str, Any]] = []
    msg_ids: dict[str, str] = {}
    for index in range(MESSAGES):
        xml, msg_id, function = sender.envelope(document)
        body = tmp_path / f"message-{index}.der"
        body.write_bytes(sender.protect(xml))
        message_id = f"rhea-{index}-{msg_id}"
        msg_ids[message_id] = msg_id
        messages.append({
            "file": str(body), "message_id": message_id, "correlation_id": message_id,
            "subject": function, "content_type": CMS_CONTENT_TYPE, "to": f"{KPR}_async",
            "reply_to": f"{OSLO}_async", "application_properties": sender.properties()})

    result = rhea_roundtrip(rhea_dir, running, tmp_path, messages)

    assert result["error"] is None, result
    assert result["sent"] == dict.fromkeys(msg_ids, "accepted")
    received = result["received"]
    assert sorted(r["correlation_id"] for r in received) == sorted(msg_ids)
    assert {r["mode"] for r in received} == {"first", "second"}  # each receiver got some
    assert all(r["settled_by_server"] for r in received if r["mode"] == "second")
    oslo = running.registry.party(OSLO)
    kpr = running.registry.party(KPR)
    for record in received:
        assert record["subject"] == "APPREC"
        assert record["content_type"] == CMS_CONTENT_TYPE
        assert record["application_properties"]["fromHerId"] == str(KPR)
        assert record["application_properties"]["toHerId"] == str(OSLO)
        opened = unprotect(Path(record["file"]).read_bytes(), own_keys=oslo.own_keys(),
                           expected_signer=kpr.signing_certificate,
                           ca_certs=[running.registry.ca_certificate],
                           crls=[running.registry.crl], now=datetime.now(UTC))
        apprec = parse_apprec(opened.payload)
        assert apprec.status is Status.OK
        assert apprec.original.msg_id == msg_ids[record["correlation_id"]]
    # the journal saw rhea's messages as NHN's senders send them
    entry = running.entry(messages[0]["message_id"])
    assert entry["properties"]["body-kind"] == "data"
    assert entry["application_properties"] == messages[0]["application_properties"]
    assert entry["user"] == f"mockkpr-{OSLO}"
    # every AppRec was accepted by rhea: nothing stays queued for redelivery (the last
    # disposition may still be on its way when rhea has finished)
    journal = running.endpoint.journal
    assert journal is not None
    deadline = time.monotonic() + 10
    while journal.queued(f"{OSLO}_async") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert journal.queued(f"{OSLO}_async") == []
