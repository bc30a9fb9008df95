"""Detached signatures over a file: sign, verify, and agree with ``openssl cms`` both ways."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mockkpr.cms import sign
from mockkpr.cms.detached import fingerprint, sign_detached, verify_detached
from mockkpr.errors import PkiError
from tests.cms.support import RECEIVER, SENDER, Pki

DATA = b'{"files": [{"path": "summary.json", "sha256": "00"}]}\r\n\xc3\xa6\n'
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None,
                                   reason="needs the openssl command")


def _signed(pki: Pki, data: bytes = DATA) -> bytes:
    party = pki.sender
    assert party.signing_key is not None
    return sign_detached(data, signer_cert=party.signing_certificate,
                         signer_key=party.signing_key, chain=[pki.registry.ca_certificate])


def test_a_detached_signature_verifies_and_names_its_signer(pki: Pki) -> None:
    verified = verify_detached(_signed(pki), DATA)
    assert verified.signer == pki.sender.signing_certificate
    assert pki.registry.ca_certificate in verified.certificates
    assert verified.fingerprint == fingerprint(pki.sender.signing_certificate)
    assert len(verified.fingerprint) == 95  # 32 bytes as AB:CD:...


def test_changed_data_does_not_verify(pki: Pki) -> None:
    with pytest.raises(PkiError, match=r"^the signature does not verify: Invalid signature$"):
        verify_detached(_signed(pki), DATA + b" ")


def test_a_changed_signature_does_not_verify(pki: Pki) -> None:
    signature = bytearray(_signed(pki))
    signature[-10] ^= 0x01  # inside the signature value, the last field
    with pytest.raises(PkiError, match=r"^the signature does not verify"):
        verify_detached(bytes(signature), DATA)


def test_not_a_signature_and_an_attached_one_are_refused(pki: Pki) -> None:
    with pytest.raises(PkiError, match=r"^not a CMS SignedData: not a CMS ContentInfo"):
        verify_detached(b"not DER", DATA)
    party = pki.sender
    assert party.signing_key is not None
    attached = sign(DATA, signer_cert=party.signing_certificate, signer_key=party.signing_key)
    with pytest.raises(PkiError, match="carries its content; a detached signature was expected"):
        verify_detached(attached, DATA)


def test_a_key_of_another_certificate_is_refused(pki: Pki) -> None:
    assert pki.receiver.signing_key is not None
    with pytest.raises(PkiError, match="signing key does not belong to certificate"):
        sign_detached(DATA, signer_cert=pki.sender.signing_certificate,
                      signer_key=pki.receiver.signing_key)


@pytest.mark.integration
@needs_openssl
def test_openssl_verifies_mockkpr_signature(pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "data").write_bytes(DATA)
    (tmp_path / "sig").write_bytes(_signed(pki))
    done = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", tmp_path / "sig",
         "-content", tmp_path / "data", "-CAfile", pki.registry.ca_path, "-purpose", "any",
         "-out", "/dev/null"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Verification successful" in done.stderr
    (tmp_path / "data").write_bytes(DATA + b"x")
    changed = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", tmp_path / "sig",
         "-content", tmp_path / "data", "-noverify", "-out", "/dev/null"],
        capture_output=True, text=True, check=False)
    assert changed.returncode != 0


@pytest.mark.integration
@needs_openssl
def test_mockkpr_verifies_openssl_signature(pki: Pki, tmp_path: Path) -> None:
    base = pki.directory / f"parties/{RECEIVER}"
    (tmp_path / "data").write_bytes(DATA)
    done = subprocess.run(
        ["openssl", "cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER", "-in",
         tmp_path / "data", "-signer", base / "signing-cert.pem", "-inkey",
         base / "signing-key.UNENCRYPTED.pem"], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    verified = verify_detached(done.stdout, DATA)
    assert verified.signer == pki.receiver.signing_certificate
    assert verified.signer != pki.registry.party(SENDER).signing_certificate
