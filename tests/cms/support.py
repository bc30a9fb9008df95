"""The generated test PKI the CMS tests share, with helpers to protect and unprotect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mockkpr.cms import UnprotectResult, protect, unprotect
from mockkpr.pki import Variant
from mockkpr.pki.testpki import variant_her_id
from mockkpr.registry import Party, Registry

RECEIVER = 131725
SENDER = 12345


@dataclass(frozen=True)
class Pki:
    """The registry of a generated test PKI, with the receiver and the sender at hand."""

    directory: Path
    registry: Registry
    receiver: Party
    sender: Party

    def variant(self, variant: Variant) -> Party:
        return self.registry.party(variant_her_id(SENDER, variant))

    def protect(self, payload: bytes, sender: Party | None = None, **kwargs: Any) -> bytes:
        """``payload`` signed by ``sender`` (default the sender) and encrypted to the receiver."""
        party = sender or self.sender
        assert party.signing_key is not None
        options: dict[str, Any] = {
            "signer_cert": party.signing_certificate,
            "signer_key": party.signing_key,
            "recipient_cert": self.receiver.encryption_certificate,
        }
        options.update(kwargs)
        return protect(payload, **options)

    def unprotect(
        self, data: bytes, expected: Party | None = None, **kwargs: Any
    ) -> UnprotectResult:
        """Unprotect as the receiver, expecting ``expected``'s signing certificate."""
        options: dict[str, Any] = {
            "own_keys": self.receiver.own_keys(),
            "expected_signer": (expected or self.sender).signing_certificate,
            "ca_certs": [self.registry.ca_certificate],
            "crls": [self.registry.crl],
            "now": datetime.now(UTC),
            "allow_3des": False,
        }
        options.update(kwargs)
        return unprotect(data, **options)
