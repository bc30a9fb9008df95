"""Damaged input never escapes as anything but CmsError (or an unharmed payload)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockkpr.cms import CmsError, envelope, sign
from tests.cms.support import Pki

# damaged embedded certificates may have a non-positive serial, which cryptography warns about
pytestmark = pytest.mark.filterwarnings(
    "ignore::cryptography.utils.CryptographyDeprecationWarning"
)

PAYLOAD = b"<KPR_IPL><Rad>synthetic</Rad></KPR_IPL>"
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def signed(pki: Pki) -> bytes:
    assert pki.sender.signing_key is not None
    return sign(
        PAYLOAD, signer_cert=pki.sender.signing_certificate, signer_key=pki.sender.signing_key
    )


def _damage(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    damaged = bytearray(data)
    for position, value in edits:
        damaged[position % len(damaged)] = value
    return bytes(damaged if cut is None else damaged[: cut % len(damaged)])


def _outcome(pki: Pki, data: bytes) -> None:
    try:
        result = pki.unprotect(data)
    except CmsError:
        return
    assert result.payload == PAYLOAD


EDITS = st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1, max_size=4)
CUTS = st.none() | st.integers(0, 1 << 16)


@FUZZ
@given(edits=EDITS, cut=CUTS)
def test_damaged_envelope(pki: Pki, edits: list[tuple[int, int]], cut: int | None) -> None:
    _outcome(pki, _damage(pki.protect(PAYLOAD), edits, cut))


@FUZZ
@given(edits=EDITS, cut=CUTS)
def test_damaged_signed_data(
    pki: Pki, signed: bytes, edits: list[tuple[int, int]], cut: int | None
) -> None:
    data = envelope(_damage(signed, edits, cut), recipient_cert=pki.receiver.encryption_certificate)
    _outcome(pki, data)
