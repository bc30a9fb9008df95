"""The reference sender's MsgHead: the message function it picks from the document's root."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockkpr.client.sender import KprClient
from mockkpr.errors import InputError
from mockkpr.registry import Registry

VALID = Path(__file__).parents[2] / "fixtures" / "valid"
IDENTITY = (VALID / "kpr-ide-1.xml").read_bytes()
ANNUAL = (VALID / "iplos-2019.xml").read_bytes()
# A long comment before the root: its start tag is far from the first bytes.
PROLOGUE = b"<!--" + b" x" * 5000 + b" -->\n"


def _client(registry: Registry) -> KprClient:
    return KprClient("amqps://localhost:5671/NHNTESTServiceBus", registry, 12345)


@pytest.mark.parametrize(("document", "function"), [
    (IDENTITY, "KPR_IDE"), (ANNUAL, "KPR_IPL"),
    (IDENTITY.replace(b"<IdentMelding", PROLOGUE + b"<IdentMelding", 1), "KPR_IDE"),
    (ANNUAL.replace(b"<IPLOS", PROLOGUE + b"<IPLOS", 1), "KPR_IPL"),
], ids=["identity", "annual", "identity-late-root", "annual-late-root"])
def test_the_function_follows_the_documents_root(session_registry: Registry, document: bytes,
                                                 function: str) -> None:
    xml, _, chosen = _client(session_registry).envelope(document)
    assert chosen == function
    assert f'<Type V="{function}"'.encode() in xml


def test_a_document_broken_after_its_first_bytes_is_refused(session_registry: Registry) -> None:
    """Its root names a format, but the document is still read whole before it is sent."""
    broken = IDENTITY.replace(b"</IdentMelding>", b"</IdentMeldingX>")
    assert broken != IDENTITY
    with pytest.raises(InputError, match=r"cannot wrap the document in a MsgHead: cannot wrap "
                                         r"the payload: line \d+: payload is not well-formed "
                                         r"XML: Opening and ending tag mismatch"):
        _client(session_registry).envelope(broken)
