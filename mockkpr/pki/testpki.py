"""Creating a complete test PKI and the matching address registry in one directory.

Layout (paths relative to the directory; ``UNENCRYPTED`` marks private keys without a
passphrase)::

    README.txt                              what this is: test material, never for production
    registry.yaml                           the address registry (holds SASL passwords; mode 0600)
    ca/ca-cert.pem                          the test CA (self-signed, RSA-2048)
    ca/ca-key.UNENCRYPTED.pem               its key, to issue more certificates or CRLs
    ca/crl.pem                              CRL of the test CA (lists the ``revoked`` variants)
    tls/localhost-cert.pem                  TLS server certificate: DNS:localhost, IP:127.0.0.1
    tls/localhost-key.UNENCRYPTED.pem
    parties/{her_id}/signing-cert.pem       nonRepudiation
    parties/{her_id}/signing-key.UNENCRYPTED.pem
    parties/{her_id}/encryption-cert.pem    keyEncipherment
    parties/{her_id}/encryption-key.UNENCRYPTED.pem
    parties/{her_id}/previous-encryption-cert.pem            receiver only: a "legacy" key
    parties/{her_id}/helseid-jwk.public.json                 senders: HelseID client key
    parties/{her_id}/helseid-jwk.UNENCRYPTED.json            (public and private JWK)
    parties/{her_id}/previous-encryption-key.UNENCRYPTED.pem
    unknown-ca/ca-cert.pem                  only with the unknown-ca variant: a CA nobody trusts
    parties/{receiver}/forged/{problem}-signing-cert.pem      receiver only, for fault injection
    parties/{receiver}/forged/{problem}-signing-key.UNENCRYPTED.pem

The first party is the **receiver** (the KPR that mockkpr plays); the others are senders. Every
party gets keys (a test PKI serves both sides) and a SASL account ``mockkpr-{her_id}`` with a
random password that is written only to ``registry.yaml``. Every sender also gets a client at
mockkpr's fake HelseID (the HTTP route): a random client id (a UUID) and an RSA JWK.

Variants are bad signing certificates for testing the receiver's checks. Each sender gets one
*variant party* per requested variant: a level-2 child (``parent`` = the sender, so it shares the
sender's queues, account and encryption certificate) with HER-id ``her_id * 10 + n`` and its own
signing certificate: n=1 ``expired``, 2 ``not-yet-valid``, 3 ``wrong-usage`` (keyEncipherment
instead of nonRepudiation), 4 ``revoked`` (listed in the CRL), 5 ``unknown-ca`` (issued by a CA
that is not the registry's). Sending as that HER-id makes the receiver expect that certificate.

*Forged* signing certificates of the receiver let fault injection sign an AppRec badly
(:mod:`mockkpr.faults.forged`): with the receiver's name but ``expired`` (valid until yesterday),
``revoked`` (listed in the CRL) or ``unknown`` (issued by a CA nobody trusts). They share one key
and are not in the registry: the receiver's registered signing certificate stays the good one.
"""

from __future__ import annotations

import secrets
import shutil
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from mockkpr.errors import ConfigError
from mockkpr.pki import build, files, jwk

REGISTRY_FILE = "registry.yaml"
#: Directory of the receiver's forged signing certificates, below ``parties/{her_id}``.
FORGED_DIR = "forged"
#: The forged certificates made for the receiver, by problem.
FORGED_PROBLEMS = ("expired", "revoked", "unknown")
_WRITTEN = ("README.txt", REGISTRY_FILE, "ca", "tls", "parties", "unknown-ca")
VALID_DAYS = 730

README = """\
mockkpr test PKI and address registry - NOT FOR PRODUCTION

Everything here is synthetic test material made by `mockkpr pki init`.
Private keys (*.UNENCRYPTED.pem) have no passphrase. registry.yaml holds the
SASL passwords of the test accounts. Do not use any of it outside tests.
"""


class Variant(Enum):
    """A bad signing certificate that can be requested for each sender."""

    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    WRONG_USAGE = "wrong-usage"
    REVOKED = "revoked"
    UNKNOWN_CA = "unknown-ca"

    @property
    def digit(self) -> int:
        """The last digit of the variant party's HER-id."""
        return list(Variant).index(self) + 1


@dataclass(frozen=True, slots=True)
class PartySpec:
    """A party to create: HER-id and name."""

    her_id: int
    name: str


@dataclass(frozen=True, slots=True)
class GeneratedPki:
    """What :func:`create_test_pki` made."""

    directory: Path
    registry_file: Path
    receiver: int
    variants: dict[int, tuple[int, Variant]]  # variant HER-id -> (sender HER-id, variant)


def variant_her_id(her_id: int, variant: Variant) -> int:
    """HER-id of the variant party of a sender: ``her_id * 10 + variant.digit``."""
    return her_id * 10 + variant.digit


def _check(parties: Sequence[PartySpec], variants: Collection[Variant]) -> dict[int, int]:
    if not parties:
        raise ConfigError("a test PKI needs at least one party (the receiver)")
    seen: set[int] = set()
    for party in parties:
        if party.her_id <= 0:
            raise ConfigError(f"party {party.her_id}: HER-id must be a positive number")
        if not party.name.strip():
            raise ConfigError(f"party {party.her_id}: name is empty")
        if party.her_id in seen:
            raise ConfigError(f"party {party.her_id}: HER-id given more than once")
        seen.add(party.her_id)
    variant_ids: dict[int, int] = {}
    for party in parties[1:]:
        for variant in variants:
            vid = variant_her_id(party.her_id, variant)
            if vid in seen or vid in variant_ids:
                raise ConfigError(
                    f"party {party.her_id}: the HER-id {vid} of its {variant.value} variant "
                    "is already taken"
                )
            variant_ids[vid] = party.her_id
    return variant_ids


def _prepare(directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"{directory} exists and is not a directory")
    if directory.exists() and any(directory.iterdir()):
        if not force:
            raise ConfigError(
                f"{directory} is not empty; use --force to replace the test PKI in it"
            )
        for name in _WRITTEN:  # only what a test PKI consists of, never anything else
            target = directory / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    directory.mkdir(parents=True, exist_ok=True)


class _Writer:
    def __init__(self, directory: Path, *, private: bool = True) -> None:
        self.directory = directory
        self.private = private  # keys and registry readable by the owner only

    def cert(self, relative: str, issued: build.Issued, key_relative: str) -> dict[str, str]:
        files.write_file(self.directory / relative, files.certificate_pem(issued.certificate))
        files.write_file(
            self.directory / key_relative, files.key_pem(issued.key), private=self.private
        )
        return {"certificate": relative, "key": key_relative}


def create_test_pki(
    directory: Path,
    parties: Sequence[PartySpec],
    *,
    variants: Collection[Variant] = (),
    now: datetime | None = None,
    force: bool = False,
    passwords: Mapping[int, str] | None = None,
    tls_names: Sequence[str] = (),
    readable_keys: bool = False,
    client_ids: Mapping[int, str] | None = None,
) -> GeneratedPki:
    """Create the test PKI and ``registry.yaml`` in ``directory`` (layout in the module doc).

    Refuses a non-empty ``directory`` unless ``force``, which replaces only the files and
    directories a test PKI consists of. SASL passwords are random unless ``passwords`` gives
    one for a HER-id (the documented defaults of a first start use that); HelseID client ids
    are random UUIDs unless ``client_ids`` gives one. The TLS certificate is for localhost and
    127.0.0.1 plus ``tls_names``. Private keys and the registry (which holds passwords) are
    readable by the owner only, unless ``readable_keys`` (for a container that runs as another
    user, like the mockkpr image's uid 10001). Raises
    :class:`ConfigError` for unusable input.
    """
    _check(parties, variants)
    now = now or datetime.now(UTC)
    _prepare(directory, force)
    writer = _Writer(directory, private=not readable_keys)
    ca = build.make_ca(now)
    writer.cert("ca/ca-cert.pem", ca, "ca/ca-key.UNENCRYPTED.pem")
    tls = build.issue(
        ca,
        build.simple_name("localhost"),
        build.Usage.TLS_SERVER,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=VALID_DAYS),
        names=tls_names,
    )
    tls_paths = writer.cert("tls/localhost-cert.pem", tls, "tls/localhost-key.UNENCRYPTED.pem")
    unknown_ca = build.make_ca(now, name=build.UNKNOWN_CA_NAME) if (
        Variant.UNKNOWN_CA in variants
    ) else None
    if unknown_ca is not None:
        files.write_file(
            directory / "unknown-ca/ca-cert.pem", files.certificate_pem(unknown_ca.certificate)
        )

    entries: list[dict[str, Any]] = []
    revoked: list[build.Issued] = []
    made: dict[int, tuple[int, Variant]] = {}
    for index, party in enumerate(parties):
        entry = _party(writer, ca, party, now, receiver=index == 0,
                       password=(passwords or {}).get(party.her_id),
                       client_id=(client_ids or {}).get(party.her_id))
        entries.append(entry)
        if index == 0:
            continue
        for variant in variants:
            vid = variant_her_id(party.her_id, variant)
            issued = _variant_certificate(ca, unknown_ca, party, variant, now)
            if variant is Variant.REVOKED:
                revoked.append(issued)
            paths = writer.cert(
                f"parties/{vid}/signing-cert.pem",
                issued,
                f"parties/{vid}/signing-key.UNENCRYPTED.pem",
            )
            entries.append(
                {
                    "her_id": vid,
                    "name": f"{party.name} (variant: {variant.value} signing certificate)",
                    "parent": party.her_id,
                    "signing_certificate": paths["certificate"],
                    "signing_key": paths["key"],
                    "encryption_certificate": entry["encryption_certificate"],
                    "encryption_key": entry["encryption_key"],
                }
            )
            made[vid] = (party.her_id, variant)
    revoked.append(_forged(writer, ca, unknown_ca, parties[0], now))
    crl = build.make_crl(ca, [item.certificate for item in revoked], now)
    files.write_file(directory / "ca/crl.pem", files.crl_pem(crl))

    registry: dict[str, Any] = {
        "ca_certificate": "ca/ca-cert.pem",
        "crl": "ca/crl.pem",
        "tls": tls_paths,
        "parties": entries,
    }
    header = (
        "# mockkpr address registry for a TEST PKI - not for production.\n"
        "# Written by `mockkpr pki init`; holds SASL passwords.\n"
        "# Format: `mockkpr docs pki-and-registry`\n"
    )
    registry_file = directory / REGISTRY_FILE
    text = header + yaml.safe_dump(registry, sort_keys=False, allow_unicode=True)
    files.write_file(registry_file, text.encode(), private=not readable_keys)
    files.write_file(directory / "README.txt", README.encode())
    if readable_keys:  # whatever the umask: every user may read the files and enter the folders
        for path in [directory, *(directory / name for name in _WRITTEN)]:
            for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
                if item.exists():
                    item.chmod(0o755 if item.is_dir() else 0o644)
    return GeneratedPki(directory, registry_file, parties[0].her_id, made)


def _party(
    writer: _Writer, ca: build.Issued, party: PartySpec, now: datetime, *, receiver: bool,
    password: str | None = None, client_id: str | None = None,
) -> dict[str, Any]:
    subject = build.party_name(party.her_id, party.name)
    start, end = now - timedelta(days=1), now + timedelta(days=VALID_DAYS)
    base = f"parties/{party.her_id}"
    signing = writer.cert(
        f"{base}/signing-cert.pem",
        build.issue(ca, subject, build.Usage.SIGNING, not_before=start, not_after=end),
        f"{base}/signing-key.UNENCRYPTED.pem",
    )
    encryption = writer.cert(
        f"{base}/encryption-cert.pem",
        build.issue(ca, subject, build.Usage.ENCRYPTION, not_before=start, not_after=end),
        f"{base}/encryption-key.UNENCRYPTED.pem",
    )
    entry: dict[str, Any] = {
        "her_id": party.her_id,
        "name": party.name,
        "signing_certificate": signing["certificate"],
        "signing_key": signing["key"],
        "encryption_certificate": encryption["certificate"],
        "encryption_key": encryption["key"],
    }
    if receiver:
        previous = writer.cert(
            f"{base}/previous-encryption-cert.pem",
            build.issue(ca, subject, build.Usage.ENCRYPTION, not_before=start, not_after=end),
            f"{base}/previous-encryption-key.UNENCRYPTED.pem",
        )
        entry["previous_encryption_certificate"] = previous["certificate"]
        entry["previous_encryption_key"] = previous["key"]
    entry["sasl"] = {"user": f"mockkpr-{party.her_id}",
                     "password": password or secrets.token_urlsafe(24)}
    if not receiver:
        entry["helseid"] = _helseid_client(writer, base, client_id)
    return entry


def _helseid_client(writer: _Writer, base: str, client_id: str | None) -> dict[str, Any]:
    """A sender's HelseID client: its id and JWK files (the private one like a private key)."""
    key = jwk.new_client_key()
    public, private = f"{base}/helseid-jwk.public.json", f"{base}/helseid-jwk.UNENCRYPTED.json"
    files.write_file(writer.directory / public, jwk.jwk_json(key, private=False))
    files.write_file(writer.directory / private, jwk.jwk_json(key, private=True), private=True)
    return {"client_id": client_id or str(uuid.uuid4()), "public_jwk": public,
            "private_jwk": private}


def _forged(writer: _Writer, ca: build.Issued, unknown_ca: build.Issued | None,
            receiver: PartySpec, now: datetime) -> build.Issued:
    """Write the receiver's forged signing certificates; return the one to revoke."""
    subject = build.party_name(receiver.her_id, receiver.name)
    key = build.new_key()
    untrusted = unknown_ca or build.make_ca(now, name=build.UNKNOWN_CA_NAME)
    start, end = now - timedelta(days=1), now + timedelta(days=VALID_DAYS)
    made = {
        "expired": build.issue(ca, subject, build.Usage.SIGNING, key=key,
                               not_before=now - timedelta(days=VALID_DAYS),
                               not_after=now - timedelta(days=1)),
        "revoked": build.issue(ca, subject, build.Usage.SIGNING, key=key, not_before=start,
                               not_after=end),
        "unknown": build.issue(untrusted, subject, build.Usage.SIGNING, key=key,
                               not_before=start, not_after=end),
    }
    base = f"parties/{receiver.her_id}/{FORGED_DIR}"
    for problem, issued in made.items():
        writer.cert(f"{base}/{problem}-signing-cert.pem", issued,
                    f"{base}/{problem}-signing-key.UNENCRYPTED.pem")
    return made["revoked"]


def _variant_certificate(
    ca: build.Issued,
    unknown_ca: build.Issued | None,
    party: PartySpec,
    variant: Variant,
    now: datetime,
) -> build.Issued:
    subject = build.party_name(party.her_id, party.name)
    not_before, not_after = now - timedelta(days=1), now + timedelta(days=VALID_DAYS)
    usage, issuer = build.Usage.SIGNING, ca
    if variant is Variant.EXPIRED:
        not_before, not_after = now - timedelta(days=VALID_DAYS), now - timedelta(days=1)
    elif variant is Variant.NOT_YET_VALID:
        not_before = now + timedelta(days=30)
    elif variant is Variant.WRONG_USAGE:
        usage = build.Usage.WRONG_SIGNING
    elif variant is Variant.UNKNOWN_CA:
        assert unknown_ca is not None
        issuer = unknown_ca
    return build.issue(issuer, subject, usage, not_before=not_before, not_after=not_after)
