"""The bad keys a forged AppRec is signed or encrypted with, and how its content is changed.

Signers come from the test PKI (:mod:`mockkpr.pki.testpki` writes them next to the receiver's
own keys): certificates with the KPR receiver's name that are ``expired``, ``revoked`` (in the
registry's CRL) or issued by an ``unknown`` CA. ``other-party-certificate`` signs with another
party's valid signing certificate from the registry (on NHN every party's certificate chains to
the same CAs: a sender that checks only the chain accepts it). ``changed-content`` keeps KPR's
genuine signature and changes the AppRec under it (:func:`changed_content`). ``wrong-key``
encrypts the AppRec to the receiver's own encryption certificate instead of the sender's;
``wrong-recipient`` to another party's (a sender holding several parties' keys must still
refuse it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import cms as acms
from cryptography import x509
from lxml import etree

from mockkpr.errors import ConfigError, PkiError
from mockkpr.pki import files
from mockkpr.pki.testpki import FORGED_DIR
from mockkpr.registry import KeyPair, Party, Registry

#: forged-apprec ``problem`` → file name prefix in the forged directory.
SIGNER_FILES = {
    "expired-certificate": "expired",
    "revoked-certificate": "revoked",
    "unknown-certificate": "unknown",
}
WRONG_KEY = "wrong-key"
WRONG_RECIPIENT = "wrong-recipient"
OTHER_PARTY = "other-party-certificate"
CHANGED_CONTENT = "changed-content"
#: What changed-content writes into the AppRec's Status (a verdict KPR never signed).
CHANGED_STATUS = ("2", "Avvist")


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
        if problem in (WRONG_KEY, WRONG_RECIPIENT, OTHER_PARTY, CHANGED_CONTENT):
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

    def _others(self, recipient: int | None) -> Iterator[Party]:
        """Parties that are neither KPR nor ``recipient`` (nor of its family), in HER-id order."""
        family = {recipient}
        if recipient is not None and (found := self.registry.find(recipient)) is not None:
            family.add(found.parent)
        family.discard(None)
        for her_id in sorted(self.registry.parties):
            party = self.registry.parties[her_id]
            if her_id != self.kpr_her_id and her_id not in family and party.parent not in family:
                yield party

    def other_party(self, recipient: int | None) -> KeyPair:
        """Another party's valid signing certificate and key (issued by the registry's CA, in
        date, not revoked); the recipient's own when there is no other."""
        now = datetime.now(UTC)
        revoked = {r.serial_number for r in self.registry.crl}
        for party in self._others(recipient):
            pair, cert = party.signing, party.signing_certificate
            if pair is not None and cert.issuer == self.registry.ca_certificate.subject and \
                    cert.not_valid_before_utc <= now <= cert.not_valid_after_utc and \
                    cert.serial_number not in revoked:
                return pair
        own = self.registry.find(recipient) if recipient is not None else None
        if own is None or own.signing is None:
            raise ConfigError("forged-apprec other-party-certificate: no party other than KPR "
                              "holds a signing key in the registry")
        return own.signing

    def other_recipient(self, recipient: int | None) -> x509.Certificate:
        """Another party's encryption certificate (not the recipient's, not KPR's); KPR's own
        when the registry has no other."""
        own = self.registry.find(recipient) if recipient is not None else None
        mine = own.encryption_certificate if own is not None else None
        for party in self._others(recipient):
            if party.encryption_certificate != mine:
                return party.encryption_certificate
        return self.wrong_recipient()


def changed_content(signed_data: bytes) -> bytes:
    """The SignedData ``signed_data`` (DER ContentInfo) with its AppRec changed under the
    signature that stays: the Status says rejected (or, if it did, OK). The signature is KPR's
    own and verifies the original content only."""
    info: Any = acms.ContentInfo.load(signed_data)
    content = info["content"]
    original = bytes(content["encap_content_info"]["content"].native)
    root = etree.fromstring(original, etree.XMLParser(resolve_entities=False, no_network=True))
    status = next((e for e in root.iter() if isinstance(e.tag, str)
                   and etree.QName(e).localname == "Status"), None)
    if status is None:
        raise ConfigError("forged-apprec changed-content: the AppRec has no Status to change")
    value, text = CHANGED_STATUS if status.get("V") != CHANGED_STATUS[0] else ("1", "OK")
    status.set("V", value)
    status.set("DN", text)
    changed = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
    content["encap_content_info"] = acms.ContentInfo(
        {"content_type": "data", "content": bytes(changed)})
    return bytes(info.dump(force=True))
