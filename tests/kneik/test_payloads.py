"""Every payload problem gets its own ``validationCode`` (docs/http-api.md), and is recorded.

Several payloads are built with ``openssl cms`` or edited with asn1crypto, not with mockkpr's
own CMS builder, so the receiver meets structures it did not make.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from asn1crypto import cms

from mockkpr.cms import envelope, sign
from mockkpr.pki import files
from mockkpr.registry import Party, Registry
from tests.kneik.conftest import ROOT
from tests.kneik.support import HttpRoute, protected, submission

pytestmark = pytest.mark.integration

Build = Callable[[bytes, Registry, Path], tuple[bytes, int]]


def _openssl(*args: str, data: bytes) -> bytes:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, check=True,
                          timeout=60)
    return done.stdout


def _pem_files(party: Party, where: Path) -> tuple[str, str]:
    assert party.signing is not None
    cert, key = where / f"{party.her_id}-cert.pem", where / f"{party.her_id}-key.pem"
    cert.write_bytes(files.certificate_pem(party.signing.certificate))
    key.write_bytes(files.key_pem(party.signing.key))
    return str(cert), str(key)


def _openssl_signed(document: bytes, party: Party, where: Path, *extra: str) -> bytes:
    cert, key = _pem_files(party, where)
    return _openssl("cms", "-sign", "-binary", "-nodetach", "-noattr", "-md", "sha256",
                    "-signer", cert, "-inkey", key, "-outform", "DER", *extra, data=document)


def _openssl_encrypted(signed: bytes, receiver: Party, where: Path, cipher: str) -> bytes:
    recipient = where / "recipient.pem"
    recipient.write_bytes(files.certificate_pem(receiver.encryption_certificate))
    return _openssl("cms", "-encrypt", "-binary", f"-{cipher}", "-outform", "DER",
                    str(recipient), data=signed)


def _kpr(registry: Registry) -> Party:
    return registry.party(131725)


def not_cms(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
    return b"definitely not DER", 12345


def signed_only(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
    return _openssl_signed(doc, registry.party(12345), where), 12345


def wrong_recipient(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
    return protected(doc, registry.party(12345), registry.party(23456)), 12345


def undecryptable(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
    """A 16-byte AES-128 content key under an AES-256 algorithm identifier."""
    data = protected(doc, registry.party(12345), _kpr(registry), cipher="aes-128-cbc")
    info = cms.ContentInfo.load(data)
    algorithm = info["content"]["encrypted_content_info"]["content_encryption_algorithm"]
    algorithm["algorithm"] = cms.EncryptionAlgorithmId("aes256_cbc")
    return info.dump(force=True), 12345


def triple_des(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
    signed = _openssl_signed(doc, registry.party(12345), where)
    return _openssl_encrypted(signed, _kpr(registry), where, "des3"), 12345


def not_signed(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
    return envelope(doc, recipient_cert=_kpr(registry).encryption_certificate), 12345


def wrong_signer(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
    return protected(doc, registry.party(23456), _kpr(registry)), 12345


def not_embedded(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
    signed = _openssl_signed(doc, registry.party(12345), where, "-nocerts")
    return _openssl_encrypted(signed, _kpr(registry), where, "aes256"), 12345


def bad_signature(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
    """Signed, then the signed content changed by one byte."""
    sender = registry.party(12345)
    assert sender.signing is not None
    signed = cms.ContentInfo.load(sign(doc, signer_cert=sender.signing.certificate,
                                       signer_key=sender.signing.key))
    encap = signed["content"]["encap_content_info"]
    encap["content"] = cms.OctetString(doc.replace(b"56.0.0", b"56.0.1", 1))
    return envelope(signed.dump(force=True),
                    recipient_cert=_kpr(registry).encryption_certificate), 12345


def variant(her_id: int) -> Build:
    def build(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
        return protected(doc, registry.party(her_id), _kpr(registry)), her_id
    return build


def annual_document(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
    annual = (ROOT / "fixtures/valid/iplos-2019.xml").read_bytes()
    return protected(annual, registry.party(12345), _kpr(registry)), 12345


def not_xml(doc: bytes, registry: Registry, where: Path) -> tuple[bytes, int]:
    return protected(b"hello, KPR", registry.party(12345), _kpr(registry)), 12345


@pytest.mark.parametrize(("build", "code", "text"), [
    (not_cms, 2002, "not a CMS structure"),
    (signed_only, 2002, "SignedData, not EnvelopedData"),
    (wrong_recipient, 2003, "not encrypted to the receiver's certificate"),
    (undecryptable, 2004, "Could not decrypt message"),
    (triple_des, 2005, "des-ede3-cbc"),
    (not_signed, 2006, "not a CMS SignedData"),
    (wrong_signer, 3002, "not signed by the sender's certificate"),
    (not_embedded, 3003, "not among the certificates"),
    (bad_signature, 3004, "Invalid signature"),
    (variant(123451), 3005, "Invalid end date"),
    (variant(123454), 3006, "revoked"),
    (variant(123455), 3007, "trusted certificate authority"),
    (variant(123453), 3008, "nonRepudiation"),
    (annual_document, 4001, "not an IPLOS 56.0.0 message"),
    (not_xml, 4001, "document=unknown"),
], ids=["not-cms", "signed-only", "wrong-recipient", "undecryptable", "3des", "not-signed",
        "wrong-signer", "signer-not-embedded", "bad-signature", "expired", "revoked",
        "unknown-ca", "wrong-usage", "annual-document", "not-xml"])
def test_a_bad_payload_is_400_with_its_own_code(
        route: HttpRoute, event_message: bytes, tmp_path: Path, build: Build, code: int,
        text: str) -> None:
    payload, sender = build(event_message, route.registry, tmp_path)
    entry = route.refused(route.post(submission(payload, from_her_id=sender), route.token()),
                          code, text)
    assert entry["sender_her_id"] == str(sender)
    assert entry["report"] is None
    assert route.count() == 1


def test_a_payload_from_openssl_is_received(
        route: HttpRoute, event_message: bytes, tmp_path: Path) -> None:
    """The profile's sign-then-encrypt made by an independent implementation."""
    signed = _openssl_signed(event_message, route.registry.party(12345), tmp_path)
    payload = _openssl_encrypted(signed, _kpr(route.registry), tmp_path, "aes256")
    response = route.post(submission(payload), route.token())
    assert response.status_code == 200, response.text
    assert route.entry(response.json()["refId"])["outcome"] == "accepted"


def test_a_refused_message_may_be_sent_again_under_the_same_id(
        route: HttpRoute, event_message: bytes, tmp_path: Path) -> None:
    registry = route.registry
    body = submission(wrong_signer(event_message, registry, tmp_path)[0])
    token = route.token()
    assert route.post(body, token).status_code == 400
    fixed = {**body, "payload": submission(protected(
        event_message, registry.party(12345), _kpr(registry)))["payload"]}
    again = route.post(fixed, token)
    assert again.status_code == 200
    assert route.count() == 2
