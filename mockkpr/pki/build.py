"""Building test certificates, keys and CRLs with ``cryptography``'s x509 builders.

Everything here is for testing only: RSA-2048 keys, a self-signed CA named
``mockkpr test CA — not for production``, and end-entity certificates shaped like Norwegian
enterprise certificates (virksomhetssertifikat): subject ``C=NO, O=name, CN=name`` plus
``serialNumber``. A real virksomhetssertifikat carries the organisation number in
``serialNumber``; the test PKI carries the party's **HER-id** there, since the address register
looks parties up by HER-id (:func:`her_id_of` reads it back).

Key usages follow the profile (§5): signing certificates ``nonRepudiation`` (contentCommitment),
encryption certificates ``keyEncipherment``. The TLS server certificate is for ``localhost``.

End-entity certificates can name where their CA publishes its CRL (CRL distribution point)
and its certificate (authority information access, caIssuers): .NET's chain builder, which
NHN's library uses with online revocation checking, refuses a certificate whose revocation
status it cannot fetch (:class:`Publication`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

CA_NAME = "mockkpr test CA — not for production"
UNKNOWN_CA_NAME = "mockkpr unknown test CA — not trusted, not for production"
KEY_SIZE = 2048


class Usage(Enum):
    """What an end-entity certificate is for; decides key usage and extended key usage."""

    SIGNING = "signing"
    ENCRYPTION = "encryption"
    TLS_SERVER = "tls-server"
    WRONG_SIGNING = "wrong-signing"  # a signing certificate with keyEncipherment only


@dataclass(frozen=True, slots=True)
class Publication:
    """Where a CA's CRL and certificate are served (HTTP URLs), written into what it issues."""

    crl_url: str
    ca_url: str

    @classmethod
    def under(cls, base_url: str) -> Publication:
        """``{base_url}/ca.crl`` and ``{base_url}/ca.crt`` (the control API's ``/pki`` routes)."""
        base = base_url.rstrip("/")
        return cls(f"{base}/ca.crl", f"{base}/ca.crt")

    def extensions(self) -> list[x509.ExtensionType]:
        """The CRL distribution point and the authority information access extensions."""
        return [
            x509.CRLDistributionPoints([x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(self.crl_url)], relative_name=None,
                reasons=None, crl_issuer=None)]),
            x509.AuthorityInformationAccess([x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(self.ca_url))]),
        ]


@dataclass(frozen=True, slots=True)
class Issued:
    """A certificate with its private key."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


def new_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_encipherment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


_USAGES = {
    Usage.SIGNING: _key_usage(content_commitment=True),
    Usage.ENCRYPTION: _key_usage(key_encipherment=True),
    Usage.TLS_SERVER: _key_usage(digital_signature=True, key_encipherment=True),
    Usage.WRONG_SIGNING: _key_usage(key_encipherment=True),
}


def party_name(her_id: int, name: str) -> x509.Name:
    """Subject of a party's certificates: ``C=NO, O=name, CN=name, serialNumber=HER-id``."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, str(her_id)),
        ]
    )


def simple_name(common_name: str) -> x509.Name:
    """Subject ``C=NO, O=mockkpr, CN=common_name`` (test CAs, the TLS server)."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mockkpr"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def her_id_of(cert: x509.Certificate) -> int | None:
    """The HER-id a test certificate carries in its subject ``serialNumber``, if any."""
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if len(values) != 1:
        return None
    value = values[0].value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def make_ca(
    now: datetime, *, name: str = CA_NAME, days: int = 3650, parent: Issued | None = None
) -> Issued:
    """A test CA valid from a day before ``now`` for ``days`` days.

    Self-signed (a root) unless ``parent`` is given, which makes it an intermediate CA.
    """
    key = new_key()
    subject = simple_name(name)
    public = key.public_key()
    signing_key = parent.key if parent else key
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(parent.certificate.subject if parent else subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(signing_key, hashes.SHA256())
    )
    return Issued(cert, key)


def issue(
    ca: Issued,
    subject: x509.Name,
    usage: Usage,
    *,
    not_before: datetime,
    not_after: datetime,
    key: rsa.RSAPrivateKey | None = None,
    names: Sequence[str] = (),
    published: Publication | None = None,
) -> Issued:
    """An end-entity certificate for ``subject`` signed by ``ca``, with a new key unless given.

    A TLS server certificate is for ``localhost`` and ``127.0.0.1`` plus ``names`` (host
    names or IP addresses, e.g. the service name a sender in another container uses).
    ``published`` names where ``ca`` serves its CRL and certificate.
    """
    key = key or new_key()
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_USAGES[usage], critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    for extension in published.extensions() if published is not None else ():
        builder = builder.add_extension(extension, critical=False)
    if usage is Usage.TLS_SERVER:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(_alt_names(("localhost", "127.0.0.1", *names))),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def _alt_names(names: Iterable[str]) -> list[x509.GeneralName]:
    """DNS names and IP addresses for a subjectAltName, in order, without repeats."""
    out: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


def make_crl(
    ca: Issued,
    revoked: Iterable[x509.Certificate],
    now: datetime,
    *,
    days: int = 365,
    number: int = 1,
) -> x509.CertificateRevocationList:
    """A CRL of ``ca`` listing ``revoked``, issued an hour before ``now``, valid ``days`` days."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now - timedelta(hours=1))
        .next_update(now + timedelta(days=days))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - timedelta(hours=1))
            .build()
        )
    return builder.sign(ca.key, hashes.SHA256())
