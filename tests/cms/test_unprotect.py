"""unprotect(): every way a payload can fail, with the exact condition and description."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockkpr.cms import CmsError, RevocationStatusUnknown, envelope, sign
from mockkpr.cms._asn1 import parse_enveloped
from mockkpr.pki import Variant, build
from mockkpr.pki.files import load_private_key
from tests.cms.support import Pki

PAYLOAD = b"<KPR_IPL>" + b"<Rad>synthetic</Rad>" * 1000 + b"</KPR_IPL>"

AES256_OID_DER = bytes.fromhex("060960864801650304012a")  # 2.16.840.1.101.3.4.1.42
SHA256_OID_DER = bytes.fromhex("0609608648016503040201")  # 2.16.840.1.101.3.4.2.1
ENVELOPED_OID_DER = bytes.fromhex("06092a864886f70d010703")  # 1.2.840.113549.1.7.3
RSA_OID_DER = bytes.fromhex("06092a864886f70d010101")  # 1.2.840.113549.1.1.1 rsaEncryption


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x55]) + data[index + 1 :]


def _fails(pki: Pki, data: bytes, **kwargs: object) -> CmsError:
    with pytest.raises(CmsError) as caught:
        pki.unprotect(data, **kwargs)  # type: ignore[arg-type]
    return caught.value


def _expect(error: CmsError, condition: str, description: str, code: str | None) -> None:
    assert (error.condition, error.description, error.apprec_code) == (
        condition,
        description,
        code,
    )


def test_round_trip(pki: Pki) -> None:
    result = pki.unprotect(pki.protect(PAYLOAD))
    assert result.payload == PAYLOAD
    assert result.signer == pki.sender.signing_certificate
    assert result.decrypted_with == pki.receiver.encryption_certificate
    assert not result.previous_key
    assert (result.cipher, result.digest) == ("aes-256-cbc", "sha256")
    assert [cert.serial_number for cert in result.embedded_certificates] == [
        pki.sender.signing_certificate.serial_number
    ]
    assert result.deviations == ()


def test_empty_payload_round_trips(pki: Pki) -> None:
    assert pki.unprotect(pki.protect(b"")).payload == b""


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=st.binary(max_size=5000))
def test_any_payload_round_trips(pki: Pki, payload: bytes) -> None:
    assert pki.unprotect(pki.protect(payload)).payload == payload


def test_previous_key_is_tried(pki: Pki) -> None:
    assert pki.receiver.previous_encryption is not None
    data = pki.protect(PAYLOAD, recipient_cert=pki.receiver.previous_encryption.certificate)
    result = pki.unprotect(data)
    assert result.payload == PAYLOAD
    assert result.previous_key
    assert result.decrypted_with == pki.receiver.previous_encryption.certificate


def test_aes128_is_accepted_as_a_deviation(pki: Pki) -> None:
    result = pki.unprotect(pki.protect(PAYLOAD, cipher="aes-128-cbc"))
    assert result.payload == PAYLOAD
    assert result.deviations == ("content encryption aes-128-cbc instead of aes-256-cbc",)


@pytest.mark.parametrize(
    "data",
    [b"", b"<MsgHead>not encrypted</MsgHead>", b"\x30\x80garbage", bytes(range(256))],
    ids=["empty", "xml", "broken-ber", "bytes"],
)
def test_garbage(pki: Pki, data: bytes) -> None:
    _expect(
        _fails(pki, data),
        "transport:invalid-certificate",
        "Could not decrypt message: the payload is not a CMS structure",
        None,
    )


@pytest.mark.parametrize(
    "content",
    [bytes.fromhex("3000"), bytes.fromhex("020100"), bytes.fromhex("3003020100")],
    ids=["empty-sequence", "integer", "version-only"],
)
def test_malformed_enveloped_data(pki: Pki, content: bytes) -> None:
    body = ENVELOPED_OID_DER + b"\xa0" + bytes([len(content)]) + content
    data = b"\x30" + bytes([len(body)]) + body
    _expect(
        _fails(pki, data),
        "transport:invalid-certificate",
        "Could not decrypt message: malformed EnvelopedData",
        None,
    )


def test_truncated(pki: Pki) -> None:
    data = pki.protect(PAYLOAD)
    _expect(
        _fails(pki, data[: len(data) // 2]),
        "transport:invalid-certificate",
        "Could not decrypt message: the payload is not a CMS structure",
        None,
    )


def test_signed_but_not_encrypted(pki: Pki) -> None:
    assert pki.sender.signing_key is not None
    signed = sign(
        PAYLOAD, signer_cert=pki.sender.signing_certificate, signer_key=pki.sender.signing_key
    )
    _expect(
        _fails(pki, signed),
        "transport:invalid-certificate",
        "Could not decrypt message: the payload is CMS SignedData, not EnvelopedData",
        None,
    )


def test_wrong_recipient(pki: Pki) -> None:
    data = pki.protect(PAYLOAD, recipient_cert=pki.sender.encryption_certificate)
    _expect(
        _fails(pki, data),
        "transport:invalid-certificate",
        "Could not decrypt message: not encrypted to the receiver's certificate",
        None,
    )


def test_wrong_private_key_for_the_certificate(pki: Pki) -> None:
    assert pki.sender.encryption_key is not None
    keys = [(pki.receiver.encryption_certificate, pki.sender.encryption_key)]
    _expect(
        _fails(pki, pki.protect(PAYLOAD), own_keys=keys),
        "transport:invalid-certificate",
        "Could not decrypt message",
        None,
    )


def test_encrypted_content_that_is_not_signed(pki: Pki) -> None:
    data = envelope(PAYLOAD, recipient_cert=pki.receiver.encryption_certificate)
    _expect(
        _fails(pki, data),
        "transport:invalid-certificate",
        "Decrypted content is not a CMS SignedData",
        None,
    )


def test_tampered_encrypted_content(pki: Pki) -> None:
    data = pki.protect(PAYLOAD)
    ciphertext = parse_enveloped(data).encrypted_content
    assert data.endswith(ciphertext)
    middle = len(data) - len(ciphertext) // 2  # inside the payload, far from any structure
    _expect(
        _fails(pki, _flip(data, middle)),
        "transport:invalid-certificate",
        "Invalid signature",
        "S01",
    )


def test_tampered_signed_content(pki: Pki) -> None:
    assert pki.sender.signing_key is not None
    signed = sign(
        PAYLOAD, signer_cert=pki.sender.signing_certificate, signer_key=pki.sender.signing_key
    )
    start = signed.index(PAYLOAD)
    tampered = _flip(signed, start + len(PAYLOAD) // 2)
    data = envelope(tampered, recipient_cert=pki.receiver.encryption_certificate)
    _expect(_fails(pki, data), "transport:invalid-certificate", "Invalid signature", "S01")


def test_signed_by_an_unexpected_certificate(pki: Pki) -> None:
    data = pki.protect(PAYLOAD, sender=pki.receiver)  # the receiver's own signing certificate
    _expect(
        _fails(pki, data),
        "transport:invalid-certificate",
        "Message is not signed by the sender's certificate",
        "S01",
    )


def test_no_signing_certificate_registered(pki: Pki) -> None:
    _expect(
        _fails(pki, pki.protect(PAYLOAD), expected_signer=None),
        "transport:missing-certificate",
        "No signing certificate is registered for the sender",
        "S02",
    )


def test_signing_certificate_not_embedded(pki: Pki) -> None:
    assert pki.sender.signing_key is not None
    signed = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(PAYLOAD)
        .add_signer(
            pki.sender.signing_certificate,
            pki.sender.signing_key,
            hashes.SHA256(),
            rsa_padding=padding.PKCS1v15(),
        )
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.NoAttributes, pkcs7.PKCS7Options.NoCerts],
        )
    )
    data = envelope(signed, recipient_cert=pki.receiver.encryption_certificate)
    _expect(
        _fails(pki, data),
        "transport:missing-certificate",
        "The sender's signing certificate is not among the certificates in the message",
        "S02",
    )


def test_detached_signature(pki: Pki) -> None:
    assert pki.sender.signing_key is not None
    signed = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(PAYLOAD)
        .add_signer(
            pki.sender.signing_certificate,
            pki.sender.signing_key,
            hashes.SHA256(),
            rsa_padding=padding.PKCS1v15(),
        )
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.NoAttributes, pkcs7.PKCS7Options.DetachedSignature,
             pkcs7.PKCS7Options.Binary],
        )
    )
    data = envelope(signed, recipient_cert=pki.receiver.encryption_certificate)
    _expect(
        _fails(pki, data),
        "transport:unsupported-message",
        "Detached signatures are not supported: the SignedData carries no content",
        None,
    )


@pytest.mark.parametrize(
    ("variant", "condition", "description", "code"),
    [
        (Variant.EXPIRED, "transport:expired-certificate", "Invalid end date", "S02"),
        (Variant.NOT_YET_VALID, "transport:expired-certificate", "Invalid start date", "S02"),
        (Variant.REVOKED, "transport:revoked-certificate", "Certificate has been revoked", "S03"),
        (
            Variant.WRONG_USAGE,
            "transport:invalid-certificate",
            "Invalid key usage: the signing certificate lacks nonRepudiation",
            "S02",
        ),
        (
            Variant.UNKNOWN_CA,
            "transport:unverified-certificate",
            "Certificate is not issued by a trusted certificate authority",
            "S02",
        ),
    ],
    ids=lambda value: value.value if isinstance(value, Variant) else None,
)
def test_bad_signing_certificates(
    pki: Pki, variant: Variant, condition: str, description: str, code: str
) -> None:
    party = pki.variant(variant)
    data = pki.protect(PAYLOAD, sender=party)
    _expect(_fails(pki, data, expected=party), condition, description, code)


def test_several_certificate_problems_at_once(pki: Pki) -> None:
    now = datetime.now(UTC)
    ca = build.Issued(pki.registry.ca_certificate, _ca_key(pki))
    bad = build.issue(
        ca,
        build.party_name(12345, "Expired and wrong usage"),
        build.Usage.WRONG_SIGNING,
        not_before=now - timedelta(days=30),
        not_after=now - timedelta(days=1),
    )
    data = pki.protect(PAYLOAD, signer_cert=bad.certificate, signer_key=bad.key)
    error = _fails(pki, data, expected_signer=bad.certificate)
    _expect(error, "transport:invalid-certificate", "More than one error with certificate", "S02")
    assert error.data == (
        "Invalid end date",
        "Invalid key usage: the signing certificate lacks nonRepudiation",
    )
    assert str(error) == (
        "transport:invalid-certificate: More than one error with certificate "
        "(Invalid end date;Invalid key usage: the signing certificate lacks nonRepudiation;)"
    )


def test_receiver_certificate_without_key_encipherment(pki: Pki) -> None:
    now = datetime.now(UTC)
    ca = build.Issued(pki.registry.ca_certificate, _ca_key(pki))
    odd = build.issue(
        ca,
        build.party_name(131725, "KPR"),
        build.Usage.SIGNING,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=1),
    )
    data = pki.protect(PAYLOAD, recipient_cert=odd.certificate)
    _expect(
        _fails(pki, data, own_keys=[(odd.certificate, odd.key)]),
        "transport:invalid-certificate",
        "Invalid key usage: the encryption certificate lacks keyEncipherment",
        "S02",
    )


def _ca_key(pki: Pki) -> rsa.RSAPrivateKey:
    return load_private_key(pki.directory / "ca/ca-key.UNENCRYPTED.pem")


def test_unknown_content_encryption_algorithm(pki: Pki) -> None:
    data = pki.protect(PAYLOAD)
    assert data.count(AES256_OID_DER) == 1
    patched = data.replace(AES256_OID_DER, AES256_OID_DER[:-1] + b"\x2e")  # aes256-GCM
    _expect(
        _fails(pki, patched),
        "transport:unsupported-message",
        "Unsupported content encryption algorithm: 2.16.840.1.101.3.4.1.46",
        None,
    )


def test_unsupported_key_transport_algorithm(pki: Pki) -> None:
    data = pki.protect(PAYLOAD)
    assert data.count(RSA_OID_DER) == 1  # the recipient's key transport, nothing else
    patched = data.replace(RSA_OID_DER, RSA_OID_DER[:-1] + b"\x07")  # RSAES-OAEP
    _expect(
        _fails(pki, patched),
        "transport:unsupported-message",
        "Unsupported key transport algorithm: 1.2.840.113549.1.1.7",
        None,
    )


def test_unsupported_signature_algorithm(pki: Pki) -> None:
    assert pki.sender.signing_key is not None
    signed = sign(
        PAYLOAD, signer_cert=pki.sender.signing_certificate, signer_key=pki.sender.signing_key
    )
    at = signed.rindex(RSA_OID_DER)  # the signer info's, after the embedded certificate's
    patched = signed[:at] + RSA_OID_DER[:-1] + b"\x0a" + signed[at + len(RSA_OID_DER) :]
    data = envelope(patched, recipient_cert=pki.receiver.encryption_certificate)
    _expect(
        _fails(pki, data),
        "transport:unsupported-message",
        "Unsupported signature algorithm: 1.2.840.113549.1.1.10",
        "S01",
    )


def test_unsupported_digest_algorithm(pki: Pki) -> None:
    assert pki.sender.signing_key is not None
    signed = sign(
        PAYLOAD, signer_cert=pki.sender.signing_certificate, signer_key=pki.sender.signing_key
    )
    patched = signed.replace(SHA256_OID_DER, SHA256_OID_DER[:-1] + b"\x04")  # sha224
    data = envelope(patched, recipient_cert=pki.receiver.encryption_certificate)
    _expect(
        _fails(pki, data),
        "transport:unsupported-message",
        "Unsupported digest algorithm: sha224",
        "S01",
    )


def test_no_crl_means_unknown_status_not_an_error(pki: Pki) -> None:
    with pytest.raises(RevocationStatusUnknown) as caught:
        pki.unprotect(pki.protect(PAYLOAD), crls=[])
    assert not isinstance(caught.value, CmsError)
    assert caught.value.reason == (
        "no CRL of CN=mockkpr test CA — not for production,O=mockkpr,C=NO"
    )
    assert caught.value.result.payload == PAYLOAD


def test_expired_crl_means_unknown_status(pki: Pki) -> None:
    later = pki.registry.crl.next_update_utc
    assert later is not None
    later += timedelta(days=1)
    with pytest.raises(RevocationStatusUnknown) as caught:
        pki.unprotect(pki.protect(PAYLOAD), now=later)
    assert caught.value.reason.startswith(
        "the CRL of CN=mockkpr test CA — not for production,O=mockkpr,C=NO expired at "
    )


def test_crl_of_another_ca_does_not_count(pki: Pki) -> None:
    now = datetime.now(UTC)
    other = build.make_ca(now, name=build.CA_NAME)  # same name, different key
    crl = build.make_crl(other, [], now)
    with pytest.raises(RevocationStatusUnknown):
        pki.unprotect(pki.protect(PAYLOAD), crls=[crl])


def test_other_problems_win_over_unknown_revocation(pki: Pki) -> None:
    party = pki.variant(Variant.EXPIRED)
    error = _fails(pki, pki.protect(PAYLOAD, sender=party), expected=party, crls=[])
    _expect(error, "transport:expired-certificate", "Invalid end date", "S02")


def test_now_must_be_aware(pki: Pki) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        pki.unprotect(pki.protect(PAYLOAD), now=datetime.now())


def test_chain_through_an_embedded_intermediate(pki: Pki) -> None:
    now = datetime.now(UTC)
    root = build.make_ca(now, name="mockkpr test root")
    intermediate = build.make_ca(now, name="mockkpr test intermediate", parent=root)
    leaf = build.issue(
        intermediate,
        build.party_name(4242, "Via intermediate"),
        build.Usage.SIGNING,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=1),
    )
    data = pki.protect(
        PAYLOAD, signer_cert=leaf.certificate, signer_key=leaf.key, chain=[intermediate.certificate]
    )
    crls = [build.make_crl(intermediate, [], now)]
    result = pki.unprotect(data, expected_signer=leaf.certificate, ca_certs=[root.certificate],
                           crls=crls)
    assert result.payload == PAYLOAD
    revoked = [build.make_crl(intermediate, [leaf.certificate], now)]
    _expect(
        _fails(pki, data, expected_signer=leaf.certificate, ca_certs=[root.certificate],
               crls=revoked),
        "transport:revoked-certificate",
        "Certificate has been revoked",
        "S03",
    )
    # without the intermediate in the message the chain cannot be built
    bare = pki.protect(PAYLOAD, signer_cert=leaf.certificate, signer_key=leaf.key)
    _expect(
        _fails(pki, bare, expected_signer=leaf.certificate, ca_certs=[root.certificate],
               crls=crls),
        "transport:unverified-certificate",
        "Certificate is not issued by a trusted certificate authority",
        "S02",
    )


def test_fifty_megabytes(pki: Pki) -> None:
    payload = (b"<Rad>" + bytes(range(32, 127)) + b"</Rad>\n") * (50 * 1024 * 1024 // 107)
    data = pki.protect(payload)
    assert pki.unprotect(data).payload == payload
