"""Loading the address registry from its YAML file (format: docs/pki-and-registry.md).

The file is read with ``yaml.safe_load``, its shape checked with pydantic (unknown keys are
errors), every certificate, key and CRL loaded from paths relative to the file, and the parties
checked against each other (duplicate HER-ids, unknown parents, parent cycles, keys that do not
belong to their certificates, one user with two passwords). Every problem is a
:class:`~mockkpr.errors.ConfigError` whose message names the file, the party and the problem.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError

from mockkpr.errors import ConfigError, PkiError
from mockkpr.pki import files
from mockkpr.registry._helseid import HelseIdSpec, load_client
from mockkpr.registry.model import (
    HelseIdClient,
    KeyPair,
    Party,
    Queues,
    Registry,
    SaslAccount,
    TlsFiles,
)

_STRICT = ConfigDict(extra="forbid", frozen=True)


class _QueuesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    asynchronous: str | None = Field(None, alias="async", min_length=1)
    error: str | None = Field(None, min_length=1)
    dl: str | None = Field(None, min_length=1)


class _SaslSpec(BaseModel):
    model_config = _STRICT

    user: str = Field(min_length=1)
    password: str = Field(min_length=1)


class _TlsSpec(BaseModel):
    model_config = _STRICT

    certificate: str
    key: str


class _PartySpec(BaseModel):
    model_config = _STRICT

    her_id: PositiveInt
    name: str = Field(min_length=1)
    parent: PositiveInt | None = None
    queues: _QueuesSpec | None = None
    signing_certificate: str
    encryption_certificate: str
    signing_key: str | None = None
    encryption_key: str | None = None
    previous_encryption_certificate: str | None = None
    previous_encryption_key: str | None = None
    sasl: _SaslSpec | None = None
    cpa_id: str | None = Field(None, min_length=1)
    helseid: HelseIdSpec | None = None
    may_send_to: list[PositiveInt] = Field(default_factory=list)


class _RegistrySpec(BaseModel):
    model_config = _STRICT

    ca_certificate: str
    crl: str
    tls: _TlsSpec | None = None
    parties: list[_PartySpec] = Field(min_length=1)


def _where(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Name the party an error location points into, by HER-id when the file gives one."""
    if len(loc) >= 2 and loc[0] == "parties" and isinstance(loc[1], int):
        entry = loc[1]
        her_id = None
        if isinstance(raw, dict) and isinstance(raw.get("parties"), list):
            item = raw["parties"][entry]
            her_id = item.get("her_id") if isinstance(item, dict) else None
        party = f"party {her_id} (entry {entry + 1})" if her_id is not None else (
            f"party entry {entry + 1}"
        )
        rest = ".".join(str(part) for part in loc[2:])
        return f"{party}: {rest}" if rest else party
    return ".".join(str(part) for part in loc) or "top level"


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing"
    return str(error["msg"])


def _read_spec(path: Path) -> _RegistrySpec:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"registry file {path} does not exist") from None
    except PermissionError as exc:
        raise ConfigError(f"registry file {path} cannot be read ({exc.strerror}); "
                          f"{files.unreadable_hint(path)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"registry file {path} cannot be read: {exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with ca_certificate, crl and parties")
    try:
        return _RegistrySpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_where(raw, tuple(err['loc']))}: {_describe(err)}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


class _Loader:
    """Loads the files a registry names, with the file and party in every error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent

    def fail(self, where: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: {problem}")

    def resolve(self, value: str) -> Path:
        return (self.base / value).resolve()

    def certificate(self, where: str, key: str, value: str) -> x509.Certificate:
        try:
            return files.load_certificate(self.resolve(value))
        except PkiError as exc:
            raise self.fail(where, f"{key}: {exc}") from None

    def key(
        self, where: str, key: str, value: str, cert: x509.Certificate, cert_key: str
    ) -> rsa.RSAPrivateKey:
        try:
            private = files.load_private_key(self.resolve(value))
        except PkiError as exc:
            raise self.fail(where, f"{key}: {exc}") from None
        if private.public_key() != cert.public_key():
            raise self.fail(where, f"{key} does not belong to {cert_key}")
        return private


def _party_objects(loader: _Loader, spec: _PartySpec) -> dict[str, Any]:
    where = f"party {spec.her_id}"
    signing = loader.certificate(where, "signing_certificate", spec.signing_certificate)
    encryption = loader.certificate(where, "encryption_certificate", spec.encryption_certificate)
    values: dict[str, Any] = {"signing_certificate": signing, "encryption_certificate": encryption}
    if spec.signing_key is not None:
        values["signing_key"] = loader.key(
            where, "signing_key", spec.signing_key, signing, "signing_certificate"
        )
    if spec.encryption_key is not None:
        values["encryption_key"] = loader.key(
            where, "encryption_key", spec.encryption_key, encryption, "encryption_certificate"
        )
    old_cert, old_key = spec.previous_encryption_certificate, spec.previous_encryption_key
    if (old_cert is None) != (old_key is None):
        raise loader.fail(
            where,
            "previous_encryption_certificate and previous_encryption_key go together",
        )
    if old_cert is not None and old_key is not None:
        previous = loader.certificate(where, "previous_encryption_certificate", old_cert)
        values["previous_encryption"] = KeyPair(
            previous,
            loader.key(
                where,
                "previous_encryption_key",
                old_key,
                previous,
                "previous_encryption_certificate",
            ),
        )
    return values


def _ancestry(specs: dict[int, _PartySpec], path: Path) -> dict[int, list[_PartySpec]]:
    """For each party, itself followed by its ancestors; unknown parents and cycles fail."""
    chains: dict[int, list[_PartySpec]] = {}
    for her_id, spec in specs.items():
        chain = [spec]
        while chain[-1].parent is not None:
            parent_id = chain[-1].parent
            parent = specs.get(parent_id)
            if parent is None:
                raise ConfigError(
                    f"{path}: party {chain[-1].her_id}: parent {parent_id} is not in the registry"
                )
            if parent.her_id in {item.her_id for item in chain}:
                cycle = " -> ".join(str(item.her_id) for item in [*chain, parent])
                raise ConfigError(f"{path}: party {her_id}: parent cycle {cycle}")
            chain.append(parent)
        chains[her_id] = chain
    return chains


def _queues(chain: list[_PartySpec]) -> Queues:
    """Each queue from the nearest party that declares it, else NHN's default for the root."""
    default = Queues.default(chain[-1].her_id)

    def pick(name: str, fallback: str) -> str:
        for spec in chain:
            if spec.queues is not None and getattr(spec.queues, name) is not None:
                return str(getattr(spec.queues, name))
        return fallback

    return Queues(
        pick("asynchronous", default.asynchronous),
        pick("error", default.error),
        pick("dl", default.dead_letter),
    )


def _accounts(specs: list[_PartySpec], path: Path) -> dict[str, SaslAccount]:
    accounts: dict[str, SaslAccount] = {}
    for spec in specs:
        if spec.sasl is None:
            continue
        known = accounts.get(spec.sasl.user)
        if known is not None and known.password != spec.sasl.password:
            raise ConfigError(
                f"{path}: party {spec.her_id}: sasl user {spec.sasl.user!r} is also used by "
                "another party with a different password"
            )
        accounts[spec.sasl.user] = SaslAccount(spec.sasl.user, spec.sasl.password)
    return accounts


def _clients(loader: _Loader, specs: list[_PartySpec]) -> dict[int, HelseIdClient]:
    """Each declared HelseID client by its party's HER-id; a client id used twice fails."""
    clients: dict[int, HelseIdClient] = {}
    owners: dict[str, int] = {}
    for spec in specs:
        if spec.helseid is None:
            continue
        where = f"party {spec.her_id}"
        owner = owners.setdefault(spec.helseid.client_id, spec.her_id)
        if owner != spec.her_id:
            raise loader.fail(where, f"helseid.client_id {spec.helseid.client_id!r} is also "
                              f"the client of party {owner}")
        clients[spec.her_id] = load_client(spec.helseid, loader.resolve,
                                           partial(loader.fail, where))
    return clients


def load_registry(path: Path) -> Registry:
    """Load and check the registry at ``path``; raises :class:`ConfigError` on any problem."""
    spec = _read_spec(path)
    loader = _Loader(path)
    specs: dict[int, _PartySpec] = {}
    for party in spec.parties:
        if party.her_id in specs:
            raise ConfigError(f"{path}: party {party.her_id}: HER-id listed more than once")
        specs[party.her_id] = party
    chains = _ancestry(specs, path)
    for party in spec.parties:
        for target in party.may_send_to:
            if target not in specs:
                raise ConfigError(f"{path}: party {party.her_id}: may_send_to {target} is not "
                                  "in the registry")
    accounts = _accounts(spec.parties, path)
    clients = _clients(loader, spec.parties)
    ca = loader.certificate("top level", "ca_certificate", spec.ca_certificate)
    crl = _load_crl(loader, spec.crl, ca)
    parties: dict[int, Party] = {}
    for her_id, chain in chains.items():
        own = chain[0]
        account = next((item.sasl.user for item in chain if item.sasl is not None), None)
        client = next((clients[item.her_id] for item in chain if item.her_id in clients), None)
        parties[her_id] = Party(
            her_id=her_id,
            name=own.name,
            parent=own.parent,
            queues=_queues(chain),
            account=account,
            sasl=None if own.sasl is None else accounts[own.sasl.user],
            cpa_id=own.cpa_id,
            helseid=clients.get(her_id),
            client_id=client.client_id if client is not None else None,
            may_send_to=frozenset(own.may_send_to),
            **_party_objects(loader, own),
        )
    return Registry(
        path=path,
        ca_certificate=ca,
        ca_path=loader.resolve(spec.ca_certificate),
        crl=crl,
        tls=_load_tls(loader, spec.tls),
        parties=MappingProxyType(parties),
        accounts=MappingProxyType(accounts),
        clients=MappingProxyType({c.client_id: c for c in clients.values()}),
    )


def _load_crl(loader: _Loader, value: str, ca: x509.Certificate) -> x509.CertificateRevocationList:
    try:
        crl = files.load_crl(loader.resolve(value))
    except PkiError as exc:
        raise loader.fail("top level", f"crl: {exc}") from None
    public_key = ca.public_key()
    if (
        crl.issuer != ca.subject
        or not isinstance(public_key, rsa.RSAPublicKey)
        or not crl.is_signature_valid(public_key)
    ):
        raise loader.fail("top level", "crl is not signed by ca_certificate")
    return crl


def _load_tls(loader: _Loader, spec: _TlsSpec | None) -> TlsFiles | None:
    if spec is None:
        return None
    cert = loader.certificate("tls", "certificate", spec.certificate)
    loader.key("tls", "key", spec.key, cert, "certificate")
    return TlsFiles(loader.resolve(spec.certificate), loader.resolve(spec.key))
