"""``mockkpr pki``: create and inspect a test PKI with its address registry.

``pki init DIR --party 131725:KPR --party 12345:"Oslo kommune Saksbehandling"`` writes the
layout described in :mod:`mockkpr.pki.testpki`. The **first** ``--party`` is the receiver (the
KPR mockkpr plays); the rest are senders, which get the requested bad-certificate variants.
``pki show DIR`` prints the parties, HER-ids, accounts, queues and certificate validity; passwords
only with ``--show-passwords``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from cryptography import x509

from mockkpr.pki import PartySpec, Variant, create_test_pki
from mockkpr.registry import REGISTRY_FILE, Party, Registry, load_registry
from mockkpr.settings import load_settings

_VARIANT_NAMES = ", ".join(variant.value for variant in Variant)


def _parse_parties(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> list[PartySpec]:
    parties = []
    for value in values:
        her_id, sep, name = value.partition(":")
        if not sep or not her_id.strip().isdigit() or int(her_id) <= 0 or not name.strip():
            raise click.BadParameter(
                f"{value!r}: expected HERID:NAME with a positive HER-id, e.g. 131725:KPR"
            )
        parties.append(PartySpec(int(her_id), name.strip()))
    return parties


def _parse_variants(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> list[Variant]:
    if not value:
        return []
    if value.strip() == "all":
        return list(Variant)
    chosen: list[Variant] = []
    for item in value.split(","):
        name = item.strip()
        try:
            variant = Variant(name)
        except ValueError:
            raise click.BadParameter(
                f"unknown variant {name!r}; choose from {_VARIANT_NAMES} or 'all'"
            ) from None
        if variant not in chosen:
            chosen.append(variant)
    return chosen


@click.group("pki")
def pki() -> None:
    """Create and inspect a test PKI and its address registry (test material only)."""


@pki.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--party",
    "parties",
    multiple=True,
    required=True,
    metavar="HERID:NAME",
    callback=_parse_parties,
    help="A party, e.g. 131725:KPR; repeat. The first one is the receiver (KPR).",
)
@click.option(
    "--variants",
    callback=_parse_variants,
    metavar="LIST",
    help=f"Bad signing certificates for each sender, comma-separated: {_VARIANT_NAMES}, or all.",
)
@click.option("--force", is_flag=True, help="Replace a test PKI in a non-empty DIRECTORY.")
@click.option("--readable-keys", is_flag=True,
              help="Make private keys and registry.yaml readable by every user (0644), so that "
                   "a container running as another user (the mockkpr image: uid 10001) can "
                   "read them from a mount. Test keys only.")
def init(directory: Path, parties: list[PartySpec], variants: list[Variant], force: bool,
         readable_keys: bool) -> None:
    """Create a test CA, certificates, keys, a CRL and registry.yaml in DIRECTORY."""
    made = create_test_pki(directory, parties, variants=variants, force=force,
                           readable_keys=readable_keys)
    registry = load_registry(made.registry_file)
    click.echo(f"created test PKI in {directory} (keys unencrypted"
               + (", readable by every user" if readable_keys else "") + ": test use only)")
    click.echo(f"registry: {made.registry_file}")
    for party in parties:
        role = "receiver" if party.her_id == made.receiver else "sender"
        account = registry.account_of(party.her_id)
        client = registry.party(party.her_id).client_id
        click.echo(f"  {party.her_id:>9}  {role:<8}  {party.name}  (SASL user {account}"
                   + (f", HelseID client {client})" if client else ")"))
    for her_id, (sender, variant) in sorted(made.variants.items()):
        click.echo(f"  {her_id:>9}  variant   {variant.value} signing certificate of {sender}")
    expected = load_settings().kpr_her_id
    if made.receiver != expected:
        click.echo(
            f"note: MOCKKPR_KPR_HER_ID is {expected}; set it to {made.receiver} to play this "
            "receiver"
        )


def _validity(cert: x509.Certificate, registry: Registry, now: datetime) -> str:
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now < start:
        state = "NOT YET VALID"
    elif now > end:
        state = "EXPIRED"
    elif registry.crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
        state = "REVOKED"
    else:
        state = "valid"
    return f"serial {cert.serial_number:x}, {start:%Y-%m-%d} .. {end:%Y-%m-%d}, {state}"


def _party_lines(
    party: Party, registry: Registry, now: datetime, show_passwords: bool
) -> list[str]:
    title = f"{party.her_id}  {party.name}"
    if party.parent is not None:
        title += f"  (child of {party.parent})"
    lines = [title]
    if party.sasl is not None:
        password = party.sasl.password if show_passwords else "(hidden; --show-passwords)"
        lines.append(f"    account     {party.sasl.user}  password {password}")
    elif party.account is not None:
        lines.append(f"    account     {party.account} (inherited)")
    if party.helseid is not None:
        jwk = "private JWK held" if party.helseid.private_key is not None else "public JWK"
        lines.append(f"    helseid     client {party.helseid.client_id}  scopes "
                     f"{' '.join(party.helseid.scopes)}  ({jwk})")
    elif party.client_id is not None:
        lines.append(f"    helseid     client {party.client_id} (inherited)")
    queues = party.queues
    lines.append(f"    queues      {queues.asynchronous}  {queues.error}  {queues.dead_letter}")
    lines.append(f"    signing     {_validity(party.signing_certificate, registry, now)}")
    lines.append(f"    encryption  {_validity(party.encryption_certificate, registry, now)}")
    if party.previous_encryption is not None:
        previous = _validity(party.previous_encryption.certificate, registry, now)
        lines.append(f"    previous    {previous}")
    held = [
        name
        for name, present in (
            ("signing", party.signing_key is not None),
            ("encryption", party.encryption_key is not None),
            ("previous encryption", party.previous_encryption is not None),
        )
        if present
    ]
    lines.append(f"    keys held   {', '.join(held) or 'none'}")
    if party.cpa_id is not None:
        lines.append(f"    CPA id      {party.cpa_id}")
    return lines


@pki.command("show")
@click.argument("location", type=click.Path(path_type=Path))
@click.option("--show-passwords", is_flag=True, help="Print the SASL passwords too.")
def show(location: Path, show_passwords: bool) -> None:
    """Print the parties of the registry in LOCATION (a directory or a registry file)."""
    path = location / REGISTRY_FILE if location.is_dir() else location
    registry = load_registry(path)
    now = datetime.now(UTC)
    ca = registry.ca_certificate
    crl = registry.crl
    next_update = crl.next_update_utc
    click.echo(f"registry    {path}")
    click.echo(f"CA          {ca.subject.rfc4514_string()}")
    click.echo(f"            {_validity(ca, registry, now)}")
    click.echo(
        f"CRL         {len(crl)} revoked, next update "
        f"{'-' if next_update is None else f'{next_update:%Y-%m-%d %H:%M}'}"
    )
    if registry.tls is not None:
        click.echo(f"TLS         {registry.tls.certificate}")
    for party in registry.parties.values():  # in file order
        click.echo("")
        for line in _party_lines(party, registry, now, show_passwords):
            click.echo(line)
