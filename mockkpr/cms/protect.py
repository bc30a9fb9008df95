"""Sign, then encrypt: the sender's side of the profile's payload security (§5).

Both steps use ``cryptography``'s PKCS#7 builders, which produce exactly what the profile asks:

* :func:`sign`: SignedData, content attached as ``id-data``, SHA-256, RSA PKCS#1 v1.5, the signer
  identified by issuer and serial number, no signed attributes (``NoAttributes``), the signer's
  certificate plus the given intermediates embedded, DER;
* :func:`envelope`: EnvelopedData, AES-256-CBC (or AES-128-CBC), one RSA PKCS#1 v1.5 key transport
  recipient identified by issuer and serial number, DER.

``digest="sha1"`` makes a SHA-1 signature, which the profile does not allow: it exists to test
receivers (the conformance suite's deliberately broken senders). ``cryptography`` refuses to
build it, so the SHA-256 SignedData is signed again (:func:`mockkpr.cms._asn1.resign`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from mockkpr.cms import _asn1
from mockkpr.cms.certificates import is_self_signed
from mockkpr.errors import PkiError

Cipher = Literal["aes-256-cbc", "aes-128-cbc"]
Digest = Literal["sha256", "sha1"]

SHA1 = "1.3.14.3.2.26"
SHA1_WITH_RSA = "1.2.840.113549.1.1.5"

_CIPHERS: dict[str, type[algorithms.AES128] | type[algorithms.AES256]] = {
    "aes-256-cbc": algorithms.AES256,
    "aes-128-cbc": algorithms.AES128,
}


def sign(
    payload: bytes,
    *,
    signer_cert: x509.Certificate,
    signer_key: rsa.RSAPrivateKey,
    chain: Sequence[x509.Certificate] = (),
    digest: Digest = "sha256",
) -> bytes:
    """Return the DER CMS SignedData of ``payload`` (attached, SHA-256, no signed attributes).

    ``chain`` holds the intermediate certificates between the signer and its root; self-signed
    (root) certificates in it and repeats of the signer are left out, as the profile embeds the
    chain without the root.
    """
    if signer_cert.public_key() != signer_key.public_key():
        raise PkiError(f"signing key does not belong to certificate {signer_cert.subject}")
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(payload)
        .add_signer(signer_cert, signer_key, hashes.SHA256(), rsa_padding=padding.PKCS1v15())
    )
    for cert in chain:
        if cert != signer_cert and not is_self_signed(cert):
            builder = builder.add_certificate(cert)
    signed = builder.sign(
        serialization.Encoding.DER,
        [pkcs7.PKCS7Options.NoAttributes, pkcs7.PKCS7Options.Binary],
    )
    if digest == "sha256":
        return signed
    if digest != "sha1":
        raise PkiError(f"unsupported digest {digest!r}; use sha256 (or sha1 to test receivers)")
    return _asn1.resign(signed, SHA1, SHA1_WITH_RSA,
                        lambda content: signer_key.sign(content, padding.PKCS1v15(),
                                                        hashes.SHA1()))  # noqa: S303


def envelope(
    content: bytes, *, recipient_cert: x509.Certificate, cipher: Cipher = "aes-256-cbc"
) -> bytes:
    """Return the DER CMS EnvelopedData of ``content`` encrypted to ``recipient_cert``."""
    try:
        algorithm = _CIPHERS[cipher]
    except KeyError:
        raise PkiError(
            f"unsupported content encryption {cipher!r}; use one of {', '.join(_CIPHERS)}"
        ) from None
    if not isinstance(recipient_cert.public_key(), rsa.RSAPublicKey):
        raise PkiError(f"recipient certificate {recipient_cert.subject} has no RSA key")
    return (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(content)
        .add_recipient(recipient_cert)
        .set_content_encryption_algorithm(algorithm)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )


def protect(
    payload: bytes,
    *,
    signer_cert: x509.Certificate,
    signer_key: rsa.RSAPrivateKey,
    chain: Sequence[x509.Certificate] = (),
    recipient_cert: x509.Certificate,
    cipher: Cipher = "aes-256-cbc",
    digest: Digest = "sha256",
) -> bytes:
    """Sign ``payload`` with the sender's key, then encrypt it to the receiver (profile §5).

    Returns the DER bytes of the EnvelopedData that goes into the AMQP ``data`` section.
    """
    signed = sign(payload, signer_cert=signer_cert, signer_key=signer_key, chain=chain,
                  digest=digest)
    return envelope(signed, recipient_cert=recipient_cert, cipher=cipher)
