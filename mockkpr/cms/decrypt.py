"""Opening the EnvelopedData with the receiver's own key (profile §5, receiver step 1).

``cryptography.pkcs7_decrypt_der`` reads only DER and only AES-128/256, and says no more than
"could not decrypt" when it fails. A receiver must also read BER (streaming senders write
indefinite lengths), 3DES when allowed, and must tell an unsupported algorithm from a message for
someone else. So the structure is read with asn1crypto (:mod:`mockkpr.cms._asn1`) and the
cryptography is ``cryptography``'s: RSA PKCS#1 v1.5 key transport, AES or 3DES in CBC mode,
PKCS#7 unpadding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding as sympadding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mockkpr.cms import _asn1
from mockkpr.cms.certificates import key_id
from mockkpr.cms.errors import INVALID_CERTIFICATE, UNSUPPORTED_MESSAGE, CmsError

RSA_PKCS1_V15 = "1.2.840.113549.1.1.1"
DES_EDE3_CBC = "1.2.840.113549.3.7"

# OID -> (name, key length in bytes); all CBC
CONTENT_CIPHERS: dict[str, tuple[str, int]] = {
    "2.16.840.1.101.3.4.1.2": ("aes-128-cbc", 16),
    "2.16.840.1.101.3.4.1.22": ("aes-192-cbc", 24),
    "2.16.840.1.101.3.4.1.42": ("aes-256-cbc", 32),
    DES_EDE3_CBC: ("des-ede3-cbc", 24),
}

NOT_CMS = "Could not decrypt message: the payload is not a CMS structure"
NOT_ENVELOPED = "Could not decrypt message: the payload is CMS {kind}, not EnvelopedData"
MALFORMED = "Could not decrypt message: malformed EnvelopedData"
NOT_FOR_RECEIVER = "Could not decrypt message: not encrypted to the receiver's certificate"
DECRYPTION_FAILED = "Could not decrypt message"
UNSUPPORTED_CIPHER = "Unsupported content encryption algorithm: {name}"
NO_3DES = ("Unsupported content encryption algorithm: des-ede3-cbc (3DES is refused by "
           "default: the profile encrypts with AES-256-CBC; NHN's receivers also accept 3DES, "
           "which MOCKKPR_ALLOW_3DES=true allows here)")
UNSUPPORTED_KEY_TRANSPORT = "Unsupported key transport algorithm: {name}"

_CONTENT_TYPE_NAMES = {
    _asn1.ID_DATA: "Data",
    _asn1.ID_SIGNED_DATA: "SignedData",
    "1.2.840.113549.1.7.5": "DigestedData",
    "1.2.840.113549.1.7.6": "EncryptedData",
    "1.2.840.113549.1.9.16.1.2": "AuthenticatedData",
    "1.2.840.113549.1.9.16.1.23": "AuthEnvelopedData",
}


@dataclass(frozen=True, slots=True)
class Decrypted:
    """The decrypted content and how it was obtained."""

    content: bytes
    content_type: str
    certificate: x509.Certificate
    previous_key: bool
    cipher: str
    recipients: int
    recipient_id: str  # how the recipient that matched names the certificate (Identifier.kind)


def _fail(description: str) -> CmsError:
    return CmsError(INVALID_CERTIFICATE, description)


def _unsupported(description: str) -> CmsError:
    return CmsError(UNSUPPORTED_MESSAGE, description)


def parse(data: bytes) -> _asn1.Enveloped:
    """Read the EnvelopedData, or raise the :class:`CmsError` for a payload that is not one."""
    try:
        return _asn1.parse_enveloped(data)
    except _asn1.NotCmsError:
        raise _fail(NOT_CMS) from None
    except _asn1.ContentTypeError as exc:
        kind = _CONTENT_TYPE_NAMES.get(exc.content_type, exc.content_type)
        raise _fail(NOT_ENVELOPED.format(kind=kind)) from None
    except _asn1.Asn1Error:
        raise _fail(MALFORMED) from None


def decrypt(
    data: bytes,
    own_keys: Sequence[tuple[x509.Certificate, rsa.RSAPrivateKey]],
    *,
    allow_3des: bool,
) -> Decrypted:
    """Decrypt ``data`` with the first of ``own_keys`` it is encrypted to.

    ``own_keys`` lists the receiver's current encryption certificate and key first, then any
    previous ("legacy") ones. Raises :class:`CmsError`: ``transport:unsupported-message`` for an
    algorithm mockkpr does not read (3DES unless ``allow_3des``), ``transport:invalid-certificate``
    for anything that cannot be decrypted.
    """
    enveloped = parse(data)
    cipher = CONTENT_CIPHERS.get(enveloped.cipher)
    if cipher is None:
        raise _unsupported(UNSUPPORTED_CIPHER.format(name=enveloped.cipher))
    if enveloped.cipher == DES_EDE3_CBC and not allow_3des:
        raise _unsupported(NO_3DES)
    for position, (cert, key) in enumerate(own_keys):
        issuer, serial, ski = cert.issuer.public_bytes(), cert.serial_number, key_id(cert)
        for recipient in enveloped.recipients:
            if not recipient.rid.matches(issuer, serial, ski):
                continue
            if recipient.key_algorithm != RSA_PKCS1_V15:
                raise _unsupported(UNSUPPORTED_KEY_TRANSPORT.format(name=recipient.key_algorithm))
            content = _open(enveloped, recipient, key, cipher)
            return Decrypted(
                content=content,
                content_type=enveloped.content_type,
                certificate=cert,
                previous_key=position > 0,
                cipher=cipher[0],
                recipients=len(enveloped.recipients) + enveloped.other_recipients,
                recipient_id=recipient.rid.kind,
            )
    raise _fail(NOT_FOR_RECEIVER)


def _open(
    enveloped: _asn1.Enveloped,
    recipient: _asn1.Recipient,
    key: rsa.RSAPrivateKey,
    cipher: tuple[str, int],
) -> bytes:
    """Unwrap the content key and decrypt the content; any failure is one CmsError."""
    try:
        content_key = key.decrypt(recipient.encrypted_key, padding.PKCS1v15())
    except ValueError:
        raise _fail(DECRYPTION_FAILED) from None
    name, key_length = cipher
    if len(content_key) != key_length:
        raise _fail(DECRYPTION_FAILED)
    algorithm = TripleDES(content_key) if name == "des-ede3-cbc" else algorithms.AES(content_key)
    block_bytes = algorithm.block_size // 8
    iv = enveloped.cipher_parameters
    if iv is None or len(iv) != block_bytes:
        raise _fail(DECRYPTION_FAILED)
    decryptor = Cipher(algorithm, modes.CBC(iv)).decryptor()
    unpadder = sympadding.PKCS7(algorithm.block_size).unpadder()
    try:
        padded = decryptor.update(enveloped.encrypted_content) + decryptor.finalize()
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise _fail(DECRYPTION_FAILED) from None
