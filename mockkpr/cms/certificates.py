"""Certificate checks done separately from the signature (profile §5): dates, key usage, chain,
revocation.

All problems are collected, so that several at once can be reported as one
``More than one error with certificate``. Only the end-entity certificates are checked for dates,
key usage and revocation; intermediates embedded in the message are used to build the chain to a
trusted CA. Revocation is looked up in the CRLs given (the address register's), never fetched:
when no current CRL signed by the issuer is at hand, the status is *unknown*, which is not a
problem but a separate outcome (see :class:`~mockkpr.cms.errors.RevocationStatusUnknown`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mockkpr.cms.errors import (
    APPREC_INVALID_CERTIFICATE,
    APPREC_REVOKED_CERTIFICATE,
    EXPIRED_CERTIFICATE,
    INVALID_CERTIFICATE,
    REVOKED_CERTIFICATE,
    UNVERIFIED_CERTIFICATE,
    CertificateProblem,
)

_MAX_CHAIN = 6

START_DATE = CertificateProblem(
    EXPIRED_CERTIFICATE, "Invalid start date", APPREC_INVALID_CERTIFICATE
)
END_DATE = CertificateProblem(EXPIRED_CERTIFICATE, "Invalid end date", APPREC_INVALID_CERTIFICATE)
SIGNING_USAGE = CertificateProblem(
    INVALID_CERTIFICATE,
    "Invalid key usage: the signing certificate lacks nonRepudiation",
    APPREC_INVALID_CERTIFICATE,
)
ENCRYPTION_USAGE = CertificateProblem(
    INVALID_CERTIFICATE,
    "Invalid key usage: the encryption certificate lacks keyEncipherment",
    APPREC_INVALID_CERTIFICATE,
)
REVOKED = CertificateProblem(
    REVOKED_CERTIFICATE, "Certificate has been revoked", APPREC_REVOKED_CERTIFICATE
)
UNVERIFIED = CertificateProblem(
    UNVERIFIED_CERTIFICATE,
    "Certificate is not issued by a trusted certificate authority",
    APPREC_INVALID_CERTIFICATE,
)


@dataclass(frozen=True, slots=True)
class SignerCheck:
    """What the checks found about the signing certificate.

    ``revocation_unknown`` is ``None`` when the revocation status is known (revoked or not), else
    why it is not.
    """

    problems: tuple[CertificateProblem, ...]
    issuer: x509.Certificate | None
    revocation_unknown: str | None


#: Verdicts remembered (the same few certificates come with every message).
_VERDICTS = 4096


@lru_cache(maxsize=_VERDICTS)
def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s key signed ``cert`` and the names chain.

    A pure function of the two certificates (equal and hashed by their DER), so its verdicts
    are remembered: a sender's chain is checked once per process, not once per message.
    """
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def key_id(cert: x509.Certificate) -> bytes | None:
    """The subject key identifier of ``cert``, if it has one."""
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def is_self_signed(cert: x509.Certificate) -> bool:
    """Whether ``cert`` is a root: issued by itself."""
    return issued_by(cert, cert)


def has_usage(cert: x509.Certificate, usage: str) -> bool:
    """Whether the key usage extension grants ``usage`` (a ``x509.KeyUsage`` attribute name).

    A certificate without the extension does not carry the usage the profile requires.
    """
    try:
        key_usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return bool(getattr(key_usage, usage))


def check_dates(cert: x509.Certificate, now: datetime) -> list[CertificateProblem]:
    """``Invalid start date`` before the validity period, ``Invalid end date`` after it."""
    if now < cert.not_valid_before_utc:
        return [START_DATE]
    if now > cert.not_valid_after_utc:
        return [END_DATE]
    return []


def trusted_issuer(
    cert: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    ca_certs: Sequence[x509.Certificate],
) -> x509.Certificate | None:
    """The direct issuer of ``cert`` if a chain leads from it to one of ``ca_certs``, else None."""
    current, direct = cert, None
    for _ in range(_MAX_CHAIN):
        for ca in ca_certs:
            if issued_by(current, ca):
                return direct or ca
        step = next(
            (
                candidate
                for candidate in intermediates
                if candidate != current
                and not is_self_signed(candidate)
                and issued_by(current, candidate)
            ),
            None,
        )
        if step is None:
            return None
        direct = direct or step
        current = step
    return None


def revocation(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    crls: Sequence[x509.CertificateRevocationList],
    now: datetime,
) -> tuple[bool, str | None]:
    """``(revoked, None)`` from a current CRL of ``issuer``, or ``(False, reason)`` if unknown."""
    stale: str | None = None
    for crl in crls:
        if crl.issuer != issuer.subject or not _crl_signed_by(crl, issuer):
            continue
        next_update = crl.next_update_utc
        if next_update is not None and next_update < now:
            stale = f"the CRL of {issuer.subject.rfc4514_string()} expired at {next_update}"
            continue
        return crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None, None
    return False, stale or f"no CRL of {issuer.subject.rfc4514_string()}"


# (id of the CRL, issuer) -> (the CRL, verdict); the CRL is kept so that its id stays its own
_crl_verdicts: dict[tuple[int, x509.Certificate],
                    tuple[x509.CertificateRevocationList, bool]] = {}


def _crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s key signed ``crl``; remembered per CRL object (CRLs are not
    hashable, and the registry's stay the same objects while it is loaded)."""
    key = (id(crl), issuer)
    found = _crl_verdicts.get(key)
    if found is not None and found[0] is crl:
        return found[1]
    public_key = issuer.public_key()
    valid = isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey) \
        and crl.is_signature_valid(public_key)
    if len(_crl_verdicts) >= _VERDICTS:
        _crl_verdicts.clear()
    _crl_verdicts[key] = (crl, valid)
    return valid


def check_signer(
    cert: x509.Certificate,
    *,
    intermediates: Sequence[x509.Certificate],
    ca_certs: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    now: datetime,
) -> SignerCheck:
    """Dates, nonRepudiation, chain to a trusted CA and revocation of a signing certificate."""
    problems = check_dates(cert, now)
    if not has_usage(cert, "content_commitment"):
        problems.append(SIGNING_USAGE)
    issuer = trusted_issuer(cert, intermediates, ca_certs)
    unknown: str | None = None
    if issuer is None:
        problems.append(UNVERIFIED)
    else:
        revoked, unknown = revocation(cert, issuer, crls, now)
        if revoked:
            problems.append(REVOKED)
    return SignerCheck(tuple(problems), issuer, unknown)


def check_encryption(cert: x509.Certificate) -> list[CertificateProblem]:
    """The receiver's own encryption certificate must carry keyEncipherment."""
    return [] if has_usage(cert, "key_encipherment") else [ENCRYPTION_USAGE]
