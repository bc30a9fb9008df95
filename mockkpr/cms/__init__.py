"""CMS sign-then-encrypt, the payload security of NHN's service bus (profile §5).

Pure functions on bytes; nothing here knows about AMQP.

* :func:`protect` (sender): SignedData (SHA-256, RSA PKCS#1 v1.5, no signed attributes, chain
  without root) inside EnvelopedData (AES-256-CBC, RSA PKCS#1 v1.5 key transport), DER.
* :func:`unprotect` (receiver): decrypt with the own key (or a previous one), check that the
  expected signer signed it, verify the signature, then check the certificates; failures are
  :class:`CmsError` (a ``TransportError`` with the profile's condition and description and the
  AppRec code), an unknown revocation status is :class:`RevocationStatusUnknown`.
"""

from mockkpr.cms.errors import CertificateProblem, CmsError, RevocationStatusUnknown
from mockkpr.cms.protect import Cipher, Digest, envelope, protect, sign
from mockkpr.cms.unprotect import UnprotectResult, unprotect

__all__ = [
    "CertificateProblem",
    "Cipher",
    "CmsError",
    "Digest",
    "RevocationStatusUnknown",
    "UnprotectResult",
    "envelope",
    "protect",
    "sign",
    "unprotect",
]
