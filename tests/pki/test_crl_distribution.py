"""Every certificate of the test CA names where its CRL is served, and the control API serves it
there: a sender's chain builder with online revocation checking (.NET's X509Chain, as NHN's
library uses it; OpenSSL's -crl_download here) finds the CRL and sees a revoked certificate
(issue 12, case 6)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

from mockkpr.errors import ConfigError
from mockkpr.pki import DEFAULT_PKI_URL, GeneratedPki, PartySpec, Variant, create_test_pki
from mockkpr.pki.files import load_certificate
from mockkpr.settings import Settings, load_settings
from tests.endpoint.support import Running, running_endpoint

PARTIES = [PartySpec(131725, "KPR"), PartySpec(12345, "Testkommune Saksbehandling")]
#: The served endpoint's control API requires a token: the CRL and CA must not (issue 18 put
#: the API behind one; a chain builder sends no credentials).
TOKEN = "synthetic-control-token-for-crl-tests"


def crl_urls(cert: x509.Certificate) -> list[str]:
    points = cert.extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS).value
    return [str(name.value) for point in points for name in point.full_name or ()]


def ca_issuer_urls(cert: x509.Certificate) -> list[str]:
    access = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    return [str(d.access_location.value) for d in access.value
            if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS]


def issued_certificates(made: GeneratedPki) -> dict[str, x509.Certificate]:
    """Every end-entity certificate of the PKI directory, by path."""
    skip = ("ca/", "unknown-ca/")
    return {str(p.relative_to(made.directory)): load_certificate(p)
            for p in sorted(made.directory.rglob("*-cert.pem"))
            if not str(p.relative_to(made.directory)).startswith(skip)}


def test_the_default_url_is_the_settings_default() -> None:
    assert Settings.model_fields["pki_url"].default == DEFAULT_PKI_URL


def test_every_certificate_of_the_test_ca_names_its_crl_and_certificate(tmp_path: Path) -> None:
    made = create_test_pki(tmp_path / "pki", PARTIES, variants=list(Variant),
                           pki_url="http://mockkpr:8080/pki/")
    ca = load_certificate(made.directory / "ca/ca-cert.pem")
    unknown = load_certificate(made.directory / "unknown-ca/ca-cert.pem")
    found = issued_certificates(made)
    assert "tls/localhost-cert.pem" in found
    assert "parties/131725/forged/revoked-signing-cert.pem" in found
    for path, cert in found.items():
        if cert.issuer != ca.subject:  # the "unknown CA" serves no CRL (testpki.py)
            assert cert.issuer == unknown.subject, path
            with pytest.raises(x509.ExtensionNotFound):
                crl_urls(cert)
            continue
        assert crl_urls(cert) == ["http://mockkpr:8080/pki/ca.crl"], path
        assert ca_issuer_urls(cert) == ["http://mockkpr:8080/pki/ca.crt"], path
    with pytest.raises(x509.ExtensionNotFound):
        crl_urls(ca)  # a root names no CRL of its own


def test_a_pki_url_that_is_not_http_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be an http:// or https:// URL"):
        create_test_pki(tmp_path, PARTIES, pki_url="ldap://example/cn=crl")
    with pytest.raises(ConfigError, match="MOCKKPR_PKI_URL"):
        load_settings(pki_url="file:///etc/crl")


# ------------------------------------------------------------------ served by the endpoint
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GeneratedPki, Running]]:
    """An endpoint whose control API listens where its test PKI says the CRL is, and
    requires a token for everything else."""
    port = _free_port()
    made = create_test_pki(tmp_path_factory.mktemp("crl-pki"), PARTIES,
                           variants=[Variant.REVOKED], pki_url=f"http://localhost:{port}/pki")
    with running_endpoint(tmp_path_factory.mktemp("crl-endpoint"), made.registry_file,
                          control_port=port, control_token=TOKEN,
                          log_level="WARNING") as running:
        yield made, running


@pytest.mark.integration
def test_the_crl_and_ca_need_no_token_where_everything_else_does(
        served: tuple[GeneratedPki, Running]) -> None:
    made, running = served
    good = load_certificate(made.directory / "parties/12345/signing-cert.pem")
    base = running.endpoint.urls.control
    for url in (*crl_urls(good), *ca_issuer_urls(good), f"{base}/api/pki/ca.pem"):
        assert httpx.get(url, timeout=10).status_code == 200, url
    for path in ("/api/messages", "/api/parties", "/pki/ca.crl.bak", "/"):
        refused = httpx.get(f"{base}{path}", timeout=10)
        assert refused.status_code == 401, path
    assert httpx.get(f"{base}/api/messages", timeout=10,
                     headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


@pytest.mark.integration
def test_the_crl_named_in_a_certificate_is_served_and_lists_the_revoked_one(
        served: tuple[GeneratedPki, Running]) -> None:
    made, _ = served
    revoked = load_certificate(made.directory / "parties/123454/signing-cert.pem")
    good = load_certificate(made.directory / "parties/12345/signing-cert.pem")
    ca = load_certificate(made.directory / "ca/ca-cert.pem")
    [url] = crl_urls(revoked)
    response = httpx.get(url, timeout=10)  # no credentials, as a chain builder fetches it
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.issuer == ca.subject
    assert crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(revoked.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(good.serial_number) is None
    [ca_url] = ca_issuer_urls(good)
    served_ca = httpx.get(ca_url, timeout=10)
    assert served_ca.headers["content-type"] == "application/pkix-cert"
    assert x509.load_der_x509_certificate(served_ca.content) == ca


@pytest.mark.integration
def test_openssl_downloads_the_crl_and_refuses_the_revoked_certificate(
        served: tuple[GeneratedPki, Running]) -> None:
    made, _ = served

    def verify(certificate: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["openssl", "verify", "-crl_check", "-crl_download",
             "-CAfile", str(made.directory / "ca/ca-cert.pem"),
             str(made.directory / certificate)],
            capture_output=True, text=True, timeout=60, check=False)

    revoked = verify("parties/123454/signing-cert.pem")
    assert revoked.returncode != 0
    assert "certificate revoked" in revoked.stdout + revoked.stderr
    for good in ("parties/12345/signing-cert.pem", "parties/131725/encryption-cert.pem",
                 "tls/localhost-cert.pem"):
        result = verify(good)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip().endswith(": OK")
