"""The harness's signing identity, and what a signature over evidence can prove.

Two kinds of run (docs/conformance.md, "Trust model"):

* **self-attested** (the default): a key made in memory for this run, never written anywhere,
  signs the bundle (:func:`ephemeral`). Whoever ran ``mockkpr certify`` - the vendor - could
  equally have made and signed any bundle, so the signature proves only that the files are as
  the harness wrote them in that run, to someone who takes the vendor's word for the
  fingerprint it printed.
* **certification**: the certifying body's own key signs (:func:`from_files`, ``--harness-key``
  with ``--harness-cert``). The key file must be passphrase-protected (an unencrypted key file
  on the machine is readable by the sender command, which runs as the same user); the
  passphrase comes from a file descriptor or a prompt, never from a file the run writes or an
  environment variable the sender inherits; the key is decrypted in memory before any sender
  runs and never written. The certifying body publishes its certificate; a verifier pins it.

Whichever it is, the bundle carries the certificate and the manifest names the kind of run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mockkpr.cms.detached import fingerprint
from mockkpr.errors import ConfigError, PkiError
from mockkpr.pki import Usage, issue, make_ca
from mockkpr.pki.build import simple_name
from mockkpr.pki.files import load_certificate

HARNESS_NAME = "mockkpr conformance harness"
VALID_DAYS = 730


class Attestation(StrEnum):
    """Who vouches for a bundle."""

    SELF = "self-attested"
    CERTIFICATION = "certification"


@dataclass(frozen=True)
class Identity:
    """A signing key with its certificate, the chain to embed, and the kind of run."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...] = ()
    origin: str = ""
    attestation: Attestation = Attestation.SELF

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the certificate."""
        return fingerprint(self.certificate)


def from_files(key_file: Path, cert_file: Path, passphrase: bytes | None) -> Identity:
    """The certifying body's passphrase-protected key and its certificate (PEM).

    Raises :class:`ConfigError` for a key that is not encrypted (the sender command could read
    it), a wrong or missing passphrase, and a key that is not the certificate's."""
    try:
        data = key_file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"--harness-key {key_file}: cannot be read ({exc.strerror})") from None
    try:
        serialization.load_pem_private_key(data, password=None)
    except TypeError:
        pass  # encrypted, as it must be
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(f"--harness-key {key_file}: not a PEM private key") from None
    else:
        raise ConfigError(
            f"--harness-key {key_file} is not passphrase-protected: an unencrypted key on this "
            "machine can be read by the sender command and the evidence re-signed with it. "
            "Encrypt it (openssl pkcs8 -topk8 -v2 aes-256-cbc) and give the passphrase with "
            "--harness-passphrase-fd or at the prompt; or run self-attested (no --harness-key)")
    if not passphrase:
        raise ConfigError(f"--harness-key {key_file} is encrypted: give its passphrase "
                          "(--harness-passphrase-fd N, or run on a terminal to be asked)")
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError):
        raise ConfigError(f"--harness-key {key_file}: the passphrase does not open it") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"--harness-key {key_file}: an RSA key is needed, not "
                          f"{type(key).__name__}")
    try:
        cert = load_certificate(cert_file)
    except PkiError as exc:
        raise ConfigError(f"--harness-cert: {exc}") from None
    if cert.public_key() != key.public_key():
        raise ConfigError(f"{key_file} is not the key of the certificate in {cert_file}")
    return Identity(cert, key, origin=f"{cert_file}", attestation=Attestation.CERTIFICATION)


def ephemeral() -> Identity:
    """A key and certificate made in memory for this run only (self-attested)."""
    now = datetime.now(UTC)
    ca = make_ca(now, name=f"{HARNESS_NAME} CA (ephemeral)", days=VALID_DAYS)
    issued = issue(ca, simple_name(f"{HARNESS_NAME} (self-attested, ephemeral)"),
                   Usage.SIGNING, not_before=now - timedelta(minutes=5),
                   not_after=now + timedelta(days=VALID_DAYS))
    return Identity(issued.certificate, issued.key, (ca.certificate,),
                    "made in memory for this run, never written (self-attested)")


def inside(path: Path, directories: list[Path]) -> Path | None:
    """The first of ``directories`` that holds ``path`` (resolved), or None."""
    resolved = path.resolve()
    for directory in directories:
        if resolved.is_relative_to(directory.resolve()):
            return directory
    return None
