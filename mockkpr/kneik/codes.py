"""The numbers in the HTTP API's error bodies: ``validationCode`` (400) and ``errorCode`` (500).

The real API's code list is not public; its readme shows one example of each (``1234``
"Feil signeringssertifikat", ``1002`` "Teknisk feil på løsning. Prøv igjen senere."). These
are mockkpr's own, one per problem a sender must tell apart, grouped by hundreds: 10xx the
request, 20xx the CMS envelope, 30xx the sender and its certificate, 40xx the document.
docs/http-api.md lists them; a test keeps that table and this enum in step.

:func:`validation_code` names the code of a :class:`~mockkpr.errors.TransportError` the
receiver raised (the same problems the service bus answers with a transport error).
"""

from __future__ import annotations

from enum import IntEnum

from mockkpr.cms import decrypt, errors, signature
from mockkpr.cms.unprotect import (
    DETACHED,
    NO_SENDER_CERTIFICATE,
    NOT_EMBEDDED,
    NOT_SIGNED,
    WRONG_SIGNER,
)
from mockkpr.errors import TransportError
from mockkpr.service.submissions import NOT_EVENT_MESSAGE
from mockkpr.service.transport_errors import MISSING_FIELDS, UNSUPPORTED


class ValidationCode(IntEnum):
    """``validationCode`` of a 400 answer: why the submission was not received."""

    NOT_JSON = 1001  # the body is not JSON text (UTF-8)
    NOT_AN_OBJECT = 1002  # not a JSON object, or messageHeader is not one
    MISSING_FIELD = 1003  # a header field or the payload is absent
    WRONG_TYPE = 1004  # a field has the wrong JSON type (HER-ids: integers)
    AMBIGUOUS_FIELD = 1005  # one field given twice, in two spellings
    BAD_MESSAGE_ID = 1006  # messageId is not a GUID
    UNKNOWN_MESSAGE_TYPE = 1007  # messageType is neither IPLOS nor HST
    UNSUPPORTED_MESSAGE_TYPE = 1008  # HST: the register takes it, mockkpr does not check it
    WRONG_VERSION = 1009  # messageVersion is not 56.0.0
    WRONG_RECEIVER = 1010  # toHerId is not this register's HER-id
    NOT_BASE64 = 2001  # payload is not base64
    NOT_CMS = 2002  # payload is not a CMS EnvelopedData
    WRONG_RECIPIENT = 2003  # not encrypted to the register's encryption certificate
    UNDECRYPTABLE = 2004  # encrypted to it, but cannot be decrypted
    UNSUPPORTED_ALGORITHM = 2005  # content encryption, key transport or digest not accepted
    NOT_SIGNED = 2006  # the decrypted content is no SignedData with attached content
    UNKNOWN_SENDER = 3001  # fromHerId is not in the address register
    WRONG_SIGNER = 3002  # not signed with fromHerId's registered signing certificate
    SIGNER_NOT_EMBEDDED = 3003  # the signing certificate is not in the SignedData
    BAD_SIGNATURE = 3004  # the signature does not verify
    CERTIFICATE_DATES = 3005  # the signing certificate is expired or not yet valid
    CERTIFICATE_REVOKED = 3006  # the signing certificate is revoked
    CERTIFICATE_UNTRUSTED = 3007  # the signing certificate is not from a trusted CA
    CERTIFICATE_INVALID = 3008  # other certificate problems (key usage, several at once)
    NOT_EVENT_MESSAGE = 4001  # the decrypted payload is not an IPLOS 56.0.0 message


class ErrorCode(IntEnum):
    """``errorCode`` of a 500 answer: a technical error, try again later."""

    TECHNICAL = 1002  # the readme's example: "Teknisk feil på løsning. Prøv igjen senere."
    REVOCATION_UNKNOWN = 1003  # the signer's revocation status cannot be determined now


#: The public example's text for a technical error.
TECHNICAL_MESSAGE = "Teknisk feil på løsning. Prøv igjen senere."

_BY_DESCRIPTION: dict[str, ValidationCode] = {
    decrypt.NOT_CMS: ValidationCode.NOT_CMS,
    decrypt.MALFORMED: ValidationCode.NOT_CMS,
    decrypt.NOT_FOR_RECEIVER: ValidationCode.WRONG_RECIPIENT,
    decrypt.DECRYPTION_FAILED: ValidationCode.UNDECRYPTABLE,
    NOT_SIGNED: ValidationCode.NOT_SIGNED,
    DETACHED: ValidationCode.NOT_SIGNED,
    NO_SENDER_CERTIFICATE: ValidationCode.WRONG_SIGNER,
    WRONG_SIGNER: ValidationCode.WRONG_SIGNER,
    NOT_EMBEDDED: ValidationCode.SIGNER_NOT_EMBEDDED,
    signature.INVALID_SIGNATURE: ValidationCode.BAD_SIGNATURE,
    NOT_EVENT_MESSAGE: ValidationCode.NOT_EVENT_MESSAGE,
}
#: Descriptions with a value filled in: matched by what comes before the value.
_BY_PREFIX: dict[str, ValidationCode] = {
    decrypt.NOT_ENVELOPED.split("{")[0]: ValidationCode.NOT_CMS,
}
_BY_CONDITION: dict[str, ValidationCode] = {
    errors.EXPIRED_CERTIFICATE: ValidationCode.CERTIFICATE_DATES,
    errors.REVOKED_CERTIFICATE: ValidationCode.CERTIFICATE_REVOKED,
    errors.UNVERIFIED_CERTIFICATE: ValidationCode.CERTIFICATE_UNTRUSTED,
    errors.INVALID_CERTIFICATE: ValidationCode.CERTIFICATE_INVALID,
    errors.MISSING_CERTIFICATE: ValidationCode.UNKNOWN_SENDER,
    UNSUPPORTED: ValidationCode.UNSUPPORTED_ALGORITHM,
    MISSING_FIELDS: ValidationCode.WRONG_RECEIVER,
}


def validation_code(error: TransportError) -> ValidationCode:
    """The code of a problem the receiver found (by description, else by condition)."""
    code = getattr(error, "validation_code", None)
    if isinstance(code, ValidationCode):
        return code
    found = _BY_DESCRIPTION.get(error.description)
    if found is not None:
        return found
    for prefix, prefixed in _BY_PREFIX.items():
        if error.description.startswith(prefix):
            return prefixed
    return _BY_CONDITION.get(error.condition, ValidationCode.CERTIFICATE_INVALID)
