"""The harness's signing identity: the key and certificate that sign evidence bundles.

In order of preference: a key and certificate given (``--harness-key``/``--harness-cert``, e.g.
a certification body's own), a harness certificate issued by the test PKI's CA (kept beside it,
so successive runs on one PKI share one fingerprint), or an ephemeral one made for this run.
Whichever it is, the bundle carries the certificate and ``mockkpr certify`` prints its SHA-256
fingerprint, which a third party pins when verifying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from mockkpr.cms.detached import fingerprint
from mockkpr.errors import PkiError
from mockkpr.pki import Issued, Usage, issue, make_ca
from mockkpr.pki.build import simple_name
from mockkpr.pki.files import (
    certificate_pem,
    key_pem,
    load_certificate,
    load_private_key,
    write_file,
)

HARNESS_NAME = "mockkpr conformance harness"
_CA_CERT = Path("ca") / "ca-cert.pem"
_CA_KEY = Path("ca") / "ca-key.UNENCRYPTED.pem"
_CERT = Path("harness") / "harness-cert.pem"
_KEY = Path("harness") / "harness-key.UNENCRYPTED.pem"
VALID_DAYS = 730


@dataclass(frozen=True)
class Identity:
    """A signing key with its certificate and the chain to embed."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...] = ()
    origin: str = ""

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the certificate."""
        return fingerprint(self.certificate)


def from_files(key_file: Path, cert_file: Path) -> Identity:
    """A key and certificate from PEM files (:class:`PkiError` when they do not match)."""
    key, cert = load_private_key(key_file), load_certificate(cert_file)
    if cert.public_key() != key.public_key():
        raise PkiError(f"{key_file} is not the key of the certificate in {cert_file}")
    return Identity(cert, key, origin=f"{cert_file}")


def from_test_pki(directory: Path) -> Identity | None:
    """The harness identity of the test PKI in ``directory`` (created on first use, issued by
    its CA); None when the directory holds no CA key."""
    if not (directory / _CA_KEY).is_file():
        return None
    ca_cert = load_certificate(directory / _CA_CERT)
    if (directory / _CERT).is_file() and (directory / _KEY).is_file():
        cert, key = load_certificate(directory / _CERT), load_private_key(directory / _KEY)
        if cert.not_valid_after_utc > datetime.now(UTC) + timedelta(days=1):
            return Identity(cert, key, (ca_cert,), f"test PKI {directory}")
    ca = Issued(ca_cert, load_private_key(directory / _CA_KEY))
    now = datetime.now(UTC)
    issued = issue(ca, simple_name(HARNESS_NAME), Usage.SIGNING, not_before=now - timedelta(
        minutes=5), not_after=now + timedelta(days=VALID_DAYS))
    try:  # kept, so that the next run on this PKI signs with the same certificate
        write_file(directory / _CERT, certificate_pem(issued.certificate))
        write_file(directory / _KEY, key_pem(issued.key), private=True)
    except OSError:
        return Identity(issued.certificate, issued.key, (ca_cert,),
                        f"test PKI {directory} (not kept: the directory is read-only)")
    return Identity(issued.certificate, issued.key, (ca_cert,), f"test PKI {directory}")


def ephemeral() -> Identity:
    """A key and certificate made for this run only (issued by a CA made for it)."""
    now = datetime.now(UTC)
    ca = make_ca(now, name=f"{HARNESS_NAME} CA (ephemeral)", days=VALID_DAYS)
    issued = issue(ca, simple_name(f"{HARNESS_NAME} (ephemeral)"), Usage.SIGNING,
                   not_before=now - timedelta(minutes=5), not_after=now + timedelta(
                       days=VALID_DAYS))
    return Identity(issued.certificate, issued.key, (ca.certificate,), "ephemeral")
