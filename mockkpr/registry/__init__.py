"""The address registry: who the parties are, their queues, certificates, keys and accounts.

It stands in for NHN's address register (AR) and the collaboration agreements (profile §7).
One YAML file (format in docs/pki-and-registry.md) is loaded by :func:`load_registry` into a
frozen :class:`Registry`; `mockkpr pki init` writes a matching one for a test PKI.
"""

from mockkpr.registry.load import load_registry
from mockkpr.registry.model import KeyPair, Party, Queues, Registry, SaslAccount, TlsFiles

REGISTRY_FILE = "registry.yaml"

__all__ = [
    "REGISTRY_FILE",
    "KeyPair",
    "Party",
    "Queues",
    "Registry",
    "SaslAccount",
    "TlsFiles",
    "load_registry",
]
