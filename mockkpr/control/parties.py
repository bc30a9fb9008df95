"""Routes that tell a test what it needs to connect: the test CA and the parties.

``GET /api/pki/ca.pem`` serves the registry's CA certificate (public by nature) so that a
client in any language can trust the endpoint's TLS certificate with one HTTP request.
``GET /pki/ca.crl`` and ``GET /pki/ca.crt`` serve the CA's CRL and certificate (DER) at the URLs
every test certificate names (CRL distribution point, authority information access): a
sender's chain builder fetches them without credentials, as from a real CA.
``GET /api/parties`` lists the parties with their queues and SASL user. A password is shown only
when it is the documented default of a test account (README.md, "Default parties"), so the
route never reveals a secret a user configured; private keys are never served (they are files
in the PKI directory, e.g. ``docker cp CONTAINER:/var/lib/mockkpr/pki .``).
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mockkpr.registry import Party, Registry

PEM_MEDIA_TYPE = "application/x-pem-file"
CRL_MEDIA_TYPE = "application/pkix-crl"  # RFC 5280 §4.2.1.13 / RFC 2585
CERT_MEDIA_TYPE = "application/pkix-cert"


class PartyOut(BaseModel):
    """One communication party of the address registry, without keys."""

    her_id: int
    name: str
    parent: int | None = Field(description="HER-id of the parent (level-2 services).")
    queues: dict[str, str] = Field(description="Queue short names: async, error and dl.")
    user: str | None = Field(description="SASL PLAIN user name of the party's account.")
    password: str | None = Field(
        description="The account's password only when it is the documented default of the "
        "test PKI a first start creates; otherwise null.")
    keys: bool = Field(description="Whether the endpoint holds this party's private keys.")


def party_out(registry: Registry, party: Party, documented: Mapping[str, str]) -> PartyOut:
    """``party`` as listed: the password only if ``documented`` names that same password."""
    account = registry.accounts.get(party.account) if party.account else None
    shown = account is not None and documented.get(account.user) == account.password
    return PartyOut(
        her_id=party.her_id, name=party.name, parent=party.parent,
        queues={"async": party.queues.asynchronous, "error": party.queues.error,
                "dl": party.queues.dead_letter},
        user=party.account, password=account.password if shown and account else None,
        keys=party.signing is not None and bool(party.own_keys()))


def parties_router(registry: Registry, documented: Mapping[str, str]) -> APIRouter:
    """The routes over ``registry``; ``documented`` maps SASL users to their public password."""
    router = APIRouter()

    @router.get("/api/pki/ca.pem", summary="The test CA certificate (PEM) to trust for TLS",
                response_class=Response,
                responses={200: {"content": {PEM_MEDIA_TYPE: {}}}})
    def ca_certificate() -> Response:
        return Response(registry.ca_path.read_bytes(), media_type=PEM_MEDIA_TYPE)

    @router.get("/pki/ca.crl", summary="The test CA's CRL (DER), where certificates point",
                response_class=Response, responses={200: {"content": {CRL_MEDIA_TYPE: {}}}})
    def crl() -> Response:
        return Response(registry.crl.public_bytes(Encoding.DER), media_type=CRL_MEDIA_TYPE)

    @router.get("/pki/ca.crt", summary="The test CA certificate (DER), for chain building",
                response_class=Response, responses={200: {"content": {CERT_MEDIA_TYPE: {}}}})
    def ca_der() -> Response:
        return Response(registry.ca_certificate.public_bytes(Encoding.DER),
                        media_type=CERT_MEDIA_TYPE)

    @router.get("/api/parties", response_model=list[PartyOut],
                summary="The parties: HER-ids, queues, SASL users (test passwords only)")
    def parties() -> list[PartyOut]:
        return [party_out(registry, party, documented)
                for _, party in sorted(registry.parties.items())]

    return router
