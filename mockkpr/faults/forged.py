"""The bad keys a forged AppRec is signed or encrypted with.

Signers come from the test PKI (:mod:`mockkpr.pki.testpki` writes them next to the receiver's
own keys): certificates with the KPR receiver's name that are ``expired``, ``revoked`` (in the
registry's CRL) or issued by an ``unknown`` CA. ``wrong-key`` encrypts the AppRec to the
receiver's own encryption certificate instead of the sender's, so the sender cannot decrypt it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from cryptography import x509

from mockkpr.errors import ConfigError, PkiError
from mockkpr.pki import files
from mockkpr.pki.testpki import FORGED_DIR
from mockkpr.registry import KeyPair, Registry

#: forged-apprec ``problem`` → file name prefix in the forged directory.
SIGNER_FILES = {
    "expired-certificate": "expired",
    "revoked-certificate": "revoked",
    "unknown-certificate": "unknown",
}
WRONG_KEY = "wrong-key"


class ForgedKeys:
    """Loads (once) and hands out the forged signers of the KPR receiver ``kpr_her_id``."""

    def __init__(self, registry: Registry, kpr_her_id: int) -> None:
        self.registry = registry
        self.kpr_her_id = kpr_her_id
        self.directory = registry.path.parent / "parties" / str(kpr_her_id) / FORGED_DIR
        self._loaded: dict[str, KeyPair] = {}
        self._lock = threading.Lock()

    def _paths(self, problem: str) -> tuple[Path, Path]:
        prefix = SIGNER_FILES[problem]
        return (self.directory / f"{prefix}-signing-cert.pem",
                self.directory / f"{prefix}-signing-key.UNENCRYPTED.pem")

    def check(self, problem: str) -> None:
        """Raise :class:`ConfigError` when ``problem`` cannot be produced with this registry."""
        if problem == WRONG_KEY:
            return
        for path in self._paths(problem):
            if not path.is_file():
                raise ConfigError(
                    f"forged-apprec {problem}: {path} does not exist; forged AppRecs need the "
                    "test PKI made by `mockkpr pki init` (or a first start), which writes the "
                    f"receiver's forged certificates to {self.directory}")

    def signer(self, problem: str) -> KeyPair:
        """The certificate and key that sign an AppRec with ``problem``."""
        with self._lock:
            if problem not in self._loaded:
                self.check(problem)
                cert_path, key_path = self._paths(problem)
                try:
                    cert = files.load_certificate(cert_path)
                    key = files.load_private_key(key_path)
                except (PkiError, OSError, ValueError) as exc:
                    raise ConfigError(f"forged-apprec {problem}: {exc}") from None
                self._loaded[problem] = KeyPair(cert, key)
            return self._loaded[problem]

    def wrong_recipient(self) -> x509.Certificate:
        """A certificate the sender holds no key for: the receiver's own encryption one."""
        return self.registry.party(self.kpr_her_id).encryption_certificate
