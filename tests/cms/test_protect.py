"""protect(): the structure the profile requires, read back with an independent parser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asn1crypto import cms as acms
from cryptography.hazmat.primitives.serialization import pkcs7

from mockkpr.cms import envelope, sign
from mockkpr.errors import PkiError
from mockkpr.pki import build
from tests.cms.support import Pki

PAYLOAD = "<KPR>Ærlig talt, ø og å</KPR>".encode()


def _enveloped(data: bytes) -> acms.EnvelopedData:
    info = acms.ContentInfo.load(data, strict=True)
    assert info["content_type"].native == "enveloped_data"
    return info["content"]


def _signed(data: bytes) -> acms.SignedData:
    info = acms.ContentInfo.load(data, strict=True)
    assert info["content_type"].native == "signed_data"
    return info["content"]


def test_envelope_is_aes256_cbc_to_one_recipient_by_issuer_and_serial(pki: Pki) -> None:
    data = pki.protect(PAYLOAD)
    enveloped = _enveloped(data)
    algorithm = enveloped["encrypted_content_info"]["content_encryption_algorithm"]
    assert algorithm["algorithm"].native == "aes256_cbc"
    assert len(algorithm["parameters"].native) == 16  # the IV
    assert len(enveloped["recipient_infos"]) == 1
    ktri = enveloped["recipient_infos"][0].chosen
    assert ktri["key_encryption_algorithm"]["algorithm"].native == "rsaes_pkcs1v15"
    rid = ktri["rid"]
    assert rid.name == "issuer_and_serial_number"
    recipient = pki.receiver.encryption_certificate
    assert rid.chosen["serial_number"].native == recipient.serial_number
    assert rid.chosen["issuer"].dump() == recipient.issuer.public_bytes()
    # DER throughout: re-encoding changes nothing
    assert acms.ContentInfo.load(data).dump(force=True) == data


def test_signed_data_is_sha256_attached_without_attributes_or_root(pki: Pki) -> None:
    assert pki.sender.signing_key is not None
    signed = sign(
        PAYLOAD,
        signer_cert=pki.sender.signing_certificate,
        signer_key=pki.sender.signing_key,
        chain=[pki.registry.ca_certificate],  # the root: must be left out
    )
    data = _signed(signed)
    assert data["encap_content_info"]["content_type"].native == "data"
    assert data["encap_content_info"]["content"].native == PAYLOAD
    assert [alg["algorithm"].native for alg in data["digest_algorithms"]] == ["sha256"]
    (signer,) = data["signer_infos"]
    assert signer["sid"].name == "issuer_and_serial_number"
    assert signer["sid"].chosen["serial_number"].native == (
        pki.sender.signing_certificate.serial_number
    )
    assert signer["digest_algorithm"]["algorithm"].native == "sha256"
    assert signer["signature_algorithm"].signature_algo == "rsassa_pkcs1v15"
    assert signer["signed_attrs"].native is None
    serials = [choice.chosen.serial_number for choice in data["certificates"]]
    assert serials == [pki.sender.signing_certificate.serial_number]


def test_intermediates_are_embedded_but_not_the_root(pki: Pki) -> None:
    now = datetime.now(UTC)
    root = build.make_ca(now, name="mockkpr test root")
    intermediate = build.make_ca(now, name="mockkpr test intermediate", parent=root)
    leaf = build.issue(
        intermediate,
        build.party_name(4242, "Via intermediate"),
        build.Usage.SIGNING,
        not_before=now,
        not_after=now.replace(year=now.year + 1),
    )
    signed = sign(
        PAYLOAD,
        signer_cert=leaf.certificate,
        signer_key=leaf.key,
        chain=[intermediate.certificate, root.certificate, leaf.certificate],
    )
    serials = {choice.chosen.serial_number for choice in _signed(signed)["certificates"]}
    assert serials == {leaf.certificate.serial_number, intermediate.certificate.serial_number}


def test_aes128_on_request(pki: Pki) -> None:
    data = pki.protect(PAYLOAD, cipher="aes-128-cbc")
    algorithm = _enveloped(data)["encrypted_content_info"]["content_encryption_algorithm"]
    assert algorithm["algorithm"].native == "aes128_cbc"


def test_round_trip_through_cryptography_decrypt(pki: Pki) -> None:
    """cryptography's own PKCS#7 decryption opens what envelope() made."""
    key = pki.receiver.encryption_key
    assert key is not None
    data = envelope(b"inner", recipient_cert=pki.receiver.encryption_certificate)
    opened = pkcs7.pkcs7_decrypt_der(data, pki.receiver.encryption_certificate, key, [])
    assert opened == b"inner"


def test_key_that_does_not_belong_to_the_certificate(pki: Pki) -> None:
    assert pki.receiver.signing_key is not None
    with pytest.raises(PkiError, match="signing key does not belong to certificate"):
        sign(
            PAYLOAD,
            signer_cert=pki.sender.signing_certificate,
            signer_key=pki.receiver.signing_key,
        )


def test_unknown_cipher_name(pki: Pki) -> None:
    with pytest.raises(PkiError) as caught:
        envelope(
            b"x",
            recipient_cert=pki.receiver.encryption_certificate,
            cipher="des-ede3-cbc",  # type: ignore[arg-type]
        )
    assert str(caught.value) == (
        "unsupported content encryption 'des-ede3-cbc'; use one of aes-256-cbc, aes-128-cbc"
    )
