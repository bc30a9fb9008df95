"""TLS settings for the endpoint's listener: TLS 1.2 and 1.3 only (profile §1)."""

from __future__ import annotations

from pathlib import Path

import cproton
from proton import SSLDomain

from mockkpr.errors import EndpointError

PROTOCOLS = "TLSv1.2 TLSv1.3"


def server_domain(certificate: Path, key: Path) -> SSLDomain:
    """A server SSL domain with the given PEM certificate and key, TLS 1.2 and 1.3 only."""
    for path in (certificate, key):
        if not path.is_file():
            raise EndpointError(f"TLS: {path} does not exist")
    domain = SSLDomain(SSLDomain.MODE_SERVER)
    try:
        domain.set_credentials(str(certificate), str(key), None)
    except Exception as exc:  # proton raises its own SSLException without detail
        raise EndpointError(f"TLS: cannot use {certificate} with {key}: {exc}") from None
    # proton's Python class has no setter for protocols; the C function is exported.
    if cproton.pn_ssl_domain_set_protocols(domain._domain, PROTOCOLS) != 0:
        raise EndpointError(f"TLS: cannot restrict protocols to {PROTOCOLS}")
    return domain


def client_domain(ca_certificate: Path | None, *, verify_name: bool = True) -> SSLDomain:
    """A client SSL domain trusting ``ca_certificate`` (and checking the host name)."""
    domain = SSLDomain(SSLDomain.MODE_CLIENT)
    if ca_certificate is not None:
        if not ca_certificate.is_file():
            raise EndpointError(f"TLS: CA certificate {ca_certificate} does not exist")
        domain.set_trusted_ca_db(str(ca_certificate))
        domain.set_peer_authentication(
            SSLDomain.VERIFY_PEER_NAME if verify_name else SSLDomain.VERIFY_PEER
        )
    else:
        domain.set_peer_authentication(SSLDomain.ANONYMOUS_PEER)
    return domain
