"""Reading and writing PEM files: certificates, RSA private keys (unencrypted) and CRLs.

Loading failures are :class:`~mockkpr.errors.PkiError` naming the file; callers that know more
context (the registry: which party, which field) wrap them.
Private keys are written unencrypted, readable by the owner only (unless asked to write them
readable for a container that runs as another user); they belong to a test PKI and their file
names say ``UNENCRYPTED``.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mockkpr.errors import PkiError


def unreadable_hint(path: Path) -> str:
    """What to do about a file this process may not read (e.g. a container's other uid)."""
    return (f"this process runs as uid {os.getuid()}, gid {os.getgid()} (the mockkpr image: "
            f"uid 10001): make the files readable for it, e.g. `chmod -R a+rX {path.parent}`, "
            "or create them with `mockkpr pki init DIR --readable-keys`")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PkiError(f"{what} file {path} does not exist") from None
    except PermissionError as exc:
        raise PkiError(f"{what} file {path} cannot be read ({exc.strerror}); "
                       f"{unreadable_hint(path)}") from None
    except OSError as exc:
        raise PkiError(f"{what} file {path} cannot be read: {exc.strerror}") from None


def load_certificate(path: Path) -> x509.Certificate:
    """The first certificate in a PEM file (DER accepted too)."""
    data = _read(path, "certificate")
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise PkiError(f"certificate file {path} does not hold a readable certificate") from None


def load_private_key(path: Path) -> rsa.RSAPrivateKey:
    """An unencrypted RSA private key from a PEM file."""
    data = _read(path, "private key")
    try:
        # The expensive RSA consistency check (~36 ms a key, most of a warm start) guards
        # against crafted keys from untrusted sources; these are the operator's own files,
        # and the registry checks each key against its certificate.
        key = serialization.load_pem_private_key(data, password=None,
                                                 unsafe_skip_rsa_key_validation=True)
    except TypeError:
        raise PkiError(f"private key file {path} is encrypted; use an unencrypted key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise PkiError(f"private key file {path} does not hold a readable private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PkiError(f"private key file {path} holds a {type(key).__name__}, not an RSA key")
    return key


def load_crl(path: Path) -> x509.CertificateRevocationList:
    """A CRL from a PEM file (DER accepted too)."""
    data = _read(path, "CRL")
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError:
        raise PkiError(f"CRL file {path} does not hold a readable CRL") from None


def certificate_pem(cert: x509.Certificate) -> bytes:
    """``cert`` as PEM."""
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: rsa.RSAPrivateKey) -> bytes:
    """``key`` as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def crl_pem(crl: x509.CertificateRevocationList) -> bytes:
    """``crl`` as PEM."""
    return crl.public_bytes(serialization.Encoding.PEM)


def write_file(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path``, creating directories; ``private`` files get mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if private:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o600)
    else:
        path.write_bytes(data)
