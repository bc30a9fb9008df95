"""MOCKKPR_ALLOW_SHA1 at the receiver: a SHA-1 signature is refused by default with the reason
in the transport error, accepted (and the deviation recorded) when allowed (issue 12, case 9).
The CMS layer's own tests (tests/cms/test_openssl.py) cover SHA-1 and 3DES made by openssl."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mockkpr.cms import protect
from mockkpr.envelope import Organisation, build_msghead
from mockkpr.journal.models import Outcome
from mockkpr.journal.store import Journal
from mockkpr.registry import Registry
from mockkpr.service.messages import CMS_CONTENT_TYPE, InboundMessage
from mockkpr.service.pipeline import Receiver
from mockkpr.settings import Settings

KPR, SENDER = 131725, 12345
IDENTITY = (Path(__file__).parents[2] / "fixtures" / "valid" / "kpr-ide-1.xml").read_bytes()


def _sha1_message(registry: Registry) -> InboundMessage:
    sender, kpr = registry.party(SENDER), registry.party(KPR)
    assert sender.signing is not None
    envelope = build_msghead(IDENTITY, msg_type="KPR_IDE", msg_id=str(uuid.uuid4()),
                             gen_date=datetime.now(UTC),
                             sender=Organisation(sender.name, SENDER),
                             receiver=Organisation(kpr.name, KPR))
    body = protect(envelope, signer_cert=sender.signing.certificate,
                   signer_key=sender.signing.key, recipient_cert=kpr.encryption_certificate,
                   digest="sha1")
    message_id = str(uuid.uuid4())
    return InboundMessage(
        message_id=message_id, correlation_id=message_id, subject="KPR_IDE", to=f"{KPR}_async",
        reply_to=f"{SENDER}_async", content_type=CMS_CONTENT_TYPE,
        application_properties={"fromHerId": str(SENDER), "toHerId": str(KPR),
                                "applicationTimeStamp": "2024-05-01T12:00:00Z"},
        body=body, queue=f"{KPR}_async")


@pytest.mark.parametrize("allowed", [False, True])
def test_a_sha1_signature_is_refused_with_its_reason_unless_allowed(
        tmp_path: Path, session_registry: Registry, allowed: bool) -> None:
    journal = Journal(f"sqlite:///{tmp_path / 'journal.sqlite3'}")
    try:
        receiver = Receiver(session_registry, journal,
                            Settings(data_dir=tmp_path, allow_sha1=allowed))
        result = receiver.process(_sha1_message(session_registry))
        assert result.entry_id is not None
        entry = journal.get(result.entry_id)
        assert entry is not None
        if allowed:
            assert entry.outcome is Outcome.ACCEPTED
            assert [a.kind for a in entry.answers] == ["apprec"]
            assert "digest sha1 instead of sha256" in entry.details["cms.deviations"]
        else:
            assert entry.outcome is Outcome.TRANSPORT_ERROR
            assert entry.error_condition == "transport:unsupported-message"
            assert entry.error_description == (
                "Unsupported digest algorithm: sha1 (SHA-1 signatures are refused by default: "
                "the profile's senders sign with SHA-256; NHN's receivers also accept SHA-1, "
                "which MOCKKPR_ALLOW_SHA1=true allows here)")
            properties = entry.answers[0].message.application_properties
            assert properties["errorDescription"] == entry.error_description
    finally:
        journal.close()
