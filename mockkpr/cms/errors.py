"""What can go wrong when a payload is unprotected, as the profile's transport errors (§4).

Every failure is a :class:`CmsError`: a :class:`~mockkpr.errors.TransportError` whose
``condition`` and ``description`` are sent in the transport error message, plus the AppRec code
(code list 8221) the problem corresponds to where a receipt is sent instead (``S01`` signature,
``S02`` invalid certificate, ``S03`` revoked certificate; ``None`` when the payload cannot be read
at all, so no receipt can refer to it).

A revocation status that cannot be determined is *not* an error the sender hears about: the
profile retries such a message later. It is :class:`RevocationStatusUnknown`, deliberately not a
``TransportError``, so that an endpoint that only catches transport errors leaves the delivery
unsettled instead of answering it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockkpr.errors import PkiError, TransportError

if TYPE_CHECKING:
    from mockkpr.cms.unprotect import UnprotectResult

INVALID_CERTIFICATE = "transport:invalid-certificate"
EXPIRED_CERTIFICATE = "transport:expired-certificate"
REVOKED_CERTIFICATE = "transport:revoked-certificate"
MISSING_CERTIFICATE = "transport:missing-certificate"
UNVERIFIED_CERTIFICATE = "transport:unverified-certificate"
UNSUPPORTED_MESSAGE = "transport:unsupported-message"

APPREC_SIGNATURE = "S01"
APPREC_INVALID_CERTIFICATE = "S02"
APPREC_REVOKED_CERTIFICATE = "S03"

MORE_THAN_ONE = "More than one error with certificate"


class CmsError(TransportError):
    """A payload that cannot be decrypted, verified or trusted; answered with a transport error.

    ``apprec_code`` is the code-list 8221 error a receipt would carry for the same problem, or
    ``None`` when the payload could not be decrypted (no receipt can then name the message).
    """

    def __init__(
        self,
        condition: str,
        description: str,
        data: tuple[str, ...] = (),
        *,
        apprec_code: str | None = None,
    ) -> None:
        super().__init__(condition, description, data)
        self.apprec_code = apprec_code


@dataclass(frozen=True, slots=True)
class CertificateProblem:
    """One thing wrong with a certificate, found by the checks after the signature is verified."""

    condition: str
    description: str
    apprec_code: str

    def as_error(self) -> CmsError:
        """This problem alone, as the error the sender is told about."""
        return CmsError(self.condition, self.description, apprec_code=self.apprec_code)


def combine(problems: list[CertificateProblem]) -> CmsError:
    """The error for one or more certificate problems (profile §4).

    One problem is reported as itself; several as ``transport:invalid-certificate`` with the
    description ``More than one error with certificate`` and each problem's description as a data
    item, and AppRec code ``S02`` (invalid certificate).
    """
    if not problems:
        raise ValueError("combine() needs at least one problem")
    if len(problems) == 1:
        return problems[0].as_error()
    return CmsError(
        INVALID_CERTIFICATE,
        MORE_THAN_ONE,
        tuple(problem.description for problem in problems),
        apprec_code=APPREC_INVALID_CERTIFICATE,
    )


class RevocationStatusUnknown(PkiError):
    """The payload is fine in every other respect, but no usable CRL covers the signer.

    The profile does not report this to the sender; the receiver retries later. An endpoint
    should leave the delivery unsettled (and settle it ``modified`` after a while). ``result``
    holds everything that was unprotected, for logging; ``reason`` says why no status is known.
    """

    def __init__(self, reason: str, result: UnprotectResult) -> None:
        super().__init__(f"revocation status of the signing certificate unknown: {reason}")
        self.reason = reason
        self.result = result
