"""The address registry: who the parties are, their queues, certificates, keys and accounts.

It stands in for NHN's address register (AR) and the collaboration agreements (profile §7).
One YAML file (format in docs/pki-and-registry.md) is loaded by :func:`load_registry` into a
frozen :class:`Registry`; `mockkpr pki init` writes a matching one for a test PKI.
"""

from mockkpr.registry._helseid import DEFAULT_SCOPES, IPLOS_SCOPE
from mockkpr.registry.load import load_registry
from mockkpr.registry.model import (
    HelseIdClient,
    KeyPair,
    Party,
    Queues,
    Registry,
    SaslAccount,
    TlsFiles,
)

REGISTRY_FILE = "registry.yaml"

__all__ = [
    "DEFAULT_SCOPES",
    "IPLOS_SCOPE",
    "REGISTRY_FILE",
    "HelseIdClient",
    "KeyPair",
    "Party",
    "Queues",
    "Registry",
    "SaslAccount",
    "TlsFiles",
    "load_registry",
]
