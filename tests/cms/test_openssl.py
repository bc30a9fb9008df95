"""Interoperability with an independent implementation: the ``openssl cms`` command line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mockkpr.cms import CmsError
from mockkpr.cms.signature import NO_SHA1
from tests.cms.support import RECEIVER, SENDER, Pki

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command"),
]

# bytes that text-mode processing would change: CRLF, lone LF, trailing spaces, non-ASCII
PAYLOAD = "<KPR_IPL>\r\n <Rad navn='Ærlig'>ø å  </Rad>\n</KPR_IPL>\n".encode() * 300


def _openssl(*args: str | Path, data: bytes) -> bytes:
    done = subprocess.run(
        ["openssl", "cms", *map(str, args)], input=data, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def _sign(pki: Pki, payload: bytes, *extra: str) -> bytes:
    base = pki.directory / f"parties/{SENDER}"
    return _openssl(
        "-sign", "-nosmimecap", "-md", "sha256", "-binary", "-outform", "DER", "-nodetach",
        "-signer", base / "signing-cert.pem", "-inkey", base / "signing-key.UNENCRYPTED.pem",
        *extra,
        data=payload,
    )


def _encrypt(pki: Pki, content: bytes, *extra: str) -> bytes:
    return _openssl(
        "-encrypt", "-binary", "-outform", "DER", *extra,
        pki.directory / f"parties/{RECEIVER}/encryption-cert.pem",
        data=content,
    )


def test_openssl_protects_mockkpr_unprotects(pki: Pki) -> None:
    data = _encrypt(pki, _sign(pki, PAYLOAD, "-noattr"), "-aes256")
    result = pki.unprotect(data)
    assert result.payload == PAYLOAD
    assert result.deviations == ()
    assert (result.recipient_id, result.signer_id, result.recipients) == (
        "issuer-serial", "issuer-serial", 1)
    assert result.signed_attributes is False


def test_mockkpr_protects_openssl_unprotects(pki: Pki) -> None:
    data = pki.protect(PAYLOAD, sender=pki.sender)
    receiver = pki.directory / f"parties/{RECEIVER}"
    signed = _openssl(
        "-decrypt", "-binary", "-inform", "DER", "-outform", "DER",
        "-recip", receiver / "encryption-cert.pem",
        "-inkey", receiver / "encryption-key.UNENCRYPTED.pem",
        data=data,
    )
    payload = _openssl(
        "-verify", "-binary", "-inform", "DER", "-CAfile", pki.directory / "ca/ca-cert.pem",
        data=signed,
    )
    assert payload == PAYLOAD


def test_subject_key_identifiers_from_openssl(pki: Pki) -> None:
    """Signer and recipient named by subject key identifier instead of issuer and serial."""
    data = _encrypt(pki, _sign(pki, PAYLOAD, "-noattr", "-keyid"), "-aes256", "-keyid")
    result = pki.unprotect(data)
    assert result.payload == PAYLOAD
    assert (result.recipient_id, result.signer_id) == ("subject-key-identifier",) * 2


def test_streamed_ber_from_openssl(pki: Pki) -> None:
    """Indefinite lengths and chunked OCTET STRINGs, as streaming senders write them."""
    payload = PAYLOAD * 20  # many 4 KB chunks
    signed = _sign(pki, payload, "-noattr", "-stream")
    assert signed[1] == 0x80  # indefinite length: BER, not DER
    data = _encrypt(pki, signed, "-aes256", "-stream")
    assert data[1] == 0x80
    assert pki.unprotect(data).payload == payload


def test_signed_attributes_are_tolerated(pki: Pki) -> None:
    data = _encrypt(pki, _sign(pki, PAYLOAD), "-aes256")
    result = pki.unprotect(data)
    assert result.payload == PAYLOAD
    assert result.signed_attributes is True
    assert result.deviations == (
        "signed attributes present (the profile signs the content directly)",
    )


def test_embedded_root_is_tolerated(pki: Pki) -> None:
    signed = _sign(pki, PAYLOAD, "-noattr", "-certfile", str(pki.directory / "ca/ca-cert.pem"))
    result = pki.unprotect(_encrypt(pki, signed, "-aes256"))
    assert result.payload == PAYLOAD
    assert result.deviations == (
        "a root certificate is embedded (the profile leaves the root out)",
    )


def test_3des_is_refused_unless_allowed(pki: Pki) -> None:
    data = _encrypt(pki, _sign(pki, PAYLOAD, "-noattr"), "-des3")
    with pytest.raises(CmsError) as caught:
        pki.unprotect(data)
    assert (caught.value.condition, caught.value.description) == (
        "transport:unsupported-message",
        "Unsupported content encryption algorithm: des-ede3-cbc (3DES is refused by default: "
        "the profile encrypts with AES-256-CBC; NHN's receivers also accept 3DES, which "
        "MOCKKPR_ALLOW_3DES=true allows here)",
    )
    result = pki.unprotect(data, allow_3des=True)
    assert result.payload == PAYLOAD
    assert result.deviations == ("content encryption des-ede3-cbc instead of aes-256-cbc",)


def test_unknown_cipher_from_openssl(pki: Pki) -> None:
    data = _encrypt(pki, _sign(pki, PAYLOAD, "-noattr"), "-camellia256")
    with pytest.raises(CmsError) as caught:
        pki.unprotect(data)
    assert (caught.value.condition, caught.value.description) == (
        "transport:unsupported-message",
        "Unsupported content encryption algorithm: 1.2.392.200011.61.1.1.1.4",
    )


def test_tampered_openssl_message(pki: Pki) -> None:
    signed = bytearray(_sign(pki, PAYLOAD, "-noattr"))
    start = bytes(signed).index(PAYLOAD)
    signed[start + 100] ^= 0x01
    with pytest.raises(CmsError) as caught:
        pki.unprotect(_encrypt(pki, bytes(signed), "-aes256"))
    assert (caught.value.condition, caught.value.description, caught.value.apprec_code) == (
        "transport:invalid-certificate",
        "Invalid signature",
        "S01",
    )


def test_sha1_signature_for_testing_receivers_is_a_real_one(pki: Pki) -> None:
    """digest="sha1" (a broken sender's flaw): openssl verifies it as SHA-1, mockkpr refuses."""
    data = pki.protect(PAYLOAD, digest="sha1")
    receiver = pki.directory / f"parties/{RECEIVER}"
    signed = _openssl(
        "-decrypt", "-binary", "-inform", "DER", "-outform", "DER",
        "-recip", receiver / "encryption-cert.pem",
        "-inkey", receiver / "encryption-key.UNENCRYPTED.pem",
        data=data,
    )
    printed = _openssl("-cmsout", "-print", "-inform", "DER", data=signed).decode()
    assert printed.count("algorithm: sha1 (1.3.14.3.2.26)") == 2  # the set and the signer
    assert "algorithm: sha1WithRSAEncryption (1.2.840.113549.1.1.5)" in printed
    payload = _openssl("-verify", "-binary", "-inform", "DER", "-noverify", data=signed)
    assert payload == PAYLOAD
    with pytest.raises(CmsError) as refused:
        pki.unprotect(data)
    assert (refused.value.condition, refused.value.description) == (
        "transport:unsupported-message", NO_SHA1)


SHA1_REFUSED = ("Unsupported digest algorithm: sha1 (SHA-1 signatures are refused by default: "
                "the profile's senders sign with SHA-256; NHN's receivers also accept SHA-1, "
                "which MOCKKPR_ALLOW_SHA1=true allows here)")


@pytest.mark.parametrize("attributes", [("-noattr",), ()], ids=["no attributes", "attributes"])
def test_sha1_from_openssl_is_refused_by_default_and_accepted_when_allowed(
        pki: Pki, attributes: tuple[str, ...]) -> None:
    """Signed by openssl with -md sha1 (as an older sender might): NHN's receivers take it."""
    base = pki.directory / f"parties/{SENDER}"
    signed = _openssl(
        "-sign", "-nosmimecap", "-md", "sha1", "-binary", "-outform", "DER", "-nodetach",
        "-signer", base / "signing-cert.pem", "-inkey", base / "signing-key.UNENCRYPTED.pem",
        *attributes, data=PAYLOAD)
    data = _encrypt(pki, signed, "-aes256")
    with pytest.raises(CmsError) as refused:
        pki.unprotect(data)
    assert (refused.value.condition, refused.value.description, refused.value.apprec_code) == (
        "transport:unsupported-message", SHA1_REFUSED, "S01")
    result = pki.unprotect(data, allow_sha1=True)
    assert result.payload == PAYLOAD
    assert result.digest == "sha1"
    assert "digest sha1 instead of sha256" in result.deviations


def test_an_altered_sha1_signature_is_still_invalid_when_allowed(pki: Pki) -> None:
    base = pki.directory / f"parties/{SENDER}"
    signed = bytearray(_openssl(
        "-sign", "-nosmimecap", "-md", "sha1", "-binary", "-outform", "DER", "-nodetach",
        "-noattr", "-signer", base / "signing-cert.pem",
        "-inkey", base / "signing-key.UNENCRYPTED.pem", data=PAYLOAD))
    signed[bytes(signed).index(PAYLOAD) + 10] ^= 0x01
    with pytest.raises(CmsError) as caught:
        pki.unprotect(_encrypt(pki, bytes(signed), "-aes256"), allow_sha1=True)
    assert caught.value.description == "Invalid signature"
