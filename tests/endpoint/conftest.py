"""Fixtures for the AMQP layer's tests: a throw-away TLS PKI for ``localhost``, a test PKI
with an address registry for the whole endpoint, and Node's rhea."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mockkpr.pki import GeneratedPki, PartySpec, Variant, create_test_pki


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a synthetic CA and a server certificate for ``DNS:localhost``."""

    ca_cert: Path
    server_cert: Path
    server_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mockkpr test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A CA and a server certificate it signed, valid for ``localhost`` for one day."""
    directory = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("mockkpr test CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(
        ca_cert=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
    )
    files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    _write_key(files.server_key, server_key)
    return files


# --- the whole endpoint (tests/endpoint/test_endpoint.py, test_robustness.py) ----------------

ENDPOINT_PARTIES = (
    PartySpec(131725, "KPR Validering"),
    PartySpec(12345, "Testkommune Saksbehandling"),
    PartySpec(23456, "Nabokommune Saksbehandling"),
    PartySpec(34567, "Tredje kommune Saksbehandling"),
    PartySpec(45678, "Fjerde kommune Saksbehandling"),
)


@pytest.fixture(scope="session")
def endpoint_pki(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPki:
    """A test PKI and registry for the endpoint's parties, with bad signer variants.

    Sender 12345 has a child per variant (HER-id ``12345 * 10 + n``: 123451 expired,
    123454 revoked, 123455 issued by an unknown CA) that shares its account and queues.
    """
    return create_test_pki(tmp_path_factory.mktemp("endpoint-pki"), ENDPOINT_PARTIES,
                           variants=(Variant.EXPIRED, Variant.REVOKED, Variant.UNKNOWN_CA))


# --- an independent AMQP client: Node's rhea ------------------------------------------------

NODE_DIR = Path("/tmp/mockkpr-node")  # npm's cache of rhea, shared by test runs


@pytest.fixture(scope="session")
def rhea_dir() -> Path:
    """A directory whose node_modules holds rhea (installed with npm on first use)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed: the rhea interoperability tests need Node.js "
                    "(scripts/setup.d/10-base.sh installs it)")
    if not (NODE_DIR / "node_modules" / "rhea").is_dir():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "rhea"],
            cwd=NODE_DIR, check=True, capture_output=True, timeout=180,
        )
    return NODE_DIR
