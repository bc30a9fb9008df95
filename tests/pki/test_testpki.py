"""The generated test PKI: certificates, key usages, the CRL, variants and the file layout."""

from __future__ import annotations

import ipaddress
import shutil
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mockkpr.cms.certificates import issued_by
from mockkpr.errors import ConfigError
from mockkpr.pki import CA_NAME, GeneratedPki, PartySpec, Variant, create_test_pki, her_id_of
from mockkpr.pki.files import load_certificate, load_crl

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PARTIES = [PartySpec(131725, "KPR"), PartySpec(12345, "Oslo kommune Saksbehandling")]

USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPki:
    return create_test_pki(
        tmp_path_factory.mktemp("pki") / "out", PARTIES, variants=list(Variant), now=NOW
    )


def _cert(made: GeneratedPki, relative: str) -> x509.Certificate:
    return load_certificate(made.directory / relative)


def _usages(cert: x509.Certificate) -> set[str]:
    key_usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert key_usage.critical
    return {name for name in USAGES if getattr(key_usage.value, name)}


def test_layout(made: GeneratedPki) -> None:
    root = made.directory
    files = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
    party = [
        "encryption-cert.pem",
        "encryption-key.UNENCRYPTED.pem",
        "signing-cert.pem",
        "signing-key.UNENCRYPTED.pem",
    ]
    previous = ["previous-encryption-cert.pem", "previous-encryption-key.UNENCRYPTED.pem"]
    client = ["helseid-jwk.public.json", "helseid-jwk.UNENCRYPTED.json"]
    variant = ["signing-cert.pem", "signing-key.UNENCRYPTED.pem"]
    forged = [f"forged/{problem}-{name}" for problem in ("expired", "revoked", "unknown")
              for name in variant]
    expected = [
        "README.txt",
        "ca/ca-cert.pem",
        "ca/ca-key.UNENCRYPTED.pem",
        "ca/crl.pem",
        *[f"parties/12345/{name}" for name in party + client],
        *[f"parties/12345{n}/{name}" for n in range(1, 6) for name in variant],
        *[f"parties/131725/{name}" for name in sorted(party + previous + forged)],
        "registry.yaml",
        "tls/localhost-cert.pem",
        "tls/localhost-key.UNENCRYPTED.pem",
        "unknown-ca/ca-cert.pem",
    ]
    assert files == sorted(expected)
    assert made.receiver == 131725
    assert made.registry_file == made.directory / "registry.yaml"
    assert made.variants[123454] == (12345, Variant.REVOKED)


def test_secrets_are_private(made: GeneratedPki) -> None:
    for path in [made.registry_file, *made.directory.rglob("*.UNENCRYPTED.*")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert "NOT FOR PRODUCTION" in (made.directory / "README.txt").read_text()


def test_ca(made: GeneratedPki) -> None:
    ca = _cert(made, "ca/ca-cert.pem")
    assert ca.subject == ca.issuer
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CA_NAME
    assert issued_by(ca, ca)
    key = ca.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 2048
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert _usages(ca) == {"key_cert_sign", "crl_sign"}
    assert her_id_of(ca) is None


@pytest.mark.parametrize("her_id", [131725, 12345])
def test_party_certificates(made: GeneratedPki, her_id: int) -> None:
    ca = _cert(made, "ca/ca-cert.pem")
    signing = _cert(made, f"parties/{her_id}/signing-cert.pem")
    encryption = _cert(made, f"parties/{her_id}/encryption-cert.pem")
    assert _usages(signing) == {"content_commitment"}
    assert _usages(encryption) == {"key_encipherment"}
    for cert in (signing, encryption):
        assert issued_by(cert, ca)
        assert her_id_of(cert) == her_id
        assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "NO"
        assert cert.not_valid_before_utc == NOW - timedelta(days=1)
        assert cert.not_valid_after_utc == NOW + timedelta(days=730)
        assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_tls_server_certificate(made: GeneratedPki) -> None:
    tls = _cert(made, "tls/localhost-cert.pem")
    names = tls.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    usage = tls.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert issued_by(tls, _cert(made, "ca/ca-cert.pem"))


def test_crl_lists_only_the_revoked_variant_and_the_revoked_forgery(made: GeneratedPki) -> None:
    crl = load_crl(made.directory / "ca/crl.pem")
    ca = _cert(made, "ca/ca-cert.pem")
    key = ca.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert crl.is_signature_valid(key)
    revoked = _cert(made, "parties/123454/signing-cert.pem")
    forged = _cert(made, "parties/131725/forged/revoked-signing-cert.pem")
    assert [entry.serial_number for entry in crl] == [revoked.serial_number,
                                                       forged.serial_number]


def test_forged_receiver_certificates_carry_its_name_and_one_problem_each(
        made: GeneratedPki) -> None:
    """Fault injection signs bad AppRecs with these (mockkpr.faults.forged)."""
    ca = _cert(made, "ca/ca-cert.pem")
    real = _cert(made, "parties/131725/signing-cert.pem")
    expired = _cert(made, "parties/131725/forged/expired-signing-cert.pem")
    revoked = _cert(made, "parties/131725/forged/revoked-signing-cert.pem")
    unknown = _cert(made, "parties/131725/forged/unknown-signing-cert.pem")
    for forged in (expired, revoked, unknown):
        assert forged.subject == real.subject
        assert forged.serial_number != real.serial_number
        assert _usages(forged) == {"content_commitment"}
    assert expired.not_valid_after_utc < NOW
    assert issued_by(expired, ca)
    assert issued_by(revoked, ca)
    assert revoked.not_valid_after_utc > NOW
    assert not issued_by(unknown, ca)
    assert unknown.issuer == _cert(made, "unknown-ca/ca-cert.pem").subject


def test_variants(made: GeneratedPki) -> None:
    ca = _cert(made, "ca/ca-cert.pem")
    expired = _cert(made, "parties/123451/signing-cert.pem")
    assert expired.not_valid_after_utc < NOW
    early = _cert(made, "parties/123452/signing-cert.pem")
    assert early.not_valid_before_utc > NOW
    assert _usages(_cert(made, "parties/123453/signing-cert.pem")) == {"key_encipherment"}
    stranger = _cert(made, "parties/123455/signing-cert.pem")
    assert not issued_by(stranger, ca)
    assert issued_by(stranger, _cert(made, "unknown-ca/ca-cert.pem"))
    for n in range(1, 6):
        assert her_id_of(_cert(made, f"parties/12345{n}/signing-cert.pem")) == 12345


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_accepts_the_certificates(made: GeneratedPki) -> None:
    ca = made.directory / "ca/ca-cert.pem"
    attime = str(int(NOW.timestamp()))
    for relative, purpose in [
        ("parties/12345/signing-cert.pem", "smimesign"),
        ("parties/12345/encryption-cert.pem", "smimeencrypt"),
        ("tls/localhost-cert.pem", "sslserver"),
    ]:
        done = subprocess.run(
            ["openssl", "verify", "-attime", attime, "-purpose", purpose, "-CAfile", ca,
             made.directory / relative],
            capture_output=True, text=True, check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run(
        ["openssl", "crl", "-noout", "-CAfile", ca, "-in", made.directory / "ca/crl.pem"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0
    assert "verify OK" in done.stderr + done.stdout


def test_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError) as caught:
        create_test_pki(tmp_path, PARTIES[:1])
    assert str(caught.value) == (
        f"{tmp_path} is not empty; use --force to replace the test PKI in it"
    )


def test_force_replaces_only_the_pki(tmp_path: Path) -> None:
    create_test_pki(tmp_path, PARTIES)
    (tmp_path / "notes.txt").write_text("mine")
    create_test_pki(tmp_path, [PartySpec(55, "Other KPR")], force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert sorted(path.name for path in (tmp_path / "parties").iterdir()) == ["55"]


def test_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ConfigError) as caught:
        create_test_pki(target, PARTIES)
    assert str(caught.value) == f"{target} exists and is not a directory"


@pytest.mark.parametrize(
    ("parties", "variants", "message"),
    [
        ([], [], "a test PKI needs at least one party (the receiver)"),
        ([PartySpec(0, "Zero")], [], "party 0: HER-id must be a positive number"),
        ([PartySpec(7, "  ")], [], "party 7: name is empty"),
        ([PartySpec(7, "A"), PartySpec(7, "B")], [], "party 7: HER-id given more than once"),
        (
            [PartySpec(1, "KPR"), PartySpec(12, "Kommune"), PartySpec(121, "Taken")],
            [Variant.EXPIRED],
            "party 12: the HER-id 121 of its expired variant is already taken",
        ),
    ],
)
def test_bad_party_lists(
    tmp_path: Path, parties: list[PartySpec], variants: list[Variant], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        create_test_pki(tmp_path / "out", parties, variants=variants)
    assert str(caught.value) == message
    assert not (tmp_path / "out").exists()


def test_tls_certificate_covers_extra_names(tmp_path: Path) -> None:
    """MOCKKPR_TLS_NAMES: a sender in another container reaches the endpoint by its service
    name, which the certificate must then carry beside localhost and 127.0.0.1."""
    create_test_pki(tmp_path / "pki", [PartySpec(131725, "KPR"), PartySpec(12345, "Kommune")],
                    tls_names=["mockkpr", "10.0.0.7", "localhost"])
    cert = x509.load_pem_x509_certificate((tmp_path / "pki/tls/localhost-cert.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "mockkpr"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1"),
                                                          ipaddress.ip_address("10.0.0.7")]
