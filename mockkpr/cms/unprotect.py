"""Decrypt, then verify: the receiver's side of the profile's payload security (§4 step 2, §5).

Order of the checks, each failure a :class:`~mockkpr.cms.errors.CmsError`:

1. the payload is a CMS EnvelopedData with a supported content encryption, encrypted to one of the
   receiver's own certificates (current first, then a previous one), and it decrypts;
2. the content is a SignedData with attached content;
3. a sender certificate is known (else ``transport:missing-certificate``), one signer info names it
   (else ``transport:invalid-certificate``: wrong signer) and the certificate is among the embedded
   ones, matched by issuer and serial number (else ``transport:missing-certificate``);
4. the signature verifies with the known certificate (else ``Invalid signature``);
5. certificate checks, all collected: signer dates, nonRepudiation, chain to a trusted CA,
   revocation; keyEncipherment on the receiver's certificate that decrypted the message.

If all of that passes but no current CRL covers the signer, :class:`RevocationStatusUnknown` is
raised instead of returning: the profile retries such messages rather than answering them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa

from mockkpr.cms import _asn1, certificates, signature
from mockkpr.cms.decrypt import decrypt
from mockkpr.cms.errors import (
    APPREC_INVALID_CERTIFICATE,
    APPREC_SIGNATURE,
    INVALID_CERTIFICATE,
    MISSING_CERTIFICATE,
    UNSUPPORTED_MESSAGE,
    CmsError,
    RevocationStatusUnknown,
    combine,
)

NOT_SIGNED = "Decrypted content is not a CMS SignedData"
DETACHED = "Detached signatures are not supported: the SignedData carries no content"
NO_SENDER_CERTIFICATE = "No signing certificate is registered for the sender"
WRONG_SIGNER = "Message is not signed by the sender's certificate"
NOT_EMBEDDED = "The sender's signing certificate is not among the certificates in the message"


@dataclass(frozen=True, slots=True)
class UnprotectResult:
    """A payload that decrypted and verified, and what was learned on the way.

    ``deviations`` lists tolerated departures from the profile (AES-128 instead of AES-256, signed
    attributes, an embedded root, ...) for reports; none of them stopped the message.
    ``recipients`` counts the EnvelopedData's recipient infos; ``recipient_id`` and
    ``signer_id`` say how the matching recipient and signer name their certificate
    (``issuer-serial`` or ``subject-key-identifier``).
    """

    payload: bytes
    signer: x509.Certificate
    decrypted_with: x509.Certificate
    previous_key: bool
    cipher: str
    digest: str
    embedded_certificates: tuple[x509.Certificate, ...]
    deviations: tuple[str, ...]
    recipients: int
    recipient_id: str
    signer_id: str
    signed_attributes: bool


def _load_embedded(certificates_der: tuple[bytes, ...]) -> list[x509.Certificate]:
    loaded = []
    for der in certificates_der:
        cert = _load_certificate(der)
        if cert is not None:  # an unreadable extra certificate cannot be the expected one
            loaded.append(cert)
    return loaded


@lru_cache(maxsize=1024)
def _load_certificate(der: bytes) -> x509.Certificate | None:
    """A certificate read and checked once per process (a sender embeds the same ones in
    every message); None when it cannot be read."""
    try:
        cert = x509.load_der_x509_certificate(der)
        # cryptography parses these lazily; touch them now so a damaged one is skipped here
        _ = (cert.issuer, cert.subject, cert.serial_number, cert.extensions, cert.public_key())
    except (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion):
        return None
    return cert


def _same_certificate(first: x509.Certificate, second: x509.Certificate) -> bool:
    return first.serial_number == second.serial_number and first.issuer == second.issuer


def unprotect(
    data: bytes,
    *,
    own_keys: Sequence[tuple[x509.Certificate, rsa.RSAPrivateKey]],
    expected_signer: x509.Certificate | None,
    ca_certs: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    now: datetime,
    allow_3des: bool = False,
    allow_sha1: bool = False,
) -> UnprotectResult:
    """Decrypt ``data`` with the receiver's key and verify it was signed by ``expected_signer``.

    ``own_keys``: the receiver's encryption certificate and key, current first, then previous
    ("legacy") ones. ``expected_signer``: the sender's signing certificate from the address
    register (``None`` if it has none). ``ca_certs`` and ``crls``: trust anchors and revocation
    lists. ``now`` must be timezone-aware. ``allow_3des`` and ``allow_sha1`` accept the two
    algorithms NHN's receivers accept but the profile's senders do not use (refused by default,
    with a description saying why). Raises :class:`CmsError` or
    :class:`RevocationStatusUnknown` as the module documentation describes.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    opened = decrypt(data, own_keys, allow_3des=allow_3des)
    deviations: list[str] = []
    if opened.cipher != "aes-256-cbc":
        deviations.append(f"content encryption {opened.cipher} instead of aes-256-cbc")
    if opened.content_type != _asn1.ID_DATA:
        deviations.append(f"encrypted content type {opened.content_type} instead of id-data")
    if opened.recipients > 1:
        deviations.append(f"{opened.recipients} recipients instead of one")
    try:
        signed = _asn1.parse_signed(opened.content)
    except _asn1.Asn1Error:
        raise CmsError(INVALID_CERTIFICATE, NOT_SIGNED) from None
    if signed.content is None:
        raise CmsError(UNSUPPORTED_MESSAGE, DETACHED)
    if expected_signer is None:
        raise CmsError(
            MISSING_CERTIFICATE, NO_SENDER_CERTIFICATE, apprec_code=APPREC_INVALID_CERTIFICATE
        )
    signer = _find_signer(signed, expected_signer)
    embedded = _load_embedded(signed.certificates)
    if not any(_same_certificate(cert, expected_signer) for cert in embedded):
        raise CmsError(MISSING_CERTIFICATE, NOT_EMBEDDED, apprec_code=APPREC_INVALID_CERTIFICATE)
    digest, _ = signature.digest_of(signer, allow_sha1=allow_sha1)
    signature.verify(signer, signed.content, signed.content_type, expected_signer,
                     allow_sha1=allow_sha1)
    deviations.extend(_signed_deviations(signed, signer, digest, embedded))

    check = certificates.check_signer(
        expected_signer,
        intermediates=[cert for cert in embedded if not _same_certificate(cert, expected_signer)],
        ca_certs=ca_certs,
        crls=crls,
        now=now,
    )
    problems = [*check.problems, *certificates.check_encryption(opened.certificate)]
    if problems:
        raise combine(problems)
    result = UnprotectResult(
        payload=signed.content,
        signer=expected_signer,
        decrypted_with=opened.certificate,
        previous_key=opened.previous_key,
        cipher=opened.cipher,
        digest=digest,
        embedded_certificates=tuple(embedded),
        deviations=tuple(deviations),
        recipients=opened.recipients,
        recipient_id=opened.recipient_id,
        signer_id=signer.sid.kind,
        signed_attributes=signer.signed_attributes is not None,
    )
    if check.revocation_unknown is not None:
        raise RevocationStatusUnknown(check.revocation_unknown, result)
    return result


def read_unverified(
    data: bytes, own_keys: Sequence[tuple[x509.Certificate, rsa.RSAPrivateKey]]
) -> bytes:
    """The content of ``data`` decrypted but NOT verified: no signer, signature or certificate
    is checked. What a careless receiver does; only the conformance suite's deliberately
    broken senders use it. Raises :class:`CmsError` when ``data`` cannot be decrypted or holds
    no SignedData with content.
    """
    opened = decrypt(data, own_keys, allow_3des=True)
    try:
        signed = _asn1.parse_signed(opened.content)
    except _asn1.Asn1Error:
        raise CmsError(INVALID_CERTIFICATE, NOT_SIGNED) from None
    if signed.content is None:
        raise CmsError(UNSUPPORTED_MESSAGE, DETACHED)
    return signed.content


def _find_signer(signed: _asn1.Signed, expected: x509.Certificate) -> _asn1.Signer:
    issuer, serial = expected.issuer.public_bytes(), expected.serial_number
    key_id = certificates.key_id(expected)
    for signer in signed.signers:
        if signer.sid.matches(issuer, serial, key_id):
            return signer
    raise CmsError(INVALID_CERTIFICATE, WRONG_SIGNER, apprec_code=APPREC_SIGNATURE)


def _signed_deviations(
    signed: _asn1.Signed,
    signer: _asn1.Signer,
    digest: str,
    embedded: list[x509.Certificate],
) -> list[str]:
    found = []
    if digest != "sha256":
        found.append(f"digest {digest} instead of sha256")
    if signer.signed_attributes is not None:
        found.append("signed attributes present (the profile signs the content directly)")
    if signed.content_type != _asn1.ID_DATA:
        found.append(f"signed content type {signed.content_type} instead of id-data")
    if len(signed.signers) > 1:
        found.append(f"{len(signed.signers)} signer infos instead of one")
    if any(certificates.is_self_signed(cert) for cert in embedded):
        found.append("a root certificate is embedded (the profile leaves the root out)")
    return found
