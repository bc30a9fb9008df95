"""The address registry as typed, frozen values with the lookups the endpoint needs.

A :class:`Party` is one communication party (a HER-id). A level-2 service names its ``parent``
and inherits from it whatever it does not declare itself: its queues and its account (SASL user).
An account may send as its own HER-ids and those of their children, transitively. A party's
HelseID client (the HTTP route's login, docs/http-api.md) is inherited the same way.
Inheritance is resolved when the registry is loaded (:mod:`mockkpr.registry.load`), so the values
here are final.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from mockkpr.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Queues:
    """A party's queue short names: asynchronous messages, transport errors, dead letters."""

    asynchronous: str
    error: str
    dead_letter: str

    @classmethod
    def default(cls, her_id: int) -> Queues:
        """NHN's naming: ``{her_id}_async``, ``{her_id}_error``, ``{her_id}_dl``."""
        return cls(f"{her_id}_async", f"{her_id}_error", f"{her_id}_dl")


@dataclass(frozen=True, slots=True)
class SaslAccount:
    """The SASL PLAIN user name and password of an account. The password is never printed."""

    user: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class HelseIdClient:
    """A party's client at (mockkpr's fake) HelseID: who may fetch tokens for the HTTP route.

    ``public_key`` checks the client's assertions; ``private_key`` (and the file it came from)
    is present when mockkpr holds it, as for the test senders. ``scopes`` are the scopes the
    client may be given.
    """

    client_id: str
    public_key: rsa.RSAPublicKey
    key_id: str | None
    scopes: tuple[str, ...]
    private_key: rsa.RSAPrivateKey | None = None
    private_jwk_path: Path | None = None


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A certificate with its private key."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """Paths of the TLS server certificate and key (AMQP libraries want files, not objects)."""

    certificate: Path
    key: Path


@dataclass(frozen=True, slots=True)
class Party:
    """One communication party of the registry, with inheritance already resolved.

    ``queues``, ``account`` and ``client_id`` are effective values: declared by the party or
    inherited from its parent. ``sasl`` and ``helseid`` are what the party declares itself.
    Keys are present only for parties whose keys mockkpr holds (the KPR receiver it plays, and
    test senders).
    ``may_send_to`` lists the parties whose ``_async`` and ``_error`` queues this party's account
    may write to (by default no party's: only mockkpr writes there).
    """

    her_id: int
    name: str
    parent: int | None
    queues: Queues
    account: str | None
    signing_certificate: x509.Certificate
    encryption_certificate: x509.Certificate
    signing_key: rsa.RSAPrivateKey | None = None
    encryption_key: rsa.RSAPrivateKey | None = None
    previous_encryption: KeyPair | None = None
    sasl: SaslAccount | None = None
    cpa_id: str | None = None
    helseid: HelseIdClient | None = None  # declared by the party itself
    client_id: str | None = None  # effective: its own or inherited HelseID client
    may_send_to: frozenset[int] = frozenset()

    @property
    def signing(self) -> KeyPair | None:
        """Signing certificate and key, when mockkpr holds the key."""
        if self.signing_key is None:
            return None
        return KeyPair(self.signing_certificate, self.signing_key)

    def own_keys(self) -> list[tuple[x509.Certificate, rsa.RSAPrivateKey]]:
        """Decryption keys for :func:`mockkpr.cms.unprotect`: current first, then previous."""
        keys: list[tuple[x509.Certificate, rsa.RSAPrivateKey]] = []
        if self.encryption_key is not None:
            keys.append((self.encryption_certificate, self.encryption_key))
        if self.previous_encryption is not None:
            keys.append((self.previous_encryption.certificate, self.previous_encryption.key))
        return keys


@dataclass(frozen=True, slots=True)
class Registry:
    """The loaded address registry: trust anchor (object and file), CRL, TLS files, parties."""

    path: Path
    ca_certificate: x509.Certificate
    ca_path: Path  # the CA certificate's file, for TLS libraries that want a file
    crl: x509.CertificateRevocationList
    tls: TlsFiles | None
    parties: Mapping[int, Party]
    accounts: Mapping[str, SaslAccount]
    clients: Mapping[str, HelseIdClient] = field(default_factory=dict)

    def find(self, her_id: int) -> Party | None:
        """The party with this HER-id, or ``None``."""
        return self.parties.get(her_id)

    def party(self, her_id: int) -> Party:
        """The party with this HER-id; :class:`ConfigError` if the registry has none."""
        party = self.parties.get(her_id)
        if party is None:
            raise ConfigError(f"{self.path}: no party with HER-id {her_id}")
        return party

    def queues(self, her_id: int) -> Queues:
        """The queues of a party (its own or inherited); :class:`ConfigError` if unknown."""
        return self.party(her_id).queues

    def account_of(self, her_id: int) -> str | None:
        """The SASL user a HER-id belongs to (its own or inherited), ``None`` if unknown."""
        party = self.parties.get(her_id)
        return None if party is None else party.account

    def parties_of(self, user: str) -> tuple[Party, ...]:
        """The parties an account may send as: its own and their children, by HER-id."""
        return tuple(
            party for _, party in sorted(self.parties.items()) if party.account == user
        )

    def her_ids_of(self, user: str) -> frozenset[int]:
        """The HER-ids an account may use as ``fromHerId``."""
        return frozenset(party.her_id for party in self.parties_of(user))

    def check_password(self, user: str, password: str) -> bool:
        """Whether ``user`` is an account of the registry with this password."""
        account = self.accounts.get(user)
        return account is not None and secrets.compare_digest(
            account.password.encode(), password.encode()
        )

    def client(self, client_id: str) -> HelseIdClient | None:
        """The HelseID client with this id, or ``None``."""
        return self.clients.get(client_id)

    def her_ids_of_client(self, client_id: str) -> frozenset[int]:
        """The HER-ids a HelseID client may submit as: its party's and their children's."""
        return frozenset(
            her_id for her_id, party in self.parties.items() if party.client_id == client_id
        )
