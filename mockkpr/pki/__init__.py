"""The test PKI: a test CA, party certificates with the profile's key usages, a CRL, bad variants.

:mod:`mockkpr.pki.build` makes single certificates, keys and CRLs; :mod:`mockkpr.pki.files`
reads and writes PEM; :mod:`mockkpr.pki.testpki` creates a whole PKI with a matching address
registry in a directory (``mockkpr pki init``). Test material only: keys are unencrypted.
"""

from mockkpr.pki.build import (
    CA_NAME,
    Issued,
    Publication,
    Usage,
    her_id_of,
    issue,
    make_ca,
    make_crl,
)
from mockkpr.pki.testpki import DEFAULT_PKI_URL, GeneratedPki, PartySpec, Variant, create_test_pki

__all__ = [
    "CA_NAME",
    "DEFAULT_PKI_URL",
    "GeneratedPki",
    "Issued",
    "PartySpec",
    "Publication",
    "Usage",
    "Variant",
    "create_test_pki",
    "her_id_of",
    "issue",
    "make_ca",
    "make_crl",
]
