"""What the receiver learnt about a message: ``JournalEntry.details`` (docs/observations.md).

The AMQP layer fills ``wire.*`` (:mod:`mockkpr.endpoint.wire`, carried on the
:class:`~mockkpr.service.messages.InboundMessage`); the receiver adds ``cms.*`` once the
payload is opened and ``group.*`` for a message that came in parts. Values are JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mockkpr.cms import UnprotectResult
from mockkpr.cms.certificates import is_self_signed

#: The part meta key holding the connection a part came on.
PART_CONNECTION = "connection_id"


def cms_details(result: UnprotectResult) -> dict[str, Any]:
    """``cms.*``: how the payload was signed and encrypted.

    ``cms.embedded_chain`` lists the subjects (RFC 4514) of the certificates embedded in the
    SignedData, in the order they came; ``cms.embedded_root`` says whether one is self-signed.
    """
    embedded = result.embedded_certificates
    return {
        "cms.cipher": result.cipher,
        "cms.digest": result.digest,
        "cms.signed_attributes": result.signed_attributes,
        "cms.embedded_root": any(is_self_signed(cert) for cert in embedded),
        "cms.embedded_chain": [cert.subject.rfc4514_string() for cert in embedded],
        "cms.recipient_id": result.recipient_id,
        "cms.signer_id": result.signer_id,
        "cms.recipients": result.recipients,
        "cms.previous_key": result.previous_key,
        "cms.deviations": list(result.deviations),
    }


def group_details(group_id: str, metas: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``group.*``: a message reassembled from ``metas`` (each part's meta, in sequence order).

    ``group.connection_ids`` holds the connection each part came on (``wire.connection_id``).
    """
    return {
        "group.id": group_id,
        "group.parts": len(metas),
        "group.part_message_ids": [meta.get("message_id") for meta in metas],
        "group.connection_ids": [meta.get(PART_CONNECTION) for meta in metas],
    }
