"""Detached CMS signatures over a file: sign with a key, verify with only the signature.

Used for the conformance suite's evidence bundles: the harness signs the bundle's manifest, and
anyone can check the signature offline, later, with nothing but the bundle. The signature is a
DER CMS SignedData without content (``DetachedSignature``), SHA-256, RSA PKCS#1 v1.5, with the
standard signed attributes (content type, signing time, message digest) and the signer's
certificate - plus any given chain - embedded, so that the verifier needs no other file. Whom
to trust is the verifier's decision: :func:`fingerprint` gives the SHA-256 fingerprint of the
signer certificate to pin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from mockkpr.cms import _asn1
from mockkpr.cms.errors import CmsError
from mockkpr.cms.signature import verify
from mockkpr.errors import PkiError


def fingerprint(cert: x509.Certificate) -> str:
    """The certificate's SHA-256 fingerprint as colon-separated upper-case hex."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def sign_detached(data: bytes, *, signer_cert: x509.Certificate,
                  signer_key: rsa.RSAPrivateKey,
                  chain: Sequence[x509.Certificate] = ()) -> bytes:
    """The DER CMS SignedData over ``data``, detached (``data`` itself is not in it)."""
    if signer_cert.public_key() != signer_key.public_key():
        raise PkiError(f"signing key does not belong to certificate {signer_cert.subject}")
    builder = (pkcs7.PKCS7SignatureBuilder().set_data(data)
               .add_signer(signer_cert, signer_key, hashes.SHA256(),
                           rsa_padding=padding.PKCS1v15()))
    for cert in chain:
        if cert != signer_cert:
            builder = builder.add_certificate(cert)
    return builder.sign(serialization.Encoding.DER,
                        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])


@dataclass(frozen=True)
class DetachedSignature:
    """A verified detached signature: who signed, with which certificates embedded."""

    signer: x509.Certificate
    certificates: tuple[x509.Certificate, ...]

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the signer certificate (what a verifier pins)."""
        return fingerprint(self.signer)


def verify_detached(signature: bytes, data: bytes) -> DetachedSignature:
    """Check that ``signature`` (DER CMS SignedData, detached) signs ``data``.

    The signer certificate is the embedded one the SignerInfo names; the result says which,
    so the caller can decide whether to trust it. Raises :class:`PkiError` saying what is
    wrong: not a SignedData, content attached, no or several signers, the signer certificate
    missing, or a signature that does not verify over ``data``.
    """
    try:
        signed = _asn1.parse_signed(signature)
    except _asn1.Asn1Error as exc:
        raise PkiError(f"not a CMS SignedData: {exc}") from None
    if signed.content is not None:
        raise PkiError("the signature carries its content; a detached signature was expected")
    if len(signed.signers) != 1:
        raise PkiError(f"expected one signer, found {len(signed.signers)}")
    certificates = tuple(x509.load_der_x509_certificate(der) for der in signed.certificates)
    signer_info = signed.signers[0]
    found = [c for c in certificates
             if signer_info.sid.matches(c.issuer.public_bytes(), c.serial_number, _key_id(c))]
    if not found:
        raise PkiError("the signer's certificate is not embedded in the signature")
    try:
        verify(signer_info, data, _asn1.ID_DATA, found[0])
    except CmsError as exc:
        raise PkiError(f"the signature does not verify: {exc.description}") from None
    return DetachedSignature(found[0], certificates)


def _key_id(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None
