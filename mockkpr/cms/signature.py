"""Checking the SignedData's signature, and only the signature (profile §5, receiver step 3).

The signature is verified with ``cryptography`` against the public key of the certificate the
address register expects, never against a key taken from the message. The profile's senders sign
the content directly (no signed attributes); senders that add signed attributes are accepted when
the ``messageDigest`` attribute matches the content and the signature covers the attributes, as
RFC 5652 §5.4 defines.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mockkpr.cms import _asn1
from mockkpr.cms.errors import (
    APPREC_SIGNATURE,
    INVALID_CERTIFICATE,
    UNSUPPORTED_MESSAGE,
    CmsError,
)

# digest OID -> (name, algorithm); SHA-256 is the profile's, the stronger two are accepted
DIGESTS: dict[str, tuple[str, type[hashes.HashAlgorithm]]] = {
    "2.16.840.1.101.3.4.2.1": ("sha256", hashes.SHA256),
    "2.16.840.1.101.3.4.2.2": ("sha384", hashes.SHA384),
    "2.16.840.1.101.3.4.2.3": ("sha512", hashes.SHA512),
}
SHA1 = "1.3.14.3.2.26"
# names of digests that are recognised but refused, for a readable error
REFUSED_DIGESTS = {
    "1.2.840.113549.2.5": "md5",
    SHA1: "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
}
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
# signature OID -> the digest name it implies (RSA PKCS#1 v1.5 with a hash)
RSA_WITH_DIGEST = {
    "1.2.840.113549.1.1.5": "sha1",
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
}

UNSUPPORTED_DIGEST = "Unsupported digest algorithm: {name}"
#: Why SHA-1 is refused, in the transport error (and the AppRec's OT where one is sent).
NO_SHA1 = ("Unsupported digest algorithm: sha1 (SHA-1 signatures are refused by default: the "
           "profile's senders sign with SHA-256; NHN's receivers also accept SHA-1, which "
           "MOCKKPR_ALLOW_SHA1=true allows here)")
UNSUPPORTED_SIGNATURE = "Unsupported signature algorithm: {name}"
INVALID_SIGNATURE = "Invalid signature"


def digest_of(signer: _asn1.Signer, *, allow_sha1: bool = False
              ) -> tuple[str, hashes.HashAlgorithm]:
    """The digest the signer used; ``transport:unsupported-message`` for any other algorithm.

    SHA-1 is accepted only with ``allow_sha1`` (NHN's receivers accept it; the profile's
    senders never use it); refused, the description says so and how to allow it.
    """
    if allow_sha1 and signer.digest_algorithm == SHA1:
        known: tuple[str, type[hashes.HashAlgorithm]] | None = ("sha1", hashes.SHA1)
    else:
        known = DIGESTS.get(signer.digest_algorithm)
    if known is None:
        name = REFUSED_DIGESTS.get(signer.digest_algorithm, signer.digest_algorithm)
        description = NO_SHA1 if signer.digest_algorithm == SHA1 else \
            UNSUPPORTED_DIGEST.format(name=name)
        raise CmsError(UNSUPPORTED_MESSAGE, description, apprec_code=APPREC_SIGNATURE)
    name, algorithm = known
    implied = RSA_WITH_DIGEST.get(signer.signature_algorithm)
    if signer.signature_algorithm != RSA_ENCRYPTION and implied != name:
        raise CmsError(
            UNSUPPORTED_MESSAGE,
            UNSUPPORTED_SIGNATURE.format(name=signer.signature_algorithm),
            apprec_code=APPREC_SIGNATURE,
        )
    return name, algorithm()


def verify(signer: _asn1.Signer, content: bytes, content_type: str, cert: x509.Certificate,
           *, allow_sha1: bool = False) -> None:
    """Verify ``signer``'s signature over ``content`` with ``cert``'s public key.

    Raises :class:`CmsError` ``transport:invalid-certificate`` / ``Invalid signature`` (AppRec
    ``S01``) when it does not hold, ``transport:unsupported-message`` for algorithms mockkpr does
    not verify (SHA-1 unless ``allow_sha1``).
    """
    _, algorithm = digest_of(signer, allow_sha1=allow_sha1)
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise CmsError(
            UNSUPPORTED_MESSAGE,
            UNSUPPORTED_SIGNATURE.format(name=type(public_key).__name__),
            apprec_code=APPREC_SIGNATURE,
        )
    signed = content
    if signer.signed_attributes is not None:
        digest = hashes.Hash(algorithm)
        digest.update(content)
        if signer.message_digest != digest.finalize() or (
            signer.attribute_content_type not in (None, content_type)
        ):
            raise _invalid()
        signed = signer.signed_attributes
    try:
        public_key.verify(signer.signature, signed, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise _invalid() from None


def _invalid() -> CmsError:
    return CmsError(INVALID_CERTIFICATE, INVALID_SIGNATURE, apprec_code=APPREC_SIGNATURE)
